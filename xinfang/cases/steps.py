"""The procedure's operations: one service per step, typed, keyword-only, atomic, audited.

Each checks the table, the acting party and the guards (``workflow.check_step``), validates
what the person entered, moves the case with ``workflow.set_status``, writes one timeline
event, issues the notice the step owes (``xinfang.documents``) and one audit event — all in
one transaction, so a refusal or a concurrent change leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from xinfang.accounts.enums import UnitKind
from xinfang.accounts.models import Unit, User
from xinfang.audit.services import record
from xinfang.cases import workflow
from xinfang.cases.access import RECUSED_MESSAGE, is_recused
from xinfang.cases.deadlines import Calendar, Step, due_date
from xinfang.cases.enums import (
    CaseStatus,
    ClaimRoute,
    EventKind,
    HandlingCategory,
    ServiceMethod,
    TerminationReason,
)
from xinfang.cases.models import Case, CaseEvent, CaseUnit
from xinfang.cases.routing import (
    accused_refusal,
    in_accused_subtree,
    requires_legal_unit,
    suggest_unit,
)
from xinfang.cases.workflow import Action
from xinfang.documents.enums import NoticeKind, Outcome
from xinfang.documents.models import Document
from xinfang.documents.services import NoticeFacts, RequestOutcome, issue_notice

MAX_TEXT = 5000


@dataclass(frozen=True)
class OpinionInput:
    """A 处理意见书 (or 复查/复核意见书): one outcome per request (第三十二条)."""

    outcomes: Sequence[RequestOutcome]
    body: str = ""
    basis: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "body": self.body,
            "basis": self.basis,
            "outcomes": [
                {"request": o.request, "outcome": str(o.outcome), "reasoning": o.reasoning}
                for o in self.outcomes
            ],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> OpinionInput:
        items = raw.get("outcomes", [])
        outcomes = [
            RequestOutcome(
                request=str(item["request"]),
                outcome=Outcome(item["outcome"]),
                reasoning=str(item["reasoning"]),
            )
            for item in (items if isinstance(items, list) else [])
        ]
        return cls(
            outcomes=outcomes, body=str(raw.get("body", "")), basis=str(raw.get("basis", ""))
        )


@dataclass
class StepResult:
    case: Case
    action: Action
    event: CaseEvent
    documents: list[Document] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------


@dataclass
class _Step:
    """One step in progress: what was read, when, with which calendar."""

    case: Case
    action: Action
    actor: User
    today: dt.date
    calendar: Calendar
    from_status: str


def _begin(case: Case, action: Action, actor: User, *, by_petitioner: bool = False) -> _Step:
    """Check the step; ``by_petitioner`` (the portal) skips the staff party check only."""
    today = timezone.localdate()
    calendar = Calendar()
    if not by_petitioner and is_recused(actor, case):
        raise PermissionDenied(RECUSED_MESSAGE)  # before the party check: say why
    if by_petitioner:
        workflow.transition_for(case.status, action)
        reason = workflow.blocked_reason(case, action, today=today, calendar=calendar)
        if reason is not None:
            raise ValidationError(reason)
    else:
        workflow.check_step(case, action, actor, today=today, calendar=calendar)
    return _Step(case, action, actor, today, calendar, case.status)


def _text(value: str, label: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}。")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{label}不能超过 {MAX_TEXT} 字。")
    return value


def _day(value: dt.date, label: str, *, today: dt.date, not_before: dt.date | None) -> dt.date:
    if value > today:
        raise ValidationError(f"{label}不能晚于今天。")
    if not_before is not None and value < not_before:
        raise ValidationError(f"{label}不能早于{not_before.isoformat()}。")
    return value


def _check_opinion(opinion: OpinionInput) -> OpinionInput:
    if not opinion.outcomes:
        raise ValidationError("请至少填写一项请求及其处理意见。")
    for number, item in enumerate(opinion.outcomes, start=1):
        _text(item.request, f"第{number}项请求")
        _text(item.reasoning, f"第{number}项请求的事实和依据")
    _text(opinion.body, "答复意见", required=False)
    _text(opinion.basis, "依据", required=False)
    return opinion


def _petitioners(case: Case) -> str:
    names = [link.petitioner.name for link in case.case_petitioners.select_related("petitioner")]
    return "、".join(names) or "信访人"


def _finish(
    step: _Step,
    *,
    kind: EventKind,
    payload: Mapping[str, object],
    notices: Sequence[tuple[NoticeKind, Unit, NoticeFacts]] = (),
) -> StepResult:
    case, actor = step.case, step.actor
    documents = [
        issue_notice(case, notice, actor=actor, issuing_unit=unit, facts=facts)
        for notice, unit, facts in notices
    ]
    numbers = [document.number for document in documents]
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        occurred_at=timezone.now(),
        payload={**payload, "documents": numbers} if numbers else dict(payload),
    )
    record(
        f"case.{step.action.value}",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={"from": step.from_status, "to": case.status, "documents": numbers},
    )
    return StepResult(case=case, action=step.action, event=event, documents=documents)


def _move(step: _Step, **changes: object) -> None:
    workflow.set_status(
        step.case,
        action=step.action,
        changes=changes,
        today=step.today,
        calendar=step.calendar,
    )


def _facts(step: _Step, **values: object) -> NoticeFacts:
    return NoticeFacts(issued_on=step.today, **values)  # type: ignore[arg-type]


# --- 登记之后: 转送、交办、受理、不予受理、不再受理 -------------------------------------


def _check_target(case: Case, unit: Unit, accused: Unit | None) -> None:
    if not unit.is_active:
        raise ValidationError(f"{unit.name}已停用，请选择其他单位。")
    if unit.pk == case.registering_unit_id:
        raise ValidationError("不能转送、交办给本单位；本单位有权处理的，请直接受理。")
    if requires_legal_unit(case) and unit.kind != UnitKind.LEGAL:
        raise ValidationError(
            f"涉法涉诉事项应当转送政法部门处理（第二十八条），{unit.name}不是政法机关。"
        )
    if accused is not None and in_accused_subtree(accused, unit):
        raise ValidationError(accused_refusal(accused))


def _accused(case: Case, accused_unit: Unit | None) -> Unit | None:
    """The accused unit after this step: one recorded (or corrected) now, else the case's."""
    if accused_unit is None:
        return case.accused_unit
    if case.handling_category != HandlingCategory.ACCUSATION:
        raise ValidationError("只有检举控告类事项可以登记被检举控告单位。")
    return accused_unit


def _cooperating(
    case: Case, to_unit: Unit, units: Sequence[Unit], accused: Unit | None
) -> list[Unit]:
    """协办 units: at most ``XF_MAX_COOPERATING_UNITS``, active, not the 主办, never the accused."""
    chosen = list({unit.pk: unit for unit in units}.values())
    limit = settings.XF_MAX_COOPERATING_UNITS
    if len(chosen) > limit:
        raise ValidationError(f"协办单位最多 {limit} 个，已选择 {len(chosen)} 个。")
    for unit in chosen:
        if unit.pk == to_unit.pk:
            raise ValidationError(f"{unit.name}已是主办单位，不能同时作为协办单位。")
        if not unit.is_active:
            raise ValidationError(f"{unit.name}已停用，不能作为协办单位。")
        if accused is not None and in_accused_subtree(accused, unit):
            raise ValidationError(f"协办单位：{accused_refusal(accused)}")
    return chosen


def _link_cooperating(case: Case, units: Sequence[Unit], *, actor: User) -> None:
    """The new 主办's 协办 units replace the previous routing's."""
    CaseUnit.objects.filter(case=case).delete()
    now = timezone.now()
    CaseUnit.objects.bulk_create(
        CaseUnit(
            case=case, unit=unit, registered_at=case.registered_at, added_at=now, added_by=actor
        )
        for unit in units
    )


def _retransfer_reason(case: Case, reason: str) -> dict[str, object]:
    """Each 转送/交办 after the first says why the matter moves again (kept on the timeline)."""
    reason = _text(reason, "再次转送、交办理由", required=False)
    if case.transfer_count and not reason:
        raise ValidationError(
            f"该事项已转送、交办 {case.transfer_count} 次，再次转送、交办请写明理由。"
        )
    payload: dict[str, object] = {"transfer_number": case.transfer_count + 1}
    if reason:
        payload["transfer_reason"] = reason
    return payload


def _routing(
    case: Case, unit: Unit, override_reason: str, accused: Unit | None
) -> dict[str, object]:
    """分办: going elsewhere than the rules suggest needs a reason, kept on the timeline."""
    suggestion = suggest_unit(case, accused=accused)
    override_reason = _text(override_reason, "改派理由", required=False)
    if suggestion is None or suggestion.unit.pk == unit.pk:
        return {"suggested": suggestion.unit.name if suggestion else ""}
    if not override_reason:
        raise ValidationError(
            f"分办规则建议交由{suggestion.unit.name}办理；改派其他单位时请写明理由。"
        )
    return {"suggested": suggestion.unit.name, "override_reason": override_reason}


def _routed_payload(
    case: Case, to_unit: Unit, cooperating: Sequence[Unit], accused_unit: Unit | None
) -> dict[str, object]:
    payload: dict[str, object] = {"unit": to_unit.name, "unit_id": to_unit.pk}
    if cooperating:
        payload["cooperating"] = [unit.name for unit in cooperating]
        payload["cooperating_ids"] = [unit.pk for unit in cooperating]
    if accused_unit is not None:
        payload["accused_unit"] = accused_unit.name
    return payload


@transaction.atomic
def transfer_case(
    case: Case,
    *,
    actor: User,
    to_unit: Unit,
    note: str = "",
    override_reason: str = "",
    cooperating_units: Sequence[Unit] = (),
    accused_unit: Unit | None = None,
    reason: str = "",
) -> StepResult:
    """转送 to the organ with power to handle it (第二十二条); it then signs or objects. Up to
    ``XF_MAX_COOPERATING_UNITS`` 协办 units may be named; a 检举控告 may record its accused unit,
    which is never the target (第三十条). A re-transfer states its reason."""
    step = _begin(case, Action.TRANSFER, actor)
    accused = _accused(case, accused_unit)
    _check_target(case, to_unit, accused)
    cooperating = _cooperating(case, to_unit, cooperating_units, accused)
    retransfer = _retransfer_reason(case, reason)
    routing = _routing(case, to_unit, override_reason, accused)
    note = _text(note, "转送说明", required=False)
    _move(
        step,
        handling_unit=to_unit,
        transferred_on=step.today,
        transfer_count=case.transfer_count + 1,
        signed_on=None,
        assignment_due_on=None,
        accused_unit=accused,
    )
    _link_cooperating(case, cooperating, actor=actor)
    facts = _facts(step, addressee=to_unit.name, receiving_unit_name=to_unit.name, body=note)
    return _finish(
        step,
        kind=EventKind.TRANSFERRED,
        payload={
            **_routed_payload(case, to_unit, cooperating, accused_unit),
            "note": note,
            **retransfer,
            **routing,
        },
        notices=[(NoticeKind.TRANSFER, case.registering_unit, facts)],
    )


@transaction.atomic
def assign_case(
    case: Case,
    *,
    actor: User,
    to_unit: Unit,
    due_on: dt.date,
    requirement: str,
    override_reason: str = "",
    cooperating_units: Sequence[Unit] = (),
    accused_unit: Unit | None = None,
    reason: str = "",
) -> StepResult:
    """交办 with a result deadline; the organ reports back with a 办结报告 (第二十二条).
    协办 units, the accused unit and a re-assignment's reason as for :func:`transfer_case`."""
    step = _begin(case, Action.ASSIGN, actor)
    accused = _accused(case, accused_unit)
    _check_target(case, to_unit, accused)
    cooperating = _cooperating(case, to_unit, cooperating_units, accused)
    retransfer = _retransfer_reason(case, reason)
    routing = _routing(case, to_unit, override_reason, accused)
    requirement = _text(requirement, "交办要求")
    if due_on <= step.today:
        raise ValidationError("交办办结期限必须晚于今天。")
    _move(
        step,
        handling_unit=to_unit,
        transferred_on=step.today,
        transfer_count=case.transfer_count + 1,
        signed_on=None,
        assignment_due_on=due_on,
        accused_unit=accused,
    )
    _link_cooperating(case, cooperating, actor=actor)
    facts = _facts(
        step,
        addressee=to_unit.name,
        receiving_unit_name=to_unit.name,
        body=requirement,
        due_on=due_on,
    )
    return _finish(
        step,
        kind=EventKind.ASSIGNED,
        payload={
            **_routed_payload(case, to_unit, cooperating, accused_unit),
            "due_on": due_on.isoformat(),
            "requirement": requirement,
            **retransfer,
            **routing,
        },
        notices=[(NoticeKind.ASSIGNMENT, case.registering_unit, facts)],
    )


@transaction.atomic
def sign_case(case: Case, *, actor: User) -> StepResult:
    """签收: the organ confirms it received the transferred or assigned case."""
    step = _begin(case, Action.SIGN, actor)
    _move(step, signed_on=step.today)
    return _finish(step, kind=EventKind.SIGNED, payload={"unit": str(case.handling_unit)})


@transaction.atomic
def object_to_case(case: Case, *, actor: User, reason: str) -> StepResult:
    """异议退回: the organ says it has no power to handle the matter (第二十三条第三款, within
    5 working days); the case returns to the office to be routed again."""
    step = _begin(case, Action.OBJECT, actor)
    reason = _text(reason, "异议理由")
    unit = workflow.present(case.handling_unit, "主办单位")
    _move(step, handling_unit=None, signed_on=None, assignment_due_on=None)
    # The 协办 units worked with this 主办; the next routing names its own.
    CaseUnit.objects.filter(case=case).delete()
    registering = case.registering_unit
    facts = _facts(
        step, addressee=registering.name, receiving_unit_name=registering.name, body=reason
    )
    return _finish(
        step,
        kind=EventKind.OBJECTED,
        payload={"unit": unit.name, "reason": reason},
        notices=[(NoticeKind.OBJECTION, unit, facts)],
    )


def _deciding_unit(case: Case) -> Unit:
    """The organ that decides on acceptance: the handling organ, or the office itself."""
    return case.handling_unit or case.registering_unit


@transaction.atomic
def accept_case(
    case: Case, *, actor: User, note: str = "", claim_route: ClaimRoute | None = None
) -> StepResult:
    """受理 (第二十三条): the 60-day handling clock starts for route 6 matters. A 申诉求决类
    case registered without its route gets it now (the registration form allows "待受理时确定")."""
    step = _begin(case, Action.ACCEPT, actor)
    note = _text(note, "受理说明", required=False)
    route = claim_route or case.claim_route
    if case.handling_category == HandlingCategory.CLAIM and route is None:
        raise ValidationError("请确定申诉求决途径（第三十一条）后再受理。")
    if case.handling_category != HandlingCategory.CLAIM:
        route = None
    unit = _deciding_unit(case)
    _move(
        step,
        handling_unit=unit,
        accepted_on=step.today,
        signed_on=case.signed_on or step.today,
        claim_route=route,
    )
    facts = _facts(step, addressee=_petitioners(case), body=note, due_on=case.due_on)
    return _finish(
        step,
        kind=EventKind.ACCEPTED,
        payload={"unit": unit.name, "note": note, "claim_route": route},
        notices=[(NoticeKind.ACCEPTANCE, unit, facts)],
    )


def _refuse(
    case: Case,
    action: Action,
    kind: EventKind,
    notice: NoticeKind,
    actor: User,
    reason: str,
    basis: str,
) -> StepResult:
    step = _begin(case, action, actor)
    reason = _text(reason, "理由")
    basis = _text(basis, "依据", required=False)
    unit = _deciding_unit(case)
    _move(step, closed_on=step.today)
    facts = _facts(step, addressee=_petitioners(case), body=reason, basis=basis)
    return _finish(
        step,
        kind=kind,
        payload={"unit": unit.name, "reason": reason, "basis": basis},
        notices=[(notice, unit, facts)],
    )


@transaction.atomic
def not_accept_case(case: Case, *, actor: User, reason: str, basis: str = "") -> StepResult:
    """不予受理, with the reason told to the petitioner in writing (第二十三条)."""
    return _refuse(
        case,
        Action.NOT_ACCEPT,
        EventKind.NOT_ACCEPTED,
        NoticeKind.NON_ACCEPTANCE,
        actor,
        reason,
        basis,
    )


@transaction.atomic
def not_reaccept_case(case: Case, *, actor: User, reason: str, basis: str = "") -> StepResult:
    """不再受理: the same facts and reasons after 复核 or 终结 (第三十六条第三款)."""
    return _refuse(
        case,
        Action.NOT_REACCEPT,
        EventKind.NOT_REACCEPTED,
        NoticeKind.NO_REACCEPTANCE,
        actor,
        reason,
        basis,
    )


# --- 办理: 延期、处理意见、审核、送达 ----------------------------------------------


@transaction.atomic
def request_extension(case: Case, *, actor: User, days: int, reason: str) -> StepResult:
    """申请延期 (第三十四条): at most the rule set's limit (30 days nationally), once."""
    step = _begin(case, Action.REQUEST_EXTENSION, actor)
    limit = workflow.rules_of(case, step.calendar).limit(Step.EXTENSION_MAX).days
    if not 1 <= days <= limit:
        raise ValidationError(f"延长天数应在 1 至 {limit} 日之间（第三十四条）。")
    reason = _text(reason, "延期理由")
    _move(step)
    return _finish(
        step, kind=EventKind.EXTENSION_REQUESTED, payload={"days": days, "reason": reason}
    )


def _pending_extension(case: Case) -> Mapping[str, object]:
    event = case.events.filter(kind=EventKind.EXTENSION_REQUESTED).order_by("-id").first()
    payload: Mapping[str, object] = workflow.present(event, "延期申请").payload
    return payload


@transaction.atomic
def approve_extension(case: Case, *, actor: User, comment: str = "") -> StepResult:
    """批准延期: the head approves; the petitioner is told the reason (延长办理期限告知书)."""
    step = _begin(case, Action.APPROVE_EXTENSION, actor)
    comment = _text(comment, "审批意见", required=False)
    request = _pending_extension(case)
    days = int(str(request["days"]))
    _move(step, extension_days=days)
    facts = _facts(
        step,
        addressee=_petitioners(case),
        body=str(request["reason"]),
        extension_days=days,
        due_on=case.due_on,
    )
    return _finish(
        step,
        kind=EventKind.EXTENSION_APPROVED,
        payload={"days": days, "comment": comment, "due_on": str(case.due_on)},
        notices=[(NoticeKind.EXTENSION, workflow.present(case.handling_unit, "主办单位"), facts)],
    )


@transaction.atomic
def reject_extension(case: Case, *, actor: User, comment: str) -> StepResult:
    step = _begin(case, Action.REJECT_EXTENSION, actor)
    comment = _text(comment, "审批意见")
    _move(step)
    return _finish(step, kind=EventKind.EXTENSION_REJECTED, payload={"comment": comment})


@transaction.atomic
def submit_draft(case: Case, *, actor: User, opinion: OpinionInput) -> StepResult:
    """提交处理意见送审: the draft goes to a superior (reviewer or head) for approval."""
    step = _begin(case, Action.SUBMIT_DRAFT, actor)
    _check_opinion(opinion)
    _move(step, draft=opinion.as_json())
    return _finish(step, kind=EventKind.DRAFT_SUBMITTED, payload=opinion.as_json())


@transaction.atomic
def send_back_draft(case: Case, *, actor: User, comments: str) -> StepResult:
    """审核退回: back to the handler with comments, as often as needed."""
    step = _begin(case, Action.SEND_BACK, actor)
    comments = _text(comments, "退回意见")
    _move(step, review_rounds=case.review_rounds + 1)
    return _finish(step, kind=EventKind.DRAFT_SENT_BACK, payload={"comments": comments})


def default_review_unit(case: Case) -> Unit | None:
    """The organ a 复查 lies to by default: the one above the handling organ."""
    unit = case.handling_unit
    return unit.parent if unit is not None else None


def _check_review_organ(unit: Unit | None, below: Unit | None, label: str) -> Unit:
    if unit is None:
        raise ValidationError(f"请选择{label}。")
    if not unit.is_active:
        raise ValidationError(f"{unit.name}已停用，请选择其他{label}。")
    if below is not None and unit.pk == below.pk:
        raise ValidationError(f"{label}不能是作出原意见的机关本身。")
    return unit


@transaction.atomic
def approve_draft(
    case: Case, *, actor: User, review_unit: Unit | None = None, comment: str = ""
) -> StepResult:
    """审核通过: the 信访处理意见书 is issued, naming the 复查 organ and window."""
    step = _begin(case, Action.APPROVE_DRAFT, actor)
    comment = _text(comment, "审核意见", required=False)
    opinion = OpinionInput.from_json(case.draft)
    _check_opinion(opinion)
    unit = workflow.present(case.handling_unit, "主办单位")
    window = workflow.rules_of(case, step.calendar).limit(Step.REVIEW_REQUEST).days
    reviewable = workflow.is_reviewable(case)
    organ = _check_review_organ(review_unit, unit, "复查机关") if reviewable else None
    _move(step, replied_on=step.today, review_unit=organ)
    facts = _facts(
        step,
        addressee=_petitioners(case),
        body=opinion.body,
        basis=opinion.basis,
        outcomes=list(opinion.outcomes),
        review_unit_name=organ.name if organ else "",
        review_window_days=window if organ else None,
    )
    return _finish(
        step,
        kind=EventKind.REPLY_ISSUED,
        payload={"comment": comment, "review_unit": organ.name if organ else ""},
        notices=[(NoticeKind.OPINION, unit, facts)],
    )


def _window_until(case: Case, step: _Step, start: dt.date, limit_step: Step) -> dt.date:
    rules = workflow.rules_of(case, step.calendar)
    return due_date(
        start,
        rules.limit(limit_step),
        calendar=step.calendar,
        roll_forward=rules.roll_forward,
    ).date


@transaction.atomic
def record_service(
    case: Case, *, actor: User, method: ServiceMethod, served_on: dt.date, receipt: str = ""
) -> StepResult:
    """登记送达: how and when the petitioner received the opinion. The 复查/复核 window runs
    from this date (第三十五、三十六条); serving a 复核意见 ends the matter (终结)."""
    step = _begin(case, Action.RECORD_SERVICE, actor)
    receipt = _text(receipt, "送达回证说明", required=False)
    if case.status == CaseStatus.REPLIED:
        _day(served_on, "送达日期", today=step.today, not_before=case.replied_on)
        window = (
            _window_until(case, step, served_on, Step.REVIEW_REQUEST)
            if workflow.is_reviewable(case)
            else None
        )
        _move(step, served_on=served_on, service_method=method, review_window_until=window)
    elif case.status == CaseStatus.REVIEWED:
        _day(served_on, "送达日期", today=step.today, not_before=case.review_requested_on)
        window = _window_until(case, step, served_on, Step.RECHECK_REQUEST)
        _move(step, review_served_on=served_on, recheck_window_until=window)
    else:
        _day(served_on, "送达日期", today=step.today, not_before=case.recheck_requested_on)
        _move(
            step,
            closed_on=served_on,
            termination_reason=TerminationReason.RECHECK_SERVED,
        )
    return _finish(
        step,
        kind=EventKind.SERVED,
        payload={
            "stage": step.from_status,
            "method": str(method),
            "served_on": served_on.isoformat(),
            "receipt": receipt,
        },
    )


# --- 复查、复核 -----------------------------------------------------------------------------------


def _check_request_day(
    requested_on: dt.date, *, step: _Step, served: dt.date | None, until: dt.date | None, label: str
) -> None:
    _day(requested_on, f"收到{label}申请日期", today=step.today, not_before=served)
    if until is not None and requested_on > until:
        raise ValidationError(
            f"{label}申请期限已于{until.isoformat()}届满（自收到意见书之日起30日），"
            f"依照《信访工作条例》不再受理{label}申请。"
        )


def _request(
    step: _Step,
    *,
    label: str,
    requested_on: dt.date,
    request_text: str,
    served: dt.date | None,
    until: dt.date | None,
    changes: dict[str, object],
    channel: str = "",
) -> StepResult:
    """A 复查 or 复核 request received on ``requested_on``, inside its window."""
    request_text = _text(request_text, f"{label}请求")
    _check_request_day(requested_on, step=step, served=served, until=until, label=label)
    _move(step, **changes)
    payload = {"requested_on": requested_on.isoformat(), "request": request_text}
    kind = EventKind.REVIEW_REQUESTED if label == "复查" else EventKind.RECHECK_REQUESTED
    return _finish(step, kind=kind, payload={**payload, "channel": channel} if channel else payload)


@transaction.atomic
def request_review(
    case: Case, *, actor: User, requested_on: dt.date, request_text: str
) -> StepResult:
    """复查申请 received within 30 days of service (第三十五条)."""
    return _request(
        _begin(case, Action.REQUEST_REVIEW, actor),
        label="复查",
        requested_on=requested_on,
        request_text=request_text,
        served=case.served_on,
        until=case.review_window_until,
        changes={"review_requested_on": requested_on},
    )


@transaction.atomic
def request_review_online(case: Case, *, portal_account: User, request_text: str) -> StepResult:
    """复查申请 made by the petitioner on the portal (第二十一条): received today, within the
    window, signed in the records by the portal's service account."""
    step = _begin(case, Action.REQUEST_REVIEW, portal_account, by_petitioner=True)
    return _request(
        step,
        label="复查",
        requested_on=step.today,
        request_text=request_text,
        served=case.served_on,
        until=case.review_window_until,
        changes={"review_requested_on": step.today},
        channel="portal",
    )


@transaction.atomic
def issue_review_opinion(
    case: Case, *, actor: User, opinion: OpinionInput, recheck_unit: Unit | None
) -> StepResult:
    """复查意见 within 30 days of the request, naming the 复核 organ and window."""
    step = _begin(case, Action.ISSUE_REVIEW, actor)
    _check_opinion(opinion)
    organ = workflow.present(case.review_unit, "复查/复核机关")
    recheck = _check_review_organ(recheck_unit, organ, "复核机关")
    window = workflow.rules_of(case, step.calendar).limit(Step.RECHECK_REQUEST).days
    _move(step, recheck_unit=recheck)
    facts = _facts(
        step,
        addressee=_petitioners(case),
        body=opinion.body,
        basis=opinion.basis,
        outcomes=list(opinion.outcomes),
        review_unit_name=recheck.name,
        review_window_days=window,
    )
    return _finish(
        step,
        kind=EventKind.REVIEW_ISSUED,
        payload={**opinion.as_json(), "recheck_unit": recheck.name},
        notices=[(NoticeKind.REVIEW_OPINION, organ, facts)],
    )


@transaction.atomic
def request_recheck(
    case: Case, *, actor: User, requested_on: dt.date, request_text: str
) -> StepResult:
    """复核申请 within 30 days of receiving the 复查意见 (第三十六条); the 复核 organ takes over."""
    return _request(
        _begin(case, Action.REQUEST_RECHECK, actor),
        label="复核",
        requested_on=requested_on,
        request_text=request_text,
        served=case.review_served_on,
        until=case.recheck_window_until,
        changes={"recheck_requested_on": requested_on, "review_unit": case.recheck_unit},
    )


@transaction.atomic
def start_hearing(case: Case, *, actor: User, started_on: dt.date) -> StepResult:
    """听证 (第三十六条): its time does not count towards the 复核 limit."""
    step = _begin(case, Action.START_HEARING, actor)
    _day(started_on, "听证开始日期", today=step.today, not_before=case.recheck_requested_on)
    _move(step, hearing_started_on=started_on)
    return _finish(
        step, kind=EventKind.HEARING_STARTED, payload={"started_on": started_on.isoformat()}
    )


@transaction.atomic
def end_hearing(case: Case, *, actor: User, ended_on: dt.date) -> StepResult:
    step = _begin(case, Action.END_HEARING, actor)
    started = workflow.present(case.hearing_started_on, "听证开始日期")
    _day(ended_on, "听证结束日期", today=step.today, not_before=started)
    days = (ended_on - started).days + 1
    _move(step, hearing_started_on=None, paused_days=case.paused_days + days)
    return _finish(
        step,
        kind=EventKind.HEARING_ENDED,
        payload={"started_on": started.isoformat(), "ended_on": ended_on.isoformat(), "days": days},
    )


@transaction.atomic
def issue_recheck_opinion(case: Case, *, actor: User, opinion: OpinionInput) -> StepResult:
    """复核意见: once served, the matter is 终结 and not accepted again on the same facts."""
    step = _begin(case, Action.ISSUE_RECHECK, actor)
    _check_opinion(opinion)
    organ = workflow.present(case.review_unit, "复查/复核机关")
    _move(step)
    facts = _facts(
        step,
        addressee=_petitioners(case),
        body=opinion.body,
        basis=opinion.basis,
        outcomes=list(opinion.outcomes),
    )
    return _finish(
        step,
        kind=EventKind.RECHECK_ISSUED,
        payload=opinion.as_json(),
        notices=[(NoticeKind.RECHECK_OPINION, organ, facts)],
    )


# --- 办结、终结 -----------------------------------------------------------------------------------


@transaction.atomic
def close_case(case: Case, *, actor: User, report: str = "") -> StepResult:
    """办结: the opinion is served. An assigned case reports back with a 办结报告."""
    step = _begin(case, Action.CLOSE, actor)
    assigned = case.assignment_due_on is not None
    report = _text(report, "办结情况", required=assigned)
    unit = workflow.present(case.handling_unit, "主办单位")
    _move(step, closed_on=step.today)
    notices = []
    if assigned:
        registering = case.registering_unit
        facts = _facts(
            step, addressee=registering.name, receiving_unit_name=registering.name, body=report
        )
        notices.append((NoticeKind.COMPLETION_REPORT, unit, facts))
    return _finish(step, kind=EventKind.CLOSED, payload={"report": report}, notices=notices)


def termination_reasons(case: Case) -> list[TerminationReason]:
    """The 终结 reasons the office offers (``XF_TERMINATION_REASONS``) that fit this case now;
    复核意见已送达 is recorded by the service step itself, never chosen."""
    offered = [
        TerminationReason(value)
        for value in settings.XF_TERMINATION_REASONS
        if value in TerminationReason.values and value != TerminationReason.RECHECK_SERVED
    ]
    if case.status == CaseStatus.IN_HANDLING:
        offered = [r for r in offered if r != TerminationReason.WINDOW_LAPSED]
    return offered


def _lapsed_window(case: Case) -> dt.date | None:
    if case.review_served_on is not None:
        return case.recheck_window_until
    return case.review_window_until


@transaction.atomic
def terminate_case(case: Case, *, actor: User, reason: TerminationReason, note: str) -> StepResult:
    """终结 for one of the configured reasons, with the facts that support it."""
    step = _begin(case, Action.TERMINATE, actor)
    if reason not in termination_reasons(case):
        raise ValidationError("请选择适用的终结事由。")
    note = _text(note, "终结说明")
    if reason == TerminationReason.WINDOW_LAPSED:
        until = _lapsed_window(case)
        if until is None or step.today <= until:
            shown = until.isoformat() if until else "尚未起算"
            raise ValidationError(f"申请期限（{shown}）尚未届满，不能以此事由终结。")
    _move(step, closed_on=step.today, termination_reason=reason)
    return _finish(
        step,
        kind=EventKind.TERMINATED,
        payload={"reason": str(reason), "reason_label": str(reason.label), "note": note},
    )


#: The service behind each action (the step view and the API dispatch through this).
SERVICES: dict[Action, Callable[..., StepResult]] = {
    Action.TRANSFER: transfer_case,
    Action.ASSIGN: assign_case,
    Action.SIGN: sign_case,
    Action.OBJECT: object_to_case,
    Action.ACCEPT: accept_case,
    Action.NOT_ACCEPT: not_accept_case,
    Action.NOT_REACCEPT: not_reaccept_case,
    Action.REQUEST_EXTENSION: request_extension,
    Action.APPROVE_EXTENSION: approve_extension,
    Action.REJECT_EXTENSION: reject_extension,
    Action.SUBMIT_DRAFT: submit_draft,
    Action.SEND_BACK: send_back_draft,
    Action.APPROVE_DRAFT: approve_draft,
    Action.RECORD_SERVICE: record_service,
    Action.REQUEST_REVIEW: request_review,
    Action.ISSUE_REVIEW: issue_review_opinion,
    Action.REQUEST_RECHECK: request_recheck,
    Action.START_HEARING: start_hearing,
    Action.END_HEARING: end_hearing,
    Action.ISSUE_RECHECK: issue_recheck_opinion,
    Action.CLOSE: close_case,
    Action.TERMINATE: terminate_case,
}
