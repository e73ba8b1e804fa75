"""Overload answers 503 "系统繁忙，请稍后再试" with ``Retry-After``, never a 500 (SECURITY.md 29).

Two situations count as overload:

- more requests in one process than ``XF_MAX_CONCURRENT_REQUESTS`` at once: a request that
  waits ``XF_OVERLOAD_WAIT_MS`` without getting a slot is turned away before it touches the
  session or the database;
- a saturated database: SQLite still locked after its busy timeout, PostgreSQL out of
  connection slots, or a statement or lock timeout. Whatever layer raised it, the 500 Django
  would send becomes the same 503 (the traceback is still logged as an error).

gunicorn's own settings (workers, threads, backlog, timeouts) are in ``gunicorn.conf.py``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

BUSY = "系统繁忙，请稍后再试。"
RETRY_AFTER_SECONDS = 5
#: PostgreSQL SQLSTATEs meaning "too busy now": too many connections, statement timeout
#: (query_canceled), lock timeout (lock_not_available).
BUSY_SQLSTATES = frozenset({"53300", "57014", "55P03"})
#: The same, as the drivers word them when no SQLSTATE comes with the error.
BUSY_MESSAGES = (
    "database is locked",
    "database table is locked",
    "too many clients",
    "remaining connection slots are reserved",
)

_database_busy: ContextVar[bool] = ContextVar("xinfang_database_busy", default=False)


def is_database_busy(error: BaseException) -> bool:
    if not isinstance(error, DatabaseError):
        return False
    cause = error.__cause__ or error
    if getattr(cause, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    text = str(error).lower()
    return any(message in text for message in BUSY_MESSAGES)


@receiver(got_request_exception)
def _note_database_busy(sender: Any, **kwargs: Any) -> None:
    # Sent while Django handles the exception, so it is still the current one.
    error = sys.exc_info()[1]
    if error is not None and is_database_busy(error):
        _database_busy.set(True)


def busy_response(request: HttpRequest) -> HttpResponse:
    """JSON ``ErrorOut`` for the API, a plain page otherwise; built without the database."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": BUSY, "errors": []},
            status=503,
            content_type="application/json; charset=utf-8",
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(loader.get_template("errors/503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class OverloadMiddleware:
    """Place it before the first middleware that touches the session or the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.slots = threading.BoundedSemaphore(settings.XF_MAX_CONCURRENT_REQUESTS)
        self.wait_seconds = settings.XF_OVERLOAD_WAIT_MS / 1000

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.slots.acquire(timeout=self.wait_seconds):
            return busy_response(request)
        token = _database_busy.set(False)
        try:
            response = self.get_response(request)
            if response.status_code == 500 and _database_busy.get():
                return busy_response(request)
            return response
        finally:
            _database_busy.reset(token)
            self.slots.release()
