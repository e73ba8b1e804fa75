"""The procedure of a case as a state machine (《信访工作条例》2022, DESIGN.md §3).

``TRANSITIONS`` is the whole table: (status, action) → (next status, who may act). Only
:func:`set_status` writes ``Case.status``; it checks the table, then writes with a conditional
UPDATE on (status, version), so of two identical submits the second fails cleanly. Every write
also stores the open step's due date, how it was computed, the unit that owes it and its
warning tier (:func:`deadline_of`); :func:`sweep_tiers` moves tiers along as days pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.enums import Role
from xinfang.cases import deadlines
from xinfang.cases.access import is_recused
from xinfang.cases.deadlines import Calendar, Limit, Step, due_date, warning_tier
from xinfang.cases.enums import (
    FINAL_STATUSES,
    CaseStatus,
    ClaimRoute,
    DeadlineTier,
    HandlingCategory,
)
from xinfang.cases.models import Case
from xinfang.cases.routing import accused_refusal, in_accused_subtree

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import Unit, User


_V = TypeVar("_V")


class Action(models.TextChoices):
    """What a person can do to a case; each is one service in ``steps.py``."""

    TRANSFER = "transfer", _("转送")
    ASSIGN = "assign", _("交办")
    SIGN = "sign", _("签收")
    OBJECT = "object", _("异议退回")
    ACCEPT = "accept", _("受理")
    NOT_ACCEPT = "not_accept", _("不予受理")
    NOT_REACCEPT = "not_reaccept", _("不再受理")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    REJECT_EXTENSION = "reject_extension", _("不予延期")
    SUBMIT_DRAFT = "submit_draft", _("提交处理意见送审")
    SEND_BACK = "send_back", _("退回修改")
    APPROVE_DRAFT = "approve_draft", _("审核通过，出具意见书")
    RECORD_SERVICE = "record_service", _("登记送达")
    REQUEST_REVIEW = "request_review", _("登记复查申请")
    ISSUE_REVIEW = "issue_review", _("出具复查意见")
    REQUEST_RECHECK = "request_recheck", _("登记复核申请")
    START_HEARING = "start_hearing", _("开始听证")
    END_HEARING = "end_hearing", _("结束听证")
    ISSUE_RECHECK = "issue_recheck", _("出具复核意见")
    CLOSE = "close", _("办结")
    TERMINATE = "terminate", _("终结")


class Party(Enum):
    """Who acts at a step: a set of roles, in (or above) one of the case's units."""

    OFFICE = "office"  # the registering petition office: 转送、自办受理、不予受理
    # The same office handing a case over with a result deadline (交办): its clerks and
    # handlers, and its 督查员, who also hand related cases over in batches (集中交办).
    ASSIGNER = "assigner"
    ORGAN = "organ"  # the handling organ's handlers
    ORGAN_HEAD = "organ_head"  # the handling organ's head: 批准延期 (第三十四条)
    ORGAN_REVIEWER = "organ_reviewer"  # the superior who reviews the draft opinion
    INTAKE = "intake"  # whoever receives a 复查/复核 request: the organ applied to, or the office
    REVIEW_ORGAN = "review_organ"  # the 复查/复核 organ


_PARTY_ROLES: Mapping[Party, frozenset[Role]] = MappingProxyType(
    {
        Party.OFFICE: frozenset({Role.CLERK, Role.HANDLER}),
        Party.ASSIGNER: frozenset({Role.CLERK, Role.HANDLER, Role.SUPERVISOR}),
        Party.ORGAN: frozenset({Role.HANDLER}),
        Party.ORGAN_HEAD: frozenset({Role.LEADER}),
        Party.ORGAN_REVIEWER: frozenset({Role.REVIEWER, Role.LEADER}),
        Party.INTAKE: frozenset({Role.CLERK, Role.HANDLER}),
        Party.REVIEW_ORGAN: frozenset({Role.HANDLER, Role.REVIEWER, Role.LEADER}),
    }
)


@dataclass(frozen=True)
class Transition:
    to: CaseStatus
    party: Party


S = CaseStatus
A = Action
_T = Transition

TRANSITIONS: Mapping[tuple[CaseStatus, Action], Transition] = MappingProxyType(
    {
        # 第二十二条: the office registers, then 转送 or 交办 (or handles it itself) within 15 days.
        (S.REGISTERED, A.TRANSFER): _T(S.TRANSFERRED, Party.OFFICE),
        (S.REGISTERED, A.ASSIGN): _T(S.ASSIGNED, Party.ASSIGNER),
        (S.REGISTERED, A.ACCEPT): _T(S.IN_HANDLING, Party.OFFICE),
        (S.REGISTERED, A.NOT_ACCEPT): _T(S.NOT_ACCEPTED, Party.OFFICE),
        (S.REGISTERED, A.NOT_REACCEPT): _T(S.NOT_REACCEPTED, Party.OFFICE),
        # 第二十三条: the competent organ signs and decides, or objects within 5 working days.
        (S.TRANSFERRED, A.SIGN): _T(S.RECEIVED, Party.ORGAN),
        (S.ASSIGNED, A.SIGN): _T(S.RECEIVED, Party.ORGAN),
        (S.TRANSFERRED, A.OBJECT): _T(S.REGISTERED, Party.ORGAN),
        (S.ASSIGNED, A.OBJECT): _T(S.REGISTERED, Party.ORGAN),
        (S.RECEIVED, A.OBJECT): _T(S.REGISTERED, Party.ORGAN),
        (S.RECEIVED, A.ACCEPT): _T(S.IN_HANDLING, Party.ORGAN),
        (S.RECEIVED, A.NOT_ACCEPT): _T(S.NOT_ACCEPTED, Party.ORGAN),
        (S.RECEIVED, A.NOT_REACCEPT): _T(S.NOT_REACCEPTED, Party.ORGAN),
        # 第三十四条: handling, one extension of at most 30 days with the head's approval.
        (S.IN_HANDLING, A.REQUEST_EXTENSION): _T(S.EXTENSION_REQUESTED, Party.ORGAN),
        (S.EXTENSION_REQUESTED, A.APPROVE_EXTENSION): _T(S.IN_HANDLING, Party.ORGAN_HEAD),
        (S.EXTENSION_REQUESTED, A.REJECT_EXTENSION): _T(S.IN_HANDLING, Party.ORGAN_HEAD),
        # 第三十二条: the draft 处理意见书 goes to a superior, back as often as needed.
        (S.IN_HANDLING, A.SUBMIT_DRAFT): _T(S.UNDER_REVIEW, Party.ORGAN),
        (S.UNDER_REVIEW, A.SEND_BACK): _T(S.IN_HANDLING, Party.ORGAN_REVIEWER),
        (S.UNDER_REVIEW, A.APPROVE_DRAFT): _T(S.REPLIED, Party.ORGAN_REVIEWER),
        (S.REPLIED, A.RECORD_SERVICE): _T(S.SERVED, Party.ORGAN),
        # 第三十五、三十六条: 复查 and 复核, each within 30 days of receiving the opinion.
        (S.SERVED, A.REQUEST_REVIEW): _T(S.REVIEW_REQUESTED, Party.INTAKE),
        (S.CLOSED, A.REQUEST_REVIEW): _T(S.REVIEW_REQUESTED, Party.INTAKE),
        (S.REVIEW_REQUESTED, A.ISSUE_REVIEW): _T(S.REVIEWED, Party.REVIEW_ORGAN),
        (S.REVIEWED, A.RECORD_SERVICE): _T(S.REVIEW_SERVED, Party.REVIEW_ORGAN),
        (S.REVIEW_SERVED, A.REQUEST_RECHECK): _T(S.RECHECK_REQUESTED, Party.INTAKE),
        (S.CLOSED, A.REQUEST_RECHECK): _T(S.RECHECK_REQUESTED, Party.INTAKE),
        (S.RECHECK_REQUESTED, A.START_HEARING): _T(S.RECHECK_HEARING, Party.REVIEW_ORGAN),
        (S.RECHECK_HEARING, A.END_HEARING): _T(S.RECHECK_REQUESTED, Party.REVIEW_ORGAN),
        (S.RECHECK_REQUESTED, A.ISSUE_RECHECK): _T(S.RECHECKED, Party.REVIEW_ORGAN),
        # 第三十六条第三款: once the 复核意见 is served the matter is 终结.
        (S.RECHECKED, A.RECORD_SERVICE): _T(S.TERMINATED, Party.REVIEW_ORGAN),
        # 办结 needs a served opinion; 终结 takes one of the configured reasons.
        (S.SERVED, A.CLOSE): _T(S.CLOSED, Party.ORGAN),
        (S.REVIEW_SERVED, A.CLOSE): _T(S.CLOSED, Party.ORGAN),
        (S.IN_HANDLING, A.TERMINATE): _T(S.TERMINATED, Party.ORGAN),
        (S.SERVED, A.TERMINATE): _T(S.TERMINATED, Party.ORGAN),
        (S.REVIEW_SERVED, A.TERMINATE): _T(S.TERMINATED, Party.ORGAN),
        (S.CLOSED, A.TERMINATE): _T(S.TERMINATED, Party.ORGAN),
    }
)

del S, A, _T

STALE_MESSAGE = "该信访事项已被他人处理或修改，请刷新页面查看最新状态。"


class ConcurrentChangeError(Exception):
    """The case moved on between reading it and writing (a double submit, or a colleague):
    views answer 409 "已被他人处理" and nothing is written."""

    def __init__(self, message: str = STALE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def present(value: _V | None, what: str) -> _V:
    """A key date or unit the current status implies; its absence is a data error, not input."""
    if value is None:
        raise ValueError(f"信访事项数据不一致：缺少{what}")
    return value


def illegal_transition(status: str, action: Action) -> ValidationError:
    label = CaseStatus(status).label
    return ValidationError(f"当前状态为“{label}”，不能进行“{action.label}”。")


def transition_for(status: str, action: Action) -> Transition:
    """The table row for this step; an illegal step raises ValidationError in Chinese."""
    try:
        return TRANSITIONS[(CaseStatus(status), action)]
    except (KeyError, ValueError):
        raise illegal_transition(status, action) from None


# --- who may act -----------------------------------------------------------------------------


def _within(unit: Unit | None, target_path: str | None) -> bool:
    """The actor's unit is the target unit or one above it (a superior acts for its subtree)."""
    return unit is not None and target_path is not None and target_path.startswith(unit.path)


def party_units(case: Case, party: Party) -> list[str | None]:
    """Materialised paths of the units whose staff act for ``party`` on this case."""
    registering = case.registering_unit.path
    handling = case.handling_unit.path if case.handling_unit else None
    review = case.review_unit.path if case.review_unit else None
    if party in (Party.OFFICE, Party.ASSIGNER):
        return [registering]
    if party is Party.INTAKE:
        return [review, registering]
    if party is Party.REVIEW_ORGAN:
        return [review]
    # A case the office accepted itself is handled by the office.
    return [handling or registering]


def may_act_as(user: User | AnonymousUser, case: Case, party: Party) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if not (user.roles & _PARTY_ROLES[party]):
        return False
    if is_recused(user, case):  # 回避 (第二十八条第三款): a declared interest bars every step
        return False
    return any(_within(user.unit, path) for path in party_units(case, party))


# --- guards that do not depend on what the person types -------------------------------------


def runs_handling_clock(case: Case) -> bool:
    """第三十四条's 60-day clock runs only for 申诉求决类 matters on route 6 (信访程序)."""
    return (
        case.handling_category == HandlingCategory.CLAIM and case.claim_route == ClaimRoute.PETITION
    )


def is_reviewable(case: Case) -> bool:
    """复查/复核 (第三十五、三十六条) lie against a 信访处理意见 on route 6."""
    return runs_handling_clock(case)


def objection_deadline(case: Case, calendar: Calendar) -> deadlines.Due | None:
    if case.transferred_on is None:
        return None
    return due_date(
        case.transferred_on,
        rules_of(case, calendar).limit(Step.OBJECTION),
        calendar=calendar,
        trigger_label="收到转送、交办日",
    )


def blocked_reason(case: Case, action: Action, *, today: dt.date, calendar: Calendar) -> str | None:
    """Why ``action`` cannot be taken now although the table allows it, or None."""
    if action in (Action.TRANSFER, Action.ASSIGN):
        if case.transfer_count >= settings.XF_MAX_TRANSFERS:
            return (
                f"该事项已转送、交办 {case.transfer_count} 次，达到上限"
                f"（{settings.XF_MAX_TRANSFERS} 次），不能再次转交。"
            )
    elif action == Action.OBJECT:
        limit = objection_deadline(case, calendar)
        if limit is not None and today > limit.date:
            return f"提出异议的期限（{limit.explanation}）已过，不能退回。"
    elif action == Action.REQUEST_EXTENSION:
        if not (runs_handling_clock(case) or case.assignment_due_on):
            return "本类事项不适用第三十四条的办理期限，无需申请延期。"
        if case.extension_days:
            return f"已延期 {case.extension_days} 日，办理期限只能延长一次。"
    elif action == Action.REQUEST_REVIEW:
        if not is_reviewable(case):
            return "只有申诉求决类按信访程序办理的事项可以申请复查。"
        if case.review_requested_on is not None:
            return "该事项已经复查，不能再次申请复查。"
        if case.review_window_until is None:
            return "处理意见书尚未登记送达，复查申请期限没有起算。"
    elif action == Action.REQUEST_RECHECK:
        if case.review_served_on is None or case.recheck_window_until is None:
            return "复查意见书尚未登记送达，不能申请复核。"
        if case.recheck_requested_on is not None:
            return "该事项已经复核，不能再次申请复核。"
    elif action == Action.CLOSE and case.served_on is None:
        return "处理意见书尚未送达，不能办结。"
    elif action in (Action.ACCEPT, Action.NOT_ACCEPT, Action.NOT_REACCEPT):
        # 第三十条、第四十六条: the accused unit never decides on a complaint against itself;
        # an office inside it forwards the matter (转送/交办) instead.
        accused = case.accused_unit
        deciding = case.handling_unit or case.registering_unit
        if accused is not None and in_accused_subtree(accused, deciding):
            return accused_refusal(accused)
    return None


def available_actions(
    user: User | AnonymousUser, case: Case, *, today: dt.date | None = None
) -> list[Action]:
    """The steps this user may take on this case now, in table order (what the case page
    offers; services check the same things again)."""
    today = today or timezone.localdate()
    calendar = Calendar()
    actions = []
    for (status, action), transition in TRANSITIONS.items():
        if status != case.status or not may_act_as(user, case, transition.party):
            continue
        if blocked_reason(case, action, today=today, calendar=calendar) is None:
            actions.append(action)
    return actions


def check_step(
    case: Case, action: Action, actor: User, *, today: dt.date, calendar: Calendar
) -> Transition:
    """Everything a service checks before it writes: the table, the party, the guards."""
    transition = transition_for(case.status, action)
    if not may_act_as(actor, case, transition.party):
        raise PermissionDenied(f"您无权对该事项进行“{action.label}”。")
    reason = blocked_reason(case, action, today=today, calendar=calendar)
    if reason is not None:
        raise ValidationError(reason)
    return transition


# --- deadlines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """The open step's due date as stored on the case (None: no running clock)."""

    due_on: dt.date | None
    step: str = ""
    explanation: str = ""
    provisional: bool = False


NO_CLOCK = Deadline(None)


def rules_of(case: Case, calendar: Calendar | None = None) -> deadlines.RuleSetData:
    cache = calendar.rule_sets if calendar is not None else None
    return deadlines.rule_set_by_key(case.rule_set_key, cache)


def _due(
    case: Case, step: Step, start: dt.date, label: str, calendar: Calendar, **kwargs: Any
) -> Deadline:
    rules = rules_of(case, calendar)
    due = due_date(
        start,
        rules.limit(step),
        calendar=calendar,
        roll_forward=rules.roll_forward,
        trigger_label=label,
        **kwargs,
    )
    return Deadline(due.date, str(step), due.explanation, due.provisional)


def _extended(case: Case, base: Deadline, calendar: Calendar) -> Deadline:
    if not case.extension_days or base.due_on is None:
        return base
    more = due_date(
        base.due_on,
        Limit(case.extension_days),
        calendar=calendar,
        roll_forward=rules_of(case, calendar).roll_forward,
        trigger_label="原期限",
    )
    explanation = f"{base.explanation}；经批准延长：{more.explanation}"
    return Deadline(more.date, base.step, explanation, base.provisional or more.provisional)


def _handling(case: Case, calendar: Calendar) -> Deadline:
    if case.assignment_due_on is not None:
        base = Deadline(
            case.assignment_due_on,
            "assignment",
            f"交办单规定于{case.assignment_due_on.isoformat()}前办结并报送办结报告",
        )
        return _extended(case, base, calendar)
    if runs_handling_clock(case) and case.accepted_on is not None:
        base = _due(case, Step.HANDLING, case.accepted_on, "受理日", calendar)
        return _extended(case, base, calendar)
    return Deadline(None, "", "本类事项不适用第三十四条的60日办理期限")


def deadline_of(case: Case, calendar: Calendar) -> Deadline:
    """The due date of the step the case now waits for, computed from its stored key dates."""
    status = case.status
    if status == CaseStatus.REGISTERED:
        return _due(case, Step.REGISTER_FORWARD, case.received_on, "收到日", calendar)
    if status in (CaseStatus.TRANSFERRED, CaseStatus.ASSIGNED, CaseStatus.RECEIVED):
        start = present(case.transferred_on, "转送日期")
        return _due(case, Step.ACCEPTANCE_NOTICE, start, "收到转送、交办日", calendar)
    if status in (
        CaseStatus.IN_HANDLING,
        CaseStatus.EXTENSION_REQUESTED,
        CaseStatus.UNDER_REVIEW,
    ):
        return _handling(case, calendar)
    if status in (CaseStatus.REPLIED, CaseStatus.SERVED) and case.assignment_due_on:
        return _handling(case, calendar)  # the 办结报告 is still owed to the office
    if status == CaseStatus.REVIEW_REQUESTED:
        start = present(case.review_requested_on, "复查申请日期")
        return _due(case, Step.REVIEW_OPINION, start, "收到复查申请日", calendar)
    if status == CaseStatus.RECHECK_REQUESTED:
        start = present(case.recheck_requested_on, "复核申请日期")
        pauses = (
            [(start + dt.timedelta(days=1), start + dt.timedelta(days=case.paused_days))]
            if case.paused_days
            else []
        )
        return _due(case, Step.RECHECK_OPINION, start, "收到复核申请日", calendar, pauses=pauses)
    if status == CaseStatus.RECHECK_HEARING:
        return Deadline(None, str(Step.RECHECK_OPINION), "听证期间不计入复核期限，期限中止")
    return NO_CLOCK


def responsible_unit_id(case: Case) -> int | None:
    """The unit that owes the next step (the desk and "my due soon" read this column)."""
    status = case.status
    if status == CaseStatus.REGISTERED:
        return case.registering_unit_id
    if status in (
        CaseStatus.REVIEW_REQUESTED,
        CaseStatus.REVIEWED,
        CaseStatus.RECHECK_REQUESTED,
        CaseStatus.RECHECK_HEARING,
        CaseStatus.RECHECKED,
    ):
        return case.review_unit_id
    if status == CaseStatus.CLOSED or status in FINAL_STATUSES:
        return None
    return case.handling_unit_id or case.registering_unit_id


def tier_of(due_on: dt.date | None, today: dt.date) -> DeadlineTier:
    if due_on is None:
        return DeadlineTier.NORMAL
    return warning_tier(
        due_on,
        today,
        near_days=settings.XF_DUE_NEAR_DAYS,
        severe_days=settings.XF_DUE_SEVERE_DAYS,
    )


def deadline_columns(case: Case, *, today: dt.date, calendar: Calendar) -> dict[str, object]:
    """The stored deadline columns for the case as it is in memory."""
    deadline = deadline_of(case, calendar)
    return {
        "due_on": deadline.due_on,
        "due_step": deadline.step,
        "due_explanation": deadline.explanation[:300],
        "due_provisional": deadline.provisional,
        "tier": tier_of(deadline.due_on, today),
        "responsible_unit_id": responsible_unit_id(case),
    }


def set_status(
    case: Case,
    *,
    action: Action,
    changes: Mapping[str, object],
    today: dt.date,
    calendar: Calendar,
) -> Transition:
    """The one writer of ``Case.status``: moves the case along the table row for ``action``,
    writes ``changes`` (key dates, units) and the recomputed deadline columns in one
    conditional UPDATE on the status and version the caller read. Raises ValidationError for
    a step the table does not allow and ConcurrentChangeError when the row moved on meanwhile.
    Call inside the service's transaction; the caller has checked who acts."""
    transition = transition_for(case.status, action)
    read_status, read_version = case.status, case.version
    for name, value in changes.items():
        setattr(case, name, value)
    case.status = transition.to
    columns = {**changes, **deadline_columns(case, today=today, calendar=calendar)}
    written = Case.objects.filter(pk=case.pk, status=read_status, version=read_version).update(
        status=transition.to, version=F("version") + 1, updated_at=timezone.now(), **columns
    )
    if written != 1:
        raise ConcurrentChangeError()
    for name, value in columns.items():
        setattr(case, name, value)
    case.version = read_version + 1
    return transition


def refresh_deadline(case: Case, *, today: dt.date | None = None) -> None:
    """Recompute and store the deadline columns without changing the status (registration,
    a calendar change, a rule fix). Conditional on the version it read; a case that moved on
    meanwhile already has fresh columns."""
    today = today or timezone.localdate()
    columns = deadline_columns(case, today=today, calendar=Calendar())
    Case.objects.filter(pk=case.pk, version=case.version).update(**columns)
    for name, value in columns.items():
        setattr(case, name, value)


def recompute_deadlines(cases: models.QuerySet[Case], *, today: dt.date | None = None) -> int:
    """Recompute the stored due dates of these cases (after the calendar or a rule set
    changed); returns how many changed. One calendar for the whole run."""
    today = today or timezone.localdate()
    calendar = Calendar()
    changed = 0
    for case in cases.select_related("registering_unit").iterator(chunk_size=2000):
        columns = deadline_columns(case, today=today, calendar=calendar)
        if any(getattr(case, name) != value for name, value in columns.items()):
            changed += Case.objects.filter(pk=case.pk, version=case.version).update(**columns)
    return changed


def sweep_tiers(today: dt.date | None = None) -> int:
    """Move warning tiers along as days pass: four set-based UPDATEs over the due-date index,
    each touching only rows whose tier is wrong for today. Returns the rows changed."""
    today = today or timezone.localdate()
    near = today + dt.timedelta(days=settings.XF_DUE_NEAR_DAYS)
    severe = today - dt.timedelta(days=settings.XF_DUE_SEVERE_DAYS)
    bands = [
        (DeadlineTier.NORMAL, Q(due_on__isnull=True) | Q(due_on__gt=near)),
        (DeadlineTier.NEAR, Q(due_on__gte=today, due_on__lte=near)),
        (DeadlineTier.OVERDUE, Q(due_on__lt=today, due_on__gte=severe)),
        (DeadlineTier.SEVERE, Q(due_on__lt=severe)),
    ]
    changed = 0
    for tier, band in bands:
        if tier == DeadlineTier.NORMAL:
            # Only rows already flagged can be wrongly flagged; walk them by (tier, due_on).
            rows = Case.objects.filter(tier__in=[t for t, _ in bands[1:]]).filter(band)
        else:
            rows = Case.objects.filter(band).exclude(tier=tier)
        changed += rows.update(tier=tier)
    return changed
