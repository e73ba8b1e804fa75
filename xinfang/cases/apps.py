from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "xinfang.cases"
    label = "cases"
    verbose_name = "信访事项"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from xinfang.accounts.models import Region, Unit
        from xinfang.cases import reference
        from xinfang.cases.models import CalendarOverride, ContentCategory, RuleSet
        from xinfang.core.reference import reference_data_changed

        # Every write to the tables registration keeps per process moves the generation on.
        for model in (Region, Unit, ContentCategory, RuleSet, CalendarOverride):
            uid = f"cases.reference.{model._meta.label_lower}"
            post_save.connect(reference.changed, sender=model, dispatch_uid=uid + ".save")
            post_delete.connect(reference.changed, sender=model, dispatch_uid=uid + ".delete")
        reference_data_changed.connect(reference.changed, dispatch_uid="cases.reference.bulk")
