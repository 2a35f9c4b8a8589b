"""Routes for catalog (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["dcat"])
