from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class StatsConfig(AppConfig):
    name = "xinfang.stats"
    label = "stats"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from xinfang.stats import checks  # noqa: F401  (registers system checks)

        post_migrate.connect(_ensure_triggers, sender=self, dispatch_uid="stats.triggers")


def _ensure_triggers(using: str = "default", **kwargs: Any) -> None:
    """After every migrate: re-create triggers a migration dropped (SQLite rebuilds a table to
    alter it, losing its triggers). Writes made meanwhile went unnoted: mark the counts stale."""
    from xinfang.stats.models import RollupState
    from xinfang.stats.triggers import ensure_triggers

    connection = connections[using]
    if ensure_triggers(connection):
        RollupState.objects.using(using).update(stale=True)
