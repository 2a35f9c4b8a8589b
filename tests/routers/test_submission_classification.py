"""Classification at intake: topic, subtopic, confidence and a priority that explains itself."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.models.consultation import PollAnswer
from app.services import classifier
from tests.routers.test_poll_results import KNOWN, seed
from tests.routers.test_submission_workflow import act
from tests.routers.test_submissions import NOW, imported, stored, submit

Auth = Callable[..., dict[str, str]]


async def detail(client: httpx.AsyncClient, headers: dict[str, str], sid: str) -> dict[str, Any]:
    response = await client.get(f"/v1/submissions/{sid}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_dangerous_urgent_complaint_is_p1_with_its_reasons(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    owner = auth("b1", "beneficiary")
    body = "السلام عليكم، فيه حفره كبيره في الطريق العام وخطيره على السيارات، نبي سفلته عاجل"
    receipt = await submit(client, owner, kind="complaint", body=body)
    seen = await detail(client, auth("o1", "participation_officer"), receipt["id"])
    assert (seen["topic"], seen["subtopic"], seen["priority"]) == (
        "strategic_plans_infrastructure",
        "roads_transport",
        "P1",
    )
    classification = seen["classification"]
    assert classification["classifier_version"] == classifier.current().version
    assert 0 < classification["confidence"] <= 1
    reasons = {r["rule"]: r for r in classification["priority_reasons"]}
    assert [r["rule"] for r in classification["priority_reasons"]] == [
        "safety_terms",
        "kind",
        "urgency_terms",
    ]  # strongest first
    assert reasons["safety_terms"]["points"] == 3
    (term,) = reasons["safety_terms"]["evidence"]["terms"]  # "وخطيره", however it was typed
    assert term in {"خطير", "خطيرة"}
    assert reasons["urgency_terms"]["evidence"] == {"terms": ["عاجل"]}
    assert reasons["kind"]["explanation"] == {"ar": "شكوى (+2)", "en": "A complaint (+2)"}
    assert reasons["safety_terms"]["explanation"]["en"] == f"Safety terms: {term} (+3)"
    # The flags analytics counts agree with the evidence rows.
    bits = classifier.RULE_BITS
    expected = bits["safety_terms"] | bits["kind"] | bits["urgency_terms"]
    assert (await stored(database, receipt["id"])).priority_rules == expected


async def test_similar_inputs_in_the_window_raise_the_priority(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    owner = auth("b1", "beneficiary")
    frozen_clock.set(NOW - timedelta(days=8))  # outside the 7-day window of the last one
    await submit(client, owner, kind="complaint", body="الموية مقطوعة عن الحي")
    for day in range(6, 1, -1):  # five inside it
        frozen_clock.set(NOW - timedelta(days=day))
        await submit(client, owner, kind="complaint", body=f"انقطاع المياه لليوم {day}")
    frozen_clock.set(NOW)
    last = await submit(client, owner, kind="complaint", body="ما فيه مياه في البيت")
    seen = await detail(client, owner, last["id"])
    similar = [
        r for r in seen["classification"]["priority_reasons"] if r["rule"] == "similar_inputs"
    ]
    assert similar[0]["evidence"] == {"count": 5, "window_days": 7}
    assert similar[0]["explanation"]["en"] == "5 similar inputs in the previous 7 days (+1)"
    assert seen["priority"] == "P2"  # complaint 2 + similar 1


async def test_an_officer_overrides_the_subtopic_and_its_topic_follows(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    officer = auth("o1", "participation_officer")
    receipt = await submit(client, auth("b1", "beneficiary"))  # about a road
    moved = await act(client, officer, receipt["id"], "classification", {"subtopic": "tourism"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["topic"], body["subtopic"]) == ("development_initiatives", "tourism")
    assert (
        body["classification"]["auto_subtopic"],
        body["classification"]["subtopic_override"],
    ) == (
        "roads_transport",
        "tourism",
    )
    listed = await client.get("/v1/submissions", params={"subtopic": "tourism"}, headers=officer)
    assert [item["id"] for item in listed.json()["items"]] == [receipt["id"]]

    cleared = await act(
        client, officer, receipt["id"], "classification", {"topic": None, "subtopic": None}
    )
    assert (cleared.json()["topic"], cleared.json()["subtopic"]) == (
        "strategic_plans_infrastructure",
        "roads_transport",
    )


async def test_a_subtopic_of_another_topic_is_refused(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    officer = auth("o1", "participation_officer")
    receipt = await submit(client, auth("b1", "beneficiary"))
    change = {"topic": "government_services", "subtopic": "tourism"}
    refused = await act(client, officer, receipt["id"], "classification", change)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "subtopic_outside_topic"
    unknown = await act(client, officer, receipt["id"], "classification", {"subtopic": "moon"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].endswith("subtopic")
    row = await stored(database, receipt["id"])
    assert (row.topic_override, row.subtopic_override, row.version) == (None, None, 1)


async def test_analysts_see_the_classification_but_no_contact(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock
) -> None:
    contact = {"name": "Citizen", "phone": "+966500000000"}
    receipt = await submit(client, auth("b1", "beneficiary"), contact=contact)
    seen = await detail(client, auth("a1", "analyst"), receipt["id"])
    assert seen["contact"] is None
    assert seen["classification"]["auto_subtopic"] == "roads_transport"


async def test_imported_input_is_classified(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    payload = imported(body="The app keeps logging me out of the portal", kind="complaint")
    response = await client.post(
        "/v1/submissions/imports", json=payload, headers=auth("i1", "channel_integrator")
    )
    assert response.status_code == 201, response.text
    row = await stored(database, response.json()["id"])
    assert (row.auto_topic, row.auto_subtopic) == ("government_services", "digital_services")
    assert row.auto_priority == "P3"


async def test_free_text_poll_answers_get_a_topic(
    client: httpx.AsyncClient, auth: Auth, frozen_clock: FrozenClock, database: Database
) -> None:
    await seed(client, auth, database, KNOWN)  # "More shade in the parks", "Fix the roundabout"
    async with database.sessions() as session:
        statement = select(PollAnswer).where(PollAnswer.text.is_not(None))
        answers = (await session.scalars(statement)).all()
    assert sorted((a.topic, a.subtopic) for a in answers) == [
        ("strategic_plans_infrastructure", "environment"),
        ("strategic_plans_infrastructure", "roads_transport"),
    ]
    assert {a.classifier_version for a in answers} == {classifier.current().version}


async def test_the_taxonomy_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/taxonomy")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == classifier.current().version
    assert [t["id"] for t in body["topics"]] == [
        "government_services",
        "development_initiatives",
        "strategic_plans_infrastructure",
        "local_policies_regulations",
    ]
    subtopics = [s["id"] for t in body["topics"] for s in t["subtopics"]]
    assert len(subtopics) == len(set(subtopics)) >= 12
    assert {"roads_transport", "water", "electricity", "health", "education"} <= set(subtopics)
    assert body["priority"]["levels"] == {"P1": 5, "P2": 3, "P3": 2}
    assert "عاجل" in body["priority"]["urgency"]["terms"]
