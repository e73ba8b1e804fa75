"""Reads for supervision. Orders, 包案 and the case panel start from ``cases_visible_to``;
the 挂牌督办 list is the one deliberate exception (public to staff, issue 4) and shows only
what the listing itself says, never the petitioner's data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.cases.enums import CaseStatus, TerminationReason
from xinfang.cases.models import Case
from xinfang.cases.queries import cases_visible_to
from xinfang.supervision.enums import ListingStatus, OrderStatus, ResponseKind
from xinfang.supervision.models import (
    Directive,
    LeaderCase,
    Listing,
    Notification,
    SupervisionOrder,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

    AnyUser = User | AnonymousUser


def orders_visible_to(user: AnyUser) -> QuerySet[SupervisionOrder]:
    """督办单 a person may read: on a case in their scope, and either addressed to their unit
    (or a unit under it) or issued by it. A unit never sees another unit's orders."""
    unit = getattr(user, "unit", None)
    if not rules.can_work_cases(user) or unit is None:
        return SupervisionOrder.objects.none()
    return SupervisionOrder.objects.filter(case__in=cases_visible_to(user)).filter(
        Q(issued_to__path__startswith=unit.path) | Q(issuing_unit__path__startswith=unit.path)
    )


def with_due_flags(
    orders: QuerySet[SupervisionOrder], today: dt.date | None = None
) -> QuerySet[SupervisionOrder]:
    """``late`` / ``near`` on each order still waiting for its answer (the pages show them;
    templates never compare dates)."""
    today = today or timezone.localdate()
    near_until = today + dt.timedelta(days=settings.XF_DUE_NEAR_DAYS)
    waiting = Q(status=OrderStatus.OPEN)
    return orders.annotate(
        late=ExpressionWrapper(waiting & Q(due_on__lt=today), output_field=BooleanField()),
        near=ExpressionWrapper(
            waiting & Q(due_on__gte=today, due_on__lte=near_until), output_field=BooleanField()
        ),
    )


#: 督办 board tabs: (key, label).
BOARD_TABS: tuple[tuple[str, str], ...] = (
    ("open", "待答复"),
    ("due_soon", "临期"),
    ("overdue", "超期未答复"),
    ("answered", "已答复待审核"),
    ("closed", "已办结"),
)


def _tab_conditions(today: dt.date) -> dict[str, Q]:
    near = today + dt.timedelta(days=settings.XF_DUE_NEAR_DAYS)
    waiting = Q(status=OrderStatus.OPEN)
    return {
        "open": waiting,
        "due_soon": waiting & Q(due_on__gte=today, due_on__lte=near),
        "overdue": waiting & Q(due_on__lt=today),
        "answered": Q(status=OrderStatus.ANSWERED),
        "closed": Q(status=OrderStatus.CLOSED),
    }


@dataclass(frozen=True)
class Board:
    tab: str
    counts: dict[str, int]
    orders: list[SupervisionOrder]
    today: dt.date


def board(user: AnyUser, tab: str, *, limit: int = 200) -> Board:
    """督办 page: the visible orders in one tab, soonest due first (closed: newest first);
    one aggregate for the counts and one list query."""
    today = timezone.localdate()
    conditions = _tab_conditions(today)
    tab = tab if tab in conditions else "open"
    visible = orders_visible_to(user)
    counts = visible.aggregate(
        **{key: Count("id", filter=condition) for key, condition in conditions.items()}
    )
    order = ("-closed_at", "-id") if tab == "closed" else ("due_on", "id")
    rows = (
        with_due_flags(visible.filter(conditions[tab]), today)
        .select_related("case", "issued_to", "issuing_unit")
        .order_by(*order)[:limit]
    )
    return Board(tab, {key: int(counts[key] or 0) for key in conditions}, list(rows), today)


def order_for_detail(user: AnyUser, pk: int) -> QuerySet[SupervisionOrder]:
    """The order page's query shape (with get_object_or_404: out of scope → 404)."""
    return (
        with_due_flags(orders_visible_to(user).filter(pk=pk))
        .select_related(
            "case",
            "case__responsible_unit",
            "case__handling_unit",
            "issued_to",
            "issuing_unit",
            "issued_by",
        )
        .prefetch_related("responses__actor", "responses__actor_unit")
    )


# --- the case page's panel ----------------------------------------------------------------------


@dataclass
class CasePanel:
    orders: list[SupervisionOrder]
    directives: list[Directive]
    listing: Listing | None
    taken: LeaderCase | None


def case_panel(user: AnyUser, case: Case) -> CasePanel:
    """What the supervision panel on a (visible) case page shows: the orders this person may
    read, every 批示 and 催办, the 挂牌 and the 包案 in force."""
    orders = list(
        with_due_flags(orders_visible_to(user).filter(case=case))
        .select_related("issued_to")
        .order_by("issued_on", "id")
    )
    directives = list(
        Directive.objects.filter(case=case).select_related("author", "author_unit", "addressed_to")
    )
    listing = (
        Listing.objects.filter(case=case, status=ListingStatus.LISTED)
        .select_related("leader")
        .first()
    )
    taken = (
        LeaderCase.objects.filter(case=case, released_on__isnull=True)
        .select_related("leader")
        .first()
    )
    return CasePanel(orders, directives, listing, taken)


# --- 挂牌督办 list, 我的包案 ----------------------------------------------------------------


@dataclass(frozen=True)
class ListedCase:
    listing: Listing
    visible: bool  # the person may open the case page


def listings(user: AnyUser, *, current: bool = True, limit: int = 500) -> list[ListedCase]:
    """挂牌督办名单, public to every member of staff who works cases: number, name, unit,
    leader, deadline and status of each listing; ``visible`` says whether the case page may
    be opened (only through ``cases_visible_to``)."""
    if not rules.can_work_cases(user):
        return []
    status = ListingStatus.LISTED if current else ListingStatus.DELISTED
    seen = cases_visible_to(user).filter(pk=OuterRef("case_id"))
    rows = (
        Listing.objects.filter(status=status)
        .annotate(visible=Exists(seen))
        .select_related("case__handling_unit", "leader")
        .only(
            "number",
            "name",
            "deadline",
            "status",
            "listed_on",
            "delisted_on",
            "leader__full_name",
            "leader__username",
            "case__number",
            "case__status",
            "case__handling_unit__name",
        )
        .order_by("deadline", "id")
    )
    return [ListedCase(row, bool(row.visible)) for row in rows[:limit]]


@dataclass(frozen=True)
class LeaderDesk:
    taken: list[LeaderCase]
    listed: list[Listing]


def leader_desk(user: AnyUser) -> LeaderDesk:
    """我的包案: the cases this leader has taken (still in their scope) and the listings they
    answer for."""
    if not rules.can_take_cases(user) or not user.is_authenticated:
        return LeaderDesk([], [])
    visible = cases_visible_to(user)
    taken = (
        LeaderCase.objects.filter(leader=user, released_on__isnull=True, case__in=visible)
        .select_related("case", "case__handling_unit")
        .order_by("case__due_on", "id")
    )
    listed = (
        Listing.objects.filter(leader=user, status=ListingStatus.LISTED, case__in=visible)
        .select_related("case", "case__handling_unit")
        .order_by("deadline", "id")
    )
    return LeaderDesk(list(taken), list(listed))


# --- 领导包案化解率 -----------------------------------------------------------------------------

#: 终结 reasons that count as 化解 (the matter settled): an agreement carried out, or the
#: petitioner let the 复查/复核 window pass. Ending through 复核, a legal procedure or the
#: petitioner's death is an end of the procedure, not a resolution of the matter.
RESOLVED_TERMINATIONS = (
    TerminationReason.SETTLEMENT_PERFORMED,
    TerminationReason.WINDOW_LAPSED,
)


@dataclass(frozen=True)
class LeadResolution:
    """领导包案化解率 = resolved ÷ taken (None when nothing was taken)."""

    taken: int
    resolved: int

    @property
    def rate(self) -> float | None:
        return self.resolved / self.taken if self.taken else None


def leader_cases_resolution(
    period_start: dt.date, period_end: dt.date, scope_cases: QuerySet[Case]
) -> LeadResolution:
    """领导包案化解率 for the statistics: the cases of ``scope_cases`` (already the caller's
    ``cases_visible_to`` and filters) that a leader took in charge between ``period_start``
    and ``period_end`` (inclusive; a case taken twice counts once), and of those, the ones
    resolved by ``period_end``: 办结 (status closed) or 终结 for a reason in
    :data:`RESOLVED_TERMINATIONS`, with the closing date not after the period. A case
    reopened by a 复查 request is not resolved. One query."""
    taken = LeaderCase.objects.filter(
        case=OuterRef("pk"), taken_on__gte=period_start, taken_on__lte=period_end
    )
    resolved = Q(closed_on__lte=period_end) & (
        Q(status=CaseStatus.CLOSED)
        | Q(status=CaseStatus.TERMINATED, termination_reason__in=RESOLVED_TERMINATIONS)
    )
    counts = scope_cases.filter(Exists(taken)).aggregate(
        taken=Count("pk", distinct=True), resolved=Count("pk", filter=resolved, distinct=True)
    )
    return LeadResolution(taken=int(counts["taken"] or 0), resolved=int(counts["resolved"] or 0))


# --- notifications ---------------------------------------------------------------------------


def notifications_of(user: User, *, unread_only: bool, limit: int = 200) -> list[Notification]:
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-created_at", "-id")[:limit])


def unread_count(user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


# --- 督办 figures for the statistics ----------------------------------------------------------


@dataclass(frozen=True)
class SupervisionFigures:
    """督办事项, 督办已答复, 挂牌督办事项 for a period (cases, each counted once)."""

    supervised: int
    answered: int
    listed: int


def supervision_figures(
    period_start: dt.date, period_end: dt.date, scope_cases: QuerySet[Case]
) -> SupervisionFigures:
    """For the statistics and the 第四十一条 annual report: of ``scope_cases`` (the caller's
    ``cases_visible_to`` and filters), the cases with a 督办单 issued in the period (by hand or
    by rule), those of them whose unit had answered one of those orders in writing by the
    period's end, and the cases put on the 挂牌 list in the period. One query."""
    end = timezone.make_aware(dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min))
    issued = SupervisionOrder.objects.filter(
        case=OuterRef("pk"), issued_on__gte=period_start, issued_on__lte=period_end
    )
    answered = issued.filter(responses__kind=ResponseKind.ANSWER, responses__occurred_at__lt=end)
    listed = Listing.objects.filter(
        case=OuterRef("pk"), listed_on__gte=period_start, listed_on__lte=period_end
    )
    counts = scope_cases.aggregate(
        supervised=Count("pk", filter=Q(Exists(issued)), distinct=True),
        answered=Count("pk", filter=Q(Exists(answered)), distinct=True),
        listed=Count("pk", filter=Q(Exists(listed)), distinct=True),
    )
    return SupervisionFigures(
        supervised=int(counts["supervised"] or 0),
        answered=int(counts["answered"] or 0),
        listed=int(counts["listed"] or 0),
    )
