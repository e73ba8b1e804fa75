"""同类问题归并: groups of cases about the same issue, for supervisors and leaders.

Writes: :func:`request_group_run` (a person asks for a period, region and unit: audited, queued)
and :func:`compute_run` (the task queue computes it, see :mod:`xinfang.search.grouping`).
Nightly, :func:`refresh_nightly` computes the default period for each root unit.

Reads: :func:`group_page` and :func:`group_case_ids` start from :func:`cases_visible_to`. A run
is computed over the cases its ``scope_unit`` may see, so its labels (words of titles) never
come from cases a user of another unit may not see; a user is shown only the runs of their own
unit, and within a group only the members they may see today.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import Region, Unit, User
from xinfang.audit.services import record
from xinfang.cases.access import accuser_withheld, unit_lineage_ids
from xinfang.cases.models import Case
from xinfang.cases.queries import CaseFilters, cases_visible_to
from xinfang.search.enums import GroupRunStatus
from xinfang.search.grouping import Found, Item, county_of, find_groups
from xinfang.search.models import GroupRun, IssueGroup, IssueGroupMember, TermSample
from xinfang.search.termstats import refresh_term_statistics, weights_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

log = logging.getLogger(__name__)

DEFAULT_DAYS = 365  # the nightly period: the last year of cases received
MAX_DAYS = 3 * 366  # the longest period a person may ask for
KEEP_DAYS = 7  # older runs are deleted nightly (the newest finished one of each unit stays)
PAGE_SIZE = 50
WRITE_BATCH = 5000


@dataclass(frozen=True)
class Choice:
    """What a run groups: cases received in the period, optionally of a region (code prefix)
    and a unit (registered by or assigned to it)."""

    period_from: dt.date
    period_to: dt.date
    region_code: str = ""
    unit: Unit | None = None

    def runs(self, scope_unit: Unit) -> QuerySet[GroupRun]:
        return GroupRun.objects.filter(
            scope_unit=scope_unit,
            period_from=self.period_from,
            period_to=self.period_to,
            region_code=self.region_code,
            unit=self.unit,
        )


def default_choice(today: dt.date | None = None) -> Choice:
    today = today or timezone.localdate()
    return Choice(period_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), period_to=today)


def _check_choice(choice: Choice) -> None:
    if choice.period_from > choice.period_to:
        raise ValidationError("开始日期不能晚于结束日期。")
    if (choice.period_to - choice.period_from).days >= MAX_DAYS:
        raise ValidationError("统计期间最长三年，请缩短期间。")


# --- writes ---------------------------------------------------------------------------------------


def request_group_run(*, actor: User, choice: Choice) -> GroupRun:
    """重新计算: queue a run of ``choice`` over the cases ``actor``'s unit may see. A run of
    the same choice already queued or running is returned instead (a double click queues one).
    Audited ``search.groups.request``."""
    if not rules.can_view_issue_groups(actor) or actor.unit is None:
        raise PermissionDenied("只有督查员和领导可以查看同类问题归并。")
    _check_choice(choice)
    with transaction.atomic():
        pending = (
            choice.runs(actor.unit)
            .filter(status__in=[GroupRunStatus.QUEUED, GroupRunStatus.RUNNING])
            .first()
        )
        if pending is not None:
            return pending
        run = GroupRun.objects.create(
            scope_unit=actor.unit,
            period_from=choice.period_from,
            period_to=choice.period_to,
            region_code=choice.region_code,
            unit=choice.unit,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        record(
            "search.groups.request",
            actor=actor,
            target=run,
            detail={
                "from": choice.period_from.isoformat(),
                "to": choice.period_to.isoformat(),
                "region": choice.region_code,
                "unit": choice.unit.code if choice.unit else "",
            },
        )
        from xinfang.search.tasks import compute_issue_groups

        transaction.on_commit(lambda: compute_issue_groups(run.pk))
    return run


def _run_scope(run: GroupRun) -> QuerySet[Case]:
    """The cases the run may read: what its requester may see, or (nightly) everything but the
    cases accusing the root unit itself."""
    if run.requested_by is not None:
        return cases_visible_to(run.requested_by).exclude(accuser_withheld(run.requested_by))
    return Case.objects.exclude(accused_unit_id__in=unit_lineage_ids(run.scope_unit))


def _cases_of(run: GroupRun) -> QuerySet[Case]:
    filters = CaseFilters(
        region_code=run.region_code,
        unit_id=run.unit_id,
        received_from=run.period_from,
        received_to=run.period_to,
    )
    return filters.apply(_run_scope(run))


def _counties(cases: QuerySet[Case]) -> dict[str, list[Region]]:
    """The regions of these cases by county (a scan of the period's cases, no sort)."""
    ids = set(cases.order_by().values_list("region_id", flat=True).distinct())
    counties: dict[str, list[Region]] = defaultdict(list)
    for region in Region.objects.filter(pk__in=ids):
        counties[county_of(region.code)].append(region)
    return dict(sorted(counties.items()))


def _place_names(county: str, regions: list[Region]) -> list[str]:
    """The names to take out of titles: the county's regions and their ancestors."""
    codes = {region.code[:length] for region in regions for length in (2, 4, 6, 9, 12)}
    names = set(
        Region.objects.filter(Q(code__in=codes) | Q(code__startswith=county)).values_list(
            "name", flat=True
        )[:5000]
    )
    return sorted(names)


def _items(cases: QuerySet[Case], regions: list[Region]) -> Iterator[Item]:
    rows = (
        cases.filter(region_id__in=[region.pk for region in regions])
        .order_by()
        .values_list("id", "title", "received_on", "region_id")
    )
    for case_id, title, received_on, region_id in rows.iterator(chunk_size=WRITE_BATCH):
        yield Item(case_id, title, received_on, region_id)


def find_run_groups(run: GroupRun) -> tuple[int, list[Found]]:
    """(cases read, groups found) for a run, county by county."""
    cases = _cases_of(run)
    seen = 0
    found: list[Found] = []
    for county, regions in _counties(cases).items():
        items = list(_items(cases, regions))
        seen += len(items)
        found.extend(
            find_groups(items, place_names=_place_names(county, regions), weights_for=weights_for)
        )
    found.sort(key=lambda group: (-len(group.case_ids), group.label))
    return seen, found


def _store(run: GroupRun, found: list[Found]) -> None:
    for start in range(0, len(found), WRITE_BATCH):
        batch = found[start : start + WRITE_BATCH]
        groups = IssueGroup.objects.bulk_create(
            [
                IssueGroup(
                    run=run,
                    label=group.label,
                    phrases=group.phrases,
                    size=len(group.case_ids),
                    region_id=group.region_id,
                    first_received=group.first_received,
                    last_received=group.last_received,
                    monthly=group.monthly,
                )
                for group in batch
            ]
        )
        members = [
            IssueGroupMember(group=stored, case_id=case_id)
            for stored, group in zip(groups, batch, strict=True)
            for case_id in group.case_ids
        ]
        IssueGroupMember.objects.bulk_create(members, batch_size=WRITE_BATCH)


def compute_run(run_id: int) -> GroupRun:
    """The queued run: group the cases, store the groups, replace the older runs of the same
    choice. Claimed with a conditional UPDATE (a run is computed once). Audited
    ``search.groups.finish``."""
    run = GroupRun.objects.select_related("scope_unit", "requested_by").get(pk=run_id)
    claimed = GroupRun.objects.filter(pk=run.pk, status=GroupRunStatus.QUEUED).update(
        status=GroupRunStatus.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return run
    try:
        if not TermSample.objects.exists():
            refresh_term_statistics()
        seen, found = find_run_groups(run)
        with transaction.atomic():
            _store(run, found)
            GroupRun.objects.filter(pk=run.pk).update(
                status=GroupRunStatus.DONE,
                finished_at=timezone.now(),
                cases_seen=seen,
                group_count=len(found),
            )
            _replace_older(run)
            record(
                "search.groups.finish",
                actor=run.requested_by,
                target=run,
                detail={"status": "done", "cases": seen, "groups": len(found)},
            )
    except Exception:
        log.exception("issue groups run %s failed", run.pk)
        GroupRun.objects.filter(pk=run.pk).update(
            status=GroupRunStatus.FAILED,
            finished_at=timezone.now(),
            message="计算时发生系统错误，请稍后重新计算。",
        )
        raise
    run.refresh_from_db()
    return run


def _delete_runs(runs: QuerySet[GroupRun]) -> int:
    """Members first, then groups, then runs: plain DELETEs, no row-by-row cascade."""
    ids = list(runs.values_list("pk", flat=True))
    IssueGroupMember.objects.filter(group__run_id__in=ids).delete()
    IssueGroup.objects.filter(run_id__in=ids).delete()
    GroupRun.objects.filter(pk__in=ids).delete()
    return len(ids)


def _replace_older(run: GroupRun) -> None:
    choice = Choice(run.period_from, run.period_to, run.region_code, run.unit)
    _delete_runs(choice.runs(run.scope_unit).filter(status=GroupRunStatus.DONE).exclude(pk=run.pk))


def purge_old_runs(now: dt.datetime | None = None) -> int:
    """Runs older than ``KEEP_DAYS``, except the newest finished run of each unit."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=KEEP_DAYS)
    keep = [
        GroupRun.objects.filter(scope_unit_id=unit_id, status=GroupRunStatus.DONE)
        .order_by("-requested_at", "-id")
        .values_list("pk", flat=True)
        .first()
        for unit_id in GroupRun.objects.values_list("scope_unit_id", flat=True).distinct()
    ]
    old = GroupRun.objects.filter(requested_at__lt=cutoff).exclude(pk__in=[k for k in keep if k])
    with transaction.atomic():
        return _delete_runs(old)


def refresh_nightly(today: dt.date | None = None) -> list[GroupRun]:
    """Every night: fresh word counts, then the default period for each root unit (whose users
    see every case), then the old runs go."""
    refresh_term_statistics()
    choice = default_choice(today)
    done = []
    for root in Unit.objects.filter(parent__isnull=True, is_active=True):
        run = GroupRun.objects.create(
            scope_unit=root,
            period_from=choice.period_from,
            period_to=choice.period_to,
            requested_at=timezone.now(),
        )
        done.append(compute_run(run.pk))
    purge_old_runs()
    return done


# --- reads ----------------------------------------------------------------------------------------


def latest_run(user: User | AnonymousUser, choice: Choice) -> GroupRun | None:
    """The newest run of this choice for the user's unit (finished or not)."""
    unit = getattr(user, "unit", None)
    if unit is None or not rules.can_view_issue_groups(user):
        return None
    return choice.runs(unit).order_by("-requested_at", "-id").first()


def latest_default_run(user: User | AnonymousUser) -> GroupRun | None:
    """The newest finished nightly run of the user's unit (the page before any choice)."""
    unit = getattr(user, "unit", None)
    if unit is None or not rules.can_view_issue_groups(user):
        return None
    return (
        GroupRun.objects.filter(
            scope_unit=unit,
            requested_by__isnull=True,
            status=GroupRunStatus.DONE,
            region_code="",
            unit__isnull=True,
        )
        .order_by("-requested_at", "-id")
        .first()
    )


def _visible_among(
    user: User | AnonymousUser, members: QuerySet[IssueGroupMember]
) -> QuerySet[Case]:
    """The cases of these members the user may see. Driven by the members (a few, by the
    group index), each case found by its primary key: never a walk of every visible case."""
    visible = cases_visible_to(user).exclude(accuser_withheld(user))
    return visible.filter(id__in=members.values("case_id")).order_by()


@dataclass(frozen=True)
class GroupRow:
    group: IssueGroup
    visible: int  # members the user may see now
    bars: list[tuple[str, int, int]]  # (month, count, height 0–10) for the trend


@dataclass(frozen=True)
class GroupPage:
    rows: list[GroupRow]
    page: int
    has_next: bool


def group_bars(group: IssueGroup) -> list[tuple[str, int, int]]:
    """The trend: per month of the run's period (the last 36 at most), the count and a bar
    height from 0 to 10."""
    months = _months(group.run.period_from, group.run.period_to)
    counts = [int(group.monthly.get(month, 0)) for month in months]
    top = max(counts, default=0) or 1
    return [
        (month, count, (count * 10 + top - 1) // top)
        for month, count in zip(months, counts, strict=True)
    ]


def _months(start: dt.date, end: dt.date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-36:]


def group_page(user: User | AnonymousUser, run: GroupRun, page: int = 1) -> GroupPage:
    """One page of a run's groups, largest first, with the members the user may see (two
    queries)."""
    if run.scope_unit_id != getattr(user, "unit_id", None):
        return GroupPage([], 1, False)
    groups = list(
        run.groups.select_related("region")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1]
    )
    has_next = len(groups) > PAGE_SIZE
    groups = groups[:PAGE_SIZE]
    members = IssueGroupMember.objects.filter(group__in=groups)
    seen = set(_visible_among(user, members).values_list("id", flat=True))
    visible = Counter(
        group_id
        for group_id, case_id in members.values_list("group_id", "case_id")
        if case_id in seen
    )
    rows = [
        GroupRow(group, visible[group.pk], group_bars(group))
        for group in groups
        if visible.get(group.pk)
    ]
    return GroupPage(rows, page, has_next)


def group_for(user: User | AnonymousUser, group_id: int) -> IssueGroup | None:
    """A group of a finished run of the user's unit, or None."""
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None or not rules.can_view_issue_groups(user):
        return None
    return (
        IssueGroup.objects.select_related("run", "region")
        .filter(pk=group_id, run__scope_unit_id=unit_id, run__status=GroupRunStatus.DONE)
        .first()
    )


def group_case_ids(group_id: int, *, user: User | AnonymousUser) -> list[int]:
    """The ids of the cases of a group that ``user`` may see, newest received first; [] when
    the group is not one of the user's unit (for 集中交办: select a group's cases)."""
    group = group_for(user, group_id)
    if group is None:
        return []
    rows = _visible_among(user, IssueGroupMember.objects.filter(group=group)).values_list(
        "id", "received_on"
    )
    # Sorted here: an ORDER BY would tempt the database to walk every visible case by date.
    return [case_id for case_id, _ in sorted(rows, key=lambda row: (row[1], row[0]), reverse=True)]


def group_cases(user: User | AnonymousUser, group: IssueGroup) -> list[Case]:
    """The visible cases of a group for its page and its export (one query)."""
    ids = group_case_ids(group.pk, user=user)
    rows = Case.objects.select_related(
        "region", "content_category", "registering_unit", "handling_unit"
    ).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]
