"""The audit trail: append-only, hash-chained, written in the same transaction as the change
(SECURITY.md 13–15)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from tests.factories import UnitFactory, UserFactory
from xinfang.accounts.enums import Role, UnitKind
from xinfang.accounts.models import Unit
from xinfang.accounts.services import create_unit
from xinfang.audit.enums import Outcome
from xinfang.audit.models import AuditEvent, AuditHead
from xinfang.audit.queries import ChainBreak, verify_chain
from xinfang.audit.services import GENESIS_HASH, record
from xinfang.core.middleware import RequestContextMiddleware

pytestmark = pytest.mark.django_db


def record_five() -> list[AuditEvent]:
    actor = UserFactory(username="clerk", full_name="登记员小王", roles=[Role.CLERK], password=None)
    return [
        record(
            f"test.event{n}", actor=actor, object_type="cases.case", object_id=f"A01-2026-{n:06d}"
        )
        for n in range(1, 6)
    ]


def allow_tampering() -> None:
    """Lift the append-only trigger for the rest of this test. DDL is transactional on both
    databases, so the rollback at the end of the test puts the trigger back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")


def tamper(*statements: str | tuple[str, list[str]]) -> None:
    """Run raw SQL against the audit table with the trigger lifted."""
    allow_tampering()
    with connection.cursor() as cursor:
        for statement in statements:
            sql, params = (statement, []) if isinstance(statement, str) else statement
            cursor.execute(sql, params)


def verify_audit_failure() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", stdout=StringIO(), no_color=True)
    return str(caught.value)


# --- An intact chain -------------------------------------------------------------------------


def test_an_empty_trail_verifies() -> None:
    assert verify_chain() == (0, None)


def test_five_recorded_events_verify_clean() -> None:
    record_five()

    assert verify_chain() == (5, None)


def test_events_are_numbered_from_one_and_each_links_to_the_one_before() -> None:
    events = record_five()

    links = [(event.seq, event.prev_hash) for event in AuditEvent.objects.order_by("seq")]

    assert links == [
        (1, GENESIS_HASH),
        (2, events[0].hash),
        (3, events[1].hash),
        (4, events[2].hash),
        (5, events[3].hash),
    ]
    assert (AuditHead.objects.get().seq, AuditHead.objects.get().hash) == (5, events[4].hash)


def test_verify_audit_command_reports_success() -> None:
    record_five()
    out = StringIO()

    call_command("verify_audit", stdout=out, no_color=True)

    assert out.getvalue() == "审计链完好：共 5 条记录。\n"


# --- Tampering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("event", "test.harmless"),
        ("actor_name", "someone_else"),
        ("outcome", Outcome.FAILURE.value),
        ("object_id", "A01-2026-999999"),
    ],
)
def test_an_edited_field_is_named_by_its_seq(column: str, value: str) -> None:
    record_five()

    tamper((f"UPDATE audit_auditevent SET {column} = %s WHERE seq = 3", [value]))  # noqa: S608

    assert verify_chain() == (2, ChainBreak(3, "内容与其哈希不符：记录被修改"))
    assert (
        verify_audit_failure()
        == "审计链校验失败：第 3 条记录 — 内容与其哈希不符：记录被修改（此前 2 条完好）"
    )


def test_an_edited_detail_is_named_by_its_seq() -> None:
    record_five()
    tamper(("UPDATE audit_auditevent SET detail = %s WHERE seq = 4", ['{"rows": 0}']))

    assert verify_chain() == (3, ChainBreak(4, "内容与其哈希不符：记录被修改"))


def test_an_edit_with_a_recomputed_plain_hash_is_still_found() -> None:
    """Without the HMAC key an attacker cannot make a matching hash; copying another row's
    hash over does not help either."""
    events = record_five()

    tamper(
        (
            "UPDATE audit_auditevent SET event = %s, hash = %s WHERE seq = 2",
            ["test.event1", events[0].hash],
        )
    )

    assert verify_chain() == (1, ChainBreak(2, "内容与其哈希不符：记录被修改"))


def test_a_deleted_middle_row_is_named_by_its_seq() -> None:
    record_five()

    tamper("DELETE FROM audit_auditevent WHERE seq = 3")

    reason = "缺少第 3 条记录（其后为第 4 条）：记录被删除或顺序被改动"
    assert verify_chain() == (2, ChainBreak(3, reason))
    assert verify_audit_failure() == f"审计链校验失败：第 3 条记录 — {reason}（此前 2 条完好）"


def test_a_deleted_and_renumbered_middle_row_is_named_by_its_seq() -> None:
    record_five()

    tamper(
        "DELETE FROM audit_auditevent WHERE seq = 3",
        "UPDATE audit_auditevent SET seq = seq - 1 WHERE seq > 3",
    )

    reason = "与上一条记录的链接不符：记录被删除、插入或重排"
    assert verify_chain() == (2, ChainBreak(3, reason))
    assert verify_audit_failure() == f"审计链校验失败：第 3 条记录 — {reason}（此前 2 条完好）"


def test_two_swapped_rows_are_named_by_the_first_seq() -> None:
    record_five()

    tamper(
        "UPDATE audit_auditevent SET seq = -2 WHERE seq = 2",
        "UPDATE audit_auditevent SET seq = 2 WHERE seq = 3",
        "UPDATE audit_auditevent SET seq = 3 WHERE seq = -2",
    )

    reason = "与上一条记录的链接不符：记录被删除、插入或重排"
    assert verify_chain() == (1, ChainBreak(2, reason))
    assert verify_audit_failure() == f"审计链校验失败：第 2 条记录 — {reason}（此前 1 条完好）"


def test_a_truncated_tail_is_named_by_the_first_missing_seq() -> None:
    record_five()

    tamper("DELETE FROM audit_auditevent WHERE seq > 3")

    reason = "审计链末尾被截断：应有 5 条记录，实有 3 条"
    assert verify_chain() == (3, ChainBreak(4, reason))
    assert verify_audit_failure() == f"审计链校验失败：第 4 条记录 — {reason}（此前 3 条完好）"


def test_a_trail_emptied_entirely_is_reported_as_truncated() -> None:
    record_five()

    tamper("DELETE FROM audit_auditevent")

    assert verify_chain() == (0, ChainBreak(1, "审计链末尾被截断：应有 5 条记录，实有 0 条"))


def test_a_chain_verified_under_another_key_fails_at_the_first_row() -> None:
    record_five()

    with override_settings(XF_AUDIT_KEY="00" * 32):
        assert verify_chain() == (0, ChainBreak(1, "内容与其哈希不符：记录被修改"))


# --- Append-only at the database level -------------------------------------------------------


def test_an_orm_update_of_an_audit_row_raises() -> None:
    record_five()

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(event="test.rewritten")

    assert AuditEvent.objects.get(seq=2).event == "test.event2"
    assert verify_chain() == (5, None)


def test_saving_a_changed_audit_row_raises() -> None:
    event = record_five()[0]
    event.actor_name = "someone_else"

    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()

    assert AuditEvent.objects.get(seq=1).actor_name == "clerk"


def test_a_raw_update_of_an_audit_row_raises() -> None:
    record_five()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET event = 'x'")

    assert verify_chain() == (5, None)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite allows DELETE: Django's test flush empties tables with DELETE; "
    "the chain and the head row reveal a deletion there instead",
)
def test_an_orm_delete_of_an_audit_row_raises_on_postgresql() -> None:
    record_five()

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=5).delete()

    assert verify_chain() == (5, None)


# --- Same transaction as the change ----------------------------------------------------------


def test_a_service_whose_audit_write_fails_leaves_no_change() -> None:
    with override_settings(XF_AUDIT_KEY="zz"), pytest.raises(ImproperlyConfigured):
        create_unit(actor=None, code="RB1", name="回滚测试单位", kind=UnitKind.DEPARTMENT)

    assert (list(Unit.objects.values_list("code", flat=True)), AuditEvent.objects.count()) == (
        [],
        0,
    )
    assert AuditHead.objects.count() == 0


def test_a_service_whose_audit_write_succeeds_keeps_both() -> None:
    unit = create_unit(actor=None, code="OK1", name="正常单位", kind=UnitKind.DEPARTMENT)

    event = AuditEvent.objects.get()
    assert (event.event, event.object_type, event.object_id) == (
        "unit.create",
        "accounts.unit",
        str(unit.pk),
    )


# --- What an event holds ---------------------------------------------------------------------


def test_an_event_stores_actor_roles_event_object_and_outcome() -> None:
    unit = UnitFactory(code="A11", name="市住房和城乡建设局")
    actor = UserFactory(
        username="lead_clerk",
        full_name="登记员",
        unit=unit,
        roles=[Role.HANDLER, Role.CLERK],
        password=None,
    )

    record(
        "unit.rename", actor=actor, target=unit, outcome=Outcome.DENIED, detail={"name": "新名称"}
    )

    event = AuditEvent.objects.get()
    assert (
        event.seq,
        event.actor_id,
        event.actor_name,
        event.actor_roles,
        event.event,
        event.object_type,
        event.object_id,
        event.outcome,
        event.detail,
        event.source_ip,
        event.request_id,
    ) == (
        1,
        actor.pk,
        "lead_clerk",
        "clerk,handler",
        "unit.rename",
        "accounts.unit",
        str(unit.pk),
        "denied",
        {"name": "新名称"},
        None,
        "",
    )


def test_an_event_without_an_actor_is_a_system_event() -> None:
    record("region.load", actor=None, object_type="accounts.region", object_id="all")

    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_name, event.actor_roles) == (None, "", "")


def recording_view(request: HttpRequest) -> HttpResponse:
    record("test.request", actor=None, object_type="test", object_id="1")
    return HttpResponse("ok")


urlpatterns = [path("audit-probe/", recording_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_an_event_recorded_through_the_full_middleware_stack_carries_ip_and_request_id() -> None:
    response = Client(REMOTE_ADDR="198.51.100.23").post(
        "/audit-probe/", headers={"X-Request-ID": "req-20260920-0002"}
    )

    event = AuditEvent.objects.get()
    assert (response.status_code, response["X-Request-ID"]) == (200, "req-20260920-0002")
    assert (event.source_ip, event.request_id) == ("198.51.100.23", "req-20260920-0002")


def test_an_event_recorded_during_a_request_carries_its_ip_and_request_id() -> None:
    request = RequestFactory().post(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_X_REQUEST_ID="req-20260920-0001"
    )

    response = RequestContextMiddleware(recording_view)(request)

    event = AuditEvent.objects.get()
    assert (event.source_ip, event.request_id, response["X-Request-ID"]) == (
        "203.0.113.7",
        "req-20260920-0001",
        "req-20260920-0001",
    )
    assert verify_chain() == (1, None)


@pytest.mark.parametrize(
    "incoming",
    ["", "short", "req\r\nX-Injected: 1", "a" * 65, "req id with spaces", "请求编号12345678"],
)
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(incoming: str) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    request.META["HTTP_X_REQUEST_ID"] = incoming

    response = RequestContextMiddleware(recording_view)(request)

    event = AuditEvent.objects.get()
    assert event.request_id == response["X-Request-ID"]
    assert (len(event.request_id), event.request_id != incoming) == (32, True)


def test_x_forwarded_for_is_ignored_unless_trusted() -> None:
    request = RequestFactory().post(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )

    RequestContextMiddleware(recording_view)(request)

    assert AuditEvent.objects.get().source_ip == "203.0.113.7"


@override_settings(XF_TRUST_X_FORWARDED_FOR=True)
def test_x_forwarded_for_from_a_trusted_proxy_is_recorded() -> None:
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )

    RequestContextMiddleware(recording_view)(request)

    assert AuditEvent.objects.get().source_ip == "198.51.100.9"


@override_settings(XF_TRUST_X_FORWARDED_FOR=True)
def test_a_client_forged_x_forwarded_for_entry_is_not_recorded() -> None:
    # The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the address it saw.
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9"
    )

    RequestContextMiddleware(recording_view)(request)

    assert AuditEvent.objects.get().source_ip == "198.51.100.9"


@override_settings(XF_TRUST_X_FORWARDED_FOR=True)
def test_a_malformed_x_forwarded_for_falls_back_to_the_peer_address() -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="unknown")

    RequestContextMiddleware(recording_view)(request)

    assert (AuditEvent.objects.get().source_ip, verify_chain()) == ("10.0.0.2", (1, None))


def test_an_event_outside_a_request_has_no_ip_or_request_id() -> None:
    RequestContextMiddleware(recording_view)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.7"))

    record("test.background", actor=None)

    event = AuditEvent.objects.get(event="test.background")
    assert (event.source_ip, event.request_id) == (None, "")


@pytest.mark.parametrize("address", ["2001:DB8::1", "2001:db8:0:0:0:0:0:1"])
def test_an_event_from_a_non_canonical_ipv6_address_verifies(address: str) -> None:
    RequestContextMiddleware(recording_view)(RequestFactory().get("/", REMOTE_ADDR=address))

    assert verify_chain() == (1, None)


def test_an_event_from_a_canonical_ipv6_address_verifies() -> None:
    RequestContextMiddleware(recording_view)(RequestFactory().get("/", REMOTE_ADDR="2001:db8::1"))

    assert (AuditEvent.objects.get().source_ip, verify_chain()) == ("2001:db8::1", (1, None))
