"""三员分立 and the no-superuser / no-default-account start-up check (SECURITY.md 1, 11)."""

from __future__ import annotations

import itertools

import pytest
from django.core.checks import Error
from django.core.exceptions import ValidationError

from tests.conftest import Units
from tests.factories import UserFactory
from xinfang.accounts.checks import DEFAULT_USERNAMES, no_superuser_or_default_account
from xinfang.accounts.enums import ADMIN_ROLES, CASE_ROLES, Role
from xinfang.accounts.models import User, UserRole
from xinfang.accounts.services import check_role_combination, create_user
from xinfang.audit.models import AuditEvent

TWO_ADMIN_ROLES = "系统管理员、安全管理员、审计管理员三种角色互斥，只能担任其一。"
ADMIN_WITH_CASE_ROLE = "管理员角色不能与业务角色（登记、承办、督查等）同时授予同一用户。"


def staff(**fields: object) -> User:
    """A user without a usable password: these tests never log in, and hashing is slow."""
    user: User = UserFactory(password=None, **fields)
    return user


def refusal(roles: list[Role]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        check_role_combination(roles)
    return caught.value.messages


def test_the_three_admin_roles_and_five_case_roles_partition_all_roles() -> None:
    assert sorted(ADMIN_ROLES) == ["audit_admin", "security_admin", "system_admin"]
    assert sorted(CASE_ROLES) == ["clerk", "handler", "leader", "reviewer", "supervisor"]


@pytest.mark.parametrize(
    "pair",
    list(itertools.combinations(sorted(ADMIN_ROLES), 2)),
    ids=lambda pair: "+".join(pair),
)
def test_any_two_admin_roles_together_are_refused(pair: tuple[Role, Role]) -> None:
    assert refusal(list(pair)) == [TWO_ADMIN_ROLES]


def test_all_three_admin_roles_together_are_refused() -> None:
    assert refusal(sorted(ADMIN_ROLES)) == [TWO_ADMIN_ROLES]


@pytest.mark.parametrize(
    ("admin", "case_role"),
    list(itertools.product(sorted(ADMIN_ROLES), sorted(CASE_ROLES))),
    ids=lambda role: str(role),
)
def test_an_admin_role_with_a_case_role_is_refused(admin: Role, case_role: Role) -> None:
    assert refusal([admin, case_role]) == [ADMIN_WITH_CASE_ROLE]


@pytest.mark.parametrize(
    "roles",
    [
        [],
        [Role.SYSTEM_ADMIN],
        [Role.SECURITY_ADMIN],
        [Role.AUDIT_ADMIN],
        [Role.CLERK, Role.HANDLER],
        [Role.HANDLER, Role.REVIEWER, Role.LEADER],
        sorted(CASE_ROLES),
        [Role.CLERK, Role.CLERK],
    ],
    ids=lambda roles: "+".join(roles) or "none",
)
def test_allowed_combinations_pass(roles: list[Role]) -> None:
    check_role_combination(roles)  # raises ValidationError if refused


@pytest.mark.django_db
@pytest.mark.parametrize(
    "roles",
    [[Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN], [Role.AUDIT_ADMIN, Role.CLERK]],
    ids=["two-admin-roles", "admin-and-case-role"],
)
def test_create_user_with_a_bad_combination_writes_no_user_and_no_audit_event(
    units: Units, roles: list[Role]
) -> None:
    users_before = list(User.objects.values_list("username", flat=True))

    with pytest.raises(ValidationError):
        create_user(
            actor=None,
            username="zhang_san",
            full_name="张三",
            unit=units.office,
            roles=roles,
            password="Xf-test-Passw0rd!",
        )

    assert list(User.objects.values_list("username", flat=True)) == users_before
    assert (
        UserRole.objects.filter(user__username="zhang_san").count(),
        AuditEvent.objects.count(),
    ) == (0, 0)


@pytest.mark.django_db
def test_create_user_with_case_roles_writes_the_user_roles_and_one_audit_event(
    units: Units,
) -> None:
    user = create_user(
        actor=None,
        username="zhang_san",
        full_name="张三",
        unit=units.unit_a,
        roles=[Role.HANDLER, Role.CLERK, Role.HANDLER],
        password=None,
    )

    event = AuditEvent.objects.get()
    assert (user.roles, user.has_usable_password()) == (
        frozenset({Role.CLERK, Role.HANDLER}),
        False,
    )
    assert (event.event, event.object_id, event.detail) == (
        "user.create",
        str(user.pk),
        {"username": "zhang_san", "unit": "A11", "roles": ["clerk", "handler"]},
    )


# --- Start-up check: no superuser, no default account ------------------------------------------


@pytest.fixture
def ordinary_staff(units: Units) -> None:
    """Accounts that look administrative but are not: the check must stay quiet about them."""
    staff(username="administrator_li", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    staff(username="admin2", unit=units.office, roles=[Role.SECURITY_ADMIN])
    staff(username="auditor", unit=units.office, roles=[Role.AUDIT_ADMIN], is_staff=True)
    staff(username="clerk", unit=units.office, roles=[Role.CLERK])


@pytest.mark.django_db
def test_the_check_is_quiet_without_superusers_or_default_accounts(ordinary_staff: None) -> None:
    assert no_superuser_or_default_account() == []


@pytest.mark.django_db
def test_the_check_is_quiet_on_an_empty_database() -> None:
    assert no_superuser_or_default_account() == []


@pytest.mark.django_db
def test_a_superuser_fails_the_check(ordinary_staff: None, units: Units) -> None:
    staff(username="boss", unit=units.office, is_superuser=True, is_staff=True)

    assert no_superuser_or_default_account() == [
        Error(
            "存在超级用户账号：boss。本系统不允许超级用户，请使用三员角色。",
            id="xinfang.E001",
        )
    ]


@pytest.mark.django_db
def test_an_inactive_superuser_still_fails_the_check(units: Units) -> None:
    staff(username="boss", unit=units.office, is_superuser=True, is_active=False)

    assert [message.id for message in no_superuser_or_default_account()] == ["xinfang.E001"]


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEFAULT_USERNAMES)
def test_an_active_default_account_fails_the_check(
    ordinary_staff: None, units: Units, username: str
) -> None:
    staff(username=username, unit=units.office, roles=[Role.SYSTEM_ADMIN])

    assert no_superuser_or_default_account() == [
        Error(f"存在默认账号：{username}。请删除或停用。", id="xinfang.E002")
    ]


@pytest.mark.django_db
def test_an_inactive_default_account_passes_the_check(ordinary_staff: None, units: Units) -> None:
    staff(username="admin", unit=units.office, is_active=False)

    assert no_superuser_or_default_account() == []


@pytest.mark.django_db
def test_a_superuser_named_admin_fails_both_ways(units: Units) -> None:
    staff(username="admin", unit=units.office, is_superuser=True)

    assert [message.id for message in no_superuser_or_default_account()] == [
        "xinfang.E001",
        "xinfang.E002",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["Admin", "ROOT"])
def test_a_default_account_in_other_case_fails_the_check(units: Units, username: str) -> None:
    staff(username=username, unit=units.office)

    assert [message.id for message in no_superuser_or_default_account()] == ["xinfang.E002"]
