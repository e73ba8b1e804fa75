"""INSERTs of many model instances through the driver's ``executemany``, ids reserved first.

``bulk_create`` spends most of an import's database time compiling large statements and
preparing every value through its field. Here the statement is built once per table; values
the drivers take as they are (text, numbers, booleans, foreign-key ids) pass through, and only
dates, JSON, UUIDs, bytes and ``auto_now`` columns go through their field, so the rows are the
ones ``bulk_create`` would write. Ids come from the counter ``bulk_create`` would use
(SQLite's AUTOINCREMENT sequence, PostgreSQL's identity sequence). No signals are sent, as
with ``bulk_create``. Used by the demo loader (``xinfang.cases.demo``) and the ledger import
(``xinfang.ledger.registration``). ``insert_row``/``insert_rows``, below, write one
registration's rows with the same preparation, the ids coming back by ``RETURNING``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals

_PREPARED = frozenset({"DateField", "DateTimeField", "UUIDField", "BinaryField", "DecimalField"})


def _plain(value: Any) -> Any:
    """Choices members as their stored value (drivers need not know Django's enums)."""
    return value.value if isinstance(value, Enum) else value


Prepare = Callable[[models.Model, Any], Any]


def _value_of(field: models.Field[Any, Any]) -> Prepare:
    """A column's value of a row, as the driver takes it (the second argument: the database
    connection): what the ORM's INSERT would send."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda row, db: field.get_db_prep_save(field.pre_save(row, True), db)
    kind = field.get_internal_type()
    if kind == "JSONField":  # None may mean JSON null here, so it is prepared too
        return lambda row, db: field.get_db_prep_save(getattr(row, attname), db)
    if kind in _PREPARED:
        return lambda row, db: (
            None if (value := getattr(row, attname)) is None else field.get_db_prep_save(value, db)
        )
    return lambda row, db: _plain(getattr(row, attname))


class RowInserter:
    """The INSERT of one model's rows; make one per model and import (one thread)."""

    def __init__(self, model: type[models.Model]) -> None:
        meta = model._meta
        self.model = model
        self.table = meta.db_table
        self.pk_column = str(meta.pk.column) if meta.pk is not None else "id"
        self.fields = list(meta.concrete_fields)
        self.position = {str(field.attname): index for index, field in enumerate(self.fields)}
        self.pk_position = next(
            index for index, field in enumerate(self.fields) if field.primary_key
        )
        # The thread's own connection, not the proxy: it is asked once per value.
        self.db = connections[DEFAULT_DB_ALIAS]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(field.column)) for field in self.fields)
        values = ", ".join(["%s"] * len(self.fields))
        # Identifiers from the model's own meta, quoted; every value is a parameter.
        self.sql = f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({values})"  # noqa: S608
        self.values = [_value_of(field) for field in self.fields]

    def column(self, attname: str) -> str:
        """The database column of a field."""
        return str(self.fields[self.position[attname]].column)

    def converter(self, attname: str) -> Callable[[Any], Any]:
        """A column's value as the driver takes it, from the value the model would hold."""
        field = self.fields[self.position[attname]]
        db = self.db
        kind = field.get_internal_type()
        if kind == "JSONField":
            return lambda value: field.get_db_prep_save(value, db)
        if kind in _PREPARED:
            return lambda value: None if value is None else field.get_db_prep_save(value, db)
        return _plain

    def _reserve_ids(self, count: int) -> list[int]:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.table, self.pk_column, count],
                )
                return [int(value) for (value,) in cursor.fetchall()]
            # The write transaction holds SQLite's lock, so nobody takes these ids meanwhile;
            # AUTOINCREMENT never reuses an id, hence the sequence as well as the largest id.
            largest = f"SELECT MAX({quote(self.pk_column)}) FROM {quote(self.table)}"  # noqa: S608
            sequence = "SELECT seq FROM sqlite_sequence WHERE name = %s"
            cursor.execute(
                f"SELECT MAX(COALESCE(({sequence}), 0), COALESCE(({largest}), 0))", [self.table]
            )
            (last,) = cursor.fetchone()
            return list(range(int(last) + 1, int(last) + 1 + count))

    def insert(self, rows: Sequence[models.Model]) -> None:
        """Write ``rows`` and set their primary keys. Call inside a transaction."""
        if not rows:
            return
        if connection.vendor not in ("sqlite", "postgresql"):
            self.model._default_manager.bulk_create(rows)
            return
        for row, pk in zip(rows, self._reserve_ids(len(rows)), strict=True):
            row.pk = pk
            row._state.adding, row._state.db = False, self.db.alias
        values, db = self.values, self.db
        with connection.cursor() as cursor:
            cursor.executemany(
                self.sql, [tuple(value(row, db) for value in values) for row in rows]
            )

    def insert_values(
        self, template: models.Model, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[int]:
        """Write rows that are ``template`` but for ``columns`` (attnames), whose values each
        row gives in that order; returns the rows' ids. Call inside a transaction.

        A bulk import builds no model instance per row this way (creating one costs more than
        writing it): the template's values are prepared once (``auto_now`` columns get one
        time for the call, as a batch registered in one go), the given values through the
        same preparation as :meth:`insert`."""
        if not rows:
            return []
        if connection.vendor not in ("sqlite", "postgresql"):
            fixed = {str(f.attname): getattr(template, f.attname) for f in self.fields}
            made = [
                self.model(
                    **{
                        **fixed,
                        str(self.fields[self.pk_position].attname): None,
                        **dict(zip(columns, row, strict=True)),
                    }
                )
                for row in rows
            ]
            self.model._default_manager.bulk_create(made)
            return [int(row.pk) for row in made]
        base = [value(template, self.db) for value in self.values]
        positions = [self.position[name] for name in columns]
        converters = [self.converter(name) for name in columns]
        slots = list(zip(positions, converters, strict=True))
        pk_position = self.pk_position
        ids = self._reserve_ids(len(rows))
        params = []
        for pk, row in zip(ids, rows, strict=True):
            values = base.copy()
            values[pk_position] = pk
            for (position, convert), value in zip(slots, row, strict=True):
                values[position] = convert(value)
            params.append(tuple(values))
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)
        return ids


# --- one registration's rows ------------------------------------------------------------------
# A registration writes a handful of single rows inside the one SQLite write lock. Building
# each INSERT through the ORM's compiler costs more than running it, and every microsecond
# there is a microsecond every other writer waits. The statements below are built once per
# model and database, its values prepared as RowInserter prepares them (``_value_of``), and
# the row's own signals are sent.


def _insert_statement(model: type[models.Model], alias: str) -> tuple[str, list[Prepare], str]:
    """The INSERT … RETURNING of one row without its auto primary key (built once)."""
    key = (model, alias)
    found = _STATEMENTS.get(key)
    if found is None:
        meta, db = model._meta, connections[alias]
        quote = db.ops.quote_name
        fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
        pk_column = quote(str(meta.pk.column)) if meta.pk is not None else '"id"'
        columns = ", ".join(quote(str(field.column)) for field in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        prepare = [_value_of(field) for field in fields]
        found = _STATEMENTS[key] = (sql + "{rows}" + f" RETURNING {pk_column}", prepare, row)
    return found


_STATEMENTS: dict[tuple[type[models.Model], str], tuple[str, list[Prepare], str]] = {}


def _fast_path(model: type[models.Model], alias: str) -> bool:
    """Plain models (no parents, an auto key) on the two databases this works on."""
    meta = model._meta
    return (
        connections[alias].vendor in ("sqlite", "postgresql")
        and not meta.parents
        and meta.auto_field is not None
    )


def insert_rows(rows: Sequence[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """``bulk_create(rows)`` for new rows of one plain model, in one statement: their primary
    keys are set, and, as with ``bulk_create``, no signals are sent."""
    if not rows:
        return
    model = type(rows[0])
    if not _fast_path(model, using):
        model._default_manager.using(using).bulk_create(rows)
        return
    sql, prepare, placeholder = _insert_statement(model, using)
    db = connections[using]
    params: list[Any] = []
    for row in rows:
        # As save() and bulk_create() do: refuse an unsaved related row, take a saved one's id.
        row._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        params.extend(value(row, db) for value in prepare)
    with db.cursor() as cursor:
        # As bulk_create does on these databases: the ids come back in the rows' order.
        cursor.execute(sql.format(rows=", ".join([placeholder] * len(rows))), params)
        ids = [int(pk) for (pk,) in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, using


def insert_row(row: models.Model, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """``row.save(force_insert=True)`` for a new row of a plain model: the same ``pre_save``
    and ``post_save`` signals, the same values, one INSERT … RETURNING built once."""
    model = type(row)
    if not _fast_path(model, using):
        row.save(force_insert=True, using=using)
        return
    signals.pre_save.send(sender=model, instance=row, raw=False, using=using, update_fields=None)
    insert_rows([row], using=using)
    signals.post_save.send(
        sender=model, instance=row, created=True, update_fields=None, raw=False, using=using
    )
