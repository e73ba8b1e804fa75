from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.django_db


def test_the_schema_lists_the_four_operations_with_every_status_they_return(
    handler_api: Client,
) -> None:
    response = handler_api.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert (schema["info"]["title"], schema["info"]["version"]) == ("信访事项办理系统 API", "1")
    operations = {
        (path, method): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert {key: op["operationId"] for key, op in operations.items()} == {
        ("/api/v1/cases", "get"): "list_cases",
        ("/api/v1/cases", "post"): "register_case",
        ("/api/v1/cases/{number}", "get"): "get_case",
        ("/api/v1/cases/{number}/steps/{action}", "post"): "take_step",
    }
    statuses = {op["operationId"]: sorted(op["responses"]) for op in operations.values()}
    assert statuses == {
        "list_cases": ["200", "401", "422", "503"],
        "get_case": ["200", "401", "404", "503"],
        "register_case": ["200", "201", "400", "401", "403", "413", "422", "503"],
        "take_step": ["200", "400", "401", "403", "404", "409", "413", "422", "503"],
    }
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for op in operations.values():
        assert op["security"] == [{"TokenAuth": []}]
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                assert answer["content"]["application/json"]["schema"] == error_ref
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }


def test_the_registration_body_forbids_unknown_fields_in_the_schema(handler_api: Client) -> None:
    schemas = handler_api.get("/api/v1/openapi.json").json()["components"]["schemas"]

    assert (
        schemas["CaseIn"]["additionalProperties"],
        schemas["PetitionerIn"]["additionalProperties"],
    ) == (
        False,
        False,
    )
    assert schemas["Channel"]["enum"] == ["visit", "letter", "online", "phone", "fax"]


def test_there_is_no_interactive_docs_page_to_pull_scripts_from_a_cdn() -> None:
    with pytest.raises(Resolver404):
        resolve("/api/v1/docs")


def test_the_api_root_points_to_the_schema(handler_api: Client) -> None:
    response = handler_api.get("/api/v1/")

    assert response.status_code == 200
    assert response.json() == {"version": "1", "openapi": "/api/v1/openapi.json"}
