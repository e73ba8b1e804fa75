"""The case list's keyset pages, merged from the visibility branches, and the due list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory, RegionFactory, UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.cases.models import Case
from xinfang.cases.queries import (
    CaseFilters,
    case_page,
    cases_due_soon,
    cases_visible_to,
    due_soon_page,
)

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 5, 1, 9, 0))


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def unit_a_cases(units: Units, clerk: User) -> list[Case]:
    """Cases tied to unit A in every way, with equal timestamps, plus two that are not."""
    clerk_a = UserFactory(username="clerk_a", unit=units.unit_a, roles=[Role.CLERK])
    mine = [
        CaseFactory(registered_by=clerk_a, registered_at=at(1)),  # registered by A
        CaseFactory(registered_by=clerk_a, registered_at=at(2)),
        CaseFactory(registered_by=clerk, handling_unit=units.unit_a, registered_at=at(2)),  # tie
        CaseFactory(registered_by=clerk, handling_unit=units.unit_a, registered_at=at(3)),
        CaseFactory(registered_by=clerk_a, handling_unit=units.unit_a, registered_at=at(4)),  # both
        CaseFactory(registered_by=clerk_a, handling_unit=units.unit_a, registered_at=at(5)),
        CaseFactory(registered_by=clerk, handling_unit=units.unit_a, registered_at=at(6)),
    ]
    CaseFactory(registered_by=clerk, registered_at=at(3))
    CaseFactory(registered_by=clerk, handling_unit=units.unit_b, registered_at=at(4))
    return sorted(mine, key=lambda c: (c.registered_at, c.pk), reverse=True)


def walk_forward(user: User, filters: CaseFilters, size: int) -> tuple[list[str], list[str]]:
    numbers: list[str] = []
    cursors: list[str] = []
    after = ""
    while True:
        page = case_page(user, filters, after=after, size=size)
        numbers += [case.number for case in page.cases]
        if not page.next_cursor:
            return numbers, cursors
        after = page.next_cursor
        cursors.append(after)


def test_pages_walk_every_visible_case_once_newest_first(
    handler: User, unit_a_cases: list[Case]
) -> None:
    numbers, _ = walk_forward(handler, CaseFilters(), size=2)

    assert numbers == [case.number for case in unit_a_cases]


def test_the_previous_page_link_walks_back_to_the_first_page(
    handler: User, unit_a_cases: list[Case]
) -> None:
    first = case_page(handler, CaseFilters(), size=3)
    second = case_page(handler, CaseFilters(), after=first.next_cursor or "", size=3)

    back = case_page(handler, CaseFilters(), before=second.previous_cursor or "", size=3)

    assert [c.number for c in back.cases] == [c.number for c in first.cases]
    assert back.previous_cursor is None


def test_pages_hold_exactly_the_visibility_querys_rows(
    handler: User, unit_a_cases: list[Case]
) -> None:
    numbers, _ = walk_forward(handler, CaseFilters(), size=50)

    assert sorted(numbers) == sorted(cases_visible_to(handler).values_list("number", flat=True))


def test_the_unit_filter_pages_the_same_way_for_the_whole_office(
    clerk: User, units: Units, unit_a_cases: list[Case]
) -> None:
    numbers, _ = walk_forward(clerk, CaseFilters(unit_id=units.unit_a.pk), size=2)

    assert numbers == [case.number for case in unit_a_cases]


def test_a_district_and_a_month_page_that_months_cases_of_the_district_newest_first(
    clerk: User, region: Region
) -> None:
    township = RegionFactory(code="990102001", name="东湖街道", parent=region)
    elsewhere = RegionFactory(code="990103", name="A2区")
    october, november = dt.date(2026, 10, 15), dt.date(2026, 11, 2)
    wanted = [
        CaseFactory(registered_by=clerk, region=place, received_on=day, registered_at=at(minute))
        for place, day, minute in (
            (region, october, 1),
            (township, october, 2),
            (township, dt.date(2026, 10, 1), 2),  # a tie on registered_at
            (region, dt.date(2026, 10, 31), 40_000),  # registered weeks after it came in
            (township, october, 5),
        )
    ]
    CaseFactory(registered_by=clerk, region=elsewhere, received_on=october, registered_at=at(3))
    CaseFactory(registered_by=clerk, region=region, received_on=november, registered_at=at(4))
    CaseFactory(
        registered_by=clerk, region=region, received_on=dt.date(2026, 9, 30), registered_at=at(6)
    )
    month = CaseFilters(
        region_code="990102",
        received_from=dt.date(2026, 10, 1),
        received_to=dt.date(2026, 10, 31),
    )

    numbers, _ = walk_forward(clerk, month, size=2)

    newest_first = sorted(wanted, key=lambda c: (c.registered_at, c.pk), reverse=True)
    assert numbers == [case.number for case in newest_first]


def test_the_offices_due_list_holds_every_units_open_steps_soonest_first(
    clerk: User, handler: User, units: Units
) -> None:
    today = timezone.localdate()
    owed = [
        CaseFactory(
            registered_by=clerk,
            handling_unit=unit,
            responsible_unit=unit,
            due_on=today + dt.timedelta(days),
        )
        for unit, days in (
            (units.unit_a, 3),
            (units.office, -2),  # already late
            (units.unit_b, 3),  # the same day: by id
            (units.hall, 0),
        )
    ]
    CaseFactory(registered_by=clerk, responsible_unit=units.unit_a, due_on=today + dt.timedelta(90))
    CaseFactory(registered_by=clerk, responsible_unit=None, due_on=None)  # closed

    seen, after = [], None
    while True:
        page = due_soon_page(clerk, after=after, limit=2)
        seen += [case.number for case in page.cases]
        if page.next_after is None:
            break
        after = page.next_after

    soonest_first = sorted(owed, key=lambda c: (c.due_on, c.pk))
    assert seen == [case.number for case in soonest_first]
    assert [case.number for case in cases_due_soon(handler)] == [owed[0].number]


def test_the_offices_due_list_names_no_unit_so_the_due_date_index_is_walked_in_order(
    clerk: User, handler: User, units: Units
) -> None:
    CaseFactory(registered_by=clerk, responsible_unit=units.unit_a, due_on=timezone.localdate())

    with CaptureQueriesContext(connection) as office:
        due_soon_page(clerk)
    with CaptureQueriesContext(connection) as unit:
        due_soon_page(handler)

    office_sql, unit_sql = office.captured_queries[-1]["sql"], unit.captured_queries[-1]["sql"]
    assert '"responsible_unit_id" IS NOT NULL' in office_sql
    assert '"responsible_unit_id" IN' in unit_sql
