"""Start-up checks: no operational superuser, no well-known default account (SECURITY.md 1)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError
from django.db.models.functions import Lower

DEFAULT_USERNAMES = ("admin", "root", "administrator", "test", "guest")


@register("security", deploy=False)
def no_superuser_or_default_account(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from xinfang.accounts.models import User

    try:
        superusers = list(User.objects.filter(is_superuser=True).values_list("username", flat=True))
        defaults = list(
            User.objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=DEFAULT_USERNAMES, is_active=True)
            .values_list("username", flat=True)
        )
    except DatabaseError:
        return []  # before the first migrate there is nothing to check
    errors: list[CheckMessage] = []
    if superusers:
        errors.append(
            Error(
                f"存在超级用户账号：{', '.join(superusers)}。"
                "本系统不允许超级用户，请使用三员角色。",
                id="xinfang.E001",
            )
        )
    if defaults:
        errors.append(
            Error(f"存在默认账号：{', '.join(defaults)}。请删除或停用。", id="xinfang.E002")
        )
    return errors
