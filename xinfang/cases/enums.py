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
    """Where a case stands in the procedure (DESIGN.md §3); ``workflow.TRANSITIONS`` says how
    it moves. Only ``workflow.set_status`` writes this column."""

    REGISTERED = "registered", _("已登记")
    TRANSFERRED = "transferred", _("已转送")
    ASSIGNED = "assigned", _("已交办")
    RECEIVED = "received", _("已签收")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    NOT_REACCEPTED = "not_reaccepted", _("不再受理")
    IN_HANDLING = "in_handling", _("办理中")
    EXTENSION_REQUESTED = "extension_requested", _("延期审批中")
    UNDER_REVIEW = "under_review", _("意见审核中")
    REPLIED = "replied", _("已出具意见")
    SERVED = "served", _("已送达")
    REVIEW_REQUESTED = "review_requested", _("复查中")
    REVIEWED = "reviewed", _("已出具复查意见")
    REVIEW_SERVED = "review_served", _("复查意见已送达")
    RECHECK_REQUESTED = "recheck_requested", _("复核中")
    RECHECK_HEARING = "recheck_hearing", _("复核听证中")
    RECHECKED = "rechecked", _("已出具复核意见")
    CLOSED = "closed", _("已办结")
    TERMINATED = "terminated", _("已终结")


#: No step leads out of these.
FINAL_STATUSES = frozenset(
    {CaseStatus.NOT_ACCEPTED, CaseStatus.NOT_REACCEPTED, CaseStatus.TERMINATED}
)


class EventKind(models.TextChoices):
    """Kinds of timeline entries on a case; every workflow action writes one."""

    REGISTERED = "registered", _("登记")
    CONTACT_ADDED = "contact_added", _("重复来访/来信/来电")
    ATTACHMENT_ADDED = "attachment_added", _("上传附件")
    TRANSFERRED = "transferred", _("转送")
    ASSIGNED = "assigned", _("交办")
    SIGNED = "signed", _("签收")
    OBJECTED = "objected", _("异议退回")
    ACCEPTED = "accepted", _("受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    NOT_REACCEPTED = "not_reaccepted", _("不再受理")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_APPROVED = "extension_approved", _("批准延期")
    EXTENSION_REJECTED = "extension_rejected", _("不予延期")
    DRAFT_SUBMITTED = "draft_submitted", _("提交处理意见送审")
    DRAFT_SENT_BACK = "draft_sent_back", _("审核退回")
    REPLY_ISSUED = "reply_issued", _("出具处理意见书")
    SERVED = "served", _("送达")
    REVIEW_REQUESTED = "review_requested", _("申请复查")
    REVIEW_ISSUED = "review_issued", _("出具复查意见")
    RECHECK_REQUESTED = "recheck_requested", _("申请复核")
    HEARING_STARTED = "hearing_started", _("复核听证开始")
    HEARING_ENDED = "hearing_ended", _("复核听证结束")
    RECHECK_ISSUED = "recheck_issued", _("出具复核意见")
    CLOSED = "closed", _("办结")
    TERMINATED = "terminated", _("终结")
    NOTE = "note", _("工作记录")
    INVESTIGATION = "investigation", _("调查记录")
    RECUSAL_DECLARED = "recusal_declared", _("申报回避")


class CaseUnitRole(models.TextChoices):
    """What a unit other than the 主办 (``Case.handling_unit``) does on a case."""

    COOPERATING = "cooperating", _("协办")


class ServiceMethod(models.TextChoices):
    """送达方式."""

    IN_PERSON = "in_person", _("直接送达")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达")
    LEFT = "left", _("留置送达")
    PUBLIC = "public", _("公告送达")


class TerminationReason(models.TextChoices):
    """终结事由 (DESIGN.md §3). Which ones an office offers is configured by
    ``XF_TERMINATION_REASONS``; ``WINDOW_LAPSED`` needs the 复查/复核 window to have passed."""

    RECHECK_SERVED = "recheck_served", _("复核意见已送达")
    WINDOW_LAPSED = "window_lapsed", _("复查/复核申请期限届满未申请")
    SETTLEMENT_PERFORMED = "settlement_performed", _("调解/和解协议已履行")
    LEGAL_PROCEDURE_ENDED = "legal_procedure_ended", _("政法程序依法终结")
    PETITIONER_GONE = "petitioner_gone", _("信访人死亡或终止")
    OTHER_LEGAL_BASIS = "other_legal_basis", _("其他有法律依据的情形")


class DeadlineTier(models.TextChoices):
    """预警等级 of an open step."""

    NORMAL = "normal", _("正常")
    NEAR = "near", _("临期")
    OVERDUE = "overdue", _("超期")
    SEVERE = "severe", _("严重超期")
