"""The rates: statutory clocks with real 2026 holidays, evaluations, overdue counts — and
their formulas following the settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Units
from tests.stats.conftest import Places, make_case
from xinfang.accounts.models import User
from xinfang.cases.deadlines import Calendar, Limit, due_date
from xinfang.cases.enums import CaseStatus, ClaimRoute, HandlingCategory
from xinfang.portal.enums import EvaluationChannel, EvaluationTarget
from xinfang.portal.models import Evaluation
from xinfang.stats.measures import MEASURES, rates
from xinfang.stats.periods import Period
from xinfang.stats.queries import StatsFilters, figures, measure_rows

D = dt.date.fromisoformat
TODAY = D("2026-12-31")


def case_with(clerk: User, places: Places, units: Units, **fields: Any) -> Any:
    received = fields.pop("received", "2026-01-02")
    return make_case(
        clerk,
        received=received,
        region=places.district,
        category=places.property,
        handling_unit=fields.pop("handling_unit", units.unit_a),
        **fields,
    )


def numbers(user: User, period: Period, *keys: str, **settings_free: Any) -> dict[str, int]:
    return figures(user, StatsFilters(period=period), keys=keys, today=TODAY).values


def listed(user: User, period: Period, key: str) -> set[str]:
    rows = measure_rows(user, StatsFilters(period=period), MEASURES[key], today=TODAY)
    return {case.title for case in rows}


# --- 及时受理率 ------------------------------------------------------------------------------

OCTOBER_NOVEMBER = Period(D("2026-10-01"), D("2026-11-30"))


@pytest.fixture
def acceptance_cases(clerk: User, places: Places, units: Units) -> None:
    """Notice due 15 days after transfer (or receipt), rolled past the 2026 National Day
    break (10-01 … 10-07; Saturday 10-10 is a 调休 workday):

    - A1 transferred 09-16 → due 10-01 → rolled to 10-08; accepted 10-08: in time
    - A2 transferred 09-16 → due 10-08; accepted 10-09: late
    - A3 transferred 09-20 → due 10-05 → 10-08; 不予受理 on 10-06: in time
    - A4 received 09-25, still with the office → due 10-10 (a workday): owed, not done
    - A5 transferred 10-20 → due 11-04; accepted 10-25: in time
    - A6 transferred 11-20 → due 12-05 → 12-07: after the period
    """
    on = {"status": CaseStatus.IN_HANDLING}
    case_with(
        clerk,
        places,
        units,
        title="A1",
        transferred_on=D("2026-09-16"),
        accepted_on=D("2026-10-08"),
        **on,
    )
    case_with(
        clerk,
        places,
        units,
        title="A2",
        transferred_on=D("2026-09-16"),
        accepted_on=D("2026-10-09"),
        **on,
    )
    case_with(
        clerk,
        places,
        units,
        title="A3",
        transferred_on=D("2026-09-20"),
        status=CaseStatus.NOT_ACCEPTED,
        closed_on=D("2026-10-06"),
    )
    case_with(
        clerk,
        places,
        units,
        title="A4",
        received="2026-09-25",
        handling_unit=None,
        status=CaseStatus.REGISTERED,
    )
    case_with(
        clerk,
        places,
        units,
        title="A5",
        transferred_on=D("2026-10-20"),
        accepted_on=D("2026-10-25"),
        **on,
    )
    case_with(
        clerk,
        places,
        units,
        title="A6",
        transferred_on=D("2026-11-20"),
        accepted_on=D("2026-11-21"),
        **on,
    )


def test_the_acceptance_deadlines_are_the_deadline_engines(db: None) -> None:
    calendar, limit = Calendar(), Limit(15)

    assert due_date(D("2026-09-16"), limit, calendar=calendar).date == D("2026-10-08")
    assert due_date(D("2026-09-25"), limit, calendar=calendar).date == D("2026-10-10")
    assert due_date(D("2026-11-20"), limit, calendar=calendar).date == D("2026-12-07")


@pytest.mark.usefixtures("acceptance_cases")
def test_timely_acceptance_counts_notices_due_in_the_period_and_given_in_time(
    leader: User,
) -> None:
    result = numbers(leader, OCTOBER_NOVEMBER, "acceptance_due", "acceptance_on_time")

    assert result == {"acceptance_due": 5, "acceptance_on_time": 3}
    assert listed(leader, OCTOBER_NOVEMBER, "acceptance_due") == {"A1", "A2", "A3", "A4", "A5"}
    assert listed(leader, OCTOBER_NOVEMBER, "acceptance_on_time") == {"A1", "A3", "A5"}


@pytest.mark.usefixtures("acceptance_cases")
def test_a_notice_due_today_or_later_is_not_counted_yet(leader: User) -> None:
    rows = figures(
        leader,
        StatsFilters(period=OCTOBER_NOVEMBER),
        keys=["acceptance_due"],
        today=D("2026-10-10"),  # A4's last day: not late yet; A5 not due yet
    )

    assert rows.values == {"acceptance_due": 3}


# --- 按期办结率 ------------------------------------------------------------------------------

MARCH_APRIL = Period(D("2026-03-01"), D("2026-04-30"))


@pytest.fixture
def handling_cases(clerk: User, places: Places, units: Units) -> None:
    """60 days from acceptance for route 6, the 交办 deadline for assigned cases:

    - H1 accepted 01-05 → due 03-06; served 03-06: in time
    - H2 accepted 01-05 → due 03-06; issued 03-06, served 03-09: late (in time if issue counts)
    - H3 accepted 01-10 → 03-11, extended 30 days → 04-10; served 04-10: in time
    - H4 交办 by 04-10; served 04-10: in time
    - H5 交办 by 04-10; served 04-13: late
    - H6 accepted 01-20 → due 03-21, a Saturday → 03-23; served 03-23: in time
    - H7 accepted 02-01 → due 04-02; still in handling: late
    - H8 建议意见类 accepted 01-05: no 60-day clock
    - H9 accepted 01-05 → due 03-06; 终结 (settled) 03-01: in time
    - H10 accepted 03-01 → due 04-30; served 04-20: in time
    - H11 accepted 04-01 → due 05-31: after the period
    """
    route_six = {"handling_category": HandlingCategory.CLAIM, "claim_route": ClaimRoute.PETITION}
    served = {"status": CaseStatus.SERVED, **route_six}

    def add(title: str, **fields: Any) -> None:
        case_with(clerk, places, units, title=title, received="2025-12-20", **fields)

    add(
        "H1",
        accepted_on=D("2026-01-05"),
        replied_on=D("2026-03-06"),
        served_on=D("2026-03-06"),
        **served,
    )
    add(
        "H2",
        accepted_on=D("2026-01-05"),
        replied_on=D("2026-03-06"),
        served_on=D("2026-03-09"),
        **served,
    )
    add(
        "H3",
        accepted_on=D("2026-01-10"),
        extension_days=30,
        replied_on=D("2026-04-10"),
        served_on=D("2026-04-10"),
        **served,
    )
    add(
        "H4",
        accepted_on=D("2026-03-01"),
        assignment_due_on=D("2026-04-10"),
        replied_on=D("2026-04-10"),
        served_on=D("2026-04-10"),
        status=CaseStatus.SERVED,
        handling_category=HandlingCategory.SUGGESTION,
    )
    add(
        "H5",
        accepted_on=D("2026-03-01"),
        assignment_due_on=D("2026-04-10"),
        replied_on=D("2026-04-13"),
        served_on=D("2026-04-13"),
        **served,
    )
    add(
        "H6",
        accepted_on=D("2026-01-20"),
        replied_on=D("2026-03-23"),
        served_on=D("2026-03-23"),
        **served,
    )
    add("H7", accepted_on=D("2026-02-01"), status=CaseStatus.IN_HANDLING, **route_six)
    add(
        "H8",
        accepted_on=D("2026-01-05"),
        status=CaseStatus.IN_HANDLING,
        handling_category=HandlingCategory.SUGGESTION,
    )
    add(
        "H9",
        accepted_on=D("2026-01-05"),
        status=CaseStatus.TERMINATED,
        closed_on=D("2026-03-01"),
        **route_six,
    )
    add(
        "H10",
        accepted_on=D("2026-03-01"),
        replied_on=D("2026-04-20"),
        served_on=D("2026-04-20"),
        **served,
    )
    add("H11", accepted_on=D("2026-04-01"), status=CaseStatus.IN_HANDLING, **route_six)


def test_the_handling_deadlines_are_the_deadline_engines(db: None) -> None:
    calendar = Calendar()

    def due(day: str, days: int) -> dt.date:
        return due_date(D(day), Limit(days), calendar=calendar).date

    assert due("2026-01-05", 60) == D("2026-03-06")
    assert due(due("2026-01-10", 60).isoformat(), 30) == D("2026-04-10")
    assert due("2026-01-20", 60) == D("2026-03-23")
    assert due("2026-02-01", 60) == D("2026-04-02")
    assert due("2026-03-01", 60) == D("2026-04-30")


@pytest.mark.usefixtures("handling_cases")
def test_on_time_completion_counts_opinions_due_in_the_period_and_served_in_time(
    leader: User,
) -> None:
    result = numbers(leader, MARCH_APRIL, "handling_due", "handling_on_time")

    assert result == {"handling_due": 9, "handling_on_time": 6}
    assert listed(leader, MARCH_APRIL, "handling_due") == {
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
        "H6",
        "H7",
        "H9",
        "H10",
    }
    assert listed(leader, MARCH_APRIL, "handling_on_time") == {"H1", "H3", "H4", "H6", "H9", "H10"}


@pytest.mark.usefixtures("handling_cases")
def test_handling_may_count_as_done_when_the_opinion_is_issued(leader: User, settings: Any) -> None:
    settings.XF_STATS_HANDLING_DONE = "replied"

    assert numbers(leader, MARCH_APRIL, "handling_on_time") == {"handling_on_time": 7}
    assert "出具处理意见书" in MEASURES["handling_on_time"].formula


# --- 参评率, 满意率 --------------------------------------------------------------------------

MAY = Period.month(2026, 5)


def rate(case: Any, rating: str, day: str, target: str = EvaluationTarget.ORGAN) -> Evaluation:
    moment = dt.datetime.fromisoformat(f"{day}T09:00").replace(
        tzinfo=timezone.get_current_timezone()
    )
    return Evaluation.objects.create(
        case=case, target=target, rating=rating, channel=EvaluationChannel.PORTAL, created_at=moment
    )


@pytest.fixture
def evaluated_cases(clerk: User, places: Places, units: Units) -> None:
    """Served in May: E1 满意; E2 不满意 then 基本满意; E3 满意 then 不满意; E4 only the office
    rated; E5 not rated; E7 two ratings at the same moment (the later row counts: 不满意).
    E6 was served in April."""

    def served(title: str, day: str) -> Any:
        return case_with(
            clerk, places, units, title=title, status=CaseStatus.SERVED, served_on=D(day)
        )

    rate(served("E1", "2026-05-05"), "满意", "2026-05-06")
    e2 = served("E2", "2026-05-06")
    rate(e2, "不满意", "2026-05-10")
    rate(e2, "基本满意", "2026-05-12")
    e3 = served("E3", "2026-05-07")
    rate(e3, "满意", "2026-05-10")
    rate(e3, "不满意", "2026-05-20")
    rate(served("E4", "2026-05-08"), "满意", "2026-05-09", EvaluationTarget.OFFICE)
    served("E5", "2026-05-09")
    rate(served("E6", "2026-04-30"), "满意", "2026-05-02")
    e7 = served("E7", "2026-05-10")
    rate(e7, "满意", "2026-05-11")
    rate(e7, "不满意", "2026-05-11")


@pytest.mark.usefixtures("evaluated_cases")
def test_participation_and_satisfaction_count_the_latest_rating_of_the_organ(
    leader: User,
) -> None:
    result = figures(leader, StatsFilters(period=MAY), today=TODAY)

    assert {k: result[k] for k in ("served", "evaluated", "satisfied")} == {
        "served": 6,
        "evaluated": 4,
        "satisfied": 2,
    }
    assert result.rates()["participation"] == pytest.approx(100 * 4 / 6)
    assert result.rates()["satisfaction"] == pytest.approx(100 * 2 / 4)
    assert listed(leader, MAY, "satisfied") == {"E1", "E2"}


@pytest.mark.usefixtures("evaluated_cases")
def test_which_ratings_count_as_satisfied_is_configured(leader: User, settings: Any) -> None:
    settings.XF_STATS_SATISFIED_RATINGS = ["满意"]

    assert numbers(leader, MAY, "satisfied") == {"satisfied": 1}
    assert MEASURES["satisfied"].formula.endswith("最后一次评价为“满意”的事项")


@pytest.mark.usefixtures("evaluated_cases")
def test_the_office_can_be_the_rated_party(leader: User, settings: Any) -> None:
    settings.XF_STATS_EVALUATION_TARGET = "office"

    assert numbers(leader, MAY, "evaluated", "satisfied") == {"evaluated": 1, "satisfied": 1}


def test_a_rate_with_nothing_to_divide_is_none_not_zero(leader: User) -> None:
    result = figures(leader, StatsFilters(period=MAY), today=TODAY)

    assert result.rates()["satisfaction"] is None
    assert result.rates()["lead_resolution"] is None


def test_the_rate_formulas_can_be_rewired_in_the_settings(settings: Any) -> None:
    settings.XF_STATS_RATES = ["repeat_rate=repeat_contacts/contacts_total"]

    repeat = next(r for r in rates() if r.key == "repeat_rate")

    assert (repeat.numerator, repeat.denominator) == ("repeat_contacts", "contacts_total")
    assert repeat.formula == "重复信访批次 ÷ 信访总量 × 100%"


def test_a_rate_formula_naming_an_unknown_measure_stops_start_up(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from xinfang.stats.measures import parse_rate_overrides

    with pytest.raises(ImproperlyConfigured, match="no_such"):
        parse_rate_overrides(["repeat_rate=no_such/cases_received"])


# --- 当前超期 ---------------------------------------------------------------------------------


def test_overdue_counts_open_steps_past_their_due_date_today(
    clerk: User, places: Places, units: Units, leader: User
) -> None:
    open_step = {"status": CaseStatus.IN_HANDLING}
    case_with(clerk, places, units, title="O1", due_on=D("2026-12-01"), **open_step)
    case_with(clerk, places, units, title="O2", due_on=D("2026-12-01"), status=CaseStatus.CLOSED)
    case_with(clerk, places, units, title="O3", due_on=D("2026-12-20"), **open_step)
    case_with(clerk, places, units, title="O4", due_on=D("2026-11-01"), **open_step)
    case_with(clerk, places, units, title="O5", due_on=D("2026-12-31"), **open_step)

    result = numbers(leader, MAY, "overdue_now", "severe_now")

    assert result == {"overdue_now": 3, "severe_now": 2}
    assert listed(leader, MAY, "severe_now") == {"O1", "O4"}
