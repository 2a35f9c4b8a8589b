"""The integrators' event feed: every change in order, resumable from a cursor."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import StringConstraints

from app.core.openapi import operation_id
from app.dependencies import CanReadEvents, SessionDep
from app.schemas.events import EventFeedPage, EventRead, FeedItem
from app.schemas.problems import Problem, problem_responses
from app.services import event_feed
from app.services.event_feed import KNOWN_TYPES, FeedCursor

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/events",
    tags=["events"],
    responses=problem_responses(401, 403, 422),
)
# The feed moves on with every commit: neither a browser nor a shared cache may keep a page.
NO_STORE = "no-store"
MAX_LIMIT = 100
FEED_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Problem,
        "description": "invalid_cursor: `after` is not a cursor this feed returned; "
        "unknown_event_type: `types` names a type outside the catalogue (the problem's "
        "`known_types` member lists the catalogue).",
    }
}
AfterParam = Annotated[
    str | None,
    Query(
        max_length=1024,
        description="A `cursor` or `next_cursor` this feed returned: events after it. "
        "Absent: from the first event.",
    ),
]
# The whole catalogue, comma-separated, fits in one value with room to spare.
TypesValue = Annotated[str, StringConstraints(max_length=2000)]
TypesParam = Annotated[
    list[TypesValue] | None,
    Query(
        max_length=len(KNOWN_TYPES),
        description="Only these event types: comma-separated and/or repeated. Known types: "
        + ", ".join(KNOWN_TYPES)
        + ". Resume a filtered feed with the same `types`.",
        examples=[["request.answered,request.refused"]],
    ),
]
LimitParam = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description="Events per page (the most a page may carry)."),
]
EventId = Annotated[uuid.UUID, Path(description="The event's id.")]


@router.get("", summary="Read the event feed", responses=FEED_ERRORS)
async def read_event_feed(
    session: SessionDep,
    _caller: CanReadEvents,
    response: Response,
    after: AfterParam = None,
    types: TypesParam = None,
    limit: LimitParam = MAX_LIMIT,
) -> EventFeedPage:
    """Read events in order after a cursor; resume with next_cursor to miss none, repeat none."""
    cursor = FeedCursor.decode(after)
    wanted = event_feed.event_types(_split(types or []))
    page = await event_feed.read_page(session, cursor, types=wanted, limit=limit)
    response.headers["Cache-Control"] = NO_STORE
    return EventFeedPage(
        items=[FeedItem.of(event) for event in page.events],
        next_cursor=page.next_cursor.encode(),
    )


def _split(values: list[str]) -> list[str]:
    """``?types=a,b&types=c`` -> ``[a, b, c]``; blanks from stray commas are dropped."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


@router.get("/{event_id}", summary="Read one event", responses=problem_responses(404))
async def get_event(
    event_id: EventId, session: SessionDep, _caller: CanReadEvents, response: Response
) -> EventRead:
    """Read one event by id (no cursor: it may not have settled into the feed yet)."""
    event = await event_feed.get(session, event_id)
    response.headers["Cache-Control"] = NO_STORE
    return EventRead.of(event)
