"""Bearer JWT verification (HS secret or JWKS) and development token minting."""

import asyncio
import json
import re
import time
from datetime import timedelta
from typing import Any

import httpx
from cachetools import TTLCache
from jose import ExpiredSignatureError, JWTError, jwt
from jose.exceptions import JOSEError, JWTClaimsError

from app.core.config import SYMMETRIC_ALGORITHMS, Settings
from app.core.security import Principal, Role

JWKS_MIN_REFRESH_SECONDS = 10.0
_KEY_TYPES = {"RS": "RSA", "ES": "EC"}
_PROFILE_CLAIMS = ("name", "email", "beneficiary_category", "locale")
_MISSING_CLAIM = re.compile(r'missing required key "(\w+)"')
_MISSING_CLAIM_REASONS = {"sub": "missing_sub", "aud": "audience", "iss": "issuer"}


class TokenError(Exception):
    """The token is not acceptable; ``reason`` is a short stable word for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeySet:
    """Public keys from a JWKS file or URL, cached, refreshed when an unknown ``kid`` shows up."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: list[dict[str, Any]] = []
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None, algorithm: str) -> dict[str, Any]:
        if self._expired():
            await self._refresh()
        key = self._find(kid, algorithm)
        if key is None and time.monotonic() - self._attempted_at > JWKS_MIN_REFRESH_SECONDS:
            await self._refresh()  # key rotation at the identity provider
            key = self._find(kid, algorithm)
        if key is None:
            raise TokenError("unknown_key")
        return key

    def _expired(self) -> bool:
        now = time.monotonic()
        stale = now - self._fetched_at > self._settings.jwks_cache_seconds
        return stale and (not self._keys or now - self._attempted_at > JWKS_MIN_REFRESH_SECONDS)

    def _find(self, kid: str | None, algorithm: str) -> dict[str, Any] | None:
        candidates = [key for key in self._keys if _key_fits(key, algorithm)]
        if kid is not None:
            candidates = [key for key in candidates if key.get("kid") == kid]
        return candidates[0] if len(candidates) == 1 or (kid is not None and candidates) else None

    async def _refresh(self) -> None:
        attempt = time.monotonic()
        async with self._lock:
            if self._attempted_at >= attempt:
                return  # another request refreshed while this one waited for the lock
            # Throttle retries: while the provider is down, requests don't each wait on it.
            self._attempted_at = time.monotonic()
            try:
                document = await self._load()
            except (OSError, httpx.HTTPError, ValueError) as exc:
                if not self._keys:
                    raise TokenError("keys_unavailable") from exc
                return  # keep serving the keys we have while the provider is unreachable
            self._keys = [key for key in document.get("keys", []) if isinstance(key, dict)]
            self._fetched_at = time.monotonic()

    async def _load(self) -> dict[str, Any]:
        if self._settings.jwt_jwks_file is not None:
            text = await asyncio.to_thread(self._settings.jwt_jwks_file.read_text, "utf-8")
            document = json.loads(text)
        elif self._settings.jwt_jwks_url:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self._settings.jwt_jwks_url)
                response.raise_for_status()
                document = response.json()
        else:
            raise ValueError("no JWKS configured")
        # An error body without "keys" must not replace (and so wipe) the keys we have.
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("JWKS must be a JSON object with a list of keys")
        return document


def _key_fits(key: dict[str, Any], algorithm: str) -> bool:
    if key.get("use", "sig") != "sig" or key.get("alg", algorithm) != algorithm:
        return False
    return key.get("kty") == _KEY_TYPES.get(algorithm[:2])


class TokenVerifier:
    """Verifies bearer tokens, remembering recent successes.

    An app sends the same token with every request until it expires; checking its signature each
    time is a large share of a short request. A verified token's principal is kept for at most
    ``VERIFIED_TTL_SECONDS`` (so a key withdrawn from the JWKS stops being honoured within that
    time) and never past the token's own expiry. Failures are not kept.
    """

    VERIFIED_TTL_SECONDS = 60.0

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys = KeySet(settings)
        # token -> (principal, the instant its exp, with leeway, passes), in time.time() seconds
        self._verified: TTLCache[str, tuple[Principal, float]] = TTLCache(
            maxsize=10_000, ttl=self.VERIFIED_TTL_SECONDS
        )

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None and time.time() <= remembered[1]:
            return remembered[0]
        algorithm = self._allowed_algorithm(token)
        if algorithm in SYMMETRIC_ALGORITHMS:
            key: str | dict[str, Any] = self._settings.signing_secret()
        else:
            key = await self._keys.key_for(self._header(token).get("kid"), algorithm)
        claims = self._decode(token, key, algorithm)
        principal = principal_from_claims(claims, self._settings.jwt_roles_claim)
        expires = float(claims["exp"]) + self._settings.jwt_leeway_seconds
        self._verified[token] = (principal, expires)
        return principal

    def _header(self, token: str) -> dict[str, Any]:
        try:
            return jwt.get_unverified_header(token)
        except JWTError as exc:
            raise TokenError("malformed") from exc

    def _allowed_algorithm(self, token: str) -> str:
        # The list is fixed by configuration; the token's own "alg" only selects from it.
        algorithm = self._header(token).get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._settings.jwt_algorithms:
            raise TokenError("algorithm_not_allowed")
        return algorithm

    def _decode(self, token: str, key: str | dict[str, Any], algorithm: str) -> dict[str, Any]:
        settings = self._settings
        options = {
            "leeway": settings.jwt_leeway_seconds,
            "require_exp": True,
            "require_sub": True,
            "verify_aud": settings.jwt_audience is not None,
            "require_aud": settings.jwt_audience is not None,
            "require_iss": settings.jwt_issuer is not None,
        }
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options=options,
            )
        except ExpiredSignatureError as exc:
            raise TokenError("expired") from exc
        except JWTClaimsError as exc:
            raise TokenError(_claims_reason(str(exc))) from exc
        except (JOSEError, TypeError, ValueError) as exc:
            # A signed but odd claim (e.g. "exp": null) or an unusable JWKS entry lands here too.
            if not isinstance(exc, JWTError):
                raise TokenError(
                    "claims" if not isinstance(exc, JOSEError) else "unknown_key"
                ) from exc
            # python-jose reports an absent required claim as a plain JWTError, not a claims error.
            if missing := _MISSING_CLAIM.search(str(exc)):
                raise TokenError(_MISSING_CLAIM_REASONS.get(missing.group(1), "claims")) from exc
            raise TokenError("signature" if "ignature" in str(exc) else "malformed") from exc


def _claims_reason(message: str) -> str:
    lowered = message.lower()
    for needle, reason in (
        ("nbf", "not_yet_valid"),
        ("audience", "audience"),
        ("issuer", "issuer"),
        ("sub", "missing_sub"),
    ):
        if needle in lowered:
            return reason
    return "claims"


def principal_from_claims(claims: dict[str, Any], roles_claim: str) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise TokenError("missing_sub")
    profile = {name: claims[name] for name in _PROFILE_CLAIMS if isinstance(claims.get(name), str)}
    return Principal(sub=sub, roles=_roles(claims, roles_claim), claims=claims, **profile)


def _roles(claims: dict[str, Any], path: str) -> frozenset[Role]:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    names = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    known = {role.value for role in Role}
    # Unknown roles are ignored, and so are non-string entries (a dict is not even hashable).
    return frozenset(Role(name) for name in names if isinstance(name, str) and name in known)


def mint_token(
    settings: Settings,
    *,
    sub: str,
    roles: list[str],
    ttl: timedelta = timedelta(hours=1),
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """Sign a development token with the HS secret, roles at the configured claim path."""
    algorithm = next((alg for alg in settings.jwt_algorithms if alg in SYMMETRIC_ALGORITHMS), None)
    if algorithm is None:
        raise ValueError("tokens can be minted only when an HS algorithm is configured")
    # Wall-clock time, not the injectable clock: verification checks exp/nbf against real time.
    issued = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(ttl.total_seconds()),
        **(extra_claims or {}),
    }
    _set_path(claims, settings.jwt_roles_claim, roles)
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.signing_secret(), algorithm=algorithm)


def _set_path(claims: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        claims = claims.setdefault(part, {})
    claims[leaf] = value
