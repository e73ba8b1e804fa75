"""Two factors for every staff sign-in (SECURITY.md 4): a password alone reaches no protected
URL; TOTP codes are good once; recovery codes stand in once each; enrolment at first sign-in;
the 安全管理员 resets a lost authenticator; codes never reach a log or the audit trail."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.views.debug import SafeExceptionReporterFilter

from tests.conftest import Units, logged_in
from tests.core.test_project import routes
from tests.factories import PASSWORD, UserFactory, enrol_totp
from xinfang.accounts import auth_services
from xinfang.accounts.enums import Role
from xinfang.accounts.models import RecoveryCode, TotpDevice, User, UserSession
from xinfang.accounts.sessions import SECOND_FACTOR_DONE
from xinfang.accounts.totp import PERIOD, code_at, time_step
from xinfang.audit.models import AuditEvent
from xinfang.core.crypto import DecryptionError

pytestmark = pytest.mark.django_db

OTP_PAGE = "/accounts/second-factor/"
SETUP_PAGE = "/accounts/second-factor/setup/"
#: What a session that gave only the password may still open.
OPEN_TO_PASSWORD_ONLY = {"second_factor", "second_factor_setup", "logout", "keepalive"}
WRONG_CODE = "验证码不正确或已使用过，请等待下一个验证码后重试。"


def password_only(username: str = "clerk") -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def now_code(secret: str) -> str:
    return code_at(secret, time.time())


@pytest.fixture
def secret(clerk: User) -> str:
    return enrol_totp(clerk)


@pytest.fixture
def secadmin(units: Units) -> User:
    return UserFactory(
        username="secadmin", full_name="安全管理员", unit=units.office, roles=[Role.SECURITY_ADMIN]
    )


# --- A password alone reaches nothing ------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_password_alone_reaches_no_protected_url(clerk: User, secret: str, method: str) -> None:
    client = password_only()
    answers = {
        path: getattr(client, method)(path)
        for name, path in routes()
        if name not in OPEN_TO_PASSWORD_ONLY
    }

    for path, response in answers.items():
        if path.startswith("/api/"):
            # Bearer tokens only: the session counts for nothing there (405: wrong method).
            assert response.status_code in {401, 405}, path
        else:
            assert response.status_code == 302, path
            assert response["Location"].startswith(OTP_PAGE), path
    assert len(answers) > 20


def test_a_password_only_session_may_still_keep_alive_and_sign_out(
    clerk: User, secret: str
) -> None:
    client = password_only()

    assert client.get("/keepalive/").status_code == 204
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_a_fragment_request_is_told_to_load_the_second_factor_page(
    clerk: User, secret: str
) -> None:
    response = password_only().get("/cases/", headers={"HX-Request": "true"})

    assert (response.status_code, response["HX-Redirect"]) == (200, OTP_PAGE)


def test_the_second_factor_page_keeps_where_the_person_was_going(clerk: User, secret: str) -> None:
    client = password_only()

    response = client.get("/cases/?status=registered")

    assert response["Location"] == f"{OTP_PAGE}?next=%2Fcases%2F%3Fstatus%3Dregistered"


def test_while_the_second_factor_is_owed_the_page_offers_no_navigation(
    clerk: User, secret: str
) -> None:
    page = password_only().get(OTP_PAGE)

    assert page.status_code == 200
    assert page.context["nav_signed_in"] is False
    assert 'href="/cases/"' not in page.content.decode()


# --- TOTP ----------------------------------------------------------------------------------------


def test_a_current_code_completes_the_sign_in_with_a_new_session_key(
    clerk: User, secret: str
) -> None:
    client = password_only()
    before = client.cookies["sessionid"].value

    response = client.post(
        f"{OTP_PAGE}?next=/cases/", {"code": now_code(secret), "next": "/cases/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/cases/")
    assert client.cookies["sessionid"].value != before
    assert client.session[SECOND_FACTOR_DONE] is True
    assert client.get("/cases/").status_code == 200
    assert [
        (event.event, event.detail)
        for event in AuditEvent.objects.filter(event__startswith="auth.2fa")
    ] == [("auth.2fa_enrol", {"recovery_codes": 10}), ("auth.2fa_verified", {"method": "totp"})]


def test_a_code_is_good_once_even_in_another_session(clerk: User, secret: str) -> None:
    first, second = password_only(), password_only()
    code = now_code(secret)

    accepted = first.post(OTP_PAGE, {"code": code})
    replayed = second.post(OTP_PAGE, {"code": code})

    assert accepted.status_code == 302
    assert replayed.status_code == 422
    assert replayed.context["form"].errors == {"code": [WRONG_CODE]}
    assert TotpDevice.objects.get(user=clerk).last_used_step in {
        time_step(time.time()),
        time_step(time.time()) - 1,
    }


def test_an_older_code_than_the_last_one_used_is_refused(clerk: User, secret: str) -> None:
    password_only().post(OTP_PAGE, {"code": now_code(secret)})

    late = password_only().post(OTP_PAGE, {"code": code_at(secret, time.time() - PERIOD)})

    assert late.status_code == 422


def test_a_wrong_code_is_refused_and_audited_without_the_code(clerk: User, secret: str) -> None:
    client = password_only()

    response = client.post(OTP_PAGE, {"code": "12345"})

    assert response.status_code == 422
    assert client.get("/cases/").status_code == 302
    assert AuditEvent.objects.filter(event="auth.2fa_failed", outcome="failure").count() == 1
    assert "12345" not in str(list(AuditEvent.objects.values_list("detail", "object_id")))


def test_a_next_address_on_another_site_is_ignored(clerk: User, secret: str) -> None:
    response = password_only().post(
        OTP_PAGE, {"code": now_code(secret), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_too_many_wrong_codes_end_this_session_with_the_lock_message(
    clerk: User, secret: str
) -> None:
    client = password_only()
    for _ in range(5):
        client.post(OTP_PAGE, {"code": "000000"})

    response = client.post(OTP_PAGE, {"code": now_code(secret)}, follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "验证失败次数过多，已暂时锁定 30 分钟" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- Recovery codes -----------------------------------------------------------------------------


def test_a_recovery_code_stands_in_once(clerk: User) -> None:
    auth_services.begin_totp_enrolment(clerk)
    secret = TotpDevice.objects.get(user=clerk).secret()
    codes = auth_services.confirm_totp_enrolment(clerk, code=code_at(secret, time.time() - 30))

    first = password_only().post(OTP_PAGE, {"code": codes[3].upper().replace("-", " ")})
    again = password_only().post(OTP_PAGE, {"code": codes[3]})

    event = AuditEvent.objects.get(event="auth.recovery_code_used")
    assert (first.status_code, again.status_code) == (302, 422)
    assert (event.actor_id, event.detail) == (clerk.pk, {"remaining": 9})


def test_recovery_codes_are_stored_as_keyed_hashes_only(clerk: User) -> None:
    auth_services.begin_totp_enrolment(clerk)
    secret = TotpDevice.objects.get(user=clerk).secret()
    codes = auth_services.confirm_totp_enrolment(clerk, code=code_at(secret, time.time()))

    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert all(code.replace("-", "") not in "".join(stored) for code in codes)


# --- Enrolment at first sign-in -----------------------------------------------------------------


def test_a_first_sign_in_is_sent_to_enrol(clerk: User) -> None:
    client = password_only()

    to_otp = client.get("/cases/")
    to_setup = client.get(to_otp["Location"])

    assert to_setup.status_code == 302
    assert to_setup["Location"] == f"{SETUP_PAGE}?next=%2Fcases%2F"


def test_enrolment_shows_the_same_secret_on_reload_then_confirms_with_a_code(clerk: User) -> None:
    client = password_only()

    first = client.get(SETUP_PAGE)
    reload = client.get(SETUP_PAGE)
    secret = first.context["secret"].replace(" ", "")
    wrong = client.post(SETUP_PAGE, {"code": "000000"})
    done = client.post(SETUP_PAGE, {"code": now_code(secret), "next": "/cases/"})

    body = first.content.decode()
    assert (first.status_code, reload.context["secret"]) == (200, first.context["secret"])
    assert "<svg" in body
    assert "otpauth" not in body  # the URI is only in the QR code
    assert wrong.status_code == 422
    assert wrong.context["form"].errors == {
        "code": ["验证码不正确。请核对手机上显示的 6 位数字（每 30 秒更新）后重试。"]
    }
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert done.context["next"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    assert TotpDevice.objects.get(user=clerk).confirmed_at is not None
    assert AuditEvent.objects.filter(event="auth.2fa_enrol").count() == 1


def test_an_enrolled_person_cannot_open_the_setup_page_again(clerk: User, secret: str) -> None:
    assert password_only().get(SETUP_PAGE)["Location"] == OTP_PAGE
    with pytest.raises(ValidationError):
        auth_services.begin_totp_enrolment(clerk)


def test_the_secret_is_sealed_and_bound_to_its_account(clerk: User, handler: User) -> None:
    secret = enrol_totp(clerk)
    enrol_totp(handler)
    sealed = bytes(TotpDevice.objects.get(user=clerk).secret_sealed)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_totpdevice")
        dump = repr(cursor.fetchall())
    TotpDevice.objects.filter(user=handler).update(secret_sealed=sealed)

    assert secret not in dump
    assert secret.encode() not in sealed
    with pytest.raises(DecryptionError):
        TotpDevice.objects.get(user=handler).secret()


# --- The 安全管理员 resets a lost authenticator --------------------------------------------------


def test_resetting_the_second_factor_ends_the_sessions_and_sends_the_person_to_enrol(
    clerk: User, secret: str, secadmin: User
) -> None:
    clerk_client = logged_in(clerk)

    response = logged_in(secadmin).post(
        "/accounts/security/users/clerk/second-factor/reset/", follow=True
    )

    event = AuditEvent.objects.get(event="auth.2fa_reset")
    assert response.redirect_chain == [("/accounts/security/?q=clerk", 302)]
    assert "已重置 登记员小王 的双因素认证" in response.content.decode()
    assert (event.actor_id, event.object_id, event.detail) == (
        secadmin.pk,
        str(clerk.pk),
        {"sessions_ended": 1},
    )
    assert (TotpDevice.objects.filter(user=clerk).exists(), RecoveryCode.objects.count()) == (
        False,
        0,
    )
    assert UserSession.objects.filter(user_id=clerk.pk).count() == 0
    assert clerk_client.get("/cases/")["Location"] == "/accounts/login/?next=/cases/"
    again = password_only()
    assert again.get(OTP_PAGE)["Location"] == SETUP_PAGE


def test_the_security_page_shows_who_has_a_second_factor(
    clerk: User, handler: User, secret: str, secadmin: User
) -> None:
    page = logged_in(secadmin).get("/accounts/security/", {"q": "er"})

    assert [(user.username, user.has_second_factor) for user in page.context["page"]] == [
        ("clerk", True),
        ("handler", False),
    ]


def test_a_security_admin_cannot_reset_their_own_second_factor(secadmin: User) -> None:
    enrol_totp(secadmin)

    response = logged_in(secadmin).post(
        "/accounts/security/users/secadmin/second-factor/reset/", follow=True
    )

    assert "不能重置自己的双因素认证" in response.content.decode()
    assert TotpDevice.objects.filter(user=secadmin).exists() is True
    assert AuditEvent.objects.filter(event="auth.2fa_reset").count() == 0


# --- Codes never reach a log --------------------------------------------------------------------


def test_an_error_while_checking_a_code_logs_neither_the_code_nor_the_post(
    clerk: User, secret: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("database went away")

    monkeypatch.setattr(auth_services, "verify_second_factor", broken)
    client = password_only()
    client.raise_request_exception = False
    code = now_code(secret)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(OTP_PAGE, {"code": code})

    record = next(r for r in caplog.records if r.name == "django.request")
    logged = logging.Formatter().format(record)
    reported = SafeExceptionReporterFilter().get_post_parameters(record.__dict__["request"])
    assert response.status_code == 500
    assert code not in logged
    assert reported["code"] == "********************"


def test_resetting_an_unknown_account_answers_404(secadmin: User) -> None:
    response = logged_in(secadmin).post("/accounts/security/users/nobody/second-factor/reset/")

    assert response.status_code == 404


def test_the_security_page_query_count_is_the_same_for_one_and_three_accounts(
    secadmin: User, units: Units
) -> None:
    client = logged_in(secadmin)

    def queries() -> int:
        client.get("/accounts/security/")  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/accounts/security/").status_code == 200
        return len(captured)

    with_one = queries()
    for n in range(2):
        enrol_totp(UserFactory(unit=units.unit_a, roles=[Role.HANDLER], username=f"h{n}"))

    assert queries() == with_one
