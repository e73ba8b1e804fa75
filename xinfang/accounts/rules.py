"""Named permission predicates. Views and services ask these; nobody compares roles inline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings

from xinfang.accounts.enums import ADMIN_ROLES, CASE_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User

    AnyUser = User | AnonymousUser


def _roles(user: AnyUser) -> frozenset[Role]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return user.roles


def can_work_cases(user: AnyUser) -> bool:
    """Any case role: may open the case list and the cases in their scope."""
    return bool(_roles(user) & CASE_ROLES)


def can_register_cases(user: AnyUser) -> bool:
    return Role.CLERK in _roles(user)


def can_import_ledgers(user: AnyUser) -> bool:
    """台账导入: cases are registered in the importer's name, so only a clerk may."""
    return Role.CLERK in _roles(user)


def can_reveal_personal_data(user: AnyUser) -> bool:
    """Full ID number, phone and address: only the people who must contact the petitioner."""
    return bool(_roles(user) & {Role.CLERK, Role.HANDLER, Role.REVIEWER})


def can_upload_attachments(user: AnyUser) -> bool:
    return bool(_roles(user) & {Role.CLERK, Role.HANDLER})


def can_view_statistics(user: AnyUser) -> bool:
    """统计分析: the dashboard, the tables behind it, their exports and the annual report —
    for leaders and supervisors, each counting only the cases in their scope."""
    return bool(_roles(user) & {Role.LEADER, Role.SUPERVISOR})


def can_read_audit(user: AnyUser) -> bool:
    return Role.AUDIT_ADMIN in _roles(user)


def is_administrator(user: AnyUser) -> bool:
    return bool(_roles(user) & ADMIN_ROLES)


def can_manage_accounts(user: AnyUser) -> bool:
    """系统管理员: units and staff accounts. The other two of the 三员 may not."""
    return Role.SYSTEM_ADMIN in _roles(user)


def can_manage_security(user: AnyUser) -> bool:
    """安全管理员: account locks and second factors; not accounts or roles (系统管理员's)."""
    return Role.SECURITY_ADMIN in _roles(user)


def password_expired(user: User, *, now: dt.datetime) -> bool:
    """The password is older than ``XF_PASSWORD_MAX_AGE_DAYS`` (0: passwords never expire)."""
    days: int = settings.XF_PASSWORD_MAX_AGE_DAYS
    return days > 0 and now - user.password_changed_at > dt.timedelta(days=days)
