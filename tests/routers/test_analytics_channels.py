"""Channel analytics through HTTP: every channel present, kinds, priorities, decisions and trend.

Seeding and helpers are shared with ``test_analytics`` (the frozen clock stands at 2026-03-15).
"""

from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.models.consultation import Channel
from app.schemas.analytics import AnalyticsByChannel
from tests.routers.test_analytics import (
    ANALYST,
    IN_PREVIOUS,
    SUPPRESSED,
    Auth,
    Seeder,
    exact,
    get,
)

CHANNELS = "/v1/analytics/channels"
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def seed(database: Database) -> Seeder:
    return Seeder(database)


def zero_channel() -> dict[str, Any]:
    levels = ("P1", "P2", "P3", "P4", "unprioritised")
    return {
        "count": exact(0),
        "share": exact(0.0),
        "previous_count": exact(0),
        "change": exact(None),
        "by_kind": {kind: exact(0) for kind in ("suggestion", "complaint", "comment")},
        "by_priority": {level: exact(0) for level in levels},
        "decided": exact(0),
    }


def test_the_schema_names_every_channel() -> None:
    assert list(AnalyticsByChannel.model_fields) == [channel.value for channel in Channel]


async def test_every_channel_is_reported_with_zeros_for_the_quiet_ones(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(4, channel="tafaul", kind="complaint", priority="P1", status="decided")
    await seed.add(3, channel="tafaul", kind="suggestion", priority="P3")
    await seed.add(1, channel="tafaul", kind="comment", priority=None)
    await seed.add(2, channel="email", kind="suggestion", priority="P4", status="decided")
    await seed.add(5, channel="tafaul", at=IN_PREVIOUS)
    await seed.add(1, channel="website", status="withdrawn")
    body = await get(client, auth, CHANNELS)
    assert body["window"] == {"from": "2026-02-14", "to": "2026-03-15", "days": 30}
    assert body["total"] == exact(10)
    channels = body["channels"]
    assert list(channels) == [channel.value for channel in Channel]
    assert channels["tafaul"] == {
        "count": exact(8),
        "share": exact(0.8),
        "previous_count": exact(5),
        "change": exact(0.6),
        "by_kind": {"suggestion": exact(3), "complaint": exact(4), "comment": exact(1)},
        "by_priority": {
            "P1": exact(4),
            "P2": exact(0),
            "P3": exact(3),
            "P4": exact(0),
            "unprioritised": exact(1),
        },
        "decided": exact(4),
    }
    assert channels["email"]["count"] == exact(2)
    assert channels["email"]["decided"] == exact(2)
    for quiet in ("website", "mobile_app", "social_media", "portal_form"):
        assert channels[quiet] == zero_channel()


async def test_channels_filter_by_consultation_and_kind(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    consultation = await seed.consultation()
    await seed.add(3, channel="website", kind="complaint", consultation_id=consultation)
    await seed.add(2, channel="email", kind="suggestion", consultation_id=consultation)
    await seed.add(6, channel="website", kind="complaint")
    by_consultation = await get(client, auth, CHANNELS, consultation_id=consultation)
    counts = {name: c["count"]["value"] for name, c in by_consultation["channels"].items()}
    assert counts == {
        "tafaul": 0, "website": 3, "mobile_app": 0, "social_media": 0, "portal_form": 0, "email": 2
    }  # fmt: skip
    complaints = await get(client, auth, CHANNELS, kind="complaint")
    assert complaints["total"] == exact(9)
    assert complaints["channels"]["website"]["by_kind"]["complaint"] == exact(9)
    assert complaints["channels"]["email"]["count"] == exact(0)


async def test_analysts_see_small_channels_suppressed(
    client: httpx.AsyncClient, auth: Auth, seed: Seeder
) -> None:
    await seed.add(2, channel="email", kind="complaint", status="decided")
    await seed.add(6, channel="website", kind="suggestion", priority="P2")
    await seed.add(1, channel="website", kind="comment", priority="P2", status="decided")
    await seed.add(3, channel="website", at=IN_PREVIOUS)
    body = await get(client, auth, CHANNELS, ANALYST)
    assert body["total"] == exact(9)
    email = body["channels"]["email"]
    assert (email["count"], email["share"], email["change"], email["decided"]) == (
        SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED
    )  # fmt: skip
    assert list(email["by_kind"].values()) == [SUPPRESSED] * 3
    website = body["channels"]["website"]
    assert (website["count"], website["share"]) == (exact(7), exact(round(7 / 9, 4)))
    # The previous count is 3: shown, it would let anyone work the change back to it.
    assert (website["previous_count"], website["change"]) == (SUPPRESSED, SUPPRESSED)
    assert website["by_kind"]["suggestion"] == exact(6)
    assert (website["by_kind"]["comment"], website["decided"]) == (SUPPRESSED, SUPPRESSED)
    assert body["channels"]["tafaul"]["count"] == exact(0)
