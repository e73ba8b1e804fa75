from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from xinfang.supervision.demo import seed_supervision_demo


class Command(BaseCommand):
    help = (
        "生成督办演示数据：督办单、挂牌督办和领导包案（seed_demo 已自动调用；"
        "已有督办数据时不做任何操作）"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(seed_supervision_demo().summary)
