from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import Units
from tests.factories import (
    CaseFactory,
    ContentCategoryFactory,
    PetitionerFactory,
    RegionFactory,
    id_number,
)
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.models import Case, ContentCategory
from xinfang.core.validators import mask_id_number, mask_phone

pytestmark = pytest.mark.django_db

FULL_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
FULL_MOBILE = re.compile(r"1[3-9]\d{9}")
NOT_FOUND = {"detail": "信访事项不存在，或不在您的查看范围内。", "errors": []}


def numbers(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/cases{query}")
    assert response.status_code == 200
    return [item["number"] for item in response.json()["items"]]


def test_handler_lists_the_cases_of_their_unit_and_not_of_another(
    handler_api: Client, outsider_api: Client, units: Units
) -> None:
    mine = CaseFactory(handling_unit=units.unit_a)
    theirs = CaseFactory(handling_unit=units.unit_b)
    CaseFactory()  # registered by, and handled in, a unit outside the whole tree

    assert numbers(handler_api) == [mine.number]
    assert numbers(outsider_api) == [theirs.number]


def test_list_items_describe_the_case_without_personal_data(
    handler_api: Client, units: Units
) -> None:
    person = PetitionerFactory(name="王五", id_number=id_number(5), phone="13912345678")
    case = CaseFactory(
        handling_unit=units.unit_a,
        petitioners=[person],
        received_on=dt.date(2026, 9, 20),
        registered_at=dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC),
    )

    response = handler_api.get("/api/v1/cases")

    body = response.content.decode()
    assert response.json() == {
        "items": [
            {
                "number": case.number,
                "title": case.title,
                "channel": {"code": "visit", "label": "走访"},
                "form": {"code": "individual", "label": "个体"},
                "people_count": 1,
                "status": {"code": "registered", "label": "已登记"},
                "involves_litigation": False,
                "received_on": "2026-09-20",
                "registered_at": "2026-09-21T02:00:00Z",
                "region": case.region.name,
                "category": case.content_category.name,
                "registering_unit": case.registering_unit.name,
                "handling_unit": "市住房和城乡建设局",
                "contact_count": 1,
            }
        ],
        "next_cursor": None,
    }
    assert "王五" not in body
    assert (FULL_ID_NUMBER.search(body), FULL_MOBILE.search(body)) == (None, None)


def test_list_filters_narrow_the_visible_cases(
    clerk: User, clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    other_region = RegionFactory(code="990201", name="B1区")
    other_category = ContentCategoryFactory(code="0501", name="劳动社保")
    first = CaseFactory(
        registered_by=clerk,
        region=region,
        content_category=category,
        received_on=dt.date(2026, 9, 1),
    )
    second = CaseFactory(
        registered_by=clerk,
        region=other_region,
        content_category=other_category,
        channel=Channel.LETTER,
        status=CaseStatus.CLOSED,
        received_on=dt.date(2026, 9, 10),
    )

    assert numbers(clerk_api, "?status=closed") == [second.number]
    assert numbers(clerk_api, "?channel=visit") == [first.number]
    assert numbers(clerk_api, "?region=9901") == [first.number]
    assert numbers(clerk_api, "?category=05") == [second.number]
    assert numbers(clerk_api, "?received_from=2026-09-05") == [second.number]
    assert numbers(clerk_api, "?received_to=2026-09-05") == [first.number]
    assert numbers(clerk_api, "?status=&channel=") == [second.number, first.number]


def test_keyset_pagination_walks_every_row_once(clerk: User, clerk_api: Client) -> None:
    moment = timezone.now()
    # Five cases share one registration time, so the order must fall back on the id.
    CaseFactory.create_batch(5, registered_by=clerk, registered_at=moment)
    CaseFactory.create_batch(2, registered_by=clerk, registered_at=moment - dt.timedelta(hours=1))
    expected = list(Case.objects.order_by("-registered_at", "-id").values_list("number", flat=True))

    seen: list[str] = []
    pages = 0
    cursor: str | None = ""
    while cursor is not None:
        response = clerk_api.get(f"/api/v1/cases?size=3&cursor={cursor}")
        assert response.status_code == 200
        page = response.json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        pages += 1

    assert seen == expected
    assert (len(seen), len(set(seen)), pages) == (7, 7, 3)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?status=pending", "status", None),
        ("?channel=walk", "channel", None),
        ("?region=99A1", "region", "区划代码应为数字。"),
        ("?received_from=2026-02-30", "received_from", "应为日期，格式 YYYY-MM-DD。"),
        # pydantic alone would read "0" as 1970-01-01 and take a date-time for its date.
        ("?received_to=0", "received_to", "应为日期，格式 YYYY-MM-DD。"),
        ("?received_from=2026-09-05T00:00:00", "received_from", "应为日期，格式 YYYY-MM-DD。"),
        ("?stauts=closed", "stauts", "不允许的字段。"),
        ("?size=0", "size", "不能小于 1。"),
        ("?size=101", "size", "不能大于 100。"),
        ("?size=99999999999999999999999", "size", "不能大于 100。"),
        ("?size=ten", "size", "应为整数。"),
        ("?cursor=not-a-cursor", "cursor", "分页游标无效，请从第一页重新开始。"),
        # Well-formed but hostile: a naive time, and an id beyond any database integer.
        ("?cursor=MjAyNi0wOS0yMVQxMDowMDowMHw1", "cursor", "分页游标无效，请从第一页重新开始。"),
        (
            "?cursor=MjAyNi0wOS0yMVQxMDowMDowMCswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
            "cursor",
            "分页游标无效，请从第一页重新开始。",
        ),
        ("?category=%00", "category", "不能包含控制字符。"),
    ],
)
def test_an_invalid_filter_is_422_with_a_chinese_message(
    handler_api: Client, query: str, field: str, message: str | None
) -> None:
    response = handler_api.get(f"/api/v1/cases{query}")

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "提交的数据有误，请按提示修改。"
    assert [error["field"] for error in body["errors"]] == [field]
    if message is None:  # an enumeration: the message lists every allowed value
        assert body["errors"][0]["message"].startswith("取值无效，应为以下之一：")
    else:
        assert body["errors"][0]["message"] == message


def test_list_costs_the_same_queries_for_one_and_three_cases(
    handler_api: Client, units: Units
) -> None:
    def queries_for_list() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = handler_api.get("/api/v1/cases")
        assert response.status_code == 200
        return len(captured.captured_queries), len(response.json()["items"])

    CaseFactory(handling_unit=units.unit_a)
    handler_api.get("/api/v1/cases")  # the token's first use writes last_used_at once
    one = queries_for_list()
    CaseFactory.create_batch(2, handling_unit=units.unit_a)
    three = queries_for_list()

    assert (one[1], three[1]) == (1, 3)
    assert one[0] == three[0]


def test_detail_shows_petitioners_with_masked_identifiers_only(
    handler_api: Client, units: Units
) -> None:
    person = PetitionerFactory(name="王五", id_number=id_number(5), phone="13912345678")
    case = CaseFactory(handling_unit=units.unit_a, petitioners=[person])

    response = handler_api.get(f"/api/v1/cases/{case.number}")

    assert response.status_code == 200
    body = response.content.decode()
    assert (FULL_ID_NUMBER.search(body), FULL_MOBILE.search(body)) == (None, None)
    detail = response.json()
    assert detail["petitioners"] == [
        {
            "name": "王五",
            "id_number_masked": mask_id_number(id_number(5)),
            "phone_masked": mask_phone("13912345678"),
            "is_representative": False,
        }
    ]
    assert mask_id_number(id_number(5)) in body
    assert detail["number"] == case.number
    assert detail["handling_unit"] == {"code": "A11", "name": "市住房和城乡建设局"}
    assert [contact["channel"]["label"] for contact in detail["contacts"]] == ["走访"]


def test_outsider_gets_404_on_a_case_of_another_unit(outsider_api: Client, units: Units) -> None:
    case = CaseFactory(handling_unit=units.unit_a)

    hidden = outsider_api.get(f"/api/v1/cases/{case.number}")
    missing = outsider_api.get("/api/v1/cases/A01-2026-999999")

    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json() == missing.json() == NOT_FOUND


@pytest.mark.parametrize("number", ["%00", "A" * 33, "A01%0A2026"])
def test_a_malformed_case_number_is_404(handler_api: Client, number: str) -> None:
    response = handler_api.get(f"/api/v1/cases/{number}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
