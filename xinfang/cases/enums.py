from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    VISIT = "visit", _("走访")
    LETTER = "letter", _("来信")
    ONLINE = "online", _("网上")
    PHONE = "phone", _("来电")
    FAX = "fax", _("传真")


class PetitionForm(models.TextChoices):
    INDIVIDUAL = "individual", _("个体")
    COLLECTIVE = "collective", _("集体")


class HandlingCategory(models.TextChoices):
    """条例第二十九至三十一条."""

    SUGGESTION = "suggestion", _("建议意见类")
    ACCUSATION = "accusation", _("检举控告类")
    CLAIM = "claim", _("申诉求决类")


class ClaimRoute(models.IntegerChoices):
    """申诉求决类 的六条途径 (条例第三十一条); only route 6 runs the 60-day handling clock."""

    LITIGATION = 1, _("诉讼、仲裁以外的司法程序（诉讼、检察、公安）")
    ARBITRATION = 2, _("仲裁")
    PARTY_APPEAL = 3, _("党员申诉")
    ADMINISTRATIVE = 4, _("行政复议、裁决、确认、许可、处罚等行政程序")
    DUTY = 5, _("依法履行职责或答复")
    PETITION = 6, _("信访程序办理")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    NOT_REACCEPTED = "not_reaccepted", _("不再受理")
    TRANSFERRED = "transferred", _("已转送")
    ASSIGNED = "assigned", _("已交办")
    ACCEPTED = "accepted", _("已受理")
    IN_HANDLING = "in_handling", _("办理中")
    UNDER_REVIEW = "under_review", _("审核中")
    REPLIED = "replied", _("已出具意见")
    SERVED = "served", _("已送达")
    REVIEW_REQUESTED = "review_requested", _("复查中")
    REVIEWED = "reviewed", _("已复查")
    RECHECK_REQUESTED = "recheck_requested", _("复核中")
    RECHECKED = "rechecked", _("已复核")
    CLOSED = "closed", _("已办结")
    TERMINATED = "terminated", _("已终结")


class EventKind(models.TextChoices):
    """Kinds of timeline entries on a case."""

    REGISTERED = "registered", _("登记")
    CONTACT_ADDED = "contact_added", _("重复来访/来信/来电")
    ATTACHMENT_ADDED = "attachment_added", _("上传附件")
