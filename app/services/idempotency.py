"""The ``Idempotency-Key`` store: a retry gets the first response, a reused key a 409."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import BadRequest, Conflict
from app.models.idempotency_key import IdempotencyKey

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def validate_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(char) <= 126 for char in key):
        raise BadRequest(code="invalid_idempotency_key")
    return key


async def claim(
    session: AsyncSession, *, caller: str, key: str, request_hash: str, ttl: timedelta
) -> StoredResponse | None:
    """The stored response for a retry, or None after reserving the key for this request.

    The reservation is a row inserted in the request's own transaction: a concurrent request
    with the same key waits on it (PostgreSQL) or on the write lock (SQLite) and then fails
    with 409 ``idempotency_key_in_use``; if this request fails, the reservation rolls back too.
    """
    existing = await session.get(IdempotencyKey, (caller, key), populate_existing=True)
    now = clock.now()
    if existing is not None and existing.expires_at > now:
        if existing.request_hash != request_hash:
            raise Conflict(code="idempotency_key_reused")
        if existing.status_code is not None and existing.response_body is not None:
            return StoredResponse(
                existing.status_code, existing.response_body, dict(existing.response_headers)
            )
    if existing is not None:
        await session.delete(existing)
        await session.flush()
    session.add(
        IdempotencyKey(caller=caller, key=key, request_hash=request_hash, expires_at=now + ttl)
    )
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(code="idempotency_key_in_use") from exc
    return None


async def complete(
    session: AsyncSession, *, caller: str, key: str, response: StoredResponse
) -> None:
    row = await session.get(IdempotencyKey, (caller, key))
    if row is None:  # claim() always runs first in the same transaction
        raise RuntimeError("idempotency key was not claimed")
    row.status_code = response.status_code
    row.response_body = response.body
    row.response_headers = response.headers
    await session.flush()


async def purge_expired(session: AsyncSession) -> int:
    """Delete keys past their expiry; returns how many were removed."""
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at <= clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
