"""Writes for supervision: one function per operation — typed, keyword-only, atomic, audited.

督办单 (条例第四十条): :func:`issue_order` by hand, :func:`raise_rule_order` by the nightly
rules (``xinfang.supervision.triggers``); the unit answers (:func:`answer_order`), the
supervising side accepts (:func:`accept_answer`) or sends the answer back
(:func:`send_back_answer`). 挂牌督办: :func:`list_case` / :func:`delist_case`. 领导包案
(第十八条): :func:`take_case` / :func:`release_case`. :func:`add_instruction` (批示) and
:func:`send_reminder` (催办). None of them changes a case's status: supervision presses the
organ that owes the step; the step itself is still taken through ``xinfang.cases.steps``.
Notifications are queued on commit (``notifications.notify``).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Unit, User
from xinfang.audit.services import record
from xinfang.cases import workflow
from xinfang.cases.deadlines import Calendar, Due, Limit, due_date
from xinfang.cases.enums import FINAL_STATUSES, CaseStatus
from xinfang.cases.models import Case
from xinfang.cases.queries import cases_visible_to
from xinfang.cases.services import next_number
from xinfang.supervision.enums import (
    DirectiveKind,
    ListingStatus,
    NotificationKind,
    OrderStatus,
    ResponseKind,
    Trigger,
)
from xinfang.supervision.models import (
    Directive,
    LeaderCase,
    Listing,
    Notification,
    OrderResponse,
    SupervisionOrder,
)
from xinfang.supervision.notifications import Notice, case_notice, notify

MAX_TEXT = 5000
MAX_DAYS_AHEAD = 366
STALE_MESSAGE = "该督办单已被他人处理，请刷新页面查看最新状态。"
# A 挂牌 name is read by every member of staff: no ID number, no phone number in it.
_PERSONAL_NUMBER = re.compile(r"\d{17}[\dXx]|1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")


class StaleOrderError(Exception):
    """The order moved on between reading and writing (a double submit or a colleague)."""

    def __init__(self, message: str = STALE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


# --- checks shared by the operations -----------------------------------------------------------


def _text(value: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}。")
    if len(value) > limit:
        raise ValidationError(f"{label}不能超过 {limit} 字。")
    return value


def _unit_of(actor: User) -> Unit:
    if actor.unit is None:
        raise PermissionDenied("您的账号没有所属单位，不能办理督办事项。")
    return actor.unit


def _check_sees(actor: User, case: Case) -> None:
    """The case is in the actor's scope (views answer 404 before this; services re-check)."""
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied("该信访事项不在您的工作范围内。")


def is_open(case: Case) -> bool:
    return case.status != CaseStatus.CLOSED and case.status not in FINAL_STATUSES


def _check_open(case: Case) -> None:
    if not is_open(case):
        raise ValidationError(f"该事项{CaseStatus(case.status).label}，无需督办。")


def owing_unit(case: Case) -> Unit | None:
    """The unit a 督办单 or 催办 goes to: the one that owes the next step, else the 主办单位."""
    return case.responsible_unit or case.handling_unit


def _target(case: Case, actor_unit: Unit) -> Unit:
    unit = owing_unit(case)
    if unit is None:
        raise ValidationError("该事项当前没有责任单位，无法督办或催办。")
    if unit.pk == actor_unit.pk:
        raise ValidationError("该事项当前由本单位办理，不能向本单位督办或催办。")
    return unit


def answer_due(case: Case, start: dt.date, calendar: Calendar | None = None) -> Due:
    """The written answer's due date: ``XF_SUPERVISION_ANSWER_DAYS`` (30 日, 第四十条) from
    ``start``, rolled forward over rest days as the case's rule set says, with its
    explanation ("督办日2026-09-20；30日→10-20")."""
    calendar = calendar or Calendar()
    return due_date(
        start,
        Limit(settings.XF_SUPERVISION_ANSWER_DAYS),
        calendar=calendar,
        roll_forward=workflow.rules_of(case, calendar).roll_forward,
        trigger_label="督办日",
    )


def _chosen_due(case: Case, due_on: dt.date | None, today: dt.date) -> Due:
    if due_on is None:
        return answer_due(case, today)
    if due_on <= today:
        raise ValidationError("答复期限必须晚于今天。")
    if (due_on - today).days > MAX_DAYS_AHEAD:
        raise ValidationError(f"答复期限不能超过 {MAX_DAYS_AHEAD} 日。")
    return Due(due_on, False, f"督办单指定于{due_on.isoformat()}前书面答复")


def _number(unit: Unit, mark: str, year: int) -> str:
    return f"{unit.code}{mark}〔{year}〕{next_number(f'supervision:{mark}:{unit.code}:{year}')}号"


def _order_url(order: SupervisionOrder) -> str:
    return reverse("supervision:order", args=[order.pk])


def _order_notice(kind: NotificationKind, order: SupervisionOrder) -> Notice:
    return Notice(
        kind=str(kind),
        text=f"{kind.label}：{order.number}（{order.case.number} {order.case.title}）"[:300],
        url=_order_url(order),
        case_id=order.case_id,
        order_id=order.pk,
    )


# --- 督办单 --------------------------------------------------------------------------------------


def _create_order(
    case: Case,
    *,
    trigger: Trigger,
    issued_to: Unit,
    issuing_unit: Unit,
    issued_by: User | None,
    requirement: str,
    today: dt.date,
    due: Due,
) -> SupervisionOrder:
    order = SupervisionOrder.objects.create(
        number=_number(issuing_unit, "督", today.year),
        case=case,
        trigger=trigger,
        issued_to=issued_to,
        issuing_unit=issuing_unit,
        issued_by=issued_by,
        requirement=requirement,
        issued_on=today,
        due_on=due.date,
        due_explanation=due.explanation[:300],
        due_provisional=due.provisional,
    )
    record(
        "supervision.issue",
        actor=issued_by,
        target=order,
        object_id=order.number,
        detail={
            "case": case.number,
            "trigger": str(trigger),
            "issued_to": issued_to.code,
            "due_on": due.date.isoformat(),
        },
    )
    notify(
        _order_notice(NotificationKind.ORDER_ISSUED, order),
        unit_id=issued_to.pk,
        exclude_user_id=issued_by.pk if issued_by else None,
    )
    return order


@transaction.atomic
def issue_order(
    case: Case, *, actor: User, requirement: str, due_on: dt.date | None = None
) -> SupervisionOrder:
    """督办 by hand: to the unit that owes the next step, with the requirement and the date
    of the written answer (default ``XF_SUPERVISION_ANSWER_DAYS`` from today)."""
    if not rules.can_supervise(actor):
        raise PermissionDenied("只有督查员或领导可以发起督办。")
    actor_unit = _unit_of(actor)
    _check_sees(actor, case)
    _check_open(case)
    issued_to = _target(case, actor_unit)
    requirement = _text(requirement, "督办要求")
    today = timezone.localdate()
    due = _chosen_due(case, due_on, today)
    return _create_order(
        case,
        trigger=Trigger.MANUAL,
        issued_to=issued_to,
        issuing_unit=actor_unit,
        issued_by=actor,
        requirement=requirement,
        today=today,
        due=due,
    )


def raise_rule_order(
    case: Case, *, trigger: Trigger, requirement: str, today: dt.date, calendar: Calendar
) -> SupervisionOrder | None:
    """督办 raised by a nightly rule, in the name of the petition office that registered the
    case; None when an order for this case and trigger is still pending (the partial unique
    constraint decides, so two sweeps at once cannot both raise one)."""
    if trigger == Trigger.MANUAL:
        raise ValueError("rule orders need a rule trigger")
    issued_to = owing_unit(case)
    if issued_to is None or not is_open(case):
        return None
    try:
        with transaction.atomic():
            return _create_order(
                case,
                trigger=trigger,
                issued_to=issued_to,
                issuing_unit=case.registering_unit,
                issued_by=None,
                requirement=requirement,
                today=today,
                due=answer_due(case, today, calendar),
            )
    except IntegrityError:
        return None


def _advance(order: SupervisionOrder, expected: OrderStatus, **changes: object) -> None:
    """Conditional UPDATE on the status and version read: a double submit fails cleanly."""
    written = SupervisionOrder.objects.filter(
        pk=order.pk, status=expected, version=order.version
    ).update(version=F("version") + 1, **changes)
    if written != 1:
        raise StaleOrderError()
    for name, value in changes.items():
        setattr(order, name, value)
    order.version += 1


def _respond(
    order: SupervisionOrder, kind: ResponseKind, actor: User, text: str, due_on: dt.date | None
) -> OrderResponse:
    return OrderResponse.objects.create(
        order=order,
        kind=kind,
        text=text,
        actor=actor,
        actor_unit=_unit_of(actor),
        occurred_at=timezone.now(),
        due_on=due_on,
    )


def may_answer(order: SupervisionOrder, user: User) -> bool:
    """A handler or leader of exactly the unit the order went to."""
    return rules.can_answer_supervision(user) and user.unit_id == order.issued_to_id


def may_review(order: SupervisionOrder, user: User) -> bool:
    """A 督查员 or leader of the issuing unit or a unit above it."""
    unit = user.unit
    return (
        rules.can_supervise(user)
        and unit is not None
        and order.issuing_unit.path.startswith(unit.path)
    )


@transaction.atomic
def answer_order(order: SupervisionOrder, *, actor: User, text: str) -> OrderResponse:
    """书面答复: a handler or leader of the unit the order went to answers in writing."""
    if not may_answer(order, actor):
        raise PermissionDenied("只有被督办单位的承办人或领导可以答复督办单。")
    if order.status != OrderStatus.OPEN:
        raise ValidationError(f"该督办单{OrderStatus(order.status).label}，不能再次答复。")
    text = _text(text, "答复内容")
    _advance(order, OrderStatus.OPEN, status=OrderStatus.ANSWERED, answered_at=timezone.now())
    response = _respond(order, ResponseKind.ANSWER, actor, text, None)
    record(
        "supervision.answer",
        actor=actor,
        target=order,
        object_id=order.number,
        detail={"case": order.case.number, "length": len(text)},
    )
    notify(
        _order_notice(NotificationKind.ORDER_ANSWERED, order),
        unit_id=order.issuing_unit_id,
        user_ids=[order.issued_by_id] if order.issued_by_id else [],
        exclude_user_id=actor.pk,
    )
    return response


def _check_closer(order: SupervisionOrder, actor: User) -> None:
    if not may_review(order, actor):
        raise PermissionDenied("只有督办单位的督查员或领导可以审核答复。")
    if order.status != OrderStatus.ANSWERED:
        raise ValidationError(f"该督办单{OrderStatus(order.status).label}，不能审核。")


@transaction.atomic
def accept_answer(order: SupervisionOrder, *, actor: User, comment: str = "") -> OrderResponse:
    """认可答复: the supervising side accepts the written answer; the order is closed."""
    _check_closer(order, actor)
    comment = _text(comment, "审核意见", required=False)
    _advance(order, OrderStatus.ANSWERED, status=OrderStatus.CLOSED, closed_at=timezone.now())
    response = _respond(order, ResponseKind.ACCEPTED, actor, comment, None)
    record(
        "supervision.accept",
        actor=actor,
        target=order,
        object_id=order.number,
        detail={"case": order.case.number},
    )
    notify(
        _order_notice(NotificationKind.ORDER_CLOSED, order),
        unit_id=order.issued_to_id,
        exclude_user_id=actor.pk,
    )
    return response


@transaction.atomic
def send_back_answer(order: SupervisionOrder, *, actor: User, comment: str) -> OrderResponse:
    """退回重新答复: the answer does not meet the requirement; the unit answers again within
    a fresh answer period counted from today."""
    _check_closer(order, actor)
    comment = _text(comment, "退回理由")
    today = timezone.localdate()
    due = answer_due(order.case, today)
    _advance(
        order,
        OrderStatus.ANSWERED,
        status=OrderStatus.OPEN,
        rounds=order.rounds + 1,
        due_on=due.date,
        due_explanation=f"退回重新答复：{due.explanation}"[:300],
        due_provisional=due.provisional,
    )
    response = _respond(order, ResponseKind.SENT_BACK, actor, comment, due.date)
    record(
        "supervision.send_back",
        actor=actor,
        target=order,
        object_id=order.number,
        detail={"case": order.case.number, "due_on": due.date.isoformat()},
    )
    notify(
        _order_notice(NotificationKind.ORDER_SENT_BACK, order),
        unit_id=order.issued_to_id,
        exclude_user_id=actor.pk,
    )
    return response


# --- 批示、催办 -----------------------------------------------------------------------------------


def _directive(
    case: Case, kind: DirectiveKind, actor: User, text: str, to: Unit | None
) -> Directive:
    directive = Directive.objects.create(
        case=case,
        kind=kind,
        text=text,
        author=actor,
        author_unit=_unit_of(actor),
        addressed_to=to,
        created_at=timezone.now(),
    )
    record(
        f"supervision.{kind}",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={"to": to.code if to else "", "length": len(text)},
    )
    if to is not None:
        notice_kind = (
            NotificationKind.INSTRUCTION
            if kind == DirectiveKind.INSTRUCTION
            else NotificationKind.REMINDER
        )
        notify(case_notice(notice_kind, case), unit_id=to.pk, exclude_user_id=actor.pk)
    return directive


@transaction.atomic
def add_instruction(case: Case, *, actor: User, text: str) -> Directive:
    """领导批示 on a case in the leader's scope, sent to the unit that owes the next step (the
    主办单位 once none does); kept without an addressee when that is the leader's own unit."""
    if not rules.can_instruct(actor):
        raise PermissionDenied("只有领导可以作出批示。")
    _check_sees(actor, case)
    text = _text(text, "批示内容")
    unit = owing_unit(case)
    to = unit if unit is not None and unit.pk != _unit_of(actor).pk else None
    return _directive(case, DirectiveKind.INSTRUCTION, actor, text, to)


@transaction.atomic
def send_reminder(case: Case, *, actor: User, text: str) -> Directive:
    """催办: press the unit that owes the next step of an open case."""
    if not rules.can_supervise(actor):
        raise PermissionDenied("只有督查员或领导可以催办。")
    _check_sees(actor, case)
    _check_open(case)
    to = _target(case, _unit_of(actor))
    text = _text(text, "催办内容")
    return _directive(case, DirectiveKind.REMINDER, actor, text, to)


# --- 挂牌督办 ------------------------------------------------------------------------------------


def leader_choices(actor_unit: Unit) -> list[User]:
    """Who may be named responsible leader: active leaders in the supervisor's subtree."""
    return list(
        User.objects.filter(
            is_active=True,
            role_grants__role=Role.LEADER,
            unit__path__startswith=actor_unit.path,
        )
        .select_related("unit")
        .order_by("unit__path", "full_name")
        .distinct()
    )


@transaction.atomic
def list_case(case: Case, *, actor: User, name: str, leader: User, deadline: dt.date) -> Listing:
    """挂牌督办: put an open case on the staff-wide list under ``name``, with a responsible
    leader and a deadline. The name is public to staff: it may not carry an ID or phone
    number."""
    if not rules.can_supervise(actor):
        raise PermissionDenied("只有督查员或领导可以挂牌督办。")
    actor_unit = _unit_of(actor)
    _check_sees(actor, case)
    _check_open(case)
    name = _text(name, "挂牌名称", limit=100)
    if _PERSONAL_NUMBER.search(name):
        raise ValidationError("挂牌名称向全体工作人员公开，不能包含身份证号码或电话号码。")
    if leader.pk not in {person.pk for person in leader_choices(actor_unit)}:
        raise ValidationError("责任领导须为本单位或下级单位在岗的领导。")
    today = timezone.localdate()
    if deadline <= today:
        raise ValidationError("办结时限必须晚于今天。")
    if (deadline - today).days > MAX_DAYS_AHEAD:
        raise ValidationError(f"办结时限不能超过 {MAX_DAYS_AHEAD} 日。")
    if Listing.objects.filter(case=case, status=ListingStatus.LISTED).exists():
        raise ValidationError("该事项已在挂牌督办。")
    listing = Listing.objects.create(
        number=_number(actor_unit, "挂", today.year),
        case=case,
        name=name,
        leader=leader,
        deadline=deadline,
        listed_by=actor,
        listed_on=today,
    )
    record(
        "supervision.list",
        actor=actor,
        target=listing,
        object_id=listing.number,
        detail={"case": case.number, "leader": leader.username, "deadline": deadline.isoformat()},
    )
    notice = case_notice(NotificationKind.LISTED, case, f"责任领导 {leader}，时限 {deadline}")
    unit = owing_unit(case)
    notify(
        notice,
        unit_id=unit.pk if unit else None,
        user_ids=[leader.pk],
        exclude_user_id=actor.pk,
    )
    return listing


@transaction.atomic
def delist_case(listing: Listing, *, actor: User, note: str) -> Listing:
    """摘牌: the listed matter is resolved (or listing it is no longer warranted)."""
    if not rules.can_supervise(actor):
        raise PermissionDenied("只有督查员或领导可以摘牌。")
    _check_sees(actor, listing.case)
    note = _text(note, "摘牌说明", limit=500)
    today = timezone.localdate()
    written = Listing.objects.filter(pk=listing.pk, status=ListingStatus.LISTED).update(
        status=ListingStatus.DELISTED, delisted_by=actor, delisted_on=today, delist_note=note
    )
    if written != 1:
        raise ValidationError("该事项已摘牌。")
    listing.status, listing.delisted_on, listing.delist_note = ListingStatus.DELISTED, today, note
    listing.delisted_by = actor
    record(
        "supervision.delist",
        actor=actor,
        target=listing,
        object_id=listing.number,
        detail={"case": listing.case.number},
    )
    return listing


# --- 领导包案 ------------------------------------------------------------------------------------


@transaction.atomic
def take_case(case: Case, *, actor: User, note: str = "") -> LeaderCase:
    """领导包案: the leader takes personal charge of an open case in their scope; it appears
    in "我的包案" and counts towards 领导包案化解率."""
    if not rules.can_take_cases(actor):
        raise PermissionDenied("只有领导可以包案。")
    _check_sees(actor, case)
    _check_open(case)
    note = _text(note, "包案说明", required=False, limit=500)
    current = LeaderCase.objects.filter(case=case, released_on__isnull=True).first()
    if current is not None:
        raise ValidationError(f"该事项已由{current.leader}包案。")
    try:
        with transaction.atomic():
            taken = LeaderCase.objects.create(
                case=case, leader=actor, taken_on=timezone.localdate(), note=note
            )
    except IntegrityError:
        raise ValidationError("该事项已由其他领导包案。") from None
    record("supervision.take", actor=actor, target=case, object_id=case.number, detail={})
    return taken


@transaction.atomic
def release_case(taken: LeaderCase, *, actor: User, note: str) -> LeaderCase:
    """结束包案: the leader hands the case back (the count of cases taken keeps it)."""
    if not rules.can_take_cases(actor) or taken.leader_id != actor.pk:
        raise PermissionDenied("只有包案领导本人可以结束包案。")
    note = _text(note, "结束说明", limit=500)
    today = timezone.localdate()
    written = LeaderCase.objects.filter(pk=taken.pk, released_on__isnull=True).update(
        released_on=today, release_note=note
    )
    if written != 1:
        raise ValidationError("该包案已结束。")
    taken.released_on, taken.release_note = today, note
    record(
        "supervision.release",
        actor=actor,
        target=taken.case,
        object_id=taken.case.number,
        detail={"length": len(note)},
    )
    return taken


# --- notifications ------------------------------------------------------------------------------


def mark_read(notification: Notification, *, actor: User) -> None:
    """Reading one's own notice. Not a business operation on a case (like the keep-alive),
    so no audit line: the audit trail records what was done to matters, not what was read
    in one's own inbox."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
