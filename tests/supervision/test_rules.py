"""The nightly 督办 rules, with time travel: overdue, no feedback, an opinion not carried out,
repeated send-backs — one pending order per case and trigger, a quiet period after closing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.cases.workflow_cast import Cast, fresh, opinion, walk_to
from tests.supervision.conftest import at, in_handling, overdue_case, sent_back_twice
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.cases import services as case_services
from xinfang.cases import steps
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import CaseStatus, DeadlineTier, EventKind
from xinfang.cases.models import Case
from xinfang.supervision import services, triggers
from xinfang.supervision.enums import OrderStatus, Trigger
from xinfang.supervision.models import SupervisionOrder

pytestmark = pytest.mark.django_db
S = CaseStatus


def orders(trigger: Trigger) -> list[tuple[str, str]]:
    return [
        (o.case.number, o.status)
        for o in SupervisionOrder.objects.filter(trigger=trigger).select_related("case")
    ]


def test_a_case_past_its_handling_limit_gets_one_overdue_order(cast: Cast) -> None:
    case = in_handling(cast, on="2026-03-02")  # handling due 2026-05-06
    with at("2026-04-20"):  # the unit is at work on it, only late
        case_services.add_note(fresh(case), actor=cast.handler, kind=EventKind.NOTE, text="约谈。")
    with at("2026-05-06"):
        assert triggers.nightly() == {
            "tiers": 1,  # 正常 → 临期
            "due_notices": 1,  # to the handler of unit A
            "orders_overdue": 0,  # the due day itself is not late
            "orders_not_executed": 0,
            "orders_sent_back": 0,
            "orders_no_feedback": 0,
        }
    with at("2026-05-07"):
        result = triggers.nightly()
    assert result["orders_overdue"] == 1
    order = SupervisionOrder.objects.select_related("case", "issued_to", "issuing_unit").get()
    assert (order.case, order.trigger, order.issued_by) == (case, Trigger.OVERDUE, None)
    assert (order.issued_to, order.issuing_unit) == (cast.units.unit_a, cast.units.office)
    assert "已超过期限 1 日" in order.requirement
    assert order.due_on == dt.date(2026, 6, 8)  # 06-06 is a Saturday
    with at("2026-05-08"):
        assert triggers.nightly()["orders_overdue"] == 0  # no second pending order
    with at("2026-05-25"):  # no feedback since 04-20 either: still the one order at a time
        assert triggers.nightly()["orders_no_feedback"] == 0
    assert SupervisionOrder.objects.count() == 1
    assert AuditEvent.objects.filter(event="supervision.issue", actor_id=None).count() == 1


def test_after_an_order_is_closed_the_rule_waits_a_quiet_period(
    cast: Cast, supervisor: User
) -> None:
    overdue_case(cast, today="2026-05-07")
    with at("2026-05-07"):
        triggers.run_rules()
    order = SupervisionOrder.objects.select_related("case", "issuing_unit").get()
    with at("2026-05-08"):
        services.answer_order(order, actor=cast.handler, text="正在起草处理意见。")
    with at("2026-05-08"):
        assert triggers.nightly()["orders_overdue"] == 0  # answered is still pending
    with at("2026-05-10"):
        services.accept_answer(order, actor=supervisor)
    with at("2026-06-08"):
        assert triggers.nightly()["orders_overdue"] == 0  # 29 days after closing
    with at("2026-06-10"):
        assert triggers.nightly()["orders_overdue"] == 1
    assert [status for _n, status in orders(Trigger.OVERDUE)] == [
        OrderStatus.CLOSED,
        OrderStatus.OPEN,
    ]


def test_the_offices_own_overdue_registration_is_not_a_rule_order(cast: Cast) -> None:
    with at("2026-03-02"):
        walk_to(cast, S.REGISTERED)
    with at("2026-04-20"):
        triggers.nightly()
    assert Case.objects.get().tier == DeadlineTier.SEVERE
    assert SupervisionOrder.objects.count() == 0


def test_no_feedback_from_the_unit_for_30_days_raises_an_order(cast: Cast) -> None:
    in_handling(cast, on="2026-03-02")  # transferred, signed and accepted that day
    with at("2026-04-01"):
        assert triggers.candidates(Trigger.NO_FEEDBACK) == []
    with at("2026-04-02"):
        found = triggers.candidates(Trigger.NO_FEEDBACK)
        assert triggers.nightly()["orders_no_feedback"] == 1
    assert len(found) == 1
    assert "30 日以上没有任何办理记录" in found[0].requirement


def test_a_note_by_the_units_staff_counts_as_feedback_and_one_by_the_office_does_not(
    cast: Cast,
) -> None:
    case = in_handling(cast, on="2026-03-02")
    with at("2026-03-25"):
        case_services.add_note(
            fresh(case), actor=cast.clerk, kind=EventKind.NOTE, text="来电询问。"
        )
    with at("2026-04-02"):
        assert [c.case for c in triggers.candidates(Trigger.NO_FEEDBACK)] == [case]
    with at("2026-03-20"):
        case_services.add_note(
            fresh(case), actor=cast.handler, kind=EventKind.INVESTIGATION, text="现场核查。"
        )
    with at("2026-04-02"):
        assert triggers.candidates(Trigger.NO_FEEDBACK) == []
    with at("2026-04-20"):
        assert [c.case for c in triggers.candidates(Trigger.NO_FEEDBACK)] == [case]


def test_the_no_feedback_period_is_configurable(cast: Cast, settings: Any) -> None:
    settings.XF_SUPERVISION_NO_FEEDBACK_DAYS = 10
    in_handling(cast, on="2026-03-02")
    with at("2026-03-13"):
        assert len(triggers.candidates(Trigger.NO_FEEDBACK)) == 1


def test_a_supported_opinion_not_carried_out_60_days_after_service_raises_an_order(
    cast: Cast,
) -> None:
    with at("2026-03-02"):
        case = walk_to(cast, S.SERVED)  # served that day; the opinion supports the request
    with at("2026-04-30"):
        assert triggers.candidates(Trigger.NOT_EXECUTED) == []
    with at("2026-05-01"):
        assert triggers.nightly()["orders_not_executed"] == 1
    order = SupervisionOrder.objects.get()
    assert (order.case_id, order.trigger) == (case.pk, Trigger.NOT_EXECUTED)
    assert "于2026-03-02送达" in order.requirement


def test_an_opinion_that_supports_nothing_is_not_a_not_executed_case(cast: Cast) -> None:
    with at("2026-03-02"):
        case = walk_to(cast, S.SERVED)
    draft = {**case.draft, "outcomes": [{**case.draft["outcomes"][0], "outcome": "explain"}]}
    Case.objects.filter(pk=case.pk).update(draft=draft)
    with at("2026-06-01"):
        assert triggers.candidates(Trigger.NOT_EXECUTED) == []


def test_a_closed_case_is_never_a_not_executed_case(cast: Cast) -> None:
    with at("2026-03-02"):
        case = walk_to(cast, S.SERVED)
    with at("2026-03-05"):
        steps.close_case(fresh(case), actor=cast.handler)
    with at("2026-06-01"):
        assert triggers.nightly()["orders_not_executed"] == 0


def test_two_send_backs_raise_an_order_and_one_does_not(cast: Cast) -> None:
    once = in_handling(cast, on="2026-03-02")
    with at("2026-03-02"):
        steps.submit_draft(fresh(once), actor=cast.handler, opinion=opinion())
        steps.send_back_draft(fresh(once), actor=cast.reviewer, comments="依据不足。")
    once = fresh(once)
    twice = sent_back_twice(cast)
    with at("2026-03-02"):
        found = [c.case for c in triggers.candidates(Trigger.SENT_BACK)]
        triggers.run_rules()
    assert found == [twice]
    assert once.review_rounds == 1
    assert orders(Trigger.SENT_BACK) == [(twice.number, OrderStatus.OPEN)]


def test_a_rule_switched_off_raises_nothing(cast: Cast, settings: Any) -> None:
    settings.XF_SUPERVISION_RULES = ["no_feedback"]
    overdue_case(cast, today="2026-05-07")
    with at("2026-05-07"):
        result = triggers.run_rules()
    assert result == {"no_feedback": 1}
    assert orders(Trigger.OVERDUE) == []


def test_raising_the_same_rule_order_twice_writes_one(cast: Cast) -> None:
    case = overdue_case(cast, today="2026-05-07")
    with at("2026-05-07"):
        first = services.raise_rule_order(
            case,
            trigger=Trigger.OVERDUE,
            requirement="请答复。",
            today=dt.date(2026, 5, 7),
            calendar=Calendar(),
        )
        second = services.raise_rule_order(
            fresh(case),
            trigger=Trigger.OVERDUE,
            requirement="请答复。",
            today=dt.date(2026, 5, 7),
            calendar=Calendar(),
        )
    assert first is not None
    assert second is None
    assert SupervisionOrder.objects.count() == 1
    assert AuditEvent.objects.filter(event="supervision.issue").count() == 1


def test_a_manual_order_does_not_stop_the_rule_and_the_rule_does_not_stop_manual_orders(
    cast: Cast, supervisor: User
) -> None:
    case = overdue_case(cast, today="2026-05-07")
    with at("2026-05-07"):
        services.issue_order(fresh(case), actor=supervisor, requirement="请说明超期原因。")
        triggers.run_rules()
        services.issue_order(fresh(case), actor=supervisor, requirement="再次督办。")
    assert sorted(SupervisionOrder.objects.values_list("trigger", flat=True)) == [
        "manual",
        "manual",
        "overdue",
    ]


def test_the_supervise_command_runs_the_night_and_its_dry_run_writes_nothing(cast: Cast) -> None:
    overdue_case(cast, today="2026-05-07")
    out = StringIO()
    with at("2026-05-07"):
        call_command("supervise", "--dry-run", stdout=out)
    assert "受理、办理超期：1 件" in out.getvalue()
    assert SupervisionOrder.objects.count() == 0
    out = StringIO()
    with at("2026-05-07"):
        call_command("supervise", stdout=out)
    assert "按规则督办（受理、办理超期）：1 件" in out.getvalue()
    assert SupervisionOrder.objects.count() == 1


def test_the_nightly_sweep_moves_tiers_before_the_rules_read_them(cast: Cast) -> None:
    case = in_handling(cast, on="2026-03-02")
    assert case.tier == DeadlineTier.NORMAL
    with at("2026-05-07"):
        triggers.nightly()  # the stored tier is still 正常 until the sweep in it runs
    assert fresh(case).tier == DeadlineTier.OVERDUE
    assert SupervisionOrder.objects.filter(trigger=Trigger.OVERDUE).count() == 1
