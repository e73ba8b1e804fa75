import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinfang.accounts.models import Unit, User
from xinfang.cases.demo import DEMO_PASSWORD, DEMO_URL, DEMO_USERS


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    padded = (
        cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)
    )
    return "  ".join(padded).rstrip()


class Command(BaseCommand):
    help = "列出各角色的演示账号（用户名、密码、角色、单位）和访问地址。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=DEMO_URL, help="访问地址（默认 %(default)s）")

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(
            User.objects.filter(username__in=[u.username for u in DEMO_USERS]).values_list(
                "username", flat=True
            )
        )
        if not existing:
            self.stdout.write("尚未生成演示账号，请先运行：python manage.py seed_demo")
            return
        units = dict(
            Unit.objects.filter(code__in=[u.unit_code for u in DEMO_USERS]).values_list(
                "code", "name"
            )
        )
        header = ("用户名", "密码", "角色", "单位")
        rows = [
            (u.username, DEMO_PASSWORD, str(u.role.label), units.get(u.unit_code, u.unit_code))
            for u in DEMO_USERS
            if u.username in existing
        ]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        self.stdout.write("演示账号（仅供演示，请勿在生产环境使用）：")
        self.stdout.write(_line(header, widths))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write(_line(row, widths))
        self.stdout.write(f"访问地址：{options['url']}")
        self.stdout.write(f"网上信访（信访人，无需登录）：{options['url']}portal/")
        self.stdout.write(
            "首次登录需用身份验证器（任一 TOTP 应用）扫码绑定，并妥善保存随后显示的恢复码。"
        )
