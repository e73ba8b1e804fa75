"""``manage.py backup DEST``: database, attachments and a manifest into a new folder."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinfang.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库和附件目录，并写出含行数、校验值和审计链末端的清单。备份不含任何密钥。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("destination", type=Path, help="备份目录（须不存在或为空）")

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        destination: Path = options["destination"]
        try:
            manifest = create_backup(destination, progress=self._progress)
        except BackupError as error:
            raise CommandError(str(error)) from None
        head = manifest["audit_head"] or {"seq": 0}
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{destination}（{len(manifest['files'])} 个文件，"
                f"审计记录 {head['seq']} 条）。请另存一份到异地；密钥不在备份中，须另行保管。"
            )
        )
