import django.db.models.deletion
from django.db import migrations, models

# The index proper, per database. SQLite: a contentless FTS5 table fed with the analyzer's
# tokens (xinfang.search.analyzer), one column per field, rowid = case id; the ascii
# tokenizer only splits on the spaces between our tokens. PostgreSQL: a tsvector column
# written as a literal of the same tokens (no text-search parser or locale in between), with
# a GIN index.
SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title, request, facts, reply,
        content='', tokenize='ascii', detail=full
    )
    """,
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS search_fts"]
PG_FORWARD = [
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX search_document_tsv ON search_searchdocument USING gin (tsv)",
]
PG_REVERSE = [
    "DROP INDEX IF EXISTS search_document_tsv",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, PG_FORWARD if vendor == "postgresql" else SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, PG_REVERSE if vendor == "postgresql" else SQLITE_REVERSE)


class Migration(migrations.Migration):
    initial = True

    dependencies = [("cases", "0004_workflow")]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("body", models.TextField(verbose_name="检索文本")),
                ("analyzer_version", models.PositiveSmallIntegerField(verbose_name="分词版本")),
                ("indexed_at", models.DateTimeField(verbose_name="索引时间")),
            ],
            options={"verbose_name": "检索文档"},
        ),
        migrations.RunPython(forward, reverse, elidable=False),
    ]
