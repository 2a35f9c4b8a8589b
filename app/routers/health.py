"""Liveness, readiness and Prometheus metrics for operators."""

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from app.core.db import Database
from app.core.errors import ServiceUnavailable
from app.core.migrations import current_revisions, head_revisions
from app.core.openapi import operation_id
from app.dependencies import PublicAccess
from app.schemas.problems import problem_responses

router = APIRouter(
    generate_unique_id_function=operation_id, tags=["operations"], dependencies=[PublicAccess]
)
READINESS_TIMEOUT_SECONDS = 3.0


class HealthStatus(BaseModel):
    status: str


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> HealthStatus:
    """Answer without touching the database, so a slow database never restarts healthy workers."""
    return HealthStatus(status="ok")


@router.get(
    "/health/ready",
    summary="Readiness: database reachable and migrated",
    responses=problem_responses(503),
)
async def ready(request: Request) -> HealthStatus:
    """Report ready only when the database answers and its schema is at the latest migration."""
    database: Database = request.app.state.database
    try:
        revisions = await asyncio.wait_for(_revisions(database), READINESS_TIMEOUT_SECONDS)
    except (TimeoutError, SQLAlchemyError, OSError) as exc:
        raise ServiceUnavailable(reason="database_unreachable") from exc
    if revisions != head_revisions():
        raise ServiceUnavailable(reason="schema_behind")
    return HealthStatus(status="ready")


async def _revisions(database: Database) -> frozenset[str]:
    async with database.sessions() as session:
        connection = await session.connection()
        return await current_revisions(connection)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus exposition"}},
)
async def metrics(request: Request) -> Response:
    """Request counts and latency by route template, method and status."""
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)
