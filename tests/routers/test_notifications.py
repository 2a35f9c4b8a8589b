"""The inbox: my notifications only, role notifications read per person, newest-first paging,
marking read, the unread badge, Arabic and English texts with Hijri dates, and erasure."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.clock import FrozenClock
from app.core.db import Database
from app.core.security import Role
from app.models.audit_event import AuditEvent
from app.models.event import Event, Notification, NotificationRead
from app.services import events
from app.services.event_types import EventType
from app.services.personal_data import ERASED
from tests.routers.test_me_privacy import ERASURE
from tests.support.statements import StatementRecorder

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z

Auth = Callable[..., dict[str, str]]
INBOX = "/v1/me/notifications"
REF = "IR-2026-000381"
DUE = {"due_date": "2026-04-02", "due_date_hijri": "1447-10-14"}
OFFICER = Role.INFORMATION_OFFICER


class Request:
    """An item events are about: the outbox needs its id, its version and its table's name."""

    __tablename__ = "information_requests"

    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.version = 2


class Submission(Request):
    __tablename__ = "submissions"


async def notify(
    database: Database,
    event_type: EventType,
    *,
    ref: str = REF,
    owner: str | None = None,
    handler: str | None = None,
    roles: Iterable[Role] = (),
    data: dict[str, Any] | None = None,
    kind: type[Request] = Request,
) -> None:
    """An event, written and committed through the outbox as the services write it."""
    async with database.sessions() as session:
        await events.emit(
            session,
            event_type,
            kind(),
            reference=ref,
            owner=owner,
            handler=handler,
            roles=roles,
            data=data or {},
        )
        await session.commit()


async def received(database: Database, owner: str, count: int, clock: FrozenClock) -> None:
    """``count`` request receipts for ``owner``, a minute apart (IR-2026-000001 the oldest)."""
    for number in range(1, count + 1):
        await notify(database, EventType.REQUEST_RECEIVED, ref=f"IR-2026-{number:06d}", owner=owner)
        clock.advance(timedelta(minutes=1))


async def inbox(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(INBOX, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


async def references(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[str]:
    return [item["reference"] for item in (await inbox(client, headers, **params))["items"]]


async def walk(client: httpx.AsyncClient, headers: dict[str, str], limit: int) -> list[str]:
    """Every page in turn, following next_cursor; the references in the order received."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = await inbox(client, headers, **params)
        seen += [item["reference"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            return seen


async def mark_read(client: httpx.AsyncClient, headers: dict[str, str], item: Any) -> Any:
    response = await client.post(f"{INBOX}/{item['id']}/read", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def unread(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await client.get(f"{INBOX}/unread-count", headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["unread"])


# -- scoping -------------------------------------------------------------------------------------


async def test_a_beneficiary_sees_only_their_own_notifications(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await notify(database, EventType.REQUEST_RECEIVED, ref="IR-2026-000001", owner="sara")
    await notify(database, EventType.REQUEST_RECEIVED, ref="IR-2026-000002", owner="khalid")
    await notify(database, EventType.REQUEST_DUE_SOON, owner="sara", roles=[OFFICER], data=DUE)

    assert await references(client, auth("sara", "beneficiary")) == ["IR-2026-000001"]
    assert await references(client, auth("khalid", "beneficiary")) == ["IR-2026-000002"]
    assert await unread(client, auth("sara", "beneficiary")) == 1


async def test_another_beneficiary_cannot_mark_my_notification_read(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await notify(database, EventType.REQUEST_RECEIVED, owner="sara")
    sara, khalid = auth("sara", "beneficiary"), auth("khalid", "beneficiary")
    [mine] = (await inbox(client, sara))["items"]

    response = await client.post(f"{INBOX}/{mine['id']}/read", headers=khalid)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (await inbox(client, sara))["items"][0]["read"] is False


async def test_an_unknown_notification_is_not_found(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post(
        f"{INBOX}/{uuid.uuid4()}/read", headers=auth("sara", "beneficiary")
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_a_role_notification_reaches_every_holder_and_is_read_per_person(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await notify(database, EventType.REQUEST_DUE_SOON, owner="sara", roles=[OFFICER], data=DUE)
    huda, omar = auth("huda", "information_officer"), auth("omar", "information_officer")
    [seen_by_huda] = (await inbox(client, huda))["items"]
    [seen_by_omar] = (await inbox(client, omar))["items"]
    assert seen_by_huda["id"] == seen_by_omar["id"]

    marked = await mark_read(client, huda, seen_by_huda)

    assert (marked["read"], marked["read_at"]) == (True, "2026-03-15T09:00:00Z")
    assert (await inbox(client, huda))["items"][0]["read"] is True
    assert (await inbox(client, omar))["items"][0]["read"] is False
    assert (await unread(client, huda), await unread(client, omar)) == (0, 1)
    assert await references(client, auth("appeals-1", "appeals_officer")) == []


async def test_an_event_that_reaches_me_by_name_and_by_role_shows_once(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    """An overdue request reaches its handler, the handlers' role and the requester."""
    await notify(
        database, EventType.REQUEST_OVERDUE, owner="sara", handler="huda", roles=[OFFICER], data=DUE
    )
    huda, omar = auth("huda", "information_officer"), auth("omar", "information_officer")

    assert await references(client, huda) == [REF]
    assert await references(client, omar) == [REF]
    assert await unread(client, huda) == 1
    assert (await client.post(f"{INBOX}/read-all", headers=huda)).json() == {"marked": 1}
    assert await unread(client, omar) == 1


# -- lists ---------------------------------------------------------------------------------------


async def test_the_unread_filter_shows_unread_or_read_ones(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    await received(database, "sara", 3, frozen_clock)
    sara = auth("sara", "beneficiary")
    middle = (await inbox(client, sara))["items"][1]
    await mark_read(client, sara, middle)

    assert await references(client, sara, unread="true") == ["IR-2026-000003", "IR-2026-000001"]
    assert await references(client, sara, unread="false") == ["IR-2026-000002"]
    assert len(await references(client, sara)) == 3


async def test_pages_run_newest_first_without_gaps_or_repeats_while_new_ones_arrive(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    await received(database, "sara", 4, frozen_clock)
    frozen_clock.advance(-timedelta(minutes=1))  # two more in the same instant as the fourth
    await notify(database, EventType.REQUEST_RECEIVED, ref="IR-2026-000005", owner="sara")
    await notify(database, EventType.REQUEST_RECEIVED, ref="IR-2026-000006", owner="sara")
    sara = auth("sara", "beneficiary")
    first = await inbox(client, sara, limit=2)
    assert [item["reference"] for item in first["items"]] == ["IR-2026-000006", "IR-2026-000005"]

    frozen_clock.advance(timedelta(minutes=5))
    await notify(database, EventType.REQUEST_RECEIVED, ref="IR-2026-000007", owner="sara")
    rest = await references(client, sara, limit=2, cursor=first["next_cursor"])
    assert rest == ["IR-2026-000004", "IR-2026-000003"]

    assert await walk(client, sara, limit=3) == [f"IR-2026-{n:06d}" for n in (7, 6, 5, 4, 3, 2, 1)]


async def test_an_officers_own_and_role_notifications_page_as_one_list(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    for number in range(1, 6):  # assigned to huda, then a role reminder, in turn
        personal = number % 2 == 1
        await notify(
            database,
            EventType.REQUEST_ASSIGNED if personal else EventType.REQUEST_DUE_SOON,
            ref=f"IR-2026-{number:06d}",
            handler="huda" if personal else None,
            roles=[] if personal else [OFFICER],
            data=DUE,
        )
        frozen_clock.advance(timedelta(minutes=1))

    walked = await walk(client, auth("huda", "information_officer"), limit=2)

    assert walked == [f"IR-2026-{n:06d}" for n in (5, 4, 3, 2, 1)]


async def test_a_bad_cursor_is_refused(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.get(
        INBOX, params={"cursor": "not-a-cursor"}, headers=auth("sara", "beneficiary")
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


# -- marking read, the badge ---------------------------------------------------------------------


async def test_marking_read_again_keeps_the_first_read_time(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    await notify(database, EventType.REQUEST_RECEIVED, owner="sara")
    sara = auth("sara", "beneficiary")
    [item] = (await inbox(client, sara))["items"]
    assert (item["read"], item["read_at"]) == (False, None)

    first = await mark_read(client, sara, item)
    frozen_clock.advance(timedelta(hours=2))
    again = await mark_read(client, sara, item)

    assert first == again
    assert again["read_at"] == "2026-03-15T09:00:00Z"
    assert await unread(client, sara) == 0


async def test_read_all_marks_every_unread_one_and_says_how_many(
    client: httpx.AsyncClient, auth: Auth, database: Database, frozen_clock: FrozenClock
) -> None:
    await received(database, "huda", 2, frozen_clock)  # huda as the owner of two items
    await notify(database, EventType.REQUEST_DUE_SOON, roles=[OFFICER], data=DUE)
    await notify(database, EventType.REQUEST_RECEIVED, owner="sara")
    huda = auth("huda", "information_officer")
    await mark_read(client, huda, (await inbox(client, huda))["items"][0])
    assert await unread(client, huda) == 2

    response = await client.post(f"{INBOX}/read-all", headers=huda)

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert await unread(client, huda) == 0
    assert all(item["read"] for item in (await inbox(client, huda))["items"])
    assert (await client.post(f"{INBOX}/read-all", headers=huda)).json() == {"marked": 0}
    assert await unread(client, auth("omar", "information_officer")) == 1
    assert await unread(client, auth("sara", "beneficiary")) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", INBOX),
        ("GET", f"{INBOX}/unread-count"),
        ("POST", f"{INBOX}/read-all"),
        ("POST", f"{INBOX}/{uuid.UUID(int=1)}/read"),
    ],
)
async def test_the_inbox_needs_a_signed_in_caller_with_a_role(
    client: httpx.AsyncClient, auth: Auth, method: str, path: str
) -> None:
    anonymous = await client.request(method, path)
    no_role = await client.request(method, path, headers=auth("someone"))

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert (no_role.status_code, no_role.json()["code"]) == (403, "forbidden")


# -- texts ---------------------------------------------------------------------------------------


async def texts(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[Any, Any, Any]:
    [item] = (await inbox(client, headers))["items"]
    return item["title"], item["body"], item


async def test_a_reminder_reads_in_arabic_and_english_with_its_hijri_date(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    data = DUE | {"working_days_left": 2}
    await notify(database, EventType.REQUEST_DUE_SOON, roles=[OFFICER], data=data)

    title, body, item = await texts(client, auth("huda", "information_officer"))

    assert title == {"ar": f"اقترب موعد الرد على الطلب {REF}", "en": f"Request {REF} is due soon"}
    assert body == {
        "ar": f"يحين موعد الرد على طلب المعلومات رقم {REF} في 2026-04-02م (14 شوال 1447هـ)، "
        "والمتبقي يوما عمل.",
        "en": f"Information request {REF} is due on 2026-04-02 (14 Shawwal 1447 AH), "
        "with 2 working days left.",
    }
    assert (item["type"], item["resource"], item["reference"]) == (
        "request.due_soon",
        "information_requests",
        REF,
    )
    assert item["data"] == data


async def test_a_receipt_tells_the_requester_when_the_answer_is_due(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await notify(
        database, EventType.REQUEST_RECEIVED, owner="sara", data={"due_date": "2026-04-02"}
    )

    title, body, item = await texts(client, auth("sara", "beneficiary"))

    assert title["en"] == f"We received your request {REF}"
    assert body["en"] == f"Your request {REF} is due on 2026-04-02 (14 Shawwal 1447 AH)."
    assert (
        body["ar"]
        == f"سنرد على طلب المعلومات رقم {REF} في موعد أقصاه 2026-04-02م (14 شوال 1447هـ)."
    )
    assert item["data"] == {"due_date": "2026-04-02", "due_date_hijri": "1447-10-14"}


async def test_outcomes_and_legal_grounds_are_translated(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    sub_ref, ground = "SUB-2026-004211", {"legal_grounds": ["national_security", "other_law"]}
    await notify(
        database,
        EventType.SUBMISSION_DECIDED,
        ref=sub_ref,
        owner="sara",
        data={"status": "decided", "disposition": "adopted"},
        kind=Submission,
    )
    await notify(database, EventType.REQUEST_REFUSED, owner="khalid", data=ground)

    title, body, _ = await texts(client, auth("sara", "beneficiary"))
    assert title["ar"] == f"صدر القرار في مشاركتك رقم {sub_ref}"
    assert body == {
        "ar": "القرار: اعتُمد. يمكنك الاطلاع على أسبابه في التطبيق.",
        "en": "Outcome: adopted. Open it to read the reasons.",
    }
    _, body, _ = await texts(client, auth("khalid", "beneficiary"))
    assert body["ar"] == (
        f"رُفض طلب المعلومات رقم {REF} استنادًا إلى: الأمن الوطني، نص نظامي آخر. "
        "يحق لك التظلم من هذا القرار."
    )
    assert "national security, another law" in body["en"]


async def test_the_requester_and_the_officer_read_an_overdue_request_each_in_their_words(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    await notify(database, EventType.REQUEST_OVERDUE, owner="sara", handler="huda", data=DUE)

    title, body, _ = await texts(client, auth("sara", "beneficiary"))
    assert title["en"] == f"The answer to your request {REF} is late"
    assert "You may appeal the delay." in body["en"]
    assert "يحق لك التظلم من التأخر" in body["ar"]
    title, body, _ = await texts(client, auth("huda", "information_officer"))
    assert title == {"ar": f"تأخر الرد على الطلب {REF}", "en": f"Request {REF} is overdue"}


async def test_an_unknown_outcome_is_never_shown_raw(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    data = {"status": "reconsidered_later", "request_reopened": False}
    await notify(database, EventType.APPEAL_DECIDED, ref="AP-2026-000017", owner="sara", data=data)

    _, body, _ = await texts(client, auth("sara", "beneficiary"))

    assert body == {
        "ar": "يمكنك الاطلاع على القرار في التطبيق.",
        "en": "Open it to read the decision.",
    }


# -- cost ----------------------------------------------------------------------------------------


async def seed_inbox(database: Database, count: int) -> None:
    """``count`` notifications for huda: her own, which she has read, and her role's."""
    async with database.sessions() as session:
        emitted = [
            await events.emit(
                session,
                EventType.REQUEST_DUE_SOON,
                Request(),
                reference=f"IR-2026-{number:06d}",
                handler=None if number % 2 else "huda",
                roles=[OFFICER] if number % 2 else [],
                data=DUE,
            )
            for number in range(count)
        ]
        await session.flush()
        own = select(Notification.id).where(
            Notification.recipient_sub == "huda",
            Notification.event_id.in_([event.id for event in emitted]),
        )
        reads = [
            NotificationRead(notification_id=key, reader_sub="huda")
            for key in await session.scalars(own)
        ]
        session.add_all(reads)
        await session.commit()


async def queries_for_a_page(
    client: httpx.AsyncClient, headers: dict[str, str], statements: StatementRecorder
) -> Sequence[str]:
    statements.clear()
    page = await inbox(client, headers, limit=100)
    assert page["items"]
    return [statement.sql for statement in statements.queries]


async def test_a_page_of_100_costs_as_many_queries_as_a_page_of_1(
    client: httpx.AsyncClient, auth: Auth, database: Database, statements: StatementRecorder
) -> None:
    huda = auth("huda", "information_officer")
    await seed_inbox(database, 1)
    one = await queries_for_a_page(client, huda, statements)
    await seed_inbox(database, 99)

    hundred = await queries_for_a_page(client, huda, statements)

    assert len(hundred) == len(one) == 1, hundred


# -- erasure -------------------------------------------------------------------------------------


async def test_erasure_removes_my_inbox_and_names_me_by_the_pseudonym_in_events(
    client: httpx.AsyncClient, auth: Auth, database: Database
) -> None:
    sara = auth("sara", "beneficiary")
    await notify(database, EventType.REQUEST_RECEIVED, owner="sara")
    await notify(database, EventType.REQUEST_OVERDUE, owner="sara", handler="huda", data=DUE)
    await notify(database, EventType.REQUEST_ASSIGNED, ref="IR-2026-000002", handler="sara")
    await notify(database, EventType.REQUEST_RECEIVED, ref="IR-2026-000003", owner="khalid")
    await mark_read(client, sara, (await inbox(client, sara))["items"][0])

    assert (await client.delete(ERASURE, headers=sara)).status_code == 200

    async with database.sessions() as session:
        recipients = set(await session.scalars(select(Notification.recipient_sub)))
        readers = set(await session.scalars(select(NotificationRead.reader_sub)))
        audience = set(await session.execute(select(Event.owner_sub, Event.handler_sub)))
        pseudonym = await session.scalar(
            select(AuditEvent.actor_sub).where(
                AuditEvent.action == ERASED, AuditEvent.entity_type == "data_subject"
            )
        )
    assert pseudonym is not None and pseudonym.startswith("erased:")
    assert recipients == {"huda", "khalid"}
    assert "sara" not in readers
    assert audience == {(pseudonym, None), (pseudonym, "huda"), (None, pseudonym), ("khalid", None)}
    assert await inbox(client, sara) == {"items": [], "next_cursor": None}
    assert await references(client, auth("huda", "information_officer")) == [REF]
