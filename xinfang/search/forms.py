from __future__ import annotations

from typing import Any

from django import forms

from xinfang.cases.forms import CaseFilterForm
from xinfang.search.analyzer import MAX_TERM_CHARS, MAX_TERMS, ParsedQuery, parse_query
from xinfang.search.queries import MAX_PAGE, Order


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
