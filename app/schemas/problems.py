"""The error body (RFC 9457 problem details), declared on every route in OpenAPI."""

from typing import Any

from pydantic import BaseModel, Field


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted location, e.g. body.title.ar")
    message: str
    type: str


class Problem(BaseModel):
    type: str = Field(examples=["urn:beneficiary-api:problem:not_found"])
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="Stable machine-readable error code.")
    request_id: str | None
    errors: list[FieldProblem] | None = None
    reason: str | None = Field(
        None,
        description="Why, for errors that have machine-readable reasons "
        "(e.g. appeal_not_eligible: not_late_or_refused, window_closed, appeal_already_open).",
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    descriptions = {
        400: "Bad request",
        401: "Missing or invalid access token",
        403: "The caller lacks the permission this route needs",
        404: "Not found, or not visible to the caller",
        409: "Conflicts with the current state",
        412: "If-Match does not match the current version",
        413: "Request body too large",
        415: "Body is not JSON",
        422: "Payload validation failed",
        429: "Too many requests",
        503: "Not ready",
    }
    return {
        status: {
            "model": Problem,  # shown as application/problem+json by app.core.openapi
            "description": descriptions.get(status, "Error"),
        }
        for status in statuses
    }
