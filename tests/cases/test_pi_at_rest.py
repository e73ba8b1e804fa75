"""Personal information at rest: a raw dump of the database holds no ID number, phone or address
in clear (SECURITY.md 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.conftest import Units
from tests.factories import id_number
from xinfang.accounts.models import Region, User
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import ContentCategory, Petitioner
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    register_case,
)

pytestmark = pytest.mark.django_db

NAME = "哨兵王五"
ID_NUMBER = id_number(424, birth="19770707")
PHONE = "13798764240"
ADDRESS = "西地省A市A1区哨兵路424号3单元"
CO_NAME = "哨兵赵六"
CO_ID_NUMBER = id_number(425, birth="19880808")
CO_PHONE = "0731-87654240"
CO_ADDRESS = "西地省A市A2区哨兵街425号"
SECRETS = {
    "id number": ID_NUMBER,
    "phone": PHONE,
    "address": ADDRESS,
    "second id number": CO_ID_NUMBER,
    "landline": CO_PHONE,
    "second address": CO_ADDRESS,
}


def register_sentinels(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    register_case(
        actor=clerk,
        contact=ContactInput(
            channel=Channel.VISIT,
            occurred_at=timezone.make_aware(dt.datetime(2026, 9, 20, 9, 30)),
            reception_unit=units.hall,
            people_count=2,
        ),
        case=CaseInput(
            handling_category=HandlingCategory.CLAIM,
            content_category=category,
            region=region,
            title="小区物业乱收费",
            request="请求责令物业公司退还多收的费用。",
        ),
        petitioners=[
            PetitionerInput(name=NAME, id_number=ID_NUMBER, phone=PHONE, address=ADDRESS),
            PetitionerInput(
                name=CO_NAME, id_number=CO_ID_NUMBER, phone=CO_PHONE, address=CO_ADDRESS
            ),
        ],
    )


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def dump_every_row() -> bytes:
    """Every column of every row of every table, as the database returns it."""
    tables = set(connection.introspection.table_names())
    model_tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    assert model_tables - tables == set()
    chunks = []
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks += [as_bytes(value) for row in cursor.fetchall() for value in row]
    return b"\x00".join(chunks)


def leaked(dump: bytes) -> list[str]:
    return [label for label, secret in SECRETS.items() if secret.encode("utf-8") in dump]


def test_sentinels_are_valid_and_distinct() -> None:
    assert (len(ID_NUMBER), len(CO_ID_NUMBER), len(set(SECRETS.values()))) == (18, 18, 6)


def test_a_dump_of_every_row_holds_no_id_number_phone_or_address_but_holds_the_name(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    register_sentinels(clerk, units, region, category)

    dump = dump_every_row()

    assert leaked(dump) == []
    assert (NAME.encode() in dump, CO_NAME.encode() in dump) == (True, True)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's own database image")
def test_the_sqlite_database_image_holds_no_id_number_phone_or_address_but_holds_the_name(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    register_sentinels(clerk, units, region, category)
    connection.ensure_connection()

    # The page image this connection sees, uncommitted pages included; works in memory too.
    image = connection.connection.serialize()
    name = Path(str(connection.settings_dict["NAME"]))
    on_disk = [path.read_bytes() for path in (name, Path(f"{name}-wal")) if path.is_file()]

    assert [leaked(data) for data in (image, *on_disk)] == [[]] * (1 + len(on_disk))
    assert NAME.encode() in image


def test_the_sealed_columns_decrypt_back_to_the_sentinels(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    register_sentinels(clerk, units, region, category)

    people = {
        person.name: tuple(person.decrypt(column) for column in ("id_number", "phone", "address"))
        for person in Petitioner.objects.all()
    }

    assert people == {
        NAME: (ID_NUMBER, PHONE, ADDRESS),
        CO_NAME: (CO_ID_NUMBER, CO_PHONE, CO_ADDRESS),
    }
