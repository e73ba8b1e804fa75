from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.api.conftest import api_client, registration
from tests.conftest import Units
from tests.factories import UserFactory, id_number
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.audit.models import AuditEvent
from xinfang.cases.models import Case, Contact, ContentCategory
from xinfang.cases.services import query_code_of

pytestmark = pytest.mark.django_db

INVALID = "提交的数据有误，请按提示修改。"
NOW = dt.datetime(2026, 9, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    """The day after the visit in :func:`registration`: case numbers say 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(
        "/api/v1/cases", json.dumps(body), content_type="application/json", headers=headers
    )


def test_clerk_registers_a_case_and_gets_its_query_code_once(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    response = post(clerk_api, registration(region, category))

    assert response.status_code == 201
    case = Case.objects.get()
    assert response.json() == {
        "number": "A01-2026-000001",
        "query_code": query_code_of(case),
        "warnings": [],
    }
    assert response["Location"] == "/api/v1/cases/A01-2026-000001"
    assert (case.title, case.region, case.content_category, case.claim_route) == (
        "小区物业乱收费",
        region,
        category,
        6,
    )
    contact = Contact.objects.get()
    assert (contact.reception_unit.code, contact.people_count, contact.representative_count) == (
        "A01J",
        2,
        1,
    )
    assert list(
        AuditEvent.objects.filter(object_type="cases.case").values_list("event", "object_id")
    ) == [("case.register", "A01-2026-000001")]


def test_the_contact_time_and_reception_unit_default_to_now_and_the_clerks_unit(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    body = registration(region, category)
    del body["occurred_at"], body["reception_unit"]

    response = post(clerk_api, body)

    assert response.status_code == 201
    contact = Contact.objects.get()
    assert (contact.occurred_at, contact.reception_unit.code) == (NOW, "A01")


def test_too_many_representatives_registers_with_a_warning(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    people = [{"name": f"代表{i}", "is_representative": True} for i in range(6)]

    response = post(clerk_api, registration(region, category, people_count=30, petitioners=people))

    assert response.status_code == 201
    assert response.json()["warnings"] == [
        "代表人数为 6 人，超过《信访工作条例》第二十条规定的 5 人。已登记，请向信访人说明。"
    ]


def test_a_wrong_id_check_digit_is_422_with_a_chinese_message_and_creates_nothing(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    valid = id_number(1)
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    body = registration(region, category, petitioners=[{"name": "张三", "id_number": wrong}])

    response = post(clerk_api, body)

    assert response.status_code == 422
    assert response.json() == {
        "detail": INVALID,
        "errors": [
            {
                "field": "petitioners.0.id_number",
                "message": "身份证号码校验位不正确，请核对后重新输入。",
            }
        ],
    }
    assert (Case.objects.count(), AuditEvent.objects.filter(event="case.register").count()) == (
        0,
        0,
    )


def test_an_unknown_field_is_422(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    response = post(clerk_api, registration(region, category, priority="urgent"))

    assert response.status_code == 422
    assert response.json() == {
        "detail": INVALID,
        "errors": [{"field": "priority", "message": "不允许的字段。"}],
    }
    assert Case.objects.count() == 0


@pytest.mark.parametrize("who", ["handler", "supervisor"])
def test_only_a_clerk_may_register(
    request: pytest.FixtureRequest, who: str, region: Region, category: ContentCategory
) -> None:
    user: User = request.getfixturevalue(who)

    response = post(api_client(user), registration(region, category))

    assert response.status_code == 403
    assert response.json() == {"detail": "只有登记员可以登记信访事项。", "errors": []}
    assert Case.objects.count() == 0


def test_replaying_the_same_idempotency_key_ten_times_creates_one_case(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    body = registration(region, category)

    responses = [
        post(clerk_api, body, **{"Idempotency-Key": "hotline-20260921-0001"}) for _ in range(10)
    ]

    assert [response.status_code for response in responses] == [201] + [200] * 9
    assert {response.json()["number"] for response in responses} == {"A01-2026-000001"}
    assert [response.json()["query_code"] for response in responses[1:]] == [None] * 9
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(event="case.register").count() == 1


def test_the_same_idempotency_key_from_another_clerk_is_another_registration(
    clerk_api: Client, units: Units, region: Region, category: ContentCategory
) -> None:
    colleague = UserFactory(username="clerk2", unit=units.office, roles=[Role.CLERK])
    body = registration(region, category)

    first = post(clerk_api, body, **{"Idempotency-Key": "1"})
    second = post(api_client(colleague), body, **{"Idempotency-Key": "1"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json()["number"], second.json()["number"]) == (
        "A01-2026-000001",
        "A01-2026-000002",
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("k" * 65, "长度不能超过 64 个字符。"),
        ("带中文的键", "格式不正确。"),
        ("a b", "格式不正确。"),
    ],
)
def test_a_malformed_idempotency_key_is_422(
    clerk_api: Client, region: Region, category: ContentCategory, key: str, message: str
) -> None:
    response = clerk_api.post(
        "/api/v1/cases",
        json.dumps(registration(region, category)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "Idempotency-Key", "message": message}]
    assert Case.objects.count() == 0


CHOICE = object()  # the message lists the allowed values; checked by its beginning


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"channel": "walk"}, "channel", CHOICE),
        ({"channel": None}, "channel", CHOICE),
        ({"handling_category": ["claim"]}, "handling_category", CHOICE),
        ({"claim_route": 9}, "claim_route", CHOICE),
        ({"claim_route": True}, "claim_route", CHOICE),
        ({"claim_route": "6"}, "claim_route", CHOICE),
        (
            {"handling_category": "suggestion", "claim_route": 6},
            "claim_route",
            "只有申诉求决类事项才选择途径。",
        ),
        ({"people_count": "2"}, "people_count", "应为整数。"),
        ({"people_count": 2.5}, "people_count", "应为整数。"),
        ({"people_count": True}, "people_count", "应为整数。"),
        ({"people_count": 0}, "people_count", "不能小于 1。"),
        ({"people_count": 10**40}, "people_count", "不能大于 100000。"),
        ({"skipped_level": "yes"}, "skipped_level", "应为布尔值（true 或 false）。"),
        ({"occurred_at": "2026-09-22T09:00:00+08:00"}, "occurred_at", "时间不能晚于现在。"),
        ({"occurred_at": "1999-12-31T09:00:00+08:00"}, "occurred_at", "时间不合理，请核对。"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at", "时间不合理，请核对。"),
        (
            {"occurred_at": 1_758_000_000},
            "occurred_at",
            "应为 ISO 8601 格式的日期时间，如 2026-09-20T09:30:00+08:00。",
        ),
        (
            {"occurred_at": "昨天"},
            "occurred_at",
            "应为 ISO 8601 格式的日期时间，如 2026-09-20T09:30:00+08:00。",
        ),
        # Text that pydantic would read as a Unix timestamp, and a date without a time.
        (
            {"occurred_at": "1758000000"},
            "occurred_at",
            "应为 ISO 8601 格式的日期时间，如 2026-09-20T09:30:00+08:00。",
        ),
        (
            {"occurred_at": "2026-09-20"},
            "occurred_at",
            "应为 ISO 8601 格式的日期时间，如 2026-09-20T09:30:00+08:00。",
        ),
        ({"occurred_at": "2026-09-22T09:30"}, "occurred_at", "时间不能晚于现在。"),
        (
            {"reception_unit": "A12"},
            "reception_unit",
            "接待/收件单位不存在，或不是本单位及下属接待点。",
        ),
        ({"region": "999999"}, "region", "问题属地区划代码不存在，或不在本单位辖区内。"),
        ({"region": "99-01"}, "region", "区划代码应为数字。"),
        (
            {"content_category": "03"},
            "content_category",
            "内容分类代码不存在、已停用或不是末级分类。",
        ),
        ({"title": "   "}, "title", "不能为空。"),
        ({"title": "标" * 201}, "title", "长度不能超过 200 个字符。"),
        ({"title": "第一行\n第二行"}, "title", "不能包含换行或制表符。"),
        ({"title": "空字符\x00"}, "title", "不能包含控制字符。"),
        ({"request": "诉" * 10_001}, "request", "长度不能超过 10000 个字符。"),
        ({"request": 12}, "request", "应为字符串。"),
        ({"petitioners": []}, "petitioners", "至少需要 1 项。"),
        ({"petitioners": {"name": "张三"}}, "petitioners", "应为数组。"),
        ({"petitioners": ["张三"]}, "petitioners.0", "应为 JSON 对象。"),
        ({"petitioners": [{"name": "名" * 51}]}, "petitioners.0.name", "长度不能超过 50 个字符。"),
        ({"petitioners": [{"name": "\ud800"}]}, "petitioners.0.name", "包含无效的字符。"),
        (
            {"petitioners": [{"name": "张三", "gender": "男"}]},
            "petitioners.0.gender",
            "不允许的字段。",
        ),
        (
            {"petitioners": [{"name": "张三", "phone": "12345"}]},
            "petitioners.0.phone",
            "电话号码格式不正确：手机为11位数字，固定电话如 0731-12345678。",
        ),
        (
            {"petitioners": [{"name": "张三", "id_number": "11010119900230001X"}]},
            "petitioners.0.id_number",
            "身份证号码中的出生日期不存在。",
        ),
        (
            {
                "petitioners": [
                    {"name": "甲", "id_number": id_number(1)},
                    {"name": "乙", "id_number": id_number(1)},
                ]
            },
            "petitioners",
            "同一身份证号重复登记，请检查信访人列表。",
        ),
    ],
)
def test_bad_input_is_422_with_a_chinese_message_for_the_field(
    clerk_api: Client,
    region: Region,
    category: ContentCategory,
    changes: dict[str, Any],
    field: str,
    message: object,
) -> None:
    response = post(clerk_api, registration(region, category, **changes))

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == INVALID
    assert [error["field"] for error in body["errors"]] == [field]
    if message is CHOICE:
        assert body["errors"][0]["message"].startswith("取值无效，应为以下之一：")
    else:
        assert body["errors"][0]["message"] == message
    assert Case.objects.count() == 0


def test_a_rule_the_service_enforces_comes_back_as_422(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    response = post(clerk_api, registration(region, category, people_count=1))

    assert response.status_code == 422
    assert response.json() == {"detail": "人数（1）不能少于登记的信访人数（2）。", "errors": []}
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"{", 400, "请求体不是有效的 JSON。"),
        (b"\xff\xfe", 400, "请求体不是有效的 JSON。"),
        (b"[1, 2]", 422, INVALID),
        (b'"case"', 422, INVALID),
        (b"", 422, INVALID),
        (b"null", 422, INVALID),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_in_chinese(
    clerk_api: Client, raw: bytes, status: int, message: str
) -> None:
    response = clerk_api.post("/api/v1/cases", raw, content_type="application/json")

    assert response.status_code == status
    assert response.json()["detail"] == message
    assert Case.objects.count() == 0


def test_an_oversized_body_is_413(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    body = registration(region, category, facts_reasons="事" * 1_000_000)

    response = post(clerk_api, body)

    assert response.status_code == 413
    assert response.json() == {"detail": "请求体过大。", "errors": []}
