"""The calendar through HTTP: public reads, explained deadlines, admin edits."""

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.services import calendar as calendar_service
from app.services.calendar import CalendarRules
from tests.conftest import client_for

Auth = Callable[..., dict[str, str]]
EN = {"Accept-Language": "en"}
EID_BREAK = {
    "start_date": "2026-03-18",
    "end_date": "2026-03-24",
    "name": {"ar": "إجازة عيد الفطر", "en": "Eid al-Fitr break"},
    "source_reference": "Civil service announcement 1447/9/20",
}


@pytest.fixture
async def seeded(database: Database, settings: Settings) -> None:
    async with database.sessions() as session:
        await calendar_service.seed_baseline(
            session, CalendarRules.from_settings(settings), [2026, 2027]
        )
        await session.commit()


async def test_calendar_states_its_rules(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/calendar")).json()
    assert body["weekend"] == ["friday", "saturday"]
    assert body["working_day_cutoff"] == "15:00"
    assert body["timezone"] == "Asia/Riyadh"


async def test_holidays_of_a_year_are_listed_one_row_per_date(
    client: httpx.AsyncClient, seeded: None
) -> None:
    body = (await client.get("/v1/calendar/holidays?year=2026&limit=100")).json()
    dates = [item["date"] for item in body["items"]]
    assert dates == sorted(dates)
    assert all(day.startswith("2026-") for day in dates)
    assert {"2026-02-22", "2026-03-20", "2026-09-23"} <= set(dates)
    eid = next(item for item in body["items"] if item["date"] == "2026-03-20")
    assert eid["date_hijri"] == "1447-10-01"
    assert eid["source"] == "baseline"
    assert eid["estimated"] is True
    assert eid["confirmed"] is False


async def test_holiday_pages_follow_the_cursor(client: httpx.AsyncClient, seeded: None) -> None:
    first = (await client.get("/v1/calendar/holidays?year=2026&limit=5")).json()
    second = (
        await client.get(f"/v1/calendar/holidays?year=2026&limit=5&cursor={first['next_cursor']}")
    ).json()
    assert len(first["items"]) == 5
    assert first["items"][-1]["date"] < second["items"][0]["date"]


@pytest.mark.parametrize(
    ("day", "working", "reason"),
    [
        ("2026-03-22", False, "holiday"),
        ("2026-03-27", False, "weekend"),
        ("2026-03-29", True, None),
    ],
)
async def test_a_day_says_whether_it_is_worked_and_why(
    client: httpx.AsyncClient, seeded: None, day: str, working: bool, reason: str | None
) -> None:
    body = (await client.get(f"/v1/calendar/days/{day}")).json()
    assert (body["working_day"], body["reason"]) == (working, reason)
    assert body["date_hijri"].startswith("1447-")
    assert (body["holiday"] is not None) == (reason == "holiday")


async def test_dates_outside_the_hijri_range_are_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/calendar/days/2099-01-01", headers=EN)
    assert response.status_code == 422
    assert response.json()["code"] == "date_out_of_range"
    assert "2099-01-01" in response.json()["detail"]


async def test_working_days_count_states_both_ends(client: httpx.AsyncClient) -> None:
    body = (
        await client.get("/v1/calendar/working-days?start=2026-04-05&end=2026-04-12")
    ).json()  # Sunday to the next Sunday, no holidays
    assert body["working_days"] == 5
    assert (body["includes_start"], body["includes_end"]) == (False, True)


async def deadline(client: httpx.AsyncClient, received_at: str, days: int = 10) -> dict:  # type: ignore[type-arg]
    params = {"received_at": received_at, "working_days": days}
    response = await client.get("/v1/calendar/deadline", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_thursday_before_the_cutoff_counts_from_thursday(client: httpx.AsyncClient) -> None:
    body = await deadline(client, "2026-04-09T11:59:00Z", days=1)  # 14:59 in Riyadh
    assert body["start_date"] == "2026-04-09"
    assert body["due_date"] == "2026-04-12"  # Sunday: Friday and Saturday skipped
    assert body["due_at"] == "2026-04-12T23:59:59.999999+03:00"


async def test_thursday_after_the_cutoff_counts_from_sunday(client: httpx.AsyncClient) -> None:
    body = await deadline(client, "2026-04-09T12:00:00Z", days=1)  # 15:00 in Riyadh
    assert body["start_date"] == "2026-04-12"
    assert body["due_date"] == "2026-04-13"


async def test_deadline_ledger_explains_the_eid_break(
    client: httpx.AsyncClient, seeded: None
) -> None:
    body = await deadline(client, "2026-03-15T08:00:00+03:00", days=10)
    ledger = body["ledger"]
    assert ledger[0]["date"] == body["start_date"] == "2026-03-15"
    assert ledger[-1]["date"] == body["due_date"]
    assert sum(entry["counted"] for entry in ledger) == 10
    eid = next(entry for entry in ledger if entry["date"] == "2026-03-22")
    assert (eid["counted"], eid["reason"]) == (False, "holiday")
    assert eid["holiday_name"]["en"].startswith("Eid al-Fitr")
    assert body["estimated"] is True, "the baseline Eid dates are unconfirmed estimates"
    assert body["due_date_hijri"] == ledger[-1]["date_hijri"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"received_at": "2026-04-09T11:00:00", "working_days": 10}, "query.received_at"),
        ({"received_at": "2026-04-09T11:00:00Z", "working_days": 0}, "query.working_days"),
        ({"received_at": "2026-04-09T11:00:00Z", "working_days": 366}, "query.working_days"),
        ({"received_at": "yesterday", "working_days": 10}, "query.received_at"),
    ],
)
async def test_deadline_input_rules(
    client: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await client.get("/v1/calendar/deadline", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_admin_enters_an_announced_eid_break(
    client: httpx.AsyncClient, seeded: None, auth: Auth
) -> None:
    before = (await client.get("/v1/calendar")).json()["version"]
    response = await client.post(
        "/v1/calendar/holidays", json=EID_BREAK, headers=auth("a1", "admin")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [item["date"] for item in body["items"]][::6] == ["2026-03-18", "2026-03-24"]
    assert len(body["items"]) == 7
    assert all(item["source"] == "official" and item["confirmed"] for item in body["items"])
    assert body["calendar_version"] == before + 1
    day = (await client.get("/v1/calendar/days/2026-03-18")).json()
    assert day["working_day"] is False
    assert day["holiday"]["name"]["en"] == "Eid al-Fitr break"
    assert day["calendar_version"] == before + 1


async def test_overlapping_an_official_holiday_is_409_and_writes_nothing(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    admin = auth("a1", "admin") | EN
    await client.post(
        "/v1/calendar/holidays", json={**EID_BREAK, "end_date": "2026-03-19"}, headers=admin
    )
    version = (await client.get("/v1/calendar")).json()["version"]
    response = await client.post("/v1/calendar/holidays", json=EID_BREAK, headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "holiday_exists"
    assert "2026-03-18" in response.json()["detail"]
    assert (await client.get("/v1/calendar")).json()["version"] == version
    assert (await client.get("/v1/calendar/days/2026-03-24")).json()["working_day"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**EID_BREAK, "end_date": "2026-03-01"}, "invalid_date_range"),
        ({**EID_BREAK, "end_date": "2026-06-30"}, "date_range_too_long"),
        (
            {"date": "2026-05-01", "start_date": "2026-05-01", "name": {"ar": "x"}},
            "validation_failed",
        ),
        ({"date": "2026-05-01", "name": {"en": "no arabic"}}, "validation_failed"),
    ],
)
async def test_bad_holiday_input_is_refused(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, object], code: str
) -> None:
    response = await client.post("/v1/calendar/holidays", json=body, headers=auth("a1", "admin"))
    assert response.status_code == 422
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/calendar/holidays"),
        ("PATCH", "/v1/calendar/holidays/2026-03-20"),
        ("DELETE", "/v1/calendar/holidays/2026-03-20"),
    ],
)
async def test_only_admins_edit_the_calendar(
    client: httpx.AsyncClient, auth: Auth, method: str, path: str
) -> None:
    body = (
        {"date": "2026-03-20", "name": {"ar": "عيد"}} if method == "POST" else {"confirmed": True}
    )
    kwargs = {"json": body} if method != "DELETE" else {}
    anonymous = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert anonymous.status_code == 401
    officer = await client.request(
        method,
        path,
        headers=auth("o1", "information_officer"),
        **kwargs,  # type: ignore[arg-type]
    )
    assert officer.status_code == 403
    assert officer.json()["code"] == "forbidden"


async def test_admin_confirms_an_estimate_with_if_match(
    client: httpx.AsyncClient, seeded: None, auth: Auth
) -> None:
    admin = auth("a1", "admin")
    patch = {"confirmed": True, "source_reference": "Supreme Court moon sighting"}
    stale = await client.patch(
        "/v1/calendar/holidays/2026-03-20", json=patch, headers=admin | {"If-Match": 'W/"7"'}
    )
    assert stale.status_code == 412
    response = await client.patch(
        "/v1/calendar/holidays/2026-03-20", json=patch, headers=admin | {"If-Match": 'W/"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["confirmed"] is True
    assert response.json()["source_reference"] == "Supreme Court moon sighting"
    assert response.headers["etag"] == 'W/"2"'


async def test_patching_a_working_day_is_404(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.patch(
        "/v1/calendar/holidays/2026-04-07", json={"confirmed": True}, headers=auth("a1", "admin")
    )
    assert response.status_code == 404
    assert response.json()["code"] == "holiday_not_found"


async def test_withdrawn_estimate_is_a_working_day_and_seeding_does_not_revive_it(
    client: httpx.AsyncClient, seeded: None, auth: Auth, database: Database, settings: Settings
) -> None:
    response = await client.delete("/v1/calendar/holidays/2026-03-19", headers=auth("a1", "admin"))
    assert response.status_code == 204
    assert (await client.get("/v1/calendar/days/2026-03-19")).json()["working_day"] is True
    async with database.sessions() as session:
        report = await calendar_service.seed_baseline(
            session, CalendarRules.from_settings(settings), [2026, 2027]
        )
        await session.commit()
    assert report.inserted == 0
    assert (await client.get("/v1/calendar/days/2026-03-19")).json()["working_day"] is True


async def test_an_edit_through_one_worker_is_seen_by_another(
    app: FastAPI, settings: Settings, database: Database, auth: Auth
) -> None:
    other_worker = create_app(settings, database=database)
    transports = [httpx.ASGITransport(app=a) for a in (app, other_worker)]
    async with (
        httpx.AsyncClient(transport=transports[0], base_url="http://one") as one,
        httpx.AsyncClient(transport=transports[1], base_url="http://two") as two,
    ):
        before = await deadline(two, "2026-05-10T08:00:00+03:00", days=1)
        assert before["due_date"] == "2026-05-11"
        added = await one.post(
            "/v1/calendar/holidays",
            json={"date": "2026-05-11", "name": {"ar": "إجازة", "en": "Holiday"}},
            headers=auth("a1", "admin"),
        )
        assert added.status_code == 201
        after = await deadline(two, "2026-05-10T08:00:00+03:00", days=1)
    assert after["due_date"] == "2026-05-12"
    assert after["calendar_version"] == before["calendar_version"] + 1


async def test_working_days_with_end_before_start_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/calendar/working-days?start=2026-04-12&end=2026-04-05")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_date_range"


async def test_receipt_on_an_estimated_holiday_makes_the_deadline_estimated(
    client: httpx.AsyncClient, seeded: None
) -> None:
    body = await deadline(client, "2026-03-23T09:00:00+03:00", days=1)  # baseline Eid estimate
    assert body["start_date"] == "2026-03-25"
    assert body["estimated"] is True


async def test_reads_may_lag_another_workers_edit_by_the_read_cache_but_writes_never_do(
    settings: Settings,
    database: Database,
    auth: Auth,
    frozen_clock: clock.FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cached = settings.model_copy(update={"calendar_read_cache_seconds": 5})
    apps = [create_app(cached, database=database) for _ in range(2)]
    monotonic = [1000.0]
    monkeypatch.setattr(calendar_service, "monotonic", lambda: monotonic[0])
    frozen_clock.set(datetime(2026, 5, 10, 5, 0, tzinfo=UTC))  # Sunday 08:00 in Riyadh
    received = "2026-05-10T08:00:00+03:00"
    async with client_for(apps[0]) as one, client_for(apps[1]) as two:
        assert (await deadline(two, received, days=1))["due_date"] == "2026-05-11"
        added = await one.post(
            "/v1/calendar/holidays",
            json={"date": "2026-05-11", "name": {"ar": "إجازة", "en": "Holiday"}},
            headers=auth("a1", "admin"),
        )
        assert added.status_code == 201
        # The editing worker sees its edit at once; the other within the read cache's 5 s.
        assert (await deadline(one, received, days=1))["due_date"] == "2026-05-12"
        assert (await deadline(two, received, days=1))["due_date"] == "2026-05-11"
        # A write on the other worker checks the version: the request's clock counts the holiday.
        filed = await two.post(
            "/v1/information-requests",
            json={"subject": "ميزانية الطرق", "description": "بيان", "category": "open_data"},
            headers=auth("u1", "beneficiary"),
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["due_date"] == "2026-05-25"  # ten working days, the holiday skipped
        monotonic[0] += 5
        assert (await deadline(two, received, days=1))["due_date"] == "2026-05-12"
