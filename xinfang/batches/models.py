"""集中交办: related cases handed over together, one 集中交办单 per receiving unit, tracked until
every case in the batch is closed. The cases move through the ordinary 交办 step; a batch only
remembers which cases went where together."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, User
from xinfang.cases.models import Case


class Batch(models.Model):
    """一批集中交办: handed over at once by ``office`` with one requirement and one deadline."""

    number = models.CharField(_("批次编号"), max_length=40, unique=True)
    title = models.CharField(_("批次名称"), max_length=100)
    office = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("交办机关")
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("交办时间"))
    handed_over_on = models.DateField(_("交办日期"))
    requirement = models.TextField(_("交办要求"))
    due_on = models.DateField(_("办结期限"))
    criteria = models.CharField(_("挑选条件"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("集中交办批次")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["office", "-created_at"], name="batch_office_newest")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class PartManager(models.Manager["BatchPart"]):
    """Lists never load the 集中交办单's bytes; the download asks for them."""

    def get_queryset(self) -> models.QuerySet[BatchPart]:
        return super().get_queryset().defer("content")


class BatchPart(models.Model):
    """One receiving unit's part of a batch, with its 集中交办单 (stored in the database with
    the batch, so the transaction that hands over commits or rolls back the file too)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="parts")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("接收单位")
    )
    issuing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文单位")
    )
    number = models.CharField(_("文号"), max_length=64)
    issued_on = models.DateField(_("成文日期"))
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    template_version = models.CharField(_("模板版本"), max_length=32)

    objects = PartManager()

    class Meta:
        verbose_name = _("集中交办单")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "unit"], name="unique_batch_unit"),
            models.UniqueConstraint(
                fields=["issuing_unit", "number"], name="unique_batch_notice_number"
            ),
        ]
        indexes = [models.Index(fields=["unit", "batch"], name="batchpart_unit")]

    def __str__(self) -> str:
        return f"{self.number} → {self.unit_id}"


class BatchCase(models.Model):
    """One case of a batch: the unit it went to, and the routing suggestion it overrode."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="items")
    part = models.ForeignKey(BatchPart, on_delete=models.PROTECT, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="batch_items")
    position = models.PositiveIntegerField()
    suggested_unit_name = models.CharField(_("建议单位"), max_length=100, blank=True)
    override_reason = models.CharField(_("改派理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("集中交办事项")
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "case"], name="unique_batch_case"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.case_id}"
