"""GET /v1/me, the roles claim, and the 401-versus-403 contract of permission checks."""

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from jose import jwt

from app.core.config import Settings
from app.core.db import Database
from app.core.security import ROLE_PERMISSIONS, Permission, Principal, Role
from app.core.tokens import TokenVerifier, mint_token
from app.dependencies import require
from app.main import create_app
from tests.conftest import TEST_SECRET, client_for, make_settings

PROBLEM = "application/problem+json"
EN = {"Accept-Language": "en"}
AuthFactory = Callable[..., dict[str, str]]


def bearer(claims: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 600, **claims}, TEST_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}", **EN}


def permissions_of(*roles: Role) -> list[str]:
    return sorted({permission.value for role in roles for permission in ROLE_PERMISSIONS[role]})


async def test_me_returns_sub_roles_and_effective_permissions(
    client: httpx.AsyncClient, auth: AuthFactory
) -> None:
    response = await client.get("/v1/me", headers=auth("citizen-42", "beneficiary"))
    assert response.status_code == 200
    assert response.json() == {
        "sub": "citizen-42",
        "roles": ["beneficiary"],
        "permissions": permissions_of(Role.BENEFICIARY),
        "name": None,
        "email": None,
        "beneficiary_category": None,
        "locale": None,
    }


async def test_me_returns_profile_claims_when_present(
    client: httpx.AsyncClient, auth: AuthFactory
) -> None:
    headers = auth(
        "citizen-7",
        "beneficiary",
        name="نورة القحطاني",
        email="noura@example.sa",
        beneficiary_category="citizen",
        locale="ar",
    )
    body = (await client.get("/v1/me", headers=headers)).json()
    assert body["name"] == "نورة القحطاني"
    assert body["email"] == "noura@example.sa"
    assert body["beneficiary_category"] == "citizen"
    assert body["locale"] == "ar"


async def test_profile_claims_that_are_not_strings_are_left_out(client: httpx.AsyncClient) -> None:
    headers = bearer({"sub": "u1", "roles": [], "name": {"first": "Ali"}, "email": 7})
    body = (await client.get("/v1/me", headers=headers)).json()
    assert (body["name"], body["email"]) == (None, None)


async def test_caller_with_several_roles_sees_the_union_of_permissions(
    client: httpx.AsyncClient, auth: AuthFactory
) -> None:
    headers = auth("officer-1", "information_officer", "appeals_officer", "analyst")
    body = (await client.get("/v1/me", headers=headers)).json()
    assert body["roles"] == ["analyst", "appeals_officer", "information_officer"]
    assert body["permissions"] == sorted(
        {
            "information_requests:handle",
            "appeals:decide",
            "analytics:read",
            "notifications:read_own",
        }
    )
    assert body["permissions"] == permissions_of(
        Role.INFORMATION_OFFICER, Role.APPEALS_OFFICER, Role.ANALYST
    )


async def test_unknown_roles_are_ignored(client: httpx.AsyncClient) -> None:
    headers = bearer({"sub": "u1", "roles": ["beneficiary", "superuser", "offline_access"]})
    body = (await client.get("/v1/me", headers=headers)).json()
    assert body["roles"] == ["beneficiary"]
    assert body["permissions"] == permissions_of(Role.BENEFICIARY)


async def test_roles_may_be_a_space_separated_string(client: httpx.AsyncClient) -> None:
    headers = bearer({"sub": "u1", "roles": "admin analyst"})
    body = (await client.get("/v1/me", headers=headers)).json()
    assert body["roles"] == ["admin", "analyst"]


@pytest.mark.parametrize(
    "roles",
    [["admin", {"name": "admin"}, ["admin"], 7, None], {"admin": True}, 42, None],
    ids=["odd-entries", "object", "number", "null"],
)
async def test_roles_of_an_unexpected_shape_grant_nothing_extra(
    client: httpx.AsyncClient, roles: Any
) -> None:
    response = await client.get("/v1/me", headers=bearer({"sub": "u1", "roles": roles}))
    assert response.status_code == 200
    expected = ["admin"] if isinstance(roles, list) else []
    assert response.json()["roles"] == expected


async def test_caller_without_roles_is_authenticated_with_no_permissions(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/v1/me", headers=bearer({"sub": "u1"}))).json()
    assert (body["sub"], body["roles"], body["permissions"]) == ("u1", [], [])


@pytest.fixture
def keycloak_settings(settings: Settings, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, jwt_roles_claim="realm_access.roles")


async def test_roles_are_read_from_a_nested_keycloak_style_claim(
    keycloak_settings: Settings, database: Database
) -> None:
    transport = httpx.ASGITransport(app=create_app(keycloak_settings, database=database))
    nested = bearer(
        {
            "sub": "kc-1",
            "realm_access": {"roles": ["data_publisher", "default-roles-asir"]},
            "roles": ["admin"],  # the top-level claim is not where this IdP puts roles
        }
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (await client.get("/v1/me", headers=nested)).json()
        flat = await client.get("/v1/me", headers=bearer({"sub": "kc-2", "roles": ["admin"]}))
    assert body["roles"] == ["data_publisher"]
    assert body["permissions"] == ["datasets:manage", "notifications:read_own"]
    assert flat.json()["roles"] == []


async def test_minted_tokens_put_roles_at_the_configured_claim_path(
    keycloak_settings: Settings,
) -> None:
    minted = mint_token(keycloak_settings, sub="kc-3", roles=["analyst"])
    assert jwt.get_unverified_claims(minted)["realm_access"] == {"roles": ["analyst"]}
    principal = await TokenVerifier(keycloak_settings).verify(minted)
    assert principal.roles == {Role.ANALYST}


# --- 401 versus 403 ---------------------------------------------------------------------------

guarded = APIRouter(prefix="/v1/_guarded")


@guarded.put("/calendar")
async def manage_calendar(
    principal: Annotated[Principal, Depends(require(Permission.CALENDAR_MANAGE))],
) -> dict[str, str]:
    return {"managed_by": principal.sub}


@pytest.fixture
async def guarded_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    app.include_router(guarded)
    async with client_for(app) as client:
        yield client


async def test_anonymous_caller_gets_401_not_403(guarded_client: httpx.AsyncClient) -> None:
    response = await guarded_client.put("/v1/_guarded/calendar", headers=EN)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_invalid_token_gets_401_even_where_a_permission_is_required(
    guarded_client: httpx.AsyncClient,
) -> None:
    headers = {"Authorization": "Bearer not-a-token", **EN}
    response = await guarded_client.put("/v1/_guarded/calendar", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    "roles",
    [("beneficiary",), ("participation_officer", "information_officer", "analyst"), ()],
    ids=["beneficiary", "several-officers", "no-role"],
)
async def test_caller_without_the_permission_gets_403_naming_it(
    guarded_client: httpx.AsyncClient, auth: AuthFactory, roles: tuple[str, ...]
) -> None:
    response = await guarded_client.put("/v1/_guarded/calendar", headers=auth("u1", *roles) | EN)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "forbidden"
    assert "calendar:manage" in body["detail"]
    assert "www-authenticate" not in response.headers


async def test_caller_with_the_permission_is_let_through(
    guarded_client: httpx.AsyncClient, auth: AuthFactory
) -> None:
    response = await guarded_client.put("/v1/_guarded/calendar", headers=auth("admin-1", "admin"))
    assert response.status_code == 200
    assert response.json() == {"managed_by": "admin-1"}


async def test_permission_dependencies_have_readable_names() -> None:
    assert require(Permission.CALENDAR_MANAGE).__name__ == "require_calendar_manage"
