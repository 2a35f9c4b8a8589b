"""A consultation from creation to published feedback, through HTTP, on the test's clock."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.core import clock

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
OPENS = datetime(2026, 4, 5, 5, 0, tzinfo=UTC)  # Sunday 08:00 in Riyadh
CLOSES = datetime(2026, 4, 19, 20, 59, tzinfo=UTC)  # Sunday 23:59 in Riyadh
CONSULTATION = {
    "title": {"ar": "تطوير الحدائق العامة في أبها", "en": "Improving public parks in Abha"},
    "summary": {"ar": "نستطلع آراءكم حول الحدائق", "en": "Tell us what the parks need"},
    "topic": "development_initiatives",
    "opens_at": OPENS.isoformat(),
    "closes_at": CLOSES.isoformat(),
    "channels": ["website", "mobile_app", "tafaul", "social_media", "email"],
}
POLL = {
    "questions": [
        {
            "kind": "single_choice",
            "prompt": {"ar": "ما أهم أولوية؟", "en": "What matters most?"},
            "options": [
                {"id": "shade", "label": {"ar": "الظل", "en": "Shade"}},
                {"id": "lighting", "label": {"ar": "الإنارة", "en": "Lighting"}},
            ],
        },
        {"kind": "rating", "prompt": {"ar": "قيّم الحدائق الحالية", "en": "Rate the parks"}},
    ]
}


class Emirate:
    """The people in the scenario, each with their own token."""

    def __init__(self, client: httpx.AsyncClient, auth: Auth) -> None:
        self.client = client
        self.officer = auth("officer-1", "participation_officer")
        self.integrator = auth("tafaul-bridge", "channel_integrator")
        self.citizen = auth("citizen-9", "beneficiary")

    async def call(
        self, method: str, path: str, headers: dict[str, str], expect: int, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == expect, response.text
        return response.json() if response.content else {}

    async def status(self, consultation_id: str) -> str:
        body = await self.call("GET", f"/v1/consultations/{consultation_id}", {}, 200)
        return str(body["status"])

    async def open_consultation(self, frozen: clock.FrozenClock) -> str:
        created = await self.call("POST", "/v1/consultations", self.officer, 201, json=CONSULTATION)
        cid = created["id"]
        assert created["reference"].startswith("CON-2026-")
        await self.call("POST", f"/v1/consultations/{cid}/publish", self.officer, 200)
        assert await self.status(cid) == "scheduled"
        poll_path = f"/v1/consultations/{cid}/poll/questions"
        await self.call("PUT", poll_path, self.officer, 200, json=POLL)
        frozen.set(OPENS + timedelta(hours=1))
        assert await self.status(cid) == "open"
        return str(cid)

    async def import_input(
        self, cid: str, channel: str, external_id: str, expect: int = 201
    ) -> str:
        body = {
            "channel": channel,
            "external_id": external_id,
            "received_at": (OPENS + timedelta(minutes=30)).isoformat(),
            "kind": "suggestion",
            "consultation_id": cid,
            "body": f"More shade trees please ({channel})",
        }
        imported = await self.call(
            "POST", "/v1/submissions/imports", self.integrator, expect, json=body
        )
        return str(imported["id"])

    async def decide_all(self, ids: list[str], adopted: str) -> None:
        for submission_id in ids:
            disposition = "adopted" if submission_id == adopted else "not_adopted"
            reason = {"ar": "درسنا المقترح", "en": "We studied it"}
            await self.call(
                "POST",
                f"/v1/submissions/{submission_id}/decision",
                self.officer,
                200,
                json={"disposition": disposition, "reason": reason},
            )


async def gather_input(emirate: Emirate, cid: str) -> tuple[list[str], str]:
    """Three channels imported (one twice) and one submission from the app; returns all ids."""
    imported = [
        await emirate.import_input(cid, "tafaul", "TF-1001"),
        await emirate.import_input(cid, "social_media", "tw-77"),
        await emirate.import_input(cid, "email", "msg-5"),
    ]
    assert await emirate.import_input(cid, "tafaul", "TF-1001", expect=200) == imported[0]
    mine = await emirate.call(
        "POST",
        "/v1/submissions",
        emirate.citizen,
        201,
        json={
            "kind": "suggestion",
            "channel": "mobile_app",
            "consultation_id": cid,
            "body": "Add lighting on the walking track",
            "contact": {"phone": "+966 55 123 4567"},
        },
    )
    assert mine["reference"].startswith("SUB-2026-")
    return [*imported, mine["id"]], str(mine["id"])


async def answer_poll(emirate: Emirate, cid: str) -> None:
    poll = await emirate.call("GET", f"/v1/consultations/{cid}/poll", {}, 200)
    choice, rating = (question["id"] for question in poll["questions"])
    answers = {
        "answers": [
            {"question_id": choice, "option_ids": ["shade"]},
            {"question_id": rating, "rating": 4},
        ]
    }
    path = f"/v1/consultations/{cid}/poll/responses"
    await emirate.call("POST", path, emirate.citizen, 201, json=answers)
    repeat = await emirate.client.post(path, headers=emirate.citizen, json=answers)
    assert repeat.status_code == 409
    assert repeat.json()["code"] == "already_responded"


async def test_consultation_from_creation_to_feedback_published_on_time(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: clock.FrozenClock
) -> None:
    frozen_clock.set(datetime(2026, 4, 1, 6, 0, tzinfo=UTC))
    emirate = Emirate(client, auth)
    cid = await emirate.open_consultation(frozen_clock)
    ids, mine = await gather_input(emirate, cid)
    await answer_poll(emirate, cid)

    frozen_clock.set(CLOSES + timedelta(minutes=1))
    assert await emirate.status(cid) == "closed"
    late = await client.post(
        "/v1/submissions",
        headers=emirate.citizen,
        json={"kind": "comment", "channel": "website", "consultation_id": cid, "body": "late"},
    )
    assert late.json()["code"] == "consultation_not_open"
    results = await emirate.call("GET", f"/v1/consultations/{cid}/poll/results", {}, 200)
    assert results["respondents"] == 1

    feedback = f"/v1/consultations/{cid}/feedback"
    draft = {"summary": {"ar": "سنضيف الإنارة", "en": "Lighting will be added"}}
    await emirate.call("PUT", feedback, emirate.officer, 201, json=draft)
    blocked = await client.post(f"{feedback}/publish", headers=emirate.officer | EN)
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "feedback_incomplete"
    assert "4" in blocked.json()["detail"]

    await emirate.decide_all(ids, adopted=mine)
    excerpt = {"ar": "إنارة المضمار", "en": "Track lighting"}
    report = draft | {"highlights": [{"submission_id": mine, "excerpt": excerpt}]}
    await emirate.call("PUT", feedback, emirate.officer, 200, json=report)
    frozen_clock.advance(timedelta(days=10))
    await emirate.call("POST", f"/v1/consultations/{cid}/feedback/publish", emirate.officer, 200)

    published = await emirate.call("GET", f"/v1/consultations/{cid}/feedback", {}, 200)
    assert published["on_time"] is True
    assert published["disposition_counts"]["adopted"] == 1
    assert published["disposition_counts"]["not_adopted"] == 3
    assert published["disposition_counts"]["total"] == 4
    assert "+966" not in str(published)
    assert await emirate.status(cid) == "feedback_published"
    own = await emirate.call("GET", f"/v1/submissions/{mine}", emirate.citizen, 200)
    assert own["disposition"] == "adopted"
    assert own["decision_reason"]["en"] == "We studied it"


async def test_feedback_published_after_thirty_days_is_marked_late(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: clock.FrozenClock
) -> None:
    frozen_clock.set(datetime(2026, 4, 1, 6, 0, tzinfo=UTC))
    emirate = Emirate(client, auth)
    cid = await emirate.open_consultation(frozen_clock)
    only = await emirate.import_input(cid, "email", "msg-9")
    frozen_clock.set(CLOSES + timedelta(hours=1))
    await emirate.decide_all([only], adopted="")
    report = {"summary": {"ar": "شكرًا لمشاركتكم", "en": "Thank you"}}
    await emirate.call(
        "PUT", f"/v1/consultations/{cid}/feedback", emirate.officer, 201, json=report
    )

    frozen_clock.set(CLOSES + timedelta(days=31))
    consultation = await emirate.call("GET", f"/v1/consultations/{cid}", {}, 200)
    assert consultation["feedback_overdue"] is True
    await emirate.call("POST", f"/v1/consultations/{cid}/feedback/publish", emirate.officer, 200)
    published = await emirate.call("GET", f"/v1/consultations/{cid}/feedback", {}, 200)
    assert published["on_time"] is False
    assert published["published_at"] > published["due_at"]
