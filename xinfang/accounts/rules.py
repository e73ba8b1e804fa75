"""Named permission predicates. Views and services ask these; nobody compares roles inline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings

from xinfang.accounts.enums import ADMIN_ROLES, CASE_ROLES, Role, UnitKind

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


def can_request_personal_export(user: AnyUser) -> bool:
    """申请批量导出个人信息: the roles that may see full personal data, one case at a time."""
    return can_reveal_personal_data(user)


def can_approve_personal_exports(user: AnyUser) -> bool:
    """审批个人信息导出: a leader, for requests from their unit or the units under it."""
    return Role.LEADER in _roles(user)


def can_upload_attachments(user: AnyUser) -> bool:
    return bool(_roles(user) & {Role.CLERK, Role.HANDLER})


def can_record_recusals(user: AnyUser) -> bool:
    """回避: a leader records a declared interest for staff of their unit (or below it);
    anyone working cases declares their own."""
    return Role.LEADER in _roles(user)


def can_view_statistics(user: AnyUser) -> bool:
    """统计分析: the dashboard, the tables behind it, their exports and the annual report —
    for leaders and supervisors, each counting only the cases in their scope."""
    return bool(_roles(user) & {Role.LEADER, Role.SUPERVISOR})


def can_supervise(user: AnyUser) -> bool:
    """督办, 催办, 挂牌督办 and closing a 督办单: 督查员 and leaders, on cases in their scope."""
    return bool(_roles(user) & {Role.SUPERVISOR, Role.LEADER})


def can_instruct(user: AnyUser) -> bool:
    """领导批示 on a case in the leader's scope."""
    return Role.LEADER in _roles(user)


def can_take_cases(user: AnyUser) -> bool:
    """领导包案 (第十八条): a leader takes personal charge of a case; "我的包案"."""
    return Role.LEADER in _roles(user)


def can_answer_supervision(user: AnyUser) -> bool:
    """书面答复督办单: a handler or leader of the unit the order went to (the service checks
    the unit)."""
    return bool(_roles(user) & {Role.HANDLER, Role.LEADER})


def can_view_batches(user: AnyUser) -> bool:
    """集中交办 list and pages: any case role; each sees the batches of their unit's subtree
    (as the office that handed over, or as a receiving unit) and only the cases they may see."""
    return can_work_cases(user)


def can_hand_over_batches(user: AnyUser) -> bool:
    """集中交办 (hand a batch over): a 督查员, or a clerk or handler of a petition office. The
    交办 step still checks every case (``workflow.check_step``)."""
    roles = _roles(user)
    if Role.SUPERVISOR in roles:
        return True
    unit = getattr(user, "unit", None)
    office = unit is not None and unit.kind == UnitKind.PETITION_OFFICE
    return office and bool(roles & {Role.CLERK, Role.HANDLER})


def can_view_issue_groups(user: AnyUser) -> bool:
    """同类问题归并: groups of cases about the same issue, for supervisors and leaders."""
    return bool(_roles(user) & {Role.SUPERVISOR, Role.LEADER})


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
