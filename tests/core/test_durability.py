"""The database keeps acknowledged writes: SQLite WAL + synchronous=FULL, PostgreSQL fsync on
(SECURITY.md 27)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.checks import Error
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from pytest_django import DjangoDbBlocker

from xinfang.core.checks import database_is_durable, durability_problems

ON_SQLITE = connection.vendor == "sqlite"

sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="SQLite pragmas")
postgresql_only = pytest.mark.skipif(ON_SQLITE, reason="PostgreSQL settings")


@pytest.fixture
def fresh_sqlite_file(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker
) -> Iterator[BaseDatabaseWrapper]:
    """A new connection configured exactly as settings configure the default database, but
    on a database file (the test database itself may be in memory)."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["NAME"] = str(tmp_path / "durable.sqlite3")
    wrapper = type(connections["default"])(settings_dict, alias="durability_probe")
    with django_db_blocker.unblock():
        wrapper.ensure_connection()
        try:
            yield wrapper
        finally:
            wrapper.close()


def pragma(wrapper: BaseDatabaseWrapper, name: str) -> object:
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@sqlite_only
def test_a_fresh_sqlite_connection_uses_wal_synchronous_full_and_foreign_keys(
    fresh_sqlite_file: BaseDatabaseWrapper,
) -> None:
    values = {
        name: pragma(fresh_sqlite_file, name)
        for name in ("journal_mode", "synchronous", "foreign_keys")
    }

    assert values == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


@sqlite_only
def test_durability_problems_is_empty_on_a_sqlite_file_configured_by_settings(
    fresh_sqlite_file: BaseDatabaseWrapper,
) -> None:
    original = connections["default"]
    connections["default"] = fresh_sqlite_file
    try:
        problems = durability_problems()
    finally:
        connections["default"] = original

    assert problems == []


@sqlite_only
@pytest.mark.django_db
def test_the_sqlite_test_connection_runs_with_synchronous_full() -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2


@pytest.mark.django_db
def test_durability_problems_is_empty_on_the_test_database() -> None:
    assert durability_problems() == []


@pytest.mark.django_db
def test_the_database_check_passes_on_the_test_database() -> None:
    assert database_is_durable(databases=["default"]) == []


@postgresql_only
@pytest.mark.django_db
def test_postgresql_runs_with_fsync_and_full_page_writes() -> None:
    values = {}
    with connection.cursor() as cursor:
        for name in ("fsync", "full_page_writes"):
            cursor.execute(f"SHOW {name}")
            values[name] = cursor.fetchone()[0]

    assert values == {"fsync": "on", "full_page_writes": "on"}


@sqlite_only
def test_the_database_check_reports_a_non_wal_sqlite_database(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["NAME"] = str(tmp_path / "fragile.sqlite3")
    settings_dict["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=DELETE;PRAGMA synchronous=NORMAL"
    }
    fragile = type(connections["default"])(settings_dict, alias="durability_probe")
    original = connections["default"]
    with django_db_blocker.unblock():
        connections["default"] = fragile
        try:
            messages = database_is_durable(databases=["default"])
        finally:
            connections["default"] = original
            fragile.close()

    assert messages == [
        Error("SQLite journal_mode 为 delete，应为 wal", id="xinfang.E011"),
        Error("SQLite synchronous 低于 FULL，断电可能丢失已确认的写入", id="xinfang.E011"),
    ]
