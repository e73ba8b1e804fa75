"""Related cases in Chromium: a clerk typing a complaint about an existing issue is offered the
earlier case and links the repeat from the keyboard; a supervisor opens the issue groups, one
group's cases and its export; the list's search box and a ledger's reply on the case page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import Units
from tests.factories import CaseFactory
from xinfang.accounts.models import Region, User
from xinfang.cases.models import Case, Contact, ContentCategory
from xinfang.ledger.enums import ImportStatus
from xinfang.ledger.models import ImportedRow, LedgerImport
from xinfang.search import groups
from xinfang.search.termstats import refresh_term_statistics

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER_MATTERS = [
    ("某公司拖欠农民工工资", "请求督促公司支付拖欠的工资。"),
    ("道路施工噪音扰民", "请求夜间停止施工。"),
    ("学校违规补课收费", "请求查处违规收费。"),
    ("小区停车位被占用", "请求物业清理占用的停车位。"),
    ("医院乱收检查费", "请求退还多收的检查费用。"),
]


def test_a_clerk_typing_about_an_existing_issue_is_offered_it_and_links_it_with_the_keyboard(
    page: Page,
    live_server: Any,
    clerk: User,
    units: Units,
    region: Region,
    category: ContentCategory,
) -> None:
    earlier = CaseFactory(
        registered_by=clerk,
        title="幸福家园小区物业挪用维修基金",
        request="请求责令幸福家园物业公司退还挪用的住宅专项维修基金，公开维修基金账目。",
        region=region,
        content_category=category,
    )
    for title, request in OTHER_MATTERS:
        CaseFactory(registered_by=clerk, title=title, request=request)
    refresh_term_statistics()
    log_in(page, live_server, clerk)
    page.keyboard.press("Alt+n")
    expect(page.get_by_role("heading", name="登记信访事项")).to_be_visible()

    page.locator("#id_petitioners-0-name").fill("李四")
    page.get_by_label("问题属地").select_option(str(region.pk))
    page.get_by_label("标题", exact=True).fill("幸福家园维修基金被物业挪用")
    page.get_by_label("诉求", exact=True).press_sequentially(
        "业主反映物业公司挪用维修基金，请求查处。"
    )

    panel = page.locator("#existing-cases")
    expect(panel.get_by_role("link", name=earlier.number)).to_be_visible()
    expect(panel.get_by_text(re.compile("共同词语 “.*维修基金"))).to_be_visible()
    expect(panel.get_by_text("同一问题属地（A1区）")).to_be_visible()
    expect(page.get_by_label("诉求", exact=True)).to_be_focused()  # typing was not interrupted
    screenshot(page, "register-related-candidates")

    page.keyboard.press("Alt+r")  # the first candidate: attach as a repeat

    expect(page.get_by_text(f"已作为重复信访记入 {earlier.number}")).to_be_visible()
    earlier.refresh_from_db()
    assert (Case.objects.count(), earlier.contact_count) == (1 + len(OTHER_MATTERS), 2)
    assert Contact.objects.filter(case=earlier, is_repeat=True).count() == 1


def test_a_supervisor_opens_the_issue_groups_one_groups_cases_and_its_export(
    page: Page,
    live_server: Any,
    clerk: User,
    supervisor: User,
    region: Region,
    category: ContentCategory,
) -> None:
    today = timezone.localdate()
    titles = [
        "幸福家园小区物业乱收停车费",
        "幸福家园小区电梯故障无人维修",
        "反映幸福家园停车位被物业占用",
        "幸福家园业主请求公开维修基金账目",
        "锦绣华庭小区外墙脱落",
        "锦绣华庭地下车库漏水",
        "业主反映锦绣华庭延期交房",
    ]
    for n, title in enumerate(titles):
        CaseFactory(
            registered_by=clerk,
            title=title,
            region=region,
            content_category=category,
            received_on=today - dt.timedelta(days=40 * (n % 4)),
        )
    for title, request in OTHER_MATTERS:
        CaseFactory(registered_by=clerk, title=title, request=request)
    groups.refresh_nightly()
    log_in(page, live_server, supervisor)

    page.get_by_role("link", name="同类问题").click()
    expect(page.get_by_role("heading", name="同类问题归并")).to_be_visible()
    expect(page.get_by_role("link", name="幸福家园")).to_be_visible()
    expect(page.get_by_role("link", name="锦绣华庭")).to_be_visible()
    screenshot(page, "issue-groups")

    page.get_by_role("link", name="幸福家园").click()
    expect(page.get_by_role("heading", name="幸福家园")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(4)
    screenshot(page, "issue-group-detail")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 .xlsx").click()
    assert download.value.suggested_filename.startswith("issue-group-")


def test_the_list_search_box_searches_within_the_filters_and_the_case_shows_its_ledger_reply(
    page: Page, live_server: Any, clerk: User, units: Units
) -> None:
    visit = CaseFactory(registered_by=clerk, title="锦绣花园物业乱收费", channel="visit")
    CaseFactory(registered_by=clerk, title="锦绣花园物业不作为", channel="letter")
    ledger = LedgerImport.objects.create(
        created_by=clerk,
        unit=units.office,
        source="2019年网上留言台账",
        file_name="台账.xlsx",
        file_kind="xlsx",
        file_sha256="0" * 64,
        status=ImportStatus.DONE,
    )
    ImportedRow.objects.create(
        unit=units.office,
        source=ledger.source,
        row_key="2549",
        case=visit,
        ledger_import=ledger,
        row_number=7,
        reply="经调查，物业公司已整改，多收费用已退还业主。",
        replied_on=dt.date(2019, 5, 20),
    )
    log_in(page, live_server, clerk)
    page.get_by_label("渠道").select_option("visit")
    page.get_by_role("button", name="筛选").click()
    screenshot(page, "case-list-search-box")

    search = page.get_by_label("全文检索（保留当前筛选条件）")
    search.fill("锦绣花园")
    search.press("Enter")

    expect(page.get_by_role("heading", name="检索信访事项")).to_be_visible()
    expect(page.get_by_text("找到 1 件。")).to_be_visible()
    page.get_by_role("link", name="锦绣花园物业乱收费").click()
    expect(page.get_by_role("heading", name="答复意见（台账导入）")).to_be_visible()
    expect(page.get_by_text("多收费用已退还业主")).to_be_visible()
    screenshot(page, "case-detail-ledger-reply")
