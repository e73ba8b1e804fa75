from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinfang.cases import workflow
from xinfang.cases.models import Case


class Command(BaseCommand):
    help = "刷新办理期限预警等级；--recompute 时按当前节假日安排重新计算全部未结事项的期限"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="重新计算期限（节假日安排或时限规则变更后）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["recompute"]:
            changed = workflow.recompute_deadlines(Case.objects.filter(due_on__isnull=False))
            self.stdout.write(f"重新计算期限：{changed} 件有变化")
        swept = workflow.sweep_tiers()
        self.stdout.write(f"预警等级已刷新：{swept} 件有变化")
