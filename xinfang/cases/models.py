from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Region, Unit, User
from xinfang.cases.enums import (
    CaseStatus,
    CaseUnitRole,
    Channel,
    ClaimRoute,
    DeadlineTier,
    EventKind,
    HandlingCategory,
    PetitionForm,
    ServiceMethod,
    TerminationReason,
)
from xinfang.core.crypto import unseal
from xinfang.core.validators import mask_address, mask_id_number, mask_phone


class ContentCategory(models.Model):
    """内容分类: a hierarchical code table, importable; codes nest by prefix ("03" → "0301")."""

    code = models.CharField(_("分类代码"), max_length=20, unique=True)
    name = models.CharField(_("分类名称"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    level = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("内容分类")

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class MaskedIdentity:
    id_number: str
    phone: str
    address: str


class Petitioner(models.Model):
    """信访人. ID number, phone and address are sealed with SM4-GCM (AAD = table.column.uid);
    the ``*_index`` columns are HMAC-SM3 blind indexes for exact lookup."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("姓名"), max_length=50)
    id_number_sealed = models.BinaryField(null=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_sealed = models.BinaryField(null=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    address_sealed = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("信访人")

    def __str__(self) -> str:
        return self.name

    def aad(self, column: str) -> str:
        return f"cases_petitioner.{column}.{self.uid}"

    def decrypt(self, column: str) -> str:
        """The plaintext of one sealed column ("" when empty). Callers that show it in full
        must go through ``reveal_personal_data``, which audits."""
        blob = getattr(self, f"{column}_sealed")
        return unseal(bytes(blob), aad=self.aad(column)) if blob else ""

    @cached_property
    def masked(self) -> MaskedIdentity:
        """What every page shows by default: ``110***********1234``."""
        return MaskedIdentity(
            id_number=mask_id_number(self.decrypt("id_number")),
            phone=mask_phone(self.decrypt("phone")),
            address=mask_address(self.decrypt("address")),
        )


# The id and what the visibility rule and the list filters read (Case.Meta.indexes).
SCOPE_INDEX_FIELDS = [
    "id", "status", "received_on", "region", "accused_unit", "registering_unit",
    "handling_unit", "review_unit", "channel", "content_category",
]  # fmt: skip


class Case(models.Model):
    """信访事项: one matter, however many times and ways people come about it."""

    number = models.CharField(_("信访件编号"), max_length=32, unique=True)
    query_code_sealed = models.BinaryField()
    channel = models.CharField(_("来源渠道"), max_length=10, choices=Channel.choices)
    form = models.CharField(_("形式"), max_length=10, choices=PetitionForm.choices)
    people_count = models.PositiveIntegerField(_("人数"), default=1)
    handling_category = models.CharField(
        _("处理类别"), max_length=12, choices=HandlingCategory.choices
    )
    claim_route = models.PositiveSmallIntegerField(
        _("申诉求决途径"), choices=ClaimRoute.choices, null=True, blank=True
    )
    content_category = models.ForeignKey(
        ContentCategory, on_delete=models.PROTECT, verbose_name=_("内容分类")
    )
    involves_litigation = models.BooleanField(_("涉法涉诉"), default=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("问题属地"))
    title = models.CharField(_("标题"), max_length=200)
    request = models.TextField(_("诉求"))
    facts_reasons = models.TextField(_("事实和理由"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED
    )
    received_on = models.DateField(_("收到日期"))
    registered_at = models.DateTimeField(_("登记时间"))
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registering_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="registered_cases", verbose_name=_("登记单位")
    )
    handling_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        null=True,
        blank=True,
        verbose_name=_("主办单位"),
    )
    contact_count = models.PositiveIntegerField(_("来访/来信次数"), default=1)
    # 检举控告 (第三十条、第四十六条): this unit and every unit under it never get the accuser's
    # identity or material (``xinfang.cases.access``), and may not handle the matter.
    accused_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("被检举控告单位"),
    )

    # --- the procedure (written only through workflow.set_status) ---------------------------
    rule_set_key = models.CharField(_("时限规则"), max_length=80, default="national@2022-05-01")
    responsible_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("当前责任单位"),
        help_text=_("当前环节应当作为的单位：登记单位、主办单位或复查/复核机关"),
    )
    review_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="reviewed_cases",
        null=True,
        blank=True,
        verbose_name=_("复查/复核机关"),
    )
    recheck_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("复核机关"),
        help_text=_("复查意见书写明的复核机关；申请复核时成为复查/复核机关"),
    )
    transfer_count = models.PositiveSmallIntegerField(_("转送交办次数"), default=0)
    transferred_on = models.DateField(_("转送/交办日期"), null=True, blank=True)
    assignment_due_on = models.DateField(_("交办办结期限"), null=True, blank=True)
    signed_on = models.DateField(_("签收日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("延长天数"), default=0)
    review_rounds = models.PositiveSmallIntegerField(_("审核退回次数"), default=0)
    draft = models.JSONField(_("处理意见草稿"), default=dict, blank=True)
    replied_on = models.DateField(_("出具意见日期"), null=True, blank=True)
    served_on = models.DateField(_("送达日期"), null=True, blank=True)
    service_method = models.CharField(
        _("送达方式"), max_length=12, choices=ServiceMethod.choices, blank=True
    )
    review_window_until = models.DateField(_("复查申请期限"), null=True, blank=True)
    review_requested_on = models.DateField(_("复查申请日期"), null=True, blank=True)
    review_served_on = models.DateField(_("复查意见送达日期"), null=True, blank=True)
    recheck_window_until = models.DateField(_("复核申请期限"), null=True, blank=True)
    recheck_requested_on = models.DateField(_("复核申请日期"), null=True, blank=True)
    hearing_started_on = models.DateField(_("听证开始日期"), null=True, blank=True)
    paused_days = models.PositiveSmallIntegerField(_("中止天数"), default=0)
    closed_on = models.DateField(_("办结/终结日期"), null=True, blank=True)
    termination_reason = models.CharField(
        _("终结事由"), max_length=30, choices=TerminationReason.choices, blank=True
    )
    # The open step's due date, how it was computed, and its warning tier: stored and indexed
    # so lists, the desk and the sweep never compute deadlines (STYLE.md).
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    due_step = models.CharField(_("期限环节"), max_length=30, blank=True)
    due_explanation = models.CharField(_("期限计算"), max_length=300, blank=True)
    due_provisional = models.BooleanField(_("暂定"), default=False)
    tier = models.CharField(
        _("预警"), max_length=10, choices=DeadlineTier.choices, default=DeadlineTier.NORMAL
    )

    version = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("信访事项")
        ordering = ["-registered_at", "-id"]
        indexes = [
            # Keyset pagination walks (registered_at, id) newest first, alone or after a filter.
            models.Index(fields=["-registered_at", "-id"], name="case_newest"),
            models.Index(fields=["status", "-registered_at", "-id"], name="case_status_newest"),
            models.Index(
                fields=["registering_unit", "-registered_at", "-id"], name="case_reg_unit"
            ),
            models.Index(fields=["handling_unit", "-registered_at", "-id"], name="case_hdl_unit"),
            models.Index(fields=["region", "-registered_at", "-id"], name="case_region"),
            # A received-date range (with or without a district) reads its days from a covering
            # index and sorts their (registered_at, id) there; only the page's rows are read.
            # PostgreSQL's indexes hold no id unless told (SQLite's hold the rowid): with it
            # included, the page's ids are sorted in the index alone there too.
            models.Index(
                fields=["received_on", "registered_at"], include=["id"], name="case_received_at"
            ),
            models.Index(
                fields=["region", "received_on", "registered_at"], name="case_region_received"
            ),
            # A search's month: the lowest and highest id received on each of its days, one
            # index seek each (search.queries.received_id_range).
            models.Index(fields=["received_on", "id"], name="case_received_id"),
            # A search checks each match of its words against the visibility rule and the list
            # filters: these columns, found by id here, spare it a read of the case row (on
            # SQLite they lie after the long texts, in overflow pages).
            models.Index(fields=SCOPE_INDEX_FIELDS, name="case_scope"),
            # The 复查/复核 organ's visibility branch (mostly NULL, so a small index).
            models.Index(fields=["review_unit", "-registered_at", "-id"], name="case_rev_unit"),
            # "My due soon": the unit that owes the next step, by due date; the sweep by date.
            models.Index(fields=["responsible_unit", "due_on"], name="case_resp_due"),
            models.Index(fields=["due_on"], name="case_due"),
            models.Index(fields=["tier", "due_on"], name="case_tier_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CaseUnit(models.Model):
    """A unit that works on a case besides the 主办 (``Case.handling_unit``): today the 协办
    units named at 转送/交办. They see the case, write notes and add attachments, but take none
    of the 主办's steps. Indexed by unit: it is a visibility branch of its own."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="unit_links")
    # Indexed with the case below (caseunit_unit_newest): one index serves the branch.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    role = models.CharField(
        _("角色"), max_length=20, choices=CaseUnitRole.choices, default=CaseUnitRole.COOPERATING
    )
    # The case's registration time, copied (it never changes): the 协办 branch of a case list
    # walks (unit, registered_at, case) newest first like the other branches walk theirs.
    registered_at = models.DateTimeField()
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("协办单位")
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="unique_case_unit")]
        indexes = [
            models.Index(fields=["unit", "-registered_at", "-case"], name="caseunit_unit_newest")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.unit_id}:{self.role}"


class Recusal(models.Model):
    """回避 (第二十八条第三款): a staff member with an interest in the matter, declared by
    themselves or recorded by a leader. They take none of the case's steps, write no records
    and see no full personal data on it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recusals")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("回避事由"), max_length=500)
    declared_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["declared_at", "id"]
        verbose_name = _("回避")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="unique_case_recusal")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.user_id}"


class CasePetitioner(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_petitioners")
    petitioner = models.ForeignKey(Petitioner, on_delete=models.PROTECT, related_name="case_links")
    is_representative = models.BooleanField(_("代表"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "petitioner"], name="unique_case_petitioner")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.petitioner_id}"


class Contact(models.Model):
    """来访/来信/来电记录: each time people come, write or call about a case. The year-end
    counts (批次, 人次, 重访, 涉法) are counted from these rows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("时间"))
    reception_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("接待/收件单位")
    )
    people_count = models.PositiveIntegerField(_("人数"), default=1)
    representative_count = models.PositiveIntegerField(_("代表人数"), default=0)
    is_collective = models.BooleanField(_("集体"), default=False)
    is_repeat = models.BooleanField(_("重复"), default=False)
    skipped_level = models.BooleanField(_("越级"), default=False)
    involves_litigation = models.BooleanField(_("涉法涉诉"), default=False)
    note = models.TextField(_("备注"), blank=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["occurred_at"], name="contact_occurred")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class CaseEvent(models.Model):
    """A step on the case's timeline: who did what, when, with what payload."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def text(self) -> str:
        """The words a person wrote at this step (reason, comments, requirement …), if any."""
        for key in ("reason", "comments", "comment", "requirement", "request", "note", "report"):
            value = self.payload.get(key)
            if value:
                return str(value)
        return ""

    @property
    def facts(self) -> list[str]:
        """Short facts of the step for the timeline: where it went, dates, days, documents."""
        payload, parts = self.payload, []
        if payload.get("unit_id") and payload.get("unit"):
            parts.append(f"→ {payload['unit']}")
        if payload.get("cooperating"):
            parts.append("协办 " + "、".join(str(name) for name in payload["cooperating"]))
        if payload.get("accused_unit"):
            parts.append(f"被检举控告单位 {payload['accused_unit']}")
        again = int(payload.get("transfer_number") or 1) > 1
        if again:
            parts.append(f"第 {payload['transfer_number']} 次转送交办")
        if payload.get("transfer_reason"):
            parts.append(f"{'再次' if again else ''}转送交办理由：{payload['transfer_reason']}")
        labels = (
            ("due_on", "期限"),
            ("served_on", "收到日期"),
            ("requested_on", "收到申请日期"),
            ("started_on", "开始"),
            ("ended_on", "结束"),
        )
        parts += [f"{label} {payload[key]}" for key, label in labels if payload.get(key)]
        if payload.get("days"):
            parts.append(f"{payload['days']} 日")
        if payload.get("override_reason"):
            parts.append(
                f"未按建议（{payload.get('suggested', '')}）：{payload['override_reason']}"
            )
        elif payload.get("suggested"):
            parts.append("按分办规则建议")
        if payload.get("reason_label"):
            parts.append(str(payload["reason_label"]))
        if payload.get("documents"):
            parts.append("文书 " + "、".join(str(n) for n in payload["documents"]))
        return parts


class Attachment(models.Model):
    """An uploaded file, kept outside the web root under a generated name."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class NumberSequence(models.Model):
    """Gapless counters for case numbers (and later 文号): one row per scope, e.g. case:A01:2026."""

    scope = models.CharField(max_length=64, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}={self.last}"


class RuleSet(models.Model):
    """时限规则: one jurisdiction's time limits from a date on. ``limits`` maps a step key
    (see ``deadlines.Step``) to ``{"days": int, "unit": "calendar" | "workdays"}``; steps it
    leaves out take the national defaults. Cases keep the rule set in force at registration."""

    jurisdiction = models.CharField(_("适用地区"), max_length=50)
    name = models.CharField(_("名称"), max_length=100)
    effective_from = models.DateField(_("施行日期"))
    limits = models.JSONField(_("时限"), default=dict)
    roll_forward = models.BooleanField(
        _("期限末日为节假日顺延"),
        default=True,
        help_text=_("按日计算的期限，末日为法定休息日的，顺延至休息日后的第一个工作日"),
    )

    class Meta:
        verbose_name = _("时限规则")
        ordering = ["jurisdiction", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "effective_from"], name="unique_ruleset_effective"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.name}（{self.effective_from:%Y-%m-%d}起）"


class CalendarOverride(models.Model):
    """节假日调整: overrides chinesecalendar for one day (a new year's schedule, a local
    ethnic holiday, a 调休 workday). Any row in a year makes that year's schedule official."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("节假日调整")
        ordering = ["day"]

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "休息"
        return f"{self.day:%Y-%m-%d} {self.name or kind}（{kind}）"


class RoutingRule(models.Model):
    """分办规则 (属地管理、分级负责，谁主管、谁负责): which unit has power to handle a matter of
    this place, kind and route. Empty conditions match anything; the most specific matching
    rule wins: the one with more conditions, then the longer category code (谁主管), then the
    longer region code (属地), then handling category and route. A rule with no conditions is
    the backstop (兜底)."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("问题属地")
    )
    content_category = models.ForeignKey(
        ContentCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("内容分类"),
    )
    handling_category = models.CharField(
        _("处理类别"), max_length=12, choices=HandlingCategory.choices, blank=True
    )
    claim_route = models.PositiveSmallIntegerField(
        _("申诉求决途径"), choices=ClaimRoute.choices, null=True, blank=True
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("有权处理机关")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("分办规则")
        ordering = ["id"]

    def __str__(self) -> str:
        parts = [
            self.region.name if self.region else "任意属地",
            self.content_category.name if self.content_category else "任意分类",
        ]
        return f"{'、'.join(parts)} → {self.unit}"

    @property
    def specificity(self) -> tuple[int, int, int, int, int]:
        conditions = [
            self.region_id,
            self.content_category_id,
            self.handling_category,
            self.claim_route,
        ]
        return (
            sum(1 for condition in conditions if condition),
            len(self.content_category.code) if self.content_category else 0,
            len(self.region.code) if self.region else 0,
            1 if self.handling_category else 0,
            1 if self.claim_route else 0,
        )
