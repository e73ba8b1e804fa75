from django.db import migrations

# PostgreSQL only (SQLite: nothing to do). ``search_matches(query, low, high, terms)``: the case
# ids of the documents between ``low`` and ``high`` whose tsvector matches ``query`` and whose
# normalised body holds every one of ``terms`` (xinfang.search.queries).
#
# Why a function: left to itself the planner prices ``tsv @@ query`` as cheap and, for a common
# word or a range of ids, reads the documents one by one (a sequential scan, or the primary key
# over the range) and tests each row's TOASTed tsvector: 350 ms for a word in one document in
# ten at 100k, where the GIN index gives the same rows in a few milliseconds. The settings below
# hold only while the function runs, and leave it bitmap scans alone: the GIN index, ANDed with
# the primary key's range when that is narrower. EXECUTE plans with the actual values, so the
# planner sees how common the words are. No JIT or parallel workers for a query of milliseconds.
PG_FORWARD = [
    """
    CREATE FUNCTION search_matches(query tsquery, low bigint, high bigint, terms text[])
    RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE STRICT
    SET enable_seqscan = off
    SET enable_indexscan = off
    SET jit = off
    SET max_parallel_workers_per_gather = 0
    ROWS 200
    AS $$
    DECLARE
        statement text := 'SELECT case_id FROM search_searchdocument '
            'WHERE tsv @@ $1 AND case_id BETWEEN $2 AND $3';
    BEGIN
        FOR i IN 1 .. coalesce(array_length(terms, 1), 0) LOOP
            statement := statement || ' AND strpos(body, $4[' || i || ']) > 0';
        END LOOP;
        RETURN QUERY EXECUTE statement USING query, low, high, terms;
    END
    $$
    """,
]
PG_REVERSE = ["DROP FUNCTION IF EXISTS search_matches(tsquery, bigint, bigint, text[])"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_related_and_groups")]

    operations = [migrations.RunPython(forward, reverse, elidable=False)]
