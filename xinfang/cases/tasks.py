"""Work on the task queue (Huey): the deadline sweep and recomputations. Run the consumer with
``manage.py run_huey``; ``XF_TASKS_IMMEDIATE=true`` runs tasks in-process (tests, tiny sites)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from xinfang.cases import workflow
from xinfang.cases.models import Case


@db_periodic_task(crontab(minute="5", hour="0"))  # type: ignore[untyped-decorator]
def sweep_deadlines() -> int:
    """Every night after midnight: move warning tiers along (正常 → 临期 → 超期 → 严重超期)."""
    return workflow.sweep_tiers()


@db_task()  # type: ignore[untyped-decorator]
def recompute_deadlines_from(changed_day: dt.date) -> int:
    """After the holiday schedule changed on ``changed_day``: recompute every due date that was
    暂定 or falls on or after that day (earlier ones cannot have counted it). Queued by the
    calendar page on commit; never run inside a request."""
    affected = Case.objects.filter(Q(due_provisional=True) | Q(due_on__gte=changed_day))
    return workflow.recompute_deadlines(affected)
