"""Stored due dates: computed by the engine on every step, pinned rule sets, the calendar page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.cases.workflow_cast import Cast, fresh, register, walk_to
from tests.conftest import Units, logged_in
from tests.factories import UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases import steps
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import CalendarOverride, RuleSet

pytestmark = pytest.mark.django_db
S = CaseStatus


def at(day: str) -> Any:
    return time_machine.travel(dt.datetime.fromisoformat(f"{day}T02:00:00+00:00"), tick=False)


def test_a_case_received_on_2026_09_20_must_be_routed_by_10_08(cast: Cast) -> None:
    with at("2026-09-20"):
        case = register(cast)
    assert case.due_on == dt.date(2026, 10, 8)
    assert case.due_explanation == "收到日2026-09-20；15日→10-05，国庆假期顺延至10-08"
    assert case.due_step == "register_forward"
    assert case.rule_set_key == "national@2022-05-01"


def test_acceptance_starts_the_sixty_day_clock_and_the_extension_adds_to_it(cast: Cast) -> None:
    with at("2026-03-02"):
        case = walk_to(cast, S.IN_HANDLING)
        assert (case.accepted_on, case.due_on) == (dt.date(2026, 3, 2), dt.date(2026, 5, 6))
        assert case.due_explanation == "受理日2026-03-02；60日→05-01，劳动节假期顺延至05-06"
        case = walk_to(cast, S.UNDER_REVIEW, case)  # via a 30-day extension
    assert case.extension_days == 30
    assert case.due_on == dt.date(2026, 6, 5)
    assert "经批准延长" in case.due_explanation


def test_a_due_date_in_2027_is_provisional_until_the_schedule_is_entered(
    cast: Cast, units: Units, django_capture_on_commit_callbacks: Any
) -> None:
    from huey.contrib.djhuey import HUEY

    with at("2026-12-10"):
        case = walk_to(cast, S.IN_HANDLING)
    # 60 days from 2026-12-10 is 2027-02-08: 2027 has no official schedule yet.
    assert case.due_on == dt.date(2027, 2, 8)
    assert case.due_provisional
    assert "暂定：2027年节假日安排未公布" in case.due_explanation
    for day in ("2027-02-09", "2027-02-10"):
        CalendarOverride.objects.create(day=dt.date.fromisoformat(day), is_workday=False)
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    HUEY.immediate = True  # the recomputation runs on the queue; here, in-process
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = logged_in(admin).post(
                reverse("cases:calendar"), {"day": "2027-02-08", "kind": "rest", "name": "春节"}
            )
    finally:
        HUEY.immediate = False
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:calendar") + "?year=2027"
    case = fresh(case)
    assert case.due_on == dt.date(2027, 2, 11)
    assert not case.due_provisional
    assert case.due_explanation == "受理日2026-12-10；60日→2027-02-08，春节假期顺延至2027-02-11"
    assert AuditEvent.objects.filter(event="calendar.set_day").count() == 1


def test_a_provincial_rule_set_applies_to_cases_registered_after_it_takes_effect(
    cast: Cast, settings: Any
) -> None:
    settings.XF_RULE_JURISDICTION = "浙江"
    with at("2026-03-02"):
        before = walk_to(cast, S.IN_HANDLING)
    RuleSet.objects.create(
        jurisdiction="浙江",
        name="浙江省信访条例",
        effective_from=dt.date(2026, 3, 3),
        limits={"handling": {"days": 30}, "extension_max": {"days": 60}},
    )
    with at("2026-03-03"):
        after = walk_to(cast, S.IN_HANDLING)
        steps.request_extension(after, actor=cast.handler, days=60, reason="情况复杂。")
        steps.approve_extension(fresh(after), actor=cast.leader)
    assert before.rule_set_key == "national@2022-05-01"
    assert before.due_on == dt.date(2026, 5, 6)
    after = fresh(after)
    assert after.rule_set_key == "浙江@2026-03-03"
    # 30 days → 04-02; +60 days → 06-01.
    assert after.due_on == dt.date(2026, 6, 1)


def test_the_calendar_page_is_for_the_system_administrator_only(units: Units, clerk: User) -> None:
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    assert logged_in(clerk).get(reverse("cases:calendar")).status_code == 403
    page = logged_in(admin).get(reverse("cases:calendar") + "?year=2027")
    assert page.status_code == 200
    assert "2027 年的节假日安排尚未录入" in page.content.decode()


def test_a_bad_calendar_entry_is_refused_in_chinese_and_changes_nothing(units: Units) -> None:
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])
    response = logged_in(admin).post(reverse("cases:calendar"), {"day": "2027-13-01", "kind": "x"})
    assert response.status_code == 422
    assert (
        "有效的日期" in response.content.decode()
        or "输入一个有效的日期" in response.content.decode()
    )
    assert not CalendarOverride.objects.exists()


def test_the_calendar_reads_the_override_table() -> None:
    CalendarOverride.objects.create(day=dt.date(2027, 10, 1), is_workday=False, name="国庆节")
    assert not Calendar().is_provisional(dt.date(2027, 6, 1))
