"""Writers on SQLite queue on a file lock before ``BEGIN IMMEDIATE`` (xinfang.core.sqlite):
the next writer starts when the one before it ends, and gives up after the timeout with
SQLite's own error."""

from __future__ import annotations

import copy
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from pytest_django import DjangoDbBlocker

from xinfang.core.sqlite import base

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")

Opener = Callable[[str], BaseDatabaseWrapper]


@pytest.fixture
def opener(tmp_path: Path, django_db_blocker: DjangoDbBlocker) -> Iterator[Opener]:
    """Connections configured as settings configure the default database, on one new file."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["NAME"] = str(tmp_path / "writers.sqlite3")
    opened: list[BaseDatabaseWrapper] = []

    def open_one(alias: str) -> BaseDatabaseWrapper:
        wrapper = type(connections["default"])(copy.deepcopy(settings_dict), alias=alias)
        wrapper.ensure_connection()
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        yield open_one
        for wrapper in opened:
            wrapper.inc_thread_sharing()
            wrapper.close()


def begin(wrapper: BaseDatabaseWrapper) -> None:
    wrapper._start_transaction_under_autocommit()  # type: ignore[attr-defined]  # what atomic() calls


def test_a_second_writer_starts_only_after_the_first_commits(opener: Opener) -> None:
    first = opener("first")
    begin(first)
    events: list[str] = []
    started = threading.Event()

    def second_writer() -> None:
        second = opener("second")
        started.set()
        begin(second)
        events.append("second began")
        second.commit()

    thread = threading.Thread(target=second_writer)
    thread.start()
    started.wait()
    time.sleep(0.1)  # the second writer is waiting now
    events.append("first committed")
    first.commit()
    thread.join(timeout=10)
    assert events == ["first committed", "second began"]


def test_a_writer_that_waits_too_long_gets_sqlites_locked_error_and_holds_nothing(
    opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "WAIT_SECONDS", 0.05)
    first, second = opener("first"), opener("second")
    begin(first)
    with pytest.raises(OperationalError, match="database is locked"):
        begin(second)
    assert isinstance(second, base.DatabaseWrapper)
    assert not second.lock_held
    first.rollback()
    begin(second)  # free again once the first writer is gone
    second.commit()


def test_the_lock_is_given_back_when_a_connection_closes_mid_transaction(
    opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "WAIT_SECONDS", 0.05)
    first, second = opener("first"), opener("second")
    begin(first)
    first.close()
    begin(second)
    second.commit()


def test_writers_queue_on_the_file_beside_the_database(
    opener: Opener, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another program holding ``<database>.writelock`` (no SQLite transaction at all)
    makes a writer wait: the queue is the file lock, not SQLite's busy handler."""
    monkeypatch.setattr(base, "WAIT_SECONDS", 0.05)
    writer = opener("writer")
    holder = os.open(tmp_path / "writers.sqlite3.writelock", os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(OperationalError, match="database is locked"):
            begin(writer)
        fcntl.flock(holder, fcntl.LOCK_UN)
        begin(writer)
        writer.commit()
    finally:
        os.close(holder)
