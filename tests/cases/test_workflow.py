"""The procedure: the transition table, who may act, the guards, double submits, the whole road."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tests.cases.workflow_cast import Cast, fresh, opinion, register, walk_to
from xinfang.accounts.models import User
from xinfang.audit.models import AuditEvent
from xinfang.audit.queries import verify_chain
from xinfang.cases import steps, workflow
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import (
    CaseStatus,
    ClaimRoute,
    DeadlineTier,
    EventKind,
    HandlingCategory,
    ServiceMethod,
    TerminationReason,
)
from xinfang.cases.models import Case, CaseEvent
from xinfang.cases.workflow import TRANSITIONS, Action, ConcurrentChangeError

pytestmark = pytest.mark.django_db
S, A = CaseStatus, Action

#: The truth table, written out by hand from DESIGN.md §3: (from, action) → to.
EXPECTED = {
    (S.REGISTERED, A.TRANSFER): S.TRANSFERRED,
    (S.REGISTERED, A.ASSIGN): S.ASSIGNED,
    (S.REGISTERED, A.ACCEPT): S.IN_HANDLING,
    (S.REGISTERED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.REGISTERED, A.NOT_REACCEPT): S.NOT_REACCEPTED,
    (S.TRANSFERRED, A.SIGN): S.RECEIVED,
    (S.ASSIGNED, A.SIGN): S.RECEIVED,
    (S.TRANSFERRED, A.OBJECT): S.REGISTERED,
    (S.ASSIGNED, A.OBJECT): S.REGISTERED,
    (S.RECEIVED, A.OBJECT): S.REGISTERED,
    (S.RECEIVED, A.ACCEPT): S.IN_HANDLING,
    (S.RECEIVED, A.NOT_ACCEPT): S.NOT_ACCEPTED,
    (S.RECEIVED, A.NOT_REACCEPT): S.NOT_REACCEPTED,
    (S.IN_HANDLING, A.REQUEST_EXTENSION): S.EXTENSION_REQUESTED,
    (S.EXTENSION_REQUESTED, A.APPROVE_EXTENSION): S.IN_HANDLING,
    (S.EXTENSION_REQUESTED, A.REJECT_EXTENSION): S.IN_HANDLING,
    (S.IN_HANDLING, A.SUBMIT_DRAFT): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.SEND_BACK): S.IN_HANDLING,
    (S.UNDER_REVIEW, A.APPROVE_DRAFT): S.REPLIED,
    (S.REPLIED, A.RECORD_SERVICE): S.SERVED,
    (S.SERVED, A.REQUEST_REVIEW): S.REVIEW_REQUESTED,
    (S.CLOSED, A.REQUEST_REVIEW): S.REVIEW_REQUESTED,
    (S.REVIEW_REQUESTED, A.ISSUE_REVIEW): S.REVIEWED,
    (S.REVIEWED, A.RECORD_SERVICE): S.REVIEW_SERVED,
    (S.REVIEW_SERVED, A.REQUEST_RECHECK): S.RECHECK_REQUESTED,
    (S.CLOSED, A.REQUEST_RECHECK): S.RECHECK_REQUESTED,
    (S.RECHECK_REQUESTED, A.START_HEARING): S.RECHECK_HEARING,
    (S.RECHECK_HEARING, A.END_HEARING): S.RECHECK_REQUESTED,
    (S.RECHECK_REQUESTED, A.ISSUE_RECHECK): S.RECHECKED,
    (S.RECHECKED, A.RECORD_SERVICE): S.TERMINATED,
    (S.SERVED, A.CLOSE): S.CLOSED,
    (S.REVIEW_SERVED, A.CLOSE): S.CLOSED,
    (S.IN_HANDLING, A.TERMINATE): S.TERMINATED,
    (S.SERVED, A.TERMINATE): S.TERMINATED,
    (S.REVIEW_SERVED, A.TERMINATE): S.TERMINATED,
    (S.CLOSED, A.TERMINATE): S.TERMINATED,
}


def sample_arguments(action: Action, cast: Cast) -> dict[str, Any]:
    """Valid-looking input for every step, so only the table can refuse it."""
    today = dt.date.today()
    table: dict[Action, dict[str, Any]] = {
        A.TRANSFER: {"to_unit": cast.units.unit_a},
        A.ASSIGN: {
            "to_unit": cast.units.unit_a,
            "due_on": today + dt.timedelta(days=30),
            "requirement": "请办理。",
        },
        A.OBJECT: {"reason": "不属于本单位职责。"},
        A.NOT_ACCEPT: {"reason": "应通过诉讼解决。"},
        A.NOT_REACCEPT: {"reason": "同一事实和理由。"},
        A.REQUEST_EXTENSION: {"days": 10, "reason": "需调查。"},
        A.REJECT_EXTENSION: {"comment": "理由不足。"},
        A.SUBMIT_DRAFT: {"opinion": opinion()},
        A.SEND_BACK: {"comments": "请修改。"},
        A.APPROVE_DRAFT: {"review_unit": cast.government},
        A.RECORD_SERVICE: {"method": ServiceMethod.IN_PERSON, "served_on": today},
        A.REQUEST_REVIEW: {"requested_on": today, "request_text": "申请复查。"},
        A.ISSUE_REVIEW: {"opinion": opinion(), "recheck_unit": cast.units.office},
        A.REQUEST_RECHECK: {"requested_on": today, "request_text": "申请复核。"},
        A.START_HEARING: {"started_on": today},
        A.END_HEARING: {"ended_on": today},
        A.ISSUE_RECHECK: {"opinion": opinion()},
        A.TERMINATE: {"reason": TerminationReason.SETTLEMENT_PERFORMED, "note": "协议已履行。"},
    }
    return table.get(action, {})


def test_the_transition_table_is_exactly_the_statutory_procedure() -> None:
    assert {key: row.to for key, row in TRANSITIONS.items()} == EXPECTED


def test_every_status_is_reachable_and_only_the_final_ones_are_dead_ends() -> None:
    reached = {CaseStatus.REGISTERED} | {row.to for row in TRANSITIONS.values()}
    leaving = {status for status, _ in TRANSITIONS}
    assert reached == set(CaseStatus)
    assert set(CaseStatus) - leaving == {S.NOT_ACCEPTED, S.NOT_REACCEPTED, S.TERMINATED}


def test_a_case_walks_from_registration_to_termination_with_one_audit_event_per_step(
    cast: Cast,
) -> None:
    case = register(cast)
    assert (case.status, case.responsible_unit_id) == (S.REGISTERED, cast.units.office.pk)
    from tests.cases.workflow_cast import main_line

    for expected, step in main_line(cast):
        before = AuditEvent.objects.count()
        step(fresh(case))
        case = fresh(case)
        assert case.status == expected
        assert AuditEvent.objects.count() - before == 2 if _issues_notice(case) else 1
    assert case.termination_reason == TerminationReason.RECHECK_SERVED
    assert case.due_on is None
    assert case.responsible_unit_id is None
    kinds = sorted(case.documents.values_list("kind", flat=True))
    assert kinds == sorted(
        ["transfer", "acceptance", "extension", "opinion", "review_opinion", "recheck_opinion"]
    )
    assert verify_chain()[1] is None


def _issues_notice(case: Case) -> bool:
    last = case.events.order_by("-id").first()
    return bool(last and last.payload.get("documents"))


@pytest.mark.parametrize("status", [s for s in CaseStatus if s not in (S.NOT_ACCEPTED,)])
def test_every_step_the_table_does_not_allow_is_refused_and_writes_nothing(
    cast: Cast, status: CaseStatus
) -> None:
    case = _case_in(cast, status)
    chief = _chief(cast)
    for action in Action:
        if (status, action) in TRANSITIONS:
            continue
        events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
        with pytest.raises(ValidationError) as refused:
            steps.SERVICES[action](fresh(case), actor=chief, **sample_arguments(action, cast))
        assert "不能进行" in refused.value.messages[0]
        assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)
        assert fresh(case).status == status


def _chief(cast: Cast) -> User:
    """Holds every case role at the root: only the table (and guards) can refuse them."""
    from tests.factories import UserFactory
    from xinfang.accounts.enums import Role

    return UserFactory(
        username="chief",
        unit=cast.units.office,
        roles=[Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.LEADER],
    )


def _case_in(cast: Cast, status: CaseStatus) -> Case:
    if status == S.ASSIGNED:
        case = register(cast)
        steps.assign_case(
            case,
            actor=cast.clerk,
            to_unit=cast.units.unit_a,
            due_on=dt.date.today() + dt.timedelta(days=30),
            requirement="请办理。",
        )
        return fresh(case)
    if status == S.NOT_REACCEPTED:
        case = register(cast)
        steps.not_reaccept_case(case, actor=cast.clerk, reason="同一事实和理由。")
        return fresh(case)
    if status == S.CLOSED:
        case = walk_to(cast, S.SERVED)
        steps.close_case(case, actor=cast.handler)
        return fresh(case)
    return walk_to(cast, status)


def test_a_second_identical_submit_fails_cleanly_and_changes_nothing(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    first, second = fresh(case), fresh(case)
    steps.sign_case(first, actor=cast.handler)
    events = CaseEvent.objects.count()
    with pytest.raises((ConcurrentChangeError, ValidationError)):
        steps.sign_case(second, actor=cast.handler)
    assert CaseEvent.objects.count() == events
    assert fresh(case).version == first.version


def test_a_stale_copy_cannot_overwrite_a_colleagues_step(cast: Cast) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    stale = fresh(case)
    steps.request_extension(fresh(case), actor=cast.handler, days=5, reason="需调查。")
    steps.reject_extension(fresh(case), actor=cast.leader, comment="不必延期。")
    # Back in handling, but with a newer version: the stale copy must not write.
    with pytest.raises(ConcurrentChangeError):
        steps.submit_draft(stale, actor=cast.handler, opinion=opinion())
    assert fresh(case).status == S.IN_HANDLING


def test_outsider_cannot_sign_a_case_routed_to_another_unit(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    with pytest.raises(PermissionDenied):
        steps.sign_case(case, actor=cast.outsider)


def test_handler_cannot_approve_an_extension_only_the_head_can(cast: Cast) -> None:
    case = walk_to(cast, S.EXTENSION_REQUESTED)
    with pytest.raises(PermissionDenied):
        steps.approve_extension(case, actor=cast.handler)
    steps.approve_extension(case, actor=cast.leader)
    assert fresh(case).extension_days == 30


def test_handler_cannot_approve_their_own_draft(cast: Cast) -> None:
    case = walk_to(cast, S.UNDER_REVIEW)
    with pytest.raises(PermissionDenied):
        steps.approve_draft(case, actor=cast.handler, review_unit=cast.government)


def test_available_actions_are_what_each_person_may_do_now(cast: Cast) -> None:
    case = walk_to(cast, S.TRANSFERRED)
    assert workflow.available_actions(cast.handler, case) == [A.SIGN, A.OBJECT]
    assert workflow.available_actions(cast.clerk, case) == []
    assert workflow.available_actions(cast.outsider, case) == []
    registered = register(cast)
    assert workflow.available_actions(cast.clerk, registered) == [
        A.TRANSFER,
        A.ASSIGN,
        A.ACCEPT,
        A.NOT_ACCEPT,
        A.NOT_REACCEPT,
    ]


def test_the_offices_supervisor_may_hand_a_case_over_but_not_transfer_or_accept_it(
    cast: Cast, supervisor: User
) -> None:
    registered = register(cast)
    assert workflow.available_actions(supervisor, registered) == [A.ASSIGN]
    with pytest.raises(PermissionDenied):
        steps.transfer_case(registered, actor=supervisor, to_unit=cast.units.unit_a)


def test_objection_is_refused_after_five_working_days(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 9, 28, 10, tzinfo=dt.UTC), tick=False):
        case = walk_to(cast, S.TRANSFERRED)
    # 5 working days from 09-28 skip the National Day break and count the 10-10 make-up
    # Saturday: 09-29, 09-30, 10-08, 10-09, 10-10.
    with time_machine.travel(dt.datetime(2026, 10, 10, 10, tzinfo=dt.UTC), tick=False):
        assert A.OBJECT in workflow.available_actions(cast.handler, fresh(case))
    with time_machine.travel(dt.datetime(2026, 10, 11, 10, tzinfo=dt.UTC), tick=False):
        assert A.OBJECT not in workflow.available_actions(cast.handler, fresh(case))
        with pytest.raises(ValidationError, match="提出异议的期限"):
            steps.object_to_case(fresh(case), actor=cast.handler, reason="不属于本单位。")


def test_an_objection_returns_the_case_to_the_office_with_a_letter(cast: Cast) -> None:
    case = walk_to(cast, S.RECEIVED)
    steps.object_to_case(case, actor=cast.handler, reason="不属于本单位职责。")
    case = fresh(case)
    assert (case.status, case.handling_unit_id) == (S.REGISTERED, None)
    assert case.responsible_unit_id == cast.units.office.pk
    assert list(case.documents.values_list("kind", flat=True)) == ["transfer", "objection"]


def test_transfers_stop_at_the_configured_limit(cast: Cast, settings: Any) -> None:
    settings.XF_MAX_TRANSFERS = 2
    case = register(cast)
    for _ in range(2):
        steps.transfer_case(
            fresh(case), actor=cast.clerk, to_unit=cast.units.unit_a, reason="重新分办。"
        )
        steps.object_to_case(fresh(case), actor=cast.handler, reason="不属于本单位。")
    with pytest.raises(ValidationError, match="达到上限"):
        steps.transfer_case(fresh(case), actor=cast.clerk, to_unit=cast.units.unit_a)


def test_litigation_matters_go_only_to_legal_organs(cast: Cast) -> None:
    case = register(cast, route=ClaimRoute.LITIGATION, litigation=True)
    with pytest.raises(ValidationError, match="政法部门"):
        steps.transfer_case(case, actor=cast.clerk, to_unit=cast.units.unit_a)


def test_an_extension_is_at_most_thirty_days_and_granted_once(cast: Cast) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    with pytest.raises(ValidationError, match="1 至 30 日"):
        steps.request_extension(case, actor=cast.handler, days=31, reason="需调查。")
    steps.request_extension(fresh(case), actor=cast.handler, days=20, reason="需调查。")
    steps.approve_extension(fresh(case), actor=cast.leader)
    with pytest.raises(ValidationError, match="只能延长一次"):
        steps.request_extension(fresh(case), actor=cast.handler, days=5, reason="还需调查。")


def test_only_route_six_claims_run_the_sixty_day_clock(cast: Cast) -> None:
    suggestion = register(cast, route=None, category=HandlingCategory.SUGGESTION)
    steps.accept_case(suggestion, actor=cast.clerk)
    suggestion = fresh(suggestion)
    assert suggestion.due_on is None
    assert "不适用第三十四条" in suggestion.due_explanation
    reason = workflow.blocked_reason(
        suggestion, A.REQUEST_EXTENSION, today=dt.date.today(), calendar=Calendar()
    )
    assert reason == "本类事项不适用第三十四条的办理期限，无需申请延期。"


def test_an_opinion_needs_one_outcome_per_request(cast: Cast) -> None:
    case = walk_to(cast, S.IN_HANDLING)
    with pytest.raises(ValidationError, match="至少填写一项"):
        steps.submit_draft(case, actor=cast.handler, opinion=steps.OpinionInput(outcomes=[]))


def test_review_request_after_the_window_is_refused(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        case = walk_to(cast, S.SERVED)
    assert case.review_window_until == dt.date(2026, 4, 1)
    with time_machine.travel(dt.datetime(2026, 4, 10, 10, tzinfo=dt.UTC), tick=False):
        with pytest.raises(ValidationError, match="复查申请期限已于2026-04-01届满"):
            steps.request_review(
                fresh(case),
                actor=cast.clerk,
                requested_on=dt.date(2026, 4, 2),
                request_text="申请复查。",
            )
        # A request received within the window but entered late is still accepted.
        steps.request_review(
            fresh(case),
            actor=cast.clerk,
            requested_on=dt.date(2026, 3, 30),
            request_text="申请复查。",
        )
    assert fresh(case).status == S.REVIEW_REQUESTED


def test_terminating_for_a_lapsed_window_waits_until_it_has_lapsed(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        case = walk_to(cast, S.SERVED)
        with pytest.raises(ValidationError, match="尚未届满"):
            steps.terminate_case(
                fresh(case),
                actor=cast.handler,
                reason=TerminationReason.WINDOW_LAPSED,
                note="未申请复查。",
            )
    with time_machine.travel(dt.datetime(2026, 4, 2, 10, tzinfo=dt.UTC), tick=False):
        steps.terminate_case(
            fresh(case),
            actor=cast.handler,
            reason=TerminationReason.WINDOW_LAPSED,
            note="未申请复查。",
        )
    assert fresh(case).termination_reason == TerminationReason.WINDOW_LAPSED


def test_closing_an_assigned_case_reports_back_to_the_office(cast: Cast) -> None:
    case = register(cast)
    steps.assign_case(
        case,
        actor=cast.clerk,
        to_unit=cast.units.unit_a,
        due_on=dt.date.today() + dt.timedelta(days=40),
        requirement="请调查处理。",
    )
    case = fresh(case)
    assert case.documents.get().kind == "assignment"
    for status in (S.RECEIVED, S.IN_HANDLING, S.UNDER_REVIEW, S.REPLIED, S.SERVED):
        case = walk_to(cast, status, case)
    assert case.due_step == "assignment"
    with pytest.raises(ValidationError, match="请填写办结情况"):
        steps.close_case(fresh(case), actor=cast.handler)
    steps.close_case(fresh(case), actor=cast.handler, report="已退还物业费。")
    case = fresh(case)
    assert case.status == S.CLOSED
    assert case.due_on is None
    assert case.documents.filter(kind="completion_report").count() == 1


def test_a_hearing_pauses_the_recheck_clock(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        case = walk_to(cast, S.RECHECK_REQUESTED)
    assert case.due_on == dt.date(2026, 4, 1)
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC), tick=False):
        steps.start_hearing(fresh(case), actor=cast.leader, started_on=dt.date(2026, 3, 10))
        assert fresh(case).due_on is None
    with time_machine.travel(dt.datetime(2026, 3, 12, 10, tzinfo=dt.UTC), tick=False):
        steps.end_hearing(fresh(case), actor=cast.leader, ended_on=dt.date(2026, 3, 12))
    case = fresh(case)
    assert case.paused_days == 3
    assert case.due_on == dt.date(2026, 4, 7)  # 04-04 falls in 清明, rolled to 04-07
    assert "中止3日" in case.due_explanation


def test_the_sweep_moves_tiers_as_days_pass(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        case = walk_to(cast, S.IN_HANDLING)
    assert (case.due_on, case.tier) == (dt.date(2026, 5, 6), DeadlineTier.NORMAL)
    tiers = {}
    for day in (dt.date(2026, 5, 3), dt.date(2026, 5, 7), dt.date(2026, 5, 22)):
        workflow.sweep_tiers(day)
        tiers[day] = fresh(case).tier
    assert tiers == {
        dt.date(2026, 5, 3): DeadlineTier.NEAR,
        dt.date(2026, 5, 7): DeadlineTier.OVERDUE,
        dt.date(2026, 5, 22): DeadlineTier.SEVERE,
    }
    assert workflow.sweep_tiers(dt.date(2026, 5, 22)) == 0  # nothing left to move
    workflow.sweep_tiers(dt.date(2026, 3, 3))
    assert fresh(case).tier == DeadlineTier.NORMAL


def test_every_step_writes_one_timeline_event(cast: Cast) -> None:
    case = walk_to(cast, S.SERVED)
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.REGISTERED,
        EventKind.TRANSFERRED,
        EventKind.SIGNED,
        EventKind.ACCEPTED,
        EventKind.EXTENSION_REQUESTED,
        EventKind.EXTENSION_APPROVED,
        EventKind.DRAFT_SUBMITTED,
        EventKind.DRAFT_SENT_BACK,
        EventKind.DRAFT_SUBMITTED,
        EventKind.REPLY_ISSUED,
        EventKind.SERVED,
    ]
    assert fresh(case).review_rounds == 1


def test_a_claim_registered_without_its_route_gets_it_at_acceptance(cast: Cast) -> None:
    case = walk_to(cast, S.RECEIVED, register(cast, route=None))
    with pytest.raises(ValidationError, match="请确定申诉求决途径"):
        steps.accept_case(case, actor=cast.handler)
    steps.accept_case(fresh(case), actor=cast.handler, claim_route=ClaimRoute.PETITION)
    case = fresh(case)
    assert (case.claim_route, case.due_step) == (ClaimRoute.PETITION, "handling")
