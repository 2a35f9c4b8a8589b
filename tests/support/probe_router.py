"""A test-only router that exercises the shared primitives through real HTTP."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from app.core.concurrency import ensure_version, etag
from app.core.errors import Conflict, InvalidTransition, TooManyRequests
from app.core.pagination import PageParams, SortKey, page_params, paginate
from app.dependencies import IdempotencyDep, IfMatch, PrincipalDep, PublicAccess, SessionDep
from app.models.audit_event import AuditEvent
from app.schemas.common import LocalizedText, Page, PlainText
from app.services import audit
from app.services.references import next_reference

router = APIRouter(prefix="/v1/_probe", dependencies=[PublicAccess])


class ThingCreate(BaseModel):
    title: LocalizedText
    label: PlainText
    count: int = Field(ge=1, le=10)


class ThingRead(BaseModel):
    id: uuid.UUID
    reference: str
    label: str


class Thing:
    """Audited like an aggregate, without a table of its own."""

    __audit_name__ = "thing"

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.version = 3


class EventRead(BaseModel):
    model_config = {"from_attributes": True}
    id: uuid.UUID
    action: str
    entity_id: str


@router.post("/things", status_code=201)
async def create_thing(
    body: ThingCreate, session: SessionDep, principal: PrincipalDep, idempotency: IdempotencyDep
) -> Response:
    if (replay := await idempotency.replay()) is not None:
        return replay
    thing = Thing()
    reference = await next_reference(session, "TH")
    await audit.record(session, principal, "thing.created", thing, to_state="created")
    read = ThingRead(id=thing.id, reference=reference, label=body.label)
    return await idempotency.respond(read, headers={"Location": f"/v1/_probe/things/{thing.id}"})


@router.post("/things/fail-after-write", status_code=201)
async def create_then_fail(session: SessionDep, principal: PrincipalDep) -> None:
    await audit.record(session, principal, "thing.created", Thing())
    raise Conflict()


@router.put("/versioned")
async def update_versioned(response: Response, expected: IfMatch) -> dict[str, int]:
    thing = Thing()
    ensure_version(thing, expected)
    response.headers["ETag"] = etag(thing.version)
    return {"version": thing.version}


@router.get("/events")
async def list_events(
    session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[EventRead]:
    from sqlalchemy import select

    items, cursor = await paginate(
        session,
        select(AuditEvent),
        keys=[SortKey(AuditEvent.occurred_at, descending=True), SortKey(AuditEvent.id, True)],
        page=page,
    )
    return Page[EventRead](
        items=[EventRead.model_validate(item) for item in items], next_cursor=cursor
    )


@router.post("/transition")
async def refuse_transition() -> None:
    raise InvalidTransition(from_state="decided", to_state="received")


@router.get("/busy")
async def busy() -> None:
    raise TooManyRequests(headers={"Retry-After": "30"})


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("database password is hunter2")
