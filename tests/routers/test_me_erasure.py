"""Erasure: the items stay on record for decisions and statistics, detached from the person."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, or_, select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.appeal import Appeal
from app.models.audit_event import AuditEvent
from app.models.consultation import PollResponse
from app.models.idempotency_key import IdempotencyKey
from app.models.information_request import InformationRequest
from app.models.submission import Submission
from app.services import personal_data
from tests.routers.test_information_requests import act, file
from tests.routers.test_me_privacy import (
    CONTACT,
    ERASURE,
    INFORMATION_OFFICER,
    OTHER_CONTACT,
    PARTICIPATION_OFFICER,
    Auth,
    Items,
    audit_events,
    file_everything,
    read_as,
)
from tests.routers.test_polls import poll_path
from tests.routers.test_submissions import submission, submit

SARA = "citizen-sara"
COUNTS = {"submissions": 1, "information_requests": 1, "appeals": 1, "poll_responses": 1}
NOTHING = dict.fromkeys(COUNTS, 0)
DECISION = {"disposition": "adopted", "reason": {"ar": "سننفذ المقترح", "en": "We will do it"}}
FEEDBACK = {"summary": {"ar": "شكرًا لمشاركتكم", "en": "Thank you"}, "highlights": []}


async def erase(client: httpx.AsyncClient, auth: Auth, sub: str = SARA) -> Any:
    response = await client.delete(ERASURE, headers=auth(sub, "beneficiary"))
    assert response.status_code == 200, response.text
    return response.json()


async def public_figures(client: httpx.AsyncClient, auth: Auth, items: Items) -> list[Any]:
    """What officers and the public count: feedback dispositions, poll results, statistics."""
    officer = auth(*PARTICIPATION_OFFICER)
    paths = [
        f"/v1/consultations/{items.consultation_id}/feedback",
        poll_path(items.consultation_id, "/results"),
        "/v1/statistics/participation?year=2026",
        "/v1/analytics/channels?from=2026-03-01&to=2026-03-31",
    ]
    return [await read_as(client, officer, path) for path in paths]


async def decided_and_reported(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> Items:
    """Sara's items; her submission adopted and the consultation's feedback published."""
    items = await file_everything(client, auth, database, SARA)
    officer = auth(*PARTICIPATION_OFFICER)
    path = f"/v1/submissions/{items.submission['id']}/decision"
    decided = await client.post(path, json=DECISION, headers=officer)
    assert decided.status_code == 200, decided.text
    frozen_clock.advance(timedelta(days=8))  # the consultation has closed
    feedback = f"/v1/consultations/{items.consultation_id}/feedback"
    assert (await client.put(feedback, json=FEEDBACK, headers=officer)).status_code == 201
    assert (await client.post(f"{feedback}/publish", headers=officer)).status_code == 200
    return items


async def test_erasure_keeps_the_records_and_figures_but_not_the_person(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    items = await decided_and_reported(client, auth, database, frozen_clock)
    before = await public_figures(client, auth, items)
    assert before[0]["disposition_counts"]["adopted"] == 1

    assert await erase(client, auth) == COUNTS

    assert await public_figures(client, auth, items) == before
    officer = auth(*PARTICIPATION_OFFICER)
    kept = await read_as(client, officer, f"/v1/submissions/{items.submission['id']}")
    assert (kept["reference"], kept["status"], kept["disposition"]) == (
        items.submission["reference"],
        "decided",
        "adopted",
    )
    assert (kept["body"], kept["contact"]) == (submission()["body"], None)
    request_path = f"/v1/information-requests/{items.request['id']}"
    request = await read_as(client, auth(*INFORMATION_OFFICER), request_path)
    assert (request["status"], request["contact"]) == ("refused", None)
    appeal = await read_as(
        client, auth("officer-amal", "appeals_officer"), f"/v1/appeals/{items.appeal['id']}"
    )
    assert appeal["status"] == "submitted"


async def test_after_erasure_the_owner_has_no_items_and_old_ids_are_not_found(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    items = await file_everything(client, auth, database, SARA)
    await erase(client, auth)
    sara = auth(SARA, "beneficiary")
    for listing in ("/v1/submissions", "/v1/information-requests", "/v1/appeals"):
        assert (await read_as(client, sara, listing))["items"] == []
    for path in (
        f"/v1/submissions/{items.submission['id']}",
        f"/v1/information-requests/{items.request['id']}",
        f"/v1/appeals/{items.appeal['id']}",
        poll_path(items.consultation_id, "/responses/mine"),
    ):
        assert (await client.get(path, headers=sara)).status_code == 404, path
    export = await read_as(client, sara, "/v1/me/data")
    assert [export[kind] for kind in COUNTS] == [[], [], [], []]
    assert (await read_as(client, sara, "/v1/me/access-log"))["items"] == []


async def test_a_second_erasure_finds_nothing(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    await file_everything(client, auth, database, SARA)
    assert await erase(client, auth) == COUNTS
    assert await erase(client, auth) == NOTHING


async def test_no_row_points_to_the_person_after_erasure(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    await file_everything(client, auth, database, SARA)
    sara = auth(SARA, "beneficiary") | {"Idempotency-Key": "sara-retry-1"}
    assert (
        await client.post("/v1/information-requests", json=_filing(), headers=sara)
    ).status_code == 201
    await client.get("/v1/me/data", headers=auth(SARA, "beneficiary"))
    await erase(client, auth)
    async with database.sessions() as session:
        owners = [
            select(func.count()).where(Submission.submitter_sub == SARA),
            select(func.count()).where(InformationRequest.requester_sub == SARA),
            select(func.count()).where(Appeal.appellant_sub == SARA),
            select(func.count()).where(PollResponse.respondent_sub == SARA),
            select(func.count()).where(AuditEvent.actor_sub == SARA),
            select(func.count()).where(IdempotencyKey.caller == SARA),
        ]
        assert [await session.scalar(statement) for statement in owners] == [0] * 6
        pseudonyms: set[str | None] = set()
        for owner in (
            Submission.submitter_sub,
            InformationRequest.requester_sub,
            Appeal.appellant_sub,
            PollResponse.respondent_sub,
        ):
            pseudonyms |= set(await session.scalars(select(owner).distinct()))
        rows = await session.scalars(
            select(Submission.contact_encrypted).union_all(
                select(InformationRequest.contact_encrypted)
            )
        )
        assert set(rows.all()) == {None}
    [pseudonym] = pseudonyms
    assert pseudonym is not None and pseudonym.startswith(personal_data.PSEUDONYM_PREFIX)
    [summary] = [
        e
        for e in await audit_events(database, "personal_data.erased")
        if e.entity_type == "data_subject"
    ]
    assert (summary.actor_sub, summary.actor_roles) == (pseudonym, ["beneficiary"])
    assert summary.details == COUNTS | {"information_requests": 2}
    [exported] = await audit_events(database, "personal_data.exported")
    assert (exported.actor_sub, exported.entity_id) == (pseudonym, summary.entity_id)


def _filing() -> dict[str, Any]:
    return {
        "subject": "الميزانية",
        "description": "بيان الميزانية",
        "category": "reports_statistics",
    }


async def test_officers_keep_their_names_on_what_they_did(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    items = await file_everything(client, auth, database, SARA)
    await erase(client, auth)
    history = await read_as(
        client,
        auth(*INFORMATION_OFFICER),
        f"/v1/information-requests/{items.request['id']}/history",
    )
    actors = [(event["action"], event["actor"]) for event in history["items"]]
    assert actors[1:3] == [
        ("information_request.started", "officer-huda"),
        ("information_request.clarification_requested", "officer-huda"),
    ]
    assert actors[0][1].startswith("erased:") and actors[-1][0] == "personal_data.erased"
    assert history["items"][-1]["actor_role"] == "beneficiary"
    assert history["items"][-1]["details"] == {"reason": "data_subject_request"}


async def test_an_open_request_is_erased_too_and_its_officer_can_no_longer_reach_the_requester(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    sara = auth(SARA, "beneficiary")
    request = await file(client, sara, contact=CONTACT)
    await erase(client, auth)
    officer = auth(*INFORMATION_OFFICER)
    row = await read_as(client, officer, f"/v1/information-requests/{request['id']}")
    assert (row["status"], row["contact"]) == ("submitted", None)
    assert (await act(client, officer, request["id"], "start")).status_code == 200
    withdrawal = await act(client, sara, request["id"], "withdraw")
    assert withdrawal.status_code == 404


async def test_erasure_leaves_other_people_untouched(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    khalid = auth("citizen-khalid", "beneficiary")
    theirs = await submit(client, khalid, contact=OTHER_CONTACT)
    await submit(client, auth(SARA, "beneficiary"), contact=CONTACT)
    assert (await erase(client, auth))["submissions"] == 1
    read = await read_as(client, khalid, f"/v1/submissions/{theirs['id']}")
    assert read["contact"]["email"] == OTHER_CONTACT["email"]
    assert len((await read_as(client, khalid, "/v1/submissions"))["items"]) == 1


async def test_erasure_is_all_or_nothing(
    client: httpx.AsyncClient, auth: Auth, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = await submit(client, auth(SARA, "beneficiary"), contact=CONTACT)

    async def failing(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(personal_data.audit, "record", failing)
    response = await client.delete(ERASURE, headers=auth(SARA, "beneficiary"))
    assert response.status_code == 500
    monkeypatch.undo()
    read = await read_as(client, auth(SARA, "beneficiary"), f"/v1/submissions/{submission['id']}")
    assert read["contact"]["email"] == CONTACT["email"]
    async with database.sessions() as session:
        count = select(func.count()).where(
            or_(AuditEvent.action == "personal_data.erased", AuditEvent.actor_sub.like("erased:%"))
        )
        assert await session.scalar(count) == 0
