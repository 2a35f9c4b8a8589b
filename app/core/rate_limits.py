"""Per-caller rate limits: which budget a request draws on, who the caller is, and the counters.

The ``limits`` library's **moving window** is used, not its fixed window: a fixed window lets a
caller spend a whole budget at the end of one window and again at the start of the next (twice
the limit within seconds), while a moving window counts exactly the hits of the last period, and
the oldest hit in it says when a slot frees (``Retry-After``). Its cost is one timestamp per hit
per caller, which for budgets of tens or hundreds per minute is small.

Counters live in process memory by default, or in Redis when ``BENEFICIARY_REDIS_URL`` is set, so
that every worker and replica draws on one budget. When Redis cannot be reached the service fails
open: it serves the request unlimited and logs a warning, rather than refusing citizens because a
counter store is down.
"""

import hashlib
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import limits
import redis.asyncio
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import ConfigurationError, Settings
from app.core.errors import TooManyRequests, problem_response
from app.core.tokens import TokenError, TokenVerifier

logger = logging.getLogger("beneficiary.rate_limits")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD"})
SEARCH_PARAMETER = "q"
STATISTICS_PREFIX = "/v1/statistics/"
NEVER_LIMITED_PREFIXES = ("/health/", "/metrics")
# CKAN's action paths: /api/3/action/<name> and its aliases /api/action, /api/1|2/action.
CKAN_ACTION_PATH = re.compile(r"^/api(?:/\d)?/action/(?P<action>[^/]*)/?$")
CKAN_SEARCH_ACTION = "package_search"
DEFAULT_KEY_PREFIX = "beneficiary-rate-limits"
# After Redis fails, requests skip it for a while: one slow or refused call per pause, not one
# per request, and one warning in the log instead of a flood.
STORAGE_PAUSE_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5
IPV6_NETWORK_BITS = 64  # one subscriber usually holds a whole /64: count it as one caller


class Budget(StrEnum):
    WRITES = "writes"
    SEARCHES = "searches"


def budget_for(method: str, path: str, *, searches: bool) -> Budget | None:
    """The budget a request draws on, or None for a request that is never limited.

    ``searches`` says whether the request carries the ``q`` search parameter.
    """
    if path.startswith(NEVER_LIMITED_PREFIXES):
        return None
    if ckan := CKAN_ACTION_PATH.match(path):
        # The CKAN action API is read-only and ckanapi sends its reads as POST: only its search
        # action costs like a search; the other actions are plain reads.
        return Budget.SEARCHES if ckan.group("action") == CKAN_SEARCH_ACTION else None
    if method in WRITE_METHODS:
        return Budget.WRITES
    if method in READ_METHODS and (searches or path.startswith(STATISTICS_PREFIX)):
        return Budget.SEARCHES
    return None


def _budget_of_request(scope: Scope) -> Budget | None:
    searches = SEARCH_PARAMETER in QueryParams(scope.get("query_string", b""))
    return budget_for(scope["method"], scope["path"], searches=searches)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one hit: allowed or not, and the state of the caller's window after it."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the oldest hit in the window leaves it (a slot frees)

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


def parse_limit(value: str, setting: str) -> limits.RateLimitItem:
    try:
        return limits.parse(value)
    except ValueError as exc:
        raise ConfigurationError(
            f"{setting}={value!r} is not a rate limit such as 30/minute"
        ) from exc


class RateLimits:
    """The budgets of the service and the counters they are kept in."""

    def __init__(self, settings: Settings, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self._items = {
            Budget.WRITES: parse_limit(settings.rate_limit_writes, "BENEFICIARY_RATE_LIMIT_WRITES"),
            Budget.SEARCHES: parse_limit(
                settings.rate_limit_searches, "BENEFICIARY_RATE_LIMIT_SEARCHES"
            ),
        }
        self._pool: redis.asyncio.ConnectionPool | None = None
        self.storage: MemoryStorage | RedisStorage = self._storage(settings.redis_url, key_prefix)
        self._limiter = MovingWindowRateLimiter(self.storage)
        self._paused_until = float("-inf")

    def _storage(self, redis_url: str | None, key_prefix: str) -> MemoryStorage | RedisStorage:
        if not redis_url:
            return MemoryStorage()
        # The pool is ours so that shutdown can close its connections; short timeouts keep a
        # hanging Redis from holding requests up before they fail open.
        self._pool = redis.asyncio.ConnectionPool.from_url(
            redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        options: dict[str, Any] = {"connection_pool": self._pool}
        return RedisStorage(
            "async+" + redis_url,
            implementation="redispy",
            key_prefix=key_prefix,
            wrap_exceptions=True,
            **options,
        )

    async def hit(self, budget: Budget, caller: str) -> Verdict | None:
        """Count one request; None when the counters cannot be reached (serve it unlimited)."""
        if time.monotonic() < self._paused_until:
            return None
        item = self._items[budget]
        try:
            allowed = await self._limiter.hit(item, budget.value, caller)
            stats = await self._limiter.get_window_stats(item, budget.value, caller)
        except (StorageError, OSError, TimeoutError) as exc:
            self._paused_until = time.monotonic() + STORAGE_PAUSE_SECONDS
            logger.warning(
                "rate limit storage unavailable; serving without limits",
                extra={"error": type(exc).__name__, "retry_in_seconds": STORAGE_PAUSE_SECONDS},
            )
            return None
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed, item.amount, max(0, stats.remaining), reset)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


async def caller_key(scope: Scope, verifier: TokenVerifier) -> str:
    """The verified token's subject, else the client address; hashed (no identities in Redis)."""
    authorization = Headers(scope=scope).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            principal = await verifier.verify(token.strip())
        except TokenError:
            pass  # an invalid token is no identity: it counts against its address
        else:
            return "sub:" + _digest(principal.sub)
    return "ip:" + _digest(_client_address(scope))


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_NETWORK_BITS}", strict=False))
    return str(address)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


class RateLimitMiddleware:
    """Answer 429 past a caller's budget; other limited responses say what is left."""

    def __init__(self, app: ASGIApp, rate_limits: RateLimits, verifier: TokenVerifier) -> None:
        self.app = app
        self.rate_limits = rate_limits
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        budget = _budget_of_request(scope) if scope["type"] == "http" else None
        if budget is None:
            await self.app(scope, receive, send)
            return
        verdict = await self.rate_limits.hit(budget, await caller_key(scope, self.verifier))
        if verdict is None:
            await self.app(scope, receive, send)
        elif not verdict.allowed:
            await _too_many_requests(scope, verdict)(scope, receive, send)
        else:
            await self.app(scope, receive, _with_headers(send, verdict.headers()))


def _too_many_requests(scope: Scope, verdict: Verdict) -> ASGIApp:
    return problem_response(
        Request(scope),
        status=TooManyRequests.status,
        code=TooManyRequests.code,
        headers=verdict.headers(),
    )


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            response_headers = MutableHeaders(scope=message)
            for name, value in headers.items():
                response_headers[name] = value
        await send(message)

    return send_with_headers
