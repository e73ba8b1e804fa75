from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.audit.enums import Outcome


class AuditEvent(models.Model):
    """One append-only line of the audit trail (SECURITY.md 13–15).

    ``seq`` is contiguous from 1, ``prev_hash`` chains each event to the one before it and
    ``hash`` is HMAC-SM3 over the canonical form of the event, so an edit, a deletion or a
    reordering is found by ``manage.py verify_audit``. The actor is kept by id and name, not
    by foreign key: the trail must outlive the accounts it names.
    """

    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    actor_roles = models.CharField(_("角色"), max_length=200, blank=True)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True)
    request_id = models.CharField(max_length=64, blank=True)
    event = models.CharField(_("事件"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True, db_index=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which XF_AUDIT_KEY signed the event (NULL: key 1, events from before key ids existed).
    key_id = models.PositiveSmallIntegerField(null=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.seq} {self.event}"


class AuditHead(models.Model):
    """The newest sequence number and hash, updated in the same transaction as each event.

    Its row lock serialises writers (so the chain never forks), and it lets ``verify_audit``
    notice a trail whose tail was cut off.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
