"""A clerk's morning, in Chromium: register a collective visit, find it, open it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import Units
from tests.factories import CaseFactory, PetitionerFactory, id_number
from xinfang.accounts.models import Region, User
from xinfang.cases.models import Case, ContentCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_person(page: Page, index: int, name: str, serial: int) -> None:
    page.locator(f"#id_petitioners-{index}-name").fill(name)
    page.locator(f"#id_petitioners-{index}-id_number").fill(id_number(serial))
    page.locator(f"#id_petitioners-{index}-phone").fill(f"1390000{serial:04d}")
    page.locator(f"#id_petitioners-{index}-is_representative").check()


def test_clerk_registers_a_collective_visit_finds_it_in_the_list_and_opens_it(
    page: Page,
    live_server: Any,
    clerk: User,
    units: Units,
    region: Region,
    category: ContentCategory,
) -> None:
    log_in(page, live_server, clerk)
    page.keyboard.press("Alt+n")  # the registration shortcut shown in the top bar
    expect(page.get_by_role("heading", name="登记信访事项")).to_be_visible()

    page.get_by_label("人数", exact=True).fill("12")
    fill_person(page, 0, "赵一", 201)
    page.keyboard.press("Alt+p")  # 添加信访人: the page comes back with the new row focused
    expect(page.locator("#id_petitioners-1-name")).to_be_focused()
    fill_person(page, 1, "钱二", 202)
    page.get_by_role("button", name=re.compile("添加信访人")).click()
    fill_person(page, 2, "孙三", 203)
    expect(page.locator("#id_petitioners-0-name")).to_have_value("赵一")  # nothing typed was lost
    page.get_by_label("内容分类").select_option(label=f"{category.code} 城乡建设 › {category.name}")
    page.get_by_label("问题属地").select_option(str(region.pk))
    page.get_by_label("诉求", exact=True).fill("请求督促开发商按合同交付房屋并支付逾期违约金。")
    page.get_by_label("标题", exact=True).fill("幸福家园小区逾期交房集体访")
    screenshot(page, "register-filled")
    page.get_by_label("标题", exact=True).press("Enter")  # Enter submits the registration

    expect(page.get_by_text(re.compile("已登记 A01-"))).to_be_visible()
    case = Case.objects.get()
    assert (
        case.people_count,
        case.form,
        case.case_petitioners.filter(is_representative=True).count(),
    ) == (
        12,
        "collective",
        3,
    )
    screenshot(page, "case-detail")

    page.keyboard.press("Alt+l")  # back to the list
    page.get_by_role("link", name=case.number).click()
    expect(page.get_by_role("heading", name="幸福家园小区逾期交房集体访")).to_be_visible()
    expect(page.get_by_text("集体，12 人")).to_be_visible()
    expect(page.locator("td .tag", has_text="代表")).to_have_count(3)


def test_typing_a_known_id_number_offers_the_earlier_case_and_records_a_repeat(
    page: Page,
    live_server: Any,
    clerk: User,
    units: Units,
    region: Region,
    category: ContentCategory,
) -> None:
    earlier = CaseFactory(
        registered_by=clerk, petitioners=[PetitionerFactory(id_number=id_number(301))]
    )
    log_in(page, live_server, clerk)
    page.goto(f"{live_server.url}/cases/register/")

    page.locator("#id_petitioners-0-name").fill("李四")
    page.locator("#id_petitioners-0-id_number").fill(id_number(301))

    offer = page.get_by_role("button", name="作为重复信访记入此件")
    expect(offer).to_be_visible()
    screenshot(page, "register-existing-case")
    offer.click()

    expect(page.get_by_text(f"已作为重复信访记入 {earlier.number}")).to_be_visible()
    earlier.refresh_from_db()
    assert (Case.objects.count(), earlier.contact_count) == (1, 2)
