"""A beneficiary's rights over their personal data: who read it, everything held, erasure.

Items belong to a person through one owner column per table (``submitter_sub``, ...). Audit
events name their item by ``entity_type`` (the table) and ``entity_id`` (the id as text), so the
access log and the histories are found by matching events to the caller's items inside SQL, one
query for all items, never one per item.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    delete,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.core import clock
from app.core.crypto import PersonalDataCipher
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Principal, Role
from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.consultation import PollAnswer, PollQuestion, PollResponse
from app.models.idempotency_key import IdempotencyKey
from app.models.information_request import Clarification, InformationRequest
from app.models.submission import Submission
from app.services import (
    appeal_decisions,
    audit,
    notifications,
    request_handling,
    submission_workflow,
)

EXPORTED = "personal_data.exported"
ERASED = "personal_data.erased"
PSEUDONYM_PREFIX = "erased:"
# Fixed forever: the same sub always maps to the same data-subject id in the audit trail.
_SUBJECT_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4b8e-9a57-2f0d3c9b7e41")
_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
Row = TypeVar("Row")
Key = TypeVar("Key")


class UuidText(FunctionElement[str]):
    """A UUID column as audit events store ids (``str(uuid)``: lower-case hex with hyphens)."""

    type = String()
    name = "uuid_text"
    inherit_cache = True


@compiles(UuidText)
def _uuid_text(element: UuidText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(UuidText, "sqlite")
def _uuid_text_sqlite(element: UuidText, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UUIDs as 32 hex digits: put the hyphens back where str(UUID) has them.
    column = compiler.process(element.clauses, **kw)
    return " || '-' || ".join(f"substr({column}, {start}, {size})" for start, size in _UUID_GROUPS)


@dataclass(frozen=True, slots=True)
class OwnedKind:
    """One table of items a person owns: the owner column, the encrypted personal data, and how
    the item's history is shown to its owner (the roles its officers act under)."""

    name: str  # the table's name, which is also the items' audit entity type
    model: type[Any]
    owner: InstrumentedAttribute[Any]
    personal: tuple[str, ...]
    precedence: tuple[Role, ...]
    staff_details: frozenset[str] = frozenset()

    @property
    def table(self) -> Table:
        table = self.model.__table__
        assert isinstance(table, Table)
        return table

    def owned_ids(self, sub: str) -> Select[str]:
        return select(UuidText(self.model.id)).where(self.owner == sub)

    def events_on_owned(self, sub: str) -> ColumnElement[bool]:
        """Audit events about any of ``sub``'s items of this kind (a semi-join, not a list)."""
        return and_(
            AuditEvent.entity_type == self.name, AuditEvent.entity_id.in_(self.owned_ids(sub))
        )


SUBMISSIONS = OwnedKind(
    "submissions",
    Submission,
    Submission.submitter_sub,
    tuple(Submission.PERSONAL_DATA.values()),
    submission_workflow.ROLE_PRECEDENCE,
)
INFORMATION_REQUESTS = OwnedKind(
    "information_requests",
    InformationRequest,
    InformationRequest.requester_sub,
    tuple(InformationRequest.PERSONAL_DATA.values()),
    request_handling.ROLE_PRECEDENCE,
    request_handling.STAFF_DETAILS,
)
APPEALS = OwnedKind("appeals", Appeal, Appeal.appellant_sub, (), appeal_decisions.ROLE_PRECEDENCE)
POLL_RESPONSES = OwnedKind(
    "poll_responses",
    PollResponse,
    PollResponse.respondent_sub,
    (),
    submission_workflow.ROLE_PRECEDENCE,
)
KINDS = (SUBMISSIONS, INFORMATION_REQUESTS, APPEALS, POLL_RESPONSES)


@dataclass(slots=True)
class DataSubject:
    """The person an export or an erasure is about, as an audit entity.

    Its id is derived from the sub, so one person's requests line up in the audit log; erasure
    moves those events to the pseudonym's id.
    """

    __audit_name__: ClassVar[str] = "data_subject"
    id: uuid.UUID

    @classmethod
    def of(cls, sub: str) -> "DataSubject":
        return cls(uuid.uuid5(_SUBJECT_NAMESPACE, sub))


# -- who read my personal data -------------------------------------------------------------------

# The audited reads of personal data, and the kind of item each names.
READS: dict[str, OwnedKind] = {
    "submission.personal_data_read": SUBMISSIONS,
    "information_request.personal_data_read": INFORMATION_REQUESTS,
}
_BY_NAME = {kind.name: kind for kind in KINDS}


@dataclass(frozen=True, slots=True)
class Access:
    """One officer's read, as its data subject may see it: the reader's role, not their id."""

    occurred_at: datetime
    kind: OwnedKind
    item_id: uuid.UUID
    reference: str
    fields: list[str]
    route: str | None
    reader_role: str


async def access_log(
    session: AsyncSession, principal: Principal, *, page: PageParams
) -> tuple[list[Access], str | None]:
    """Officers' reads of the caller's personal data, newest first.

    Driven from the caller's own items (their owner index), each joined to its events through
    the entity index: a filter over the whole audit log would read all of it for a caller whom
    nobody has read.
    """
    reads = union_all(
        *(
            select(AuditEvent.id)
            .join(kind.model, AuditEvent.entity_id == UuidText(kind.model.id))
            .where(
                kind.owner == principal.sub,
                AuditEvent.entity_type == kind.name,
                AuditEvent.action == action,
            )
            for action, kind in READS.items()
        )
    ).subquery()
    statement = select(AuditEvent).where(AuditEvent.id.in_(select(reads.c.id)))
    keys = [SortKey(AuditEvent.occurred_at, True), SortKey(AuditEvent.id, True)]
    events, cursor = await paginate(session, statement, keys=keys, page=page)
    references = await _references(session, events)
    return [_access(event, references) for event in events], cursor


async def _references(
    session: AsyncSession, events: Sequence[AuditEvent]
) -> dict[tuple[str, str], str]:
    """The page's items' references: one query per kind of item on the page."""
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for event in events:
        wanted[event.entity_type].add(uuid.UUID(event.entity_id))
    references: dict[tuple[str, str], str] = {}
    for name, ids in wanted.items():
        model = _BY_NAME[name].model
        rows = await session.execute(select(model.id, model.reference).where(model.id.in_(ids)))
        references |= {(name, str(item_id)): reference for item_id, reference in rows}
    return references


def _access(event: AuditEvent, references: Mapping[tuple[str, str], str]) -> Access:
    kind = _BY_NAME[event.entity_type]
    route = event.details.get("route")
    return Access(
        occurred_at=event.occurred_at,
        kind=kind,
        item_id=uuid.UUID(event.entity_id),
        reference=references[(event.entity_type, event.entity_id)],
        fields=[str(name) for name in event.details.get("fields", [])],
        route=route if isinstance(route, str) else None,
        reader_role=audit.actor_role(event, kind.precedence),
    )


# -- everything held about me --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    """Everything held about one person, read in one query per table."""

    submissions: Sequence[Submission]
    poll_responses: Sequence[PollResponse]
    poll_answers: Mapping[uuid.UUID, Sequence[PollAnswer]]
    information_requests: Sequence[InformationRequest]
    clarifications: Mapping[uuid.UUID, Sequence[Clarification]]
    appeals: Sequence[Appeal]
    # Decrypted personal data by item id, e.g. {"contact": {...}, "source_handle": {...}}.
    personal: Mapping[uuid.UUID, Mapping[str, dict[str, Any]]]
    histories: Mapping[tuple[str, str], Sequence[AuditEvent]]

    def history(self, kind: OwnedKind, item_id: uuid.UUID) -> Sequence[AuditEvent]:
        return self.histories.get((kind.name, str(item_id)), ())

    def counts(self) -> dict[str, int]:
        return {
            SUBMISSIONS.name: len(self.submissions),
            INFORMATION_REQUESTS.name: len(self.information_requests),
            APPEALS.name: len(self.appeals),
            POLL_RESPONSES.name: len(self.poll_responses),
        }


async def export(session: AsyncSession, principal: Principal, cipher: PersonalDataCipher) -> Held:
    """Everything held about the caller, decrypted for them; the export itself is audited."""
    sub = principal.sub
    submissions = await _owned(session, SUBMISSIONS, sub, Submission.received_at)
    requests = await _owned(session, INFORMATION_REQUESTS, sub, InformationRequest.received_at)
    held = Held(
        submissions=submissions,
        poll_responses=await _owned(session, POLL_RESPONSES, sub, PollResponse.submitted_at),
        poll_answers=await _poll_answers(session, sub),
        information_requests=requests,
        clarifications=await _clarifications(session, sub),
        appeals=await _owned(session, APPEALS, sub, Appeal.received_at),
        personal=_decrypted(cipher, SUBMISSIONS, submissions)
        | _decrypted(cipher, INFORMATION_REQUESTS, requests),
        histories=await _histories(session, sub),
    )
    await audit.record(session, principal, EXPORTED, DataSubject.of(sub), details=held.counts())
    return held


async def _owned(
    session: AsyncSession, kind: OwnedKind, sub: str, oldest_first: InstrumentedAttribute[Any]
) -> list[Any]:
    statement = select(kind.model).where(kind.owner == sub).order_by(oldest_first, kind.model.id)
    return list((await session.scalars(statement)).all())


async def _poll_answers(session: AsyncSession, sub: str) -> dict[uuid.UUID, list[PollAnswer]]:
    own_responses = select(PollResponse.id).where(PollResponse.respondent_sub == sub)
    statement = (
        select(PollAnswer)
        .join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
        .where(PollAnswer.response_id.in_(own_responses))
        .order_by(PollAnswer.response_id, PollQuestion.position, PollAnswer.option_id)
    )
    return _grouped(await session.scalars(statement), lambda answer: answer.response_id)


async def _clarifications(session: AsyncSession, sub: str) -> dict[uuid.UUID, list[Clarification]]:
    own_requests = select(InformationRequest.id).where(InformationRequest.requester_sub == sub)
    statement = (
        select(Clarification)
        .where(Clarification.request_id.in_(own_requests))
        .order_by(Clarification.asked_at, Clarification.id)
    )
    return _grouped(await session.scalars(statement), lambda item: item.request_id)


async def _histories(session: AsyncSession, sub: str) -> dict[tuple[str, str], list[AuditEvent]]:
    """Every event about every one of the caller's items, in one query, oldest first."""
    statement = (
        select(AuditEvent)
        .where(or_(*(kind.events_on_owned(sub) for kind in KINDS)))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    events = await session.scalars(statement)
    return _grouped(events, lambda event: (event.entity_type, event.entity_id))


def _grouped(rows: Iterable[Row], key: Callable[[Row], Key]) -> dict[Key, list[Row]]:
    groups: dict[Key, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return dict(groups)


def _decrypted(
    cipher: PersonalDataCipher, kind: OwnedKind, rows: Sequence[Any]
) -> dict[uuid.UUID, dict[str, dict[str, Any]]]:
    """``{item id: {"contact": {...}, ...}}`` for the items that hold personal data."""
    personal = {}
    for row in rows:
        tokens = {column: getattr(row, column) for column in kind.personal}
        values = {
            column.removesuffix("_encrypted"): cipher.decrypt(token)
            for column, token in tokens.items()
            if token is not None
        }
        if values:
            personal[row.id] = values
    return personal


# -- erasure -------------------------------------------------------------------------------------


async def erase(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Detach every item from the caller, in the caller's one transaction; counts per kind.

    Encrypted personal data is set to NULL and the owner's sub becomes one random pseudonym on
    all their items, so records, decisions, counts and statistics stay whole but no longer point
    to the person. Their own acts in the audit trail move to the pseudonym too; officers' acts
    keep their actors. Nothing links the pseudonym back to the sub, so a second call finds
    nothing.
    """
    pseudonym_id = uuid.uuid4()
    pseudonym = Principal(
        sub=f"{PSEUDONYM_PREFIX}{pseudonym_id}", roles=frozenset({Role.BENEFICIARY})
    )
    detached = {
        kind.name: await _detach(session, kind, principal.sub, pseudonym.sub) for kind in KINDS
    }
    await _pseudonymise_audit_trail(session, principal.sub, pseudonym.sub, pseudonym_id)
    # Their inbox goes; events about their items name the pseudonym, as the audit trail does.
    await notifications.erase(session, sub=principal.sub, pseudonym=pseudonym.sub)
    # Stored first responses for retries name the caller and their items' ids.
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.caller == principal.sub))
    # Each item's history says why its contact is gone and its owner no longer answers.
    reason = {"reason": "data_subject_request"}
    for name, ids in detached.items():
        changes = [(str(item_id), reason) for item_id in ids]
        await audit.record_many(session, pseudonym, ERASED, name, changes)
    counts = {name: len(ids) for name, ids in detached.items()}
    await audit.record(session, pseudonym, ERASED, DataSubject(pseudonym_id), details=counts)
    return counts


async def _detach(
    session: AsyncSession, kind: OwnedKind, sub: str, pseudonym: str
) -> list[uuid.UUID]:
    table = kind.table
    values: dict[str, Any] = {column: None for column in kind.personal}
    values[kind.owner.key] = pseudonym
    if "version" in table.c:
        # What the record holds changed: an ETag taken before no longer matches.
        values |= {"version": table.c.version + 1, "updated_at": clock.now()}
    statement = (
        update(table).where(table.c[kind.owner.key] == sub).values(values).returning(table.c.id)
    )
    return list((await session.scalars(statement)).all())


async def _pseudonymise_audit_trail(
    session: AsyncSession, sub: str, pseudonym: str, pseudonym_id: uuid.UUID
) -> None:
    """The person's acts on their (now detached) items and their earlier exports and erasures
    name the pseudonym from now on; the events keep their ids and everything else."""
    on_items = or_(*(kind.events_on_owned(pseudonym) for kind in KINDS))
    own_acts = update(AuditEvent).where(AuditEvent.actor_sub == sub, on_items)
    await session.execute(
        own_acts.values(actor_sub=pseudonym).execution_options(synchronize_session=False)
    )
    subject = update(AuditEvent).where(
        AuditEvent.entity_type == DataSubject.__audit_name__,
        AuditEvent.entity_id == str(DataSubject.of(sub).id),
    )
    await session.execute(
        subject.values(actor_sub=pseudonym, entity_id=str(pseudonym_id)).execution_options(
            synchronize_session=False
        )
    )
