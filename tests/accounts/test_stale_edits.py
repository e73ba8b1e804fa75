"""No lost updates on the administrators' edit forms (SECURITY.md 24): a form drawn before
another administrator saved is refused with 409 "已被他人修改", changes nothing, and shows
what is stored now beside what was submitted; saving again from that page is deliberate."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import Units, logged_in
from tests.factories import UserFactory
from xinfang.accounts import services
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Unit, User
from xinfang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_admins(units: Units) -> tuple[Client, Client]:
    first = UserFactory(username="admin1", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    second = UserFactory(username="admin2", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    return logged_in(first), logged_in(second)


def drawn_version(client: Client, path: str) -> int:
    """The version the page's hidden field carries, as the browser would send it back."""
    html = client.get(path).content.decode()
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match is not None
    return int(match.group(1))


def test_a_unit_saved_from_a_stale_page_is_refused_with_both_versions_shown(
    two_admins: tuple[Client, Client], units: Units
) -> None:
    first, second = two_admins
    path = f"/accounts/units/{units.unit_a.code}/"
    version = drawn_version(first, path)
    assert drawn_version(second, path) == version
    second.post(path, {"version": version, "name": "市住房和城乡建设委员会", "is_active": "on"})
    events = AuditEvent.objects.count()

    stale = first.post(path, {"version": version, "name": "市住建局", "is_active": "on"})

    assert stale.status_code == 409
    body = stale.content.decode()
    assert "已被他人修改" in body
    assert "市住房和城乡建设委员会" in body  # stored now
    assert "市住建局" in body  # what was submitted, not lost
    assert Unit.objects.get(pk=units.unit_a.pk).name == "市住房和城乡建设委员会"
    assert AuditEvent.objects.count() == events


def test_saving_again_from_the_refusal_page_is_deliberate_and_goes_through(
    two_admins: tuple[Client, Client], units: Units
) -> None:
    first, second = two_admins
    path = f"/accounts/units/{units.unit_a.code}/"
    version = drawn_version(first, path)
    second.post(path, {"version": version, "name": "市住房和城乡建设委员会", "is_active": "on"})
    refused = first.post(path, {"version": version, "name": "市住建局", "is_active": "on"})
    fresh = re.search(r'name="version" value="(\d+)"', refused.content.decode())
    assert fresh is not None

    again = first.post(path, {"version": fresh.group(1), "name": "市住建局", "is_active": "on"})

    assert again.status_code == 302
    assert Unit.objects.get(pk=units.unit_a.pk).name == "市住建局"


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("roles", {"roles": ["reviewer"]}, "角色"),
        ("active", {"active": "0"}, "账号状态"),
        ("unit", None, "所属单位"),
    ],
)
def test_an_account_changed_by_another_administrator_refuses_the_stale_form(
    two_admins: tuple[Client, Client],
    clerk: User,
    units: Units,
    action: str,
    data: dict[str, object] | None,
    field: str,
) -> None:
    first, second = two_admins
    page = f"/accounts/users/{clerk.username}/"
    version = drawn_version(first, page)
    second.post(f"{page}roles/", {"version": version, "roles": ["clerk", "handler"]})
    before = (clerk.unit_id, sorted(User.objects.get(pk=clerk.pk).roles), clerk.is_active)
    payload = {"version": version, **(data or {"unit": units.unit_b.pk})}

    response = first.post(f"{page}{action}/", payload)

    assert response.status_code == 409
    body = response.content.decode()
    assert "已被他人修改" in body
    assert field in body
    after = User.objects.get(pk=clerk.pk)
    assert (after.unit_id, sorted(after.roles), after.is_active) == before


def test_a_form_without_its_version_is_refused_as_expired(
    two_admins: tuple[Client, Client], units: Units
) -> None:
    first, _ = two_admins
    response = first.post(
        f"/accounts/units/{units.unit_a.code}/", {"name": "改名", "is_active": "on"}
    )
    assert response.status_code == 422
    assert "页面已过期" in response.content.decode()
    assert Unit.objects.get(pk=units.unit_a.pk).name == "市住房和城乡建设局"


def test_the_services_refuse_a_stale_version_and_write_nothing(units: Units, clerk: User) -> None:
    admin = UserFactory(unit=units.office, roles=[Role.SYSTEM_ADMIN])
    services.set_user_roles(clerk, actor=admin, roles=[Role.CLERK, Role.HANDLER], version=1)
    with pytest.raises(services.StaleEditError):
        services.set_user_active(
            User.objects.get(pk=clerk.pk), actor=admin, active=False, version=1
        )
    assert User.objects.get(pk=clerk.pk).is_active
