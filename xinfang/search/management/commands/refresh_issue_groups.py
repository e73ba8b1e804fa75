import datetime as dt
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.search import groups
from xinfang.search.termstats import refresh_term_statistics


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期应为 YYYY-MM-DD，实际为 {text!r}。") from None


class Command(BaseCommand):
    help = (
        "同类问题归并：重新统计词频，并为每个顶级单位计算近一年（或指定期间）的同类问题组。"
        "每晚由任务队列自动运行；演示或批量导入后可手动运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until", type=_date, help="期间截止日期（默认今天）")
        parser.add_argument(
            "--stats-only", action="store_true", help="只重新统计词频，不计算问题组"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["stats_only"]:
            sample = refresh_term_statistics()
            self.stdout.write(self.style.SUCCESS(f"词频已统计：抽样 {sample.documents} 件。"))
            return
        try:
            runs = groups.refresh_nightly(options["until"])
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        for run in runs:
            self.stdout.write(
                f"  {run.scope_unit.name}：{run.period_from:%Y-%m-%d} 至 {run.period_to:%Y-%m-%d}，"
                f"事项 {run.cases_seen} 件，问题组 {run.group_count} 个"
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"同类问题归并已完成，用时 {elapsed:.1f} 秒。"))
