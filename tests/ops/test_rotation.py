"""Key rotation re-encrypts every sealed value and can be stopped and resumed (SECURITY.md 18)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.conftest import Units
from tests.factories import CaseFactory, PetitionerFactory, enrol_totp, id_number
from xinfang.accounts.models import Region, TotpDevice, User
from xinfang.audit.models import AuditEvent
from xinfang.audit.queries import verify_chain
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import Case, ContentCategory, Petitioner
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    id_number_index,
    query_code_of,
    register_case,
)
from xinfang.core.crypto import DecryptionError, key_id_of, unseal
from xinfang.ops.rotation import rotate_keys
from xinfang.ops.sealed import SEALED_COLUMNS

pytestmark = pytest.mark.django_db

KEY_1 = "1:00112233445566778899aabbccddeeff"
KEY_2 = "2:ffeeddccbbaa99887766554433221100"
PEOPLE = 5  # petitioners and cases; with batches of 2, three batches of each
VALUES = 3 * PEOPLE - 1 + PEOPLE + 1  # one person without an address; one TOTP secret
FIRST_BATCH = 2 * 3  # two petitioners, three columns each


class SimulatedKillError(Exception):
    """Stands in for a kill: raised between batches, as a signal would be."""


def sealed_values() -> dict[tuple[str, int, str], bytes]:
    """Every non-empty sealed value in the database, by (model, pk, column)."""
    values = {}
    for column in SEALED_COLUMNS:
        for pk, blob in column.model._default_manager.values_list("pk", column.field):
            if blob:
                values[(column.model._meta.label, pk, column.field)] = bytes(blob)
    return values


def flipped(blob: bytes) -> bytes:
    """The same ciphertext with one bit of its tag changed."""
    return blob[:-1] + bytes([blob[-1] ^ 0x01])


def key_ids() -> set[int]:
    return {key_id_of(blob) for blob in sealed_values().values()}


def opened() -> dict[tuple[str, int, str], str]:
    """Every sealed value decrypted with the AAD its writer used (via the models' own code)."""
    values = {}
    for person in Petitioner.objects.all():
        for column in ("id_number", "phone", "address"):
            values[("cases.Petitioner", person.pk, column)] = person.decrypt(column)
    for case in Case.objects.all():
        values[("cases.Case", case.pk, "query_code")] = query_code_of(case)
    for device in TotpDevice.objects.all():
        values[("accounts.TotpDevice", device.pk, "secret")] = device.secret()
    return values


@pytest.fixture
def sealed_under_key_1(
    settings: Any, clerk: User, units: Units, region: Region, category: ContentCategory
) -> dict[tuple[str, int, str], str]:
    """Data written under key 1 alone by the real services (registration, TOTP enrolment)
    and a few factory rows; then key 2 joins the keyring. Returns the plaintexts."""
    settings.XF_PI_KEYS = KEY_1
    for serial in range(PEOPLE - 1):
        register_case(
            actor=clerk,
            contact=ContactInput(
                channel=Channel.VISIT,
                occurred_at=timezone.now() - dt.timedelta(hours=1),
                reception_unit=units.hall,
            ),
            case=CaseInput(
                handling_category=HandlingCategory.CLAIM,
                content_category=category,
                region=region,
                title=f"物业纠纷{serial}",
                request="请求依法处理。",
            ),
            petitioners=[
                PetitionerInput(
                    name=f"信访人{serial}",
                    id_number=id_number(serial + 1),
                    phone=f"1390000{serial:04d}",
                    address=f"西地省A市A1区幸福路{serial}号",
                )
            ],
        )
    CaseFactory(registered_by=clerk, petitioners=[PetitionerFactory(address_sealed=None)])
    enrol_totp(clerk)
    plaintexts = opened()
    settings.XF_PI_KEYS = f"{KEY_1},{KEY_2}"
    return plaintexts


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_rotation_puts_every_sealed_value_under_the_new_key_and_each_still_opens(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    assert key_ids() == {1}

    output = rotate("--batch-size", "2")

    assert key_ids() == {2}
    assert opened() == sealed_under_key_1
    assert "轮换完成：所有加密值均已使用密钥 2。" in output


def test_rotation_covers_id_number_phone_address_query_code_and_totp_secret(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    report = rotate_keys(batch_size=2)

    assert dict(report.rotated) == {
        "cases.Petitioner.id_number_sealed": PEOPLE,
        "cases.Petitioner.phone_sealed": PEOPLE,
        "cases.Petitioner.address_sealed": PEOPLE - 1,  # the factory's person has none
        "cases.Case.query_code_sealed": PEOPLE,
        "accounts.TotpDevice.secret_sealed": 1,
    }


def test_a_rotation_killed_after_its_first_batch_leaves_everything_readable_and_a_rerun_finishes(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    def kill_after_first_batch(_message: str) -> None:
        raise SimulatedKillError

    with pytest.raises(SimulatedKillError):
        rotate_keys(batch_size=2, progress=kill_after_first_batch)

    assert key_ids() == {1, 2}
    assert opened() == sealed_under_key_1

    report = rotate_keys(batch_size=2)

    assert key_ids() == {2}
    assert opened() == sealed_under_key_1
    assert report.rotated_total == VALUES - FIRST_BATCH


def test_limit_stops_the_command_early_and_the_next_run_rotates_only_the_rest(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    first = rotate("--batch-size", "2", "--limit", "1")
    rotated_first = {k: v for k, v in sealed_values().items() if key_id_of(v) == 2}

    second = rotate("--batch-size", "2")

    assert "已达 --limit 上限，其余的值请再次运行本命令继续。" in first
    assert f"本次重新加密 {FIRST_BATCH} 个值，共 1 批。" in first
    assert len(rotated_first) == FIRST_BATCH
    assert {k: sealed_values()[k] for k in rotated_first} == rotated_first  # left alone
    assert f"本次重新加密 {VALUES - FIRST_BATCH} 个值" in second
    assert key_ids() == {2}
    assert opened() == sealed_under_key_1


def test_a_second_run_finds_nothing_to_do_and_changes_no_byte(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    rotate_keys()
    after_first = sealed_values()

    report = rotate_keys()

    assert (report.rotated_total, sealed_values()) == (0, after_first)


def test_dry_run_counts_values_per_key_and_writes_nothing(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    before = sealed_values()
    events = AuditEvent.objects.count()

    output = rotate("--dry-run")

    assert (sealed_values(), AuditEvent.objects.count()) == (before, events)
    assert "  cases.Petitioner.id_number_sealed：密钥 1 下 5 个值" in output
    assert f"试运行：共 {VALUES} 个值待重新加密，未写入任何数据。" in output


def test_a_flipped_byte_in_a_rotated_value_still_fails_to_decrypt(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    rotate_keys()
    person = Petitioner.objects.get(name="信访人0")
    damaged = flipped(sealed_values()[("cases.Petitioner", person.pk, "id_number_sealed")])

    assert key_id_of(damaged) == 2
    with pytest.raises(DecryptionError):
        unseal(damaged, aad=person.aad("id_number"))


def test_a_damaged_value_is_reported_left_as_it_was_and_the_rest_are_rotated(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    person = Petitioner.objects.get(name="信访人0")
    damaged = flipped(sealed_values()[("cases.Petitioner", person.pk, "phone_sealed")])
    Petitioner.objects.filter(pk=person.pk).update(phone_sealed=damaged)

    with pytest.raises(CommandError, match="1 个值无法解密，已跳过且保持原样"):
        rotate()

    values = sealed_values()
    assert values.pop(("cases.Petitioner", person.pk, "phone_sealed")) == damaged
    assert {key_id_of(blob) for blob in values.values()} == {2}


def test_each_batch_that_rotates_writes_one_audit_event_and_the_run_one_summary(
    sealed_under_key_1: dict[tuple[str, int, str], str],
) -> None:
    first_new = AuditEvent.objects.count() + 1

    rotate_keys(batch_size=2)

    events = list(AuditEvent.objects.filter(seq__gte=first_new).order_by("seq"))
    # petitioners 3 batches, cases 3, devices 1; then the summary
    assert [(e.event, e.object_type) for e in events] == [
        *[("crypto.rotate", "cases.petitioner")] * 3,
        *[("crypto.rotate", "cases.case")] * 3,
        ("crypto.rotate", "accounts.totpdevice"),
        ("crypto.rotate", "keyring"),
    ]
    assert events[-1].detail["rotated_total"] == VALUES
    assert events[-1].actor_id is None
    assert verify_chain() == (AuditEvent.objects.count(), None)


def test_blind_indexes_recomputed_under_a_new_blind_index_key_find_the_person_again(
    settings: Any, sealed_under_key_1: dict[tuple[str, int, str], str]
) -> None:
    settings.XF_BLIND_INDEX_KEY = "ab" * 32
    assert not Petitioner.objects.filter(id_number_index=id_number_index(id_number(1))).exists()

    output = rotate("--blind-index", "--batch-size", "2")

    person = Petitioner.objects.get(id_number_index=id_number_index(id_number(1)))
    assert person.decrypt("id_number") == id_number(1)
    assert f"盲索引重算完成：更新 {2 * PEOPLE} 个值。" in output
    assert AuditEvent.objects.filter(event="crypto.reindex").count() == 3  # one per batch
