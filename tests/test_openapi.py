"""The exported contract matches the running app and is a valid OpenAPI document."""

import json
from pathlib import Path

from openapi_spec_validator import validate

from app.cli import openapi_document

CONTRACT = Path(__file__).parent.parent / "openapi" / "openapi.json"


def test_committed_contract_equals_the_running_app() -> None:
    assert CONTRACT.read_text(encoding="utf-8") == openapi_document(), (
        "openapi/openapi.json is stale: run `beneficiary-api openapi` and commit the result"
    )


def test_contract_is_valid_openapi() -> None:
    validate(json.loads(openapi_document()))


def test_every_operation_has_a_stable_id_summary_and_tag() -> None:
    document = json.loads(openapi_document())
    operation_ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation.get("tags"), f"{method} {path} has no tag"
            operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids))


def test_bearer_scheme_and_bilingual_description() -> None:
    document = json.loads(openapi_document())
    schemes = document["components"]["securitySchemes"]
    assert any(scheme.get("scheme") == "bearer" for scheme in schemes.values())
    description = document["info"]["description"]
    assert "Asir" in description
    assert "عسير" in description


def test_protected_routes_declare_problem_responses() -> None:
    document = json.loads(openapi_document())
    me = document["paths"]["/v1/me"]["get"]
    assert "application/problem+json" in me["responses"]["401"]["content"]
