from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Units, logged_in
from tests.factories import PASSWORD, UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_case_worker_starts_on_the_case_list(clerk: User) -> None:
    response = logged_in(clerk).get("/")

    assert (response.status_code, response["Location"]) == (302, "/cases/")


def test_a_system_administrator_starts_on_the_user_accounts_page(units: Units) -> None:
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])

    response = logged_in(admin).get("/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/users/")


def test_an_audit_administrator_gets_a_page_not_a_403(auditor: User) -> None:
    response = logged_in(auditor).get("/")

    assert response.status_code == 200
    assert "审计管理员" in response.content.decode()


def test_logging_in_lands_on_the_home_route(clerk: User) -> None:
    response = Client().post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/")
