from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    """督办事由 (条例第四十条): by hand, or one of the nightly rules."""

    MANUAL = "manual", _("人工督办")
    OVERDUE = "overdue", _("受理、办理超期")
    NO_FEEDBACK = "no_feedback", _("久拖不办（无办理反馈）")
    NOT_EXECUTED = "not_executed", _("处理意见未落实")
    SENT_BACK = "sent_back", _("处理意见多次被退回")


class OrderStatus(models.TextChoices):
    """督办单状态."""

    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


#: Not closed: a rule raises no second order for the same case and trigger while one is.
PENDING_STATUSES = (OrderStatus.OPEN, OrderStatus.ANSWERED)


class ResponseKind(models.TextChoices):
    """督办单上的往来：承办单位书面答复，督办方认可办结或退回重新答复."""

    ANSWER = "answer", _("书面答复")
    ACCEPTED = "accepted", _("认可答复，办结督办")
    SENT_BACK = "sent_back", _("退回重新答复")


class DirectiveKind(models.TextChoices):
    """Entries on the case's supervision timeline."""

    INSTRUCTION = "instruction", _("领导批示")
    REMINDER = "reminder", _("催办")


class ListingStatus(models.TextChoices):
    """挂牌督办状态."""

    LISTED = "listed", _("挂牌督办中")
    DELISTED = "delisted", _("已摘牌")


class NotificationKind(models.TextChoices):
    """站内通知种类."""

    ASSIGNED = "assigned", _("新转送交办")
    SENT_BACK = "sent_back", _("处理意见被退回")
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已超期")
    ORDER_ISSUED = "order_issued", _("收到督办单")
    ORDER_ANSWERED = "order_answered", _("督办单已答复")
    ORDER_SENT_BACK = "order_sent_back", _("督办答复被退回")
    ORDER_CLOSED = "order_closed", _("督办已办结")
    REMINDER = "reminder", _("催办")
    INSTRUCTION = "instruction", _("领导批示")
    LISTED = "listed", _("挂牌督办")
