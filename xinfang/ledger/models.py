from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, User
from xinfang.cases.models import Case
from xinfang.ledger.enums import ImportStatus


class MappingPreset(models.Model):
    """A saved column mapping, keyed by header names so it fits the next file laid out the
    same way. Belongs to a person, or to a unit (shared with its clerks)."""

    name = models.CharField(_("名称"), max_length=50)
    owner = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(_("列对应"), default=dict)  # field -> header text
    defaults = models.JSONField(_("默认值"), default=dict)  # field -> value (codes)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("列对应方案")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "owner", "name"], name="unique_ledger_preset")
        ]

    def __str__(self) -> str:
        return self.name


class LedgerImport(models.Model):
    """One uploaded ledger and its import: the file (sealed on disk until the import ends),
    the mapping chosen, progress and counts."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(
        _("台账来源"),
        max_length=100,
        help_text=_("同一来源的同一行（原编号或内容相同）只导入一次"),
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    file_kind = models.CharField(max_length=8)  # xlsx | csv
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    headers = models.JSONField(default=list)
    header_row = models.PositiveIntegerField(default=1)
    columns = models.JSONField(_("列对应"), default=dict)  # field -> column index
    defaults = models.JSONField(_("默认值"), default=dict)
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("数据行"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理"), default=0)
    imported = models.PositiveIntegerField(_("已导入"), default=0)
    duplicates = models.PositiveIntegerField(_("重复跳过"), default=0)
    rejected = models.PositiveIntegerField(_("未导入"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The sealed upload is deleted when the import ends without rejected rows, else kept
    # until then for the rejected-rows download; None once it is gone.
    file_kept_until = models.DateTimeField(_("原文件保留至"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "-created_at"], name="ledger_import_unit")]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        return self.rows_done * 100 // self.rows_total if self.rows_total else 0


class ImportedRow(models.Model):
    """The stable external key of an imported row: (unit, source, row key) → the case made
    from it. Importing the same row again finds it here and creates nothing."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=100)
    row_key = models.CharField(max_length=80)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="ledger_row")
    ledger_import = models.ForeignKey(
        LedgerImport, on_delete=models.PROTECT, related_name="imported_rows"
    )
    row_number = models.PositiveIntegerField(_("行号"))
    reply = models.TextField(_("答复意见（台账）"), blank=True)
    replied_on = models.DateField(_("答复日期（台账）"), null=True, blank=True)

    class Meta:
        verbose_name = _("已导入台账行")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "source", "row_key"], name="unique_ledger_row_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.row_key}"


class RejectedRow(models.Model):
    """A row not imported, and why. Its values stay in the sealed upload (kept for
    ``XF_LEDGER_KEEP_DAYS``), from which the .xlsx of rejected rows is made: no personal
    data of a rejected row is copied into the database."""

    ledger_import = models.ForeignKey(
        LedgerImport, on_delete=models.CASCADE, related_name="rejected_rows"
    )
    row_number = models.PositiveIntegerField(_("行号"))
    reasons = models.TextField(_("原因"))

    class Meta:
        verbose_name = _("未导入台账行")
        ordering = ["row_number"]

    def __str__(self) -> str:
        return f"{self.ledger_import_id}:{self.row_number}"
