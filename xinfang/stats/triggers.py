"""Database triggers that note every case whose statistics may have changed, whatever wrote it
— a service, a conditional UPDATE, ``bulk_create``, a data migration, the admin — in the same
transaction as the write. Case rows (only when a column the statistics read changes: the
nightly tier sweep notes nothing), contacts and evaluations add the case to
``stats_dirtycase``; the holiday table and the rule sets mark the precomputed counts stale.

SQLite drops a table's triggers when a migration rebuilds the table, so ``ensure_triggers``
runs after every ``migrate`` (``apps.StatsConfig``) and re-creates what is missing; a missing
trigger means writes may have gone unnoted, so the counts are then marked stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

DIRTY = "stats_dirtycase"
STATE = "stats_rollupstate"

#: Columns of ``cases_case`` the facts are derived from (``facts.CASE_FIELDS`` reads them, in
#: this order, after the id).
CASE_COLUMNS = (
    "region_id",
    "content_category_id",
    "handling_unit_id",
    "handling_category",
    "claim_route",
    "channel",
    "received_on",
    "transferred_on",
    "assignment_due_on",
    "accepted_on",
    "status",
    "closed_on",
    "extension_days",
    "rule_set_key",
    "served_on",
    "replied_on",
    "due_on",
    "contact_count",
)
#: The same for ``cases_contact`` (``facts.CONTACT_FIELDS``).
CONTACT_COLUMNS = (
    "case_id",
    "occurred_at",
    "channel",
    "people_count",
    "is_collective",
    "is_repeat",
    "involves_litigation",
    "reception_unit_id",
)
EVALUATION_COLUMNS = ("case_id", "target", "rating", "created_at")


@dataclass(frozen=True)
class Watched:
    table: str
    key: str  # the column naming the case: "id" on cases_case, "case_id" elsewhere
    columns: tuple[str, ...]


WATCHED = (
    Watched("cases_case", "id", CASE_COLUMNS),
    Watched("cases_contact", "case_id", CONTACT_COLUMNS),
    Watched("portal_evaluation", "case_id", EVALUATION_COLUMNS),
)
#: Tables whose change alters every due date the facts hold.
CALENDAR_TABLES = ("cases_calendaroverride", "cases_ruleset")


def _short(table: str) -> str:
    return table.split("_", 1)[1]


def _sqlite_statements() -> dict[str, str]:
    statements = {}
    for watched in WATCHED:
        name, key = _short(watched.table), watched.key
        changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in watched.columns)
        statements[f"stats_{name}_inserted"] = (
            f'CREATE TRIGGER IF NOT EXISTS "stats_{name}_inserted" AFTER INSERT ON '  # noqa: S608 (our names)
            f'"{watched.table}" BEGIN INSERT INTO {DIRTY} (case_id) VALUES (NEW."{key}"); END'
        )
        statements[f"stats_{name}_updated"] = (
            f'CREATE TRIGGER IF NOT EXISTS "stats_{name}_updated" AFTER UPDATE ON '  # noqa: S608 (our names)
            f'"{watched.table}" WHEN {changed} BEGIN '
            f'INSERT INTO {DIRTY} (case_id) VALUES (OLD."{key}"); '
            f'INSERT INTO {DIRTY} (case_id) SELECT NEW."{key}" '
            f'WHERE NEW."{key}" IS NOT OLD."{key}"; '
            "END"
        )
        statements[f"stats_{name}_deleted"] = (
            f'CREATE TRIGGER IF NOT EXISTS "stats_{name}_deleted" AFTER DELETE ON '  # noqa: S608 (our names)
            f'"{watched.table}" BEGIN INSERT INTO {DIRTY} (case_id) VALUES (OLD."{key}"); END'
        )
    for table in CALENDAR_TABLES:
        name = _short(table)
        for event in ("INSERT", "UPDATE", "DELETE"):
            trigger = f"stats_{name}_{event.lower()}"
            statements[trigger] = (
                f'CREATE TRIGGER IF NOT EXISTS "{trigger}" AFTER {event} ON "{table}" '  # noqa: S608 (our names)
                f"BEGIN UPDATE {STATE} SET stale = 1; END"
            )
    return statements


#: PostgreSQL: statement-level triggers with transition tables for inserts and deletes (a bulk
#: load notes its rows in one INSERT … SELECT), row-level ones for updates of the columns read.
_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION stats_note_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO stats_dirtycase (case_id) SELECT %I FROM new_rows', TG_ARGV[0]);
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION stats_note_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO stats_dirtycase (case_id) SELECT %I FROM old_rows', TG_ARGV[0]);
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION stats_note_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before_id bigint := to_jsonb(OLD) ->> TG_ARGV[0];
  after_id bigint := to_jsonb(NEW) ->> TG_ARGV[0];
BEGIN
  INSERT INTO stats_dirtycase (case_id) VALUES (before_id);
  IF after_id IS DISTINCT FROM before_id THEN
    INSERT INTO stats_dirtycase (case_id) VALUES (after_id);
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION stats_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE stats_rollupstate SET stale = TRUE;
  RETURN NULL;
END $$;
"""


def _postgresql_statements() -> dict[str, str]:
    statements = {}
    for watched in WATCHED:
        name, key, table = _short(watched.table), watched.key, watched.table
        columns = ", ".join(f'"{c}"' for c in watched.columns)
        changed = " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in watched.columns)
        statements[f"stats_{name}_inserted"] = (
            f'CREATE TRIGGER "stats_{name}_inserted" AFTER INSERT ON "{table}" '
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION stats_note_inserted('{key}')"
        )
        statements[f"stats_{name}_updated"] = (
            f'CREATE TRIGGER "stats_{name}_updated" AFTER UPDATE OF {columns} ON "{table}" '
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION stats_note_updated('{key}')"
        )
        statements[f"stats_{name}_deleted"] = (
            f'CREATE TRIGGER "stats_{name}_deleted" AFTER DELETE ON "{table}" '
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION stats_note_deleted('{key}')"
        )
    for table in CALENDAR_TABLES:
        name = _short(table)
        statements[f"stats_{name}_changed"] = (
            f'CREATE TRIGGER "stats_{name}_changed" AFTER INSERT OR UPDATE OR DELETE '
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_stale()'
        )
    return statements


def expected(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Trigger name → its CREATE statement, for this database."""
    if connection.vendor == "postgresql":
        return _postgresql_statements()
    return _sqlite_statements()


def existing(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'stats\\_%%'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats\\_%' "
                "ESCAPE '\\'"
            )
        return {row[0] for row in cursor.fetchall()}


def ensure_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the triggers that are missing; returns their names (empty: all were there)."""
    statements = expected(connection)
    missing = sorted(set(statements) - existing(connection))
    if not missing:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTIONS)
        for name in missing:
            cursor.execute(statements[name])
    return missing


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """For the migration's reverse."""
    with connection.cursor() as cursor:
        for name in existing(connection):
            if connection.vendor == "postgresql":
                table = next(
                    t
                    for t in (*(w.table for w in WATCHED), *CALENDAR_TABLES)
                    if name.startswith(f"stats_{_short(t)}_")
                )
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
            else:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        if connection.vendor == "postgresql":
            for function in (
                "stats_note_inserted",
                "stats_note_deleted",
                "stats_note_updated",
                "stats_mark_stale",
            ):
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
