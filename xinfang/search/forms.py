from __future__ import annotations

from typing import Any

from django import forms

from xinfang.accounts.enums import RegionLevel
from xinfang.accounts.models import Unit, User
from xinfang.cases.forms import CaseFilterForm, regions_for
from xinfang.search.analyzer import MAX_TERM_CHARS, MAX_TERMS, ParsedQuery, parse_query
from xinfang.search.groups import Choice, default_choice
from xinfang.search.queries import MAX_PAGE, Order
from xinfang.search.related import Draft, people_of


class SearchForm(CaseFilterForm):
    """检索 (GET): the words, the order, and the case list's filters. Like the list, an invalid
    value drops only itself."""

    q = forms.CharField(
        label="关键词",
        required=False,
        max_length=MAX_TERMS * (MAX_TERM_CHARS + 1),
        help_text="多个词用空格分开，须同时出现；按原文连续字词匹配，不区分全角半角和大小写",
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )
    order = forms.ChoiceField(label="排序", choices=Order.choices, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    # Newest-first paging: the case id a page continues from (keyset).
    after = forms.IntegerField(min_value=1, max_value=2**62, required=False)
    before = forms.IntegerField(min_value=1, max_value=2**62, required=False)

    field_order = ["q", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("page", "after", "before"):
            self.fields[name].widget = forms.HiddenInput()

    def _valid(self, name: str, default: Any) -> Any:
        self.is_valid()
        data = self.cleaned_data if self.is_bound else {}
        return data.get(name) or default

    def to_query(self) -> ParsedQuery:
        # An overlong query is cut rather than refused: parse the raw value.
        raw = self.data.get("q", "") if self.is_bound else ""
        return parse_query(str(raw))

    @property
    def order_value(self) -> str:
        return str(self._valid("order", Order.RELEVANCE))

    @property
    def page_value(self) -> int:
        return int(self._valid("page", 1))

    def keyset(self, name: str) -> int | None:
        value = self._valid(name, None)
        return int(value) if value is not None else None


class DraftForm(forms.Form):
    """The registration form as typed so far (its ``matter-`` fields and the people's ID numbers
    and phones), read for related cases. Nothing is required and nothing is refused: an invalid
    choice drops out, overlong text is cut, a half-typed ID number is simply not looked up."""

    title = forms.CharField(required=False, strip=False)
    request = forms.CharField(required=False, strip=False)
    facts_reasons = forms.CharField(required=False, strip=False)
    region = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    content_category = forms.IntegerField(required=False, min_value=1, max_value=2**62)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, prefix="matter")

    def to_draft(self) -> Draft:
        self.is_valid()  # an invalid field drops out of cleaned_data; the others still count
        data = self.cleaned_data if self.is_bound else {}
        ids, phones = people_of(self.data) if self.is_bound else ((), ())
        return Draft(
            title=data.get("title") or "",
            request=data.get("request") or "",
            facts=data.get("facts_reasons") or "",
            region_id=data.get("region"),
            category_id=data.get("content_category"),
            id_numbers=ids,
            phones=phones,
        )


class GroupFilterForm(forms.Form):
    """同类问题归并: the period, region and unit to group. Read on GET (an invalid value drops
    only itself) and on 重新计算 (an invalid period is refused with a message)."""

    # A date input takes only ISO dates, whatever the locale's own format.
    period_from = forms.DateField(
        label="收到日期自",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    period_to = forms.DateField(
        label="至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    region = forms.ChoiceField(label="问题属地", required=False)
    unit = forms.ModelChoiceField(
        label="单位", queryset=Unit.objects.none(), required=False, empty_label="全部"
    )
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["page"].widget = forms.HiddenInput()
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
        default = default_choice()
        self.fields["period_from"].initial = default.period_from
        self.fields["period_to"].initial = default.period_to

    def _value(self, name: str) -> Any:
        self.is_valid()
        return (self.cleaned_data if self.is_bound else {}).get(name)

    def to_choice(self) -> Choice:
        """The choice asked for; missing or invalid dates take the default period's."""
        default = default_choice()
        unit = self._value("unit")
        return Choice(
            period_from=self._value("period_from") or default.period_from,
            period_to=self._value("period_to") or default.period_to,
            region_code=self._value("region") or "",
            unit=unit if isinstance(unit, Unit) else None,
        )

    @property
    def page_value(self) -> int:
        return int(self._value("page") or 1)
