"""The password policy (SECURITY.md 2): length, three of four classes, not common, nothing of the
person in it, none of the last five again, and an expiry that sends the person to change it.
Applied wherever a password is set: account creation, the administrator's reset, one's own
change."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Units, logged_in
from tests.factories import PASSWORD, UserFactory
from xinfang.accounts import rules
from xinfang.accounts.auth_services import change_own_password
from xinfang.accounts.enums import Role
from xinfang.accounts.models import PasswordHistory, User, UserSession
from xinfang.accounts.services import create_user, reset_password, validate_new_password
from xinfang.audit.models import AuditEvent

TOO_SHORT = "密码太短，至少需要 12 个字符。"
TOO_COMMON = "这个密码太常见了。"
ALL_DIGITS = "密码只包含数字。"
CLASSES = "密码须至少包含大写字母、小写字母、数字、符号中的 3 类。"
HAS_USERNAME = "密码不能包含用户名。"
HAS_NAME = "密码不能包含姓名。"
HAS_ID = "密码不能包含身份证号码中的连续数字。"
LIKE_USERNAME = "密码跟 用户名 太相似了。"
REUSED = "不能使用最近 5 次用过的密码。"

PERSON = {"username": "zhangwei", "full_name": "王小明", "email": ""}
POLICY = settings(max_examples=300, deadline=None, database=None)


def refusals(password: str, **person: str) -> list[str]:
    """The policy's messages for ``password`` set by a new (unsaved) account."""
    user = User(**{**PERSON, **person})
    try:
        validate_new_password(password, user=user)
    except ValidationError as error:
        return error.messages
    return []


@pytest.mark.parametrize(
    ("password", "person", "expected"),
    [
        ("Qiu-Shui-Chang-Tian-2026", {}, []),
        ("UPPER-and-lower", {}, []),  # upper, lower, symbol
        ("upper1234LOWER", {}, []),  # upper, lower, digit
        ("no symbols 2026", {}, []),  # lower, space (a symbol), digit
        ("Short-Aa1", {}, [TOO_SHORT]),
        ("alllowercaseletters", {}, [CLASSES]),
        ("lowercase-with-symbols", {}, [CLASSES]),
        ("ALLCAPS_AND_UNDERSCORES", {}, [CLASSES]),
        ("信访事项办理系统信访事项办理", {}, [CLASSES]),  # Chinese characters are no class
        ("信访2026-系统办理事项", {}, [CLASSES]),  # a digit and a symbol: two classes
        ("Password1234", {}, [TOO_COMMON]),
        ("123456789012", {}, [ALL_DIGITS, CLASSES]),
        ("12345678", {}, [TOO_SHORT, "这个密码太常见了。", ALL_DIGITS, CLASSES]),
        ("Zhangwei-2026-ok", {}, [HAS_USERNAME]),
        ("my-ZHANGWEI-2026", {}, [HAS_USERNAME]),
        ("王小明Wang-2026!", {}, [HAS_NAME]),
        ("My-LINA-pass-2026", {"full_name": "Li Na"}, [HAS_NAME]),
        ("Blue-Sky-491231-x", {"email": "11010519491231002X@example.cn"}, [HAS_ID]),
        ("Blue-Sky-491231-x", {}, []),  # the same digits with no ID number in sight
        ("wangwu2025!!", {"username": "wangwu2026"}, [LIKE_USERNAME]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_policy_table(password: str, person: dict[str, str], expected: list[str]) -> None:
    assert refusals(password, **person) == expected


def test_two_classes_are_not_enough_however_long() -> None:
    assert refusals("信访2026信访事项办理系统" + "1" * 20) == [CLASSES]


# --- Property: what the validator accepts obeys the rules; what lacks the classes is refused ---

CLASS_ALPHABETS = {
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "digit": string.digits,
    "symbol": string.punctuation + " ",
}


def classes_of(password: str) -> set[str]:
    """An oracle independent of the code under test: ASCII classes by membership."""
    return {name for name, chars in CLASS_ALPHABETS.items() if any(c in chars for c in password)}


@POLICY
@given(st.text(alphabet=string.printable.strip("\t\n\r\x0b\x0c") + "信访王", max_size=24))
def test_any_password_the_policy_accepts_obeys_every_rule(password: str) -> None:
    if refusals(password):
        return
    folded = password.casefold()
    assert len(password) >= 12
    assert len(classes_of(password)) >= 3
    assert (PERSON["username"] in folded, PERSON["full_name"] in folded) == (False, False)
    assert password.isdigit() is False


@POLICY
@given(
    st.sampled_from(
        [
            (),
            *[(a,) for a in CLASS_ALPHABETS],
            *[(a, b) for a in CLASS_ALPHABETS for b in CLASS_ALPHABETS if a < b],
        ]
    ).flatmap(
        lambda names: st.text(
            alphabet="".join(CLASS_ALPHABETS[name] for name in names) + "信访事项", max_size=40
        )
    )
)
def test_any_password_lacking_three_classes_is_refused(password: str) -> None:
    assert CLASSES in refusals(password)


# --- History, and every place a password is set ----------------------------------------------


@pytest.mark.django_db
def test_none_of_the_last_five_passwords_may_come_back(handler: User) -> None:
    passwords = [f"Hai-Kuo-Tian-Kong-{n}x" for n in range(1, 6)]
    for new, old in zip(passwords, [PASSWORD, *passwords], strict=False):
        change_own_password(handler, old_password=old, new_password=new, keep_session=None)

    refused = {}
    for earlier in passwords:
        with pytest.raises(ValidationError) as caught:
            change_own_password(
                handler, old_password=passwords[-1], new_password=earlier, keep_session=None
            )
        refused[earlier] = caught.value.messages
    change_own_password(  # six passwords ago: allowed again
        handler, old_password=passwords[-1], new_password=PASSWORD, keep_session=None
    )

    assert refused == {earlier: [REUSED] for earlier in passwords}
    assert PasswordHistory.objects.filter(user=handler).count() == 5
    assert handler.check_password(PASSWORD) is True
    stored = list(PasswordHistory.objects.values_list("password", flat=True))
    assert [value.startswith("md5$") for value in stored] == [True] * 5  # hashes, never clear


@pytest.mark.django_db
def test_the_administrators_reset_refuses_the_current_password(handler: User, units: Units) -> None:
    admin = UserFactory(unit=units.office, roles=[Role.SYSTEM_ADMIN])

    with pytest.raises(ValidationError) as caught:
        reset_password(handler, actor=admin, new_password=PASSWORD)

    assert caught.value.messages == [REUSED]


@pytest.mark.django_db
def test_a_reset_password_is_recorded_in_the_history_and_restarts_the_clock(
    handler: User, units: Units
) -> None:
    admin = UserFactory(unit=units.office, roles=[Role.SYSTEM_ADMIN])
    later = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)

    with time_machine.travel(later, tick=False):
        reset_password(handler, actor=admin, new_password="Hai-Kuo-Tian-Kong-2027")

    handler.refresh_from_db()
    assert handler.password_changed_at == later
    assert PasswordHistory.objects.filter(user=handler).count() == 1


@pytest.mark.django_db
def test_create_user_applies_the_policy_and_writes_nothing_on_refusal(units: Units) -> None:
    with pytest.raises(ValidationError) as caught:
        create_user(
            actor=None,
            username="zhang_san",
            full_name="张三",
            unit=units.office,
            roles=[Role.CLERK],
            password="zhang_san-2026",
        )

    assert caught.value.messages == [HAS_USERNAME]
    assert (User.objects.filter(username="zhang_san").exists(), AuditEvent.objects.count()) == (
        False,
        0,
    )


@pytest.mark.django_db
def test_create_user_keeps_the_first_password_in_the_history(units: Units) -> None:
    user = create_user(
        actor=None,
        username="zhang_san",
        full_name="张三",
        unit=units.office,
        roles=[Role.CLERK],
        password="Qiu-Shui-Chang-Tian-2026",
    )

    assert PasswordHistory.objects.filter(user=user).count() == 1


# --- The change-password page ------------------------------------------------------------------


def change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(
        "/accounts/password/", {"old_password": old, "password1": new, "password2": again or new}
    )


@pytest.mark.django_db
def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(handler: User) -> None:
    here, elsewhere = logged_in(handler), logged_in(handler)
    old_key = here.cookies["sessionid"].value

    response = change(here, PASSWORD, "Hai-Kuo-Tian-Kong-2026")

    handler.refresh_from_db()
    event = AuditEvent.objects.get(event="user.password_change")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert handler.check_password("Hai-Kuo-Tian-Kong-2026") is True
    assert here.cookies["sessionid"].value != old_key
    assert here.get("/cases/").status_code == 200
    assert elsewhere.get("/cases/")["Location"] == "/accounts/login/?next=/cases/"
    assert (event.actor_id, event.detail) == (handler.pk, {"sessions_ended": 1})
    assert "Hai-Kuo-Tian-Kong-2026" not in str(AuditEvent.objects.values_list())
    assert UserSession.objects.filter(user_id=handler.pk).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "again", "errors"),
    [
        (
            "wrong-Password-1",
            "Hai-Kuo-Tian-Kong-2026",
            None,
            {"old_password": ["当前密码不正确。"]},
        ),
        (
            PASSWORD,
            "Hai-Kuo-Tian-Kong-2026",
            "Hai-Kuo-Tian-Kong-2027",
            {"password2": ["两次输入的密码不一致。"]},
        ),
        (PASSWORD, PASSWORD, None, {"password1": [REUSED]}),
        (PASSWORD, "handler-Pass-2026", None, {"password1": ["密码不能包含用户名。"]}),
        (PASSWORD, "short-A1", None, {"password1": [TOO_SHORT]}),
    ],
    ids=["wrong-old", "mismatch", "reused", "username", "short"],
)
def test_a_refused_change_says_why_in_chinese_and_changes_nothing(
    handler: User, old: str, new: str, again: str | None, errors: dict[str, list[str]]
) -> None:
    response = change(logged_in(handler), old, new, again)

    handler.refresh_from_db()
    assert response.status_code == 422
    assert response.context["form"].errors == errors
    assert handler.check_password(PASSWORD) is True
    assert AuditEvent.objects.filter(event="user.password_change").count() == 0


# --- Expiry -----------------------------------------------------------------------------------

CREATED = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


@pytest.fixture
def aged_handler(units: Units) -> User:
    with time_machine.travel(CREATED, tick=False):
        user: User = UserFactory(username="handler", unit=units.unit_a, roles=[Role.HANDLER])
    return user


@pytest.mark.django_db
def test_a_password_expires_after_ninety_days(aged_handler: User) -> None:
    day_89 = CREATED + dt.timedelta(days=89, hours=23)
    day_91 = CREATED + dt.timedelta(days=91)

    assert rules.password_expired(aged_handler, now=day_89) is False
    assert rules.password_expired(aged_handler, now=day_91) is True


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/cases/", "/accounts/users/", "/no-such-page/"])
def test_an_expired_password_sends_every_page_to_the_change_page(
    aged_handler: User, path: str
) -> None:
    with time_machine.travel(CREATED + dt.timedelta(days=91), tick=False):
        response = logged_in(aged_handler).get(path)

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/password/?next={path.replace('/', '%2F')}",
    )


@pytest.mark.django_db
def test_after_changing_an_expired_password_the_person_goes_on_to_their_page(
    aged_handler: User,
) -> None:
    with time_machine.travel(CREATED + dt.timedelta(days=91), tick=False):
        client = logged_in(aged_handler)
        page = client.get("/accounts/password/?next=/cases/")
        keepalive = client.get("/keepalive/")
        response = client.post(
            "/accounts/password/?next=/cases/",
            {
                "old_password": PASSWORD,
                "password1": "Hai-Kuo-Tian-Kong-2026",
                "password2": "Hai-Kuo-Tian-Kong-2026",
                "next": "/cases/",
            },
        )
        after = client.get("/cases/")

    assert (page.status_code, page.context["expired"]) == (200, True)
    assert "您的密码已使用超过 90 天" in page.content.decode()
    assert keepalive.status_code == 204
    assert (response.status_code, response["Location"]) == (302, "/cases/")
    assert after.status_code == 200


@pytest.mark.django_db
def test_a_max_age_of_zero_turns_expiry_off(aged_handler: User, settings: Any) -> None:
    settings.XF_PASSWORD_MAX_AGE_DAYS = 0

    with time_machine.travel(CREATED + dt.timedelta(days=3650), tick=False):
        response = logged_in(aged_handler).get("/cases/")

    assert response.status_code == 200
