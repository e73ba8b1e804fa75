"""督办 (条例第四十条), 挂牌督办, 领导包案 (第十八条), 批示, 催办 and the in-system notifications.

Everything here hangs off a case by foreign key; the cases app knows nothing of it. The
matter is supervised, never the petitioner: no row here names or scores a person who
petitioned, only the organs that owe the next step and the staff who act.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Unit, User
from xinfang.cases.models import Case
from xinfang.supervision.enums import (
    PENDING_STATUSES,
    DirectiveKind,
    ListingStatus,
    NotificationKind,
    OrderStatus,
    ResponseKind,
    Trigger,
)


class SupervisionOrder(models.Model):
    """督办单: the organ that owes the next step is told in writing what to do and by when,
    and answers in writing (第四十条; 30 days by default). Raised by a 督查员 or leader, or by
    a nightly rule; a rule never raises a second pending order for the same case and trigger."""

    number = models.CharField(_("督办文号"), max_length=40, unique=True)
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="supervision_orders",
        verbose_name=_("信访事项"),
    )
    trigger = models.CharField(_("督办事由"), max_length=20, choices=Trigger.choices)
    issued_to = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("被督办单位")
    )
    issuing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办单位")
    )
    issued_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("督办人"),
        help_text=_("按规则自动发起的督办单为空"),
    )
    requirement = models.TextField(_("督办要求"))
    issued_on = models.DateField(_("督办日期"))
    due_on = models.DateField(_("答复期限"))
    due_explanation = models.CharField(_("期限计算"), max_length=300, blank=True)
    due_provisional = models.BooleanField(_("暂定"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    rounds = models.PositiveSmallIntegerField(_("退回重新答复次数"), default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("督办单")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "trigger"],
                condition=Q(status__in=PENDING_STATUSES) & ~Q(trigger=Trigger.MANUAL),
                name="supervision_one_pending_rule_order",
            )
        ]
        indexes = [
            # The unit's orders by due date; the board's tabs by status and due date.
            models.Index(fields=["issued_to", "status", "due_on"], name="sup_order_to_due"),
            models.Index(fields=["status", "due_on"], name="sup_order_status_due"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderResponse(models.Model):
    """One exchange on a 督办单: the unit's written answer, or the supervisor's acceptance
    or sending back (with the new answer date)."""

    order = models.ForeignKey(SupervisionOrder, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(_("类型"), max_length=10, choices=ResponseKind.choices)
    text = models.TextField(_("内容"), blank=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    actor_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("时间"))
    due_on = models.DateField(_("重新答复期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办答复")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.kind}"


class Directive(models.Model):
    """领导批示 or 催办 on a case: shown on the case's supervision timeline and sent to the
    unit that owes the next step (``addressed_to``, when there is one)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="directives")
    kind = models.CharField(_("类型"), max_length=12, choices=DirectiveKind.choices)
    text = models.TextField(_("内容"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    author_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    addressed_to = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("批示、催办")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Listing(models.Model):
    """挂牌督办: a named case on the list every member of staff may read, with a responsible
    leader and a deadline. ``name`` is what the list shows (never the petitioner's data)."""

    number = models.CharField(_("挂牌编号"), max_length=40, unique=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="listings")
    name = models.CharField(_("挂牌名称"), max_length=100)
    leader = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任领导")
    )
    deadline = models.DateField(_("办结时限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ListingStatus.choices, default=ListingStatus.LISTED
    )
    listed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    listed_on = models.DateField(_("挂牌日期"))
    delisted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    delisted_on = models.DateField(_("摘牌日期"), null=True, blank=True)
    delist_note = models.CharField(_("摘牌说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("挂牌督办")
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status=ListingStatus.LISTED),
                name="supervision_one_listing_per_case",
            )
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="sup_listing_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class LeaderCase(models.Model):
    """领导包案 (第十八条): a leader takes personal charge of a case until it is resolved or
    the leader hands it back. One leader at a time per case. Counted in 领导包案化解率."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="leader_cases")
    leader = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    taken_on = models.DateField(_("包案日期"))
    note = models.CharField(_("包案说明"), max_length=500, blank=True)
    released_on = models.DateField(_("结束包案日期"), null=True, blank=True)
    release_note = models.CharField(_("结束说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("领导包案")
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(released_on__isnull=True),
                name="supervision_one_leader_per_case",
            )
        ]
        indexes = [
            models.Index(fields=["leader", "released_on"], name="sup_leader_active"),
            models.Index(fields=["taken_on"], name="sup_leader_taken"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.leader_id}"


class Notification(models.Model):
    """站内通知 to one member of staff. ``text`` holds the case number and title only (the
    recipient works that case); e-mails carry less (see ``notifications.mail_body``).
    ``dedupe_key`` makes the nightly due-date notices idempotent per recipient."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        SupervisionOrder, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("内容"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="supervision_notification_once",
            )
        ]
        indexes = [
            # The bell: unread count per person; the page: newest first per person.
            models.Index(fields=["recipient", "read_at"], name="sup_note_unread"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="sup_note_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}:{self.kind}"
