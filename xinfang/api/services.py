"""Issuing, revoking and checking API tokens. Each write is one atomic, audited operation."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from xinfang.accounts.enums import Role
from xinfang.accounts.models import User, UserRole
from xinfang.api.models import ApiToken
from xinfang.api.rules import can_hold_api_token, can_manage_tokens_of
from xinfang.audit.services import record

#: Recognisable in logs, configuration files and secret scanners.
TOKEN_PREFIX = "xf_"  # noqa: S105  (a label, not a secret)
_TOKEN_SHAPE = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")
MAX_TOKEN_DAYS = 3650
#: last_used_at is advisory: writing it on every request would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """SHA-256 is enough here: the secret carries 256 random bits, nothing to brute-force."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(
    *, actor: User | None, user: User, name: str, days: int | None
) -> tuple[ApiToken, str]:
    """签发接口令牌 for ``user``; ``days=None`` never expires. Returns the token and its
    plaintext, which is not stored anywhere and cannot be shown again. Audited."""
    if not can_manage_tokens_of(actor, user):
        raise PermissionDenied("您无权为该用户签发接口令牌。")
    if not user.is_active:
        raise ValidationError("该用户账号已停用，不能签发接口令牌。")
    if not can_hold_api_token(user):
        raise ValidationError(
            "只有承担信访业务角色（登记、承办、审核、督查、领导）的用户可以持有接口令牌；"
            "管理员（三员）账号不能持有。"
        )
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("令牌名称不能为空，且不超过100个字符。")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(f"有效天数应在 1 到 {MAX_TOKEN_DAYS} 之间。")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:8],
        key_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + dt.timedelta(days=days) if days is not None else None,
    )
    record(
        "api_token.issue",
        actor=actor,
        target=token,
        detail={
            "user": user.username,
            "name": name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: User | None) -> ApiToken:
    """吊销: the token stops working at once. Revoking twice is refused. Audited."""
    if not can_manage_tokens_of(actor, token.user):
        raise PermissionDenied("您无权吊销该令牌。")
    now = timezone.now()
    # Conditional UPDATE: of two concurrent revocations exactly one succeeds and is audited.
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        raise ValidationError("该令牌已经吊销。")
    token.revoked_at = now
    record(
        "api_token.revoke",
        actor=actor,
        target=token,
        detail={"user": token.user.username, "name": token.name, "prefix": token.prefix},
    )
    return token


def _roles_of(user: User) -> frozenset[Role]:
    """``user.roles``, read by one plain statement: every API request asks it."""
    table = connection.ops.quote_name(UserRole._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT role FROM {table} WHERE user_id = %s", [user.pk])  # noqa: S608
        return frozenset(Role(role) for (role,) in cursor.fetchall())


def user_for_token(secret: str) -> User | None:
    """The active case worker a presented secret belongs to, or ``None`` for anything else
    (malformed, unknown, revoked, expired, account disabled, no case role any more).
    Marks the token as used, at most once per :data:`LAST_USED_RESOLUTION`."""
    if not _TOKEN_SHAPE.fullmatch(secret):
        return None
    # key_hash is unique: no ORDER BY for first() to build and the database to apply.
    found = ApiToken.objects.select_related("user", "user__unit__region").order_by()
    token = next(iter(found.filter(key_hash=hash_secret(secret))[:1]), None)
    now = timezone.now()
    if token is None:
        return None
    token.user.roles = _roles_of(token.user)
    if not token.is_usable(now) or not can_hold_api_token(token.user):
        return None
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at <= stale:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
    return token.user
