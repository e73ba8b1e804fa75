"""``manage.py restore SOURCE [--force]``: load a backup made by ``manage.py backup``."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinfang.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "从备份目录恢复数据库和附件：先核对每个文件的校验值，再写入；"
        "之后核对行数、审计链和附件。目标数据库须为空库，除非加 --force。"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("source", type=Path, help="manage.py backup 写出的备份目录")
        parser.add_argument(
            "--force", action="store_true", help="目标数据库或附件目录不为空时仍然恢复（覆盖）"
        )

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        try:
            report = restore_backup(
                options["source"], force=options["force"], progress=self._progress
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        for note in report.notes:
            self.stderr.write(self.style.WARNING(note))
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成：{report.rows} 行与清单一致，审计链完好（{report.audit_events} 条），"
                f"附件 {report.attachments} 个。备份时间：{report.manifest['created_at']}。"
            )
        )
