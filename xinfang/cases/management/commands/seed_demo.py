import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.batches.demo import seed_demo_batch
from xinfang.cases.demo import DEFAULT_CASES, DEFAULT_SEED, seed_demo
from xinfang.cases.models import Case
from xinfang.supervision.demo import seed_supervision_demo

MAX_CASES = 10_000_000


class Command(BaseCommand):
    help = (
        "生成演示数据：西地省A市的单位、各角色演示账号、内容分类和 N 件信访事项。"
        "相同的 --seed 和 --cases 在同一天生成相同的数据。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases", type=int, default=DEFAULT_CASES, help=f"信访事项件数（默认 {DEFAULT_CASES}）"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有信访事项时不做任何操作",
        )
        parser.add_argument(
            "--no-walk",
            action="store_true",
            help="不生成按办理流程逐步办理到各个状态的演示事项（及其文书）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cases: int = options["cases"]
        if not 0 <= cases <= MAX_CASES:
            raise CommandError(f"--cases 应在 0 到 {MAX_CASES} 之间，实际为 {cases}。")
        if options["if_empty"] and Case.objects.exists():
            self.stdout.write("数据库中已有信访事项，未生成演示数据（--if-empty）。")
            return
        started = time.perf_counter()
        self.stdout.write(f"开始生成演示数据：{cases} 件信访事项，随机种子 {options['seed']}。")

        def progress(done: int, total: int) -> None:
            elapsed = time.perf_counter() - started
            share = f"（{done * 100 // total}%）" if total else ""
            self.stdout.write(f"  已写入 {done}/{total} 件{share}，用时 {elapsed:.1f} 秒")

        result = seed_demo(
            cases=cases, seed=options["seed"], progress=progress, walk=not options["no_walk"]
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据生成完成：信访事项 {result.cases} 件，来访/来信/来电记录 "
                f"{result.contacts} 条，信访人 {result.petitioners} 人；"
                f"基准日期 {result.reference_date:%Y-%m-%d}，共用时 {elapsed:.1f} 秒。"
            )
        )
        if result.walked:
            self.stdout.write(
                f"另按办理流程办理到各个状态的演示事项 {result.walked} 件（含各类文书）。"
            )
        if result.cases:
            self.stdout.write(seed_supervision_demo().summary)  # 督办、挂牌督办、领导包案
            batch = seed_demo_batch()  # 集中交办
            if batch is not None:
                self.stdout.write(f"集中交办演示批次：{batch}。")
        self.stdout.write("运行 python manage.py demo_logins 查看演示账号。")
