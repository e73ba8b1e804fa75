"""Clerks who press 登记 at the same moment share commits (xinfang.core.commits) and still each
get their own case: consecutive numbers without gaps, every answer 201, and an audit chain
that verifies."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from tests.api.conftest import api_client, registration
from tests.factories import id_number
from xinfang.accounts.models import Region, User
from xinfang.audit.queries import verify_chain
from xinfang.cases.models import Case, ContentCategory

pytestmark = pytest.mark.django_db(transaction=True)

CLERKS = 6


def test_registrations_sent_together_each_get_their_own_consecutive_number(
    clerk: User, region: Region, category: ContentCategory
) -> None:
    start = threading.Barrier(CLERKS)
    answers: list[tuple[int, str]] = []
    clients = [api_client(clerk) for _ in range(CLERKS)]  # tokens issued before the burst

    def clerk_at_the_desk(serial: int) -> None:
        body = registration(region, category)
        body["petitioners"][0]["id_number"] = id_number(100 + serial)
        body["title"] = f"同时登记的第{serial}件"
        client = clients[serial]
        start.wait(10)
        try:
            response = client.post(
                "/api/v1/cases", json.dumps(body), content_type="application/json"
            )
            answers.append((response.status_code, response.json().get("number", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk_at_the_desk, args=(n,)) for n in range(CLERKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert [status for status, _ in answers] == [201] * CLERKS
    numbers = sorted(number for _, number in answers)
    assert sorted(Case.objects.values_list("number", flat=True)) == numbers
    assert numbers == [f"A01-2026-{serial:06d}" for serial in range(1, CLERKS + 1)]
    assert verify_chain()[1] is None
