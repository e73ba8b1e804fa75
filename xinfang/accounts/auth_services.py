"""Signing in (SECURITY.md 2–6): lockout, the second factor, a person's own password change,
and the 安全管理员's unlock and reset. Every write is audited; no password, code or secret
ever reaches the audit trail.

Lockout counts *attempts*, not failures after the fact: each attempt is counted under a row lock
before the password or code is checked, and handed back if it succeeds. So a burst of parallel
guesses queues on the row and no more than the limit are ever checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.accounts import totp
from xinfang.accounts.enums import ThrottleScope
from xinfang.accounts.models import LoginThrottle, RecoveryCode, TotpDevice, User
from xinfang.accounts.services import end_sessions_of, validate_new_password
from xinfang.audit.enums import Outcome
from xinfang.audit.services import record
from xinfang.core.crypto import blind_index


class LockedOutError(Exception):
    """Too many failed attempts for this account name or source address: refused unchecked."""


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, already counted against its account name and address."""

    account: str
    address: str | None
    failures: dict[ThrottleScope, int]


def account_key(username: str) -> str:
    """The counter's key for a typed name: ``Clerk`` and ``clerk`` are one account."""
    return username.strip().casefold()[:150]


def _limit(scope: ThrottleScope) -> int:
    if scope == ThrottleScope.ACCOUNT:
        return int(settings.XF_LOGIN_MAX_FAILURES)
    return int(settings.XF_LOGIN_MAX_FAILURES_PER_ADDRESS)


def _lock_period() -> dt.timedelta:
    return dt.timedelta(minutes=settings.XF_LOGIN_LOCK_MINUTES)


def _rows_for_update(keys: list[tuple[ThrottleScope, str]]) -> list[LoginThrottle]:
    """The counters for ``keys``, created if new, row-locked, always in the same order (account
    before address) so that two attempts never wait on each other crosswise."""
    LoginThrottle.objects.bulk_create(
        [LoginThrottle(scope=scope, key=key) for scope, key in keys], ignore_conflicts=True
    )
    wanted = Q()
    for scope, key in keys:
        wanted |= Q(scope=scope, key=key)
    return list(LoginThrottle.objects.select_for_update().filter(wanted).order_by("scope", "key"))


def count_attempt(*, account: str, address: str | None) -> Attempt:
    """Count one attempt against ``account`` (a key from :func:`account_key`) and ``address``.
    Raises :class:`LockedOutError`, changing nothing, if either is locked."""
    now = timezone.now()
    keys = [(ThrottleScope.ACCOUNT, account)]
    if address:
        keys.append((ThrottleScope.ADDRESS, address))
    with transaction.atomic():
        rows = _rows_for_update(keys)
        if any(row.locked_until is not None and row.locked_until > now for row in rows):
            raise LockedOutError
        for row in rows:
            # A lock that has run out, or a window that has passed, starts the count afresh.
            if (
                row.locked_until is not None
                or row.window_started_at is None
                or now - row.window_started_at >= _lock_period()
            ):
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= _limit(ThrottleScope(row.scope)):
                row.locked_until = now + _lock_period()
            row.save(update_fields=["failures", "window_started_at", "locked_until"])
    return Attempt(
        account=account,
        address=address,
        failures={ThrottleScope(row.scope): row.failures for row in rows},
    )


def _attempt_failed(attempt: Attempt) -> None:
    """The attempt stays counted; if it was the one that reached a limit, the lock is audited."""
    for scope, failures in attempt.failures.items():
        if failures == _limit(scope):
            key = attempt.account if scope == ThrottleScope.ACCOUNT else attempt.address
            record(
                "auth.lockout",
                actor=None,
                object_type="accounts.user" if scope == ThrottleScope.ACCOUNT else "auth.address",
                object_id=str(key)[:64],
                outcome=Outcome.DENIED,
                detail={"scope": str(scope), "failures": failures},
            )


@transaction.atomic
def _attempt_succeeded(attempt: Attempt, *, signed_in: bool) -> None:
    """Hand the attempt back. Once the person is fully signed in (both factors), the account's
    count starts again from zero; until then earlier failures still count, so a known password
    cannot be used to reset the count between guesses at the second factor."""
    keys = [(ThrottleScope.ACCOUNT, attempt.account)]
    if attempt.address:
        keys.append((ThrottleScope.ADDRESS, attempt.address))
    for row in _rows_for_update(keys):
        scope = ThrottleScope(row.scope)
        if scope == ThrottleScope.ACCOUNT and signed_in:
            row.failures, row.window_started_at = 0, None
        else:
            row.failures = max(row.failures - 1, 0)
        if row.failures < _limit(scope):
            row.locked_until = None
        row.save(update_fields=["failures", "window_started_at", "locked_until"])


def authenticate_password(
    request: HttpRequest | None, *, username: str, password: str, source_ip: str | None
) -> User | None:
    """第一因素: the account for ``username`` and ``password``, or ``None``. Raises
    :class:`LockedOutError` without checking the password while the name or address is locked.
    Failures are audited by the login signals; a locked refusal is audited here."""
    try:
        attempt = count_attempt(account=account_key(username), address=source_ip)
    except LockedOutError:
        record(
            "auth.login_failed",
            actor=None,
            object_type="accounts.user",
            object_id=username[:64],
            outcome=Outcome.DENIED,
            detail={"reason": "locked"},
        )
        raise
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        _attempt_failed(attempt)
        return None
    _attempt_succeeded(attempt, signed_in=False)
    return user


# --- The second factor -------------------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _recovery_hash(user: User, code: str) -> str:
    # Keyed (HMAC-SM3) and bound to the account: a leaked table gives nothing to try elsewhere.
    return blind_index(f"{user.pk}:{code}", purpose="recovery_code")


def _use_totp(user: User, code: str, now: dt.datetime) -> bool:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = totp.matching_step(
        device.secret(), code, timestamp=now.timestamp(), after=device.last_used_step
    )
    if step is None:
        return False
    # Conditional UPDATE: of two requests carrying the same code, only one moves the step on.
    claimed = (
        TotpDevice.objects.filter(pk=device.pk)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
        .update(last_used_step=step)
    )
    return claimed == 1


def _use_recovery_code(user: User, code: str, now: dt.datetime) -> bool:
    normalised = totp.normalise_recovery_code(code)
    if normalised is None:
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(user, normalised), used_at__isnull=True
    ).update(used_at=now)
    return used == 1


def verify_second_factor(user: User, *, code: str, source_ip: str | None) -> bool:
    """第二因素: a current authenticator code (each good once) or an unused recovery code.
    Counted against the same lockout as the password; raises :class:`LockedOutError`."""
    try:
        attempt = count_attempt(account=account_key(user.get_username()), address=source_ip)
    except LockedOutError:
        record(
            "auth.2fa_failed",
            actor=user,
            target=user,
            outcome=Outcome.DENIED,
            detail={"reason": "locked"},
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        if _use_totp(user, code, now):
            record("auth.2fa_verified", actor=user, target=user, detail={"method": "totp"})
        elif _use_recovery_code(user, code, now):
            remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
            record(
                "auth.recovery_code_used", actor=user, target=user, detail={"remaining": remaining}
            )
        else:
            record("auth.2fa_failed", actor=user, target=user, outcome=Outcome.FAILURE)
            _attempt_failed(attempt)
            return False
    _attempt_succeeded(attempt, signed_in=True)
    return True


@transaction.atomic
def begin_totp_enrolment(user: User) -> str:
    """The secret for the enrolment page, kept sealed on an unconfirmed device. Reloading the
    page shows the same secret (it may already be scanned); a confirmed device is never replaced
    here, only by :func:`reset_second_factor`."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None:
        if device.confirmed_at is not None:
            raise ValidationError(_("该账号已绑定身份验证器。"), code="already_enrolled")
        return device.secret()
    secret = totp.new_secret()
    TotpDevice.objects.create(user=user, secret_sealed=TotpDevice.sealed(secret, user_id=user.pk))
    return secret


@transaction.atomic
def confirm_totp_enrolment(user: User, *, code: str) -> list[str]:
    """The person typed a first code from their app: the device is on, and ten recovery codes
    are made. Returns them in clear; this is the only time they exist outside a keyed hash."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise ValidationError(_("绑定已失效，请刷新页面后重新扫描二维码。"), code="no_enrolment")
    now = timezone.now()
    step = totp.matching_step(device.secret(), code, timestamp=now.timestamp(), after=None)
    if step is None:
        raise ValidationError(
            _("验证码不正确。请核对手机上显示的 6 位数字（每 30 秒更新）后重试。"),
            code="wrong_code",
        )
    device.confirmed_at, device.last_used_step = now, step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [
            RecoveryCode(user=user, code_hash=_recovery_hash(user, each.replace("-", "")))
            for each in codes
        ]
    )
    # Enrolment ends a full sign-in (password, then possession of the new device).
    LoginThrottle.objects.filter(
        scope=ThrottleScope.ACCOUNT, key=account_key(user.get_username())
    ).update(failures=0, window_started_at=None, locked_until=None)
    record("auth.2fa_enrol", actor=user, target=user, detail={"recovery_codes": len(codes)})
    return codes


# --- The 安全管理员's actions --------------------------------------------------------------------


@transaction.atomic
def reset_second_factor(user: User, *, actor: User) -> User:
    """Remove the account's authenticator and recovery codes and end its sessions: at the next
    sign-in the person enrols again (a lost or replaced phone)."""
    if user.pk == actor.pk:
        raise ValidationError(_("不能重置自己的双因素认证，请由另一位安全管理员操作。"))
    removed = TotpDevice.objects.filter(user=user).delete()[0]
    if not removed:
        raise ValidationError(_("该账号尚未绑定身份验证器，无需重置。"))
    RecoveryCode.objects.filter(user=user).delete()
    ended = end_sessions_of(user)
    record("auth.2fa_reset", actor=actor, target=user, detail={"sessions_ended": ended})
    return user


@transaction.atomic
def unlock_login(throttle: LoginThrottle, *, actor: User) -> LoginThrottle:
    """Lift a lock before it runs out (the person was identified by other means)."""
    row = LoginThrottle.objects.select_for_update().get(pk=throttle.pk)
    if row.locked_until is None or row.locked_until <= timezone.now():
        raise ValidationError(_("该项已不在锁定状态。"))
    row.failures, row.window_started_at, row.locked_until = 0, None, None
    row.save(update_fields=["failures", "window_started_at", "locked_until"])
    record(
        "auth.unlock",
        actor=actor,
        object_type="accounts.user" if row.scope == ThrottleScope.ACCOUNT else "auth.address",
        object_id=row.key[:64],
        detail={"scope": row.scope},
    )
    return row


# --- A person's own password ---------------------------------------------------------------------


@transaction.atomic
def change_own_password(
    user: User, *, old_password: str, new_password: str, keep_session: str | None
) -> User:
    """The person changes their password (also when it has expired). The new one must pass the
    policy, history included; every other session of the account ends."""
    if not user.check_password(old_password):
        raise ValidationError(_("当前密码不正确。"), code="wrong_password")
    validate_new_password(new_password, user=user)
    user.set_password(new_password)
    user.save(update_fields=["password"])  # the history validator records it and the date
    ended = end_sessions_of(user, keep=keep_session)
    record("user.password_change", actor=user, target=user, detail={"sessions_ended": ended})
    return user
