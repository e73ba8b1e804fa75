"""Forms validate what a person typed and hand the services their arguments; they never write."""

from __future__ import annotations

from typing import Any

from django import forms

from xinfang.accounts.models import Unit, User
from xinfang.supervision.services import MAX_TEXT, leader_choices

TEXT = forms.Textarea(attrs={"rows": 4})
SHORT_TEXT = forms.Textarea(attrs={"rows": 2})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "请输入有效的日期，如 2026-09-30。"}


def _text(label: str, *, required: bool = True, rows: forms.Widget = TEXT) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_TEXT,
        widget=rows,
        error_messages={
            "required": f"请填写{label}。",
            "max_length": f"{label}不能超过 {MAX_TEXT} 字。",
        },
    )


class IssueOrderForm(forms.Form):
    """发起督办: the case by its number, the requirement, optionally the answer date."""

    case_number = forms.CharField(
        label="信访件编号",
        max_length=32,
        error_messages={"required": "请填写信访件编号。"},
    )
    requirement = _text("督办要求")
    due_on = forms.DateField(
        label="答复期限",
        required=False,
        widget=DATE,
        error_messages=DATE_ERRORS,
        help_text="不填写时按规定期限（默认30日，遇节假日顺延）自动计算",
    )


class AnswerForm(forms.Form):
    text = _text("答复内容")


class ReviewAnswerForm(forms.Form):
    """认可或退回: one comment box, two buttons (``decision``)."""

    decision = forms.ChoiceField(
        choices=[("accept", "认可答复，办结督办"), ("send_back", "退回重新答复")],
        widget=forms.HiddenInput,
        error_messages={"required": "请选择认可或退回。", "invalid_choice": "请选择认可或退回。"},
    )
    comment = _text("审核意见", required=False, rows=SHORT_TEXT)


class InstructionForm(forms.Form):
    text = _text("批示内容", rows=SHORT_TEXT)


class ReminderForm(forms.Form):
    text = _text("催办内容", rows=SHORT_TEXT)


class LeaderChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        unit = obj.unit.name if obj.unit else ""
        return f"{obj}（{unit}）" if unit else str(obj)


class ListingForm(forms.Form):
    """挂牌督办: the name shown on the staff-wide list, the responsible leader, the deadline."""

    name = forms.CharField(
        label="挂牌名称",
        max_length=100,
        help_text="在挂牌督办名单中向全体工作人员公开，只写事项，不写信访人信息",
        error_messages={"required": "请填写挂牌名称。", "max_length": "挂牌名称不能超过 100 字。"},
    )
    leader = LeaderChoiceField(
        label="责任领导",
        queryset=User.objects.none(),
        error_messages={
            "required": "请选择责任领导。",
            "invalid_choice": "责任领导须为本单位或下级单位在岗的领导。",
        },
    )
    deadline = forms.DateField(
        label="办结时限",
        widget=DATE,
        error_messages={"required": "请填写办结时限。", **DATE_ERRORS},
    )

    def __init__(self, *args: Any, unit: Unit | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = leader_choices(unit) if unit is not None else []
        self.fields["leader"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[person.pk for person in choices]
        ).select_related("unit")


class DelistForm(forms.Form):
    note = forms.CharField(
        label="摘牌说明",
        max_length=500,
        widget=SHORT_TEXT,
        error_messages={"required": "请填写摘牌说明。", "max_length": "摘牌说明不能超过 500 字。"},
    )


class TakeForm(forms.Form):
    note = forms.CharField(
        label="包案说明",
        required=False,
        max_length=500,
        widget=SHORT_TEXT,
        error_messages={"max_length": "包案说明不能超过 500 字。"},
    )


class ReleaseForm(forms.Form):
    note = forms.CharField(
        label="结束说明",
        max_length=500,
        widget=SHORT_TEXT,
        error_messages={"required": "请填写结束说明。", "max_length": "结束说明不能超过 500 字。"},
    )
