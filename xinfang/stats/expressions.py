"""SQL expressions the statistics need on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, Func, IntegerField

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.expressions import Combinable
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


class DaysBetween(Func):
    """Whole days from the first date expression to the second (``end − start``); NULL when
    either is NULL. SQLite compares Julian day numbers, PostgreSQL subtracts dates."""

    arity = 2
    output_field = IntegerField()

    def _parts(self, compiler: SQLCompiler) -> tuple[str, str, tuple[Any, ...]]:
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        return start_sql, end_sql, (*end_params, *start_params)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        start, end, params = self._parts(compiler)
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)", params

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        start, end, params = self._parts(compiler)
        return f"(({end})::date - ({start})::date)", params

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> _AsSqlType:
        raise NotSupportedError(f"DaysBetween is not implemented for {connection.vendor}")


class WithinAllowance(Expression):
    """True when ``days`` (elapsed days) is at most ``least``, or, for the trigger dates
    listed in ``longer`` as (allowance, dates), at most that date's allowance.

    Rendered as one flat SQL condition: as nested ``Q`` objects the few hundred dates made
    Django spend more time hashing expression trees than the database spent counting."""

    conditional = True

    def __init__(
        self,
        trigger: Any,
        days: Any,
        least: int,
        longer: tuple[tuple[int, tuple[dt.date, ...]], ...],
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.trigger: Any = trigger
        self.days: Any = days
        self.least = least
        self.longer = longer

    def get_source_expressions(self) -> list[Any]:
        return [self.trigger, self.days]

    def set_source_expressions(self, exprs: Sequence[Combinable | Expression]) -> None:
        self.trigger, self.days = exprs

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _AsSqlType:
        trigger_sql, trigger_params = compiler.compile(self.trigger)
        days_sql, days_params = compiler.compile(self.days)
        parts = [f"{days_sql} <= %s"]
        params: list[Any] = [*days_params, self.least]
        for allowed, dates in self.longer:
            marks = ", ".join(["%s"] * len(dates))
            parts.append(f"({trigger_sql} IN ({marks}) AND {days_sql} <= %s)")
            params += [
                *trigger_params,
                *(connection.ops.adapt_datefield_value(day) for day in dates),
                *days_params,
                allowed,
            ]
        return "(" + " OR ".join(parts) + ")", tuple(params)
