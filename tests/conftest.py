"""The fixed cast: who may do what, in which unit.

Unit tree::

    A市信访局 (petition office, root)
    ├── 市信访局接待大厅 (reception point)
    ├── 市住房和城乡建设局 (unit A)
    └── 市人力资源和社会保障局 (unit B)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tests.factories import ContentCategoryFactory, RegionFactory, UnitFactory, UserFactory
from xinfang.accounts.enums import RegionLevel, Role, UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.accounts.sessions import SECOND_FACTOR_DONE
from xinfang.cases.models import ContentCategory

if TYPE_CHECKING:
    from tests.cases.workflow_cast import Cast

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class Units:
    office: Unit
    hall: Unit
    unit_a: Unit
    unit_b: Unit


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """PBKDF2 at production strength costs ~0.3 s per user; tests need speed, not strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def region(db: None) -> Region:
    city = RegionFactory(code="9901", name="A市", level=RegionLevel.CITY)
    return RegionFactory(code="990102", name="A1区", level=RegionLevel.COUNTY, parent=city)


@pytest.fixture
def category(db: None) -> ContentCategory:
    parent = ContentCategoryFactory(code="03", name="城乡建设")
    return ContentCategoryFactory(code="0301", name="物业管理", parent=parent, level=2)


@pytest.fixture
def units(db: None, region: Region) -> Units:
    office = UnitFactory(code="A01", name="A市信访局", kind=UnitKind.PETITION_OFFICE, region=region)
    return Units(
        office=office,
        hall=UnitFactory(
            code="A01J", name="市信访局接待大厅", kind=UnitKind.RECEPTION, parent=office
        ),
        unit_a=UnitFactory(code="A11", name="市住房和城乡建设局", parent=office),
        unit_b=UnitFactory(code="A12", name="市人力资源和社会保障局", parent=office),
    )


@pytest.fixture
def clerk(units: Units) -> User:
    return UserFactory(
        username="clerk", full_name="登记员小王", unit=units.office, roles=[Role.CLERK]
    )


@pytest.fixture
def handler(units: Units) -> User:
    return UserFactory(
        username="handler", full_name="承办人老李", unit=units.unit_a, roles=[Role.HANDLER]
    )


@pytest.fixture
def outsider(units: Units) -> User:
    return UserFactory(
        username="outsider", full_name="外单位承办人", unit=units.unit_b, roles=[Role.HANDLER]
    )


@pytest.fixture
def supervisor(units: Units) -> User:
    return UserFactory(
        username="supervisor", full_name="督查员", unit=units.office, roles=[Role.SUPERVISOR]
    )


@pytest.fixture
def leader(units: Units) -> User:
    return UserFactory(
        username="leader", full_name="局领导", unit=units.office, roles=[Role.LEADER]
    )


@pytest.fixture
def auditor(units: Units) -> User:
    return UserFactory(
        username="auditor", full_name="审计管理员", unit=units.office, roles=[Role.AUDIT_ADMIN]
    )


@pytest.fixture
def cast(
    units: Units,
    clerk: User,
    handler: User,
    leader: User,
    outsider: User,
    region: Region,
    category: ContentCategory,
) -> Cast:
    """The office's clerk, the unit's handler, reviewer and leader, and an outsider."""
    from tests.cases.workflow_cast import make_cast  # it imports this module

    return make_cast(units, clerk, handler, leader, outsider, region, category)


def logged_in(user: User, **client_options: Any) -> Client:
    """A client fully signed in as ``user``: password and second factor (the flag a TOTP
    code sets), so tests of pages need no authenticator. The sign-in itself is tested in
    tests/accounts/test_second_factor.py."""
    client = Client(**client_options)
    client.force_login(user)
    session = client.session
    session[SECOND_FACTOR_DONE] = True
    session.save()
    return client


@pytest.fixture
def shared_data() -> Path:
    """../shared/data: skipped on a user's machine without it, a failure under CI=true."""
    if not SHARED_DATA.is_dir():
        message = f"真实数据目录不存在：{SHARED_DATA}（../shared/data）"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA
