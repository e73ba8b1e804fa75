"""The 系统管理员's pages: the unit tree and staff accounts (SECURITY.md 1, 6, 11, 13)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import Units, logged_in
from tests.factories import UnitFactory, UserFactory
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Region, Unit, User, UserSession
from xinfang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Qiu-Shui-Chang-Tian-2026"
TWO_ADMIN_ROLES = "系统管理员、安全管理员、审计管理员三种角色互斥，只能担任其一。"
ADMIN_WITH_CASE_ROLE = "管理员角色不能与业务角色（登记、承办、督查等）同时授予同一用户。"

# Every admin page, as (method, path), against the conftest cast (unit A11, user "clerk").
ADMIN_ROUTES = [
    ("get", "/accounts/units/"),
    ("post", "/accounts/units/"),
    ("get", "/accounts/units/A11/"),
    ("post", "/accounts/units/A11/"),
    ("get", "/accounts/users/"),
    ("get", "/accounts/users/new/"),
    ("post", "/accounts/users/new/"),
    ("get", "/accounts/users/clerk/"),
    ("post", "/accounts/users/clerk/unit/"),
    ("post", "/accounts/users/clerk/roles/"),
    ("post", "/accounts/users/clerk/active/"),
    ("post", "/accounts/users/clerk/password/"),
]
WRONG_METHODS = [
    ("put", "/accounts/units/"),
    ("delete", "/accounts/units/A11/"),
    ("post", "/accounts/users/"),
    ("put", "/accounts/users/new/"),
    ("post", "/accounts/users/clerk/"),
    ("get", "/accounts/users/clerk/unit/"),
    ("get", "/accounts/users/clerk/roles/"),
    ("get", "/accounts/users/clerk/active/"),
    ("get", "/accounts/users/clerk/password/"),
]


@pytest.fixture
def sysadmin(units: Units) -> User:
    return UserFactory(
        username="sysadmin", full_name="系统管理员", unit=units.office, roles=[Role.SYSTEM_ADMIN]
    )


@pytest.fixture
def secadmin(units: Units) -> User:
    return UserFactory(
        username="secadmin", full_name="安全管理员", unit=units.office, roles=[Role.SECURITY_ADMIN]
    )


@pytest.fixture
def admin_client(sysadmin: User) -> Client:
    return logged_in(sysadmin)


def admin_events() -> list[tuple[str, str, dict[str, Any]]]:
    """What the pages wrote to the audit trail, without the logins the test clients made."""
    return [
        (event.event, event.object_id, event.detail)
        for event in AuditEvent.objects.exclude(event__startswith="auth.")
    ]


def new_user_post(unit: Unit, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": "wang_wu",
        "full_name": "王五",
        "unit": str(unit.pk),
        "roles": ["clerk", "handler"],
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
    }
    data.update(overrides)
    return data


def list_queries(client: Client, url: str) -> int:
    client.get(url)  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- Who may open the pages --------------------------------------------------------------------


def answers(client: Client, routes: list[tuple[str, str]]) -> dict[str, int]:
    return {
        f"{method.upper()} {path}": getattr(client, method)(path).status_code
        for method, path in routes
    }


@pytest.mark.parametrize("person", ["clerk", "handler", "leader", "auditor", "secadmin"])
def test_everyone_but_the_system_admin_gets_403_on_every_admin_page(
    request: pytest.FixtureRequest, clerk: User, person: str
) -> None:
    client = logged_in(request.getfixturevalue(person))

    assert answers(client, ADMIN_ROUTES) == {
        f"{method.upper()} {path}": 403 for method, path in ADMIN_ROUTES
    }


def test_anonymous_is_sent_to_login_from_every_admin_page(clerk: User) -> None:
    client = Client()

    assert {
        f"{method.upper()} {path}": (response.status_code, response["Location"])
        for method, path in ADMIN_ROUTES
        for response in [getattr(client, method)(path)]
    } == {
        f"{method.upper()} {path}": (302, f"/accounts/login/?next={path}")
        for method, path in ADMIN_ROUTES
    }


def test_admin_pages_refuse_the_wrong_method_with_405(admin_client: Client, clerk: User) -> None:
    assert answers(admin_client, WRONG_METHODS) == {
        f"{method.upper()} {path}": 405 for method, path in WRONG_METHODS
    }


def test_only_the_system_admin_sees_the_admin_links_in_the_navigation(
    admin_client: Client, clerk: User
) -> None:
    admin_page = admin_client.get("/accounts/users/").content.decode()
    clerk_page = logged_in(clerk).get("/cases/").content.decode()

    assert ('href="/accounts/units/"' in admin_page, 'href="/accounts/users/"' in admin_page) == (
        True,
        True,
    )
    assert ('href="/accounts/units/"' in clerk_page, 'href="/accounts/users/"' in clerk_page) == (
        False,
        False,
    )


# --- Units -------------------------------------------------------------------------------------


def test_the_unit_page_shows_the_tree_parents_first_and_siblings_by_code(
    admin_client: Client, units: Units
) -> None:
    late = UnitFactory(code="A10", name="市教育局", parent=units.office)  # created last

    response = admin_client.get("/accounts/units/")

    assert response.status_code == 200
    assert [(unit.code, depth) for unit, depth in response.context["rows"]] == [
        ("A01", 0),
        ("A01J", 1),
        ("A10", 1),
        ("A11", 1),
        ("A12", 1),
    ]
    assert late.path == f"{units.office.path}{late.pk}/"


def test_creating_a_unit_puts_it_under_its_parent_and_writes_one_audit_event(
    admin_client: Client, units: Units, region: Region
) -> None:
    response = admin_client.post(
        "/accounts/units/",
        {
            "code": "A13",
            "name": "市自然资源和规划局",
            "kind": "department",
            "parent": str(units.unit_a.pk),
            "region": str(region.pk),
        },
    )

    unit = Unit.objects.get(code="A13")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/units/"
    assert (unit.name, unit.kind, unit.parent, unit.region) == (
        "市自然资源和规划局",
        UnitKind.DEPARTMENT,
        units.unit_a,
        region,
    )
    assert unit.path == f"{units.unit_a.path}{unit.pk}/"
    assert admin_events() == [
        ("unit.create", str(unit.pk), {"code": "A13", "name": "市自然资源和规划局"})
    ]


@pytest.mark.parametrize("code", ["A11", "a11"])
def test_a_duplicate_unit_code_is_refused_in_chinese_and_nothing_is_written(
    admin_client: Client, units: Units, code: str
) -> None:
    response = admin_client.post(
        "/accounts/units/", {"code": code, "name": "重复单位", "kind": "department"}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"code": [f"单位代码“{code}”已被使用，请换一个。"]}
    assert f"单位代码“{code}”已被使用" in response.content.decode()
    assert Unit.objects.count() == 4
    assert admin_events() == []


def test_a_unit_code_with_a_slash_is_refused(admin_client: Client, units: Units) -> None:
    response = admin_client.post(
        "/accounts/units/", {"code": "A1/3", "name": "某单位", "kind": "department"}
    )

    assert response.status_code == 422
    assert Unit.objects.filter(name="某单位").count() == 0


def test_the_unit_page_offers_regions_down_to_county_only(
    admin_client: Client, units: Units, region: Region
) -> None:
    Region.objects.create(code="990102001", name="幸福街道", level=4, parent=region)

    form = admin_client.get("/accounts/units/").context["form"]

    assert [label for _value, label in form.fields["region"].choices] == [
        "（不指定）",
        "　A市（9901）",
        "　　A1区（990102）",
    ]


def test_renaming_a_unit_writes_one_audit_event_with_old_and_new(
    admin_client: Client, units: Units
) -> None:
    edit_page = admin_client.get("/accounts/units/A11/")
    response = admin_client.post(
        "/accounts/units/A11/", {"version": 1, "name": "市住房和城乡建设委员会", "is_active": "on"}
    )

    units.unit_a.refresh_from_db()
    assert (edit_page.status_code, response.status_code) == (200, 302)
    assert units.unit_a.name == "市住房和城乡建设委员会"
    assert admin_events() == [
        (
            "unit.update",
            str(units.unit_a.pk),
            {
                "old": {"name": "市住房和城乡建设局", "is_active": True},
                "new": {"name": "市住房和城乡建设委员会", "is_active": True},
            },
        )
    ]


def test_a_unit_with_active_users_cannot_be_deactivated(
    admin_client: Client, units: Units, handler: User
) -> None:
    response = admin_client.post(
        "/accounts/units/A11/", {"version": 1, "name": "市住房和城乡建设局"}
    )

    units.unit_a.refresh_from_db()
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "is_active": ["该单位还有启用的用户账号，请先将其调往其他单位或停用后再停用本单位。"]
    }
    assert units.unit_a.is_active is True
    assert admin_events() == []


def test_a_unit_without_active_users_can_be_deactivated(admin_client: Client, units: Units) -> None:
    UserFactory(unit=units.unit_b, is_active=False)

    response = admin_client.post(
        "/accounts/units/A12/", {"version": 1, "name": "市人力资源和社会保障局"}
    )

    units.unit_b.refresh_from_db()
    assert response.status_code == 302
    assert units.unit_b.is_active is False
    assert [event for event, _id, _detail in admin_events()] == ["unit.update"]


def test_an_unknown_unit_code_answers_404(admin_client: Client) -> None:
    assert admin_client.get("/accounts/units/NOPE/").status_code == 404


def test_unit_list_query_count_is_the_same_for_one_and_three_units(db: None) -> None:
    office = UnitFactory(code="B01", name="B市信访局", kind=UnitKind.PETITION_OFFICE)
    client = logged_in(UserFactory(unit=office, roles=[Role.SYSTEM_ADMIN]))
    with_one = list_queries(client, "/accounts/units/")
    for code in ("B11", "B12"):
        UserFactory(unit=UnitFactory(code=code, parent=office), roles=[Role.CLERK])

    with_three = list_queries(client, "/accounts/units/")

    assert with_one == with_three


# --- Users: list and create --------------------------------------------------------------------


def test_the_user_list_shows_accounts_by_unit_code_and_filters_by_unit(
    admin_client: Client, sysadmin: User, clerk: User, handler: User, outsider: User, units: Units
) -> None:
    everyone = admin_client.get("/accounts/users/")
    unit_a = admin_client.get("/accounts/users/", {"unit": units.unit_a.pk})

    assert everyone.status_code == 200
    assert [user.username for user in everyone.context["page"]] == [
        "clerk",
        "sysadmin",
        "handler",
        "outsider",
    ]
    assert [user.username for user in unit_a.context["page"]] == ["handler"]


def test_the_user_list_shows_role_labels_in_the_enum_order(
    admin_client: Client, units: Units
) -> None:
    UserFactory(username="multi", unit=units.unit_a, roles=[Role.REVIEWER, Role.CLERK])

    body = admin_client.get("/accounts/users/", {"q": "multi"}).content.decode()

    assert '<span class="tag">登记员</span> <span class="tag">审核人</span>' in body


def test_user_list_query_count_is_the_same_for_one_and_three_users(
    admin_client: Client, units: Units
) -> None:
    with_one = list_queries(admin_client, "/accounts/users/")
    UserFactory(unit=units.unit_a, roles=[Role.HANDLER, Role.REVIEWER])
    UserFactory(unit=units.unit_b, roles=[Role.CLERK])

    with_three = list_queries(admin_client, "/accounts/users/")

    assert with_one == with_three


def test_creating_a_clerk_and_handler_works_and_writes_one_audit_event(
    admin_client: Client, units: Units
) -> None:
    page = admin_client.get("/accounts/users/new/")
    response = admin_client.post("/accounts/users/new/", new_user_post(units.unit_a))

    user = User.objects.get(username="wang_wu")
    assert (page.status_code, response.status_code) == (200, 302)
    assert response["Location"] == "/accounts/users/wang_wu/"
    assert (user.full_name, user.unit, user.roles) == (
        "王五",
        units.unit_a,
        frozenset({Role.CLERK, Role.HANDLER}),
    )
    assert user.check_password(STRONG_PASSWORD) is True
    assert admin_events() == [
        (
            "user.create",
            str(user.pk),
            {"username": "wang_wu", "unit": "A11", "roles": ["clerk", "handler"]},
        )
    ]


def test_a_new_account_is_never_superuser_or_staff_whatever_is_posted(
    admin_client: Client, units: Units
) -> None:
    data = new_user_post(units.unit_a, is_superuser="on", is_staff="on")

    admin_client.post("/accounts/users/new/", data)

    assert User.objects.filter(username="wang_wu").values_list(
        "is_superuser", "is_staff"
    ).get() == (
        False,
        False,
    )


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["system_admin", "audit_admin"], TWO_ADMIN_ROLES),
        (["security_admin", "clerk"], ADMIN_WITH_CASE_ROLE),
    ],
    ids=["two-admin-roles", "admin-and-case-role"],
)
def test_a_forbidden_role_combination_is_refused_with_the_sanyuan_message(
    admin_client: Client, units: Units, roles: list[str], message: str
) -> None:
    response = admin_client.post("/accounts/users/new/", new_user_post(units.office, roles=roles))

    assert response.status_code == 422
    assert response.context["form"].errors == {"roles": [message]}
    assert message in response.content.decode()
    assert User.objects.filter(username="wang_wu").exists() is False
    assert admin_events() == []


def test_a_weak_password_is_refused_in_chinese_and_no_user_is_created(
    admin_client: Client, units: Units
) -> None:
    data = new_user_post(units.unit_a, password1="12345678", password2="12345678")

    response = admin_client.post("/accounts/users/new/", data)

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "password1": [
            "密码太短，至少需要 12 个字符。",
            "这个密码太常见了。",
            "密码只包含数字。",
            "密码须至少包含大写字母、小写字母、数字、符号中的 3 类。",
        ]
    }
    assert User.objects.filter(username="wang_wu").exists() is False


def test_a_password_like_the_username_is_refused(admin_client: Client, units: Units) -> None:
    data = new_user_post(
        units.unit_a, username="wangwu2026", password1="wangwu2026!!", password2="wangwu2026!!"
    )

    response = admin_client.post("/accounts/users/new/", data)

    assert response.status_code == 422
    assert response.context["form"].errors == {"password1": ["密码不能包含用户名。"]}


def test_two_different_passwords_are_refused(admin_client: Client, units: Units) -> None:
    data = new_user_post(units.unit_a, password2=STRONG_PASSWORD + "x")

    response = admin_client.post("/accounts/users/new/", data)

    assert response.status_code == 422
    assert response.context["form"].errors == {"password2": ["两次输入的密码不一致。"]}


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("Clerk", "用户名“Clerk”已存在。"),
        ("Admin", "不能使用“Admin”作为用户名。"),
        ("new", "不能使用“new”作为用户名。"),
    ],
)
def test_a_taken_or_reserved_username_is_refused(
    admin_client: Client, units: Units, clerk: User, username: str, message: str
) -> None:
    response = admin_client.post(
        "/accounts/users/new/", new_user_post(units.unit_a, username=username)
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"username": [message]}
    assert User.objects.count() == 2  # sysadmin and clerk


def test_a_user_cannot_be_created_in_an_inactive_unit(admin_client: Client, units: Units) -> None:
    Unit.objects.filter(pk=units.unit_b.pk).update(is_active=False)

    response = admin_client.post("/accounts/users/new/", new_user_post(units.unit_b))

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["unit"]


# --- Users: change one account -----------------------------------------------------------------


def test_the_account_page_shows_the_account_and_its_forms(
    admin_client: Client, clerk: User
) -> None:
    response = admin_client.get("/accounts/users/clerk/")

    assert response.status_code == 200
    assert (response.context["account"], response.context["roles"]) == (clerk, [Role.CLERK])
    assert response.context["is_self"] is False


def test_an_unknown_username_answers_404(admin_client: Client) -> None:
    assert admin_client.get("/accounts/users/nobody/").status_code == 404


def test_changing_roles_writes_one_user_roles_event_with_old_and_new_roles(
    admin_client: Client, clerk: User
) -> None:
    response = admin_client.post(
        "/accounts/users/clerk/roles/", {"version": 1, "roles": ["reviewer", "clerk"]}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/users/clerk/"
    assert User.objects.get(pk=clerk.pk).roles == frozenset({Role.CLERK, Role.REVIEWER})
    assert admin_events() == [
        ("user.roles", str(clerk.pk), {"old": ["clerk"], "new": ["clerk", "reviewer"]})
    ]


def test_granting_an_admin_role_to_a_clerk_is_refused_and_changes_nothing(
    admin_client: Client, clerk: User
) -> None:
    response = admin_client.post(
        "/accounts/users/clerk/roles/", {"version": 1, "roles": ["clerk", "system_admin"]}
    )

    assert response.status_code == 422
    assert response.context["roles_form"].errors == {"roles": [ADMIN_WITH_CASE_ROLE]}
    assert User.objects.get(pk=clerk.pk).roles == frozenset({Role.CLERK})
    assert admin_events() == []


def test_removing_every_role_is_refused(admin_client: Client, clerk: User) -> None:
    response = admin_client.post("/accounts/users/clerk/roles/", {"version": 1})

    assert response.status_code == 422
    assert response.context["roles_form"].errors == {"roles": ["请至少选择一个角色。"]}


def test_an_administrator_cannot_change_their_own_roles(
    admin_client: Client, sysadmin: User
) -> None:
    own_page = admin_client.get("/accounts/users/sysadmin/")
    response = admin_client.post(
        "/accounts/users/sysadmin/roles/", {"version": 1, "roles": ["audit_admin"]}
    )

    assert own_page.context["is_self"] is True
    assert response.status_code == 422
    assert response.context["roles_form"].errors == {
        "roles": ["不能修改自己的角色，请由另一位系统管理员操作。"]
    }
    assert "不能修改自己的角色，请由另一位系统管理员操作。" in response.content.decode()
    assert User.objects.get(pk=sysadmin.pk).roles == frozenset({Role.SYSTEM_ADMIN})
    assert admin_events() == []


def test_moving_a_user_to_another_unit_writes_one_event(
    admin_client: Client, clerk: User, units: Units
) -> None:
    response = admin_client.post(
        "/accounts/users/clerk/unit/", {"version": 1, "unit": units.unit_b.pk}
    )

    clerk.refresh_from_db()
    assert response.status_code == 302
    assert clerk.unit == units.unit_b
    assert admin_events() == [("user.unit", str(clerk.pk), {"old": "A01", "new": "A12"})]


def test_deactivating_a_logged_in_user_ends_their_session(
    admin_client: Client, clerk: User
) -> None:
    clerk_client = logged_in(clerk)
    assert clerk_client.get("/cases/").status_code == 200

    response = admin_client.post("/accounts/users/clerk/active/", {"version": 1, "active": "0"})

    after = clerk_client.get("/cases/")
    clerk.refresh_from_db()
    assert response.status_code == 302
    assert (after.status_code, after["Location"]) == (302, "/accounts/login/?next=/cases/")
    assert clerk.is_active is False
    assert clerk_client.cookies["sessionid"].value not in set(
        UserSession.objects.values_list("session_key", flat=True)
    )
    assert admin_client.get("/accounts/users/").status_code == 200  # the admin's stays
    assert admin_events() == [("user.deactivate", str(clerk.pk), {"sessions_ended": 1})]


def test_reactivating_a_user_writes_one_activate_event(admin_client: Client, units: Units) -> None:
    former = UserFactory(username="former", unit=units.unit_a, is_active=False)

    response = admin_client.post("/accounts/users/former/active/", {"version": 1, "active": "1"})

    former.refresh_from_db()
    assert response.status_code == 302
    assert former.is_active is True
    assert admin_events() == [("user.activate", str(former.pk), {})]


def test_an_administrator_cannot_deactivate_themselves(
    admin_client: Client, sysadmin: User
) -> None:
    response = admin_client.post("/accounts/users/sysadmin/active/", {"version": 1, "active": "0"})

    sysadmin.refresh_from_db()
    assert response.status_code == 422
    assert response.context["active_form"].non_field_errors() == ["不能停用自己的账号。"]
    assert "不能停用自己的账号。" in response.content.decode()
    assert sysadmin.is_active is True
    assert admin_events() == []


def test_resetting_a_password_is_audited_without_the_password(
    admin_client: Client, clerk: User
) -> None:
    new = "Hai-Kuo-Tian-Kong-2026"

    response = admin_client.post(
        "/accounts/users/clerk/password/", {"password1": new, "password2": new}
    )

    clerk.refresh_from_db()
    event = AuditEvent.objects.get(event="user.password_reset")
    assert response.status_code == 302
    assert clerk.check_password(new) is True
    assert (event.object_id, event.detail) == (str(clerk.pk), {})
    assert new not in str(AuditEvent.objects.values_list())


def test_a_weak_reset_password_is_refused_and_the_old_one_stays(
    admin_client: Client, clerk: User
) -> None:
    response = admin_client.post(
        "/accounts/users/clerk/password/", {"password1": "12345678", "password2": "12345678"}
    )

    clerk.refresh_from_db()
    assert response.status_code == 422
    assert response.context["password_form"].errors["password1"][0] == (
        "密码太短，至少需要 12 个字符。"
    )
    assert clerk.check_password("12345678") is False
    assert admin_events() == []


def test_an_administrator_cannot_reset_their_own_password_here(
    admin_client: Client, sysadmin: User
) -> None:
    response = admin_client.post(
        "/accounts/users/sysadmin/password/",
        {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 422
    assert response.context["password_form"].errors == {"password1": ["不能在此重置自己的密码。"]}
    assert "不能在此重置自己的密码。" in response.content.decode()
