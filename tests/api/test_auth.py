from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.api.conftest import api_client, bearer
from tests.conftest import logged_in
from xinfang.accounts.models import User, UserRole
from xinfang.api.models import ApiToken
from xinfang.api.services import issue_token, revoke_token

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "detail": "未提供有效的访问令牌。请在请求头中携带 Authorization: Bearer <令牌>。",
    "errors": [],
}
ENDPOINTS = [
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/A01-2026-000001"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401_on_every_endpoint(method: str, path: str) -> None:
    response = getattr(Client(), method)(path, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="xinfang"'


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_logged_in_browser_session_is_not_a_token(clerk: User, method: str, path: str) -> None:
    response = getattr(logged_in(clerk), method)(path, content_type="application/json")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic Y2xlcms6cGFzc3dvcmQ=",
        "Token xf_" + "a" * 43,
        "Bearer xf_" + "a" * 43,
        "Bearer xf_short",
        "Bearer \x7f\x00",
    ],
)
def test_a_malformed_or_unknown_token_gets_401(clerk: User, header: str) -> None:
    api_client(clerk)  # a real token exists; none of these headers is it

    response = Client(headers={"Authorization": header}).get("/api/v1/cases")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_a_revoked_token_gets_401(handler: User) -> None:
    token, secret = issue_token(actor=None, user=handler, name="对接程序", days=30)
    assert bearer(secret).get("/api/v1/cases").status_code == 200

    revoke_token(token, actor=handler)

    assert bearer(secret).get("/api/v1/cases").status_code == 401


def test_an_expired_token_gets_401(handler: User) -> None:
    start = dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _token, secret = issue_token(actor=None, user=handler, name="对接程序", days=1)
        traveller.shift(dt.timedelta(hours=23, minutes=59))
        before = bearer(secret).get("/api/v1/cases").status_code
        traveller.shift(dt.timedelta(minutes=1))
        after = bearer(secret).get("/api/v1/cases").status_code

    assert (before, after) == (200, 401)


def test_the_token_of_a_disabled_account_gets_401(handler: User) -> None:
    _token, secret = issue_token(actor=None, user=handler, name="对接程序", days=30)
    handler.is_active = False
    handler.save()

    assert bearer(secret).get("/api/v1/cases").status_code == 401


def test_a_token_stops_working_when_its_owner_loses_every_case_role(handler: User) -> None:
    _token, secret = issue_token(actor=None, user=handler, name="对接程序", days=30)
    UserRole.objects.filter(user=handler).delete()

    assert bearer(secret).get("/api/v1/cases").status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute(handler: User) -> None:
    start = dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        token, secret = issue_token(actor=None, user=handler, name="对接程序", days=30)
        client = bearer(secret)
        seen = []
        for step in (0, 30, 29, 2):  # seconds after the previous request: at 0, 30, 59, 61
            traveller.shift(dt.timedelta(seconds=step))
            assert client.get("/api/v1/cases").status_code == 200
            token.refresh_from_db()
            seen.append(token.last_used_at)

    assert seen == [start, start, start, start + dt.timedelta(seconds=61)]


def test_api_responses_are_not_cached(handler: User) -> None:
    response = api_client(handler).get("/api/v1/cases")

    assert response["Cache-Control"] == "no-store"


def test_the_plaintext_is_not_kept_anywhere_in_the_token_table(handler: User) -> None:
    _token, secret = issue_token(actor=None, user=handler, name="对接程序", days=30)

    rows = list(ApiToken.objects.values_list())

    assert secret not in str(rows)


def test_an_unserved_method_gets_405_in_chinese_json_with_allow(handler: User) -> None:
    response = api_client(handler).delete("/api/v1/cases")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": "不支持该请求方法。", "errors": []}
    assert sorted(response["Allow"].split(", ")) == ["GET", "POST"]
