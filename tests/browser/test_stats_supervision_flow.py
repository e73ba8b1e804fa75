"""A leader reads the 督办 figures in the statistics: the dashboard's activity table, the unit
table's 督办 columns, and the cases behind a number — in Chromium, under the strict CSP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.stats.conftest import World, places, world  # noqa: F401 (fixtures)
from xinfang.accounts.models import User

pytestmark = pytest.mark.browser

QUERY = "start=2026-01-01&end=2026-06-30"


def test_a_leader_follows_a_units_supervision_figure_to_its_cases(
    page: Any,
    live_server: Any,
    leader: User,
    world: World,  # noqa: F811 (the fixture)
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    log_in(page, live_server, leader)

    page.goto(f"{live_server.url}/stats/?{QUERY}")
    activity = page.locator("table.st-activity")
    expect(activity).to_contain_text("督办已答复事项")
    taken = activity.locator("tbody tr").filter(has_text="领导包案事项（件）")
    expect(taken.locator("td").first).to_have_text("3")
    expect(page.locator("table.rates")).to_contain_text("33.3%")
    activity.scroll_into_view_if_needed()
    screenshot(page, "stats-supervision-dashboard")

    page.goto(f"{live_server.url}/stats/units/?{QUERY}")
    header = page.locator("table.breakdown thead")
    expect(header).to_contain_text("督办事项")
    expect(header).to_contain_text("督办已答复事项")
    screenshot(page, "stats-supervision-units")
    columns = [text.strip() for text in header.locator("th").all_inner_texts()]
    supervised = next(i for i, text in enumerate(columns) if text.startswith("督办事项"))
    housing = page.get_by_role("row").filter(has_text="市住房和城乡建设局")
    housing.locator("td, th").nth(supervised).get_by_role("link").click()

    expect(page.get_by_role("heading", name="督办事项：1件")).to_be_visible()
    expect(page.locator("table.drill tbody tr")).to_have_count(1)
    expect(page.locator("table.drill")).to_contain_text("幸福小区物业费")
    screenshot(page, "stats-supervision-drill")
    assert problems == []
