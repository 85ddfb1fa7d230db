"""Set-based writes the ORM does not offer fast enough."""

import json

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
