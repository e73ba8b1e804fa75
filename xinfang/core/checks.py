"""Start-up assertions that the database will not lose acknowledged writes (SECURITY.md 27)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError, connection


def durability_problems() -> list[str]:
    problems: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            mode = str(cursor.fetchone()[0]).lower()
            cursor.execute("PRAGMA synchronous")
            sync = int(cursor.fetchone()[0])
            if mode != "wal":
                problems.append(f"SQLite journal_mode 为 {mode}，应为 wal")
            if sync < 2:  # 2 = FULL, 3 = EXTRA
                problems.append("SQLite synchronous 低于 FULL，断电可能丢失已确认的写入")
        elif connection.vendor == "postgresql":
            for name in ("fsync", "full_page_writes"):
                cursor.execute(f"SHOW {name}")
                if str(cursor.fetchone()[0]).lower() != "on":
                    problems.append(f"PostgreSQL {name} 未开启")
    return problems


@register("database")
def database_is_durable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not kwargs.get("databases"):
        return []
    try:
        problems = durability_problems()
    except DatabaseError as error:
        return [Error(f"无法连接数据库：{error}", id="xinfang.E010")]
    return [Error(problem, id="xinfang.E011") for problem in problems]
