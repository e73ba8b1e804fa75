"""Rotating XF_AUDIT_KEY: each event names the key that signed it; after a rotation new events
are signed with the new key, the old ones still verify with the old key, and someone holding
only the old (retired, perhaps leaked) key cannot rewrite history without breaking the chain."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tests.audit.test_chain import tamper
from xinfang.audit.models import AuditEvent
from xinfang.audit.queries import ChainBreak, verify_chain
from xinfang.audit.services import canonical_form, record
from xinfang.core.crypto import audit_keys, hmac_sm3

pytestmark = pytest.mark.django_db

OLD, NEW = "a1" * 32, "b2" * 32  # fixed: test ids must agree across xdist workers
ROTATED = f"1:{OLD},2:{NEW}"


def record_five() -> None:
    for n in range(5):
        record("test.event", actor=None, object_type="cases.case", object_id=str(n))


def test_after_a_rotation_new_events_use_the_new_key_and_the_whole_chain_verifies() -> None:
    with override_settings(XF_AUDIT_KEY=OLD):
        record_five()
    with override_settings(XF_AUDIT_KEY=ROTATED):
        record_five()
        assert list(AuditEvent.objects.values_list("key_id", flat=True)) == [1] * 5 + [2] * 5
        assert verify_chain() == (10, None)


def test_dropping_the_old_key_too_soon_is_named_at_the_first_event_it_signed() -> None:
    with override_settings(XF_AUDIT_KEY=OLD):
        record_five()
    with override_settings(XF_AUDIT_KEY=ROTATED):
        record_five()
    with override_settings(XF_AUDIT_KEY=f"2:{NEW}"):
        assert verify_chain() == (
            0,
            ChainBreak(1, "XF_AUDIT_KEY 中缺少第 1 号密钥，无法校验此后的记录"),
        )


def test_a_holder_of_the_retired_key_cannot_rewrite_an_old_event_unnoticed() -> None:
    with override_settings(XF_AUDIT_KEY=OLD):
        record_five()
    with override_settings(XF_AUDIT_KEY=ROTATED):
        record_five()
        forged = AuditEvent.objects.get(seq=3)
        forged.detail = {"forged": True}
        new_hash = hmac_sm3(bytes.fromhex(OLD), canonical_form(forged)).hex()
        tamper(
            (
                "UPDATE audit_auditevent SET detail = %s, hash = %s WHERE seq = 3",
                [json.dumps({"forged": True}), new_hash],
            )
        )

        assert verify_chain() == (
            3,
            ChainBreak(4, "与上一条记录的链接不符：记录被删除、插入或重排"),
        )


def test_an_event_claiming_an_older_key_after_the_rotation_is_refused() -> None:
    with override_settings(XF_AUDIT_KEY=ROTATED):
        record_five()
        tamper("UPDATE audit_auditevent SET key_id = 1 WHERE seq = 4")

        assert verify_chain()[1] == ChainBreak(4, "签名密钥编号倒退（1 < 2）：记录被伪造")


def test_events_from_before_key_ids_verify_with_key_one() -> None:
    with override_settings(XF_AUDIT_KEY=OLD):
        record_five()
        # rows written before the column existed: no key id, hashed without one
        statements: list[str | tuple[str, list[str]]] = []
        prev_hash = "0" * 64
        for event in AuditEvent.objects.order_by("seq"):
            event.key_id, event.prev_hash = None, prev_hash
            prev_hash = hmac_sm3(bytes.fromhex(OLD), canonical_form(event)).hex()
            statements.append(
                (
                    "UPDATE audit_auditevent SET key_id = NULL, prev_hash = %s, hash = %s "
                    "WHERE seq = %s",
                    [event.prev_hash, prev_hash, str(event.seq)],
                )
            )
        statements.append(("UPDATE audit_audithead SET hash = %s", [prev_hash]))
        tamper(*statements)
    with override_settings(XF_AUDIT_KEY=ROTATED):
        assert verify_chain() == (5, None)


@pytest.mark.parametrize("spec", ["1:zz", "0:" + "00" * 32, f"1:{OLD},1:{NEW}", "x:" + OLD, "1:00"])
def test_a_malformed_key_list_stops_with_a_message(spec: str) -> None:
    with override_settings(XF_AUDIT_KEY=spec), pytest.raises(ImproperlyConfigured):
        audit_keys()
