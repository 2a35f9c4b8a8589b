"""Bearer tokens: what the verifier refuses (always 401 invalid_token) and the JWKS key sources."""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

from app.core import tokens
from app.core.config import Settings
from app.core.db import Database
from app.core.i18n import REASONS
from app.main import create_app
from tests.conftest import TEST_SECRET, client_for, make_settings

PROBLEM = "application/problem+json"
ISSUER = "https://sso.asir.example/realms/beneficiaries"
AUDIENCE = "beneficiary-api"


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for an hour from now; an override of ``None`` removes that claim."""
    now = int(time.time())
    values = {"sub": "u1", "roles": ["beneficiary"], "iat": now, "nbf": now, "exp": now + 3600}
    return {key: value for key, value in (values | overrides).items() if value is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256(payload: dict[str, Any], secret: str = TEST_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


async def get_me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    return await client.get("/v1/me", headers=headers)


def assert_invalid_token(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "invalid_token"
    assert body["detail"] == f"The access token was rejected: {REASONS[reason][1]}."
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    assert f'error_description="{reason}"' in challenge


@asynccontextmanager
async def serving(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(create_app(settings, database=database)) as client:
        yield client


# --- HS256: time, signature, algorithm and shape -------------------------------------------------


async def test_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    token = hs256(claims(iat=now - 600, nbf=now - 600, exp=now - 120))  # leeway is 30 s
    assert_invalid_token(await get_me(client, token), "expired")


async def test_token_expired_within_the_leeway_is_still_accepted(
    client: httpx.AsyncClient,
) -> None:
    now = int(time.time())
    token = hs256(claims(iat=now - 600, nbf=now - 600, exp=now - 10))
    response = await get_me(client, token)
    assert response.status_code == 200
    assert response.json()["sub"] == "u1"


async def test_a_verified_token_is_refused_once_it_expires_although_remembered(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time())
    token = hs256(claims(exp=now + 60))
    assert (await get_me(client, token)).status_code == 200  # verified, and remembered
    later = now + 60 + 31  # past exp and the 30 s leeway, within the memory's 60 s

    class Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> "Later":
            return cls.fromtimestamp(later, tz)

    monkeypatch.setattr(tokens.time, "time", lambda: float(later))
    monkeypatch.setattr(jwt, "datetime", Later)  # the clock python-jose reads
    response = await get_me(client, token)
    assert_invalid_token(response, "expired")


async def test_a_remembered_token_is_not_verified_again(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = hs256(claims())
    assert (await get_me(client, token)).status_code == 200
    calls: list[str] = []
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        calls.append("decode")
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    for _ in range(3):
        assert (await get_me(client, token)).json()["sub"] == "u1"
    assert calls == []
    other = hs256(claims(sub="u2"))
    assert (await get_me(client, other)).json()["sub"] == "u2"
    assert calls == ["decode"]


async def test_token_not_yet_valid_is_refused(client: httpx.AsyncClient) -> None:
    token = hs256(claims(nbf=int(time.time()) + 120))
    assert_invalid_token(await get_me(client, token), "not_yet_valid")


async def test_token_valid_from_within_the_leeway_is_accepted(client: httpx.AsyncClient) -> None:
    token = hs256(claims(nbf=int(time.time()) + 10))  # a slightly fast clock at the issuer
    assert (await get_me(client, token)).status_code == 200


async def test_token_without_exp_is_refused(client: httpx.AsyncClient) -> None:
    assert_invalid_token(await get_me(client, hs256(claims(exp=None))), "claims")


async def test_token_signed_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    token = hs256(claims(roles=["admin"]), secret="another-secret-of-the-same-length-0123456789ab")
    assert_invalid_token(await get_me(client, token), "signature")


async def test_token_with_a_tampered_payload_is_refused(client: httpx.AsyncClient) -> None:
    header, _, signature = hs256(claims()).split(".")
    forged = b64url(json.dumps(claims(roles=["admin"])).encode())
    assert_invalid_token(await get_me(client, f"{header}.{forged}.{signature}"), "signature")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_unsigned_alg_none_token_is_refused(client: httpx.AsyncClient, alg: str) -> None:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims(roles=["admin"])).encode())
    assert_invalid_token(await get_me(client, f"{header}.{payload}."), "algorithm_not_allowed")


async def test_token_with_an_algorithm_outside_the_configured_list_is_refused(
    client: httpx.AsyncClient,
) -> None:
    token = jwt.encode(claims(), TEST_SECRET, algorithm="HS512")  # only HS256 is configured
    assert_invalid_token(await get_me(client, token), "algorithm_not_allowed")


@pytest.mark.parametrize("sub", [None, "", "   "], ids=["absent", "empty", "blank"])
async def test_token_without_a_subject_is_refused(
    client: httpx.AsyncClient, sub: str | None
) -> None:
    payload = claims(sub=None) if sub is None else claims(sub=sub)
    assert_invalid_token(await get_me(client, hs256(payload)), "missing_sub")


@pytest.mark.parametrize(
    "header",
    ["Basic dTE6cGFzc3dvcmQ=", "Bearer", "Bearer a b", "Bearer garbage", "Bearer a.b.c", "Token x"],
)
async def test_malformed_authorization_header_is_refused(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.get(
        "/v1/me", headers={"Authorization": header, "Accept-Language": "en"}
    )
    assert_invalid_token(response, "malformed")


async def test_missing_authorization_header_asks_for_a_bearer_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


# --- issuer and audience -----------------------------------------------------------------------


@pytest.fixture
def bound_settings(settings: Settings, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)


async def test_token_from_the_configured_issuer_for_this_audience_is_accepted(
    bound_settings: Settings, database: Database
) -> None:
    async with serving(bound_settings, database) as client:
        response = await get_me(client, hs256(claims(iss=ISSUER, aud=[AUDIENCE, "account"])))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://evil.example/realms/beneficiaries"}, "issuer"),
        ({"aud": "another-api"}, "audience"),
        ({"aud": ["another-api", "account"]}, "audience"),
        ({"iss": None}, "issuer"),
        ({"aud": None}, "audience"),
    ],
    ids=["wrong-issuer", "wrong-audience", "audience-list-without-us", "no-iss", "no-aud"],
)
async def test_token_for_another_issuer_or_audience_is_refused(
    bound_settings: Settings, database: Database, overrides: dict[str, Any], reason: str
) -> None:
    token = hs256(claims(**{"iss": ISSUER, "aud": AUDIENCE, **overrides}))
    async with serving(bound_settings, database) as client:
        assert_invalid_token(await get_me(client, token), reason)


# --- RS256 / ES256 against a JWKS --------------------------------------------------------------


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, alg: str, kid: str) -> Any:
    return jwk.construct(public_pem(key), alg).to_dict() | {"kid": kid, "use": "sig"}


def signed(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, alg: str, kid: str, sub: str = "u1"
) -> str:
    return jwt.encode(claims(sub=sub), private_pem(key), algorithm=alg, headers={"kid": kid})


def write_jwks(path: Path, *keys: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"keys": list(keys)}), encoding="utf-8")
    return path


def jwks_settings(tmp_path: Path, jwks: Path, *algorithms: str) -> Settings:
    return make_settings(tmp_path, jwt_algorithms=list(algorithms), jwt_jwks_file=jwks)


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa_key()


async def test_rs256_token_is_verified_against_the_jwks_file(
    tmp_path: Path, database: Database, rsa_private: rsa.RSAPrivateKey
) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", public_jwk(rsa_private, "RS256", "k1"))
    async with serving(jwks_settings(tmp_path, jwks, "RS256"), database) as client:
        response = await get_me(client, signed(rsa_private, "RS256", "k1"))
        forged = await get_me(client, signed(rsa_key(), "RS256", "k1"))
    assert response.status_code == 200
    assert response.json()["roles"] == ["beneficiary"]
    assert_invalid_token(forged, "signature")


async def test_es256_token_is_verified_against_the_jwks_file(
    tmp_path: Path, database: Database
) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    jwks = write_jwks(tmp_path / "jwks.json", public_jwk(private, "ES256", "e1"))
    async with serving(jwks_settings(tmp_path, jwks, "ES256"), database) as client:
        response = await get_me(client, signed(private, "ES256", "e1"))
    assert response.status_code == 200


async def test_hs256_token_keyed_with_the_rsa_public_key_is_refused(
    tmp_path: Path, database: Database, rsa_private: rsa.RSAPrivateKey
) -> None:
    """Algorithm confusion: the public key is public, so it must never serve as an HMAC secret."""
    jwks = write_jwks(tmp_path / "jwks.json", public_jwk(rsa_private, "RS256", "k1"))
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    payload = b64url(json.dumps(claims(roles=["admin"])).encode())
    mac = hmac.new(public_pem(rsa_private), f"{header}.{payload}".encode(), hashlib.sha256)
    forged = f"{header}.{payload}.{b64url(mac.digest())}"
    async with serving(jwks_settings(tmp_path, jwks, "RS256"), database) as client:
        assert_invalid_token(await get_me(client, forged), "algorithm_not_allowed")


async def test_token_with_an_unknown_kid_is_refused(
    tmp_path: Path, database: Database, rsa_private: rsa.RSAPrivateKey
) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", public_jwk(rsa_private, "RS256", "k1"))
    async with serving(jwks_settings(tmp_path, jwks, "RS256"), database) as client:
        assert_invalid_token(
            await get_me(client, signed(rsa_private, "RS256", "k9")), "unknown_key"
        )


async def test_key_added_to_the_jwks_is_picked_up_on_an_unknown_kid(
    tmp_path: Path,
    database: Database,
    rsa_private: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "JWKS_MIN_REFRESH_SECONDS", 0.0)
    old_jwk = public_jwk(rsa_private, "RS256", "2025")
    jwks = write_jwks(tmp_path / "jwks.json", old_jwk)
    rotated = rsa_key()
    async with serving(jwks_settings(tmp_path, jwks, "RS256"), database) as client:
        assert (await get_me(client, signed(rsa_private, "RS256", "2025"))).status_code == 200
        before = await get_me(client, signed(rotated, "RS256", "2026"))
        write_jwks(jwks, old_jwk, public_jwk(rotated, "RS256", "2026"))
        after = await get_me(client, signed(rotated, "RS256", "2026"))
        still_old = await get_me(client, signed(rsa_private, "RS256", "2025"))
    assert_invalid_token(before, "unknown_key")
    assert after.status_code == 200
    assert still_old.status_code == 200


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 that counts its hits."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.status = 200
        self.hits = 0
        self.url = ""


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def test_jwks_url_is_fetched_once_and_cached(
    tmp_path: Path,
    database: Database,
    rsa_private: rsa.RSAPrivateKey,
    jwks_server: JwksServer,
) -> None:
    jwks_server.document = {"keys": [public_jwk(rsa_private, "RS256", "k1")]}
    configured = make_settings(tmp_path, jwt_algorithms=["RS256"], jwt_jwks_url=jwks_server.url)
    async with serving(configured, database) as client:
        first = await get_me(client, signed(rsa_private, "RS256", "k1"))
        second = await get_me(client, signed(rsa_private, "RS256", "k1"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert jwks_server.hits == 1


@pytest.mark.parametrize("outage", ["http-503", "not-a-jwks"])
async def test_cached_keys_keep_serving_while_the_jwks_url_fails(
    tmp_path: Path,
    database: Database,
    rsa_private: rsa.RSAPrivateKey,
    jwks_server: JwksServer,
    outage: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "JWKS_MIN_REFRESH_SECONDS", 0.0)
    jwks_server.document = {"keys": [public_jwk(rsa_private, "RS256", "k1")]}
    configured = make_settings(
        tmp_path, jwt_algorithms=["RS256"], jwt_jwks_url=jwks_server.url, jwks_cache_seconds=0
    )
    async with serving(configured, database) as client:
        assert (await get_me(client, signed(rsa_private, "RS256", "k1"))).status_code == 200
        if outage == "http-503":
            jwks_server.status = 503
        else:  # a proxy's error page in JSON: it must not wipe the keys we have
            jwks_server.document = {"error": "maintenance"}
        # another token (a verified one is remembered and would not need the keys again)
        response = await get_me(client, signed(rsa_private, "RS256", "k1", sub="u2"))
    assert response.status_code == 200
    assert jwks_server.hits == 2  # the provider was asked again, and its answer was not used


async def test_a_failing_provider_is_not_asked_again_on_every_request(
    tmp_path: Path, database: Database, rsa_private: rsa.RSAPrivateKey, jwks_server: JwksServer
) -> None:
    jwks_server.document = {"keys": [public_jwk(rsa_private, "RS256", "k1")]}
    configured = make_settings(
        tmp_path, jwt_algorithms=["RS256"], jwt_jwks_url=jwks_server.url, jwks_cache_seconds=0
    )
    async with serving(configured, database) as client:
        assert (await get_me(client, signed(rsa_private, "RS256", "k1"))).status_code == 200
        jwks_server.status = 503
        for _ in range(3):
            assert (await get_me(client, signed(rsa_private, "RS256", "k1"))).status_code == 200
    assert jwks_server.hits == 1, "retries wait JWKS_MIN_REFRESH_SECONDS between attempts"


async def test_unreachable_jwks_url_without_cached_keys_is_refused(
    tmp_path: Path, database: Database, rsa_private: rsa.RSAPrivateKey
) -> None:
    configured = make_settings(
        tmp_path, jwt_algorithms=["RS256"], jwt_jwks_url="http://127.0.0.1:1/jwks.json"
    )
    async with serving(configured, database) as client:
        response = await get_me(client, signed(rsa_private, "RS256", "k1"))
    assert_invalid_token(response, "keys_unavailable")
