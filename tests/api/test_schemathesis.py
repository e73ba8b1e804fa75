"""Schemathesis over the schema the API serves (SECURITY.md 30).

The schema is fetched from the running Django application in-process, through its real WSGI
handler, with a token, exactly as a caller would fetch it. Every operation is then called
with generated data, valid and invalid, as a 登记员 and as a 承办人: no 500s, only documented
status codes, JSON bodies that match the documented schemas, Chinese error messages. A loop
over the same operations shows that each refuses a caller without a token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema

from tests.api.conftest import registration
from tests.conftest import Units
from tests.factories import CaseFactory
from xinfang.accounts.models import Region, User
from xinfang.api.services import issue_token
from xinfang.cases.models import ContentCategory

pytestmark = pytest.mark.django_db

Operation = APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]

SCHEMA_PATH = "/api/v1/openapi.json"
#: Operations a caller without a token may use (by operationId). None, today.
PUBLIC_OPERATIONS: frozenset[str] = frozenset()
UNAUTHENTICATED = {
    "detail": "未提供有效的访问令牌。请在请求头中携带 Authorization: Bearer <令牌>。",
    "errors": [],
}
JSON = "application/json; charset=utf-8"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.ignored_auth,  # replays a success without the token and with a wrong one
]
# Not positive_data_acceptance for generated data: a schema cannot say which unit, region and
# category codes exist, so schema-valid inventions are rightly refused with 422. The explicit
# walk at the end sends real codes and runs it.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's real WSGI handler. Like Django's own test client, it must not recycle the
    database connection after each request: that would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["clerk", "handler"])
def caller(request: pytest.FixtureRequest, units: Units) -> User:
    """The registering office's 登记员 and unit A's 承办人, each with cases in scope, so lists
    come back with items to check against the schema."""
    user: User = request.getfixturevalue(request.param)
    CaseFactory.create_batch(2, registered_by=user, handling_unit=units.unit_a)
    return user


@pytest.fixture
def secret(caller: User) -> str:
    return issue_token(actor=None, user=caller, name="接口测试", days=1)[1]


def served(app: WSGIHandler, secret: str) -> BaseSchema:
    """The schema as the application serves it: only to a token holder."""
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, app, headers=bearer(secret))


@pytest.fixture
def served_schema(wsgi_app: WSGIHandler, secret: str) -> BaseSchema:
    return served(wsgi_app, secret)


api = schemathesis.pytest.from_fixture("served_schema")


@api.parametrize()
@FUZZ
def test_every_operation_answers_generated_data_as_documented(case: Case, secret: str) -> None:
    response = case.call_and_validate(headers=bearer(secret), checks=CHECKS)

    assert response.headers["content-type"] == [JSON], (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert CHINESE.search(response.json()["detail"])


def operations(schema: BaseSchema) -> list[Operation]:
    found: list[Operation] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # an operation the schema fails to describe
        found.append(result.ok())
    assert found, "接口文档中没有任何操作"
    return found


def assert_refuses_anonymous_callers(operation: Operation) -> None:
    @FUZZ
    @given(case=operation.as_strategy())
    def refused(case: Case) -> None:
        case.headers.pop("Authorization", None)  # generated for the scheme; none at all here

        response = case.call()

        assert response.status_code == 401, operation.label
        assert response.json() == UNAUTHENTICATED
        assert response.headers["www-authenticate"] == ['Bearer realm="xinfang"']

    refused()


def test_every_operation_refuses_a_caller_without_a_token(
    wsgi_app: WSGIHandler, clerk: User
) -> None:
    schema = served(wsgi_app, issue_token(actor=None, user=clerk, name="接口测试", days=1)[1])

    for operation in operations(schema):
        if operation.definition.raw.get("operationId") in PUBLIC_OPERATIONS:
            continue
        assert operation.definition.raw.get("security") == [{"TokenAuth": []}], operation.label
        assert_refuses_anonymous_callers(operation)


def test_a_registration_its_replay_its_detail_and_a_step_pass_every_check(
    wsgi_app: WSGIHandler, clerk: User, region: Region, category: ContentCategory
) -> None:
    secret = issue_token(actor=None, user=clerk, name="接口测试", days=1)[1]
    schema = served(wsgi_app, secret)
    every_check = [*CHECKS, checks.positive_data_acceptance]

    def call(method: str, path: str, expected: int, **parts: Any) -> dict[str, Any]:
        case = schema[path][method].Case(**parts)
        response = case.call_and_validate(headers=bearer(secret), checks=every_check)
        assert response.status_code == expected, response.text
        body: dict[str, Any] = response.json()
        return body

    register: dict[str, Any] = {
        "body": registration(region, category),
        "headers": {"Idempotency-Key": "schemathesis-1"},
    }
    number = call("POST", "/api/v1/cases", 201, **register)["number"]
    replay = call("POST", "/api/v1/cases", 200, **register)
    detail = call("GET", "/api/v1/cases/{number}", 200, path_parameters={"number": number})
    step = call(
        "POST",
        "/api/v1/cases/{number}/steps/{action}",
        200,
        path_parameters={"number": number, "action": "transfer"},
        body={"version": detail["version"], "fields": {"to_unit": "A11"}},
    )

    assert (replay["number"], detail["number"]) == (number, number)
    assert step["status"] == {"code": "transferred", "label": step["status"]["label"]}
