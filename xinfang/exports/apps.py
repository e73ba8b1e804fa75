from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "xinfang.exports"
    verbose_name = "个人信息导出审批"
