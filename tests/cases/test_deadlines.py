"""The deadline engine against real holiday data (chinesecalendar 2004–2026, nothing mocked).

Dates used, as chinesecalendar has them: 2026 国庆 10-01…10-07 off, 09-20 (Sun) and 10-10 (Sat)
调休 workdays; 中秋 2026-09-25…27; 2025 国庆中秋 10-01…10-08 in one break; 2026-02-28 (Sat) a
春节 调休 workday; March 2026 has no holidays; 2027 is not covered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinfang.cases.deadlines import (
    NATIONAL_2022,
    NATIONAL_2022_RULES,
    ZHEJIANG_EXAMPLE,
    Calendar,
    Due,
    Limit,
    LimitUnit,
    Step,
    due_date,
    rule_set_for,
    warning_tier,
)
from xinfang.cases.enums import DeadlineTier
from xinfang.cases.models import CalendarOverride, RuleSet

pytestmark = pytest.mark.django_db

D = dt.date
FIVE_WORKDAYS = Limit(5, LimitUnit.WORKDAYS)


def test_acceptance_notice_due_in_national_day_week_rolls_to_first_workday_after_it() -> None:
    due = due_date(
        D(2026, 9, 20),
        NATIONAL_2022[Step.ACCEPTANCE_NOTICE],
        calendar=Calendar(),
        trigger_label="受理日",
    )

    assert due == Due(
        date=D(2026, 10, 8),
        provisional=False,
        explanation="受理日2026-09-20；15日→10-05，国庆假期顺延至10-08",
    )


def test_due_date_in_2025_combined_break_names_both_holidays() -> None:
    due = due_date(D(2025, 9, 20), Limit(15), calendar=Calendar())

    assert due == Due(
        date=D(2025, 10, 9),
        provisional=False,
        explanation="起算日2025-09-20；15日→10-05，国庆中秋假期顺延至10-09",
    )


def test_five_workday_objection_skips_the_weekend() -> None:
    due = due_date(D(2026, 3, 5), NATIONAL_2022[Step.OBJECTION], calendar=Calendar())

    assert due == Due(
        date=D(2026, 3, 12), provisional=False, explanation="起算日2026-03-05；5个工作日→03-12"
    )


def test_make_up_saturday_after_national_day_counts_as_a_workday() -> None:
    # 10-08 Thu, 10-09 Fri, 10-10 Sat (调休上班), 10-12 Mon, 10-13 Tue.
    due = due_date(D(2026, 9, 30), FIVE_WORKDAYS, calendar=Calendar())

    assert due == Due(
        date=D(2026, 10, 13), provisional=False, explanation="起算日2026-09-30；5个工作日→10-13"
    )


def test_make_up_saturday_after_spring_festival_counts_as_a_workday() -> None:
    # 02-26 Thu, 02-27 Fri, 02-28 Sat (调休上班), 03-02 Mon, 03-03 Tue.
    due = due_date(D(2026, 2, 25), FIVE_WORKDAYS, calendar=Calendar())

    assert due.date == D(2026, 3, 3)


def test_due_date_on_an_ordinary_sunday_rolls_to_monday() -> None:
    due = due_date(D(2026, 3, 1), Limit(14), calendar=Calendar())

    assert due == Due(
        date=D(2026, 3, 16),
        provisional=False,
        explanation="起算日2026-03-01；14日→03-15，休息日顺延至03-16",
    )


def test_without_roll_forward_the_calendar_date_stands() -> None:
    due = due_date(
        D(2026, 9, 20), Limit(15), calendar=Calendar(), roll_forward=False, trigger_label="受理日"
    )

    assert due == Due(
        date=D(2026, 10, 5), provisional=False, explanation="受理日2026-09-20；15日→10-05"
    )


def test_2027_date_is_computed_on_weekends_only_and_provisional() -> None:
    # 2027-01-09 is a Saturday; 01-11 the Monday after.
    due = due_date(D(2027, 1, 4), Limit(5), calendar=Calendar())

    assert due == Due(
        date=D(2027, 1, 11),
        provisional=True,
        explanation="起算日2027-01-04；5日→01-09，休息日顺延至01-11（暂定：2027年节假日安排未公布）",
    )


def test_due_date_crossing_into_2027_spells_the_year_and_is_provisional() -> None:
    due = due_date(D(2026, 12, 20), NATIONAL_2022[Step.HANDLING], calendar=Calendar())

    assert due == Due(
        date=D(2027, 2, 18),
        provisional=True,
        explanation="起算日2026-12-20；60日→2027-02-18（暂定：2027年节假日安排未公布）",
    )


def test_override_rest_day_in_2027_moves_the_due_date_and_schedules_the_year() -> None:
    assert Calendar().is_provisional(D(2027, 1, 11)) is True
    CalendarOverride.objects.create(day=D(2027, 1, 11), is_workday=False, name="民族节日")

    calendar = Calendar()
    due = due_date(D(2027, 1, 4), Limit(7), calendar=calendar)

    assert due == Due(
        date=D(2027, 1, 12),
        provisional=False,
        explanation="起算日2027-01-04；7日→01-11，民族节日顺延至01-12",
    )
    assert calendar.is_provisional(D(2027, 6, 1)) is False
    assert calendar.is_provisional(D(2028, 1, 3)) is True


def test_override_make_up_workday_counts_and_has_no_holiday_name() -> None:
    CalendarOverride.objects.create(day=D(2027, 2, 20), is_workday=True, name="调休上班")
    calendar = Calendar()

    # 02-22 Mon … 02-25 Thu are four workdays; the make-up Saturday 02-20 is the first.
    due = due_date(D(2027, 2, 19), FIVE_WORKDAYS, calendar=calendar)

    assert (due.date, due.provisional) == (D(2027, 2, 25), False)
    assert calendar.holiday_name(D(2027, 2, 20)) is None


def test_override_beats_chinesecalendar_for_a_covered_year() -> None:
    CalendarOverride.objects.create(day=D(2026, 3, 17), is_workday=False, name="民族节日")

    due = due_date(D(2026, 3, 2), Limit(15), calendar=Calendar())

    assert due == Due(
        date=D(2026, 3, 18),
        provisional=False,
        explanation="起算日2026-03-02；15日→03-17，民族节日顺延至03-18",
    )


def test_calendar_reads_the_override_table_once(django_assert_num_queries: Any) -> None:
    CalendarOverride.objects.create(day=D(2027, 1, 1), is_workday=False, name="2027年元旦")
    calendar = Calendar()

    with django_assert_num_queries(1):
        for offset in range(60):
            calendar.is_workday(D(2026, 12, 1) + dt.timedelta(days=offset))
        calendar.holiday_name(D(2027, 1, 1))

    assert calendar.holiday_name(D(2027, 1, 1)) == "2027年元旦"


def test_holiday_names_are_the_chinese_statutory_names() -> None:
    calendar = Calendar()

    names = [
        calendar.holiday_name(day)
        for day in (
            D(2026, 1, 1),
            D(2026, 2, 17),
            D(2026, 4, 5),
            D(2026, 5, 1),
            D(2026, 6, 19),
            D(2026, 9, 26),
            D(2026, 10, 5),
            D(2025, 10, 6),
            D(2023, 9, 29),
            D(2026, 10, 10),
            D(2026, 3, 15),
            D(2026, 3, 16),
        )
    ]

    assert names == [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
        "国庆节、中秋节",
        "国庆节、中秋节",
        None,  # 调休上班
        None,  # an ordinary Sunday
        None,  # an ordinary Monday
    ]


def test_a_three_day_hearing_pause_extends_the_due_date_by_three_days() -> None:
    calendar = Calendar()

    due = due_date(
        D(2026, 3, 2), Limit(15), calendar=calendar, pauses=[(D(2026, 3, 10), D(2026, 3, 12))]
    )

    assert due == Due(
        date=D(2026, 3, 20),
        provisional=False,
        explanation="起算日2026-03-02；15日→03-17；听证等中止3日→03-20",
    )
    assert due.date - due_date(D(2026, 3, 2), Limit(15), calendar=calendar).date == dt.timedelta(3)


def test_overlapping_pauses_count_each_day_once() -> None:
    pauses = [(D(2026, 3, 10), D(2026, 3, 12)), (D(2026, 3, 11), D(2026, 3, 13))]

    due = due_date(D(2026, 3, 2), Limit(15), calendar=Calendar(), pauses=pauses)

    assert due.explanation == "起算日2026-03-02；15日→03-17；听证等中止4日→03-21，休息日顺延至03-23"


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="中止期间结束日早于开始日"):
        due_date(
            D(2026, 3, 2), Limit(15), calendar=Calendar(), pauses=[(D(2026, 3, 12), D(2026, 3, 10))]
        )


def test_rule_set_falls_back_to_national_2022_without_rows() -> None:
    rules = rule_set_for("浙江", D(2026, 1, 5))

    assert rules == NATIONAL_2022_RULES
    assert (rules.id, rules.key) == (None, "national@2022-05-01")
    assert rules.limit(Step.HANDLING) == Limit(60)


def test_rule_set_picks_the_newest_row_in_force_on_the_day() -> None:
    RuleSet.objects.create(jurisdiction="national", name="2022", effective_from=D(2022, 5, 1))
    newer = RuleSet.objects.create(
        jurisdiction="national",
        name="2026修订",
        effective_from=D(2026, 1, 1),
        limits={"handling": {"days": 45, "unit": "calendar"}},
    )
    RuleSet.objects.create(
        jurisdiction="national",
        name="未施行",
        effective_from=D(2027, 1, 1),
        limits={"handling": {"days": 20, "unit": "calendar"}},
    )

    before = rule_set_for("national", D(2025, 12, 31))
    after = rule_set_for("national", D(2026, 6, 1))

    assert (before.name, before.limit(Step.HANDLING)) == ("2022", Limit(60))
    assert (after.id, after.key, after.limit(Step.HANDLING)) == (
        newer.pk,
        "national@2026-01-01",
        Limit(45),
    )


def test_zhejiang_row_gives_thirty_days_handling_and_national_defaults_elsewhere() -> None:
    RuleSet.objects.create(
        jurisdiction="浙江",
        name="浙江省信访事项办理规定",
        effective_from=D(2023, 1, 1),
        limits={
            "handling": {"days": 30, "unit": "calendar"},
            "extension_max": {"days": 60, "unit": "calendar"},
        },
    )

    rules = rule_set_for("浙江", D(2026, 3, 1))

    assert rules.limit(Step.HANDLING) == Limit(30)
    assert dict(rules.limits) == dict(ZHEJIANG_EXAMPLE)
    assert rule_set_for("浙江", D(2022, 12, 31)) == NATIONAL_2022_RULES
    assert rule_set_for("河南", D(2026, 3, 1)) == NATIONAL_2022_RULES


def test_rule_set_row_with_an_unknown_unit_is_refused() -> None:
    RuleSet.objects.create(
        jurisdiction="山东",
        name="错误配置",
        effective_from=D(2023, 1, 1),
        limits={"review_request": {"days": 3, "unit": "hours"}},
    )

    with pytest.raises(ValueError, match="计算单位无效"):
        rule_set_for("山东", D(2026, 3, 1))


@pytest.mark.parametrize(
    ("days_left", "tier"),
    [
        (4, DeadlineTier.NORMAL),
        (3, DeadlineTier.NEAR),
        (0, DeadlineTier.NEAR),
        (-1, DeadlineTier.OVERDUE),
        (-15, DeadlineTier.OVERDUE),
        (-16, DeadlineTier.SEVERE),
    ],
)
def test_warning_tier_boundaries(days_left: int, tier: DeadlineTier) -> None:
    today = D(2026, 3, 10)

    assert warning_tier(today + dt.timedelta(days=days_left), today) == tier


def test_warning_tier_labels_are_chinese() -> None:
    assert [str(label) for _, label in DeadlineTier.choices] == ["正常", "临期", "超期", "严重超期"]


@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31)),
    days=st.integers(min_value=1, max_value=90),
)
def test_calendar_day_due_date_is_the_first_workday_on_or_after_start_plus_n(
    start: dt.date, days: int
) -> None:
    calendar = Calendar()
    plain = start + dt.timedelta(days=days)

    due = due_date(start, Limit(days), calendar=calendar).date

    assert due >= plain
    assert calendar.is_workday(due)
    between = [plain + dt.timedelta(days=i) for i in range((due - plain).days)]
    assert [calendar.is_workday(day) for day in between] == [False] * len(between)
