"""``manage.py rotate_keys [--dry-run] [--batch-size N] [--limit N] [--blind-index]``

Add the new key to ``XF_PI_KEYS`` with a higher id on every process first (new writes then use
it), then run this; keep the old key listed until a ``--dry-run`` reports nothing under it.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinfang.ops.rotation import DEFAULT_BATCH_SIZE, recompute_blind_indexes, rotate_keys


class Command(BaseCommand):
    help = "把所有加密字段重新加密到 XF_PI_KEYS 中编号最大的密钥。分批提交，可随时中断后重跑。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只统计各密钥下的值，不写入")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="每批行数（每批一个事务）"
        )
        parser.add_argument("--limit", type=int, default=None, help="本次最多重新加密约多少个值")
        parser.add_argument(
            "--blind-index",
            action="store_true",
            help="改为按当前 XF_BLIND_INDEX_KEY 重算盲索引（须先停止应用服务）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        limit: int | None = options["limit"]
        if batch_size < 1 or (limit is not None and limit < 1):
            raise CommandError("--batch-size 和 --limit 须为正整数。")
        say = self.stdout.write if options["verbosity"] >= 1 else None
        if options["blind_index"]:
            changed = recompute_blind_indexes(batch_size=batch_size, progress=say)
            self.stdout.write(self.style.SUCCESS(f"盲索引重算完成：更新 {changed} 个值。"))
            return
        report = rotate_keys(
            batch_size=batch_size, limit=limit, dry_run=options["dry_run"], progress=say
        )
        self.stdout.write(f"当前加密密钥编号：{report.target_key}")
        if report.dry_run:
            for (model, column, key_id), count in sorted(report.by_key.items()):
                self.stdout.write(f"  {model}.{column}：密钥 {key_id} 下 {count} 个值")
            self.stdout.write(
                f"试运行：共 {report.under_old_keys()} 个值待重新加密，未写入任何数据。"
            )
            return
        for column, count in sorted(report.rotated.items()):
            self.stdout.write(f"  {column}：重新加密 {count} 个值")
        for problem in report.unreadable:
            self.stderr.write(
                f"无法解密：{problem.model} 第 {problem.pk} 行 {problem.column}（{problem.reason}）"
            )
        self.stdout.write(f"本次重新加密 {report.rotated_total} 个值，共 {report.batches} 批。")
        if report.stopped_at_limit:
            self.stdout.write("已达 --limit 上限，其余的值请再次运行本命令继续。")
        if report.unreadable:
            raise CommandError(
                f"{len(report.unreadable)} 个值无法解密，已跳过且保持原样；"
                "请查明原因后再次运行。在此之前不要从 XF_PI_KEYS 中删除旧密钥。"
            )
        if not report.stopped_at_limit:
            self.stdout.write(
                self.style.SUCCESS(
                    f"轮换完成：所有加密值均已使用密钥 {report.target_key}。"
                    "旧密钥可在确认备份策略后从 XF_PI_KEYS 中移除。"
                )
            )
