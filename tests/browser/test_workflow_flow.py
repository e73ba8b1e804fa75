"""A case's whole road in Chromium: the office transfers it, the unit signs, accepts and drafts
the 处理意见书, the reviewer sends it back once and then approves, the handler records service
and closes it — each person only ever sees the buttons their step allows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.cases.workflow_cast import Cast, fresh, make_cast
from tests.conftest import Units
from tests.factories import id_number
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import CaseStatus
from xinfang.cases.models import Case, ContentCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_as(browser: Browser, live_server: Any) -> Iterator[Any]:
    """A fresh browser context per person, signed in."""
    contexts = []

    def sign_in(user: User) -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        tab = context.new_page()
        log_in(tab, live_server, user)
        return tab

    yield sign_in
    for context in contexts:
        context.close()


def take_step(page: Page, label: str) -> None:
    page.locator(".procedure details.wf-step > summary").get_by_text(label, exact=True).click()


def confirm(page: Page, label: str) -> None:
    page.get_by_role("button", name=f"确认{label}", exact=True).click()
    expect(page.locator(".msg-success")).to_contain_text(f"已{label}")


def test_a_case_goes_from_the_office_to_the_unit_through_review_to_closure(
    open_as: Any,
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
    office = open_as(clerk)
    office.keyboard.press("Alt+n")
    office.locator("#id_petitioners-0-name").fill("周建华")
    office.locator("#id_petitioners-0-id_number").fill(id_number(301))
    office.get_by_label("申诉求决途径").select_option(label="信访程序办理")
    office.get_by_label("内容分类").select_option(
        label=f"{category.code} 城乡建设 › {category.name}"
    )
    office.get_by_label("问题属地").select_option(str(region.pk))
    office.get_by_label("诉求", exact=True).fill("请求退还多收的物业费。")
    office.get_by_label("标题", exact=True).fill("小区物业多收费")
    office.get_by_label("标题", exact=True).press("Enter")
    expect(office.get_by_text(re.compile("已登记 A01-"))).to_be_visible()
    case = Case.objects.get()
    url = f"{live_server.url}/cases/{case.number}/"
    expect(office.locator(".procedure")).to_contain_text("收到日")  # 15日 to route it
    screenshot(office, "workflow-registered-case")
    take_step(office, "转送")
    office.get_by_label("转送至").select_option(label=units.unit_a.name)
    office.get_by_label("转送说明").fill("请依法调查处理。")
    confirm(office, "转送")
    expect(office.locator(".procedure .status")).to_have_text("已转送")
    expect(office.get_by_role("link", name="转送函")).to_be_visible()

    desk = open_as(handler)
    desk.goto(f"{live_server.url}/cases/desk/")  # 工作台, 新交办
    desk.get_by_role("link", name=case.number).click()
    expect(desk.locator(".procedure details.wf-step > summary")).to_have_text(["签收", "异议退回"])
    take_step(desk, "签收")
    confirm(desk, "签收")
    take_step(desk, "受理")
    confirm(desk, "受理")
    expect(desk.locator(".procedure .explain")).to_contain_text("受理日")
    desk.locator("#add-note > summary").click()  # the unit's own investigation record
    desk.get_by_label("记录类型").select_option(label="调查记录")
    desk.get_by_label("内容", exact=True).fill("约谈物业公司负责人，调取收费备案材料。")
    desk.get_by_role("button", name="保存记录").click()
    expect(desk.locator(".timeline")).to_contain_text("约谈物业公司负责人")
    take_step(desk, "提交处理意见送审")
    desk.get_by_label("请求1的处理意见").select_option(label="予以支持")
    desk.get_by_label("请求1的事实和依据").fill("经核实，物业公司收费标准未经备案。")
    screenshot(desk, "workflow-draft-opinion")
    confirm(desk, "提交处理意见送审")

    review = open_as(cast.reviewer)
    review.goto(url)
    take_step(review, "退回修改")
    review.get_by_label("退回意见").fill("请补充法规依据。")
    confirm(review, "退回修改")

    desk.reload()
    expect(desk.locator(".timeline")).to_contain_text("请补充法规依据。")
    take_step(desk, "提交处理意见送审")
    expect(desk.get_by_label("请求1的事实和依据")).to_have_value(
        "经核实，物业公司收费标准未经备案。"
    )
    desk.get_by_label("法律政策依据").fill("《物业管理条例》第四十条")
    confirm(desk, "提交处理意见送审")

    review.reload()
    take_step(review, "审核通过，出具意见书")
    review.get_by_label("复查机关").select_option(label="A市人民政府")
    confirm(review, "审核通过，出具意见书")
    expect(review.get_by_role("link", name="信访处理意见书")).to_be_visible()

    desk.reload()
    take_step(desk, "登记送达")
    desk.get_by_label("送达方式").select_option(label="直接送达")
    confirm(desk, "登记送达")
    expect(desk.locator(".procedure")).to_contain_text("复查申请期限")
    take_step(desk, "办结")
    confirm(desk, "办结")
    expect(desk.locator(".procedure .status")).to_have_text("已办结")
    with desk.expect_download() as download:
        desk.get_by_role("link", name="信访处理意见书").click()
    assert download.value.suggested_filename.endswith(".docx")
    shot = screenshot(desk, "workflow-closed-case")
    assert shot.exists()

    case = fresh(case)
    assert case.status == CaseStatus.CLOSED
    assert sorted(case.documents.values_list("kind", flat=True)) == [
        "acceptance",
        "opinion",
        "transfer",
    ]
