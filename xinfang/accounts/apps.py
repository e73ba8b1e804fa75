from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xinfang.accounts"
    label = "accounts"
    verbose_name = "用户与单位"

    def ready(self) -> None:
        from xinfang.accounts import checks, signals  # noqa: F401  (registers checks, receivers)
