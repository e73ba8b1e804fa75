"""Demo data for the procedure: key dates and deadlines for bulk cases, and a handful of cases
walked through every step by the real services (so their notices exist and can be opened).

Bulk cases get consistent key dates derived from their received date (no extra random draws,
so the rest of the generator's sequence is unchanged) and stored deadline columns computed by
the same code the services use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from xinfang.accounts.models import Unit, User
from xinfang.cases import steps, workflow
from xinfang.cases.deadlines import Calendar, Step, due_date, rule_set_for
from xinfang.cases.enums import (
    CaseStatus,
    Channel,
    ClaimRoute,
    HandlingCategory,
    ServiceMethod,
    TerminationReason,
)
from xinfang.cases.models import Case, ContentCategory
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    register_case,
)
from xinfang.documents.enums import Outcome
from xinfang.documents.services import RequestOutcome

S = CaseStatus
_ROUTED = frozenset(set(CaseStatus) - {S.REGISTERED})
_SIGNED = frozenset(_ROUTED - {S.TRANSFERRED, S.ASSIGNED})
_ACCEPTED = frozenset(_SIGNED - {S.RECEIVED, S.NOT_ACCEPTED, S.NOT_REACCEPTED})
_REPLIED = frozenset(
    _ACCEPTED - {S.IN_HANDLING, S.EXTENSION_REQUESTED, S.UNDER_REVIEW, S.TERMINATED}
)
_SERVED = frozenset(_REPLIED - {S.REPLIED})
_REVIEWING = frozenset(
    {
        S.REVIEW_REQUESTED,
        S.REVIEWED,
        S.REVIEW_SERVED,
        S.RECHECK_REQUESTED,
        S.RECHECK_HEARING,
        S.RECHECKED,
    }
)
_RECHECKING = frozenset({S.RECHECK_REQUESTED, S.RECHECK_HEARING, S.RECHECKED})


def _on(day: dt.date, today: dt.date) -> dt.date:
    return min(day, today)


def apply_procedure(
    case: Case,
    *,
    salt: int,
    today: dt.date,
    calendar: Calendar,
    review_unit_id: int | None,
    recheck_unit_id: int | None,
) -> None:
    """Fill a bulk demo case's key dates for its status, then its deadline columns."""
    status = CaseStatus(case.status)
    received = case.received_on
    case.rule_set_key = rule_set_for(settings.XF_RULE_JURISDICTION, received).key
    if status in _ROUTED:
        case.transferred_on = _on(received + dt.timedelta(days=3), today)
        case.transfer_count = 1
    # Some cases in handling were assigned (交办) rather than transferred; older ones, already
    # served or closed, are shown as transferred so the demo's overdue list stays plausible.
    if status == S.ASSIGNED or (status in _SIGNED - _REPLIED and salt % 7 == 0):
        case.assignment_due_on = workflow.present(case.transferred_on, "转送日期") + dt.timedelta(
            days=45
        )
    if status in _SIGNED and case.transferred_on is not None:
        case.signed_on = _on(case.transferred_on + dt.timedelta(days=1), today)
    if status in _ACCEPTED and case.transferred_on is not None:
        case.accepted_on = _on(case.transferred_on + dt.timedelta(days=4), today)
    if status in (S.NOT_ACCEPTED, S.NOT_REACCEPTED):
        case.closed_on = _on(received + dt.timedelta(days=10), today)
    if status in _REPLIED and case.accepted_on is not None:
        case.replied_on = _on(case.accepted_on + dt.timedelta(days=40), today)
        if workflow.is_reviewable(case):
            case.review_unit_id = review_unit_id
    if status in _SERVED and case.replied_on is not None:
        case.served_on = _on(case.replied_on + dt.timedelta(days=3), today)
        case.service_method = ServiceMethod.IN_PERSON
        if workflow.is_reviewable(case):
            case.review_window_until = due_date(
                case.served_on,
                workflow.rules_of(case, calendar).limit(Step.REVIEW_REQUEST),
                calendar=calendar,
            ).date
    if status in _REVIEWING and case.served_on is not None:
        case.review_requested_on = _on(case.served_on + dt.timedelta(days=10), today)
    if status in _RECHECKING and case.review_requested_on is not None:
        case.review_served_on = _on(case.review_requested_on + dt.timedelta(days=25), today)
        case.recheck_requested_on = _on(case.review_served_on + dt.timedelta(days=5), today)
        case.review_unit_id = recheck_unit_id
    if status in (S.CLOSED, S.TERMINATED) and case.closed_on is None:
        case.closed_on = _on(
            (case.served_on or case.accepted_on or received) + dt.timedelta(days=35), today
        )
    if status == S.TERMINATED:
        case.termination_reason = (
            TerminationReason.WINDOW_LAPSED
            if case.served_on
            else TerminationReason.SETTLEMENT_PERFORMED
        )
    for name, value in workflow.deadline_columns(case, today=today, calendar=calendar).items():
        setattr(case, name, value)


# --- cases walked through the real services ----------------------------------------------------


def _opinion(case: Case, outcome: Outcome) -> steps.OpinionInput:
    return steps.OpinionInput(
        outcomes=[
            RequestOutcome(
                request=case.request,
                outcome=outcome,
                reasoning="经调查核实，信访人反映的情况基本属实。依据相关规定，作出如下处理。",
            )
        ],
        body="请信访人配合有关单位做好后续工作。",
        basis="《信访工作条例》第三十二条",
    )


def walk_demo_cases(
    *,
    clerk: User,
    handler: User,
    reviewer: User,
    leader: User,
    organ: Unit,
    review_organ: Unit,
    recheck_organ: Unit,
    category: ContentCategory,
    region_code_case: Case | None = None,
) -> dict[CaseStatus, Case]:
    """Register one case per status and walk each through the real step services up to that
    status (today's dates), so every state and every notice appears in the demo."""
    region = workflow.present(region_code_case, "演示事项").region
    today = timezone.localdate()
    reached: dict[CaseStatus, Case] = {}

    def fresh(title: str, route: ClaimRoute = ClaimRoute.PETITION) -> Case:
        result = register_case(
            actor=clerk,
            contact=ContactInput(
                channel=Channel.VISIT,
                occurred_at=timezone.now(),
                reception_unit=clerk.unit or organ,
            ),
            case=CaseInput(
                handling_category=HandlingCategory.CLAIM,
                claim_route=route,
                content_category=category,
                region=region,
                title=title,
                request="请求有关部门依法处理小区物业服务问题，退还多收的物业费。",
                facts_reasons="小区物业公司自去年起擅自提高收费标准，业主多次反映未果。",
            ),
            petitioners=[PetitionerInput(name="周建华", phone="13900001234")],
        )
        return result.case

    def reload(case: Case) -> Case:
        return Case.objects.select_related(
            "registering_unit", "handling_unit", "review_unit", "recheck_unit"
        ).get(pk=case.pk)

    chain: list[tuple[CaseStatus, Callable[[Case], object]]] = [
        (S.TRANSFERRED, lambda c: steps.transfer_case(c, actor=clerk, to_unit=organ)),
        (S.RECEIVED, lambda c: steps.sign_case(c, actor=handler)),
        (S.IN_HANDLING, lambda c: steps.accept_case(c, actor=handler)),
        (
            S.EXTENSION_REQUESTED,
            lambda c: steps.request_extension(
                c, actor=handler, days=30, reason="涉及多个部门，需要进一步调查核实。"
            ),
        ),
        (S.IN_HANDLING, lambda c: steps.approve_extension(c, actor=leader)),
        (
            S.UNDER_REVIEW,
            lambda c: steps.submit_draft(c, actor=handler, opinion=_opinion(c, Outcome.SUPPORT)),
        ),
        (
            S.REPLIED,
            lambda c: steps.approve_draft(c, actor=reviewer, review_unit=review_organ),
        ),
        (
            S.SERVED,
            lambda c: steps.record_service(
                c, actor=handler, method=ServiceMethod.IN_PERSON, served_on=today
            ),
        ),
        (
            S.REVIEW_REQUESTED,
            lambda c: steps.request_review(
                c, actor=clerk, requested_on=today, request_text="对处理意见不服，申请复查。"
            ),
        ),
        (
            S.REVIEWED,
            lambda c: steps.issue_review_opinion(
                c, actor=leader, opinion=_opinion(c, Outcome.EXPLAIN), recheck_unit=recheck_organ
            ),
        ),
        (
            S.REVIEW_SERVED,
            lambda c: steps.record_service(
                c, actor=leader, method=ServiceMethod.POST, served_on=today
            ),
        ),
        (
            S.RECHECK_REQUESTED,
            lambda c: steps.request_recheck(
                c, actor=clerk, requested_on=today, request_text="对复查意见不服，申请复核。"
            ),
        ),
        (S.RECHECK_HEARING, lambda c: steps.start_hearing(c, actor=leader, started_on=today)),
        (S.RECHECK_REQUESTED, lambda c: steps.end_hearing(c, actor=leader, ended_on=today)),
        (
            S.RECHECKED,
            lambda c: steps.issue_recheck_opinion(
                c, actor=leader, opinion=_opinion(c, Outcome.REJECT)
            ),
        ),
        (
            S.TERMINATED,
            lambda c: steps.record_service(
                c, actor=leader, method=ServiceMethod.IN_PERSON, served_on=today
            ),
        ),
    ]
    targets = [status for status, _ in chain]
    for index, target in enumerate(targets):
        if target in reached:
            continue
        case = fresh(f"演示：办理至“{target.label}”的信访事项")
        for _status, step in chain[: index + 1]:
            step(reload(case))
        reached[target] = reload(case)
    # The branches off the main line.
    case = fresh("演示：交办并办结的信访事项")
    steps.assign_case(
        reload(case),
        actor=clerk,
        to_unit=organ,
        due_on=today + dt.timedelta(days=45),
        requirement="请于期限内调查处理并报送办结报告。",
    )
    reached[S.ASSIGNED] = reload(case)
    case = fresh("演示：不予受理的信访事项", route=ClaimRoute.LITIGATION)
    steps.not_accept_case(
        reload(case),
        actor=clerk,
        reason="该事项应当通过诉讼途径解决，请依法向人民法院起诉。",
        basis="《信访工作条例》第三十一条",
    )
    reached[S.NOT_ACCEPTED] = reload(case)
    case = fresh("演示：不再受理的信访事项")
    steps.not_reaccept_case(
        reload(case),
        actor=clerk,
        reason="该事项已经复核终结，信访人以同一事实和理由再次提出。",
        basis="《信访工作条例》第三十六条第三款",
    )
    reached[S.NOT_REACCEPTED] = reload(case)
    case = fresh("演示：交办后已办结的信访事项")
    steps.assign_case(
        reload(case),
        actor=clerk,
        to_unit=organ,
        due_on=today + dt.timedelta(days=45),
        requirement="请于期限内调查处理并报送办结报告。",
    )
    for _status, action in chain[1:8]:
        action(reload(case))
    steps.close_case(
        reload(case), actor=handler, report="已责成物业公司退还多收费用，信访人表示认可。"
    )
    reached[S.CLOSED] = reload(case)
    case = fresh("演示：被退回的信访事项")
    steps.transfer_case(reload(case), actor=clerk, to_unit=organ)
    steps.object_to_case(
        reload(case), actor=handler, reason="该事项不属于本单位职责范围，应由属地政府处理。"
    )
    reached[S.REGISTERED] = reload(case)
    return reached
