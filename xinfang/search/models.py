from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Case


class SearchDocument(models.Model):
    """One case as the search index sees it: its searchable fields normalised and joined by
    ``FIELD_SEPARATOR`` (a character normalisation never leaves in a text).

    ``body`` confirms terms the index cannot decide alone (a substring check), and lets the
    SQLite index delete a case's old tokens by tokenising it again. The index proper lives
    beside it, per database, created by migration 0001: on SQLite the FTS5 table
    ``search_fts`` (rowid = case id), on PostgreSQL the ``tsv`` column with a GIN index."""

    FIELD_SEPARATOR = "\x1f"

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    body = models.TextField(_("检索文本"))
    analyzer_version = models.PositiveSmallIntegerField(_("分词版本"))
    indexed_at = models.DateTimeField(_("索引时间"))

    class Meta:
        verbose_name = _("检索文档")

    def __str__(self) -> str:
        return f"search:{self.case_id}"

    @property
    def fields(self) -> list[str]:
        return self.body.split(self.FIELD_SEPARATOR)
