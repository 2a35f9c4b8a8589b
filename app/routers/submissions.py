"""Routes for submissions (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["submissions"])
