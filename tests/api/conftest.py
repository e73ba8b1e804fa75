"""API fixtures: a bearer-token client for each member of the cast, and a valid body."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import id_number
from xinfang.accounts.models import Region, User
from xinfang.api.services import issue_token
from xinfang.cases.models import ContentCategory


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def api_client(user: User) -> Client:
    _token, secret = issue_token(actor=None, user=user, name="测试程序", days=30)
    return bearer(secret)


@pytest.fixture
def clerk_api(clerk: User) -> Client:
    return api_client(clerk)


@pytest.fixture
def handler_api(handler: User) -> Client:
    return api_client(handler)


@pytest.fixture
def outsider_api(outsider: User) -> Client:
    return api_client(outsider)


def registration(region: Region, category: ContentCategory, /, **changes: Any) -> dict[str, Any]:
    """A body the clerk of A市信访局 may post: a visit to the reception hall."""
    body: dict[str, Any] = {
        "channel": "visit",
        "occurred_at": "2026-09-20T09:30:00+08:00",
        "reception_unit": "A01J",
        "people_count": 2,
        "handling_category": "claim",
        "claim_route": 6,
        "content_category": category.code,
        "region": region.code,
        "title": "小区物业乱收费",
        "request": "请求责令物业公司退还多收的费用。",
        "facts_reasons": "物业公司自2026年起每月多收停车费。",
        "petitioners": [
            {
                "name": "张三",
                "id_number": id_number(1),
                "phone": "13900001111",
                "address": "西地省A市A1区幸福路1号",
                "is_representative": True,
            },
            {"name": "李四"},
        ],
    }
    body.update(changes)
    return body
