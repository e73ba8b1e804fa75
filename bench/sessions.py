"""Signed-in test clients and the reference day, shared by the in-process workloads."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.test import Client

from bench.database import REFERENCE_DATE
from xinfang.accounts import sessions
from xinfang.accounts.models import User


@contextmanager
def on_reference_day() -> Iterator[None]:
    """The clock at 10:00 on the data's reference day (ticking), so "due soon" and "overdue"
    mean what they meant when the data was built. perf_counter, which the timings use, is
    not moved."""
    moment = dt.datetime.combine(REFERENCE_DATE, dt.time(10), tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(moment, tick=True):
        yield


def signed_in(username: str) -> Client:
    """A client through every gate a person passes (password, second factor); call on the
    reference day. The host is one ALLOWED_HOSTS accepts without the test runner."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    session = client.session
    session[sessions.SECOND_FACTOR_DONE] = True
    session[sessions.SIGNED_IN_AT] = session[sessions.LAST_SEEN_AT] = time.time()
    session.save()
    return client
