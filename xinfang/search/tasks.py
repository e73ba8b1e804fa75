"""Search work on the task queue (``manage.py run_huey``): word counts and issue groups.
Never inside a request."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from xinfang.search import groups


@db_task()  # type: ignore[untyped-decorator]
def compute_issue_groups(run_id: int) -> int:
    """A run a person asked for (``groups.request_group_run`` queues it on commit)."""
    return groups.compute_run(run_id).group_count


@db_periodic_task(crontab(minute="40", hour="2"))  # type: ignore[untyped-decorator]
def refresh_issue_groups() -> int:
    """Every night: word counts from the newest documents, then the last year's groups."""
    return sum(run.group_count for run in groups.refresh_nightly())
