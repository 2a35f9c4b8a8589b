"""An information request from filing to an upheld appeal, through HTTP, on the test's clock."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.core import clock

Auth = Callable[..., dict[str, str]]
FILED = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # Monday 12:00 in Riyadh, before the cut-off
REQUEST = {
    "subject": "Budget of the Abha parks programme",
    "description": "Please share the approved budget and timeline of the parks programme.",
    "category": "development_plans",
    "contact": {"email": "requester@example.sa"},
}


class Office:
    def __init__(self, client: httpx.AsyncClient, auth: Auth) -> None:
        self.client = client
        self.requester = auth("citizen-4", "beneficiary")
        self.stranger = auth("citizen-5", "beneficiary")
        self.handler = auth("info-officer-1", "information_officer")
        self.handler_as_appeals = auth("info-officer-1", "appeals_officer")
        self.appeals = auth("appeals-officer-2", "appeals_officer")

    async def call(
        self, method: str, path: str, headers: dict[str, str], expect: int, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == expect, response.text
        return response.json() if response.content else {}


async def test_refused_request_is_appealed_upheld_reopened_and_answered(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: clock.FrozenClock
) -> None:
    frozen_clock.set(FILED)
    office = Office(client, auth)
    receipt = await office.call(
        "POST", "/v1/information-requests", office.requester, 201, json=REQUEST
    )
    rid = receipt["id"]
    assert receipt["reference"].startswith("IR-2026-")
    assert (receipt["start_date"], receipt["due_date"]) == ("2026-05-04", "2026-05-18")
    await office.call("GET", f"/v1/information-requests/{rid}", office.stranger, 404)

    base = f"/v1/information-requests/{rid}"
    await office.call("POST", f"{base}/start", office.handler, 200)
    unjustified = {"outcome": "refused", "response": {"ar": "مرفوض", "en": "Refused"}}
    refused = await client.post(f"{base}/response", headers=office.handler, json=unjustified)
    assert refused.json()["code"] == "legal_ground_required"
    frozen_clock.advance(timedelta(days=2))
    refusal = unjustified | {
        "legal_grounds": [{"ground": "classified_record"}],
        "explanation": {"ar": "الميزانية مصنفة سرية", "en": "The budget is a classified record"},
    }
    decided = await office.call("POST", f"{base}/response", office.handler, 200, json=refusal)
    assert decided["status"] == "refused"

    appeal_body = {"ground": "refusal", "statement": "The budget was announced publicly."}
    await office.call("POST", f"{base}/appeals", office.stranger, 404, json=appeal_body)
    appeal = await office.call("POST", f"{base}/appeals", office.requester, 201, json=appeal_body)
    assert appeal["reference"].startswith("AP-2026-")
    again = await client.post(f"{base}/appeals", headers=office.requester, json=appeal_body)
    assert (again.json()["code"], again.json()["reason"]) == (
        "appeal_not_eligible",
        "appeal_already_open",
    )

    path = f"/v1/appeals/{appeal['id']}"
    conflicted = await client.post(f"{path}/review", headers=office.handler_as_appeals)
    assert conflicted.json()["code"] == "conflict_of_interest"
    await office.call("POST", f"{path}/review", office.appeals, 200)
    frozen_clock.set(datetime(2026, 5, 14, 13, 0, tzinfo=UTC))  # Thursday 16:00, after cut-off
    upheld = {"outcome": "upheld", "reasoning": {"ar": "الميزانية معلنة", "en": "It is public"}}
    await office.call("POST", f"{path}/decision", office.appeals, 200, json=upheld)

    reopened = await office.call("GET", base, office.requester, 200)
    assert reopened["status"] == "in_progress"
    assert reopened["clock_origin"] == "reopened"
    assert reopened["due_date"] == "2026-05-31"  # counted from Sunday 17 May: 10 working days
    answer = {"outcome": "answered", "response": {"ar": "مرفق الميزانية", "en": "Budget attached"}}
    await office.call("POST", f"{base}/response", office.handler, 200, json=answer)
    final = await office.call("GET", base, office.requester, 200)
    assert final["status"] == "answered"
    events = await office.call("GET", f"{base}/deadline", office.requester, 200)
    assert "reopened" in str(events)
    await office.call("GET", f"{base}/deadline", office.stranger, 404)
    await office.call("GET", f"{path}/history", office.stranger, 404)
