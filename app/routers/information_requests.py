"""Routes for information_requests (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["information-requests"])
