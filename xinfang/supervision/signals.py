"""Notifications on the case timeline's events, from outside the cases app: every workflow
step writes one ``CaseEvent`` in its transaction, so listening to its ``post_save`` hears
each 转送/交办 and each 审核退回 without touching the step services. The notice is queued on
commit (``notifications.notify``): a refused step notifies nobody."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from xinfang.cases.enums import EventKind
from xinfang.cases.models import CaseEvent
from xinfang.supervision.enums import NotificationKind
from xinfang.supervision.notifications import case_notice, notify


@receiver(post_save, sender=CaseEvent, dispatch_uid="supervision.event_saved")
def event_saved(
    sender: type[CaseEvent], instance: CaseEvent, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw or not created:
        return
    if instance.kind in (EventKind.TRANSFERRED, EventKind.ASSIGNED):
        unit_id = instance.payload.get("unit_id")
        if isinstance(unit_id, int):
            label = str(EventKind(instance.kind).label)
            notice = case_notice(NotificationKind.ASSIGNED, instance.case, label)
            notify(notice, unit_id=unit_id, exclude_user_id=instance.actor_id)
    elif instance.kind == EventKind.DRAFT_SENT_BACK:
        case = instance.case
        if case.handling_unit_id is not None:
            notice = case_notice(NotificationKind.SENT_BACK, case)
            notify(notice, unit_id=case.handling_unit_id, exclude_user_id=instance.actor_id)
