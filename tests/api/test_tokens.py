from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.conftest import Units
from tests.factories import UserFactory
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.api.models import ApiToken
from xinfang.api.services import issue_token, revoke_token
from xinfang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NO_ADMIN_TOKENS = (
    "只有承担信访业务角色（登记、承办、审核、督查、领导）的用户可以持有接口令牌；"
    "管理员（三员）账号不能持有。"
)


def test_issuing_a_token_returns_the_secret_once_and_stores_only_its_hash(handler: User) -> None:
    moment = dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        token, secret = issue_token(actor=handler, user=handler, name="对接程序", days=30)

    stored = ApiToken.objects.get()
    assert stored == token
    assert secret.startswith("xf_")
    assert len(secret) == 46
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.prefix == secret[:8]
    assert (stored.user, stored.name, stored.created_at) == (handler, "对接程序", moment)
    assert stored.expires_at == moment + dt.timedelta(days=30)
    assert (stored.last_used_at, stored.revoked_at) == (None, None)
    assert secret not in {field.value_to_string(stored) for field in ApiToken._meta.fields}


def test_issuing_a_token_writes_one_audit_event_without_the_secret(handler: User) -> None:
    token, secret = issue_token(actor=None, user=handler, name="对接程序", days=None)

    event = AuditEvent.objects.get()
    assert (event.event, event.object_type, event.object_id) == (
        "api_token.issue",
        "api.apitoken",
        str(token.pk),
    )
    assert event.detail == {
        "user": "handler",
        "name": "对接程序",
        "prefix": token.prefix,
        "expires_at": None,
    }
    assert secret not in str(event.detail)


def test_an_administrator_cannot_be_issued_a_token(auditor: User) -> None:
    with pytest.raises(ValidationError) as refused:
        issue_token(actor=None, user=auditor, name="审计脚本", days=30)

    assert refused.value.messages == [NO_ADMIN_TOKENS]
    assert (ApiToken.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_a_disabled_account_cannot_be_issued_a_token(handler: User) -> None:
    handler.is_active = False
    handler.save()

    with pytest.raises(ValidationError) as refused:
        issue_token(actor=None, user=handler, name="对接程序", days=30)

    assert refused.value.messages == ["该用户账号已停用，不能签发接口令牌。"]


def test_the_system_administrator_may_issue_a_token_for_a_case_worker(
    units: Units, handler: User
) -> None:
    admin = UserFactory(username="sysadmin", unit=units.office, roles=[Role.SYSTEM_ADMIN])

    token, _secret = issue_token(actor=admin, user=handler, name="对接程序", days=30)

    assert AuditEvent.objects.get().actor_name == "sysadmin"
    assert token.user == handler


def test_a_case_worker_cannot_issue_a_token_for_someone_else(handler: User, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        issue_token(actor=handler, user=outsider, name="冒名", days=30)

    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "days"), [("", 30), ("名" * 101, 30), ("对接程序", 0), ("对接程序", 3651)]
)
def test_a_blank_name_or_a_lifetime_out_of_range_is_refused(
    handler: User, name: str, days: int
) -> None:
    with pytest.raises(ValidationError):
        issue_token(actor=None, user=handler, name=name, days=days)

    assert ApiToken.objects.count() == 0


def test_revoking_a_token_is_audited_once_and_a_second_revocation_is_refused(handler: User) -> None:
    token, _secret = issue_token(actor=None, user=handler, name="对接程序", days=30)

    revoke_token(token, actor=handler)
    with pytest.raises(ValidationError) as refused:
        revoke_token(token, actor=handler)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert refused.value.messages == ["该令牌已经吊销。"]
    assert list(AuditEvent.objects.values_list("event", flat=True)) == [
        "api_token.issue",
        "api_token.revoke",
    ]


def test_another_case_worker_cannot_revoke_my_token(handler: User, outsider: User) -> None:
    token, _secret = issue_token(actor=None, user=handler, name="对接程序", days=30)

    with pytest.raises(PermissionDenied):
        revoke_token(token, actor=outsider)

    token.refresh_from_db()
    assert token.revoked_at is None


def test_create_api_token_prints_the_token_alone_on_stdout(handler: User) -> None:
    out, err = StringIO(), StringIO()

    call_command(
        "create_api_token", "handler", "--name", "热线对接", "--days", "90", stdout=out, stderr=err
    )

    secret = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.expires_at is not None
    assert token.expires_at - token.created_at == dt.timedelta(days=90)
    assert "只显示这一次" in err.getvalue()
    assert secret not in err.getvalue()


def test_create_api_token_refuses_an_administrator(auditor: User) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("create_api_token", "auditor", "--name", "审计脚本", stdout=StringIO())

    assert str(refused.value) == NO_ADMIN_TOKENS
    assert ApiToken.objects.count() == 0


def test_create_api_token_refuses_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("create_api_token", "nobody", "--name", "x", stdout=StringIO())

    assert str(refused.value) == "用户 nobody 不存在。"


def test_revoke_api_token_revokes_the_token_with_that_prefix(handler: User) -> None:
    token, _secret = issue_token(actor=None, user=handler, name="热线对接", days=30)
    out = StringIO()

    call_command("revoke_api_token", "handler", token.prefix, stdout=out)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_at <= timezone.now()
    assert out.getvalue().strip() == f"已吊销 handler 的令牌“热线对接”（{token.prefix}）。"


def test_revoke_api_token_names_the_active_tokens_when_the_prefix_is_wrong(handler: User) -> None:
    token, _secret = issue_token(actor=None, user=handler, name="热线对接", days=30)

    with pytest.raises(CommandError) as refused:
        call_command("revoke_api_token", "handler", "xf_nope1", stdout=StringIO())

    assert str(refused.value) == (
        f"用户 handler 没有找到前缀为 xf_nope1 的有效令牌。有效令牌：{token.prefix}（热线对接）。"
    )
