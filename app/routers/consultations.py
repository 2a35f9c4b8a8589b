"""Routes for consultations (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["consultations"])
