"""Reads on cases. Everything a person or the API sees starts from :func:`cases_visible_to`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from xinfang.accounts import rules
from xinfang.accounts.models import Region, Unit
from xinfang.cases.access import WITHHELD_MESSAGE, accuser_withheld, may_see_petitioner
from xinfang.cases.models import (
    Attachment,
    Case,
    CasePetitioner,
    CaseUnit,
    ContentCategory,
    Petitioner,
    Recusal,
)
from xinfang.cases.services import id_number_index
from xinfang.documents.models import Document

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User


def registrable_categories() -> QuerySet[ContentCategory]:
    """Content categories a new case may take: active leaves of the code table."""
    return ContentCategory.objects.filter(is_active=True, children__isnull=True)


def unit_subtree_ids(unit: Unit) -> list[int]:
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


def cooperating_in(unit_ids: list[int]) -> Q:
    """Cases on which one of these units is a 协办 unit: a semi-join on the link index, so a
    case with two such units counts once."""
    return Q(id__in=CaseUnit.objects.filter(unit_id__in=unit_ids).values("case_id"))


@dataclass(frozen=True)
class _Branch:
    """One visibility branch. The 协办 branch also names its units: :func:`case_page` walks it
    through the link table's (unit, registered_at, case) index instead of the semi-join."""

    condition: Q
    cooperating_unit_ids: tuple[int, ...] = ()


def _subtree_or_everything(unit: Unit) -> list[int] | None:
    """The ids of the unit and the units under it, or None when that is every unit (the
    office at the root of the tree): a condition on it would exclude nothing, and an IN list
    of every unit would keep the database from walking an index in order."""
    if not Unit.objects.exclude(path__startswith=unit.path).exists():
        return None
    return unit_subtree_ids(unit)


def _branches(user: User | AnonymousUser) -> list[_Branch]:
    unit = getattr(user, "unit", None)
    if not rules.can_work_cases(user) or unit is None:
        return []
    ids = _subtree_or_everything(unit)
    if ids is None:
        return [_Branch(Q())]  # the unit is the root of every unit: nothing to exclude
    return [
        _Branch(Q(registering_unit_id__in=ids)),
        _Branch(Q(handling_unit_id__in=ids)),
        _Branch(Q(review_unit_id__in=ids)),
        _Branch(cooperating_in(ids), tuple(ids)),
    ]


def visibility_branches(user: User | AnonymousUser) -> list[Q]:
    """The one visibility rule, as conditions whose union is what the user may see: a user with
    a case role sees the cases registered by, assigned to (主办 or 协办), or under 复查/复核 by
    their unit or any unit under it.
    Administrators (三员) see no cases ([]); the root unit sees every case ([Q()]).

    Each branch has its own index, so a list can walk each in order and merge (see
    :func:`case_page`); an OR of the two would make the database sort every matching row."""
    return [branch.condition for branch in _branches(user)]


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """Every case this user may see; every case view, export, search and API starts here."""
    branches = visibility_branches(user)
    if not branches:
        return Case.objects.none()
    return Case.objects.filter(reduce(operator.or_, branches))


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    channel: str = ""
    region_code: str = ""
    category_code: str = ""
    unit_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None

    def unit_branches(self) -> list[Q]:
        """The unit filter (registered by or assigned to the unit) as index-friendly branches."""
        if self.unit_id is None:
            return [Q()]
        return [Q(registering_unit_id=self.unit_id), Q(handling_unit_id=self.unit_id)]

    def apply(self, cases: QuerySet[Case], *, with_unit: bool = True) -> QuerySet[Case]:
        if self.status:
            cases = cases.filter(status=self.status)
        if self.channel:
            cases = cases.filter(channel=self.channel)
        if self.region_code:
            if self.received_from or self.received_to:
                # With a date range the rows are found through (region, received_on, …) and
                # sorted (see _Walk.sorts); without one a newest-first walk checks the
                # region as it goes.
                regions = Region.objects.filter(code__startswith=self.region_code)
                cases = cases.filter(region_id__in=regions.values("id"))
            else:
                cases = cases.filter(region__code__startswith=self.region_code)
        if self.category_code:
            cases = cases.filter(content_category__code__startswith=self.category_code)
        if with_unit and self.unit_id is not None:
            cases = cases.filter(reduce(operator.or_, self.unit_branches()))
        if self.received_from:
            cases = cases.filter(received_on__gte=self.received_from)
        if self.received_to:
            cases = cases.filter(received_on__lte=self.received_to)
        return cases


@dataclass(frozen=True)
class Cursor:
    """A position in the newest-first order: (registered_at, id) of a boundary row."""

    registered_at: dt.datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.registered_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        """A malformed token means "first page", never an error."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            stamp, _, ident = raw.partition("|")
            moment = parse_datetime(stamp)
            ident_value = int(ident)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if moment is None or timezone.is_naive(moment) or not 0 < ident_value < 2**63:
            return None  # hand-made or damaged: compare only what the databases can hold
        return cls(registered_at=moment, id=ident_value)

    @classmethod
    def of(cls, case: Case) -> Cursor:
        return cls(registered_at=case.registered_at, id=case.pk)


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    next_cursor: str | None
    previous_cursor: str | None


def _list_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related(
        "region", "content_category", "registering_unit", "handling_unit"
    ).only(
        "number",
        "title",
        "channel",
        "form",
        "people_count",
        "status",
        "due_on",
        "due_explanation",  # the due date's tooltip on every list (_due.html)
        "due_provisional",
        "tier",
        "received_on",
        "registered_at",
        "contact_count",
        "involves_litigation",
        "region__name",
        "content_category__name",
        "registering_unit__name",
        "handling_unit__name",
    )


@dataclass(frozen=True)
class _Walk:
    """A branch as a list reads it: its rows, the columns its index orders them by, and — for
    the 协办 branch, a join on the link table — the join condition, which must share one
    ``filter()`` with the keyset bound so that both land on the same join."""

    rows: QuerySet[Case]
    at: str = "registered_at"
    pk: str = "id"
    link: Q | None = None
    #: A received-date range: no index walks such rows newest first, so the database sorts
    #: them. It sorts ids read from a covering (received_on, registered_at) or (region,
    #: received_on, registered_at) index and only the page's rows are then read.
    sorts: bool = False


def _walks(user: User | AnonymousUser, filters: CaseFilters) -> list[_Walk]:
    filtered = filters.apply(Case.objects.all(), with_unit=False)
    sorts = filters.received_from is not None or filters.received_to is not None
    walks = []
    for branch in _branches(user):
        for unit in filters.unit_branches():
            if branch.cooperating_unit_ids:
                link = Q(unit_links__unit_id__in=branch.cooperating_unit_ids)
                rows = filtered.filter(unit)
                walks.append(_Walk(rows, "unit_links__registered_at", "unit_links__case_id", link))
            else:
                walks.append(_Walk(filtered.filter(branch.condition & unit), sorts=sorts))
    return walks


def _walk_page(walk: _Walk, bound: Cursor | None, size: int, *, newest: bool) -> list[Case]:
    """Up to ``size`` distinct cases beyond ``bound`` in the walk's index order. A join walk
    meets a case once per 协办 unit of the subtree, so it reads on until it has ``size``
    distinct cases or the branch ends (one query unless cases repeat)."""
    found: dict[int, Case] = {}
    order = (f"-{walk.at}", f"-{walk.pk}") if newest else (walk.at, walk.pk)
    while True:
        condition = walk.link or Q()
        if bound is not None:
            # (at, pk) beyond the cursor, written so that the first term is an index range.
            at, pk = bound.registered_at, bound.id
            side = "lt" if newest else "gt"
            condition &= Q(**{f"{walk.at}__{side}e": at}) & (
                Q(**{f"{walk.at}__{side}": at}) | Q(**{f"{walk.pk}__{side}": pk})
            )
        rows = walk.rows.filter(condition).order_by(*order)
        if walk.sorts:
            rows = Case.objects.filter(id__in=rows.values("id")[:size]).order_by(*order)
        chunk = list(_list_rows(rows)[:size])
        for case in chunk:
            found.setdefault(case.pk, case)
        if len(chunk) < size or len(found) >= size:
            return list(found.values())
        bound = Cursor.of(chunk[-1])


def _newest_first(walks: list[_Walk], after: Cursor | None, size: int) -> list[Case]:
    """Up to ``size`` rows older than ``after``, newest first, merged from index-ordered
    branches (a case in two branches counts once)."""
    rows = {case.pk: case for walk in walks for case in _walk_page(walk, after, size, newest=True)}
    return sorted(rows.values(), key=lambda c: (c.registered_at, c.pk), reverse=True)[:size]


def _oldest_first(walks: list[_Walk], before: Cursor, size: int) -> list[Case]:
    """Up to ``size`` rows newer than ``before``, oldest first (for the previous page)."""
    rows = {
        case.pk: case for walk in walks for case in _walk_page(walk, before, size, newest=False)
    }
    return sorted(rows.values(), key=lambda c: (c.registered_at, c.pk))[:size]


def case_page(
    user: User | AnonymousUser,
    filters: CaseFilters,
    *,
    after: str = "",
    before: str = "",
    size: int = 50,
) -> CasePage:
    """Keyset pagination, newest first: no OFFSET and no COUNT(*), so page 1 and page 20,000
    cost the same at a million rows. Each visibility × unit-filter branch is read in index
    order and the pages merged: a few small queries instead of one sort of every match."""
    branches = _walks(user, filters)
    after_cursor, before_cursor = Cursor.decode(after), Cursor.decode(before)
    if before_cursor is not None:
        rows = _oldest_first(branches, before_cursor, size + 1)
        has_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        return CasePage(
            cases=rows,
            next_cursor=Cursor.of(rows[-1]).encode() if rows else None,
            previous_cursor=Cursor.of(rows[0]).encode() if rows and has_newer else None,
        )
    rows = _newest_first(branches, after_cursor, size + 1)
    has_older = len(rows) > size
    rows = rows[:size]
    return CasePage(
        cases=rows,
        next_cursor=Cursor.of(rows[-1]).encode() if rows and has_older else None,
        previous_cursor=Cursor.of(rows[0]).encode() if rows and after_cursor else None,
    )


DUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class DuePage:
    cases: list[Case]
    next_after: str | None  # "<due date>.<id>" of the last row when more follow


def _due_cursor(text: str | None) -> tuple[dt.date, int] | None:
    """``2026-05-06.1234`` → (date, id); anything else (typed by hand) → None: first page."""
    day, _, pk = (text or "").partition(".")
    try:
        return dt.date.fromisoformat(day), int(pk)
    except ValueError:
        return None


def cases_due_soon(
    user: User | AnonymousUser, *, after: str | None = None, limit: int | None = None
) -> list[Case]:
    """我的待办期限: open steps the user's unit (or a unit under it) owes, due within
    ``XF_DUE_SOON_DAYS`` or already late, soonest first. Walks (responsible_unit, due_on)."""
    return due_soon_page(user, after=after, limit=limit).cases


def due_soon_page(
    user: User | AnonymousUser, *, after: str | None = None, limit: int | None = None
) -> DuePage:
    """One page of :func:`cases_due_soon` (``DUE_PAGE_SIZE`` rows unless ``limit``), keyset
    on (due date, id) after ``after``.

    A unit's list walks (responsible_unit, due_on) for each unit of its subtree and sorts what
    is due by the horizon. The office at the root owes through every unit, so its list walks
    the (due_on) index in order instead and stops after one page: at a million cases the
    sort would read every open case."""
    limit = limit or DUE_PAGE_SIZE
    unit = getattr(user, "unit", None)
    if not rules.can_work_cases(user) or unit is None:
        return DuePage(cases=[], next_after=None)
    horizon = timezone.localdate() + dt.timedelta(days=settings.XF_DUE_SOON_DAYS)
    ids = _subtree_or_everything(unit)
    owed = Q(responsible_unit__isnull=False) if ids is None else Q(responsible_unit_id__in=ids)
    rows = cases_visible_to(user).filter(owed, due_on__lte=horizon)
    cursor = _due_cursor(after)
    if cursor is not None:
        day, pk = cursor
        # (due_on, id) beyond the cursor, written so that the first term is an index range.
        rows = rows.filter(Q(due_on__gte=day) & (Q(due_on__gt=day) | Q(id__gt=pk)))
    cases = list(_list_rows(rows.order_by("due_on", "id"))[: limit + 1])
    last = cases[limit - 1] if len(cases) > limit else None
    return DuePage(
        cases=cases[:limit],
        next_after=f"{last.due_on:%Y-%m-%d}.{last.pk}" if last is not None else None,
    )


def case_for_detail(user: User | AnonymousUser, number: str) -> QuerySet[Case]:
    """The case page's one query shape (use with get_object_or_404 for scope → 404). The
    petitioners, attachments and notices of a case whose accuser is withheld from the user
    (:mod:`xinfang.cases.access`) are not loaded at all: no page or API built on this can
    show them."""
    withheld = accuser_withheld(user, prefix="case__")
    return (
        cases_visible_to(user)
        .filter(number=number)
        .select_related(
            "region",
            "content_category",
            "registering_unit",
            "handling_unit",
            "review_unit",
            "recheck_unit",
            "responsible_unit",
            "registered_by",
            "accused_unit",
        )
        .prefetch_related(
            Prefetch(
                "case_petitioners",
                queryset=CasePetitioner.objects.exclude(withheld).select_related("petitioner"),
            ),
            "contacts__reception_unit",
            "events__actor",
            Prefetch("attachments", queryset=Attachment.objects.exclude(withheld)),
            Prefetch("documents", queryset=Document.objects.exclude(withheld)),
            "evaluations",
            Prefetch("unit_links", queryset=CaseUnit.objects.select_related("unit")),
            Prefetch(
                "recusals", queryset=Recusal.objects.select_related("user__unit", "declared_by")
            ),
        )
    )


def attachment_for_download(user: User | AnonymousUser, number: str, uid: uuid.UUID) -> Attachment:
    """One attachment of a visible case: out of scope or unknown → 404; the accuser's
    material withheld from this user (第三十条、第四十六条) → 403."""
    case = get_object_or_404(cases_visible_to(user), number=number)
    attachment = get_object_or_404(case.attachments, uid=uid)
    if not may_see_petitioner(user, case):
        raise PermissionDenied(WITHHELD_MESSAGE)
    return attachment


def existing_cases_of_person(
    user: User | AnonymousUser, id_number: str, *, limit: int = 10
) -> list[Case]:
    """The visible cases on which this ID number already appears, newest first (重访 check)."""
    people = Petitioner.objects.filter(id_number_index=id_number_index(id_number))
    return list(
        _list_rows(
            cases_visible_to(user)
            .exclude(accuser_withheld(user))  # who accused the user's own unit stays unsaid
            .filter(case_petitioners__petitioner__in=people)
            .distinct()
            .order_by("-registered_at", "-id")
        )[:limit]
    )


#: 承办单位工作台 tabs: (key, label, condition on the unit's cases).
DESK_TABS: tuple[tuple[str, str, Q], ...] = (
    ("new", "新交办", Q(status__in=["transferred", "assigned"])),
    (
        "handling",
        "办理中",
        Q(
            status__in=[
                "received",
                "in_handling",
                "extension_requested",
                "under_review",
                "replied",
                "served",
            ]
        ),
    ),
    ("near", "临期", Q(tier="near")),
    ("overdue", "超期", Q(tier__in=["overdue", "severe"])),
    ("returned", "被退回", Q(status="in_handling", review_rounds__gt=0)),
    # The cases the unit works on as 协办: see :func:`desk` (the condition is the unit's own).
    ("cooperating", "协办", Q()),
)
COOPERATING_TAB = "cooperating"


@dataclass(frozen=True)
class Desk:
    tab: str
    counts: dict[str, int]
    cases: list[Case]


def desk(user: User | AnonymousUser, tab: str, *, limit: int = 200) -> Desk:
    """承办单位工作台: the cases handled by the user's unit (or a unit under it) in each tab,
    and those it works on as 协办 in the 协办 tab, soonest due first; one aggregate for the
    counts and one list query."""
    unit = getattr(user, "unit", None)
    tabs = {key: condition for key, _label, condition in DESK_TABS}
    tab = tab if tab in tabs else "new"
    if not rules.can_work_cases(user) or unit is None:
        return Desk(tab, dict.fromkeys(tabs, 0), [])
    ids = unit_subtree_ids(unit)
    handling, cooperating = Q(handling_unit_id__in=ids), cooperating_in(ids)
    tabs = {
        key: cooperating if key == COOPERATING_TAB else handling & condition
        for key, condition in tabs.items()
    }
    mine = cases_visible_to(user).filter(handling | cooperating)
    counts = mine.aggregate(
        **{key: Count("id", filter=condition) for key, condition in tabs.items()}
    )
    rows = _list_rows(mine.filter(tabs[tab]).order_by(F("due_on").asc(nulls_last=True), "id"))
    return Desk(tab, {key: int(counts[key] or 0) for key in tabs}, list(rows[:limit]))
