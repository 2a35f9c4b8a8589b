"""The request id, carried in the ASGI scope and a context variable for audit and logs."""

import re
import uuid
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def accept_or_generate(candidate: str | None) -> str:
    """Keep a caller's id when it is safe to echo into logs and headers, else make one."""
    if candidate and _VALID_REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


def bind(scope: MutableMapping[str, Any], request_id: str) -> None:
    scope.setdefault("state", {})["request_id"] = request_id
    _current_request_id.set(request_id)


def request_id_of(scope: Any) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else _current_request_id.get()


def current_request_id() -> str | None:
    return _current_request_id.get()
