"""Set-based writes the ORM does not offer fast enough."""

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone


def _json_rows(targets: list, rows: list[tuple]) -> tuple[list[str], str, str]:
    """The quoted column names of the fields `targets` (a column may be named "group"), the record definition that
    types them for jsonb_to_recordset, and the rows as one JSON document (objects keyed by column)."""
    columns = [field.column for field in targets]
    quoted = [connection.ops.quote_name(column) for column in columns]
    record = ", ".join(f"{name} {field.db_type(connection)}" for name, field in zip(quoted, targets, strict=True))
    document = json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str)
    return quoted, record, document


def update_rows(model, fields: list[str], rows: list[tuple]) -> int:
    """Update many rows of `model` in one statement: each row is (primary key, value of each field in `fields`).
    The values travel as one JSON document read by jsonb_to_recordset, typed by the fields' own column types;
    Django's bulk_update builds a CASE chain per field instead, which costs far more to compile and to plan.
    Returns the number of rows updated."""
    if not rows:
        return 0
    quoted, record, document = _json_rows([model._meta.pk] + [model._meta.get_field(name) for name in fields], rows)
    key = quoted[0]
    assignments = ", ".join(f"{name} = v.{name}" for name in quoted[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS "
                       f"v({record}) WHERE t.{key} = v.{key}", [document])
        return cursor.rowcount


def insert_rows(model, fields: list[str], rows: list[tuple], *, returning: tuple[str, ...] = (),
                ignore_conflicts: bool = False) -> list[tuple]:
    """Insert many rows of `model` in one statement, in the order given: each row is the value of each field in
    `fields` (a foreign key's id for a relation); every other column gets its field's default, as bulk_create gives
    it (a field set on creation, the time now; no save() and no signals, as bulk_create). The values travel as
    one JSON document, like update_rows'; bulk_create compiles a placeholder per value instead, which cost seconds
    for ten thousand rows. With `ignore_conflicts`, a row that breaks a unique constraint is left out. Returns the
    `returning` columns of each row inserted."""
    if not rows:
        return []
    given = [model._meta.get_field(name) for name in fields]
    rest = [field for field in model._meta.concrete_fields if not field.primary_key and field not in given]
    now = timezone.now()  # what save() gives a field set on creation or on every save
    defaults = tuple(now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                     else field.get_default() for field in rest)
    quoted, record, document = _json_rows(given + rest, [row + defaults for row in rows])
    names = ", ".join(quoted)
    sql = (f"INSERT INTO {model._meta.db_table} ({names}) SELECT {names} FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) "
           f"AS ({record})) WITH ORDINALITY AS v({names}, n) ORDER BY n")
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(connection.ops.quote_name(model._meta.get_field(name).column)
                                         for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])
        return cursor.fetchall() if returning else []


# Memory for each index built again by indexes_set_aside (this transaction only).
INDEX_BUILD_MEMORY = "512MB"


def _set_aside(cursor, table: str, foreign_keys_only: bool) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, definition) of the table's constraints backed by an index or checked against another table (primary
    and unique keys, exclusions, foreign keys) that no other table's foreign key rests on (check constraints stay:
    they cost little row by row), and of its indexes that belong to no constraint; or its foreign keys alone."""
    kinds = "('f')" if foreign_keys_only else "('p', 'u', 'x')"
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        f"WHERE c.conrelid = %s::regclass AND (c.contype = 'f' OR c.contype IN {kinds} AND NOT EXISTS ("
        "SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.confrelid = c.conrelid "
        "AND r.conindid = c.conindid)) ORDER BY c.contype <> 'p', c.conname",
        [table],
    )
    constraints = list(cursor.fetchall())
    if foreign_keys_only:
        return constraints, []
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid) ORDER BY i.relname",
        [table],
    )
    return constraints, list(cursor.fetchall())


@contextmanager
def indexes_set_aside(cursor, table: str, *, foreign_keys_only: bool = False) -> Iterator[None]:
    """Inside a transaction, for filling a table that holds no rows yet (PostgreSQL's advice for populating a
    database): its indexes and its keys and foreign keys that no other table depends on are dropped, and built
    again from the loaded rows on leaving — one sorted pass per index instead of row-by-row upkeep, each foreign
    key checked by one join. With foreign_keys_only, only the foreign keys (a big load into a table that already
    holds rows, whose indexes are worth keeping). The table is locked against readers until the transaction ends; a
    row that breaks a key fails the rebuild, and with it the transaction."""
    q = connection.ops.quote_name
    # Checks still pending from earlier writes run now: a table with pending checks cannot be altered.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    constraints, indexes = _set_aside(cursor, table, foreign_keys_only)
    for name, _ in reversed(constraints):  # the foreign and unique keys before the primary key
        cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {q(name)}")
    yield
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    for name, definition in constraints:
        cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
    for _, definition in indexes:
        cursor.execute(definition)
