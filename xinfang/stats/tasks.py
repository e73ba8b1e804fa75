"""The statistics' work on the task queue (Huey): keep the precomputed daily counts in step."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xinfang.stats import services


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def keep_statistics_current() -> int:
    """Every minute: fold the changes the triggers noted (a statistics page folds a short
    queue itself), or rebuild when the holiday table or the rule sets changed."""
    return services.catch_up()


@db_periodic_task(crontab(minute="17", hour="1"))  # type: ignore[untyped-decorator]
def tidy_statistics() -> int:
    """Every night: drop the daily rows whose counts all came back to 0."""
    return services.tidy_rollup()
