"""W3: case list pages, server time. Ours: ``case_page`` (keyset pages over index-ordered
branches) and ``cases_due_soon``; the baseline: the same filter with COUNT(*) and OFFSET, the
way Django's admin pages, fetching the same rows. Both must return the same cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db.models import QuerySet
from django.test import Client

from bench.report import Row, timing_row
from bench.sessions import on_reference_day, signed_in
from bench.stats import paired
from xinfang.accounts.models import User
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case
from xinfang.cases.queries import (
    DUE_PAGE_SIZE,
    CaseFilters,
    case_page,
    cases_due_soon,
    cases_visible_to,
    unit_subtree_ids,
)

PAGE = 50
DUE_SOON_LIMIT = DUE_PAGE_SIZE  # one page of cases_due_soon
TARGET = "p95 < 100 ms"
LIMIT_MS = 100.0
BASELINE = "OFFSET+COUNT(*)"
MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))  # the month before the reference date


@dataclass(frozen=True)
class ListSpec:
    key: str
    name: str
    username: str
    filters: CaseFilters
    query: str  # the same filters as the list page's GET parameters


LISTS = (
    ListSpec("inbox", "单位收件箱 unit inbox (住建局)", "handler", CaseFilters(), ""),
    ListSpec(
        "status",
        "在办列表 status=在办 (信访局)",
        "clerk",
        CaseFilters(status=CaseStatus.IN_HANDLING),
        "status=in_handling",
    ),
    ListSpec(
        "filtered",
        "区县+月份 A1区 + 2026-10 (信访局)",
        "clerk",
        CaseFilters(region_code="990102", received_from=MONTH[0], received_to=MONTH[1]),
        f"region=990102&received_from={MONTH[0]}&received_to={MONTH[1]}",
    ),
)


def _rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What a list page shows (admin's list_select_related of the same columns)."""
    return cases.select_related("region", "content_category", "registering_unit", "handling_unit")


def offset_page(user: User, filters: CaseFilters, page: int) -> list[int]:
    """The admin's way: count the matches, then skip to the page."""
    cases = filters.apply(cases_visible_to(user)).order_by("-registered_at", "-id")
    cases.count()
    return [case.pk for case in _rows(cases)[(page - 1) * PAGE : page * PAGE]]


def keyset_page(user: User, filters: CaseFilters, cursor: str) -> list[int]:
    return [case.pk for case in case_page(user, filters, after=cursor, size=PAGE).cases]


def cursor_of_page(user: User, filters: CaseFilters, page: int) -> tuple[str, int]:
    """The ``after`` cursor that opens page ``page`` (or the last page, if there are fewer),
    and the page number it opens."""
    cursor, number = "", 1
    while number < page:
        following = case_page(user, filters, after=cursor, size=PAGE).next_cursor
        if following is None:
            break
        cursor, number = following, number + 1
    return cursor, number


def offset_due_soon(user: User) -> list[int]:
    """The same rows as cases_due_soon, counted and paged the admin's way."""
    from django.conf import settings
    from django.utils import timezone

    horizon = timezone.localdate() + dt.timedelta(days=settings.XF_DUE_SOON_DAYS)
    unit = user.unit
    assert unit is not None  # noqa: S101 - the demo's handler belongs to a unit
    cases = (
        cases_visible_to(user)
        .filter(responsible_unit_id__in=unit_subtree_ids(unit), due_on__lte=horizon)
        .order_by("due_on", "id")
    )
    cases.count()
    return [case.pk for case in _rows(cases)[:DUE_SOON_LIMIT]]


def _get(client: Client, url: str) -> Callable[[], object]:
    def fetch() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} → {response.status_code}")
        return response

    return fetch


def run(*, quick: bool) -> list[Row]:
    warmup, runs, deep = (1, 5, 20) if quick else (3, 21, 100)
    rows: list[Row] = []
    with on_reference_day():
        users = {user.username: user for user in User.objects.select_related("unit")}
        for spec in LISTS:
            user = users[spec.username]
            cursor, last = cursor_of_page(user, spec.filters, deep)
            pages = [(1, "")] + ([(last, cursor)] if last > 1 else [])  # first, and a deep one
            for number, after in pages:
                label = f"第{number}页 page {number}"
                ours_ids = keyset_page(user, spec.filters, after)
                same = ours_ids == offset_page(user, spec.filters, number)
                ours, baseline = paired(
                    partial(keyset_page, user, spec.filters, after),
                    partial(offset_page, user, spec.filters, number),
                    warmup=warmup,
                    runs=runs,
                )
                rows.append(
                    timing_row(
                        "W3",
                        f"{spec.name} {label}",
                        ours=ours,
                        baseline=baseline,
                        baseline_name=BASELINE,
                        scale=1000,
                        unit="ms",
                        target=TARGET,
                        limit=LIMIT_MS,
                        note="" if same else "结果不同 rows differ from the baseline",
                        same_rows=same,
                        rows=len(ours_ids),
                    )
                )
        for username, unit in (("handler", "住建局"), ("clerk", "信访局, office-wide")):
            user = users[username]
            due = [case.pk for case in cases_due_soon(user)]
            same = due == offset_due_soon(user)
            ours, baseline = paired(
                partial(cases_due_soon, user),
                partial(offset_due_soon, user),
                warmup=warmup,
                runs=runs,
            )
            rows.append(
                timing_row(
                    "W3",
                    f"待办期限 due soon + overdue ({unit})",
                    ours=ours,
                    baseline=baseline,
                    baseline_name=BASELINE,
                    scale=1000,
                    unit="ms",
                    target=TARGET,
                    limit=LIMIT_MS,
                    note="" if same else "结果不同 rows differ from the baseline",
                    same_rows=same,
                    rows=len(due),
                )
            )
        rows += _pages(users, warmup=warmup, runs=runs)
    return rows


def _pages(users: dict[str, User], *, warmup: int, runs: int) -> list[Row]:
    """Whole pages through the middleware, the view and the template, against the baseline
    query of the same list alone."""
    inbox, _status, filtered = LISTS
    handler, clerk = users["handler"], users["clerk"]
    handler_client, clerk_client = signed_in("handler"), signed_in("clerk")
    pages = (
        (
            "页面 /cases/ 收件箱 inbox page",
            _get(handler_client, "/cases/"),
            lambda: offset_page(handler, inbox.filters, 1),
        ),
        (
            "页面 /cases/?区县+月份 filtered page",
            _get(clerk_client, f"/cases/?{filtered.query}"),
            lambda: offset_page(clerk, filtered.filters, 1),
        ),
        (
            "页面 /cases/due/ 待办期限 page",
            _get(handler_client, "/cases/due/"),
            lambda: offset_due_soon(handler),
        ),
    )
    rows = []
    for name, page, baseline_query in pages:
        ours, baseline = paired(page, baseline_query, warmup=warmup, runs=runs)
        rows.append(
            timing_row(
                "W3",
                name,
                ours=ours,
                baseline=baseline,
                baseline_name="OFFSET+COUNT(*) query alone",
                scale=1000,
                unit="ms",
                target=TARGET,
                limit=LIMIT_MS,
            )
        )
    return rows
