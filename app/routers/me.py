"""The caller's own account: who they are, who read their personal data, everything held about
them, and erasure."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from app.core import clock
from app.core.openapi import operation_id
from app.core.pagination import PageParams, page_params
from app.core.security import Permission, Principal
from app.dependencies import CipherDep, PrincipalDep, SessionDep, require
from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.consultation import PollAnswer, PollResponse
from app.models.information_request import InformationRequest
from app.models.submission import Submission
from app.schemas.common import Page, Schema
from app.schemas.history import History, HistoryEvent
from app.schemas.me import (
    AccessedItem,
    AccessLogEntry,
    DataExport,
    ErasureCounts,
    ExportedAppeal,
    ExportedClarification,
    ExportedInformationRequest,
    ExportedPollResponse,
    ExportedSubmission,
    ItemType,
    MeRead,
)
from app.schemas.polls import AnswerRead
from app.schemas.problems import problem_responses
from app.schemas.submissions import ContactRead
from app.services import personal_data
from app.services.personal_data import Access, Held, OwnedKind

router = APIRouter(
    generate_unique_id_function=operation_id,
    prefix="/v1/me",
    tags=["me"],
    responses=problem_responses(401),
)
CanManageOwnPersonalData = Annotated[
    Principal, Depends(require(Permission.PERSONAL_DATA_MANAGE_OWN))
]
PRIVATE = "no-store"  # personal data: never kept by browsers or shared caches


@router.get("", summary="Who am I")
async def get_me(principal: PrincipalDep) -> MeRead:
    """Return the caller's sub, roles and effective permissions (any authenticated caller)."""
    return MeRead(
        sub=principal.sub,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
        name=principal.name,
        email=principal.email,
        beneficiary_category=principal.beneficiary_category,
        locale=principal.locale,
    )


@router.get(
    "/access-log",
    summary="Who read my personal data",
    responses=problem_responses(400, 403, 422),
)
async def get_my_access_log(
    session: SessionDep,
    principal: CanManageOwnPersonalData,
    page: Annotated[PageParams, Depends(page_params)],
    response: Response,
) -> Page[AccessLogEntry]:
    """List officers' reads of your contact details, newest first: when, which item, what,
    through which route, and the reader's role."""
    accesses, cursor = await personal_data.access_log(session, principal, page=page)
    response.headers["Cache-Control"] = PRIVATE
    return Page[AccessLogEntry](items=[_entry(access) for access in accesses], next_cursor=cursor)


@router.get("/data", summary="Export my data", responses=problem_responses(403))
async def export_my_data(
    session: SessionDep, principal: CanManageOwnPersonalData, cipher: CipherDep, response: Response
) -> DataExport:
    """Everything held about you: submissions and requests with your contact details, poll
    answers, appeals, and each item's history; the export is audited."""
    held = await personal_data.export(session, principal, cipher)
    response.headers["Cache-Control"] = PRIVATE
    return DataExport(
        sub=principal.sub,
        exported_at=clock.now(),
        submissions=[_submission(row, held) for row in held.submissions],
        poll_responses=[_poll_response(row, held) for row in held.poll_responses],
        information_requests=[_request(row, held) for row in held.information_requests],
        appeals=[_appeal(row, held) for row in held.appeals],
    )


@router.delete("/personal-data", summary="Erase my personal data", responses=problem_responses(403))
async def erase_my_personal_data(
    session: SessionDep, principal: CanManageOwnPersonalData
) -> ErasureCounts:
    """Erase your contact details and detach every item from you, for good.

    The records stay (decisions, counts and statistics are unchanged) under a random pseudonym;
    you can no longer read, withdraw or follow them, and officers can no longer reach you about
    open ones. A second call finds nothing.
    """
    return ErasureCounts(**await personal_data.erase(session, principal))


# -- shaping -------------------------------------------------------------------------------------

_ITEM_TYPES = {
    personal_data.SUBMISSIONS.name: ItemType.SUBMISSION,
    personal_data.INFORMATION_REQUESTS.name: ItemType.INFORMATION_REQUEST,
}


def _entry(access: Access) -> AccessLogEntry:
    return AccessLogEntry(
        occurred_at=access.occurred_at,
        item=AccessedItem(
            type=_ITEM_TYPES[access.kind.name], id=access.item_id, reference=access.reference
        ),
        fields=access.fields,
        route=access.route,
        reader_role=access.reader_role,
    )


def _columns(row: Any, schema: type[Schema]) -> dict[str, Any]:
    """The row's stored columns the export schema shows under the same name."""
    stored = row.__table__.c
    return {name: getattr(row, name) for name in schema.model_fields if name in stored}


def _history(held: Held, kind: OwnedKind, row: Any) -> list[HistoryEvent]:
    events: Sequence[AuditEvent] = held.history(kind, row.id)
    return History.of(
        events, staff=False, precedence=kind.precedence, staff_details=kind.staff_details
    ).items


def _contact(held: Held, row: Any) -> ContactRead | None:
    contact = held.personal.get(row.id, {}).get("contact")
    return ContactRead.model_validate(contact) if contact else None


def _submission(row: Submission, held: Held) -> ExportedSubmission:
    handle = held.personal.get(row.id, {}).get("source_handle")
    return ExportedSubmission(
        **_columns(row, ExportedSubmission),
        contact=_contact(held, row),
        source_handle=handle["handle"] if handle else None,
        history=_history(held, personal_data.SUBMISSIONS, row),
    )


def _poll_response(row: PollResponse, held: Held) -> ExportedPollResponse:
    return ExportedPollResponse(
        **_columns(row, ExportedPollResponse),
        answers=_answers(held.poll_answers.get(row.id, ())),
        history=_history(held, personal_data.POLL_RESPONSES, row),
    )


def _answers(rows: Sequence[PollAnswer]) -> list[AnswerRead]:
    """One answer per question; a multiple choice's options gathered into one list."""
    grouped: dict[Any, AnswerRead] = {}
    for row in rows:
        answer = grouped.setdefault(row.question_id, AnswerRead(question_id=row.question_id))
        if row.option_id is not None:
            answer.option_ids = [*(answer.option_ids or []), row.option_id]
        answer.rating = row.rating if row.rating is not None else answer.rating
        answer.text = row.text if row.text is not None else answer.text
    return list(grouped.values())


def _request(row: InformationRequest, held: Held) -> ExportedInformationRequest:
    clarifications = held.clarifications.get(row.id, ())
    return ExportedInformationRequest(
        **_columns(row, ExportedInformationRequest),
        links=row.response_links,
        contact=_contact(held, row),
        clarifications=[ExportedClarification.model_validate(item) for item in clarifications],
        history=_history(held, personal_data.INFORMATION_REQUESTS, row),
    )


def _appeal(row: Appeal, held: Held) -> ExportedAppeal:
    return ExportedAppeal(
        **_columns(row, ExportedAppeal), history=_history(held, personal_data.APPEALS, row)
    )
