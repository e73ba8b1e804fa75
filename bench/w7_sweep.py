"""W7: the deadline sweep over all open cases. Ours: ``workflow.sweep_tiers(day)``, set-based
UPDATEs over the due-date index; the baseline: recomputing every open case's deadline columns
in Python (``workflow.deadline_columns``), without writing.

"Full" is the first sweep on a day a month after the data's reference date, when many tiers
move; "incremental" the sweep of the next day. Each round ends with a sweep back to the
reference date, which puts every tier back where the build left it (a tier depends only on
the due date and the day), so the database stays reusable."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

from django.db.models import Count

from bench.database import REFERENCE_DATE
from bench.report import Row, timing_row
from bench.stats import Summary, timed
from xinfang.cases import workflow
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import FINAL_STATUSES, CaseStatus
from xinfang.cases.models import Case

FULL_DAY = REFERENCE_DATE + dt.timedelta(days=30)
NEXT_DAY = FULL_DAY + dt.timedelta(days=1)
BASELINE = "deadline_columns() per open case"


def open_cases() -> int:
    return Case.objects.exclude(status__in=[*FINAL_STATUSES, CaseStatus.CLOSED]).count()


def recompute_in_python(day: dt.date) -> int:
    """Every open case's due date and tier for ``day``, computed and thrown away."""
    calendar = Calendar()
    computed = 0
    cases = Case.objects.exclude(status__in=[*FINAL_STATUSES, CaseStatus.CLOSED])
    for case in cases.iterator(chunk_size=2000):
        workflow.deadline_columns(case, today=day, calendar=calendar)
        computed += 1
    return computed


def _tiers() -> Counter[str]:
    return Counter(dict(Case.objects.values_list("tier").annotate(n=Count("id")).order_by()))


def _sweep(day: dt.date) -> tuple[float, int]:
    started = time.perf_counter()
    moved = workflow.sweep_tiers(day)
    return time.perf_counter() - started, moved


def run(*, quick: bool, cases: int) -> list[Row]:
    rounds = 1 if quick else 3
    baseline_runs = 1 if quick or cases > 200_000 else 3
    before = _tiers()
    full: list[float] = []
    incremental: list[float] = []
    moved = {"full": 0, "incremental": 0}
    for round_ in range(rounds + (0 if quick else 1)):  # the first full round warms up
        seconds_full, moved["full"] = _sweep(FULL_DAY)
        seconds_next, moved["incremental"] = _sweep(NEXT_DAY)
        workflow.sweep_tiers(REFERENCE_DATE)
        if quick or round_ > 0:
            full.append(seconds_full)
            incremental.append(seconds_next)
    after = _tiers()
    if after != before:
        raise RuntimeError(f"the sweep back to the reference date left {after}, not {before}")
    baseline = Summary.of(
        [timed(lambda: recompute_in_python(FULL_DAY)) for _ in range(baseline_runs)]
    )
    still_open = open_cases()
    return [
        timing_row(
            "W7",
            name,
            ours=Summary.of(samples),
            baseline=baseline,
            baseline_name=BASELINE,
            scale=1,
            unit="s",
            target=f"< {limit} s",
            limit=limit,
            note=f"{moved[kind]:,} of {still_open:,} open cases change tier",
            rows_changed=moved[kind],
            open_cases=still_open,
            day=(FULL_DAY if kind == "full" else NEXT_DAY).isoformat(),
        )
        for kind, name, samples, limit in (
            ("full", "全量 full sweep", full, 60),
            ("incremental", "增量 incremental (next day)", incremental, 5),
        )
    ]
