"""Figures read from the precomputed daily counts (``models.DayCount``) instead of the cases.

They answer when the result is the same as the direct count, and only then:

- the reader sees every case (the root unit: ``visibility_branches`` gives an unrestricted
  branch) — anyone else's scope is not a sum of days and is read from the cases;
- the filters restrict at most one dimension, and a breakdown is by that same dimension, by
  month, or none (a region subtree broken down by region, a unit's row opened in the unit
  table; a region broken down by category is read from the cases);
- the counts are current: a page first folds the changes the triggers noted, when there are
  few (``services.fold_changes``); otherwise, or when the holiday table or the rule sets
  changed since they were computed, the cases are read.

督办, 挂牌 and 包案 figures are not precomputed: their conditions read their own small tables
by date, which costs little either way. ``tests/stats/test_precomputed.py`` holds every figure
read here equal to the direct count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from xinfang.accounts.models import Region, Unit
from xinfang.cases.models import ContentCategory
from xinfang.stats.enums import Base, Dimension, HandlingDone
from xinfang.stats.facts import CONTACT_KEYS
from xinfang.stats.measures import Measure, Window, satisfied_ratings
from xinfang.stats.models import DayCount, RepeatFact

if TYPE_CHECKING:
    from xinfang.stats.queries import StatsFilters

#: Breakdown dimension → ``DayCount.dim``.
DIMS = {
    Dimension.REGION: "region",
    Dimension.CATEGORY: "category",
    Dimension.UNIT: "unit",
    Dimension.RECEPTION: "reception",
    Dimension.CHANNEL: "channel",
    Dimension.HANDLING: "handling",
}
#: ``RepeatFact``'s column per dim (it has no reception point: a case has none).
REPEAT_COLUMNS = {
    "region": "region_id",
    "category": "category_id",
    "unit": "unit_id",
    "handling": "handling_category",
    "channel": "channel",
}
_CASE_SUMS = ("cases_received", "served", "transferred", "assigned")
_CLOCKS = {
    "acceptance_due": "acceptance_due",
    "acceptance_on_time": "acceptance_on_time",
    "handling_due": "handling_due",
}
_OVERDUE = ("overdue_now", "severe_now")
ANSWERED = frozenset(
    {
        *CONTACT_KEYS,
        *_CASE_SUMS,
        *_CLOCKS,
        "handling_on_time",
        "evaluated",
        "satisfied",
        "repeat_cases",
        *_OVERDUE,
    }
)

_memo: ContextVar[dict[str, bool] | None] = ContextVar("stats_rollup_ready", default=None)


@contextmanager
def one_fold() -> Iterator[None]:
    """Within this block the queue is folded (or found too long) once, not per figure."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def ready() -> bool:
    """Whether the counts answer exactly now (folding a short queue first)."""
    if not settings.XF_STATS_ROLLUP:
        return False
    memo = _memo.get()
    if memo is not None and "ready" in memo:
        return memo["ready"]
    from xinfang.stats import services  # the services import the queries

    answer = services.fold_changes(limit=services.PAGE_FOLD_LIMIT)
    if memo is not None:
        memo["ready"] = answer
    return answer


@dataclass(frozen=True)
class Slice:
    """The ``DayCount`` rows a figure sums: one dimension, and the values the filters allow
    (None: every value)."""

    dim: str
    values: tuple[str, ...] | None


def _ids(rows: QuerySet[Any]) -> tuple[str, ...]:
    return tuple(str(pk) for pk in rows.values_list("pk", flat=True))


def _restrictions(filters: StatsFilters) -> list[tuple[str, tuple[str, ...]]]:
    """The dimensions the filters restrict, each with the values they allow — the same rows
    ``queries._case_conditions`` selects (a subtree, or its node alone when ``*_exact``)."""
    from xinfang.stats.queries import NO_UNIT

    found = []
    if filters.region_code:
        regions = (
            Region.objects.filter(code=filters.region_code)
            if filters.region_exact
            else Region.objects.filter(code__startswith=filters.region_code)
        )
        found.append(("region", _ids(regions)))
    if filters.category_code:
        categories = (
            ContentCategory.objects.filter(code=filters.category_code)
            if filters.category_exact
            else ContentCategory.objects.filter(code__startswith=filters.category_code)
        )
        found.append(("category", _ids(categories)))
    if filters.unit_id == NO_UNIT:
        found.append(("unit", ("",)))
    elif filters.unit_id is not None:
        if filters.unit_exact:
            found.append(("unit", (str(filters.unit_id),)))
        else:
            node = Unit.objects.filter(pk=filters.unit_id).values_list("path", flat=True).first()
            subtree = Unit.objects.filter(path__startswith=node) if node else Unit.objects.none()
            found.append(("unit", _ids(subtree)))
    if filters.handling_category:
        found.append(("handling", (filters.handling_category,)))
    if filters.channel:
        found.append(("channel", (filters.channel,)))
    if filters.reception_id is not None:
        found.append(("reception", (str(filters.reception_id),)))
    return found


def slice_for(filters: StatsFilters, dimension: Dimension | None, base: Base) -> Slice | None:
    """The rows answering ``base``'s measures under these filters (for a reader who sees
    every case), broken down by ``dimension`` (None or MONTH: totals); None when the counts
    cannot answer exactly."""
    wanted = DIMS.get(dimension) if dimension is not None else None
    restricted = _restrictions(filters)
    if len(restricted) > 1:
        return None
    dim, values = restricted[0] if restricted else (wanted or "all", None)
    if wanted not in (None, dim):
        return None
    if base == Base.CASE and dim == "reception":  # a case has no one reception point
        return None
    return Slice(dim, values)


def answerable(measures: Iterable[Measure]) -> list[Measure]:
    return [m for m in measures if m.key in ANSWERED]


def _period_sums(keys: Sequence[str], window: Window) -> dict[str, Any]:
    until = window.due_until
    due = Q(day__lte=until)
    target = settings.XF_STATS_EVALUATION_TARGET
    rating = f"{target}_rating"
    done = (
        "handling_on_time_replied"
        if settings.XF_STATS_HANDLING_DONE == HandlingDone.REPLIED
        else "handling_on_time_served"
    )
    sums: dict[str, Any] = {}
    for key in keys:
        if key in CONTACT_KEYS or key in _CASE_SUMS:
            sums[key] = Sum(key)
        elif key in _CLOCKS:
            sums[key] = Sum(_CLOCKS[key], filter=due)
        elif key == "handling_on_time":
            sums[key] = Sum(done, filter=due)
        elif key == "evaluated":
            sums[key] = Sum("served", filter=~Q(**{rating: ""}))
        elif key == "satisfied":
            ratings = satisfied_ratings()
            sums[key] = (
                Sum("served", filter=Q(**{f"{rating}__in": ratings})) if ratings else Value(0)
            )
    return sums


def _overdue_sums(keys: Sequence[str], window: Window) -> dict[str, Any]:
    severe = window.today - dt.timedelta(days=settings.XF_DUE_SEVERE_DAYS)
    sums: dict[str, Any] = {}
    if "overdue_now" in keys:
        sums["overdue_now"] = Sum("open_due")
    if "severe_now" in keys:
        sums["severe_now"] = Sum("open_due", filter=Q(day__lt=severe))
    return sums


def _typed(dim: str, value: str) -> Any:
    """A ``DayCount.value`` as the direct GROUP BY returns it (an id, a code, None)."""
    if dim in ("handling", "channel"):
        return value
    return int(value) if value else None


def _read(
    rows: QuerySet[Any], sums: dict[str, Any], group: str | None
) -> dict[Any, dict[str, int]]:
    if not sums:
        return {}
    # Aliased apart from the columns (a sum named "served" may not read the column "served").
    wrapped = {f"st_{key}": Coalesce(expr, Value(0)) for key, expr in sums.items()}
    if group is None:
        found = rows.aggregate(**wrapped)
        return {None: {key: int(found[f"st_{key}"] or 0) for key in sums}}
    result: dict[Any, dict[str, int]] = {}
    for item in rows.values(group).annotate(**wrapped).order_by():
        result[item[group]] = {key: int(item[f"st_{key}"] or 0) for key in sums}
    return result


def _repeat_rows(part: Slice, window: Window) -> tuple[QuerySet[RepeatFact], str | None] | None:
    """``RepeatFact`` rows of the period in the slice, and the column to group by."""
    column = REPEAT_COLUMNS.get(part.dim)
    if part.dim != "all" and column is None:
        return None
    start, end = window.period.start, window.period.end
    rows = RepeatFact.objects.filter(received_on__gte=start, received_on__lte=end).filter(
        Q(after__lte=end) | Q(before__gte=start)
    )
    if part.values is not None and column is not None:
        typed = [_typed(part.dim, value) for value in part.values]
        chosen = Q(**{f"{column}__in": [v for v in typed if v is not None]})
        if None in typed:
            chosen |= Q(**{f"{column}__isnull": True})
        rows = rows.filter(chosen)
    return rows, column


def counts(
    part: Slice, measures: Sequence[Measure], window: Window, *, grouped: bool
) -> dict[Any, dict[str, int]]:
    """{group value (None for totals): {measure: value}} for the answerable ``measures``."""
    keys = [m.key for m in answerable(measures)]
    days = DayCount.objects.filter(dim=part.dim)
    if part.values is not None:
        days = days.filter(value__in=part.values)
    group = "value" if grouped else None
    start, end = window.period.start, window.period.end
    parts = [
        _read(days.filter(day__gte=start, day__lte=end), _period_sums(keys, window), group),
        _read(days.filter(day__lt=window.today), _overdue_sums(keys, window), group),
    ]
    result: dict[Any, dict[str, int]] = {}
    for found in parts:
        for value, values in found.items():
            key = _typed(part.dim, value) if grouped else None
            result.setdefault(key, {}).update(values)
    if "repeat_cases" in keys:
        repeats = _repeat_rows(part, window)
        if repeats is not None:
            rows, column = repeats
            if grouped and column is not None:
                found = _read(rows, {"repeat_cases": Sum(Value(1))}, column)
            else:
                found = _read(rows, {"repeat_cases": Sum(Value(1))}, None)
            for value, values in found.items():
                result.setdefault(value, {}).update(values)
    # Every group has every key (a group may have counts in one query and not the other).
    for values in result.values():
        for key in keys:
            values.setdefault(key, 0)
    if not grouped:
        result.setdefault(None, dict.fromkeys(keys, 0))
    return result
