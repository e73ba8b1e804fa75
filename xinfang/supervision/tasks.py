"""Supervision on the task queue (Huey): notification delivery and the nightly rules. Nothing
here runs inside a request; ``XF_TASKS_IMMEDIATE=true`` runs tasks in-process (tests)."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from xinfang.supervision import notifications, triggers


@db_task(retries=2, retry_delay=60)  # type: ignore[untyped-decorator]
def deliver_notifications(
    unit_id: int | None,
    user_ids: list[int],
    notice: dict[str, Any],
    exclude_user_id: int | None = None,
) -> int:
    """Write one notice for the role-appropriate members of a unit and named people (queued
    by ``notifications.notify`` on commit)."""
    return notifications.deliver(
        notifications.Notice(**notice),
        unit_id=unit_id,
        user_ids=user_ids,
        exclude_user_id=exclude_user_id,
    )


@db_periodic_task(crontab(minute="35", hour="0"))  # type: ignore[untyped-decorator]
def supervise_nightly() -> dict[str, int]:
    """Every night after the deadline sweep: tiers, due/overdue notices, the 督办 rules
    (cron without the queue: ``manage.py supervise``)."""
    return triggers.nightly()
