from django.db import models
from django.utils.translation import gettext_lazy as _


class GroupRunStatus(models.TextChoices):
    """同类问题归并 runs on the task queue: queued, then running, then done (or failed)."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
