from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import User
from xinfang.cases.models import Case
from xinfang.portal.enums import EvaluationChannel, EvaluationTarget, ThrottleScope


class Evaluation(models.Model):
    """满意度评价: one rating of the office or of the organ, by the petitioner on the portal or
    recorded by staff from a 回访. The latest per case and target counts; earlier ones stay."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evaluations")
    target = models.CharField(_("评价对象"), max_length=10, choices=EvaluationTarget.choices)
    rating = models.CharField(_("评价"), max_length=20)
    comment = models.TextField(_("意见"), blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=EvaluationChannel.choices)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "target", "-created_at"], name="eval_latest")]
        verbose_name = _("满意度评价")

    def __str__(self) -> str:
        return f"{self.case_id} {self.target} {self.rating}"


class PortalThrottle(models.Model):
    """查询失败计数 per source address and per case number: guessing a 查询码 gets locked out.
    Rows exist for numbers that do not exist too, so a lock reveals nothing."""

    scope = models.CharField(max_length=10, choices=ThrottleScope.choices)
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="unique_portal_throttle")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
