"""Roles and permissions: the table in DESIGN.md §5, written out here as the specification."""

import pytest

from app.core.security import ROLE_PERMISSIONS, Permission, Principal, Role

EXPECTED_PERMISSIONS: dict[Role, set[str]] = {
    Role.BENEFICIARY: {
        "personal_data:manage_own",
        "polls:respond",
        "submissions:create",
        "submissions:read_own",
        "submissions:withdraw_own",
        "information_requests:create",
        "information_requests:read_own",
        "information_requests:withdraw_own",
        "appeals:file",
        "appeals:read_own",
    },
    Role.PARTICIPATION_OFFICER: {
        "consultations:manage",
        "polls:manage",
        "submissions:triage",
        "submissions:decide",
        "feedback:publish",
        "analytics:read",
    },
    Role.INFORMATION_OFFICER: {"information_requests:handle"},
    Role.APPEALS_OFFICER: {"appeals:decide"},
    Role.DATA_PUBLISHER: {"datasets:manage"},
    Role.ANALYST: {"analytics:read"},
    Role.CHANNEL_INTEGRATOR: {"submissions:import", "events:read"},
    Role.ADMIN: {
        "calendar:manage",
        "settings:manage",
        "audit:read",
        "events:read",
        "webhooks:manage",
    },
}
# Every signed-in caller has an inbox: officers receive reminders and escalations.
for _granted in EXPECTED_PERMISSIONS.values():
    _granted.add("notifications:read_own")


def test_the_specification_covers_every_role() -> None:
    assert set(EXPECTED_PERMISSIONS) == set(Role)
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_role_has_exactly_the_specified_permissions(role: Role) -> None:
    assert {permission.value for permission in ROLE_PERMISSIONS[role]} == EXPECTED_PERMISSIONS[role]


def test_every_permission_is_granted_to_some_role() -> None:
    granted = frozenset().union(*ROLE_PERMISSIONS.values())
    assert set(Permission) - granted == set()


def test_permissions_are_named_resource_colon_action() -> None:
    for permission in Permission:
        resource, _, action = permission.value.partition(":")
        assert resource and action and ":" not in action, permission


def test_only_admin_may_read_the_audit_log_or_manage_the_calendar() -> None:
    admin_only = (Permission.AUDIT_READ, Permission.CALENDAR_MANAGE, Permission.SETTINGS_MANAGE)
    for permission in admin_only:
        holders = {role for role, granted in ROLE_PERMISSIONS.items() if permission in granted}
        assert holders == {Role.ADMIN}


def test_analyst_gets_nothing_that_touches_personal_data() -> None:
    analyst = Principal(sub="a1", roles=frozenset({Role.ANALYST}))
    assert analyst.permissions == {Permission.ANALYTICS_READ, Permission.NOTIFICATIONS_READ_OWN}
    assert not analyst.has(Permission.PERSONAL_DATA_MANAGE_OWN)
    assert not analyst.has(Permission.SUBMISSIONS_TRIAGE)


def test_caller_with_several_roles_gets_the_union() -> None:
    caller = Principal(sub="u1", roles=frozenset({Role.INFORMATION_OFFICER, Role.APPEALS_OFFICER}))
    assert caller.permissions == {
        Permission.INFORMATION_REQUESTS_HANDLE,
        Permission.APPEALS_DECIDE,
        Permission.NOTIFICATIONS_READ_OWN,
    }
    assert caller.has(Permission.APPEALS_DECIDE)
    assert not caller.has(Permission.SUBMISSIONS_CREATE)


def test_caller_with_every_role_holds_every_permission() -> None:
    everyone = Principal(sub="root", roles=frozenset(Role))
    assert everyone.permissions == frozenset(Permission)


def test_caller_without_known_roles_holds_no_permission() -> None:
    nobody = Principal(sub="u2", roles=frozenset())
    assert nobody.permissions == frozenset()
    assert not any(nobody.has(permission) for permission in Permission)


def test_principals_compare_by_identity_not_by_raw_claims() -> None:
    first = Principal(sub="u1", roles=frozenset({Role.BENEFICIARY}), claims={"jti": "a"})
    second = Principal(sub="u1", roles=frozenset({Role.BENEFICIARY}), claims={"jti": "b"})
    assert first == second
    assert "jti" not in repr(first)  # raw claims stay out of logs and tracebacks
