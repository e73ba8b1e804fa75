"""节假日调整: the administrator's edits to the working-day calendar (audited). Each change
queues a recomputation of the due dates it can move (暂定 ones and those on or after it)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from xinfang.accounts import rules
from xinfang.accounts.models import User
from xinfang.audit.services import record
from xinfang.cases.models import CalendarOverride


def _queue_recompute(day: dt.date) -> None:
    from xinfang.cases.tasks import recompute_deadlines_from

    transaction.on_commit(lambda: recompute_deadlines_from(day))


@transaction.atomic
def set_calendar_day(
    *, actor: User, day: dt.date, is_workday: bool, name: str = ""
) -> CalendarOverride:
    """Declare one day a workday (调休上班) or a rest day (节假日); replaces an earlier entry."""
    if not rules.can_manage_accounts(actor):
        raise PermissionDenied("只有系统管理员可以调整节假日安排。")
    name = name.strip()
    if len(name) > 50:
        raise ValidationError("名称不能超过 50 字。")
    if not 2000 <= day.year <= 2100:
        raise ValidationError("日期超出可调整的范围（2000—2100 年）。")
    row, created = CalendarOverride.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "name": name}
    )
    record(
        "calendar.set_day",
        actor=actor,
        target=row,
        object_id=day.isoformat(),
        detail={"is_workday": is_workday, "name": name, "created": created},
    )
    _queue_recompute(day)
    return row


@transaction.atomic
def remove_calendar_day(*, actor: User, day: dt.date) -> None:
    if not rules.can_manage_accounts(actor):
        raise PermissionDenied("只有系统管理员可以调整节假日安排。")
    deleted, _ = CalendarOverride.objects.filter(day=day).delete()
    if not deleted:
        raise ValidationError(f"{day.isoformat()} 没有调整记录。")
    record(
        "calendar.remove_day",
        actor=actor,
        object_type="cases.calendaroverride",
        object_id=day.isoformat(),
        detail={},
    )
    _queue_recompute(day)
