from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Region, Unit, User
from xinfang.cases.models import Case
from xinfang.search.enums import GroupRunStatus


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


# --- related cases (xinfang.search.related) -----------------------------------------------------


class TermStatistic(models.Model):
    """How many documents of the latest sample of the index hold this bigram (its document
    frequency), for weighting words at registration (rare words say more than common ones) and
    for telling a distinctive phrase from a common one in groups. Rebuilt as a whole by
    :func:`xinfang.search.termstats.refresh_term_statistics`; a bigram seen in one sampled
    document only is not stored (it counts as rare)."""

    term = models.CharField(_("词"), max_length=8, primary_key=True)
    documents = models.PositiveIntegerField(_("文档数"))

    class Meta:
        verbose_name = _("词频统计")

    def __str__(self) -> str:
        return f"{self.term}:{self.documents}"


class TermSample(models.Model):
    """The one row describing the sample behind :class:`TermStatistic`."""

    documents = models.PositiveIntegerField(_("抽样文档数"))
    indexed = models.PositiveIntegerField(_("索引文档总数"))
    built_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("词频抽样")

    def __str__(self) -> str:
        return f"{self.documents}/{self.indexed}@{self.built_at:%Y-%m-%d %H:%M}"


# --- groups of cases about the same issue (xinfang.search.groups) -------------------------------


class GroupRun(models.Model):
    """一次同类问题归并: the groups found among the cases received in a period (optionally of one
    region or unit), computed on the task queue over the cases ``scope_unit`` may see. The page
    shows the newest finished run for the same choices; older runs are deleted."""

    scope_unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("可见范围单位")
    )
    period_from = models.DateField(_("收到日期自"))
    period_to = models.DateField(_("收到日期至"))
    region_code = models.CharField(_("问题属地"), max_length=12, blank=True)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("单位"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=GroupRunStatus.choices, default=GroupRunStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("请求时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cases_seen = models.PositiveIntegerField(_("事项数"), default=0)
    group_count = models.PositiveIntegerField(_("问题组数"), default=0)
    message = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("同类问题归并")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["scope_unit", "period_from", "period_to", "region_code", "-requested_at"],
                name="search_grouprun_choice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_from:%Y-%m-%d}~{self.period_to:%Y-%m-%d} {self.get_status_display()}"


class IssueGroup(models.Model):
    """A group of cases about the same issue: they share a distinctive phrase (the same estate,
    employer, project …) and the same county. ``monthly`` counts the members per month received
    ("2026-03": 4), the trend."""

    run = models.ForeignKey(GroupRun, on_delete=models.CASCADE, related_name="groups")
    label = models.CharField(_("共同词语"), max_length=60)
    phrases = models.JSONField(_("其他共同词语"), default=list)
    size = models.PositiveIntegerField(_("件数"))
    region = models.ForeignKey(
        Region,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("问题属地"),
    )
    first_received = models.DateField(_("最早收到"))
    last_received = models.DateField(_("最近收到"))
    monthly = models.JSONField(_("逐月件数"), default=dict)

    class Meta:
        verbose_name = _("同类问题组")
        ordering = ["-size", "id"]
        indexes = [models.Index(fields=["run", "-size", "id"], name="search_group_run_size")]

    def __str__(self) -> str:
        return f"{self.label}（{self.size}件）"


class IssueGroupMember(models.Model):
    group = models.ForeignKey(IssueGroup, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("同类问题组成员")
        constraints = [
            models.UniqueConstraint(fields=["group", "case"], name="unique_issue_group_member")
        ]
        indexes = [models.Index(fields=["case"], name="search_groupmember_case")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.case_id}"
