"""督办单 by hand: issued to the unit that owes the step, answered in writing, accepted or sent
back — each a service with its refusals in Chinese, nothing changed when it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.cases.workflow_cast import Cast, fresh, walk_to
from tests.supervision.conftest import at, in_handling
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.audit.queries import verify_chain
from xinfang.cases.enums import CaseStatus
from xinfang.supervision import services
from xinfang.supervision.enums import OrderStatus, ResponseKind, Trigger
from xinfang.supervision.models import OrderResponse, SupervisionOrder
from xinfang.supervision.services import StaleOrderError

pytestmark = pytest.mark.django_db
S = CaseStatus


def issued(cast: Cast, supervisor: User, *, on: str = "2026-03-10") -> SupervisionOrder:
    case = in_handling(cast)
    with at(on):
        return services.issue_order(
            fresh(case), actor=supervisor, requirement="请于期限内书面答复办理进展。"
        )


def test_a_supervisor_issues_an_order_to_the_unit_that_owes_the_step(
    cast: Cast, supervisor: User
) -> None:
    order = issued(cast, supervisor, on="2026-09-20")

    assert order.number == "A01督〔2026〕1号"
    assert order.trigger == Trigger.MANUAL
    assert (order.issued_to, order.issuing_unit) == (cast.units.unit_a, cast.units.office)
    assert order.status == OrderStatus.OPEN
    # 30 days from 09-20 is 10-20 (a Tuesday): no roll-forward needed.
    assert order.due_on == dt.date(2026, 10, 20)
    assert order.due_explanation == "督办日2026-09-20；30日→10-20"
    assert AuditEvent.objects.filter(event="supervision.issue").count() == 1
    assert verify_chain() == (AuditEvent.objects.count(), None)


def test_an_answer_date_that_falls_on_a_holiday_rolls_forward(cast: Cast, supervisor: User) -> None:
    # 2026-09-05 + 30 days = 10-05, inside the National Day holiday: due 10-08.
    order = issued(cast, supervisor, on="2026-09-05")

    assert order.due_on == dt.date(2026, 10, 8)
    assert order.due_explanation == "督办日2026-09-05；30日→10-05，国庆假期顺延至10-08"


def test_the_answer_period_follows_the_setting(
    cast: Cast, supervisor: User, settings: object
) -> None:
    settings.XF_SUPERVISION_ANSWER_DAYS = 15  # type: ignore[attr-defined]
    order = issued(cast, supervisor, on="2026-09-01")

    assert order.due_on == dt.date(2026, 9, 16)


def test_a_supervisor_may_set_the_answer_date_by_hand(cast: Cast, supervisor: User) -> None:
    case = in_handling(cast)
    with at("2026-03-10"):
        order = services.issue_order(
            fresh(case), actor=supervisor, requirement="限期答复。", due_on=dt.date(2026, 3, 20)
        )
    assert order.due_on == dt.date(2026, 3, 20)
    assert order.due_explanation == "督办单指定于2026-03-20前书面答复"


@pytest.mark.parametrize(
    ("requirement", "due_on", "message"),
    [
        ("", None, "请填写督办要求。"),
        ("   ", None, "请填写督办要求。"),
        ("x" * 5001, None, "督办要求不能超过 5000 字。"),
        ("限期答复。", dt.date(2026, 3, 10), "答复期限必须晚于今天。"),
        ("限期答复。", dt.date(2027, 6, 1), "答复期限不能超过 366 日。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(
    cast: Cast, supervisor: User, requirement: str, due_on: dt.date | None, message: str
) -> None:
    case = in_handling(cast)
    with at("2026-03-10"), pytest.raises(ValidationError) as refused:
        services.issue_order(fresh(case), actor=supervisor, requirement=requirement, due_on=due_on)
    assert refused.value.messages == [message]
    assert SupervisionOrder.objects.count() == 0
    assert AuditEvent.objects.filter(event__startswith="supervision.").count() == 0


def test_a_closed_or_unrouted_case_cannot_be_supervised(cast: Cast, supervisor: User) -> None:
    registered = walk_to(cast, S.REGISTERED)
    with pytest.raises(ValidationError) as own_desk:
        services.issue_order(registered, actor=supervisor, requirement="请办理。")
    assert own_desk.value.messages == ["该事项当前由本单位办理，不能向本单位督办或催办。"]
    terminated = walk_to(cast, S.TERMINATED)
    with pytest.raises(ValidationError) as finished:
        services.issue_order(terminated, actor=supervisor, requirement="请办理。")
    assert finished.value.messages == ["该事项已终结，无需督办。"]
    assert SupervisionOrder.objects.count() == 0


@pytest.mark.parametrize("who", ["clerk", "handler", "outsider"])
def test_only_supervisors_and_leaders_issue_orders(cast: Cast, who: str) -> None:
    case = in_handling(cast)
    with pytest.raises(PermissionDenied):
        services.issue_order(fresh(case), actor=getattr(cast, who), requirement="请办理。")
    assert SupervisionOrder.objects.count() == 0


def test_a_leader_outside_the_cases_scope_cannot_issue(cast: Cast, other_leader: User) -> None:
    case = in_handling(cast)
    with pytest.raises(PermissionDenied):
        services.issue_order(fresh(case), actor=other_leader, requirement="请办理。")


def test_the_unit_answers_in_writing_and_the_supervisor_accepts(
    cast: Cast, supervisor: User
) -> None:
    order = issued(cast, supervisor)
    with at("2026-03-15"):
        answer = services.answer_order(order, actor=cast.handler, text="已约谈物业公司，限期退费。")
    assert answer.kind == ResponseKind.ANSWER
    assert SupervisionOrder.objects.get().status == OrderStatus.ANSWERED
    with at("2026-03-16"):
        services.accept_answer(order, actor=supervisor, comment="同意。")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.closed_at is not None
    assert [r.kind for r in order.responses.all()] == ["answer", "accepted"]
    assert [e.event for e in AuditEvent.objects.filter(event__startswith="supervision.")] == [
        "supervision.issue",
        "supervision.answer",
        "supervision.accept",
    ]


def test_a_sent_back_answer_reopens_the_order_with_a_fresh_answer_period(
    cast: Cast, supervisor: User
) -> None:
    order = issued(cast, supervisor, on="2026-09-01")
    with at("2026-09-10"):
        services.answer_order(order, actor=cast.handler, text="正在办理。")
    with at("2026-09-21"):
        services.send_back_answer(order, actor=supervisor, comment="未说明办结时间。")
    order.refresh_from_db()
    assert (order.status, order.rounds) == (OrderStatus.OPEN, 1)
    assert order.due_on == dt.date(2026, 10, 21)
    assert order.due_explanation == "退回重新答复：督办日2026-09-21；30日→10-21"
    assert OrderResponse.objects.get(kind="sent_back").due_on == dt.date(2026, 10, 21)


def test_sending_back_needs_a_reason(cast: Cast, supervisor: User) -> None:
    order = issued(cast, supervisor)
    services.answer_order(order, actor=cast.handler, text="正在办理。")
    with pytest.raises(ValidationError) as refused:
        services.send_back_answer(order, actor=supervisor, comment=" ")
    assert refused.value.messages == ["请填写退回理由。"]
    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED


def test_only_the_unit_the_order_went_to_answers(
    cast: Cast, supervisor: User, other_leader: User
) -> None:
    order = issued(cast, supervisor)
    for stranger in (cast.outsider, other_leader, cast.clerk, cast.reviewer, supervisor):
        with pytest.raises(PermissionDenied):
            services.answer_order(order, actor=stranger, text="答复。")
    assert OrderResponse.objects.count() == 0


def test_a_leader_of_the_unit_may_answer(cast: Cast, supervisor: User, unit_leader: User) -> None:
    order = issued(cast, supervisor)
    services.answer_order(order, actor=unit_leader, text="局领导已批示，限期办结。")
    assert SupervisionOrder.objects.get().status == OrderStatus.ANSWERED


def test_an_empty_answer_is_refused_and_the_order_stays_open(cast: Cast, supervisor: User) -> None:
    order = issued(cast, supervisor)
    with pytest.raises(ValidationError) as refused:
        services.answer_order(order, actor=cast.handler, text="")
    assert refused.value.messages == ["请填写答复内容。"]
    assert SupervisionOrder.objects.get().status == OrderStatus.OPEN


def test_an_answered_order_cannot_be_answered_again(cast: Cast, supervisor: User) -> None:
    order = issued(cast, supervisor)
    services.answer_order(order, actor=cast.handler, text="已办理。")
    with pytest.raises(ValidationError) as refused:
        services.answer_order(order, actor=cast.handler, text="再次答复。")
    assert refused.value.messages == ["该督办单已答复，不能再次答复。"]


def test_a_stale_second_submit_of_the_same_answer_writes_nothing(
    cast: Cast, supervisor: User
) -> None:
    order = issued(cast, supervisor)
    stale = SupervisionOrder.objects.select_related("case", "issuing_unit").get(pk=order.pk)
    services.answer_order(order, actor=cast.handler, text="已办理。")
    with pytest.raises(StaleOrderError):
        services.answer_order(stale, actor=cast.handler, text="已办理。")
    assert OrderResponse.objects.count() == 1
    assert AuditEvent.objects.filter(event="supervision.answer").count() == 1


def test_only_the_supervising_side_reviews_and_only_an_answered_order(
    cast: Cast, supervisor: User, unit_leader: User
) -> None:
    order = issued(cast, supervisor)
    with pytest.raises(ValidationError) as not_yet:
        services.accept_answer(order, actor=supervisor)
    assert not_yet.value.messages == ["该督办单待答复，不能审核。"]
    services.answer_order(order, actor=cast.handler, text="已办理。")
    with pytest.raises(PermissionDenied):
        services.accept_answer(order, actor=unit_leader)  # a leader, but of the unit itself
    with pytest.raises(PermissionDenied):
        services.accept_answer(order, actor=cast.handler)
    assert SupervisionOrder.objects.get().status == OrderStatus.ANSWERED
