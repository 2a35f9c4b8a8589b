"""Routes for appeals (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["appeals"])
