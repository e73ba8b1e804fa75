"""A petitioner on a phone: submits online, looks the case up, and once staff have served the
opinion, rates it 不满意 and asks for 复查 — all on a 390-pixel screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signing
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.cases.workflow_cast import Cast, fresh, make_cast, walk_to
from tests.conftest import Units
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case, ContentCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_petitioner_submits_looks_up_evaluates_and_asks_for_review_on_a_phone(
    phone: Page,
    live_server: Any,
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> None:
    cast: Cast = make_cast(units, clerk, handler, leader, outsider, region, category)
    phone.goto(f"{live_server.url}/portal/")
    phone.get_by_role("link", name="我要信访").click()
    phone.get_by_label("姓名").fill("周建华")
    phone.get_by_label("联系电话").fill("13900001234")
    phone.get_by_label("住址").fill("A市A1区幸福路8号")
    phone.get_by_label("标题").fill("小区物业多收费")
    phone.get_by_label("问题类别").select_option(str(category.pk))
    phone.get_by_label("问题发生地").select_option(str(region.pk))
    phone.get_by_label("您的请求").fill("请求退还多收的物业费。")
    phone.get_by_label("事实和理由").fill("物业公司自去年起擅自提高收费标准。")
    token = phone.locator("input[name=challenge]").input_value()
    answer = signing.loads(token, salt="xinfang.portal.challenge")["a"]
    phone.get_by_label("等于几").fill(str(answer))
    screenshot(phone, "portal-submit-phone")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("heading", name="提交成功")).to_be_visible()
    number = phone.locator("#case-number").inner_text()
    code = phone.locator("#query-code").inner_text()
    screenshot(phone, "portal-submitted-phone")

    # Staff do their part: the office routes it, the unit handles it and serves the opinion.
    case = Case.objects.get(number=number)
    walk_to(cast, CaseStatus.SERVED, fresh(case))

    phone.goto(f"{live_server.url}/portal/lookup/")
    phone.get_by_label("信访件编号").fill(number)
    phone.get_by_label("查询码").fill(code.lower())  # case does not matter
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator("#public-status")).to_have_text("已送达")
    expect(phone.get_by_role("link", name="信访处理意见书")).to_be_visible()
    phone.locator("#evaluate").get_by_text("满意", exact=True).first.check()
    phone.get_by_role("group", name="对办理机关（处理意见）的评价").get_by_text(
        "不满意", exact=True
    ).check()
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.locator("#review.highlight")).to_be_visible()
    phone.get_by_label("您对处理意见的不同意见和理由").fill("物业费计算有误，申请复查。")
    screenshot(phone, "portal-review-phone")
    phone.get_by_role("button", name="提交复查申请").click()
    expect(phone.locator("#public-status")).to_have_text("复查中")
    expect(phone.locator(".timeline")).to_contain_text("已申请复查")
    assert fresh(case).status == CaseStatus.REVIEW_REQUESTED
