"""Roles, permissions and the caller (``Principal``); tokens are verified in ``app.core.tokens``."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    BENEFICIARY = "beneficiary"
    PARTICIPATION_OFFICER = "participation_officer"
    INFORMATION_OFFICER = "information_officer"
    APPEALS_OFFICER = "appeals_officer"
    DATA_PUBLISHER = "data_publisher"
    ANALYST = "analyst"
    CHANNEL_INTEGRATOR = "channel_integrator"
    ADMIN = "admin"


class Permission(StrEnum):
    PERSONAL_DATA_MANAGE_OWN = "personal_data:manage_own"
    CONSULTATIONS_MANAGE = "consultations:manage"
    POLLS_MANAGE = "polls:manage"
    POLLS_RESPOND = "polls:respond"
    SUBMISSIONS_CREATE = "submissions:create"
    SUBMISSIONS_READ_OWN = "submissions:read_own"
    SUBMISSIONS_WITHDRAW_OWN = "submissions:withdraw_own"
    SUBMISSIONS_TRIAGE = "submissions:triage"
    SUBMISSIONS_DECIDE = "submissions:decide"
    SUBMISSIONS_IMPORT = "submissions:import"
    FEEDBACK_PUBLISH = "feedback:publish"
    INFORMATION_REQUESTS_CREATE = "information_requests:create"
    INFORMATION_REQUESTS_READ_OWN = "information_requests:read_own"
    INFORMATION_REQUESTS_WITHDRAW_OWN = "information_requests:withdraw_own"
    INFORMATION_REQUESTS_HANDLE = "information_requests:handle"
    APPEALS_FILE = "appeals:file"
    APPEALS_READ_OWN = "appeals:read_own"
    APPEALS_DECIDE = "appeals:decide"
    DATASETS_MANAGE = "datasets:manage"
    ANALYTICS_READ = "analytics:read"
    CALENDAR_MANAGE = "calendar:manage"
    SETTINGS_MANAGE = "settings:manage"
    AUDIT_READ = "audit:read"
    NOTIFICATIONS_READ_OWN = "notifications:read_own"
    EVENTS_READ = "events:read"
    WEBHOOKS_MANAGE = "webhooks:manage"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BENEFICIARY: frozenset(
        {
            Permission.PERSONAL_DATA_MANAGE_OWN,
            Permission.POLLS_RESPOND,
            Permission.SUBMISSIONS_CREATE,
            Permission.SUBMISSIONS_READ_OWN,
            Permission.SUBMISSIONS_WITHDRAW_OWN,
            Permission.INFORMATION_REQUESTS_CREATE,
            Permission.INFORMATION_REQUESTS_READ_OWN,
            Permission.INFORMATION_REQUESTS_WITHDRAW_OWN,
            Permission.APPEALS_FILE,
            Permission.APPEALS_READ_OWN,
        }
    ),
    Role.PARTICIPATION_OFFICER: frozenset(
        {
            Permission.CONSULTATIONS_MANAGE,
            Permission.POLLS_MANAGE,
            Permission.SUBMISSIONS_TRIAGE,
            Permission.SUBMISSIONS_DECIDE,
            Permission.FEEDBACK_PUBLISH,
            Permission.ANALYTICS_READ,
        }
    ),
    Role.INFORMATION_OFFICER: frozenset({Permission.INFORMATION_REQUESTS_HANDLE}),
    Role.APPEALS_OFFICER: frozenset({Permission.APPEALS_DECIDE}),
    Role.DATA_PUBLISHER: frozenset({Permission.DATASETS_MANAGE}),
    Role.ANALYST: frozenset({Permission.ANALYTICS_READ}),
    Role.CHANNEL_INTEGRATOR: frozenset({Permission.SUBMISSIONS_IMPORT, Permission.EVENTS_READ}),
    Role.ADMIN: frozenset(
        {
            Permission.CALENDAR_MANAGE,
            Permission.SETTINGS_MANAGE,
            Permission.AUDIT_READ,
            Permission.EVENTS_READ,
            Permission.WEBHOOKS_MANAGE,
        }
    ),
}
# Everyone signed in has an inbox (officers receive reminders and escalations).
for _role in Role:
    ROLE_PERMISSIONS[_role] |= {Permission.NOTIFICATIONS_READ_OWN}


@dataclass(frozen=True)
class Principal:
    """The verified caller: a stable ``sub``, known roles and the optional profile claims."""

    sub: str
    roles: frozenset[Role]
    name: str | None = None
    email: str | None = None
    beneficiary_category: str | None = None
    locale: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(ROLE_PERMISSIONS[role] for role in self.roles))

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions
