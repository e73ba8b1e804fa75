from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.accounts.services import RegionFileError, load_regions


class Command(BaseCommand):
    help = (
        "导入统计用区划代码（provinces.csv、cities.csv、areas.csv、streets.csv），"
        "可只导入一个下级区域。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="区划代码 CSV 所在目录")
        parser.add_argument("--root", help="只导入该区划代码及其下级，例如 430100")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_regions(actor=None, folder=options["folder"], root=options["root"])
        except RegionFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"区划导入完成：新增 {result.created} 条，更新 {result.updated} 条。")
