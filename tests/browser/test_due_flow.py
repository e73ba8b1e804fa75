"""我的待办期限 in Chromium: the handler opens it from the top bar (Alt+D) and pages through
the cases their unit owes, soonest due first, and back to the start."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.cases.workflow_cast import Cast, walk_to
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_handler_pages_through_the_cases_due_soonest_first(
    page: Page, live_server: Any, monkeypatch: pytest.MonkeyPatch, cast: Cast
) -> None:
    monkeypatch.setattr("xinfang.cases.queries.DUE_PAGE_SIZE", 2)
    today = dt.date.today()
    due = []
    for days in (-2, 4, 1):  # two days late, due in four days, due tomorrow
        case = walk_to(cast, CaseStatus.TRANSFERRED)
        Case.objects.filter(pk=case.pk).update(due_on=today + dt.timedelta(days=days))
        due.append((days, case.number))
    late, tomorrow, in_four_days = (number for _, number in sorted(due))

    log_in(page, live_server, cast.handler)
    page.keyboard.press("Alt+d")
    expect(page.get_by_role("heading", name="我的待办期限")).to_be_visible()
    rows = page.locator("table.cases tbody tr")
    expect(rows.locator("td:nth-child(2)")).to_have_text([late, tomorrow])
    screenshot(page, "due-soon-first-page")

    page.get_by_role("link", name="后续到期 ›").click()
    expect(rows.locator("td:nth-child(2)")).to_have_text([in_four_days])
    expect(page.get_by_role("link", name="后续到期 ›")).to_have_count(0)
    page.get_by_role("link", name="‹ 回到最早到期").click()
    expect(rows.locator("td:nth-child(2)")).to_have_text([late, tomorrow])
