"""Every figure of the 基本情况 line against the hand-counted world, and the rows behind each
figure: a drill-down lists exactly what the figure counts."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from tests.stats.conftest import EXPECTED, TODAY, World
from xinfang.accounts.models import User
from xinfang.stats.enums import Aggregate, Dimension
from xinfang.stats.measures import MEASURES
from xinfang.stats.overview import basic_sentence
from xinfang.stats.queries import NO_UNIT, breakdown, figures, measure_rows


def test_the_first_half_of_2026_counts_exactly_what_was_counted_by_hand(
    world: World, leader: User
) -> None:
    result = figures(leader, world.filters, keys=EXPECTED, today=TODAY)

    assert result.values == EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_the_rows_behind_a_figure_add_up_to_it(world: World, leader: User, key: str) -> None:
    measure = MEASURES[key]
    rows = measure_rows(leader, world.filters, measure, today=TODAY)

    if measure.aggregate == Aggregate.PEOPLE:
        assert rows.aggregate(n=Sum("people_count"))["n"] == EXPECTED[key]
    else:
        assert rows.count() == EXPECTED[key]


def test_the_basic_sentence_is_written_from_the_numbers(world: World, leader: User) -> None:
    result = figures(leader, world.filters, today=TODAY)

    assert basic_sentence(result, world.filters.period) == (
        "2026年1月1日至6月30日共受理群众来访集体访2批14人次（其中重访1批6人次），"
        "个体访4人次（其中重访2人次、涉法涉诉1人次）；来信2件，网上信访1件，来电1件，传真1件。"
    )


def test_a_whole_year_reads_as_the_year(world: World, leader: User) -> None:
    year = world.filters.with_period(world.filters.period.year(2026))
    result = figures(leader, year, today=TODAY)

    assert basic_sentence(result, year.period).startswith(
        "2026年全年共受理群众来访集体访2批14人次（其中重访1批6人次），个体访5人次"
    )


def test_the_repeat_rate_divides_repeat_cases_by_cases_received(world: World, leader: User) -> None:
    result = figures(leader, world.filters, today=TODAY)

    assert result.rate(next(r for r in result.rate_list if r.key == "repeat_rate")) == (
        pytest.approx(100 * 2 / 7)
    )


def test_a_region_counts_its_subtree(world: World, leader: User) -> None:
    a1 = world.filters.narrowed(region_code="990102")

    result = figures(leader, a1, keys=EXPECTED, today=TODAY)

    # A and H (in the township under A1区), B and F: 1 + 2 individual, 8 + 6 collective,
    # B's letter, F's call, H's fax.
    assert result.values == {
        **dict.fromkeys(EXPECTED, 0),
        "collective_batches": 2,
        "collective_people": 14,
        "collective_repeat_batches": 1,
        "collective_repeat_people": 6,
        "individual_people": 3,
        "individual_repeat_people": 2,
        "letters": 1,
        "phone": 1,
        "fax": 1,
        "contacts_total": 7,
        "repeat_contacts": 3,
        "cases_received": 4,
        "repeat_cases": 2,
    }


def test_only_the_district_itself_when_asked_for_that_level_alone(
    world: World, leader: User
) -> None:
    a1_only = world.filters.narrowed(region_code="990102", region_exact=True)

    assert figures(leader, a1_only, keys=["cases_received"], today=TODAY)["cases_received"] == 2


def test_other_filters_narrow_the_same_way(world: World, leader: User) -> None:
    def received(**changes: object) -> int:
        narrowed = world.filters.narrowed(**changes)
        return figures(leader, narrowed, keys=["cases_received"], today=TODAY)["cases_received"]

    assert received(category_code="03") == 5  # A B E F H
    assert received(category_code="0301") == 3  # A E F
    assert received(unit_id=world.units.unit_a.pk) == 3  # A B E
    assert received(unit_id=world.units.office.pk) == 5  # its subtree: A B C E F
    assert received(unit_id=world.units.office.pk, unit_exact=True) == 0
    assert received(unit_id=NO_UNIT) == 2  # D H
    assert received(channel="letter") == 1  # D
    assert received(handling_category="suggestion") == 0
    assert received(reception_id=world.units.hall.pk) == 2  # B C


def test_a_reception_point_counts_the_contacts_received_there(world: World, leader: User) -> None:
    hall = world.filters.narrowed(reception_id=world.units.hall.pk)

    result = figures(leader, hall, keys=["collective_batches", "individual_people", "letters"])

    assert result.values == {"collective_batches": 2, "individual_people": 1, "letters": 0}


def test_months_are_periods_of_their_own(world: World, leader: User) -> None:
    table = breakdown(leader, world.filters, Dimension.MONTH, keys=EXPECTED, today=TODAY)

    assert [row.group.label for row in table.rows] == [f"2026-0{m}" for m in range(1, 7)]
    by_month = {row.group.label: row.figures.values for row in table.rows}
    assert by_month["2026-03"]["collective_batches"] == 1
    assert by_month["2026-04"]["collective_repeat_people"] == 6
    assert by_month["2026-06"]["phone"] == 1  # 23:30 local time on the 30th
    assert by_month["2026-02"]["repeat_cases"] == 0  # A was received in January
    assert by_month["2026-01"]["repeat_cases"] == 0  # … and came again in February
    for row in table.rows:  # the grouped query agrees with the month as a period
        assert row.group.period is not None
        month = world.filters.with_period(row.group.period)
        assert row.figures.values == figures(leader, month, keys=EXPECTED, today=TODAY).values
    assert table.total.values["contacts_total"] == EXPECTED["contacts_total"]
