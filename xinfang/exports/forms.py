from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from xinfang.accounts.models import User
from xinfang.cases.forms import CaseFilterForm
from xinfang.exports.models import PersonalField

LIST_ONLY = ("after", "before")  # the case list's paging, not filters


def list_query(data: QueryDict) -> dict[str, str]:
    """The case list's filters from a query string (last value wins, paging dropped)."""
    return {key: data.get(key, "") for key in data if key not in LIST_ONLY and data.get(key)}


def describe_filters(query: dict[str, str], user: User) -> str:
    """ "状态：在办；问题属地：A1区" — the filters as a person reads them; "全部" if none."""
    form = CaseFilterForm(query or None, user=user)
    if not form.is_bound:
        return "全部可见事项"
    form.is_valid()
    parts = []
    for name, value in form.cleaned_data.items():
        if value in (None, ""):
            continue
        field = form.fields[name]
        choices = dict(getattr(field, "choices", []) or [])
        shown = choices.get(value, value) if isinstance(value, str) else value
        parts.append(f"{field.label}：{shown}")
    return "；".join(parts) or "全部可见事项"


class ExportRequestForm(forms.Form):
    fields_wanted = forms.MultipleChoiceField(
        label="导出字段",
        choices=PersonalField.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择要导出的个人信息字段。"},
    )
    reason = forms.CharField(
        label="用途说明",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明为何需要这些个人信息、用于何处；审批人据此决定。",
        error_messages={"required": "请写明导出用途。"},
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields_wanted"].initial = [PersonalField.NAME]

    def query_dict(self) -> dict[str, str]:
        return list_query(QueryDict(self.cleaned_data.get("query", "")))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "批准"), ("reject", "驳回")])
    note = forms.CharField(label="审批意见", max_length=500, required=False)
