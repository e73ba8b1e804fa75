from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, User
from xinfang.cases.models import Case
from xinfang.documents.enums import NoticeKind


class DocumentManager(models.Manager["Document"]):
    """Lists of documents never load the file bytes; the download asks for them."""

    def get_queryset(self) -> models.QuerySet[Document]:
        return super().get_queryset().defer("content")


class Document(models.Model):
    """文书: one generated notice, kept in the database with its case so that the transaction
    that issued it commits or rolls back the file too."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("文书种类"), max_length=20, choices=NoticeKind.choices)
    number = models.CharField(_("文号"), max_length=64)
    issuing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文单位")
    )
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("生成时间"))
    issued_on = models.DateField(_("成文日期"))
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    template_version = models.CharField(_("模板版本"), max_length=32)

    objects = DocumentManager()

    class Meta:
        verbose_name = _("文书")
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["case", "issued_at"], name="document_case_issued")]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "number"], name="unique_document_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class DocumentTemplate(models.Model):
    """文书模板: an administrator's replacement for the built-in template of one kind. At most
    one is active per kind; none active means the built-in one. Old versions stay for the
    record (every document names the version it was made from)."""

    kind = models.CharField(_("文书种类"), max_length=20, choices=NoticeKind.choices)
    version = models.PositiveIntegerField(_("版本"))
    content = models.BinaryField()
    original_name = models.CharField(_("上传文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))
    is_active = models.BooleanField(_("使用中"), default=True)

    class Meta:
        verbose_name = _("文书模板")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_template_version"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(is_active=True),
                name="one_active_template_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 第{self.version}版"

    @property
    def version_label(self) -> str:
        return f"upload-{self.version}"
