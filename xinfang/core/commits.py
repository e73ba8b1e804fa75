"""Group commit: registrations that arrive together share one transaction and one fsync.

On SQLite every commit waits for the WAL to reach the disk (``synchronous=FULL``, SECURITY.md
27), 2.5–4 ms on the disks we measured, and holds the one write lock meanwhile: one writer
cannot commit much more than 200 times a second however little it writes (W1,
docs/performance.md). ``shared_transaction(work)`` lets the threads of one process that want
to write at the same moment take turns inside one transaction. The first to arrive (the
leader) takes the write lock, runs its own ``work`` and every ``work`` that arrives before it
commits, each in its own savepoint, commits once, and then hands every thread its own result or
exception. The next thread waiting leads the next group.

- No thread gets an answer before the commit that made its rows durable; if that commit
  fails, every ``work`` of the group gets the error and none of their rows is written.
- A ``work`` that raises rolls back its own savepoint only; the others are committed.
- Each ``work`` runs in the leader's thread (on its connection) but in a copy of its own
  thread's context, so the request id and the client address the audit trail records are its
  own. Django's active language is kept per thread, so a ``work`` runs in the default one
  (``LANGUAGE_CODE``, the only language the interface has).

PostgreSQL gains less but still gains: every registration there waits for the one before it
too, on the case-number counter's row and the audit chain's head, until that one commits
(100k cases, 8 clients: 140 → 160/s, p95 127 → 80 ms). Inside a transaction already (tests,
a caller's ``atomic``) it is ``transaction.atomic()``."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.db import DatabaseError, connection, transaction

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: At most this many ``work`` share a commit: a bound on how long the last one waits.
MAX_GROUP = 16


def shared_transaction(work: Callable[[], T]) -> T:
    """Run ``work`` in a transaction, one that other threads' ``work`` may share."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return work()
    return cast(T, _group.run(work))


@dataclass(eq=False)
class _Work:
    run: Callable[[], Any]
    context: contextvars.Context
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    value: Any = None
    error: BaseException | None = None


class _Group:
    """The threads of this process waiting to write, and whether one of them is writing."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[_Work] = deque()
        self._writing = False

    def run(self, run: Callable[[], Any]) -> Any:
        mine = _Work(run, contextvars.copy_context())
        with self._mutex:
            if self._writing:
                self._waiting.append(mine)
            else:
                self._writing = mine.leads = True
        if not mine.leads:
            mine.woken.wait()  # either done, or the first waiting when the last group ended
        if mine.leads:
            self._lead(mine)
        if mine.error is not None:
            raise mine.error
        return mine.value

    def _next(self) -> _Work | None:
        with self._mutex:
            return self._waiting.popleft() if self._waiting else None

    def _lead(self, first: _Work) -> None:
        """Write a group: the leader's own ``work`` first, then whatever arrives before the
        group is full or nobody is left."""
        group = [first]
        committed = threading.Event()
        try:
            with transaction.atomic():
                transaction.on_commit(committed.set)  # the first hook: runs right after COMMIT
                _in_savepoint(first)
                while len(group) < MAX_GROUP and (following := self._next()) is not None:
                    group.append(following)
                    _in_savepoint(following)
                if transaction.get_rollback():  # atomic() would roll back without a word
                    raise DatabaseError("事务已被标记为回滚，本组写入均未保存。")
        except BaseException as error:
            if committed.is_set():  # a later on_commit hook failed; the rows are written
                logger.exception("on_commit hook failed after a group commit")
            else:
                for work in group:
                    if work.error is None:
                        work.value, work.error = None, error
            if not isinstance(error, Exception):
                raise
        finally:
            self._hand_over(group)

    def _hand_over(self, group: list[_Work]) -> None:
        """Answer the group, and wake the first thread waiting (if any) to lead the next."""
        with self._mutex:
            following = self._waiting.popleft() if self._waiting else None
            if following is None:
                self._writing = False
            else:
                following.leads = True
        for work in group:
            if not work.leads:
                work.woken.set()
        if following is not None:
            following.woken.set()


def _in_savepoint(work: _Work) -> None:
    try:
        with transaction.atomic():
            work.value = work.context.run(work.run)
    except Exception as error:
        work.error = error


_group = _Group()
