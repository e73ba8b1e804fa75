"""Forms validate and convert; they never write. Registration is three forms bound together."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.urls import reverse_lazy
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.enums import CASE_ROLES, RegionLevel, UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.cases.enums import CaseStatus, Channel, ClaimRoute, EventKind, HandlingCategory
from xinfang.cases.models import ContentCategory
from xinfang.cases.queries import CaseFilters, registrable_categories
from xinfang.cases.services import CaseInput, ContactInput, PetitionerInput
from xinfang.core.uploads import ALLOWED_EXTENSIONS, sniff_upload
from xinfang.core.validators import validate_id_number, validate_phone
from xinfang.core.widgets import QuickSelect

MAX_PETITIONERS = 50


def reception_units_for(user: User) -> QuerySet[Unit]:
    """The clerk's own unit and the reception points under it."""
    if user.unit is None:
        return Unit.objects.none()
    return Unit.objects.filter(
        Q(pk=user.unit.pk)
        | Q(
            path__startswith=user.unit.path, kind__in=[UnitKind.RECEPTION, UnitKind.PETITION_OFFICE]
        )
    ).order_by("path")


def regions_for(user: User) -> QuerySet[Region]:
    """问题属地 choices: the regions under the user's unit's region (all, if it has none)."""
    regions = Region.objects.filter(level__gte=RegionLevel.CITY)
    if user.unit is not None and user.unit.region is not None:
        regions = regions.filter(code__startswith=user.unit.region.code)
    return regions.order_by("code")


class RegionChoiceField(forms.ModelChoiceField[Region]):
    def label_from_instance(self, obj: Region) -> str:
        indent = "　" * max(obj.level - RegionLevel.CITY, 0)
        return f"{indent}{obj.name}（{obj.code}）"


class CategoryChoiceField(forms.ModelChoiceField[ContentCategory]):
    def label_from_instance(self, obj: ContentCategory) -> str:
        parent = obj.parent.name + " › " if obj.parent_id and obj.parent else ""
        return f"{obj.code} {parent}{obj.name}"


class ContactForm(forms.Form):
    """来访/来信/来电: when, where, how many people."""

    channel = forms.ChoiceField(
        label="来源渠道", choices=Channel.choices, initial=Channel.VISIT, widget=forms.RadioSelect
    )
    occurred_at = forms.DateTimeField(
        label="来访/收信时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    reception_unit = forms.ModelChoiceField(
        label="接待/收件单位", queryset=Unit.objects.none(), empty_label="请选择"
    )
    people_count = forms.IntegerField(
        label="人数",
        min_value=1,
        max_value=100_000,
        initial=1,
        help_text=f"{settings.XF_COLLECTIVE_THRESHOLD}人及以上按集体访统计",
    )
    skipped_level = forms.BooleanField(label="越级（仅用于引导至有权处理机关）", required=False)
    note = forms.CharField(
        label="备注", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = reception_units_for(user)
        self.fields["reception_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["reception_unit"].initial = (
            units.filter(kind=UnitKind.RECEPTION).first() or user.unit
        )
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_occurred_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["occurred_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationError("时间不能晚于现在。")
        if value.year < 2000:
            raise ValidationError("时间不合理，请核对。")
        return value

    def to_input(self) -> ContactInput:
        data = self.cleaned_data
        return ContactInput(
            channel=Channel(data["channel"]),
            occurred_at=data["occurred_at"],
            reception_unit=data["reception_unit"],
            people_count=data["people_count"],
            skipped_level=data["skipped_level"],
            note=data["note"],
        )


class PetitionerForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号",
        max_length=18,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "class": "id-number",
                # While typing, the panel beside the form shows this person's existing cases.
                "hx-get": reverse_lazy("cases:person_lookup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#existing-cases",
                "hx-swap": "outerHTML",
            }
        ),
    )
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="住址", max_length=200, required=False)
    is_representative = forms.BooleanField(label="代表", required=False)

    def clean_id_number(self) -> str:
        raw: str = self.cleaned_data["id_number"]
        return validate_id_number(raw) if raw.strip() else ""

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data["phone"]
        return validate_phone(raw) if raw.strip() else ""

    def to_input(self) -> PetitionerInput:
        data = self.cleaned_data
        return PetitionerInput(
            name=data["name"].strip(),
            id_number=data["id_number"],
            phone=data["phone"],
            address=data["address"].strip(),
            is_representative=data["is_representative"],
        )


class BasePetitionerFormSet(forms.BaseFormSet[PetitionerForm]):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            number = form.cleaned_data.get("id_number", "")
            if number and number in seen:
                raise ValidationError("同一身份证号重复登记，请检查信访人列表。")
            seen.add(number)

    def to_inputs(self) -> list[PetitionerInput]:
        # Blank rows beyond the minimum are allowed and simply skipped.
        return [form.to_input() for form in self.forms if form.cleaned_data]


def petitioner_formset(*, min_num: int) -> type[BasePetitionerFormSet]:
    # The stubs type formset_factory's result as the base class, losing formset=.
    return forms.formset_factory(  # type: ignore[return-value]
        PetitionerForm,
        formset=BasePetitionerFormSet,
        extra=0,
        min_num=min_num,
        validate_min=True,
        max_num=MAX_PETITIONERS,
        validate_max=True,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned: list[UploadedFile[bytes]] = []
        for upload in files:
            checked: UploadedFile[bytes] = super().clean(upload, initial)
            sniff_upload(
                checked.name or "",
                checked,
                checked.size or 0,
                max_bytes=settings.ATTACHMENT_MAX_BYTES,
            )
            cleaned.append(checked)
        return cleaned


class MatterForm(forms.Form):
    """信访事项: what the matter is and where it belongs."""

    handling_category = forms.ChoiceField(
        label="处理类别",
        choices=HandlingCategory.choices,
        initial=HandlingCategory.CLAIM,
        widget=forms.RadioSelect,
    )
    claim_route = forms.TypedChoiceField(
        label="申诉求决途径",
        choices=[("", "（待受理时确定）"), *ClaimRoute.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    content_category = CategoryChoiceField(
        label="内容分类", queryset=ContentCategory.objects.none(), empty_label="请选择"
    )
    involves_litigation = forms.BooleanField(label="涉法涉诉", required=False)
    accused_unit = forms.ModelChoiceField(
        label="被检举控告单位",
        queryset=Unit.objects.none(),
        required=False,
        empty_label="（不涉及或不明确）",
        help_text="检举控告类：该单位及其下属单位看不到检举控告人身份和材料（第三十条）",
    )
    region = RegionChoiceField(
        label="问题属地", queryset=Region.objects.none(), empty_label="请选择"
    )
    title = forms.CharField(label="标题", max_length=200)
    request = forms.CharField(
        label="诉求", max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    facts_reasons = forms.CharField(
        label="事实和理由",
        max_length=50_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = AttachmentsField(
        label="附件",
        required=False,
        help_text="允许：" + "、".join(ext.lstrip(".") for ext in ALLOWED_EXTENSIONS),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content_category"].queryset = (  # type: ignore[attr-defined]
            registrable_categories().select_related("parent").order_by("code")
        )
        self.fields["region"].queryset = regions_for(user)  # type: ignore[attr-defined]
        self.fields["accused_unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        route = data.get("claim_route")
        if route is not None and data.get("handling_category") != HandlingCategory.CLAIM:
            self.add_error("claim_route", "只有申诉求决类事项才选择途径。")
        accused = data.get("accused_unit")
        if accused is not None and data.get("handling_category") != HandlingCategory.ACCUSATION:
            self.add_error("accused_unit", "只有检举控告类事项才填写被检举控告单位。")
        return data

    def to_input(self) -> CaseInput:
        data = self.cleaned_data
        route = data["claim_route"]
        return CaseInput(
            handling_category=HandlingCategory(data["handling_category"]),
            claim_route=ClaimRoute(route) if route is not None else None,
            content_category=data["content_category"],
            involves_litigation=data["involves_litigation"],
            region=data["region"],
            title=data["title"].strip(),
            request=data["request"].strip(),
            facts_reasons=data["facts_reasons"].strip(),
            accused_unit=data.get("accused_unit"),
        )


class RegistrationForms:
    """The registration page: contact + petitioners + matter, bound and validated together."""

    def __init__(self, user: User, data: Any = None, files: Any = None) -> None:
        self.contact = ContactForm(data, user=user, prefix="contact")
        formset_class = petitioner_formset(min_num=1)
        self.petitioners = formset_class(data, prefix="petitioners")
        self.matter = MatterForm(data, files, user=user, prefix="matter")
        key = (data or {}).get("idempotency_key", "")
        self.idempotency_key = key if _is_uuid(key) else str(uuid.uuid4())
        # A draft is re-shown (a row added, a person looked up) without validation errors.
        self.draft = False

    def with_one_more_petitioner(self, data: Any) -> None:
        """Re-render with an extra blank row, keeping everything typed so far."""
        copy = data.copy()
        try:
            total = int(copy.get("petitioners-TOTAL_FORMS", "1"))
        except ValueError:
            total = 1
        copy["petitioners-TOTAL_FORMS"] = str(max(1, min(total + 1, MAX_PETITIONERS)))
        self.petitioners = petitioner_formset(min_num=1)(copy, prefix="petitioners")
        self.draft = True

    def people_are_valid(self) -> bool:
        return self.contact.is_valid() & self.petitioners.is_valid()

    def is_valid(self) -> bool:
        return self.people_are_valid() & self.matter.is_valid()

    def first_id_number(self) -> str:
        """The first valid ID number typed so far (for the 已有信访事项 panel)."""
        for form in self.petitioners.forms:
            if form.is_bound and form.is_valid() and form.cleaned_data.get("id_number"):
                return str(form.cleaned_data["id_number"])
        return ""


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


class CaseFilterForm(forms.Form):
    """The case list's filters (GET). Invalid values are dropped, never an error page."""

    status = forms.ChoiceField(
        label="状态",
        choices=[("", "全部"), *CaseStatus.choices],
        required=False,
        widget=QuickSelect,
    )
    channel = forms.ChoiceField(
        label="渠道", choices=[("", "全部"), *Channel.choices], required=False, widget=QuickSelect
    )
    # Values are codes: choosing a district or a first-level category covers everything under it.
    region = forms.ChoiceField(label="问题属地", required=False, widget=QuickSelect)
    category = forms.ChoiceField(label="内容分类", required=False, widget=QuickSelect)
    unit = forms.ModelChoiceField(
        label="单位",
        queryset=Unit.objects.none(),
        required=False,
        empty_label="全部",
        widget=QuickSelect,
    )
    received_from = forms.DateField(
        label="收到日期自", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = (
            Unit.objects.filter(path__startswith=user.unit.path)
            if user.unit
            else Unit.objects.none()
        )
        self.fields["unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        regions = regions_for(user).filter(level__lte=RegionLevel.COUNTY)
        self.fields["region"].choices = [  # type: ignore[attr-defined]
            ("", "全部"),
            *((r.code, "　" * max(r.level - RegionLevel.CITY, 0) + r.name) for r in regions),
        ]
        categories = ContentCategory.objects.filter(is_active=True).order_by("code")
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "全部"),
            *((c.code, ("　" if c.level > 1 else "") + c.name) for c in categories),
        ]

    def to_filters(self) -> CaseFilters:
        self.is_valid()  # an invalid field drops out of cleaned_data; the valid ones still apply
        data = self.cleaned_data if self.is_bound else {}
        unit = data.get("unit")
        return CaseFilters(
            status=data.get("status", ""),
            channel=data.get("channel", ""),
            region_code=data.get("region", ""),
            category_code=data.get("category", ""),
            unit_id=unit.pk if unit else None,
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
        )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="附件")

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        sniff_upload(
            upload.name or "", upload, upload.size or 0, max_bytes=settings.ATTACHMENT_MAX_BYTES
        )
        return upload


class AddContactForms:
    """重访: a new contact on an existing case, optionally with new people."""

    def __init__(self, user: User, data: Any = None) -> None:
        self.contact = ContactForm(data, user=user, prefix="contact")
        self.petitioners = petitioner_formset(min_num=0)(data, prefix="petitioners")

    def is_valid(self) -> bool:
        return self.contact.is_valid() & self.petitioners.is_valid()


class CalendarDayForm(forms.Form):
    day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label="类型",
        choices=[("rest", "休息（法定节假日、民族节日）"), ("workday", "上班（调休工作日）")],
    )
    name = forms.CharField(label="名称", required=False, max_length=50)


class RoutingRuleForm(forms.Form):
    """分办规则: empty conditions match any case."""

    region = RegionChoiceField(
        label="问题属地", queryset=Region.objects.none(), required=False, empty_label="任意"
    )
    content_category = CategoryChoiceField(
        label="内容分类",
        queryset=ContentCategory.objects.none(),
        required=False,
        empty_label="任意",
    )
    handling_category = forms.ChoiceField(
        label="处理类别", choices=[("", "任意"), *HandlingCategory.choices], required=False
    )
    claim_route = forms.TypedChoiceField(
        label="申诉求决途径",
        choices=[("", "任意"), *ClaimRoute.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    unit = forms.ModelChoiceField(label="有权处理机关", queryset=Unit.objects.none())
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.order_by("code")  # type: ignore[attr-defined]
        self.fields["content_category"].queryset = (  # type: ignore[attr-defined]
            ContentCategory.objects.filter(is_active=True).select_related("parent")
        )
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("path")  # type: ignore[attr-defined]

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "unit": data["unit"],
            "region": data["region"],
            "content_category": data["content_category"],
            "handling_category": HandlingCategory(data["handling_category"])
            if data["handling_category"]
            else None,
            "claim_route": ClaimRoute(data["claim_route"]) if data["claim_route"] else None,
            "note": data["note"],
        }


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        label="记录类型",
        choices=[(EventKind.NOTE.value, "工作记录"), (EventKind.INVESTIGATION.value, "调查记录")],
    )
    text = forms.CharField(label="内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class RecusalForm(forms.Form):
    """回避: a staff member's own declaration, or a leader's record for their staff."""

    user = forms.ModelChoiceField(
        label="回避人员", queryset=User.objects.none(), required=False, empty_label="本人"
    )
    reason = forms.CharField(
        label="回避事由",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="与本事项有何利害关系（《信访工作条例》第二十八条第三款）",
    )

    def __init__(self, data: Any = None, *, actor: User) -> None:
        super().__init__(data, prefix="recusal")
        self.actor = actor
        if rules.can_record_recusals(actor) and actor.unit is not None:
            staff = (
                User.objects.filter(
                    is_active=True,
                    unit__path__startswith=actor.unit.path,
                    role_grants__role__in=CASE_ROLES,
                )
                .exclude(pk=actor.pk)
                .distinct()
                .order_by("unit__path", "full_name", "id")
            )
            self.fields["user"].queryset = staff  # type: ignore[attr-defined]
        else:
            del self.fields["user"]

    def person(self) -> User:
        chosen: User | None = self.cleaned_data.get("user")
        return chosen or self.actor
