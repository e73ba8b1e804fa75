"""集中交办 forms: choosing cases (GET, like the case list) and the hand-over itself (POST, one
row per case). Forms validate what a person typed; the service decides the rest."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from xinfang.accounts.enums import UnitKind
from xinfang.accounts.models import Unit
from xinfang.batches.queries import Candidate
from xinfang.batches.services import MAX_CRITERIA, MAX_TITLE, Line
from xinfang.cases.forms import CaseFilterForm
from xinfang.cases.steps import MAX_TEXT
from xinfang.search.analyzer import MAX_TERM_CHARS, MAX_TERMS, ParsedQuery, parse_query
from xinfang.search.models import IssueGroup

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SelectionForm(CaseFilterForm):
    """挑选事项 (GET): words for the full-text search, the case list's filters and a same-issue
    group. Only cases waiting to be routed can be handed over, so there is no status filter.
    Like the list, an invalid value drops only itself."""

    q = forms.CharField(
        label="关键词",
        required=False,
        max_length=MAX_TERMS * (MAX_TERM_CHARS + 1),
        help_text="按全文检索匹配，多个词用空格分开；留空则只按下列条件",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    group = forms.IntegerField(
        label="同类问题组", required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput
    )
    status = None  # type: ignore[assignment]

    field_order = ["q", "region", "category", "unit"]

    def to_query(self) -> ParsedQuery:
        raw = self.data.get("q", "") if self.is_bound else ""
        return parse_query(str(raw))

    def group_id(self) -> int | None:
        self.is_valid()
        value = self.cleaned_data.get("group") if self.is_bound else None
        return int(value) if value else None

    def describe(self, group: IssueGroup | None = None) -> str:
        """The criteria in words, kept with the batch (挑选条件)."""
        self.is_valid()
        data = self.cleaned_data if self.is_bound else {}
        parts = []
        if data.get("q"):
            parts.append(f"关键词：{data['q']}")
        for name in ("region", "category"):
            value = data.get(name)
            if value:
                label = dict(self.fields[name].choices).get(value, value)  # type: ignore[attr-defined]
                parts.append(f"{self.fields[name].label}：{str(label).strip()}")
        if data.get("unit"):
            parts.append(f"单位：{data['unit'].name}")
        if data.get("received_from") or data.get("received_to"):
            start, end = data.get("received_from"), data.get("received_to")
            parts.append(f"收到日期：{start or '…'}至{end or '…'}")
        if group is not None:
            parts.append(f"同类问题：{group.label}（第{group.pk}组）")
        return "；".join(parts)[:MAX_CRITERIA]


def _unit_choices(units: list[Unit]) -> list[tuple[str, str]]:
    return [("", "请选择"), *((str(u.pk), u.name) for u in units)]


class HandOverForm(forms.Form):
    """集中交办 (POST): the batch's name, requirement and deadline, and per case the receiving
    unit (the routing suggestion preselected), a reason when overriding it, and whether the
    case stays in the batch. Cases arrive as their numbers (``case``)."""

    title = forms.CharField(label="批次名称", max_length=MAX_TITLE)
    requirement = forms.CharField(
        label="交办要求", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(label="办结期限", widget=DATE)
    criteria = forms.CharField(required=False, max_length=MAX_CRITERIA, widget=forms.HiddenInput)
    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, candidates: list[Candidate], criteria: str = ""
    ) -> None:
        super().__init__(data, initial={"key": uuid.uuid4().hex, "criteria": criteria})
        self.candidates = candidates
        units = list(Unit.objects.filter(is_active=True).order_by("path"))
        self.units = {u.pk: u for u in units}
        legal = [u for u in units if u.kind == UnitKind.LEGAL]
        for candidate in candidates:
            case, pk = candidate.case, candidate.case.pk
            allowed = legal if case.involves_litigation else units  # 诉访分离 (第二十八条)
            choices = _unit_choices([u for u in allowed if u.pk != case.registering_unit_id])
            suggested = candidate.suggestion.unit.pk if candidate.suggestion else ""
            self.fields[f"include_{pk}"] = forms.BooleanField(
                label=f"交办 {case.number}", required=False, initial=True
            )
            self.fields[f"unit_{pk}"] = forms.TypedChoiceField(
                label=f"{case.number} 交办至",
                choices=choices,
                coerce=int,
                required=False,
                initial=suggested,
            )
            self.fields[f"reason_{pk}"] = forms.CharField(
                label=f"{case.number} 理由",
                required=False,
                max_length=500,
                help_text=(
                    f"已转送、交办 {case.transfer_count} 次，须写明再次交办理由"
                    if case.transfer_count
                    else "与建议单位不同时必填"
                ),
            )
            self.fields[f"version_{pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=case.version, min_value=1
            )

    def rows(self) -> list[tuple[Candidate, Any, Any, Any, Any]]:
        """Per case: (candidate, include, unit, reason, version) bound fields."""
        return [
            (
                c,
                self[f"include_{c.case.pk}"],
                self[f"unit_{c.case.pk}"],
                self[f"reason_{c.case.pk}"],
                self[f"version_{c.case.pk}"],
            )
            for c in self.candidates
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        included = 0
        for candidate in self.candidates:
            pk = candidate.case.pk
            if not data.get(f"include_{pk}"):
                continue
            included += 1
            unit_id = data.get(f"unit_{pk}")
            if not unit_id:
                self.add_error(f"unit_{pk}", "请选择交办单位。")
                continue
            if (data.get(f"reason_{pk}") or "").strip():
                continue
            suggestion = candidate.suggestion
            if suggestion is not None and suggestion.unit.pk != unit_id:
                self.add_error(
                    f"reason_{pk}",
                    f"分办规则建议交由{suggestion.unit.name}办理；改派其他单位时请写明理由。",
                )
            elif candidate.case.transfer_count:
                self.add_error(f"reason_{pk}", "该事项曾经转送、交办，请写明再次交办的理由。")
        if self.candidates and not included:
            raise forms.ValidationError("请至少保留一件信访事项。")
        return data

    def lines(self) -> list[Line]:
        data = self.cleaned_data
        return [
            Line(
                case=c.case,
                to_unit=self.units[data[f"unit_{c.case.pk}"]],
                # One reason serves both: why not the suggested unit, why it moves again.
                override_reason=data.get(f"reason_{c.case.pk}", ""),
                reason=data.get(f"reason_{c.case.pk}", ""),
                version=data.get(f"version_{c.case.pk}"),
            )
            for c in self.candidates
            if data.get(f"include_{c.case.pk}")
        ]

    def show_refusals(self, refusals: dict[int, str]) -> None:
        """Put the service's refusal on each case's row (the page keeps what was typed)."""
        for pk, reason in refusals.items():
            if f"unit_{pk}" in self.fields:
                self.add_error(f"unit_{pk}", reason)
