"""HTTP side of ``Idempotency-Key``: replay a stored response or store the first one."""

from datetime import timedelta

import orjson
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.services import idempotency as idempotency_service
from app.services.idempotency import StoredResponse

_REPLAYED_HEADERS = ("location", "etag", "content-type")


class Idempotency:
    """Per-request handle: ``replay()`` before creating, ``respond()`` after."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        caller: str | None,
        key: str | None,
        request_hash: str,
        ttl: timedelta,
    ) -> None:
        self._session = session
        self._caller = caller
        self._key = key
        self._request_hash = request_hash
        self._ttl = ttl

    @property
    def active(self) -> bool:
        # Anonymous callers share no identity to scope a key by, so keys are ignored for them.
        return self._key is not None and self._caller is not None

    async def replay(self) -> Response | None:
        if not self.active:
            return None
        assert self._caller is not None and self._key is not None
        stored = await idempotency_service.claim(
            self._session,
            caller=self._caller,
            key=self._key,
            request_hash=self._request_hash,
            ttl=self._ttl,
        )
        if stored is None:
            return None
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        return Response(stored.body, status_code=stored.status_code, headers=headers)

    async def respond(
        self, content: BaseModel, *, status_code: int = 201, headers: dict[str, str] | None = None
    ) -> Response:
        body = orjson.dumps(content.model_dump(mode="json"))
        response = Response(
            body, status_code=status_code, media_type="application/json", headers=headers
        )
        if self.active:
            assert self._caller is not None and self._key is not None
            kept = {k: v for k, v in response.headers.items() if k in _REPLAYED_HEADERS}
            await idempotency_service.complete(
                self._session,
                caller=self._caller,
                key=self._key,
                response=StoredResponse(status_code, body, kept),
            )
        return response
