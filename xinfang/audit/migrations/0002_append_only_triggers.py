"""The audit table refuses UPDATE (both databases) and DELETE (PostgreSQL) at the database level,
so that not even the application's own role can rewrite history (SECURITY.md 14).

SQLite keeps DELETE possible because Django's test flush empties tables with DELETE; there the
hash chain and the head row reveal any deletion instead.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS audit_no_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit_auditevent is append-only');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS audit_no_update;"


def forward(apps, schema_editor):
    sql = PG_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    schema_editor.execute(sql)


def reverse(apps, schema_editor):
    sql = PG_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
