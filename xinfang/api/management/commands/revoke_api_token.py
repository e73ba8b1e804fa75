"""``manage.py revoke_api_token USERNAME PREFIX`` — the prefix is the token's first 8 characters."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xinfang.api.models import ApiToken
from xinfang.api.services import revoke_token


class Command(BaseCommand):
    help = "吊销用户的一个接口令牌（按前缀指定），立即失效。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="令牌持有人的用户名")
        parser.add_argument("prefix", help="令牌前缀（令牌的前 8 个字符，如 xf_Ab3dE）")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        active = ApiToken.objects.select_related("user").filter(
            user__username=username, revoked_at__isnull=True
        )
        matches = list(active.filter(prefix=options["prefix"]))
        if len(matches) != 1:
            known = "、".join(f"{token.prefix}（{token.name}）" for token in active) or "无"
            problem = "没有找到" if not matches else "有多个"
            raise CommandError(
                f"用户 {username} {problem}前缀为 {options['prefix']} 的有效令牌。"
                f"有效令牌：{known}。"
            )
        try:
            token = revoke_token(matches[0], actor=None)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        self.stdout.write(f"已吊销 {username} 的令牌“{token.name}”（{token.prefix}）。")
