"""SQLite with a queue for writers: ``ENGINE = "xinfang.core.sqlite"`` (settings.py sets it).

Every transaction begins with ``BEGIN IMMEDIATE`` (settings), so two writers never deadlock;
but a writer that finds the write lock taken waits in SQLite's busy handler, which sleeps in
steps of up to 100 ms and does not notice when the lock is freed. Under a burst of
registrations the lock then sits idle while writers sleep: requests take 10–20 times the
median (W1, docs/performance.md). Here each transaction first takes an exclusive ``flock``
on ``<database>.writelock``, asking again every half millisecond, so a waiter starts within
half a millisecond of the holder's commit or rollback. The flock belongs to the open file,
so the threads of one process (each with its own connection) queue as processes do.

Writers outside ``atomic()`` (single autocommit statements) and other programs on the same
file still meet SQLite's busy handler only; the file lock adds an order, never a new way to
fail. A waiter gives up after the busy timeout like SQLite does, with the same error."""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

#: How long a transaction waits for the writers before it, as PRAGMA busy_timeout (10 s).
WAIT_SECONDS = 10.0


class DatabaseWrapper(base.DatabaseWrapper):
    lock_fd: int | None = None
    lock_held = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.lock_fd = os.open(
                f"{self.settings_dict['NAME']}.writelock", os.O_RDWR | os.O_CREAT, 0o600
            )
        return connection

    def _take_write_lock(self) -> None:
        if self.lock_fd is None or self.lock_held:
            return
        try:  # the common case: nobody writing
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait_for_write_lock()
        self.lock_held = True

    def _wait_for_write_lock(self) -> None:
        """Poll rather than block: a thread blocked in ``flock`` could not give up after the
        timeout."""
        if self.lock_fd is None:
            return
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            time.sleep(0.0005)
            try:
                fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked") from None
            else:
                return

    def _release_write_lock(self) -> None:
        if self.lock_fd is not None and self.lock_held:
            fcntl.flock(self.lock_fd, fcntl.LOCK_UN)
            self.lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in the stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private, not in the stubs
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private, not in the stubs
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private, not in the stubs
        finally:
            self._release_write_lock()
            if self.lock_fd is not None:
                os.close(self.lock_fd)
                self.lock_fd = None
