"""Reads on batches: which cases may be handed over, and how a batch stands.

A batch is seen by the office that handed it over (and the units above it) and by each
receiving unit (and the units above it), which sees only its own part. Inside, every case
row also passes :func:`cases_visible_to`, so a batch never shows a case its viewer could not
open. The batch's 办结 flag counts every case of the batch; the progress counts the rows the
viewer sees."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import Unit
from xinfang.batches.models import Batch, BatchCase, BatchPart
from xinfang.cases.access import WITHHELD_MESSAGE, accuser_withheld
from xinfang.cases.deadlines import Calendar
from xinfang.cases.enums import FINAL_STATUSES, CaseStatus, DeadlineTier
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters, cases_visible_to
from xinfang.cases.routing import Suggestion, suggest_unit
from xinfang.cases.workflow import Action, check_step
from xinfang.search.analyzer import ParsedQuery
from xinfang.search.groups import group_case_ids, group_for
from xinfang.search.models import IssueGroup
from xinfang.search.queries import search_ids

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

#: 办结 for a batch: 已办结 or any status no step leads out of (终结, 不予受理, 不再受理).
CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, *FINAL_STATUSES})
OVERDUE_TIERS = (DeadlineTier.OVERDUE, DeadlineTier.SEVERE)
CLOSED = Q(case__status__in=CLOSED_STATUSES)
OVERDUE = Q(case__tier__in=OVERDUE_TIERS) & ~CLOSED
#: Candidates shown at most (one more is read to say that there are more).
MAX_CANDIDATES = 200
LIST_SIZE = 50


# --- choosing the cases ---------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A case that matched, whether the user may hand it over now, and where the routing
    rules would send it."""

    case: Case
    refusal: str = ""  # why the 交办 step would refuse it; "" when it may be handed over
    suggestion: Suggestion | None = None

    @property
    def eligible(self) -> bool:
        return not self.refusal


@dataclass(frozen=True)
class Selection:
    candidates: list[Candidate] = field(default_factory=list)
    truncated: bool = False  # more matched than MAX_CANDIDATES
    group: IssueGroup | None = None  # the same-issue group chosen from
    group_missing: bool = False  # a group was asked for that is not the user's unit's

    @property
    def eligible(self) -> list[Candidate]:
        return [c for c in self.candidates if c.eligible]

    @property
    def refused(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.eligible]


def _candidate_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related(
        "region",
        "content_category",
        "registering_unit",
        "handling_unit",
        "review_unit",
        "accused_unit",
    )


class _Suggestions:
    """suggest_unit() once per distinct routing key: related cases mostly share one."""

    def __init__(self) -> None:
        self.known: dict[tuple[object, ...], Suggestion | None] = {}

    def of(self, case: Case) -> Suggestion | None:
        key = (
            case.region_id,
            case.content_category_id,
            case.handling_category,
            case.claim_route,
            case.involves_litigation,
            case.registering_unit_id,
            case.accused_unit_id,
        )
        if key not in self.known:
            self.known[key] = suggest_unit(case)
        return self.known[key]


def assess(user: User, cases: list[Case]) -> list[Candidate]:
    """Each case with the 交办 step's own verdict for this user today (``check_step``) and the
    routing suggestion; nothing is written."""
    today, calendar, suggestions = timezone.localdate(), Calendar(), _Suggestions()
    out = []
    for case in cases:
        try:
            check_step(case, Action.ASSIGN, user, today=today, calendar=calendar)
        except (ValidationError, PermissionDenied) as error:
            reason = "；".join(error.messages) if isinstance(error, ValidationError) else ""
            out.append(Candidate(case, reason or str(error) or "您无权交办该事项。"))
            continue
        out.append(Candidate(case, "", suggestions.of(case)))
    return out


def select_cases(
    user: User,
    *,
    query: ParsedQuery,
    filters: CaseFilters,
    group_id: int | None = None,
) -> Selection:
    """The cases waiting to be routed (已登记) that match the words (全文检索), the case list's
    filters (问题属地 with its subtree, 内容分类, 单位, 收到日期) and a same-issue group
    (同类问题, ``xinfang.search.groups``), oldest registered first, with the 交办 step's
    verdict on each. Always within ``cases_visible_to(user)``."""
    filters = replace(filters, status=CaseStatus.REGISTERED)
    cases = filters.apply(cases_visible_to(user))
    group = None
    if group_id is not None:
        group = group_for(user, group_id)
        ids = group_case_ids(group_id, user=user) if group is not None else []
        cases = cases.filter(id__in=ids)
    if query:
        cases = cases.filter(id__in=search_ids(user, query, filters, limit=MAX_CANDIDATES * 5))
    # Oldest registered first (they wait longest); walks the (status, registered_at) index.
    rows = list(_candidate_rows(cases.order_by("registered_at", "id"))[: MAX_CANDIDATES + 1])
    return Selection(
        candidates=assess(user, rows[:MAX_CANDIDATES]),
        truncated=len(rows) > MAX_CANDIDATES,
        group=group,
        group_missing=group_id is not None and group is None,
    )


def chosen_cases(user: User, numbers: list[str]) -> list[Case]:
    """The visible cases of these numbers, in the order given (unknown ones dropped)."""
    rows = {
        case.number: case
        for case in _candidate_rows(cases_visible_to(user).filter(number__in=numbers))
    }
    return [rows[number] for number in dict.fromkeys(numbers) if number in rows]


# --- who sees which batch ------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """The viewer's unit, and whether it is the root of every unit (then it sees all)."""

    user: User | AnonymousUser
    path: str
    root: bool


def _scope(user: User | AnonymousUser) -> _Scope | None:
    unit: Unit | None = getattr(user, "unit", None)
    if not rules.can_view_batches(user) or unit is None:
        return None
    root = not Unit.objects.exclude(path__startswith=unit.path).exists()
    return _Scope(user, unit.path, root)


def _batches(scope: _Scope) -> QuerySet[Batch]:
    if scope.root:
        return Batch.objects.all()
    received = BatchPart.objects.filter(batch=OuterRef("pk"), unit__path__startswith=scope.path)
    return Batch.objects.filter(Q(office__path__startswith=scope.path) | Exists(received))


def batches_visible_to(user: User | AnonymousUser) -> QuerySet[Batch]:
    """Batches handed over by the user's unit or a unit under it, or with a part received by
    one of them."""
    scope = _scope(user)
    return Batch.objects.none() if scope is None else _batches(scope)


def _items(scope: _Scope) -> QuerySet[BatchCase]:
    """Batch rows the user sees: the case is visible, and the user is on the office's side of
    the batch or in the receiving unit's subtree."""
    items = BatchCase.objects.filter(case__in=cases_visible_to(scope.user).values("id"))
    if scope.root:
        return items
    return items.filter(
        Q(batch__office__path__startswith=scope.path) | Q(part__unit__path__startswith=scope.path)
    )


@dataclass(frozen=True)
class Progress:
    total: int = 0
    closed: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int:
        return self.closed * 100 // self.total if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.closed == self.total


def _progress_by(items: QuerySet[BatchCase], key: str) -> dict[int, Progress]:
    rows = (
        items.order_by()
        .values(key)
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=CLOSED),
            overdue=Count("id", filter=OVERDUE),
        )
    )
    return {row[key]: Progress(row["total"], row["closed"], row["overdue"]) for row in rows}


def _open_counts(batch_ids: list[int]) -> dict[int, int]:
    """Cases not yet closed in each batch, counting every case (the batch's 办结 flag)."""
    rows = (
        BatchCase.objects.filter(batch_id__in=batch_ids)
        .order_by()
        .values("batch_id")
        .annotate(open=Count("id", filter=~CLOSED))
    )
    return {row["batch_id"]: row["open"] for row in rows}


@dataclass(frozen=True)
class BatchRow:
    batch: Batch
    progress: Progress  # of the cases this viewer sees
    complete: bool  # every case of the batch is closed


@dataclass(frozen=True)
class BatchList:
    rows: list[BatchRow]
    next_before: int | None  # keyset: the id the next (older) page continues below


def batch_list(
    user: User | AnonymousUser,
    *,
    overdue_only: bool = False,
    before: int | None = None,
    size: int = LIST_SIZE,
) -> BatchList:
    """集中交办 list, newest first, with each batch's progress; ``overdue_only`` keeps the
    batches with a visible case past its due date. Three queries for any number of rows."""
    scope = _scope(user)
    if scope is None:
        return BatchList([], None)
    batches = _batches(scope).select_related("office")
    items = _items(scope)
    if overdue_only:
        batches = batches.filter(id__in=items.filter(OVERDUE).values("batch_id"))
    if before is not None:
        batches = batches.filter(id__lt=before)
    page = list(batches.order_by("-id")[: size + 1])
    more, page = len(page) > size, page[:size]
    ids = [batch.pk for batch in page]
    progress = _progress_by(items.filter(batch_id__in=ids), "batch_id")
    open_counts = _open_counts(ids)
    rows = [
        BatchRow(batch, progress.get(batch.pk, Progress()), open_counts.get(batch.pk, 1) == 0)
        for batch in page
    ]
    return BatchList(rows, page[-1].pk if more and page else None)


@dataclass(frozen=True)
class PartView:
    part: BatchPart
    items: list[BatchCase]
    progress: Progress


@dataclass(frozen=True)
class BatchView:
    batch: Batch
    parts: list[PartView]
    progress: Progress
    complete: bool
    today: dt.date


def _parts(scope: _Scope, batch: Batch) -> QuerySet[BatchPart]:
    """Every part for the office's side of the batch; a receiving unit's own part otherwise."""
    parts = batch.parts.select_related("unit")
    if scope.root or batch.office.path.startswith(scope.path):
        return parts
    return parts.filter(unit__path__startswith=scope.path)


def _batch(scope: _Scope | None, pk: int) -> tuple[_Scope, Batch]:
    if scope is None:
        raise PermissionDenied
    return scope, get_object_or_404(_batches(scope).select_related("office"), pk=pk)


def batch_detail(user: User | AnonymousUser, pk: int, *, overdue_only: bool = False) -> BatchView:
    """One batch as this viewer may see it: their parts, in each the visible cases with status,
    due date and tier; 404 when the batch is not theirs."""
    scope, batch = _batch(_scope(user), pk)
    parts = list(_parts(scope, batch))
    items = _items(scope).filter(batch=batch, part__in=[p.pk for p in parts])
    progress = _progress_by(items, "part_id")
    shown = items.filter(OVERDUE) if overdue_only else items
    rows = shown.select_related(
        "case", "case__handling_unit", "case__region", "case__responsible_unit"
    ).order_by("position")
    by_part: dict[int, list[BatchCase]] = {p.pk: [] for p in parts}
    for item in rows:
        by_part[item.part_id].append(item)
    views = [PartView(p, by_part[p.pk], progress.get(p.pk, Progress())) for p in parts]
    total = Progress(
        sum(v.progress.total for v in views),
        sum(v.progress.closed for v in views),
        sum(v.progress.overdue for v in views),
    )
    complete = _open_counts([batch.pk]).get(batch.pk, 1) == 0
    return BatchView(batch, views, total, complete, timezone.localdate())


def part_for_download(user: User | AnonymousUser, pk: int, uid: uuid.UUID) -> BatchPart:
    """A 集中交办单 with its bytes, for the office's side of the batch or its receiving unit;
    404 otherwise."""
    scope, batch = _batch(_scope(user), pk)
    part = get_object_or_404(_parts(scope, batch).defer(None), uid=uid)
    # The list names accusers: never to the accused unit of a 检举控告 (第三十条).
    if part.items.filter(accuser_withheld(user, prefix="case__")).exists():
        raise PermissionDenied(WITHHELD_MESSAGE)
    return part
