from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.cases.categories import (
    DEFAULT_CATEGORY_FILE,
    CategoryFileError,
    import_content_categories,
    read_category_csv,
)


class Command(BaseCommand):
    help = "导入内容分类表（CSV：code,name,parent_code）。不指定文件时导入系统自带的默认分类表。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            default=DEFAULT_CATEGORY_FILE,
            help="内容分类 CSV 文件路径（默认：系统自带的分类表）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            count = import_content_categories(actor=None, rows=read_category_csv(path))
        except CategoryFileError as error:
            raise CommandError(f"内容分类导入失败，未写入任何数据：{error}") from error
        self.stdout.write(self.style.SUCCESS(f"内容分类导入完成：共 {count} 条（来自 {path}）。"))
