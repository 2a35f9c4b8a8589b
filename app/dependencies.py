"""Annotated dependency aliases: the session, the caller, and one alias per permission.

Dependencies are ``async def`` even when they do no I/O: FastAPI runs a plain ``def`` dependency
in a thread pool, a hop per request (tests/test_dependencies_are_async.py keeps it so).
"""

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.concurrency import parse_if_match
from app.core.crypto import PersonalDataCipher
from app.core.db import get_session
from app.core.errors import Forbidden, Unauthorized
from app.core.idempotency import Idempotency
from app.core.security import Permission, Principal
from app.core.tokens import TokenError, TokenVerifier
from app.services import idempotency as idempotency_service
from app.services.calendar import CalendarRules, SnapshotCache
from app.services.working_days import CalendarSnapshot

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Exit before the response is sent, so a failed commit becomes an error response.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

# Declares the bearer scheme in OpenAPI; the header itself is parsed below.
_bearer_scheme = HTTPBearer(auto_error=False, description="JWT access token")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def optional_principal(
    request: Request, _scheme: Annotated[object, Depends(_bearer_scheme)]
) -> Principal | None:
    """The verified caller, or None for an anonymous request."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise _invalid_token("malformed")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return await verifier.verify(token.strip())
    except TokenError as exc:
        raise _invalid_token(exc.reason) from exc


def _invalid_token(reason: str) -> Unauthorized:
    challenge = f'Bearer error="invalid_token", error_description="{reason}"'
    return Unauthorized(
        code="invalid_token", reason=reason, headers={"WWW-Authenticate": challenge}
    )


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


async def authenticated_principal(principal: OptionalPrincipalDep) -> Principal:
    if principal is None:
        raise Unauthorized(headers=_CHALLENGE)
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticated_principal)]


class PermissionCheck:
    """A dependency admitting callers who hold any of ``permissions`` (401 anonymous, else 403).

    A class rather than a closure so a route's permissions stay readable as data: the
    permission-matrix test walks every route's dependencies for ``required_permissions``.
    """

    def __init__(self, *permissions: Permission) -> None:
        self.permissions = permissions
        self.required_permissions = frozenset(permissions)
        self.__name__ = "require_" + "_or_".join(p.name.lower() for p in permissions)

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if not any(principal.has(permission) for permission in self.permissions):
            raise Forbidden(permission=" | ".join(p.value for p in self.permissions))
        return principal


def require(permission: Permission) -> PermissionCheck:
    """A dependency that admits only callers holding ``permission`` (401 anonymous, else 403)."""
    return PermissionCheck(permission)


async def public() -> None:
    """Marks a route as open to anonymous callers, so the choice is explicit.

    The permission-matrix test recognises public routes by this very function.
    """


PublicAccess = Depends(public)


def require_any(*permissions: Permission) -> PermissionCheck:
    """Admit callers holding at least one of the permissions (401 anonymous, else 403)."""
    return PermissionCheck(*permissions)


# Submitters read their own, participation officers and analysts all (analysts without
# personal data); the history is for submitters and officers.
CanReadSubmissions = Annotated[
    Principal,
    Depends(
        require_any(
            Permission.SUBMISSIONS_READ_OWN,
            Permission.SUBMISSIONS_TRIAGE,
            Permission.ANALYTICS_READ,
        )
    ),
]
CanReadSubmissionHistory = Annotated[
    Principal,
    Depends(require_any(Permission.SUBMISSIONS_READ_OWN, Permission.SUBMISSIONS_TRIAGE)),
]


CanManageCalendar = Annotated[Principal, Depends(require(Permission.CALENDAR_MANAGE))]
CanManageConsultations = Annotated[Principal, Depends(require(Permission.CONSULTATIONS_MANAGE))]
CanManagePolls = Annotated[Principal, Depends(require(Permission.POLLS_MANAGE))]
CanRespondToPolls = Annotated[Principal, Depends(require(Permission.POLLS_RESPOND))]
CanCreateSubmissions = Annotated[Principal, Depends(require(Permission.SUBMISSIONS_CREATE))]
CanWithdrawOwnSubmissions = Annotated[
    Principal, Depends(require(Permission.SUBMISSIONS_WITHDRAW_OWN))
]
CanTriageSubmissions = Annotated[Principal, Depends(require(Permission.SUBMISSIONS_TRIAGE))]
CanDecideSubmissions = Annotated[Principal, Depends(require(Permission.SUBMISSIONS_DECIDE))]
CanImportSubmissions = Annotated[Principal, Depends(require(Permission.SUBMISSIONS_IMPORT))]
CanFileInformationRequests = Annotated[
    Principal, Depends(require(Permission.INFORMATION_REQUESTS_CREATE))
]
CanWithdrawOwnInformationRequests = Annotated[
    Principal, Depends(require(Permission.INFORMATION_REQUESTS_WITHDRAW_OWN))
]
CanHandleInformationRequests = Annotated[
    Principal, Depends(require(Permission.INFORMATION_REQUESTS_HANDLE))
]
CanReadInformationRequests = Annotated[
    Principal,
    Depends(
        require_any(
            Permission.INFORMATION_REQUESTS_READ_OWN, Permission.INFORMATION_REQUESTS_HANDLE
        )
    ),
]
CanFileAppeals = Annotated[Principal, Depends(require(Permission.APPEALS_FILE))]
CanDecideAppeals = Annotated[Principal, Depends(require(Permission.APPEALS_DECIDE))]
CanReadAppeals = Annotated[
    Principal, Depends(require_any(Permission.APPEALS_READ_OWN, Permission.APPEALS_DECIDE))
]
CanManageDatasets = Annotated[Principal, Depends(require(Permission.DATASETS_MANAGE))]
CanPublishFeedback = Annotated[Principal, Depends(require(Permission.FEEDBACK_PUBLISH))]
CanReadAnalytics = Annotated[Principal, Depends(require(Permission.ANALYTICS_READ))]
CanReadOwnNotifications = Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_READ_OWN))]
CanReadEvents = Annotated[Principal, Depends(require(Permission.EVENTS_READ))]
CanManageWebhooks = Annotated[Principal, Depends(require(Permission.WEBHOOKS_MANAGE))]


async def personal_data_cipher(request: Request) -> PersonalDataCipher:
    cipher: PersonalDataCipher = request.app.state.cipher
    return cipher


CipherDep = Annotated[PersonalDataCipher, Depends(personal_data_cipher)]


async def calendar_snapshot(request: Request, session: SessionDep) -> CalendarSnapshot:
    """The current calendar, reloaded when another worker or replica has changed it (reads may
    reuse a check made within ``calendar_read_cache_seconds``)."""
    cache: SnapshotCache = request.app.state.calendar
    return await cache.get(session, for_write=request.method not in SAFE_METHODS)


async def calendar_being_edited(request: Request) -> CalendarRules:
    """The calendar's rules, for the routes that edit it: the read cache of this process is
    dropped first, so its reads see the edit at once rather than after the cache lapses."""
    cache: SnapshotCache = request.app.state.calendar
    cache.invalidate()
    return cache.rules


CalendarDep = Annotated[CalendarSnapshot, Depends(calendar_snapshot)]
CalendarEditDep = Annotated[CalendarRules, Depends(calendar_being_edited)]

IfMatch = Annotated[int | None, Depends(parse_if_match)]


async def idempotency(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retry-safe creation: a retry with the same key gets the first answer.",
        ),
    ] = None,
) -> Idempotency:
    key = idempotency_service.validate_key(idempotency_key) if idempotency_key is not None else None
    body = await request.body() if key is not None else b""
    return Idempotency(
        session,
        caller=principal.sub if principal else None,
        key=key,
        request_hash=idempotency_service.fingerprint(request.method, request.url.path, body),
        ttl=timedelta(hours=request.app.state.settings.idempotency_ttl_hours),
    )


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
