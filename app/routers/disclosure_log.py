"""Routes for disclosure_log (being built)."""

from fastapi import APIRouter

router = APIRouter(tags=["disclosure-log"])
