"""Lockout (SECURITY.md 3): five failures per account name, twenty per source address, locked for
thirty minutes; one message for a wrong name and a wrong password; a lock says nothing about the
password; lock and unlock audited; a parallel burst cannot get more than five guesses checked."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from tests.conftest import Units, logged_in
from tests.factories import PASSWORD, UserFactory, enrol_totp
from xinfang.accounts.auth_services import LockedOutError, authenticate_password
from xinfang.accounts.enums import Role
from xinfang.accounts.models import LoginThrottle, User
from xinfang.accounts.totp import code_at
from xinfang.audit.models import AuditEvent
from xinfang.audit.services import record

pytestmark = pytest.mark.django_db

WRONG = "用户名或密码错误。"
LOCKED = "登录失败次数过多，已暂时锁定 30 分钟。请稍后再试，或联系安全管理员解除锁定。"
START = dt.datetime(2026, 9, 21, 9, 0, tzinfo=dt.UTC)


def sign_in(username: str, password: str, *, address: str = "10.0.0.1") -> Any:
    return Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def outcome(response: Any) -> str | list[str]:
    """ "signed in" (password accepted, on to the second factor) or the form's errors."""
    if response.status_code == 302:
        return "signed in"
    return list(response.context["form"].non_field_errors())


def fail(username: str, times: int, *, address: str = "10.0.0.1") -> list[str | list[str]]:
    return [outcome(sign_in(username, "Wrong-Password-1", address=address)) for _ in range(times)]


def events() -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (event.event, event.object_id, event.outcome, event.detail)
        for event in AuditEvent.objects.all()
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


def test_a_wrong_name_a_wrong_password_and_a_disabled_account_get_the_same_message(
    clerk: User, units: Units
) -> None:
    UserFactory(username="former", unit=units.office, is_active=False)

    assert [
        outcome(sign_in("nobody", "Wrong-Password-1")),
        outcome(sign_in("clerk", "Wrong-Password-1")),
        outcome(sign_in("former", PASSWORD)),
    ] == [[WRONG], [WRONG], [WRONG]]


def test_five_failures_lock_the_account_and_the_right_password_then_gets_the_lock_message(
    clerk: User,
) -> None:
    assert fail("clerk", 5) == [[WRONG]] * 5
    assert outcome(sign_in("clerk", PASSWORD)) == [LOCKED]
    assert outcome(sign_in("Clerk", "Wrong-Password-1")) == [LOCKED]  # the same name in capitals
    assert events() == [
        *[("auth.login_failed", "clerk", "failure", {})] * 5,
        ("auth.lockout", "clerk", "denied", {"scope": "account", "failures": 5}),
        ("auth.login_failed", "clerk", "denied", {"reason": "locked"}),
        ("auth.login_failed", "Clerk", "denied", {"reason": "locked"}),
    ]


def test_an_unknown_name_locks_exactly_like_a_real_one(clerk: User) -> None:
    assert fail("nobody", 6) == fail("clerk", 6) == [[WRONG]] * 5 + [[LOCKED]]


def test_the_lock_lasts_thirty_minutes_then_the_right_password_works(clerk: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        fail("clerk", 5)
        clock.shift(dt.timedelta(minutes=29, seconds=59))
        still = outcome(sign_in("clerk", PASSWORD))
        clock.shift(dt.timedelta(seconds=2))
        after = outcome(sign_in("clerk", PASSWORD))

    assert (still, after) == ([LOCKED], "signed in")


def test_failures_older_than_the_window_no_longer_count(clerk: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        fail("clerk", 4)
        clock.shift(dt.timedelta(minutes=31))
        later = fail("clerk", 4)
        last = outcome(sign_in("clerk", PASSWORD))

    assert (later, last) == ([[WRONG]] * 4, "signed in")


def test_twenty_failures_from_one_address_lock_that_address_for_every_name(
    clerk: User, handler: User
) -> None:
    for n in range(4):  # four guesses at each of five names: no name reaches its own limit
        fail(f"guess{n}", 4, address="10.9.9.9")
    fail("handler", 4, address="10.9.9.9")

    assert outcome(sign_in("clerk", PASSWORD, address="10.9.9.9")) == [LOCKED]
    assert outcome(sign_in("clerk", PASSWORD, address="10.0.0.2")) == "signed in"
    assert [
        (event, object_id, detail)
        for event, object_id, _outcome, detail in events()
        if event == "auth.lockout"
    ] == [("auth.lockout", "10.9.9.9", {"scope": "address", "failures": 20})]


def test_a_known_password_does_not_reset_the_count_before_the_second_factor(
    clerk: User,
) -> None:
    enrol_totp(clerk)
    fail("clerk", 4)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    wrong_code = client.post("/accounts/second-factor/", {"code": "000000"})
    again = outcome(sign_in("clerk", PASSWORD))

    assert wrong_code.status_code == 422
    assert again == [LOCKED]


def test_a_full_sign_in_resets_the_account_count(clerk: User) -> None:
    secret = enrol_totp(clerk)
    fail("clerk", 4)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    done = client.post("/accounts/second-factor/", {"code": code_at(secret, time.time())})

    assert done.status_code == 302
    assert LoginThrottle.objects.get(scope="account", key="clerk").failures == 0
    assert fail("clerk", 4) == [[WRONG]] * 4


# --- A parallel burst --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_parallel_burst_of_twenty_guesses_gets_exactly_five_checked(clerk: User) -> None:
    # The audit chain's head row exists from the first event ever; make it exist here too, so
    # the burst measures the lockout rather than twenty threads racing to write event no. 1.
    record("test.start", actor=None)
    start = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def guess() -> None:
        try:
            start.wait()
            try:
                user = authenticate_password(
                    None, username="clerk", password="Wrong-Password-1", source_ip=None
                )
                result = "checked" if user is None else "signed in"
            except LockedOutError:
                result = "locked"
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["checked"] * 5 + ["locked"] * 15
    assert LoginThrottle.objects.get(scope="account", key="clerk").failures == 5
    assert AuditEvent.objects.filter(event="auth.login_failed", outcome="failure").count() == 5
    assert AuditEvent.objects.filter(event="auth.lockout").count() == 1


# --- The 安全管理员 lifts a lock ---------------------------------------------------------------


def test_the_security_admin_sees_the_locks_and_lifts_one_with_an_audit_record(
    clerk: User, secadmin: User
) -> None:
    fail("clerk", 5)
    admin = logged_in(secadmin)
    lock = LoginThrottle.objects.get(scope="account", key="clerk")

    page = admin.get("/accounts/security/")
    response = admin.post("/accounts/security/unlock/", {"lock": lock.pk})

    event = AuditEvent.objects.get(event="auth.unlock")
    assert page.status_code == 200
    assert [(row.scope, row.key) for row in page.context["locks"]] == [("account", "clerk")]
    assert (response.status_code, response["Location"]) == (302, "/accounts/security/")
    assert (event.actor_id, event.object_id, event.detail) == (
        secadmin.pk,
        "clerk",
        {"scope": "account"},
    )
    assert outcome(sign_in("clerk", PASSWORD)) == "signed in"


def test_unlocking_what_is_no_longer_locked_changes_nothing(clerk: User, secadmin: User) -> None:
    fail("clerk", 2)
    lock = LoginThrottle.objects.get(scope="account", key="clerk")

    response = logged_in(secadmin).post(
        "/accounts/security/unlock/", {"lock": lock.pk}, follow=True
    )

    assert "该项已不在锁定状态。" in response.content.decode()
    assert AuditEvent.objects.filter(event="auth.unlock").count() == 0


SECURITY_ROUTES = [
    ("get", "/accounts/security/"),
    ("post", "/accounts/security/unlock/"),
    ("post", "/accounts/security/users/clerk/second-factor/reset/"),
]


@pytest.mark.parametrize("person", ["clerk", "leader", "auditor", "sysadmin"])
def test_everyone_but_the_security_admin_gets_403_on_the_security_pages(
    request: pytest.FixtureRequest, clerk: User, person: str
) -> None:
    client = logged_in(request.getfixturevalue(person))

    assert [getattr(client, method)(path).status_code for method, path in SECURITY_ROUTES] == [
        403,
        403,
        403,
    ]


def test_the_security_pages_refuse_the_wrong_method(secadmin: User, clerk: User) -> None:
    client = logged_in(secadmin)

    assert [
        client.post("/accounts/security/").status_code,
        client.get("/accounts/security/unlock/").status_code,
        client.get("/accounts/security/users/clerk/second-factor/reset/").status_code,
    ] == [405, 405, 405]


def test_the_security_admin_starts_on_the_security_page(secadmin: User) -> None:
    response = logged_in(secadmin).get("/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/security/")
