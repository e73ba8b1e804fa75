"""集中交办 in Chromium: a supervisor of the office chooses the waiting cases of one district,
hands them over in one batch, downloads the receiving unit's 集中交办单, and follows the
batch's progress as the unit closes a case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.batches.conftest import (
    Districts,
    make_batch_cast,
    make_districts,
    make_office_supervisor,
    register,
)
from tests.batches.test_tracking import handle_to_closure
from tests.browser.conftest import ARTIFACTS, log_in, screenshot
from tests.cases.workflow_cast import Cast
from tests.conftest import Units
from tests.documents.conftest import docx_text
from xinfang.accounts.models import Region, User
from xinfang.batches.models import Batch
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import ContentCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_hands_over_a_district_in_one_batch_and_follows_it(
    page: Page,
    live_server: Any,
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> None:
    districts: Districts = make_districts(region)
    cast: Cast = make_batch_cast(units, clerk, handler, leader, outsider, category, districts)
    office_supervisor = make_office_supervisor(units)
    fees = register(cast, title="幸福小区物业多收费", person="周建华")
    lift = register(cast, title="幸福小区电梯停运", region=districts.a1_street, person="王芳")
    elsewhere = register(cast, title="A2区工地欠薪", region=districts.a2, person="李秀英")
    due = timezone.localdate() + dt.timedelta(days=30)

    log_in(page, live_server, office_supervisor)
    page.get_by_role("link", name="集中交办", exact=True).click()
    expect(page.get_by_role("heading", name="集中交办", exact=True)).to_be_visible()
    page.get_by_role("link", name="新建集中交办", exact=True).click()
    page.get_by_label("问题属地", exact=True).select_option(districts.a1.code)
    page.get_by_role("button", name="筛选", exact=True).click()

    rows = page.locator(".bt-select tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(fees.number)
    expect(rows.nth(1)).to_contain_text(lift.number)
    expect(page.locator(".bt-select")).not_to_contain_text(elsewhere.number)
    expect(rows.nth(0)).to_contain_text("市住房和城乡建设局")
    screenshot(page, "batch-choose-cases")

    page.get_by_role("button", name="下一步：确定交办单位", exact=True).click()
    expect(page.get_by_role("heading", name="集中交办：确定交办单位")).to_be_visible()
    page.get_by_label("批次名称", exact=True).fill("幸福小区物业问题集中交办")
    page.get_by_label("办结期限", exact=True).fill(due.isoformat())
    page.get_by_label("交办要求", exact=True).fill("请逐件核实，依法处理，按期报送办结报告。")
    screenshot(page, "batch-review")
    page.get_by_role("button", name="集中交办", exact=True).click()

    expect(page.locator(".msg-success")).to_contain_text("已集中交办 2 件")
    batch = Batch.objects.get()
    expect(page.get_by_role("heading", name="幸福小区物业问题集中交办")).to_be_visible()
    expect(page.locator(".bt-summary")).to_contain_text("已办结 0/2（0%）")
    screenshot(page, "batch-page")

    with page.expect_download() as waiting:
        page.get_by_role("link", name=f"下载集中交办单（{batch.parts.get().number}）").click()
    download = waiting.value
    assert download.suggested_filename == f"{batch.number}_市住房和城乡建设局_集中交办单.docx"
    saved = ARTIFACTS / "batch-notice.docx"
    download.save_as(saved)
    text = docx_text(Path(saved).read_bytes())
    assert f"1．{fees.number}　周建华反映“幸福小区物业多收费”" in text
    assert f"2．{lift.number}　王芳反映“幸福小区电梯停运”" in text

    handle_to_closure(cast, fees)
    page.reload()
    expect(page.locator(".bt-summary")).to_contain_text("已办结 1/2（50%）")
    expect(page.locator(".bt-part tbody tr").nth(0)).to_contain_text("已办结")
    expect(page.locator(".bt-part tbody tr").nth(1)).to_contain_text(str(CaseStatus.ASSIGNED.label))
    screenshot(page, "batch-page-progress")

    page.get_by_role("link", name="返回集中交办列表", exact=True).click()
    expect(page.locator(".bt-list tbody tr").nth(0)).to_contain_text("已办结 1/2（50%）")
    screenshot(page, "batch-list")
