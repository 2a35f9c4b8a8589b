"""Notifications: routes are added by this module's issue work."""

from fastapi import APIRouter

from app.core.openapi import operation_id
from app.schemas.problems import problem_responses

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/me/notifications",
    tags=["notifications"],
    responses=problem_responses(401, 403),
)
