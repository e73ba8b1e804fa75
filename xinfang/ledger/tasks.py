"""Ledger imports run on the task queue (``manage.py run_huey``); never inside a request."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from xinfang.ledger.services import purge_expired_files, run_import


@db_task()  # type: ignore[untyped-decorator]
def import_ledger(ledger_id: int) -> int:
    return run_import(ledger_id).imported


@db_periodic_task(crontab(minute="20", hour="1"))  # type: ignore[untyped-decorator]
def purge_ledger_files() -> int:
    """Every night: sealed uploads past ``XF_LEDGER_KEEP_DAYS`` are deleted."""
    return purge_expired_files()
