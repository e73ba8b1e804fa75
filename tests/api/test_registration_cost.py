"""What one registration over the API costs the database, and the reference data it keeps
per process (xinfang.cases.reference) giving way to every kind of edit."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import registration
from tests.conftest import Units
from tests.factories import ContentCategoryFactory, UnitFactory, id_number
from xinfang.accounts.enums import UnitKind
from xinfang.accounts.models import Region
from xinfang.cases.categories import import_content_categories
from xinfang.cases.deadlines import Calendar
from xinfang.cases.models import CalendarOverride, Case, ContentCategory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 9, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
_VERB_AND_TABLE = re.compile(
    r"^(?:\d+ times: )?"  # an executemany
    r'(?:(SELECT)\b.*?\bFROM\s+|(INSERT INTO|UPDATE)\s+|((?:RELEASE )?SAVEPOINT)\b)"?(\w*)',
    re.DOTALL,
)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    """The day after the visit in :func:`registration`; the token was used a moment ago."""
    with time_machine.travel(NOW, tick=False):
        yield


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/cases", json.dumps(body), content_type="application/json")


def body_of(region: Region, category: ContentCategory, serial: int, **changes: Any) -> Any:
    body = registration(region, category, **changes)
    body["petitioners"][0]["id_number"] = id_number(serial)
    return body


def statements(queries: CaptureQueriesContext) -> list[tuple[str, str]]:
    """(verb, table) of each statement, leaving out the search index's own (its app's
    business: registration only saves the case it indexes)."""
    found = []
    for query in queries.captured_queries:
        match = _VERB_AND_TABLE.match(query["sql"])
        if match is None:
            found.append((query["sql"][:20], ""))
        elif match[3]:
            found.append((match[3], ""))
        elif not match[4].startswith("search_"):
            found.append((match[1] or match[2], match[4]))
    return found


def test_a_registration_over_the_api_reads_and_writes_these_rows_and_no_more(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    assert post(clerk_api, body_of(region, category, 1)).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        response = post(clerk_api, body_of(region, category, 2))

    assert response.status_code == 201
    assert statements(queries) == [
        ("SELECT", "api_apitoken"),  # the token, its user, unit and region
        ("SELECT", "accounts_userrole"),
        ("SELECT", "cases_numbersequence"),  # the reference data's generation: unchanged
        ("SAVEPOINT", ""),  # the transaction (a savepoint inside the test's own)
        ("UPDATE", "cases_numbersequence"),  # the case number
        ("INSERT INTO", "cases_case"),
        ("SELECT", "cases_petitioner"),  # the same ID number is the same person
        ("INSERT INTO", "cases_petitioner"),  # both new people in one statement
        ("INSERT INTO", "cases_casepetitioner"),
        ("INSERT INTO", "cases_contact"),
        ("INSERT INTO", "cases_caseevent"),
        ("SELECT", "audit_audithead"),
        ("INSERT INTO", "audit_auditevent"),
        ("UPDATE", "audit_audithead"),
        ("RELEASE SAVEPOINT", ""),
    ]


def test_a_category_deactivated_after_a_registration_is_refused_at_the_next(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    assert post(clerk_api, body_of(region, category, 1)).status_code == 201

    category.is_active = False
    category.save()
    response = post(clerk_api, body_of(region, category, 2))

    assert (response.status_code, Case.objects.count()) == (422, 1)


def test_a_category_given_children_by_a_bulk_import_is_refused_at_the_next_registration(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    assert post(clerk_api, body_of(region, category, 1)).status_code == 201

    import_content_categories(
        actor=None,
        rows=[("03", "城乡建设", ""), ("0301", "物业管理", "03"), ("030101", "物业收费", "0301")],
    )
    refused = post(clerk_api, body_of(region, category, 2))
    leaf = ContentCategory.objects.get(code="030101")
    accepted = post(clerk_api, body_of(region, leaf, 3))

    assert (refused.status_code, accepted.status_code) == (422, 201)


def test_a_reception_point_added_after_a_registration_is_accepted_at_the_next(
    clerk_api: Client, region: Region, category: ContentCategory, units: Units
) -> None:
    assert post(clerk_api, body_of(region, category, 1, reception_unit="A01K")).status_code == 422

    UnitFactory(code="A01K", name="市信访局来信处", kind=UnitKind.RECEPTION, parent=units.office)
    response = post(clerk_api, body_of(region, category, 2, reception_unit="A01K"))

    assert response.status_code == 201


def test_a_rest_day_entered_after_a_registration_moves_the_next_ones_deadline(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    post(clerk_api, body_of(region, category, 1))
    before = Case.objects.get().due_on
    assert before is not None

    CalendarOverride.objects.create(day=before, is_workday=False, name="临时休息日")
    post(clerk_api, body_of(region, category, 2))
    after = Case.objects.order_by("-pk").values_list("due_on", flat=True).first()

    assert after == Calendar().next_workday_on_or_after(before + dt.timedelta(days=1))[0]


def test_a_new_leaf_category_is_registrable_at_once(
    clerk_api: Client, region: Region, category: ContentCategory
) -> None:
    assert post(clerk_api, body_of(region, category, 1)).status_code == 201

    fresh = ContentCategoryFactory(code="0302", name="征地拆迁", parent=category.parent, level=2)

    assert post(clerk_api, body_of(region, fresh, 2)).status_code == 201
