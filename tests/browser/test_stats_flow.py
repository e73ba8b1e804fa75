"""A leader opens the statistics, clicks a bar, sees the cases it counts, and downloads the
year's report — in Chromium, under the strict Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import docx
import pytest
from django.utils import timezone

from tests.browser.conftest import log_in, screenshot
from tests.conftest import Units
from tests.stats.conftest import Places, make_case, places, visit  # noqa: F401 (a fixture)
from xinfang.accounts.models import User
from xinfang.cases.enums import Channel
from xinfang.stats.checks import chart_library_installed

pytestmark = pytest.mark.browser


@pytest.fixture
def chart_library() -> None:
    if not chart_library_installed():
        message = "图表库未安装（node_modules/chart.js）：请运行 make vendor"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def a_year_of_petitions(clerk: User, places: Places, units: Units) -> dict[str, int]:  # noqa: F811
    """Cases this year in three categories and both districts: 物业管理 4 and 房屋征收 2 (both
    城乡建设), 工资 1;
    two collective visits (7 and 12 people) each followed by a repeat (6 and 11), letters,
    calls and an online petition."""
    year = timezone.localdate().year
    plan = [
        (places.property, places.township, Channel.VISIT, 1, 12),
        (places.property, places.district, Channel.VISIT, 7, 9),
        (places.property, places.district, Channel.LETTER, 1, 5),
        (places.property, places.other, Channel.PHONE, 1, 3),
        (places.expropriation, places.district, Channel.VISIT, 12, 2),
        (places.expropriation, places.township, Channel.ONLINE, 1, 4),
        (places.wages, places.other, Channel.VISIT, 2, 6),
    ]
    for index, (category, region, channel, people, month) in enumerate(plan):
        day = dt.date(year, month, 10 + index)
        if day > timezone.localdate():
            day = timezone.localdate() - dt.timedelta(days=index + 1)
        case = make_case(
            clerk,
            received=day.isoformat(),
            region=region,
            category=category,
            handling_unit=units.unit_a if index % 2 else units.unit_b,
            channel=channel,
            title=f"第{index + 1}件{category.name}事项",
        )
        when = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())
        visit(case, when, channel=channel, people=people)
        if people > 5:
            visit(case, when + dt.timedelta(days=1), people=people - 1, repeat=True)
    return {"物业管理": 4, "房屋征收": 2, "工资": 1}


@pytest.mark.usefixtures("chart_library")
def test_a_leader_clicks_a_bar_sees_the_cases_and_downloads_the_report(
    page: Any, live_server: Any, leader: User, a_year_of_petitions: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    # CSP refusals and script errors are console errors; a missing file shows as a response
    # (the browser's own /favicon.ico request aside).
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    log_in(page, live_server, leader)

    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", name="统计分析", exact=True)).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector("
        "'canvas[data-chart=\"category\"]'))"
    )
    sentence = page.locator("#basic-sentence").input_value()
    assert sentence.startswith(f"{timezone.localdate().year}年1月1日至")
    assert "集体访4批36人次（其中重访2批17人次）" in sentence
    screenshot(page, "stats-dashboard")

    # The category chart's first bar: 城乡建设 (物业管理 4 and 房屋征收 2 roll up into it).
    point = page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas[data-chart="category"]');
            canvas.scrollIntoView({block: "center"});
            const bar = Chart.getChart(canvas).getDatasetMeta(0).data[0];
            const box = canvas.getBoundingClientRect();
            return {x: box.left + bar.base + (bar.x - bar.base) / 2, y: box.top + bar.y};
        }"""
    )
    page.mouse.click(point["x"], point["y"])

    expect(page.get_by_role("heading", name="新收信访事项：6件")).to_be_visible()
    rows = page.locator("table.drill tbody tr")
    expect(rows).to_have_count(6)
    expect(page.locator("table.drill")).to_contain_text("房屋征收")
    screenshot(page, "stats-drill-down")

    page.go_back()
    page.locator("#id_year").fill(str(timezone.localdate().year))
    with page.expect_download() as download_info:
        page.get_by_role("button", name="生成年度报告（Word）").click()
    download = download_info.value
    assert download.suggested_filename.endswith("年度信访工作情况报告.docx")
    report = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    assert report.paragraphs[0].text.endswith("年度信访工作情况的报告")
    assert any("集体访4批36人次" in p.text for p in report.paragraphs)
    assert problems == []
