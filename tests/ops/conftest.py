"""Operations tests: other databases of our own (a new SQLite file, or a new PostgreSQL
database beside the test one), and running ``manage.py`` in a child process as an operator
would."""

from __future__ import annotations

import copy
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
ON_SQLITE = connection.vendor == "sqlite"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: starts real processes (gunicorn, manage.py, pg_dump); seconds, not "
        "milliseconds. Runs in CI like every other test.",
    )


@dataclass(frozen=True)
class Database:
    """A database other than the test one: its URL for a child process, its settings for
    :func:`using_database` in this one."""

    url: str
    settings_dict: dict[str, Any]


def database_url(settings_dict: dict[str, Any]) -> str:
    if "sqlite" in settings_dict["ENGINE"]:
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


def _maintenance(settings_dict: dict[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Database]:
    """A database with no tables: a new SQLite file, or on PostgreSQL a new database named
    after the test database (so parallel workers and other people's runs never meet)."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    if ON_SQLITE:
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
        yield Database(database_url(settings_dict), settings_dict)
        return
    name = f"{settings_dict['NAME']}_restore_{secrets.token_hex(4)}"
    settings_dict["NAME"] = name
    with _maintenance(settings_dict) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(database_url(settings_dict), settings_dict)
    finally:
        with _maintenance(settings_dict) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def using_database(database: Database) -> Iterator[None]:
    """Point this process's ORM at ``database`` for a while (to read what a child wrote)."""
    wrapper = type(connections["default"])(database.settings_dict, alias="default")
    original = connections["default"]
    connections["default"] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections["default"] = original


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """``python manage.py ARGS`` in a child process with this environment plus ``environment``
    (keys come from the same place as this process's: the environment or ``.env``)."""
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
