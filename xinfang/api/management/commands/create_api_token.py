"""``manage.py create_api_token USERNAME --name NAME [--days N]``

The token goes to stdout alone (``TOKEN=$(…)`` works); the explanation goes to stderr.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinfang.accounts.models import User
from xinfang.api.services import MAX_TOKEN_DAYS, issue_token


class Command(BaseCommand):
    help = "为用户签发接口令牌。令牌只显示这一次，系统中只保存其摘要。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="持有令牌的用户名（须具有信访业务角色）")
        parser.add_argument("--name", required=True, help="令牌名称，如“市长热线对接程序”")
        parser.add_argument(
            "--days", type=int, default=None, help=f"有效天数（1–{MAX_TOKEN_DAYS}），缺省为长期有效"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.select_related("unit").filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在。")
        try:
            token, secret = issue_token(
                actor=None, user=user, name=options["name"], days=options["days"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("；".join(messages)) from None
        until = (
            timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
            if token.expires_at
            else "长期有效"
        )
        self.stderr.write(
            f"已为 {user.username}（{user}）签发令牌“{token.name}”，前缀 {token.prefix}，"
            f"有效期：{until}。\n令牌只显示这一次，请立即妥善保存："
        )
        self.stdout.write(secret)
