"""The case list's filters in Chromium: the clerk picks a status from the drop-down, filters,
sees only the cases in it, and the drop-down keeps what was picked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.cases.workflow_cast import Cast, walk_to
from xinfang.cases.enums import CaseStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_filters_the_case_list_by_status_and_the_choice_stays(
    page: Page, live_server: Any, cast: Cast
) -> None:
    registered = walk_to(cast, CaseStatus.REGISTERED)
    transferred = walk_to(cast, CaseStatus.TRANSFERRED)

    log_in(page, live_server, cast.clerk)
    page.goto(f"{live_server.url}/cases/")
    numbers = page.locator("table.cases tbody tr td:nth-child(1)")
    expect(numbers).to_have_text([transferred.number, registered.number])

    page.get_by_label("状态").select_option(label="已转送")
    page.get_by_role("button", name="筛选").click()
    expect(numbers).to_have_text([transferred.number])
    expect(page.get_by_label("状态")).to_have_value(CaseStatus.TRANSFERRED)
    screenshot(page, "case-list-filtered-by-status")
