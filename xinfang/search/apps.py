from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "xinfang.search"
    label = "search"
    verbose_name = "全文检索"

    def ready(self) -> None:
        from xinfang.search import signals  # noqa: F401  (keeps the index in step with writes)
