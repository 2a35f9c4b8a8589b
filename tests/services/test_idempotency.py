"""The idempotency store expires keys and can be purged."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.db import Database
from app.core.errors import BadRequest
from app.models.idempotency_key import IdempotencyKey
from app.services import idempotency


async def test_purge_removes_only_expired_keys(database: Database) -> None:
    frozen = clock.FrozenClock(datetime(2026, 6, 1, tzinfo=UTC))
    with clock.use(frozen):
        async with database.sessions() as session:
            for key, ttl in (("old", timedelta(hours=1)), ("new", timedelta(days=2))):
                await idempotency.claim(session, caller="u1", key=key, request_hash="h", ttl=ttl)
            frozen.advance(timedelta(hours=2))
            assert await idempotency.purge_expired(session) == 1
            left = await session.scalars(select(IdempotencyKey.key))
            assert list(left) == ["new"]
            count = await session.scalar(select(func.count()).select_from(IdempotencyKey))
            assert count == 1


@pytest.mark.parametrize("key", ["", "has space", "é", "x" * 256])
def test_keys_must_be_short_visible_ascii(key: str) -> None:
    with pytest.raises(BadRequest):
        idempotency.validate_key(key)
