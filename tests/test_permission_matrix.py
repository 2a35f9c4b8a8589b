"""The permission matrix: every route, every role, generated from the route table.

Each route's access is read off its dependencies (``PermissionCheck`` objects, the ``public``
marker, bare authentication) and compared with ``ROLE_PERMISSIONS``; then every route is called
by an anonymous caller and by a token holding each single role. A role that lacks the permission
must get 403, an anonymous caller 401, and a role that holds it anything else (404, 409 or 422
are fine: the permission check passed and the request failed later). A new route that declares
no access at all fails here until it is marked or added, with a reason, to the allow-list.
"""

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.db import Database
from app.core.security import ROLE_PERMISSIONS, Permission, Role
from app.core.tokens import mint_token
from app.dependencies import PermissionCheck, authenticated_principal, public
from app.main import create_app
from tests.conftest import client_for, make_settings

# Routes that declare no permission and no public marker on purpose, and why.
AUTHENTICATED_ONLY = {
    ("GET", "/v1/me"): "any signed-in caller may ask who they are and what they may do",
}
UNDECLARED_PUBLIC = {
    # Served by fastapi-offline with no dependencies we could mark; static documentation only.
    ("GET", "/docs"): "interactive API documentation",
    ("GET", "/docs/oauth2-redirect"): "the documentation's OAuth2 redirect page",
    ("GET", "/redoc"): "API reference documentation",
}
ANONYMOUS = "anonymous"
CALLERS = (ANONYMOUS, *(role.value for role in Role))


@dataclass(frozen=True)
class Access:
    """What a route declares: public, authenticated only, and/or permission requirements
    (each requirement a set of which the caller must hold any one)."""

    public: bool = False
    authenticated: bool = False
    requirements: tuple[frozenset[Permission], ...] = ()

    def admits(self, caller: str) -> bool:
        if self.public:
            return True
        if caller == ANONYMOUS:
            return False
        held = ROLE_PERMISSIONS[Role(caller)]
        return all(requirement & held for requirement in self.requirements)

    def describe(self) -> str:
        if self.public:
            return "public"
        needs = [" | ".join(sorted(p.value for p in r)) for r in self.requirements]
        return " and ".join(needs) or "authentication only"


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    access: Access
    path_params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def url(self) -> str:
        return self.path.format(**{name: sample(kind) for name, kind in self.path_params.items()})


def sample(kind: Any) -> str:
    """A plausible value for a path parameter of this type (nothing it names exists)."""
    if kind is uuid.UUID:
        return str(uuid.uuid4())
    if kind is date:
        return "2026-03-16"
    if kind is int:
        return "1"
    return "no-such-thing"


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def declared_access(dependant: Dependant) -> Access:
    calls = list(_calls(dependant))
    return Access(
        public=any(call is public for call in calls),
        authenticated=any(call is authenticated_principal for call in calls),
        requirements=tuple(
            call.required_permissions for call in calls if isinstance(call, PermissionCheck)
        ),
    )


def route_cases() -> list[RouteCase]:
    """Every (method, path) of the application, with its declared access."""
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(make_settings(Path(directory)))
        cases = []
        for context in iter_route_contexts(app.routes):
            if not isinstance(context.original_route, APIRoute):
                continue  # the OpenAPI document and static files: plain Starlette routes
            access = declared_access(context.dependant)
            kinds = {f.name: f.field_info.annotation for f in context.dependant.path_params}
            for method in sorted(context.methods):
                cases.append(RouteCase(method, context.path, access, kinds))
        return cases


CASES = route_cases()


def expected_outcome(case: RouteCase, caller: str) -> str:
    if case.key in UNDECLARED_PUBLIC:
        return "pass"
    if case.access.admits(caller):
        return "pass"
    return "401" if caller == ANONYMOUS else "403"


def actual_outcome(status: int) -> str:
    # 429 never counts as passing: a throttled call says nothing about its permission.
    return str(status) if status in (401, 403, 429) else "pass"


# -- the route table -----------------------------------------------------------------------------


def test_every_route_declares_a_permission_or_is_marked_public_or_allow_listed() -> None:
    undeclared = [
        f"{case.method} {case.path}"
        for case in CASES
        if not case.access.public
        and not case.access.requirements
        and case.key not in AUTHENTICATED_ONLY
        and case.key not in UNDECLARED_PUBLIC
    ]
    assert undeclared == [], "declare a permission (require/require_any) or PublicAccess"


def test_the_allow_lists_name_only_routes_that_exist_and_declare_nothing() -> None:
    by_key = {case.key: case for case in CASES}
    for key in (*AUTHENTICATED_ONLY, *UNDECLARED_PUBLIC):
        assert key in by_key, f"stale allow-list entry {key}"
        assert not by_key[key].access.requirements, f"{key} declares a permission now"
        assert not by_key[key].access.public, f"{key} is marked public now"
    for key in AUTHENTICATED_ONLY:
        assert by_key[key].access.authenticated, f"{key} must still require a signed-in caller"


def test_no_route_is_both_public_and_guarded() -> None:
    both = [case.key for case in CASES if case.access.public and case.access.requirements]
    assert both == []


def test_every_permission_is_held_by_some_role() -> None:
    held = frozenset().union(*ROLE_PERMISSIONS.values())
    assert set(Permission) - held == set()


def test_the_matrix_covers_the_routes_users_rely_on() -> None:
    """A guard against the generator silently finding nothing (e.g. after a FastAPI upgrade)."""
    keys = {case.key for case in CASES}
    assert {
        ("POST", "/v1/submissions"),
        ("POST", "/v1/appeals/{appeal_id}/decision"),
        ("GET", "/v1/information-requests/{request_id}"),
        ("GET", "/v1/consultations"),
        ("GET", "/health/live"),
    } <= keys
    access = {case.key: case.access for case in CASES}
    assert access[("POST", "/v1/appeals/{appeal_id}/decision")].requirements == (
        frozenset({Permission.APPEALS_DECIDE}),
    )
    assert access[("GET", "/v1/consultations")].public


# -- every route, every caller ------------------------------------------------------------------


@dataclass
class Caller:
    """One client for the whole matrix, and a token per caller kind."""

    client: httpx.AsyncClient
    settings: Settings

    def headers(self, caller: str) -> dict[str, str]:
        if caller == ANONYMOUS:
            return {"Accept-Language": "en"}
        token = mint_token(self.settings, sub=f"matrix-{caller}", roles=[caller])
        return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


@pytest.fixture(scope="module")
async def matrix_caller(
    template_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_engine: AsyncEngine | None,
) -> AsyncIterator[Caller]:
    """One application and database for every route of the matrix, on SQLite or PostgreSQL.

    Building the route table is the costly part of an application's first request; sharing one
    keeps some 1,500 calls fast. The calls change nothing a later one depends on (unknown ids,
    empty bodies), and on PostgreSQL everything is rolled back at the end, as elsewhere.
    """
    directory = tmp_path_factory.mktemp("matrix")
    settings = make_settings(directory)
    if postgres_engine is None:
        shutil.copy(template_dir / "test.db", directory / "test.db")
        database = Database(settings)
        async with client_for(create_app(settings, database=database)) as client:
            yield Caller(client, settings)
        await database.dispose()
        return
    async with postgres_engine.connect() as connection:
        outer = await connection.begin()
        database = Database(settings, bind=connection)
        async with client_for(create_app(settings, database=database)) as client:
            yield Caller(client, settings)
        await outer.rollback()


async def call(client: httpx.AsyncClient, case: RouteCase, headers: dict[str, str]) -> int:
    body: dict[str, Any] = {"json": {}} if case.method in {"POST", "PUT", "PATCH"} else {}
    response = await client.request(case.method, case.url(), headers=headers, **body)
    return response.status_code


def matrix(case: RouteCase, rows: list[tuple[str, str, int]]) -> str:
    lines = [f"{case.method} {case.path} needs {case.access.describe()}"]
    lines.append(f"  {'caller':<24}{'expected':<10}got")
    for caller, expected, status in rows:
        flag = "" if expected == actual_outcome(status) else "   <-- wrong"
        lines.append(f"  {caller:<24}{expected:<10}{status}{flag}")
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.path}" for c in CASES])
async def test_each_caller_gets_the_outcome_its_permissions_allow(
    matrix_caller: Caller, case: RouteCase
) -> None:
    rows = []
    for caller in CALLERS:
        status = await call(matrix_caller.client, case, matrix_caller.headers(caller))
        rows.append((caller, expected_outcome(case, caller), status))
    wrong = [row for row in rows if row[1] != actual_outcome(row[2])]
    assert wrong == [], "\n" + matrix(case, rows)
