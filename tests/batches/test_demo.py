"""The demo's batch: made by the real services after ``seed_demo``, once."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from xinfang.batches.demo import seed_demo_batch
from xinfang.batches.models import Batch
from xinfang.cases.demo import seed_demo
from xinfang.cases.enums import CaseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_gets_one_batch_of_one_district_with_a_signed_case_per_unit_with_a_handler() -> (
    None
):
    seed_demo(cases=400, seed=7)

    batch = seed_demo_batch()

    assert batch is not None
    cases = [item.case for item in batch.items.select_related("case__region")]
    assert 1 <= len(cases) <= 6
    assert len({case.region.code[:6] for case in cases}) == 1
    statuses = {case.status for case in cases}
    assert statuses <= {CaseStatus.ASSIGNED, CaseStatus.RECEIVED}
    assert CaseStatus.RECEIVED in statuses
    assert batch.parts.count() >= 1
    assert seed_demo_batch() is None
    assert Batch.objects.count() == 1
