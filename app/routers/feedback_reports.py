"""Routes for feedback_reports (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["feedback"])
