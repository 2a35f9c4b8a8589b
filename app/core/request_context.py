"""The request id and the matched route, carried in the ASGI scope and context variables for
audit and logs."""

import re
import uuid
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# The request's scope itself: the router adds the matched route to it only after ``bind`` ran,
# so the route is read from it when asked (see ``current_route``).
_current_scope: ContextVar[Mapping[str, Any] | None] = ContextVar("request_scope", default=None)


def accept_or_generate(candidate: str | None) -> str:
    """Keep a caller's id when it is safe to echo into logs and headers, else make one."""
    if candidate and _VALID_REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


def bind(scope: MutableMapping[str, Any], request_id: str) -> None:
    scope.setdefault("state", {})["request_id"] = request_id
    _current_request_id.set(request_id)
    _current_scope.set(scope)


def request_id_of(scope: Any) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else _current_request_id.get()


def current_request_id() -> str | None:
    return _current_request_id.get()


def current_route() -> str | None:
    """The matched route as method and path template (``GET /v1/submissions/{submission_id}``),
    or None outside a request or before routing; a template never carries ids or query values."""
    scope = _current_scope.get()
    if scope is None:
        return None
    path = getattr(scope.get("route"), "path", None)
    method = scope.get("method")
    if not isinstance(path, str) or not isinstance(method, str):
        return None
    return f"{method} {path}"
