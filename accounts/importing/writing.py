"""Bulk writes of validated frames.

The rows are streamed with COPY into a temporary table, then one set-based UPDATE changes the rows
whose values differ and one INSERT ... WHERE NOT EXISTS adds the new ones, in key order (cheap index
maintenance). Re-importing the same rows writes nothing and changed rows are updated in place.
"""

import io
import json
from contextlib import nullcontext
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connection
from django.db.models import Field, Model

from accounts import usage_days
from accounts.importing.reading import arrow_column
from accounts.importing.schema import Table
from accounts.models import UsageRecord
from healthcs.bulk import indexes_set_aside

# From this many rows on, foreign keys are checked once for the whole table rather than row by
# row (PostgreSQL's advice for populating a database): the constraints are dropped and re-added in
# the same transaction, which validates every row with one join. The table is locked for readers
# until the import commits.
BULK_ROWS = 200_000
TEXT_FIELDS = ("CharField", "TextField", "EmailField")
COPY_BLOCK_ROWS = 250_000


@dataclass
class WriteCount:
    inserted: int = 0
    updated: int = 0


def _db_columns(model: type[Model]) -> dict[str, Field]:
    """Database column name -> field, for every concrete column except the primary key and the columns the
    database computes itself (the texts' search vectors)."""
    return {f.column: f for f in model._meta.concrete_fields if not f.primary_key and not f.generated}


def _key_columns(table: Table) -> list[str]:
    return [table.column(name).field for name in table.key]


def _arrow_rows(table: Table, frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table of every insertable column; columns the file did not carry
    get the field's default (they are used on insert only, never in updates)."""
    fields = _db_columns(table.model)
    arrays, names = [], []
    for column, field in fields.items():
        if column in frame.columns:
            array = arrow_column(frame[column])
        else:
            default = field.get_default() if field.has_default() else None
            if default is None and not field.null:
                default = ""
            if isinstance(default, list | dict):  # a JSON column's default goes in as its JSON text
                default = json.dumps(default)
            array = pa.nulls(len(frame)) if default is None else pa.array([default] * len(frame))
        arrays.append(array)
        names.append(column)
    return pa.table(arrays, names=names)


def upsert(table: Table, frame: pd.DataFrame, update_columns: list[str],
           reset_columns: tuple[str, ...] = ()) -> WriteCount:
    """Insert new rows and update changed ones; ``frame`` holds database columns only. Reset columns
    are written with the other changes of a changed row, but never make a row count as changed."""
    if frame.empty:
        return WriteCount()
    rows = _arrow_rows(table, frame)
    compare = [c for c in update_columns if c not in reset_columns]
    return _write(table, rows, update_columns, compare)


def _write(table: Table, rows: pa.Table, update_columns: list[str], compare: list[str]) -> WriteCount:
    q = connection.ops.quote_name
    fields = _db_columns(table.model)
    target = q(table.model._meta.db_table)
    staging = q(f"import_{table.name}")
    columns = rows.column_names
    column_list = ", ".join(q(c) for c in columns)
    keys = _key_columns(table)
    key_match = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in keys)
    text_columns = [q(c) for c in columns if fields[c].get_internal_type() in TEXT_FIELDS]
    # Quoted empty strings stay empty strings; only unquoted empties are NULL.
    force_not_null = f", FORCE_NOT_NULL ({', '.join(text_columns)})" if text_columns else ""
    copy_options = f"({column_list}) FROM STDIN WITH (FORMAT csv{force_not_null})"
    with connection.cursor() as cursor:
        # One import at a time per table: concurrent imports of the same new keys queue here
        # instead of colliding, and readers are never blocked.
        cursor.execute(f"LOCK TABLE {target} IN SHARE ROW EXCLUSIVE MODE")
        if rows.num_rows >= BULK_ROWS and _holds_no_rows(cursor, target):
            return _load_into_empty_table(cursor, table, rows, copy_options)
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
                       f"SELECT {column_list} FROM {target} WITH NO DATA")
        _copy_rows(cursor, f"COPY {staging} {copy_options}", rows)
        cursor.execute(f"ANALYZE {staging}")
        updated = 0
        if update_columns:
            assignments = ", ".join(f"{q(c)} = s.{q(c)}" for c in update_columns)
            changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in compare) or "FALSE"
            cursor.execute(f"UPDATE {target} AS t SET {assignments} FROM {staging} AS s "
                           f"WHERE {key_match} AND ({changed})")
            updated = cursor.rowcount
        order = ", ".join(f"s.{q(k)}" for k in keys)
        insert = (
            f"INSERT INTO {target} ({column_list}) "
            f"SELECT {', '.join(f's.{q(c)}' for c in columns)} FROM {staging} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {key_match})"
            + ("" if _grouped_by_first_key(rows, keys) else f" ORDER BY {order}")
        )
        if rows.num_rows >= BULK_ROWS:
            with indexes_set_aside(cursor, table.model._meta.db_table, foreign_keys_only=True):
                inserted = (_insert_usage_in_bulk(cursor, insert, staging) if table.model is UsageRecord
                            else _inserted(cursor, insert))
        else:
            inserted = _inserted(cursor, insert)
        cursor.execute(f"DROP TABLE {staging}")
    return WriteCount(inserted, updated)


def _copy_rows(cursor, copy_sql: str, rows: pa.Table) -> None:
    """Stream the rows to COPY as CSV, a block at a time: the client writes the next block while the server
    parses the last (Arrow's CSV writer releases the GIL), and no text of the whole table is ever held."""
    with cursor.copy(copy_sql) as copy:
        for batch in rows.to_batches(max_chunksize=COPY_BLOCK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
            copy.write(buffer.getbuffer())


def _holds_no_rows(cursor, target: str) -> bool:
    cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {target})")
    return cursor.fetchone()[0]


def _load_into_empty_table(cursor, table: Table, rows: pa.Table, copy_options: str) -> WriteCount:
    """A big load into a table that holds no rows yet (a new book's first import): nothing can collide or need
    an update, so the rows are copied straight into the table, its indexes and constraints set aside meanwhile
    (healthcs.bulk.indexes_set_aside). Readers of the table wait until the import commits."""
    model = table.model
    target = connection.ops.quote_name(model._meta.db_table)
    usage = model is UsageRecord
    trigger_off = usage_days.insert_trigger_off(cursor) if usage else nullcontext()
    with indexes_set_aside(cursor, model._meta.db_table), trigger_off:
        _copy_rows(cursor, f"COPY {target} {copy_options}", rows)
    if usage:
        # Every row is new: the days of all its subscriptions are built.
        subscriptions = pc.unique(rows.column("subscription_id")).drop_null().to_pylist()
        usage_days.rebuild_subscriptions(cursor, subscriptions, feature_source=target)
    return WriteCount(inserted=rows.num_rows)


def _grouped_by_first_key(rows: pa.Table, keys: list[str]) -> bool:
    """Whether the rows already come in order of the key's first column (a usage file listed
    subscription by subscription): inserted as they are, each index is still filled a neighbourhood
    at a time, and sorting millions of rows on disk first would only cost time."""
    first = rows.column(keys[0])
    if rows.num_rows < 2 or first.null_count:
        return rows.num_rows < 2
    values = first.combine_chunks()
    return bool(pc.all(pc.greater_equal(values.slice(1), values.slice(0, len(values) - 1))).as_py())


def _inserted(cursor, insert: str) -> int:
    cursor.execute(insert)
    return cursor.rowcount


def _insert_usage_in_bulk(cursor, insert: str, staging: str) -> int:
    """A big load of usage rows: its daily totals (accounts.UsageDay) are rebuilt once afterwards,
    instead of row set by row set in the insert trigger. When any row was added, every subscription
    of the file has its days rebuilt (a superset of the days that changed, found without asking the
    insert to hand back millions of rows); a re-import that adds nothing rebuilds nothing."""
    with usage_days.insert_trigger_off(cursor):
        inserted = _inserted(cursor, insert)
    if inserted:
        cursor.execute(f"SELECT array_agg(subscription_id) FROM (SELECT DISTINCT subscription_id FROM {staging}) s")
        usage_days.rebuild_subscriptions(cursor, cursor.fetchone()[0] or [], feature_source=staging)
    return inserted
