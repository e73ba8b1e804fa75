from django.apps import AppConfig


class OpsConfig(AppConfig):
    """运维: key rotation, backup and restore. No models of its own."""

    name = "xinfang.ops"
    label = "ops"
    verbose_name = "运维"
