"""The nightly 督办 rules (条例第四十条): which open cases get a 督办单 without anyone asking.

Each rule is a query over stored columns (never a per-case computation of deadlines) that
leaves out the cases that already have a pending rule order (of any trigger: the unit answers
one rule order per case at a time, and the rules run in order of gravity — overdue, not
executed, sent back, no feedback — so the most serious reason is the one raised), and those
whose last rule order was closed less than ``XF_SUPERVISION_ANSWER_DAYS`` ago (a quiet
period: the unit has just answered, and is given the same time again before a rule presses
anew). Manual orders neither block nor are blocked. The rules supervise organs, never
the office's own desk: a step the registering office itself owes (registration, a 复核 it
decides) is on its own 待办期限 list instead.

- **overdue** (受理、办理超期): the stored warning tier is 超期 or 严重超期.
- **no_feedback** (久拖不办): the unit has had the case for ``XF_SUPERVISION_NO_FEEDBACK_DAYS``
  (30) days or more and none of its staff wrote anything on the timeline in that time.
- **not_executed** (处理意见未落实): a served opinion (or 复查意见) supports at least one request
  (予以支持) and the case is not closed ``XF_SUPERVISION_EXECUTION_DAYS`` (60) days after
  service: the 30-day 复查 window plus 30 days to carry the opinion out and report 办结.
- **sent_back** (多次退回): the draft opinion was sent back ``XF_SUPERVISION_SEND_BACKS`` (2)
  times or more and the case is still before an issued opinion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from xinfang.cases import workflow
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import CaseStatus, DeadlineTier, EventKind
from xinfang.cases.models import Case, CaseEvent
from xinfang.documents.enums import Outcome
from xinfang.supervision.enums import PENDING_STATUSES, Trigger
from xinfang.supervision.models import SupervisionOrder
from xinfang.supervision.services import raise_rule_order

S = CaseStatus

#: Steps during which the unit is expected to be visibly at work.
NO_FEEDBACK_HANDLING = (
    S.TRANSFERRED,
    S.ASSIGNED,
    S.RECEIVED,
    S.IN_HANDLING,
    S.EXTENSION_REQUESTED,
    S.UNDER_REVIEW,
    S.REPLIED,
)
BEFORE_OPINION = (S.IN_HANDLING, S.EXTENSION_REQUESTED, S.UNDER_REVIEW)


@dataclass(frozen=True)
class Candidate:
    case: Case
    requirement: str


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _supervisable(trigger: Trigger, today: dt.date) -> QuerySet[Case]:
    """Open cases owed by an organ other than the registering office, with no pending rule
    order and none closed within the quiet period (``trigger`` is the caller's; the partial
    unique constraint guards the same trigger in the database)."""
    quiet = _start_of(today - dt.timedelta(days=settings.XF_SUPERVISION_ANSWER_DAYS))
    orders = SupervisionOrder.objects.filter(case=OuterRef("pk")).exclude(trigger=Trigger.MANUAL)
    return (
        Case.objects.filter(responsible_unit__isnull=False)
        .exclude(responsible_unit_id=F("registering_unit_id"))
        .exclude(Exists(orders.filter(status__in=PENDING_STATUSES)))
        .exclude(Exists(orders.filter(closed_at__gte=quiet)))
        .select_related("registering_unit", "responsible_unit", "handling_unit")
    )


def _overdue(today: dt.date) -> Iterator[Candidate]:
    rows = _supervisable(Trigger.OVERDUE, today).filter(
        tier__in=[DeadlineTier.OVERDUE, DeadlineTier.SEVERE]
    )
    for case in rows.order_by("due_on", "pk").iterator(chunk_size=500):
        late = (today - case.due_on).days if case.due_on else 0
        yield Candidate(
            case,
            f"该事项{case.due_explanation or '办理期限'}，已超过期限 {late} 日"
            f"（{case.get_tier_display()}）。请立即依法办理，并书面答复超期原因、"
            "目前进展和办结时间（《信访工作条例》第四十条）。",
        )


def _no_feedback(today: dt.date) -> Iterator[Candidate]:
    days = settings.XF_SUPERVISION_NO_FEEDBACK_DAYS
    cutoff = today - dt.timedelta(days=days)
    own_entries = CaseEvent.objects.filter(
        case=OuterRef("pk"),
        occurred_at__gte=_start_of(cutoff),
        actor__unit__path__startswith=OuterRef("responsible_unit__path"),
    )
    since = (
        Q(status__in=NO_FEEDBACK_HANDLING, transferred_on__lte=cutoff)
        | Q(status=S.REVIEW_REQUESTED, review_requested_on__lte=cutoff)
        | Q(status=S.RECHECK_REQUESTED, recheck_requested_on__lte=cutoff)
    )
    rows = _supervisable(Trigger.NO_FEEDBACK, today).filter(since).exclude(Exists(own_entries))
    for case in rows.order_by("pk").iterator(chunk_size=500):
        yield Candidate(
            case,
            f"该事项已交由贵单位办理，{days} 日以上没有任何办理记录。请抓紧办理，"
            "并书面答复办理进展、存在的困难和办结时间（《信访工作条例》第四十条）。",
        )


def _supports(opinion: object) -> bool:
    outcomes = opinion.get("outcomes") if isinstance(opinion, dict) else None
    return isinstance(outcomes, list) and any(
        isinstance(item, dict) and item.get("outcome") == Outcome.SUPPORT for item in outcomes
    )


def _not_executed(today: dt.date) -> Iterator[Candidate]:
    days = settings.XF_SUPERVISION_EXECUTION_DAYS
    cutoff = today - dt.timedelta(days=days)
    rows = _supervisable(Trigger.NOT_EXECUTED, today).filter(
        Q(status=S.SERVED, served_on__lte=cutoff)
        | Q(status=S.REVIEW_SERVED, review_served_on__lte=cutoff)
    )
    for case in rows.order_by("pk").iterator(chunk_size=500):
        if case.status == S.SERVED:
            opinion: object = case.draft  # the approved 处理意见书
            served = case.served_on
        else:
            event = (
                case.events.filter(kind=EventKind.REVIEW_ISSUED).order_by("-occurred_at").first()
            )
            opinion = event.payload if event else {}
            served = case.review_served_on
        if _supports(opinion):
            yield Candidate(
                case,
                f"该事项的意见书于{served}送达，意见对信访人的请求予以支持，"
                f"{days} 日后仍未办结。请落实处理意见，并书面答复落实情况"
                "（《信访工作条例》第四十条）。",
            )


def _sent_back(today: dt.date) -> Iterator[Candidate]:
    times = settings.XF_SUPERVISION_SEND_BACKS
    repeated = (
        CaseEvent.objects.filter(kind=EventKind.DRAFT_SENT_BACK)
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gte=times)
        .values("case_id")
    )
    rows = _supervisable(Trigger.SENT_BACK, today).filter(
        status__in=BEFORE_OPINION, pk__in=repeated
    )
    for case in rows.order_by("pk").iterator(chunk_size=500):
        yield Candidate(
            case,
            f"该事项的处理意见已被审核退回 {case.review_rounds} 次。请查明原因，依法依规"
            "形成处理意见，并书面答复办理情况（《信访工作条例》第四十条）。",
        )


#: In order of gravity: a case one rule raised an order for tonight is left out by the next.
RULES: dict[Trigger, Callable[[dt.date], Iterator[Candidate]]] = {
    Trigger.OVERDUE: _overdue,
    Trigger.NOT_EXECUTED: _not_executed,
    Trigger.SENT_BACK: _sent_back,
    Trigger.NO_FEEDBACK: _no_feedback,
}


def candidates(trigger: Trigger, *, today: dt.date | None = None) -> list[Candidate]:
    """The cases ``trigger`` would raise an order for today (read only)."""
    return list(RULES[trigger](today or timezone.localdate()))


def run_rules(*, today: dt.date | None = None) -> dict[str, int]:
    """Raise the orders the enabled rules (``XF_SUPERVISION_RULES``) call for; returns how
    many each raised. Each order commits on its own: one refusal never loses the rest."""
    today = today or timezone.localdate()
    calendar = Calendar()
    raised: dict[str, int] = {}
    for trigger, rule in RULES.items():
        if trigger not in settings.XF_SUPERVISION_RULES:
            continue
        count = 0
        for candidate in list(rule(today)):
            order = raise_rule_order(
                candidate.case,
                trigger=trigger,
                requirement=candidate.requirement,
                today=today,
                calendar=calendar,
            )
            count += order is not None
        raised[str(trigger)] = count
    return raised


def nightly(*, today: dt.date | None = None) -> dict[str, int]:
    """The whole night: refresh the warning tiers, notify due and overdue steps, raise the
    rule orders. The task and the ``supervise`` command both run this."""
    from xinfang.supervision.notifications import notify_due_dates

    today = today or timezone.localdate()
    result = {"tiers": workflow.sweep_tiers(today)}
    result["due_notices"] = notify_due_dates(today=today)
    for trigger, count in run_rules(today=today).items():
        result[f"orders_{trigger}"] = count
    return result
