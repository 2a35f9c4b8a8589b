"""OpenAPI post-processing: every error response is declared as problem+json."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


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
            _errors_as_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


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
