from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "xinfang.audit"
    label = "audit"
    verbose_name = "审计"
