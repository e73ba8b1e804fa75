"""个人信息批量导出 (SECURITY.md 12): a request names the list it wants (the case list's
filters), the identity fields and the reason; a leader of the requester's unit or a unit above
it approves or rejects it; the requester downloads it once while the approval lasts."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, User


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    DOWNLOADED = "downloaded", _("已下载")


class PersonalField(models.TextChoices):
    """The personal data an export may carry besides the case's own columns."""

    NAME = "name", _("姓名")
    ID_NUMBER = "id_number", _("身份证号码")
    PHONE = "phone", _("联系电话")
    ADDRESS = "address", _("住址")


class PersonalDataExport(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("用途说明"), max_length=500)
    query = models.JSONField(_("筛选条件"), default=dict)
    filter_summary = models.CharField(_("筛选条件"), max_length=500, blank=True)
    fields = models.JSONField(_("导出字段"), default=list)
    status = models.CharField(
        _("状态"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("下载时间"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("导出行数"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息导出申请")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "unit"], name="export_status_unit"),
            models.Index(fields=["requested_by", "-requested_at"], name="export_requester"),
        ]

    def __str__(self) -> str:
        return f"{self.requested_by} {self.get_status_display()}"

    def field_labels(self) -> list[str]:
        return [str(PersonalField(value).label) for value in self.fields]
