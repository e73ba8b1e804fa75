"""协办, 回避 and the accused unit in Chromium: the office transfers a case to unit A with 市审计局
as 协办; the 审计局 finds it under its desk's 协办 tab and writes an investigation record; a
handler of unit A declares an interest and is left without steps; the accused unit of a
complaint opens it and sees neither the accuser nor the material."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.cases.workflow_cast import Cast, make_cast, register
from tests.conftest import Units
from tests.factories import UnitFactory, UserFactory
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Region, User
from xinfang.cases import services
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import CaseUnit, ContentCategory

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


def test_a_cooperating_unit_a_recused_handler_and_an_accused_unit_each_see_their_part(
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
    audit = UnitFactory(code="A13", name="市审计局", parent=units.office)
    auditor = UserFactory(
        username="coop", full_name="审计局承办人", unit=audit, roles=[Role.HANDLER]
    )
    case = register(cast)
    url = f"{live_server.url}/cases/{case.number}/"

    office = open_as(clerk)
    office.goto(url)
    office.locator(".procedure details.wf-step > summary").get_by_text("转送", exact=True).click()
    office.get_by_label("转送至").select_option(label="市住房和城乡建设局")
    office.locator("#step-transfer").get_by_label("协办单位").select_option(label="市审计局")
    office.get_by_role("button", name="确认转送", exact=True).click()
    expect(office.locator(".msg-success")).to_contain_text("已转送")
    expect(office.locator(".coop-unit")).to_have_text("市审计局")
    screenshot(office, "coop-case-with-cooperating-unit")
    assert list(CaseUnit.objects.values_list("unit__name", flat=True)) == ["市审计局"]

    cooperating = open_as(auditor)
    cooperating.goto(f"{live_server.url}/cases/desk/?tab=cooperating")
    expect(cooperating.locator(".coop-hint")).to_be_visible()
    cooperating.get_by_role("link", name=case.number, exact=True).click()
    expect(cooperating.locator(".procedure")).to_contain_text("当前环节不需要您办理")
    cooperating.get_by_text("添加工作记录或调查记录", exact=True).click()
    cooperating.get_by_label("记录类型").select_option(label="调查记录")
    cooperating.get_by_label("内容", exact=True).fill("已调取相关审计报告。")
    cooperating.get_by_role("button", name="保存记录", exact=True).click()
    expect(cooperating.locator(".timeline")).to_contain_text("已调取相关审计报告。")
    cooperating.goto(f"{live_server.url}/cases/desk/?tab=cooperating")
    screenshot(cooperating, "coop-desk-cooperating-tab")

    unit_a = open_as(handler)
    unit_a.goto(url)
    unit_a.get_by_text("申报回避", exact=True).click()
    unit_a.get_by_label("回避事由").fill("信访人是本人的近亲属。")
    unit_a.get_by_role("button", name="确认回避", exact=True).click()
    expect(unit_a.locator(".msg-success")).to_contain_text("回避本事项")
    expect(unit_a.locator(".procedure .coop-notice")).to_contain_text("应当回避")
    expect(unit_a.locator("#step-sign")).to_have_count(0)
    screenshot(unit_a, "coop-recused-handler")


def test_the_accused_unit_opens_a_complaint_against_it_and_sees_why_nothing_is_shown(
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
    district = UnitFactory(
        code="D00", name="A1区人民政府", kind=UnitKind.GOVERNMENT, parent=units.office
    )
    desk = UnitFactory(
        code="D01", name="A1区信访局", kind=UnitKind.PETITION_OFFICE, parent=district
    )
    desk_clerk = UserFactory(username="d_clerk", unit=desk, roles=[Role.CLERK])
    accused = UserFactory(username="d_handler", unit=district, roles=[Role.HANDLER])
    result = services.register_case(
        actor=desk_clerk,
        contact=services.ContactInput(
            channel=Channel.LETTER, occurred_at=timezone.now(), reception_unit=desk
        ),
        case=services.CaseInput(
            handling_category=HandlingCategory.ACCUSATION,
            content_category=cast.category,
            region=cast.region,
            title="反映区政府截留征地补偿款",
            request="区人民政府在征地补偿中截留补偿款。",
            accused_unit=district,
        ),
        petitioners=[services.PetitionerInput(name="检举人乙某", phone="13955550555")],
    )

    page = open_as(accused)
    page.goto(f"{live_server.url}/cases/{result.case.number}/")

    expect(page.locator(".coop-notice").first).to_contain_text("第三十条、第四十六条")
    expect(page.get_by_text("检举控告人身份依法保密。", exact=True)).to_be_visible()
    assert "检举人乙某" not in page.content()
    screenshot(page, "coop-accused-unit-case-page")
