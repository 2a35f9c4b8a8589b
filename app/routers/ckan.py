"""Routes for ckan (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["ckan"])
