"""Request context (request id, access log, metrics), body rules and security headers."""

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import request_context
from app.core.errors import problem_response
from app.core.metrics import Metrics

access_logger = logging.getLogger("beneficiary.access")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
UNMATCHED_ROUTE = "<unmatched>"
# CORS for the emirate's own web origins. Tokens travel in the Authorization header, never in
# cookies, so browsers need no credentials mode (and a wildcard origin can never be paired with it).
CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    "Accept-Language",
    "X-Request-ID",
)
CORS_EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "Idempotent-Replayed",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
CORS_MAX_AGE_SECONDS = 600


class RequestContextMiddleware:
    """Outermost application middleware: everything inside it sees the request id."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = request_context.accept_or_generate(headers.get("x-request-id"))
        request_context.bind(scope, request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            self._record(scope, status, time.perf_counter() - started, request_id)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = _route_template(scope)
        self.metrics.observe(route=route, method=scope["method"], status=status, seconds=seconds)
        access_logger.info(
            "request",
            extra={
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "request_id": request_id,
            },
        )


class SecurityHeadersMiddleware:
    """Headers every response carries, and ``no-store`` on answers to authenticated requests."""

    def __init__(self, app: ASGIApp, hsts_max_age_seconds: int) -> None:
        self.app = app
        self.fixed = {"X-Content-Type-Options": "nosniff"}
        if hsts_max_age_seconds > 0:
            self.fixed["Strict-Transport-Security"] = (
                f"max-age={hsts_max_age_seconds}; includeSubDomains"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # An answer to a caller with a token may hold personal data: no shared or browser cache
        # may keep it, unless the route chose its own caching.
        authenticated = "authorization" in Headers(scope=scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.fixed.items():
                    headers[name] = value
                if authenticated and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyRulesMiddleware:
    """Refuse a body that is too large (413) or not JSON (415) before any route reads it.

    Inside the security-header and CORS middleware, so these refusals carry their headers too.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (rejection := self._reject_body(scope, Headers(scope=scope))) is not None:
            await rejection(scope, receive, send)
        else:
            await self.app(scope, _limit_body(receive, self.max_body_bytes), send)

    def _reject_body(self, scope: Scope, headers: Headers) -> ASGIApp | None:
        """A problem responder for a body that is too large (413) or not JSON (415)."""
        if scope["method"] not in BODY_METHODS or not _has_body(headers):
            return None
        if _declared_length(headers) > self.max_body_bytes:
            return _problem(413, "payload_too_large")
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == "application/json" or media_type.endswith("+json"):
            return None
        return _problem(415, "unsupported_media_type")


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return UNMATCHED_ROUTE


def _problem(status: int, code: str) -> ASGIApp:
    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(Request(scope), status=status, code=code)(scope, receive, send)

    return respond


def _limit_body(receive: Receive, limit: int) -> Receive:
    """Count a streamed body (no Content-Length) and stop reading past the limit."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(status_code=413)
        return message

    return limited


def _declared_length(headers: Headers) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


def _has_body(headers: Headers) -> bool:
    if "transfer-encoding" in headers:
        return True
    try:
        return int(headers.get("content-length", "0")) > 0
    except ValueError:
        return True
