"""W2: Chinese full-text search with the list filters. Ours: the search page's work
(``search_page``: the matches counted up to 500, the first page ranked, loaded and
highlighted), through the index; the baseline: the same filters with ``icontains`` on title,
request and facts and reasons (what most peers do), counted and the newest page fetched.

Before timing, every query's whole result set is compared: the index must find exactly the
cases the substring scan finds (``search_ids`` without a limit against every id ``icontains``
returns). A difference fails the row."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import partial, reduce

from django.db.models import Q, QuerySet

from bench.report import Row, timing_row
from bench.stats import paired
from xinfang.accounts.models import User
from xinfang.cases.access import accuser_withheld
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters, cases_visible_to
from xinfang.search.analyzer import parse_query
from xinfang.search.queries import PAGE_SIZE, search_ids, search_page

TARGET_MS = 50.0
TARGET_RATIO = 100.0
FIELDS = ("title", "request", "facts_reasons")
USERNAME = "clerk"  # the city office: searches every case


@dataclass(frozen=True)
class SearchSpec:
    name: str
    text: str
    filters: CaseFilters


SEARCHES = (
    SearchSpec("2字词 2-character word “物业”", "物业", CaseFilters()),
    SearchSpec(
        "4字短语 4-character phrase “拖欠工资” + 区县 A1区",
        "拖欠工资",
        CaseFilters(region_code="990102"),
    ),
    SearchSpec(
        "两个词 two terms “小区 停车” + 收到月份 2026-10",
        "小区 停车",
        CaseFilters(received_from=dt.date(2026, 10, 1), received_to=dt.date(2026, 10, 31)),
    ),
    SearchSpec("2字词 “补偿” + 状态 办理中", "补偿", CaseFilters(status=CaseStatus.IN_HANDLING)),
)


def substring_scan(user: User, text: str, filters: CaseFilters) -> QuerySet[Case]:
    """The naive search: every term somewhere in title, request or facts (a LIKE scan)."""
    cases = filters.apply(cases_visible_to(user)).exclude(accuser_withheld(user))
    for term in text.split():
        cases = cases.filter(
            reduce(operator.or_, (Q(**{f"{name}__icontains": term}) for name in FIELDS))
        )
    return cases


def baseline_page(user: User, text: str, filters: CaseFilters) -> list[int]:
    """What a list page over the substring scan costs: the count, then the newest page."""
    cases = substring_scan(user, text, filters)
    cases.count()
    return list(cases.order_by("-id").values_list("id", flat=True)[:PAGE_SIZE])


def our_page(user: User, text: str, filters: CaseFilters) -> int:
    return len(search_page(user, parse_query(text), filters).hits)


def run(*, quick: bool) -> list[Row]:
    warmup, runs = (1, 3) if quick else (2, 9)
    user = User.objects.get(username=USERNAME)
    rows = []
    for spec in SEARCHES:
        found = search_ids(user, parse_query(spec.text), spec.filters)
        expected = list(substring_scan(user, spec.text, spec.filters).values_list("id", flat=True))
        same = sorted(found) == sorted(expected)
        ours, baseline = paired(
            partial(our_page, user, spec.text, spec.filters),
            partial(baseline_page, user, spec.text, spec.filters),
            warmup=warmup,
            runs=runs,
        )
        ratio = baseline.median / ours.median if ours.median else 0.0
        row = timing_row(
            "W2",
            spec.name,
            ours=ours,
            baseline=baseline,
            baseline_name="icontains on title + request + facts (COUNT + newest page)",
            scale=1000,
            unit="ms",
            target=f"p95 < {TARGET_MS:.0f} ms; ≥ {TARGET_RATIO:.0f}× icontains",
            limit=TARGET_MS,
            note=(
                f"{len(found):,} matches, same as icontains"
                if same
                else f"结果不同 {len(found):,} matches, icontains {len(expected):,}"
            ),
            same_rows=same,
            matches=len(found),
        )
        row.passed = bool(row.passed) and ratio >= TARGET_RATIO
        rows.append(row)
    return rows
