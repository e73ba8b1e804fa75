"""W4: one year's statistics for the root office's leader — every figure of the 基本情况 line and
every rate with the measures it divides, in total, by region and by category (what the
dashboard's tables and the annual report ask for).

Ours: ``queries.figures`` and ``queries.breakdown`` reading the precomputed daily counts
(``xinfang.stats.models``), brought up to date first (timed apart: "upkeep").

Baseline, in the same run: load the needed columns and group in plain Python. pandas is not in
requirements.lock, so the baseline is Python over ``values_list`` — the cases, contacts and
ratings streamed through the same per-row derivation (due dates under the holiday calendar,
latest ratings, repeat days: ``facts.derive``), the 督办/挂牌/包案 tables read whole, then
every figure counted per region and per category in dictionaries.

A reference row times the same figures computed directly by SQL over the cases (the path a
filtered or narrower-scoped page takes). All three must give the same numbers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection

from bench.database import REFERENCE_DATE
from bench.report import Row, timing_row
from bench.sessions import on_reference_day
from bench.stats import Summary, timed
from xinfang.accounts.models import User
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.stats import facts, overview, rollup, services
from xinfang.stats.enums import Dimension, HandlingDone
from xinfang.stats.measures import CONTACT_MEASURES, MEASURES, Window, satisfied_ratings
from xinfang.stats.models import DayCount, RollupState
from xinfang.stats.periods import Period
from xinfang.stats.queries import StatsFilters, breakdown, figures, needed_for_rates
from xinfang.stats.views import TABLE_KEYS
from xinfang.supervision.enums import ResponseKind
from xinfang.supervision.models import LeaderCase, Listing, OrderResponse, SupervisionOrder
from xinfang.supervision.queries import RESOLVED_TERMINATIONS

#: The twelve months up to the data's reference date.
YEAR = Period(REFERENCE_DATE - dt.timedelta(days=364), REFERENCE_DATE)
KEYS = needed_for_rates(list(MEASURES))
TARGET = "< 1 s (SQLite); ≥ 5× baseline"
LIMIT_S = 1.0
BASELINE = "Python over values_list (no pandas)"
DIMENSIONS = (Dimension.REGION, Dimension.CATEGORY)

Result = dict[str, Any]


def ours(user: User, filters: StatsFilters) -> Result:
    """The year's figures, and the tables by region and by category."""
    totals = figures(user, filters, keys=KEYS)
    tables = {d: breakdown(user, filters, d, keys=TABLE_KEYS) for d in DIMENSIONS}
    return {
        "total": totals.values,
        **{
            d.value: {row.group.key: row.figures.values for row in table.rows}
            for d, table in tables.items()
        },
    }


# --- the baseline: plain Python -------------------------------------------------------------


def _supervision_sets(period: Period) -> dict[str, set[int]]:
    start, end = period.start, period.end
    _, after = period.bounds()
    issued = dict(
        SupervisionOrder.objects.filter(issued_on__gte=start, issued_on__lte=end).values_list(
            "id", "case_id"
        )
    )
    answered = {
        issued[order_id]
        for order_id, kind, at in OrderResponse.objects.values_list(
            "order_id", "kind", "occurred_at"
        )
        if order_id in issued and kind == ResponseKind.ANSWER and at < after
    }
    listed = {
        case_id
        for case_id, day in Listing.objects.values_list("case_id", "listed_on")
        if start <= day <= end
    }
    taken = {
        case_id
        for case_id, day in LeaderCase.objects.values_list("case_id", "taken_on")
        if start <= day <= end
    }
    return {
        "supervised": set(issued.values()),
        "supervision_answered": answered,
        "listed": listed,
        "lead_taken": taken,
    }


def _resolved(period: Period) -> set[int]:
    """Cases closed, or terminated for a settling reason, by the period's end."""
    return {
        pk
        for pk, status, closed, reason in Case.objects.filter(closed_on__isnull=False)
        .values_list("id", "status", "closed_on", "termination_reason")
        .iterator(chunk_size=20_000)
        if closed is not None
        and closed <= period.end
        and (
            status == CaseStatus.CLOSED
            or (status == CaseStatus.TERMINATED and reason in RESOLVED_TERMINATIONS)
        )
    }


def baseline(user: User, filters: StatsFilters, today: dt.date) -> Result:
    """The same figures, loading the columns and counting in Python."""
    period = filters.period
    window = Window(period, today)
    start, end, until = period.start, period.end, window.due_until
    severe = today - dt.timedelta(days=settings.XF_DUE_SEVERE_DAYS)
    c = {name: index for index, name in enumerate(facts.CASE_FACT_COLUMNS)}
    k = {name: index for index, name in enumerate(facts.CONTACT_FACT_COLUMNS)}
    r = {name: index for index, name in enumerate(facts.REPEAT_FACT_COLUMNS)}
    replied = settings.XF_STATS_HANDLING_DONE == HandlingDone.REPLIED
    done = c["handling_on_time_replied" if replied else "handling_on_time_served"]
    rating_at = c[f"{settings.XF_STATS_EVALUATION_TARGET}_rating"]
    satisfied = set(satisfied_ratings())
    sets = _supervision_sets(period)
    resolved = _resolved(period) & sets["lead_taken"]
    contact_columns = [(m.key, k[m.key]) for m in CONTACT_MEASURES]
    counts: dict[str, dict[Any, dict[str, int]]] = {
        key: defaultdict(lambda: dict.fromkeys(KEYS, 0)) for key in ("total", "region", "category")
    }

    def add(region: int, category: int, key: str, amount: int = 1) -> None:
        for name, value in (("total", None), ("region", region), ("category", category)):
            counts[name][value][key] += amount

    for batch in facts.derive(None, batch_size=20_000):
        for row in batch.contacts:
            if start <= row[k["day"]] <= end:
                for key, index in contact_columns:
                    if row[index]:
                        add(row[k["region_id"]], row[k["category_id"]], key, row[index])
        for row in batch.repeats:
            after, before = row[r["after"]], row[r["before"]]
            if start <= row[r["received_on"]] <= end and (
                (after is not None and after <= end) or (before is not None and before >= start)
            ):
                add(row[r["region_id"]], row[r["category_id"]], "repeat_cases")
        for fact in batch.cases:
            pk, region, category = fact[c["case_id"]], fact[c["region_id"]], fact[c["category_id"]]

            def day_in(column: str, last: dt.date, fact: list[Any] = fact) -> bool:
                day = fact[c[column]]
                return day is not None and start <= day <= last

            if day_in("received_on", end):
                add(region, category, "cases_received")
            if day_in("accept_due_on", until):
                add(region, category, "acceptance_due")
                if fact[c["accept_on_time"]]:
                    add(region, category, "acceptance_on_time")
            if day_in("handling_due_on", until):
                add(region, category, "handling_due")
                if fact[done]:
                    add(region, category, "handling_on_time")
            if day_in("served_on", end):
                add(region, category, "served")
                if fact[rating_at]:
                    add(region, category, "evaluated")
                    if fact[rating_at] in satisfied:
                        add(region, category, "satisfied")
            if day_in("transferred_on", end):
                if fact[c["transferred"]]:
                    add(region, category, "transferred")
                if fact[c["assigned"]]:
                    add(region, category, "assigned")
            open_due = fact[c["open_due_on"]]
            if open_due is not None and open_due < today:
                add(region, category, "overdue_now")
                if open_due < severe:
                    add(region, category, "severe_now")
            for key, members in sets.items():
                if pk in members:
                    add(region, category, key)
            if pk in resolved:
                add(region, category, "lead_resolved")
    total = dict(counts["total"][None]) if None in counts["total"] else dict.fromkeys(KEYS, 0)
    result: Result = {"total": total}
    for dimension in DIMENSIONS:
        raw = counts[dimension.value]
        groups = rollup.groups_for(dimension, list(raw), filters, user)
        merged: dict[str, dict[str, int]] = {}
        for value, values in raw.items():
            sums = merged.setdefault(groups[value].key, dict.fromkeys(TABLE_KEYS, 0))
            for key in TABLE_KEYS:
                sums[key] += values[key]
        result[dimension.value] = {k: v for k, v in merged.items() if any(v.values())}
    return result


# --- the run --------------------------------------------------------------------------------


def upkeep() -> tuple[float, str]:
    """Bring the counts up to date (on a freshly built benchmark database: a rebuild, since
    the bulk load noted every row); seconds, and what was done."""
    built_before = RollupState.objects.values_list("built_at", flat=True).first()
    started = time.perf_counter()
    folded = services.catch_up()
    seconds = time.perf_counter() - started
    built_after = RollupState.objects.values_list("built_at", flat=True).first()
    if built_after != built_before:
        return seconds, "重建 rebuilt from every case"
    return seconds, f"折叠 folded {folded:,} noted changes"


def _direct(action: Callable[[], Result]) -> Result:
    previous = settings.XF_STATS_ROLLUP
    settings.XF_STATS_ROLLUP = False
    try:
        return action()
    finally:
        settings.XF_STATS_ROLLUP = previous


def run(*, quick: bool, cases: int) -> list[Row]:
    big = cases > 200_000
    runs = 3 if quick else 9
    baseline_runs = 1 if quick or big else 3
    with on_reference_day():
        upkeep_seconds, upkept = upkeep()
        leader = User.objects.get(username="leader")
        year = StatsFilters(period=YEAR)
        today = REFERENCE_DATE
        ours(leader, year)  # warm: the first call folds whatever is left
        samples = [timed(lambda: ours(leader, year)) for _ in range(runs)]
        counted = ours(leader, year)
        baseline_samples, baselined = [], {}
        for _ in range(baseline_runs):
            started = time.perf_counter()
            baselined = baseline(leader, year, today)
            baseline_samples.append(time.perf_counter() - started)
        direct_started = time.perf_counter()
        directly = _direct(lambda: ours(leader, year))
        direct_seconds = time.perf_counter() - direct_started
        dashboard = Summary.of(
            [timed(lambda: overview.dashboard(leader, year)) for _ in range(max(runs // 3, 1))]
        )
    same = counted == baselined == directly
    day_rows = DayCount.objects.count()
    mine = Summary.of(samples)
    base = Summary.of(baseline_samples)
    note = (
        f"{len(counted['region'])} regions, {len(counted['category'])} categories; "
        f"{day_rows:,} daily rows"
    )
    if not same:
        note = "结果不同 figures differ from the baseline or the direct count; " + note
    main = timing_row(
        "W4",
        "年度统计 year's figures + by region + by category",
        ours=mine,
        baseline=base,
        baseline_name=BASELINE,
        scale=1,
        unit="s",
        target=TARGET,
        limit=LIMIT_S,
        note=note,
        same_rows=same,
        database=connection.vendor,
        period=f"{YEAR.start}..{YEAR.end}",
    )
    main.passed = bool(main.passed) and (main.ratio or 0) >= 5  # and ≥ 5× the baseline
    return [
        main,
        Row(
            workload="W4",
            name="参照 the same, direct SQL over the cases",
            target="—",
            unit="s",
            ours=direct_seconds,
            runs=1,
            note="the path of filtered pages and narrower scopes",
        ),
        timing_row(
            "W4",
            "概览页数据 dashboard data (同比/环比, months, charts)",
            ours=dashboard,
            baseline=None,
            baseline_name="",
            scale=1,
            unit="s",
            target="< 1 s",
            limit=LIMIT_S,
        ),
        Row(
            workload="W4",
            name="预汇总维护 rollup upkeep before the run",
            target="—",
            unit="s",
            ours=upkeep_seconds,
            runs=1,
            note=upkept,
        ),
    ]
