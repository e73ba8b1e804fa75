from django.db import migrations

# PostgreSQL only. ``search_matches`` reads a word's matches through a bitmap of the GIN index.
# With the default work_mem (4 MB) a bitmap of more than ~60,000 heap pages turns lossy: whole
# pages are remembered instead of rows, and every row on them is rechecked against the query,
# TOASTed tsvector and all. At 1M cases, reading the matches of 补偿 for a search filtered by
# status (110,000 matches over 81,000 pages) took 1,040 ms that way and 260-330 ms with an
# exact bitmap (EXPLAIN ANALYZE; docs/performance.md, fourth round). 64 MB holds an
# exact bitmap of a few million pages; it is taken only while the function runs, and only as
# much as the bitmap needs.
FORWARD = "ALTER FUNCTION search_matches(tsquery, bigint, bigint, text[]) SET work_mem = '64MB'"
REVERSE = "ALTER FUNCTION search_matches(tsquery, bigint, bigint, text[]) RESET work_mem"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_pg_search_matches")]

    operations = [migrations.RunPython(forward, reverse, elidable=False)]
