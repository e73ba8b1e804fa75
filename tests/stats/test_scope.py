"""Nobody counts cases they may not see; breakdowns roll a subtree into its top node and
add up to the totals."""

from __future__ import annotations

import pytest

from tests.stats.conftest import EXPECTED, TODAY, World
from xinfang.accounts.models import User
from xinfang.stats.enums import Dimension
from xinfang.stats.queries import breakdown, figures


def test_a_leader_of_another_unit_counts_only_the_cases_in_its_scope(
    world: World, leader_b: User
) -> None:
    """Unit B handles C (a 涉法 visit), F (a call) and, outside the period, G and I; the other
    cases — collective visits, repeats, letters — exist and must not leak into its figures."""
    result = figures(leader_b, world.filters, keys=EXPECTED, today=TODAY)

    assert result.values == {
        **dict.fromkeys(EXPECTED, 0),
        "individual_people": 1,
        "individual_litigation_people": 1,
        "phone": 1,
        "contacts_total": 2,
        "cases_received": 2,
    }


def test_a_user_without_a_case_role_counts_nothing(world: World, auditor: User) -> None:
    result = figures(auditor, world.filters, keys=EXPECTED, today=TODAY)

    assert result.values == dict.fromkeys(EXPECTED, 0)


def test_regions_roll_up_to_the_districts_with_the_township_inside(
    world: World, leader: User
) -> None:
    table = breakdown(leader, world.filters, Dimension.REGION, keys=EXPECTED, today=TODAY)

    rows = {row.group.label: row.figures.values for row in table.rows}
    assert list(rows) == ["A1区", "A2区"]
    assert rows["A1区"]["cases_received"] == 4  # A and H (township), B, F
    assert rows["A1区"]["collective_people"] == 14
    assert rows["A2区"]["cases_received"] == 3  # C D E
    assert rows["A2区"]["individual_litigation_people"] == 1
    assert table.total.values == EXPECTED


def test_inside_a_district_the_township_and_the_district_itself_are_rows(
    world: World, leader: User
) -> None:
    a1 = world.filters.narrowed(region_code="990102")

    table = breakdown(leader, a1, Dimension.REGION, keys=["cases_received"], today=TODAY)

    assert [(row.group.label, row.figures["cases_received"]) for row in table.rows] == [
        ("A1区（本级）", 2),
        ("幸福街道", 2),
    ]
    assert table.rows[0].group.narrow == {"region_code": "990102", "region_exact": True}


def test_units_roll_up_below_the_office_and_cases_without_one_get_their_row(
    world: World, leader: User
) -> None:
    table = breakdown(leader, world.filters, Dimension.UNIT, keys=["cases_received"], today=TODAY)

    assert [(row.group.label, row.figures["cases_received"]) for row in table.rows] == [
        ("市住房和城乡建设局", 3),
        ("市人力资源和社会保障局", 2),
        ("尚未转送交办（登记单位办理中）", 2),
    ]


@pytest.mark.parametrize(
    "dimension",
    [Dimension.CATEGORY, Dimension.CHANNEL, Dimension.HANDLING, Dimension.UNIT, Dimension.REGION],
)
def test_every_breakdown_adds_up_to_the_summary(
    world: World, leader: User, dimension: Dimension
) -> None:
    table = breakdown(leader, world.filters, dimension, keys=EXPECTED, today=TODAY)

    assert table.total.values == EXPECTED


def test_reception_points_break_down_the_contacts(world: World, leader: User) -> None:
    table = breakdown(leader, world.filters, Dimension.RECEPTION, keys=EXPECTED, today=TODAY)

    rows = {row.group.label: row.figures.values for row in table.rows}
    assert rows["市信访局接待大厅"]["contacts_total"] == 3
    assert rows["A市信访局"]["contacts_total"] == 7
    assert "cases_received" not in rows["A市信访局"]  # a case has no single reception point
