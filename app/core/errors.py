"""The error hierarchy and its one rendering: ``application/problem+json`` (RFC 9457)."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.core import i18n
from app.core.request_context import request_id_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:beneficiary-api:problem:"
logger = logging.getLogger("beneficiary.errors")


class AppError(Exception):
    """A failure the service explains to the caller with a stable machine code."""

    status: int = 400
    code: str = "bad_request"
    # Params also rendered as top-level problem members (RFC 9457 extensions), for machines.
    members: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        **params: object,
    ) -> None:
        self.code = code or type(self).code
        self.params = params
        self.headers = dict(headers or {})
        self.errors = list(errors or [])
        super().__init__(self.code)


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "not_authenticated"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PreconditionFailed(AppError):
    status, code = 412, "precondition_failed"


class UnprocessableEntity(AppError):
    status, code = 422, "validation_failed"


class TooManyRequests(AppError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    params: Mapping[str, object] | None = None,
    errors: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    members: Mapping[str, object] | None = None,
) -> Response:
    language = i18n.negotiate(request.headers.get("accept-language"))
    message = i18n.message(code)
    request_id = request_id_of(request.scope)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": message.title(language),
        "status": status,
        "detail": message.detail(language, {"request_id": request_id, **(params or {})}),
        "instance": request.url.path,
        "code": code,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = list(errors)
    body |= {name: value for name, value in (members or {}).items() if name not in body}
    response_headers = {"Content-Language": language, **(headers or {})}
    if request_id:
        response_headers["X-Request-ID"] = request_id
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=response_headers,
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        params=exc.params,
        errors=exc.errors,
        headers=exc.headers,
        members={name: exc.params[name] for name in exc.members if name in exc.params},
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(error) for error in exc.errors()]
    return problem_response(request, status=422, code="validation_failed", errors=errors)


def _field_error(error: Mapping[str, Any]) -> dict[str, Any]:
    # Only location, message and type: echoing the rejected input could leak personal data.
    return {
        "field": ".".join(str(part) for part in error.get("loc", ())),
        "message": error.get("msg", ""),
        "type": error.get("type", ""),
    }


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    params = {"method": request.method, "reason": str(exc.detail)}
    return problem_response(
        request, status=exc.status_code, code=code, params=params, headers=exc.headers
    )


async def _stale_data(request: Request, exc: Exception) -> Response:
    return problem_response(request, status=409, code="edit_conflict")


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this handler, so the server still logs the traceback.
    logger.error(
        "unhandled error",
        extra={"request_id": request_id_of(request.scope), "error_type": type(exc).__name__},
    )
    return problem_response(request, status=500, code="internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(Exception, _unexpected)
