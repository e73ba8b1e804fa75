"""Overload answers 503 "系统繁忙" with Retry-After, never 500 (SECURITY.md 29).

The whole server under load is ``tests/load`` (``make loadtest``); these are the two ways in.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from psycopg import errors as pg

from tests.api.conftest import api_client
from xinfang.accounts.models import User
from xinfang.core.overload import OverloadMiddleware, is_database_busy

BUSY_JSON = {"detail": "系统繁忙，请稍后再试。", "errors": []}


def refused_while_full(path: str, settings: Any, *, limit: int = 2) -> HttpResponse:
    """The answer to one more request for ``path`` while ``limit`` requests hold every slot:
    each arrives while the one before it is still at work."""
    settings.XF_MAX_CONCURRENT_REQUESTS = limit
    settings.XF_OVERLOAD_WAIT_MS = 10
    requests = RequestFactory()
    answers: list[HttpResponse] = []  # innermost first
    depth = 0

    def work(request: HttpRequest) -> HttpResponse:
        nonlocal depth
        depth += 1
        if depth <= limit:
            answers.append(middleware(requests.get(path)))
        return HttpResponse("已处理")

    middleware = OverloadMiddleware(work)
    first = middleware(requests.get(path))

    assert [first.status_code, *(a.status_code for a in reversed(answers))] == [
        *[200] * limit,
        503,
    ]
    return answers[0]


def test_a_request_beyond_the_limit_gets_503_in_chinese_json_on_the_api(settings: Any) -> None:
    response = refused_while_full("/api/v1/cases", settings)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Retry-After"] == "5"
    assert json.loads(response.content) == BUSY_JSON


def test_a_page_beyond_the_limit_gets_a_chinese_503_page(settings: Any) -> None:
    response = refused_while_full("/cases/", settings)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "系统繁忙，请稍后再试" in response.content.decode()


def test_requests_within_the_limit_are_served_and_free_their_slot(settings: Any) -> None:
    settings.XF_MAX_CONCURRENT_REQUESTS = 1
    settings.XF_OVERLOAD_WAIT_MS = 0
    middleware = OverloadMiddleware(lambda request: HttpResponse("已处理"))

    answers = [middleware(RequestFactory().get("/cases/")).status_code for _ in range(3)]

    assert answers == [200, 200, 200]


def failing_queries(error: Exception) -> Callable[..., Any]:
    def execute(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        raise error

    return execute


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("database is locked"),
        OperationalError("connection failed: FATAL:  sorry, too many clients already"),
    ],
)
def test_a_saturated_database_answers_503_not_500(
    handler: User, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    client = api_client(handler)
    client.raise_request_exception = False
    monkeypatch.setattr(CursorWrapper, "execute", failing_queries(error))

    response = client.get("/api/v1/cases")

    assert response.status_code == 503
    assert response.json() == BUSY_JSON
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_any_other_database_error_is_still_a_500(
    handler: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api_client(handler)
    client.raise_request_exception = False
    monkeypatch.setattr(
        CursorWrapper, "execute", failing_queries(OperationalError("no such table"))
    )

    assert client.get("/api/v1/cases").status_code == 500


def wrapped(driver_error: Exception) -> DatabaseError:
    """What Django raises: its own class, the driver's error as the cause."""
    error = OperationalError(str(driver_error))
    error.__cause__ = driver_error
    return error


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (wrapped(sqlite3.OperationalError("database table is locked: cases_case")), True),
        (wrapped(pg.TooManyConnections()), True),
        (wrapped(pg.QueryCanceled()), True),  # statement_timeout
        (wrapped(pg.LockNotAvailable()), True),  # lock_timeout
        (wrapped(pg.UndefinedTable()), False),  # a bug, not load
        (wrapped(sqlite3.OperationalError("no such table: cases_case")), False),
        (IntegrityError("UNIQUE constraint failed"), False),
        (RuntimeError("database is locked"), False),  # not a database error at all
    ],
)
def test_only_a_busy_database_counts_as_overload(error: Exception, busy: bool) -> None:
    assert is_database_busy(error) is busy


def test_the_overload_guard_runs_before_the_session_touches_the_database(settings: Any) -> None:
    order = list(settings.MIDDLEWARE)

    assert order.index("xinfang.core.overload.OverloadMiddleware") < order.index(
        "django.contrib.sessions.middleware.SessionMiddleware"
    )
