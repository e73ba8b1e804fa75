from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationTarget(models.TextChoices):
    """满意度评价 rates the petition office and the handling organ separately."""

    OFFICE = "office", _("信访部门")
    ORGAN = "organ", _("办理机关")


class EvaluationChannel(models.TextChoices):
    PORTAL = "portal", _("网上查询评价")
    PHONE = "phone", _("电话回访")
    VISIT = "visit", _("当面回访")


class ThrottleScope(models.TextChoices):
    ADDRESS = "address", _("来源地址")
    CASE = "case", _("信访件编号")
