"""One 集中交办 batch for the demo, made by the real services after ``seed_demo``: the office's
clerk hands the waiting cases of one district over to the units the routing rules suggest,
and the units with a demo handler sign the first of theirs, so the batch page shows a
1366×768-sized picture of every state: 已交办, 已签收, progress, due dates."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone

from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.batches.models import Batch
from xinfang.batches.queries import Candidate, select_cases
from xinfang.batches.services import Line, hand_over_batch
from xinfang.cases.queries import CaseFilters
from xinfang.cases.steps import sign_case
from xinfang.search.analyzer import parse_query

DEMO_DUE_DAYS = 30


def _office_clerk() -> User | None:
    """The demo's 登记员 of the petition office at the root (it may 交办 every case)."""
    clerks = User.objects.filter(
        is_active=True, role_grants__role=Role.CLERK, unit__parent__isnull=True
    ).select_related("unit")
    return clerks.order_by("id").first()


def _handlers() -> dict[int, User]:
    """The first demo 承办人 of each unit that has one."""
    found: dict[int, User] = {}
    rows = User.objects.filter(is_active=True, role_grants__role=Role.HANDLER).order_by("id")
    for user in rows:
        if user.unit_id is not None:
            found.setdefault(user.unit_id, user)
    return found


def _unit_of(candidate: Candidate) -> int | None:
    return candidate.suggestion.unit.pk if candidate.suggestion is not None else None


def _choose(candidates: list[Candidate], staffed: set[int], size: int) -> list[Candidate]:
    """Up to ``size`` cases of one district (county-level code): the district with most cases
    going to a unit that has a demo handler, those cases first."""
    ready = [c for c in candidates if _unit_of(c) is not None]
    counts = Counter(c.case.region.code[:6] for c in ready if _unit_of(c) in staffed)
    if not counts:
        counts = Counter(c.case.region.code[:6] for c in ready)
    if not counts:
        return []
    district = counts.most_common(1)[0][0]
    mine = [c for c in ready if c.case.region.code.startswith(district)]
    mine.sort(key=lambda c: _unit_of(c) not in staffed)
    return mine[:size]


def seed_demo_batch(*, size: int = 6, today: dt.date | None = None) -> Batch | None:
    """Hand up to ``size`` waiting cases of one district over in one batch and sign one case
    per receiving unit that has a demo handler. Does nothing (None) when a batch exists
    already or nothing can be handed over. Writes what the services write (audited)."""
    if Batch.objects.exists():
        return None
    clerk = _office_clerk()
    if clerk is None:
        return None
    waiting = select_cases(clerk, query=parse_query(""), filters=CaseFilters())
    handlers = _handlers()
    chosen = _choose(waiting.eligible, set(handlers), size)
    if not chosen:
        return None
    code = chosen[0].case.region.code[:6]
    district = Region.objects.filter(code=code).first()
    name = district.name if district is not None else chosen[0].case.region.name
    start = today or timezone.localdate()
    batch = hand_over_batch(
        actor=clerk,
        title=f"{name}待交办信访事项集中交办",
        requirement="请逐件核实情况，依法依规处理，按期将办理结果和办结报告报送市信访局。",
        due_on=start + dt.timedelta(days=DEMO_DUE_DAYS),
        lines=[
            Line(
                case=c.case,
                to_unit=c.suggestion.unit,
                reason="同一问题属地的同类事项集中交办。" if c.case.transfer_count else "",
            )
            for c in chosen
            if c.suggestion
        ],
        criteria=f"问题属地：{name}",
    )
    for part in batch.parts.all():
        handler = handlers.get(part.unit_id)
        first = part.items.select_related("case__registering_unit").order_by("position").first()
        if handler is not None and first is not None:
            sign_case(first.case, actor=handler)
    return batch
