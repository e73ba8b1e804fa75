"""The statistics' filters (GET). Invalid values drop out, never an error page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from xinfang.accounts.enums import RegionLevel, UnitKind
from xinfang.accounts.models import Unit, User
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.forms import regions_for
from xinfang.cases.models import ContentCategory
from xinfang.stats.periods import Period
from xinfang.stats.queries import NO_UNIT, StatsFilters

#: Longer periods are refused: a decade of statistics is not one page's work.
MAX_PERIOD_DAYS = 366 * 5


def default_period(today: dt.date | None = None) -> Period:
    """This year up to today."""
    today = today or timezone.localdate()
    return Period(dt.date(today.year, 1, 1), today)


class StatsFilterForm(forms.Form):
    # <input type=date> takes ISO dates only, whatever the locale's display format.
    start = forms.DateField(
        label="统计期自",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    end = forms.DateField(
        label="至",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    region = forms.ChoiceField(label="问题属地", required=False)
    category = forms.ChoiceField(label="内容分类", required=False)
    unit = forms.ChoiceField(label="主办单位", required=False)
    reception = forms.ChoiceField(label="接待点", required=False)
    handling = forms.ChoiceField(
        label="处理类别", choices=[("", "全部"), *HandlingCategory.choices], required=False
    )
    channel = forms.ChoiceField(
        label="来源渠道", choices=[("", "全部"), *Channel.choices], required=False
    )
    # Set by the links of a breakdown's "本级" rows; carried along, not shown.
    region_exact = forms.BooleanField(required=False, widget=forms.HiddenInput)
    category_exact = forms.BooleanField(required=False, widget=forms.HiddenInput)
    unit_exact = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = regions_for(user).filter(level__lte=RegionLevel.TOWNSHIP)
        self.fields["region"].choices = [  # type: ignore[attr-defined]
            ("", "全部"),
            *((r.code, "　" * max(r.level - RegionLevel.CITY, 0) + r.name) for r in regions),
        ]
        categories = ContentCategory.objects.filter(is_active=True).order_by("code")
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "全部"),
            *((c.code, "　" * (c.level - 1) + c.name) for c in categories),
        ]
        units = (
            Unit.objects.filter(path__startswith=user.unit.path).order_by("path")
            if user.unit
            else Unit.objects.none()
        )
        depth = user.unit.path.count("/") if user.unit else 0
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", "全部"),
            ("none", "尚未转送交办"),
            *((str(u.pk), "　" * (u.path.count("/") - depth) + u.name) for u in units),
        ]
        self.fields["reception"].choices = [  # type: ignore[attr-defined]
            ("", "全部"),
            *((str(u.pk), u.name) for u in units.filter(kind=UnitKind.RECEPTION)),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "结束日期不能早于开始日期。")
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("end", "统计期最长五年。")
        return data

    def to_filters(self, *, today: dt.date | None = None) -> StatsFilters:
        self.is_valid()  # an invalid field drops out of cleaned_data; the valid ones still apply
        data = self.cleaned_data if self.is_bound else {}
        fallback = default_period(today)
        start = data.get("start") or fallback.start
        end = data.get("end") or (fallback.end if start <= fallback.end else start)
        if end < start or (end - start).days > MAX_PERIOD_DAYS:
            start, end = fallback.start, fallback.end
        unit = data.get("unit", "")
        reception = data.get("reception", "")
        return StatsFilters(
            period=Period(start, end),
            region_code=data.get("region", ""),
            region_exact=bool(data.get("region_exact")),
            category_code=data.get("category", ""),
            category_exact=bool(data.get("category_exact")),
            unit_id=NO_UNIT if unit == "none" else (int(unit) if unit else None),
            unit_exact=bool(data.get("unit_exact")),
            reception_id=int(reception) if reception else None,
            handling_category=data.get("handling", ""),
            channel=data.get("channel", ""),
        )


class ReportForm(forms.Form):
    """The annual report's year (第四十一条)."""

    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
