"""Start-up checks: the rate formulas configured exist, and the chart library is installed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

#: The chart library's file, as the dashboard template loads it.
CHART_LIBRARY = "vendor/chart.js/chart.umd.min.js"


def chart_library_installed() -> bool:
    return finders.find(CHART_LIBRARY) is not None


@register()
def rate_formulas(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from xinfang.stats.measures import parse_rate_overrides

    try:
        parse_rate_overrides(settings.XF_STATS_RATES)
    except ImproperlyConfigured as error:
        return [Error(str(error), id="xinfang.stats.E001")]
    return []


@register()
def chart_library(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if chart_library_installed():
        return []
    return [
        Warning(
            "图表库未安装：统计分析页只显示表格。请运行 make vendor（npm ci）安装。",
            id="xinfang.stats.W001",
        )
    ]
