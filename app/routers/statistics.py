"""Public statistics: how well the emirate keeps its promises, as JSON or CSV open data."""

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response

from app.core import clock
from app.core.openapi import operation_id
from app.dependencies import PublicAccess, SessionDep
from app.schemas.problems import problem_responses
from app.schemas.statistics import InformationRequestStatistics, ParticipationStatistics
from app.services import information_statistics, participation_statistics
from app.services.statistics import period_of, to_csv

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/statistics",
    tags=["statistics"],
    responses=problem_responses(422),
)

JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv"
Year = Annotated[int, Query(ge=2020, le=2100, description="Calendar year (Asia/Riyadh).")]
Month = Annotated[
    int | None, Query(ge=1, le=12, description="Calendar month 1-12; omit for the whole year.")
]
Document = TypeVar("Document", InformationRequestStatistics, ParticipationStatistics)


async def service_timezone(request: Request) -> str:
    return str(request.app.state.settings.timezone)


Timezone = Annotated[str, Depends(service_timezone)]


def csv_alternative(example: str) -> dict[int | str, dict[str, Any]]:
    """The 200 response's CSV media type, beside the JSON one FastAPI derives from the model."""
    csv_content = {"schema": {"type": "string"}, "example": example}
    description = "The figures; send `Accept: text/csv` for CSV (long format, UTF-8)."
    return {200: {"description": description, "content": {CSV_MEDIA_TYPE: csv_content}}}


@router.get(
    "/information-requests",
    summary="Access-to-information statistics",
    dependencies=[PublicAccess],
    response_model=InformationRequestStatistics,
    responses=csv_alternative(
        "figure,group,value,suppressed\r\nreceived,,42,false\r\n"
        "by_outcome,refused,,true\r\non_time_rate,,0.9143,false\r\n"
    ),
)
async def get_information_request_statistics(
    request: Request,
    session: SessionDep,
    timezone: Timezone,
    response: Response,
    year: Year,
    month: Month = None,
) -> InformationRequestStatistics | Response:
    """Requests and appeals received and decided in a month or year, and the open workload."""
    document = await information_statistics.information_request_statistics(
        session,
        period=period_of(year, month, timezone),
        today=clock.local_today(timezone),
        now=clock.now(),
    )
    suffix = f"{year}" if month is None else f"{year}-{month:02d}"
    return negotiated(document, request, f"information-requests-{suffix}.csv", response)


@router.get(
    "/participation",
    summary="E-participation statistics",
    dependencies=[PublicAccess],
    response_model=ParticipationStatistics,
    responses=csv_alternative(
        "figure,group,value,suppressed\r\nconsultations_held,,12,false\r\n"
        "submissions_by_channel,tafaul,310,false\r\nsubmissions_by_channel,email,,true\r\n"
    ),
)
async def get_participation_statistics(
    request: Request,
    session: SessionDep,
    timezone: Timezone,
    response: Response,
    year: Year,
) -> ParticipationStatistics | Response:
    """Consultations, input by channel and topic, feedback timeliness in a year; datasets now."""
    document = await participation_statistics.participation_statistics(
        session,
        period=period_of(year, None, timezone),
        today=clock.local_today(timezone),
        now=clock.now(),
        timezone=timezone,
    )
    return negotiated(document, request, f"participation-{year}.csv", response)


def negotiated(
    document: Document, request: Request, filename: str, response: Response
) -> Document | Response:
    """CSV when the caller prefers it to JSON; JSON otherwise (also for ``*/*`` or no Accept)."""
    if prefers_csv(request.headers.get("accept")):
        return Response(
            to_csv(document).encode("utf-8"),
            media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Vary": "Accept"},
        )
    response.headers["Vary"] = "Accept"
    return document


def prefers_csv(accept: str | None) -> bool:
    """Whether the Accept header weighs text/csv above JSON (a tie keeps the JSON default)."""
    ranges = _media_ranges(accept or "")
    csv_quality = _quality(ranges, CSV_MEDIA_TYPE)
    return csv_quality > 0 and csv_quality > _quality(ranges, JSON_MEDIA_TYPE)


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range:
            ranges.append((media_range.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The weight of the most specific range matching the type (RFC 9110 section 12.5.1)."""
    kind = media_type.partition("/")[0]
    specificity = {media_type: 3, f"{kind}/*": 2, "*/*": 1}
    best = (0, 0.0)
    for media_range, quality in ranges:
        rank = specificity.get(media_range, 0)
        if rank > best[0]:
            best = (rank, quality)
    return best[1]
