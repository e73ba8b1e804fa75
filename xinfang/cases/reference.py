"""Reference data a registration reads every time (the unit tree, 问题属地 regions, content
categories, rule sets, the calendar), kept in each process for as long as its generation in
the database stays the same.

Every write to those tables gives the generation a new value in the writer's own
transaction: model signals for saves and deletes (connected in ``apps.py``), and
:data:`xinfang.core.reference.reference_data_changed` from the bulk loaders, which send no
model signals. A reader reads the generation first and then, on a miss, the data, and files
the data under the generation it read: the data is never older than its generation, so an
edit is seen by the next registration in every process, as when each one read the tables.

The generation is random, not a counter: a rolled-back change (a test's transaction) must
never bring a value back that once named other data. A database without the row (new, or
loaded in bulk) gets one on the first read.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection

from xinfang.cases.models import NumberSequence

SCOPE = "reference-data"
T = TypeVar("T")

#: (generation, key) → value; entries of older generations are dropped on the first miss.
_kept: dict[tuple[int, Hashable], Any] = {}


def generation() -> int | None:
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last FROM {table} WHERE scope = %s", [SCOPE])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def changed(**_signal: object) -> None:
    """The reference tables changed (or are about to, in this transaction)."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, last) VALUES (%s, %s)"  # noqa: S608
            " ON CONFLICT (scope) DO UPDATE SET last = excluded.last",
            [SCOPE, secrets.randbits(62) | 1],
        )


_pinned: ContextVar[int | None] = ContextVar("xinfang_reference_generation", default=None)


def _current() -> int | None:
    current = generation()
    if current is None:
        changed()
        current = generation()
    return current


@contextmanager
def pinned() -> Iterator[None]:
    """Read the generation once for everything kept inside (one request's lookups)."""
    token = _pinned.set(_current())
    try:
        yield
    finally:
        _pinned.reset(token)


def kept(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or what it returned earlier in this process under the same generation.
    Model instances come back as copies: a caller may attach things to its own."""
    current = _pinned.get() or _current()
    if current is None:  # pragma: no cover - the row was just written
        return load()
    try:
        value: T = _kept[current, key]
    except KeyError:
        value = load()
        # list() copies the keys at once: another thread may be adding one meanwhile.
        for stale in [entry for entry in list(_kept) if entry[0] != current]:
            _kept.pop(stale, None)
        _kept[current, key] = value
    return copy.copy(value)
