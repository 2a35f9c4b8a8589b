"""Analytics for analysts and officers: what people raise most, and most urgently."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.core.openapi import operation_id
from app.dependencies import CanReadAnalytics, SessionDep
from app.models.consultation import Channel
from app.models.submission import SubmissionKind
from app.schemas.analytics import ChannelsReport, TopicsReport
from app.schemas.problems import problem_responses
from app.services import analytics as analytics_service
from app.services.analytics import DateWindow, Filters, Scope

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/analytics",
    tags=["analytics"],
    responses=problem_responses(401, 403, 422),
)
FromDate = Annotated[
    date | None,
    Query(alias="from", description="First local date included; default `to` minus 29 days."),
]
ToDate = Annotated[date | None, Query(description="Last local date included; default today.")]
ConsultationFilter = Annotated[
    uuid.UUID | None, Query(description="Only input to this consultation.")
]
KindFilter = Annotated[SubmissionKind | None, Query(description="Only this kind of input.")]


async def date_window(request: Request, from_: FromDate = None, to: ToDate = None) -> DateWindow:
    """The window of local dates (the service's time zone); 422 when reversed or too long."""
    return analytics_service.window(from_, to, timezone=request.app.state.settings.timezone)


DateWindowDep = Annotated[DateWindow, Depends(date_window)]


def _scope(request: Request, dates: DateWindow, filters: Filters) -> Scope:
    return Scope(filters, dates, request.app.state.settings.timezone)


@router.get("/topics", summary="Rank topics by priority and volume")
async def topics_analytics(
    request: Request,
    session: SessionDep,
    principal: CanReadAnalytics,
    dates: DateWindowDep,
    consultation_id: ConsultationFilter = None,
    channel: Annotated[Channel | None, Query(description="Only input from this channel.")] = None,
    kind: KindFilter = None,
) -> TopicsReport:
    """Rank topics and subtopics by priority score, with shares, trend and top reasons."""
    filters = Filters(consultation_id=consultation_id, channel=channel, kind=kind)
    scope = _scope(request, dates, filters)
    counts = request.app.state.analytics_counts
    return await analytics_service.topics(session, by=principal, scope=scope, cache=counts)


@router.get("/channels", summary="Input per channel")
async def channels_analytics(
    request: Request,
    session: SessionDep,
    principal: CanReadAnalytics,
    dates: DateWindowDep,
    consultation_id: ConsultationFilter = None,
    kind: KindFilter = None,
) -> ChannelsReport:
    """Count input per channel (every channel, zeros included) with kinds, priorities and trend."""
    scope = _scope(request, dates, Filters(consultation_id=consultation_id, kind=kind))
    counts = request.app.state.analytics_counts
    return await analytics_service.channels(session, by=principal, scope=scope, cache=counts)
