"""OpenAPI post-processing: every error response is declared as problem+json."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.middleware import BODY_METHODS
from app.core.rate_limits import SEARCH_PARAMETER, budget_for

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_SECONDS = {"type": "integer", "minimum": 0}
RATE_LIMITED_RESPONSE = {
    "description": "Too many requests: the caller's budget for writes or searches is spent",
    "headers": {
        "Retry-After": {"description": "Seconds until the budget frees", "schema": _SECONDS},
        "RateLimit-Limit": {"description": "Requests allowed per window", "schema": _SECONDS},
        "RateLimit-Remaining": {"description": "Requests left in the window", "schema": _SECONDS},
        "RateLimit-Reset": {"description": "Seconds until a request frees", "schema": _SECONDS},
    },
}


def problem_json_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An ``app.openapi`` replacement: FastAPI's schema with errors as problem+json."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _declare_rate_limits(schema)
            _declare_body_errors(schema)
            _errors_as_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


def _declare_rate_limits(schema: dict[str, Any]) -> None:
    """A 429 on every operation that draws on a rate-limit budget (whether or not enabled)."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            names = {p.get("name") for p in parameters if p.get("in") == "query"}
            searches = SEARCH_PARAMETER in names
            if budget_for(method.upper(), path, searches=searches) is not None:
                operation.setdefault("responses", {})["429"] = dict(RATE_LIMITED_RESPONSE)


def _declare_body_errors(schema: dict[str, Any]) -> None:
    """Refusals of a body, before any route reads it, on every operation that may carry one.

    413 and 415 come from the body rules middleware (any POST, PUT or PATCH with a body); 400
    from FastAPI, for a body that is not UTF-8 (CKAN's operations declare their own 4XX).
    """
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() not in BODY_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and not {"400", "4XX"} & responses.keys():
                responses["400"] = {"description": "Bad request, e.g. a body that is not UTF-8"}
            responses.setdefault("413", {"description": "Request body too large"})
            responses.setdefault("415", {"description": "Body is not JSON"})


def _errors_as_problems(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    if status == "422":
                        response["description"] = "Payload validation failed"
                    response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def operation_id(route: APIRoute) -> str:
    """Stable operationIds: the endpoint function's name, unique across the API. Every router
    is built with it (``generate_unique_id_function``), so ids and derived schema names hold."""
    return route.name
