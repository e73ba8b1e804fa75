from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "xinfang.supervision"
    label = "supervision"
    verbose_name = "督办"

    def ready(self) -> None:
        from xinfang.supervision import signals  # noqa: F401  (notifications on case events)
