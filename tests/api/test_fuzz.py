"""Whatever arrives, the API answers with a documented status, never a 500 (SECURITY.md 30).

Beside Schemathesis (test_schemathesis.py), which generates requests from the schema, these
start from what the schema cannot express: Hypothesis mutates one field of a valid body at a
time (or adds a stray one), and throws arbitrary query strings and case numbers at the reads.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import registration
from xinfang.accounts.models import Region
from xinfang.cases.models import ContentCategory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
BODY_FIELDS = [
    "channel",
    "occurred_at",
    "reception_unit",
    "people_count",
    "skipped_level",
    "handling_category",
    "claim_route",
    "content_category",
    "involves_litigation",
    "region",
    "title",
    "request",
    "facts_reasons",
    "petitioners",
]
LIST_PARAMS = [
    "status",
    "channel",
    "region",
    "category",
    "received_from",
    "received_to",
    "cursor",
    "size",
]


@FUZZ
@given(field=st.sampled_from([*BODY_FIELDS, "extra"]), value=JSON_VALUES, key=st.text(max_size=70))
def test_a_mutated_registration_gets_a_documented_answer(
    clerk_api: Client, region: Region, category: ContentCategory, field: str, value: Any, key: str
) -> None:
    body = registration(region, category) | {field: value}
    headers = {"Idempotency-Key": key} if key.isascii() and key.isprintable() else {}

    response = clerk_api.post(
        "/api/v1/cases", json.dumps(body), content_type="application/json", headers=headers
    )

    assert response.status_code in {200, 201, 400, 422}
    assert isinstance(response.json()["detail" if response.status_code >= 400 else "number"], str)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(LIST_PARAMS), st.text(max_size=40), max_size=4))
def test_any_list_query_gets_a_documented_answer(
    handler_api: Client, params: dict[str, str]
) -> None:
    response = handler_api.get("/api/v1/cases?" + urlencode(params))

    assert response.status_code in {200, 422}


@FUZZ
@given(number=st.text(min_size=1, max_size=40))
def test_any_case_number_gets_a_documented_answer(handler_api: Client, number: str) -> None:
    response = handler_api.get("/api/v1/cases/" + quote(number, safe=""))

    assert response.status_code == 404
