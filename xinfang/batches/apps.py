from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "xinfang.batches"
    label = "batches"
    verbose_name = "集中交办"
