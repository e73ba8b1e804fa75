from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinfang.stats import services


class Command(BaseCommand):
    help = (
        "重建统计预汇总（每件事项、每次来访的统计要素和按日汇总）。批量导入、演示数据之后，"
        "或节假日安排、时限规则变更之后运行；也由任务队列自动进行。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("重建统计预汇总……")
        result = services.rebuild_rollup(actor=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"统计预汇总已重建：事项 {result.cases} 件，来访来信来电记录 {result.contacts} 条，"
                f"按日汇总 {result.day_rows} 行，用时 {result.seconds:.1f} 秒。"
            )
        )
