import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.search.rebuild import DEFAULT_BATCH, Progress, StaleIndexError, rebuild
from xinfang.search.termstats import refresh_term_statistics


class Command(BaseCommand):
    help = (
        "重建信访事项全文检索索引。默认只补建尚无索引的事项（批量导入、演示数据之后）；"
        "中断后再次运行会从中断处继续。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            dest="every_case",
            help="重新读取每一件事项，只改写内容有变化的索引",
        )
        parser.add_argument(
            "--full", action="store_true", help="先清空索引再全部重建（分词规则升级后使用）"
        )
        parser.add_argument(
            "--batch", type=int, default=DEFAULT_BATCH, help=f"每批件数（默认 {DEFAULT_BATCH}）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch: int = options["batch"]
        if not 1 <= batch <= 100_000:
            raise CommandError(f"--batch 应在 1 到 100000 之间，实际为 {batch}。")
        started = time.perf_counter()

        def report(state: Progress) -> None:
            elapsed = time.perf_counter() - started
            share = f"（{state.done * 100 // state.total}%）" if state.total else ""
            rest = elapsed / state.done * (state.total - state.done) if state.done else 0
            self.stdout.write(
                f"  已处理 {state.done}/{state.total} 件{share}，写入 {state.written} 件，"
                f"用时 {elapsed:.1f} 秒，预计还需 {rest:.0f} 秒"
            )

        if options["full"]:
            self.stdout.write("清空检索索引后全部重建……")
        try:
            result = rebuild(
                full=options["full"],
                every_case=options["every_case"],
                batch=batch,
                progress=report,
            )
        except StaleIndexError as error:
            raise CommandError(str(error)) from None
        # Related cases weigh words by how common they are in the index just built.
        sample = refresh_term_statistics()
        self.stdout.write(f"  词频已统计：抽样 {sample.documents} 件。")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"检索索引已就绪：处理 {result.done} 件，写入 {result.written} 件，"
                f"用时 {elapsed:.1f} 秒。"
            )
        )
