from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinfang.audit.queries import verify_chain


class Command(BaseCommand):
    help = "校验审计记录哈希链，指出第一条被篡改的记录。"

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"审计链校验失败：第 {broken.seq} 条记录 — {broken.reason}（此前 {checked} 条完好）"
            )
        self.stdout.write(self.style.SUCCESS(f"审计链完好：共 {checked} 条记录。"))
