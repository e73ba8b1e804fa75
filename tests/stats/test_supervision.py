"""督办, 挂牌督办 and 领导包案 in the statistics: exact figures on the hand-counted world (see
``conftest.supervise``), equal to the supervision app's own figures, drillable to the cases
they count, per unit, in the exports and in the annual report."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import openpyxl
import pytest

from tests.conftest import logged_in
from tests.stats.conftest import (
    SUPERVISION_EXPECTED,
    SUPERVISION_YEAR,
    TODAY,
    World,
    today_is,
)
from xinfang.accounts.models import User
from xinfang.stats.enums import Dimension
from xinfang.stats.measures import MEASURES, SUPERVISION_KEYS
from xinfang.stats.periods import Period
from xinfang.stats.queries import breakdown, case_scope, figures, measure_rows, unit_table
from xinfang.supervision.queries import leader_cases_resolution, supervision_figures

QUERY = "start=2026-01-01&end=2026-06-30"
KEYS = list(SUPERVISION_EXPECTED)


def test_the_first_half_counts_the_supervision_counted_by_hand(world: World, leader: User) -> None:
    assert figures(leader, world.filters, keys=KEYS, today=TODAY).values == SUPERVISION_EXPECTED


def test_the_whole_year_counts_what_came_after_june_too(world: World, leader: User) -> None:
    year = world.filters.with_period(Period.year(2026))

    assert figures(leader, year, keys=KEYS, today=TODAY).values == SUPERVISION_YEAR


PERIODS = [
    Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    Period.year(2026),
    Period.month(2026, 3),
    Period(dt.date(2026, 2, 10), dt.date(2026, 2, 19)),  # the order, not yet its answer
    Period.year(2025),
]


@pytest.mark.parametrize("period", PERIODS, ids=str)
@pytest.mark.parametrize("who", ["leader", "leader_b"])
def test_the_figures_equal_the_supervision_apps_own(
    world: World, request: pytest.FixtureRequest, period: Period, who: str
) -> None:
    user = request.getfixturevalue(who)
    filters = world.filters.with_period(period)
    scope = case_scope(user, filters)

    ours = figures(user, filters, keys=KEYS, today=TODAY).values
    theirs = supervision_figures(period.start, period.end, scope)
    lead = leader_cases_resolution(period.start, period.end, scope)

    assert ours == {
        "supervised": theirs.supervised,
        "supervision_answered": theirs.answered,
        "listed": theirs.listed,
        "lead_taken": lead.taken,
        "lead_resolved": lead.resolved,
    }


@pytest.mark.parametrize(
    ("key", "titles"),
    [
        ("supervised", {"幸福小区物业费", "劳动争议判决执行"}),
        ("supervision_answered", {"幸福小区物业费"}),
        ("listed", {"拆迁补偿"}),
        ("lead_taken", {"拆迁补偿", "劳动争议判决执行", "测试事项2026-03-03"}),
        ("lead_resolved", {"拆迁补偿"}),
    ],
)
def test_the_rows_behind_each_figure_are_the_cases_it_counts(
    world: World, leader: User, key: str, titles: set[str]
) -> None:
    rows = list(measure_rows(leader, world.filters, MEASURES[key], today=TODAY))

    assert len(rows) == SUPERVISION_EXPECTED[key]
    assert {case.title for case in rows} == titles


def test_the_lead_resolution_rate_divides_resolved_by_taken(world: World, leader: User) -> None:
    half = figures(leader, world.filters, today=TODAY)
    year = figures(leader, world.filters.with_period(Period.year(2026)), today=TODAY)

    assert half.rates()["lead_resolution"] == pytest.approx(100 / 3)
    assert year.rates()["lead_resolution"] == pytest.approx(200 / 3)


def test_a_leader_of_another_unit_counts_the_supervision_of_its_cases_only(
    world: World, leader_b: User
) -> None:
    # Unit B's scope: C (supervised, taken), F, G, I — none answered, listed or resolved.
    assert figures(leader_b, world.filters, keys=KEYS, today=TODAY).values == {
        "supervised": 1,
        "supervision_answered": 0,
        "listed": 0,
        "lead_taken": 1,
        "lead_resolved": 0,
    }


def test_the_unit_table_counts_the_supervision_each_unit_received_and_answered(
    world: World, leader: User
) -> None:
    table = unit_table(leader, world.filters, today=TODAY)

    rows = {
        row.group.label: (row.figures["supervised"], row.figures["supervision_answered"])
        for row in table.rows
    }
    assert rows == {
        "市住房和城乡建设局": (1, 1),
        "市人力资源和社会保障局": (1, 0),
        "尚未转送交办（登记单位办理中）": (0, 0),
    }
    assert (table.total["supervised"], table.total["supervision_answered"]) == (2, 1)


def test_months_count_each_month_as_its_own_period(world: World, leader: User) -> None:
    table = breakdown(leader, world.filters, Dimension.MONTH, keys=KEYS, today=TODAY)

    by_month = {row.group.label: row.figures.values for row in table.rows}
    assert by_month["2026-02"] == {
        "supervised": 1,  # A's first order
        "supervision_answered": 1,
        "listed": 0,
        "lead_taken": 0,  # E was taken in January, handed back in February
        "lead_resolved": 0,
    }
    assert by_month["2026-03"]["supervised"] == 1  # A's second order
    assert by_month["2026-03"]["supervision_answered"] == 0
    assert by_month["2026-03"]["lead_taken"] == 2  # B, and E taken again
    assert by_month["2026-05"]["lead_resolved"] == 0  # B was taken in March, not May


@pytest.fixture
def end_of_2026() -> Any:
    with today_is(TODAY):
        yield


@pytest.mark.usefixtures("end_of_2026")
def test_the_dashboard_shows_the_activity_with_links_to_the_cases(
    world: World, leader: User
) -> None:
    response = logged_in(leader).get(f"/stats/?{QUERY}")

    lines = {line.measure.key: line.value for line in response.context["data"].summary.lines}
    assert {key: lines[key] for key in SUPERVISION_EXPECTED} == SUPERVISION_EXPECTED
    page = response.content.decode()
    for key in SUPERVISION_KEYS:
        assert f"/stats/cases/?measure={key}&amp;start=2026-01-01" in page
    assert "转送、交办、督办、挂牌督办与领导包案" in page


@pytest.mark.usefixtures("end_of_2026")
def test_a_supervision_figure_opens_the_list_of_its_cases(world: World, leader: User) -> None:
    response = logged_in(leader).get(f"/stats/cases/?measure=supervised&{QUERY}")

    assert response.context["total"] == 2
    assert [case.title for case in response.context["page"].rows] == [
        "劳动争议判决执行",
        "幸福小区物业费",
    ]


@pytest.mark.usefixtures("end_of_2026")
def test_the_unit_page_and_its_export_carry_the_supervision_columns(
    world: World, leader: User
) -> None:
    client = logged_in(leader)
    page = client.get(f"/stats/units/?{QUERY}").content.decode()
    assert "督办已答复事项" in page
    assert "/stats/cases/?measure=supervision_answered" in page

    response: Any = client.get(f"/stats/export/units.xlsx?{QUERY}")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0]]
    header = next(row for row in rows if row[0] == "主办单位")
    supervised, answered = header.index("督办事项（件）"), header.index("督办已答复事项（件）")
    by_unit = {row[0]: (row[supervised], row[answered]) for row in rows[rows.index(header) + 1 :]}
    assert by_unit["市住房和城乡建设局"] == (1, 1)
    assert by_unit["市人力资源和社会保障局"] == (1, 0)
    assert by_unit["合计"] == (2, 1)


@pytest.mark.usefixtures("end_of_2026")
def test_the_annual_report_tells_the_years_supervision_with_its_table(
    world: World, leader: User
) -> None:
    response: Any = logged_in(leader).get("/stats/report.docx?year=2026")
    document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))

    texts = [p.text for p in document.paragraphs]
    assert "表5\u3000转送、交办、督办情况" in texts
    assert (
        "按主办单位统计，督办事项较多的是市人力资源和社会保障局（督办2件，已答复1件）、"
        "市住房和城乡建设局（督办1件，已答复1件）。"
    ) in texts
    table = document.tables[4]
    rows = {row.cells[0].text: [cell.text for cell in row.cells[1:]] for row in table.rows}
    assert rows["督办事项"] == ["3", "1", "增长2.0倍"]  # 2025: I's order of December
    assert rows["包案化解事项"] == ["2", "0", "上年同期无数据"]
    assert rows["转送事项"] == ["0", "0", "持平"]
