from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.enums import RegionLevel, Role, ThrottleScope, UnitKind
from xinfang.core.crypto import seal, unseal


class Region(models.Model):
    """行政区划. Codes are the statistics bureau's (2/4/6/9/12 digits); a code's prefix is its
    ancestors' codes, so a subtree is a prefix match on an indexed column."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """单位: a petition office, a department, a government, a township, a reception point …"""

    code = models.CharField(_("单位代码"), max_length=20, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Materialised path "/1/7/12/": a unit's subtree is one indexed prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    # Bumped by every edit through the services: a stale form is refused (SECURITY.md 24).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["path"]
        verbose_name = _("单位")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, related_name="users")
    # Stamped by PasswordHistoryValidator.password_changed whenever a password is set.
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    # Bumped by every administrator's edit (unit, roles, enabled): a stale form is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(value) for value in self.role_grants.values_list("role", flat=True))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class PasswordHistory(models.Model):
    """密码历史: the hashes of an account's recent passwords, so none of them is reused."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)  # the hash, in User.password's format
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("密码历史")

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d}"


class LoginThrottle(models.Model):
    """失败登录计数 for one account name or one source address (账户锁定, SECURITY.md 3).

    Account rows are keyed by the name typed, whether or not such an account exists, so that a
    lock reveals nothing about which names are real. Each attempt is counted *before* the
    password is checked, under a row lock, so a burst of parallel attempts cannot exceed it."""

    scope = models.CharField(_("对象"), max_length=10, choices=ThrottleScope.choices)
    key = models.CharField(_("用户名或地址"), max_length=150)
    failures = models.PositiveIntegerField(_("失败次数"), default=0)
    window_started_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="unique_login_throttle")
        ]
        verbose_name = _("登录失败计数")

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class TotpDevice(models.Model):
    """双因素认证: one account's authenticator (TOTP, RFC 6238). The shared secret is sealed
    with SM4-GCM, bound to this table, column and account. Unconfirmed until the person typed a
    first code; ``last_used_step`` makes each code good once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(_("启用时间"), null=True)
    last_used_step = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("双因素认证设备")

    def __str__(self) -> str:
        return f"totp:{self.user_id}"

    @staticmethod
    def aad(user_id: int) -> str:
        return f"accounts_totpdevice.secret.{user_id}"

    @classmethod
    def sealed(cls, secret: str, *, user_id: int) -> bytes:
        return seal(secret, aad=cls.aad(user_id))

    def secret(self) -> str:
        return unseal(bytes(self.secret_sealed), aad=self.aad(self.user_id))


class RecoveryCode(models.Model):
    """恢复码: stands in for the authenticator once. Stored as a keyed hash (HMAC-SM3), never
    in clear; shown once, at enrolment."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    used_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("恢复码")

    def __str__(self) -> str:
        return f"recovery:{self.user_id}"


class UserSession(AbstractBaseSession):
    """A server-side session with the signed-in account beside it (see accounts.sessions).
    A plain indexed id, not a foreign key: a session row must never block deleting a user."""

    user_id = models.BigIntegerField(null=True, db_index=True)

    class Meta:
        verbose_name = _("登录会话")

    @classmethod
    def get_session_store_class(cls) -> Any:
        from xinfang.accounts.sessions import SessionStore

        return SessionStore
