"""Statutory clocks for the rates (及时受理率, 按期办结率) as SQL conditions.

A case stores the due date of its *open* step only; once the step is done the date is gone. So
the statistics recompute each past due date the way the deadline engine does
(``xinfang.cases.deadlines``: calendar days rolled forward past rest days, or working days,
from the case's pinned rule set, plus an approved extension) — but per trigger *date*, not per
case: for the few hundred trigger dates a period can involve, the due date and the days
allowed are computed in Python once, and the database compares each case's elapsed days with
the allowance of its trigger date. Due dates are monotone in the trigger date, so "due within
the period" is a date range; only the trigger dates whose due date was rolled forward need a
list. ``tests/stats/test_clocks.py`` proves the arithmetic equals ``deadlines.due_date``.

Trade-off: one extra query reads the extension lengths in use. Stored columns for the
acceptance and handling due dates (proposed to ``xinfang.cases``) would make this a plain
comparison.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.db.models import Case as When_
from django.db.models import DateField, Expression, F, Q, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from xinfang.cases.deadlines import (
    NATIONAL_2022_RULES,
    Calendar,
    Limit,
    LimitUnit,
    RuleSetData,
    Step,
    rule_set_by_key,
)
from xinfang.cases.enums import CaseStatus, ClaimRoute, HandlingCategory
from xinfang.cases.models import Case, RuleSet
from xinfang.stats.enums import HandlingDone
from xinfang.stats.expressions import DaysBetween, WithinAllowance

NOTHING = Q(pk__in=[])


def handling_done_column() -> str:
    return "replied_on" if settings.XF_STATS_HANDLING_DONE == HandlingDone.REPLIED else "served_on"


# Per case: the day each clock starts and the days it ran until the step was done.
# 受理告知: from the latest 转送/交办 (or receipt, when the office keeps the case) to the 受理
# or 不予/不再受理 decision. 办理: from acceptance (route 6) or to the 交办 deadline, to service
# of the opinion (or its issue, per ``XF_STATS_HANDLING_DONE``), or to 终结 when the matter
# ended without one.


def _accept_from() -> Expression:
    return Coalesce("transferred_on", "received_on", output_field=DateField())


def _accept_days() -> Expression:
    refused = [CaseStatus.NOT_ACCEPTED, CaseStatus.NOT_REACCEPTED]
    done = Coalesce(
        "accepted_on",
        When_(When(status__in=refused, then=F("closed_on")), output_field=DateField()),
        output_field=DateField(),
    )
    return DaysBetween(_accept_from(), done)


def _handling_from() -> Expression:
    return Coalesce("assignment_due_on", "accepted_on", output_field=DateField())


def _handling_days() -> Expression:
    done = Coalesce(
        handling_done_column(),
        When_(When(status=CaseStatus.TERMINATED, then=F("closed_on")), output_field=DateField()),
        output_field=DateField(),
    )
    return DaysBetween(_handling_from(), done)


class DayTable:
    """Deadline arithmetic of ``deadlines.due_date`` without its explanations (which cost
    half a millisecond a call): workday answers come from the same ``Calendar``, memoised."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._workday: dict[dt.date, bool] = {}
        self._due: dict[tuple[dt.date, Limit, bool], dt.date] = {}

    def is_workday(self, day: dt.date) -> bool:
        known = self._workday.get(day)
        if known is None:
            known = self._workday[day] = self.calendar.is_workday(day)
        return known

    def roll(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def due(self, start: dt.date, limit: Limit, *, roll_forward: bool) -> dt.date:
        key = (start, limit, roll_forward)
        found = self._due.get(key)
        if found is None:
            found = self._due[key] = self._compute(start, limit, roll_forward=roll_forward)
        return found

    def _compute(self, start: dt.date, limit: Limit, *, roll_forward: bool) -> dt.date:
        if limit.unit == LimitUnit.WORKDAYS:
            day, counted = start, 0
            while counted < limit.days:
                day += dt.timedelta(days=1)
                counted += self.is_workday(day)
            return day
        day = start + dt.timedelta(days=limit.days)
        return self.roll(day) if roll_forward else day


def rule_sets() -> list[RuleSetData]:
    """Every rule set a case can be pinned to: the national defaults and the table's rows."""
    keys = [NATIONAL_2022_RULES.key] + [
        f"{jurisdiction}@{effective.isoformat()}"
        for jurisdiction, effective in RuleSet.objects.values_list("jurisdiction", "effective_from")
    ]
    cache: dict[str, RuleSetData] = {}
    return list({rules.key: rules for rules in (rule_set_by_key(k, cache) for k in keys)}.values())


def _any(conditions: Iterable[Q]) -> Q:
    found = list(conditions)
    return reduce(operator.or_, found) if found else NOTHING


@dataclass(frozen=True)
class ClockConditions:
    due: Q  # the step fell due within the window
    on_time: Q  # … and was done by its due date


def _conditions(
    due_of: Callable[[dt.date], dt.date],
    *,
    first: dt.date,
    last: dt.date,
    span: int,
    elapsed: Callable[[], Expression],
    trigger_expression: Callable[[], Expression],
    scope: Q,
) -> tuple[Q, Q] | None:
    """(due, on time) for cases whose due date ``due_of(trigger)`` lies in [first, last];
    None when no trigger date has its due date there."""
    allowed: dict[dt.date, int] = {}
    for offset in range(span + (last - first).days + 1):
        day = first - dt.timedelta(days=span - offset)
        due_on = due_of(day)
        if first <= due_on <= last:
            allowed[day] = (due_on - day).days
    if not allowed:
        return None
    triggers = list(allowed)
    least = min(allowed.values())
    due = scope & Q(GreaterThanOrEqual(trigger_expression(), triggers[0]))
    due &= Q(LessThanOrEqual(trigger_expression(), triggers[-1]))
    longer: dict[int, list[dt.date]] = defaultdict(list)
    for day, days_allowed in allowed.items():
        if days_allowed > least:
            longer[days_allowed].append(day)
    in_time = WithinAllowance(
        trigger_expression(),
        elapsed(),
        least,
        tuple((n, tuple(dates)) for n, dates in sorted(longer.items())),
    )
    return due, due & Q(in_time)


class _Shared:
    """What every window of one computation shares: the calendar, the rule sets and the
    extension lengths in use (read once per request, not once per month of a trend)."""

    def __init__(self, calendar: Calendar | None = None) -> None:
        self.table = DayTable(calendar or Calendar())
        self.rules = rule_sets()
        self.extensions: list[int] | None = None


_shared: ContextVar[_Shared | None] = ContextVar("stats_clocks", default=None)


@contextmanager
def shared_clocks() -> Iterator[None]:
    """Within this block, clocks share one calendar and one read of the rule sets (nested
    blocks reuse the outer one)."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set(_Shared())
    try:
        yield
    finally:
        _shared.reset(token)


class Clocks:
    """The clock conditions for one due window [first, last] (``last`` before today: a step
    due today is not late yet)."""

    def __init__(self, first: dt.date, last: dt.date, *, calendar: Calendar | None = None) -> None:
        self.first, self.last = first, last
        shared = _shared.get() if calendar is None else None
        self.shared = shared or _Shared(calendar)
        self.table = self.shared.table
        self.rules = self.shared.rules
        self._acceptance: ClockConditions | None = None
        self._handling: ClockConditions | None = None

    def _keyed(self, rules: RuleSetData) -> Q:
        return Q(rule_set_key=rules.key) if len(self.rules) > 1 else Q()

    def extensions(self) -> list[int]:
        """Extension lengths in use (0 first); one small query."""
        if self.shared.extensions is None:
            used = (
                Case.objects.filter(extension_days__gt=0)
                .order_by()
                .values_list("extension_days", flat=True)
                .distinct()
            )
            self.shared.extensions = [0, *sorted(used)]
        return self.shared.extensions

    def _collect(self, parts: Iterable[tuple[Q, Q] | None]) -> ClockConditions:
        pairs = [part for part in parts if part is not None]
        return ClockConditions(
            due=_any(due for due, _ in pairs), on_time=_any(on_time for _, on_time in pairs)
        )

    def acceptance(self) -> ClockConditions:
        """第二十三条: 受理/不予受理 told within the limit (15 days) of receiving the case."""
        if self._acceptance is None:
            parts = []
            for rules in self.rules:
                limit = rules.limit(Step.ACCEPTANCE_NOTICE)

                def due_of(
                    day: dt.date, limit: Limit = limit, rules: RuleSetData = rules
                ) -> dt.date:
                    return self.table.due(day, limit, roll_forward=rules.roll_forward)

                parts.append(
                    _conditions(
                        due_of,
                        first=self.first,
                        last=self.last,
                        span=limit.days * 2 + 40,
                        trigger_expression=_accept_from,
                        elapsed=_accept_days,
                        scope=self._keyed(rules),
                    )
                )
            self._acceptance = self._collect(parts)
        return self._acceptance

    def handling(self) -> ClockConditions:
        """第三十四条: route-6 matters within the limit (60 days) of acceptance, or 交办 cases
        by the assignment's deadline; either extended once by the approved days."""
        if self._handling is None:
            parts = []
            route_six = Q(
                assignment_due_on__isnull=True,
                handling_category=HandlingCategory.CLAIM,
                claim_route=ClaimRoute.PETITION,
                accepted_on__isnull=False,
            )
            assigned = Q(assignment_due_on__isnull=False)
            for rules in self.rules:
                limit = rules.limit(Step.HANDLING)
                roll = rules.roll_forward
                for extra in self.extensions():
                    more = Limit(extra) if extra else None

                    def accepted(
                        day: dt.date,
                        limit: Limit = limit,
                        more: Limit | None = more,
                        roll: bool = roll,
                    ) -> dt.date:
                        base = self.table.due(day, limit, roll_forward=roll)
                        return self.table.due(base, more, roll_forward=roll) if more else base

                    def by_assignment(
                        day: dt.date, more: Limit | None = more, roll: bool = roll
                    ) -> dt.date:
                        return self.table.due(day, more, roll_forward=roll) if more else day

                    scope = self._keyed(rules) & Q(extension_days=extra)
                    parts.append(
                        _conditions(
                            accepted,
                            first=self.first,
                            last=self.last,
                            span=limit.days * 2 + extra + 40,
                            trigger_expression=_handling_from,
                            elapsed=_handling_days,
                            scope=scope & route_six,
                        )
                    )
                    parts.append(
                        _conditions(
                            by_assignment,
                            first=self.first,
                            last=self.last,
                            span=extra + 40,
                            trigger_expression=_handling_from,
                            elapsed=_handling_days,
                            scope=scope & assigned,
                        )
                    )
            self._handling = self._collect(parts)
        return self._handling
