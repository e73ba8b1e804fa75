from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    """文书种类: the written notices the procedure requires (条例第二十二、二十三、三十二、
    三十四至三十六条)."""

    ACCEPTANCE = "acceptance", _("受理告知书")
    NON_ACCEPTANCE = "non_acceptance", _("不予受理告知书")
    NO_REACCEPTANCE = "no_reacceptance", _("不再受理告知书")
    TRANSFER = "transfer", _("转送函")
    ASSIGNMENT = "assignment", _("交办单")
    OBJECTION = "objection", _("退回异议函")
    EXTENSION = "extension", _("延长办理期限告知书")
    OPINION = "opinion", _("信访处理意见书")
    REVIEW_OPINION = "review_opinion", _("复查意见书")
    RECHECK_OPINION = "recheck_opinion", _("复核意见书")
    COMPLETION_REPORT = "completion_report", _("办结报告")
    BATCH_ASSIGNMENT = "batch_assignment", _("集中交办单")


class Outcome(models.TextChoices):
    """处理意见: exactly one per request (条例第三十二条)."""

    SUPPORT = "support", _("予以支持")
    EXPLAIN = "explain", _("作出解释说明")
    REJECT = "reject", _("不予支持")


#: 文号 prefixes: "A11受〔2026〕3号". Short, as offices write them; unique per kind.
NUMBER_PREFIX: dict[NoticeKind, str] = {
    NoticeKind.ACCEPTANCE: "受",
    NoticeKind.NON_ACCEPTANCE: "不受",
    NoticeKind.NO_REACCEPTANCE: "不再受",
    NoticeKind.TRANSFER: "转",
    NoticeKind.ASSIGNMENT: "交",
    NoticeKind.OBJECTION: "异",
    NoticeKind.EXTENSION: "延",
    NoticeKind.OPINION: "处",
    NoticeKind.REVIEW_OPINION: "复查",
    NoticeKind.RECHECK_OPINION: "复核",
    NoticeKind.COMPLETION_REPORT: "结",
    NoticeKind.BATCH_ASSIGNMENT: "集交",
}

#: Letters between organs (信函格式: organ mark, 文号 on top); the rest go to the petitioner.
LETTER_KINDS = frozenset(
    {
        NoticeKind.TRANSFER,
        NoticeKind.ASSIGNMENT,
        NoticeKind.OBJECTION,
        NoticeKind.COMPLETION_REPORT,
        NoticeKind.BATCH_ASSIGNMENT,
    }
)
