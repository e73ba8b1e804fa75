"""A supervisor's 督办 in Chromium: the supervisor issues a 督办单 on an overdue case from the
case page, the unit's handler sees the notification by the bell, opens it and answers in
writing, the supervisor accepts the answer and the order is closed. On the way: the 挂牌 list
and a leader's 我的包案, each page photographed for review."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from huey.contrib.djhuey import HUEY
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.cases.workflow_cast import Cast, fresh, make_cast, walk_to
from tests.conftest import Units
from xinfang.accounts.models import Region, User
from xinfang.cases import workflow
from xinfang.cases.enums import CaseStatus, DeadlineTier
from xinfang.cases.models import ContentCategory
from xinfang.supervision.enums import OrderStatus
from xinfang.supervision.models import Notification, SupervisionOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_as(browser: Browser, live_server: Any) -> Iterator[Any]:
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


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    HUEY.immediate = True  # notifications are delivered by the queue; here, in-process
    yield
    HUEY.immediate = False


def test_a_supervisor_issues_a_order_the_unit_answers_and_the_supervisor_closes_it(
    open_as: Any,
    live_server: Any,
    tasks_in_process: None,
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    supervisor: User,
    region: Region,
    category: ContentCategory,
) -> None:
    cast: Cast = make_cast(units, clerk, handler, leader, outsider, region, category)
    accepted = dt.datetime.now(dt.UTC) - dt.timedelta(days=75)
    with time_machine.travel(accepted, tick=False):
        case = walk_to(cast, CaseStatus.IN_HANDLING)  # 60 days to handle it: overdue now
    workflow.sweep_tiers()
    assert fresh(case).tier == DeadlineTier.OVERDUE
    base = live_server.url

    # The supervisor finds the case late and issues a 督办单 from its page.
    chief = open_as(supervisor)
    chief.goto(f"{base}/cases/{case.number}/")
    panel = chief.locator("#supervision")
    expect(panel.get_by_role("heading", name="督办与批示", exact=True)).to_be_visible()
    screenshot(chief, "supervision-case-panel")
    panel.get_by_role("link", name="发起督办", exact=True).click()
    expect(chief.get_by_label("信访件编号", exact=True)).to_have_value(case.number)
    chief.get_by_label("督办要求", exact=True).fill(
        "该事项已超期，请于期限内书面答复超期原因和办结时间。"
    )
    screenshot(chief, "supervision-issue")
    chief.get_by_role("button", name="发出督办单", exact=True).click()
    expect(chief.locator(".msg-success")).to_contain_text("已发出督办单 A01督〔")
    order = SupervisionOrder.objects.get()
    expect(chief.get_by_role("heading", name=order.number, exact=True)).to_be_visible()
    screenshot(chief, "supervision-order-issued")
    chief.goto(f"{base}/supervision/?tab=open")
    expect(chief.locator("table.sup-orders")).to_contain_text(order.number)
    screenshot(chief, "supervision-board")

    # The unit's handler sees the bell, opens the notice and answers in writing.
    unit = open_as(handler)
    bell = unit.locator(".sup-bell")
    expect(bell).to_contain_text("2")  # the transfer to the unit, weeks ago, and the 督办单
    bell.click()
    expect(unit.get_by_role("heading", name="通知", exact=True)).to_be_visible()
    screenshot(unit, "supervision-notifications")
    unit.get_by_role("button", name=re.compile(f"收到督办单：{re.escape(order.number)}")).click()
    expect(unit.get_by_role("heading", name=order.number, exact=True)).to_be_visible()
    opened = Notification.objects.get(recipient=handler, order=order)
    assert opened.read_at is not None
    expect(unit.locator(".sup-bell-count")).to_have_text("1")
    unit.get_by_label("答复内容", exact=True).fill(
        "已约谈物业公司，责令退还多收费用；处理意见书将于本月底前送达。"
    )
    unit.get_by_role("button", name="提交答复", exact=True).click()
    expect(unit.locator(".msg-success")).to_contain_text(f"已答复督办单 {order.number}")
    screenshot(unit, "supervision-order-answered")

    # The supervisor hears of the answer, reads it and accepts it.
    expect(chief.locator(".sup-bell-count")).to_have_count(0)
    chief.goto(f"{base}/notifications/")
    chief.get_by_role("button", name=re.compile("督办单已答复")).click()
    expect(chief.locator(".sup-responses")).to_contain_text("已约谈物业公司")
    chief.get_by_label("审核意见", exact=True).fill("同意，请按期办结。")
    chief.get_by_role("button", name="认可答复，办结督办", exact=True).click()
    expect(chief.locator(".msg-success")).to_contain_text("办结")
    expect(chief.locator(".head-actions .status")).to_have_text("已办结")
    screenshot(chief, "supervision-order-closed")
    assert SupervisionOrder.objects.get().status == OrderStatus.CLOSED

    # The same case on the staff-wide 挂牌 list, and in the leader's 我的包案.
    chief.goto(f"{base}/cases/{case.number}/")
    chief.locator("#supervision summary").get_by_text("挂牌督办", exact=True).click()
    chief.get_by_label("挂牌名称", exact=True).fill("A1区小区物业收费问题")
    chief.get_by_label("责任领导", exact=True).select_option(label="局领导（A市信访局）")
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    chief.get_by_label("办结时限", exact=True).fill(deadline)
    chief.locator("#supervision").get_by_role("button", name="挂牌督办", exact=True).click()
    expect(chief.locator(".msg-success")).to_contain_text("已挂牌督办")
    chief.goto(f"{base}/supervision/listed/")
    expect(chief.locator("table.sup-listed")).to_contain_text("A1区小区物业收费问题")
    screenshot(chief, "supervision-listed")

    boss = open_as(leader)
    boss.goto(f"{base}/cases/{case.number}/")
    boss.locator("#supervision summary").get_by_text("领导包案", exact=True).click()
    boss.get_by_role("button", name="由我包案", exact=True).click()
    expect(boss.locator(".msg-success")).to_contain_text("已包案")
    boss.get_by_role("link", name="督办", exact=True).click()
    boss.locator(".sup-subnav").get_by_role("link", name="我的包案", exact=True).click()
    expect(boss.locator("table.sup-mine")).to_contain_text(case.number)
    screenshot(boss, "supervision-mine")
