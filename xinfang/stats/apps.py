from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "xinfang.stats"
    label = "stats"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from xinfang.stats import checks  # noqa: F401  (registers system checks)
