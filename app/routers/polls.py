"""Routes for polls (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["polls"])
