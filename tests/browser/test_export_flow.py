"""A handler asks to export the petitioners of a filtered list, the unit's leader approves,
the handler downloads the file once — in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import Units
from tests.factories import CaseFactory, UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.exports.models import ExportStatus, PersonalDataExport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_handler_requests_leader_approves_handler_downloads_once(
    page: Page, live_server: Any, clerk: User, handler: User, units: Units
) -> None:
    for _ in range(3):
        CaseFactory(registered_by=clerk, handling_unit=units.unit_a)
    leader = UserFactory(username="a-leader", unit=units.unit_a, roles=[Role.LEADER])

    log_in(page, live_server, handler)
    page.get_by_role("link", name="申请导出信访人信息").click()
    expect(page.get_by_text("3 件")).to_be_visible()
    page.get_by_label("联系电话").check()
    page.get_by_label("用途说明").fill("集中回访核对联系方式")
    screenshot(page, "export-request")
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_text("导出申请已提交")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server, leader)
    page.goto(f"{live_server.url}/exports/")
    expect(page.get_by_role("heading", name="待我审批")).to_be_visible()
    screenshot(page, "export-approve")
    page.get_by_role("button", name="批准").click()
    expect(page.get_by_text("已审批。")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server, handler)
    page.goto(f"{live_server.url}/exports/")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载（仅一次）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.reload()
    screenshot(page, "export-downloaded")
    expect(page.get_by_text("已下载（3 行）")).to_be_visible()
    assert PersonalDataExport.objects.get().status == ExportStatus.DOWNLOADED
