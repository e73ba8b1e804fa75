from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinfang.supervision import triggers
from xinfang.supervision.enums import Trigger


class Command(BaseCommand):
    help = (
        "督办夜间任务：刷新期限预警、发送临期/超期通知、按规则发起督办单"
        "（与任务队列的夜间任务相同，供 cron 使用）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只列出各规则今天将会督办的事项，不写入任何数据",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            for trigger in triggers.RULES:
                found = triggers.candidates(trigger)
                numbers = "、".join(c.case.number for c in found[:20])
                more = " …" if len(found) > 20 else ""
                self.stdout.write(f"{Trigger(trigger).label}：{len(found)} 件 {numbers}{more}")
            return
        result = triggers.nightly()
        self.stdout.write(f"预警等级已刷新：{result.pop('tiers')} 件有变化")
        self.stdout.write(f"临期、超期通知：{result.pop('due_notices')} 条")
        for key, count in result.items():
            label = Trigger(key.removeprefix("orders_")).label
            self.stdout.write(f"按规则督办（{label}）：{count} 件")
