from django.db import models
from django.utils.translation import gettext_lazy as _


class Base(models.TextChoices):
    """What a measure counts rows of: contacts (批次、人次、件) or cases (事项)."""

    CONTACT = "contact", _("来访/来信/来电记录")
    CASE = "case", _("信访事项")


class Aggregate(models.TextChoices):
    COUNT = "count", _("计数")
    PEOPLE = "people", _("人数合计")


class Dimension(models.TextChoices):
    """分组维度: how a table breaks the figures down. Region, category and unit roll up to the
    level below the one chosen in the filters (a subtree counts into its top node)."""

    MONTH = "month", _("月份")
    REGION = "region", _("问题属地")
    CATEGORY = "category", _("内容分类")
    UNIT = "unit", _("主办单位")
    RECEPTION = "reception", _("接待点")
    CHANNEL = "channel", _("来源渠道")
    HANDLING = "handling", _("处理类别")


class EvaluationBasis(models.TextChoices):
    """Whose rating the 参评率 and 满意率 count (``XF_STATS_EVALUATION_TARGET``)."""

    ORGAN = "organ", _("办理机关")
    OFFICE = "office", _("信访部门")


class HandlingDone(models.TextChoices):
    """When handling counts as done for 按期办结率 (``XF_STATS_HANDLING_DONE``)."""

    SERVED = "served", _("处理意见书送达")
    REPLIED = "replied", _("出具处理意见书")
