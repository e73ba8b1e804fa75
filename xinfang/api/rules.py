"""Who may hold and manage API tokens. Views and services ask these; nobody compares roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinfang.accounts.rules import can_manage_accounts, can_work_cases

if TYPE_CHECKING:
    from xinfang.accounts.models import User


def can_hold_api_token(user: User) -> bool:
    """Only people who work cases; the three administrators (三员) never hold a token."""
    return can_work_cases(user)


def can_manage_tokens_of(actor: User | None, owner: User) -> bool:
    """``None`` is the operator at the server's command line. Otherwise the owner manages
    their own tokens, and whoever manages accounts (系统管理员) manages anyone's."""
    if actor is None:
        return True
    if actor.pk == owner.pk:
        return actor.is_active
    return can_manage_accounts(actor)
