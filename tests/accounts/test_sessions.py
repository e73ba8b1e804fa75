"""Sessions (SECURITY.md 5–7): idle and absolute limits kept on the server, a new key at sign-in,
logout and deactivation end every session of the account, cookie flags, CSRF on state changes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tests.conftest import Units, logged_in
from tests.factories import PASSWORD, UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User, UserSession
from xinfang.accounts.sessions import SessionStore
from xinfang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 9, 21, 8, 30, tzinfo=dt.UTC)
TO_LOGIN = "/accounts/login/?next=/cases/"


def replay(cookie: str) -> Client:
    """A fresh client presenting a session cookie copied from another."""
    client = Client()
    client.cookies["sessionid"] = cookie
    return client


@pytest.fixture
def sysadmin(units: Units) -> User:
    return UserFactory(
        username="sysadmin", full_name="系统管理员", unit=units.office, roles=[Role.SYSTEM_ADMIN]
    )


def expiry_events() -> list[tuple[str, dict[str, str]]]:
    return [
        (event.object_id, event.detail)
        for event in AuditEvent.objects.filter(event="auth.session_expired")
    ]


# --- A new key at sign-in; the account beside each session ----------------------------------------


def test_signing_in_replaces_the_session_key_a_visitor_arrived_with(clerk: User) -> None:
    planted = SessionStore()
    planted["lang"] = "zh-hans"
    planted.create()
    client = replay(planted.session_key or "")

    client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    new_key = client.cookies["sessionid"].value
    assert new_key != planted.session_key
    assert list(UserSession.objects.values_list("session_key", "user_id")) == [(new_key, clerk.pk)]


# --- Logout and deactivation end every session of the account -------------------------------------


def test_logging_out_ends_every_session_of_the_account_and_old_cookies_fail(
    clerk: User, handler: User
) -> None:
    here, elsewhere, colleague = logged_in(clerk), logged_in(clerk), logged_in(handler)
    cookie = here.cookies["sessionid"].value

    response = here.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert replay(cookie).get("/cases/")["Location"] == TO_LOGIN
    assert elsewhere.get("/cases/")["Location"] == TO_LOGIN
    assert colleague.get("/cases/").status_code == 200
    assert AuditEvent.objects.get(event="auth.logout").detail == {"sessions_ended": 2}


def test_a_deactivated_accounts_copied_cookie_no_longer_works(clerk: User, sysadmin: User) -> None:
    cookie = logged_in(clerk).cookies["sessionid"].value

    logged_in(sysadmin).post("/accounts/users/clerk/active/", {"version": 1, "active": "0"})

    assert replay(cookie).get("/cases/")["Location"] == TO_LOGIN
    assert UserSession.objects.filter(user_id=clerk.pk).exists() is False


# --- Idle and absolute limits ---------------------------------------------------------------------


def test_thirty_minutes_idle_signs_a_case_worker_out(clerk: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = logged_in(clerk)
        clock.shift(dt.timedelta(minutes=29))
        active = client.get("/cases/").status_code
        clock.shift(dt.timedelta(minutes=29))
        still = client.get("/cases/").status_code
        clock.shift(dt.timedelta(minutes=31))
        idle = client.get("/cases/")

    assert (active, still) == (200, 200)
    assert (idle.status_code, idle["Location"]) == (302, TO_LOGIN)


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_fifteen_minutes_idle_signs_an_administrator_out(units: Units, role: Role) -> None:
    admin = UserFactory(username="admin1", unit=units.office, roles=[role])
    with time_machine.travel(START, tick=False) as clock:
        client = logged_in(admin)
        clock.shift(dt.timedelta(minutes=14))
        active = client.get("/").status_code
        clock.shift(dt.timedelta(minutes=15, seconds=1))
        idle = client.get("/", follow=True)

    assert active in (200, 302)
    assert idle.redirect_chain[-1][0] == "/accounts/login/?next=/"
    assert "您已较长时间未操作或登录已超过时限，请重新登录。" in idle.content.decode()
    assert expiry_events() == [(str(admin.pk), {"reason": "idle"})]


def test_the_keepalive_holds_off_the_idle_limit_but_not_the_twelve_hour_one(clerk: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = logged_in(clerk)
        pings = []
        for _ in range(35):  # a person typing for 11 h 40 min, the page pinging every 20 min
            clock.shift(dt.timedelta(minutes=20))
            pings.append(client.get("/keepalive/").status_code)
        clock.shift(dt.timedelta(minutes=21))  # 12 h 01 min after signing in
        late = client.get("/keepalive/")

    assert pings == [204] * 35
    assert (late.status_code, late["Location"]) == (302, "/accounts/login/?next=/keepalive/")
    assert expiry_events() == [(str(clerk.pk), {"reason": "absolute"})]


def test_an_expired_session_ends_only_itself(clerk: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        old = logged_in(clerk)
        clock.shift(dt.timedelta(hours=11, minutes=50))
        new = logged_in(clerk)
        for _ in range(2):
            clock.shift(dt.timedelta(minutes=10))
            old.get("/keepalive/")
            new.get("/keepalive/")
        answers = (old.get("/cases/").status_code, new.get("/cases/").status_code)

    assert answers == (302, 200)


def test_the_limits_can_only_be_configured_tighter() -> None:
    assert (
        settings.SESSION_COOKIE_AGE,
        settings.XF_SESSION_IDLE_ADMIN_SECONDS,
        settings.XF_SESSION_ABSOLUTE_SECONDS,
    ) == (1800, 900, 43200)
    run = subprocess.run(
        [sys.executable, "-c", "import xinfang.settings"],
        env={**os.environ, "XF_SESSION_IDLE_SECONDS": "3600"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "XF_SESSION_IDLE_SECONDS=3600 is above the maximum 1800" in run.stderr


# --- Cookies and CSRF -----------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(clerk: User) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    cookie = client.cookies["sessionid"]
    assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")


def test_the_production_profile_marks_the_cookies_secure() -> None:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE]))"
    )
    run = subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", script],
        env={**os.environ, "XF_ENV": "production", "DJANGO_SETTINGS_MODULE": "xinfang.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(run.stdout) == [True, True, True, "Lax", "Lax"]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/users/clerk/active/", {"version": 1, "active": "0"}),
        ("/accounts/logout/", {}),
        ("/accounts/password/", {"old_password": PASSWORD, "password1": "x", "password2": "x"}),
    ],
)
def test_a_state_change_without_a_csrf_token_gets_403(
    clerk: User, sysadmin: User, path: str, data: dict[str, str]
) -> None:
    client = logged_in(sysadmin, enforce_csrf_checks=True)

    response = client.post(path, data)

    clerk.refresh_from_db()
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert clerk.is_active is True
    assert client.get("/accounts/users/").status_code == 200  # still signed in
