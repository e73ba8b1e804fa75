from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "xinfang.ledger"
    label = "ledger"
    verbose_name = "台账导入"

    def ready(self) -> None:
        from xinfang.ledger.queries import imported_replies
        from xinfang.search.documents import register_text_source

        # Replies that came in with a ledger are searchable as reply text.
        register_text_source(imported_replies)
