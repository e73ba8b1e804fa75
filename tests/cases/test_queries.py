"""The case list's keyset pages, merged from the visibility branches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory, UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters, case_page, cases_visible_to

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
