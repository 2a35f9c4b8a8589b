"""Routes for datasets (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["datasets"])
