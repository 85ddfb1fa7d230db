"""Bulk upsert of validated frames: COPY into a temporary table on PostgreSQL, multi-row upserts
elsewhere, and in both cases ``INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE changed`` so that
re-importing the same rows writes nothing and changed rows are updated in place.
"""

import io
from dataclasses import dataclass

import pandas as pd
from django.db import connection
from django.db.models import Model

from accounts.importing.schema import Table

SQLITE_BATCH = 500


@dataclass
class WriteCount:
    inserted: int = 0
    updated: int = 0

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def _db_columns(model: type[Model]) -> dict[str, object]:
    """Database column name -> field, for every concrete column except the primary key."""
    return {f.column: f for f in model._meta.concrete_fields if not f.primary_key}


def _conflict_columns(table: Table) -> list[str]:
    return [table.column(name).field for name in table.key]


def _fill_defaults(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns the file did not carry get the field's default (used on insert only)."""
    frame = frame.copy()
    for column, field in _db_columns(table.model).items():
        if column in frame.columns:
            continue
        default = field.get_default() if field.has_default() else None
        if default is None and not field.null:
            default = ""
        frame[column] = default
    return frame


def _as_db_text(frame: pd.DataFrame, model: type[Model], postgres: bool) -> pd.DataFrame:
    """Values rendered the way the database stores them (None stays None)."""
    out = pd.DataFrame(index=frame.index)
    fields = _db_columns(model)
    for column in frame.columns:
        values = frame[column]
        internal = fields[column].get_internal_type()
        if internal == "DateTimeField":
            stamps = pd.to_datetime(values, utc=True)
            fmt = "%Y-%m-%d %H:%M:%S+00:00" if postgres else "%Y-%m-%d %H:%M:%S"
            out[column] = stamps.dt.strftime(fmt).astype(object).where(stamps.notna(), None)
        elif internal == "DateField":
            dates = pd.to_datetime(values)
            out[column] = dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)
        elif internal == "BooleanField":
            flags = values.astype(bool)
            out[column] = flags.map({True: "t", False: "f"}) if postgres else flags.astype(int)
        elif internal == "DecimalField":
            numbers = pd.to_numeric(values)
            out[column] = numbers.map(lambda v: f"{v:.2f}").astype(object).where(
                numbers.notna(), None
            )
        elif internal in ("PositiveIntegerField", "PositiveSmallIntegerField", "IntegerField",
                          "ForeignKey", "BigIntegerField"):
            numbers = pd.to_numeric(values).astype("Int64")
            out[column] = numbers.astype(object).where(numbers.notna(), None)
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    return out


def upsert(table: Table, frame: pd.DataFrame, update_columns: list[str]) -> WriteCount:
    """Insert new rows and update changed ones; ``frame`` holds database columns only."""
    if frame.empty:
        return WriteCount()
    frame = _fill_defaults(table, frame)
    postgres = connection.vendor == "postgresql"
    rows = _as_db_text(frame, table.model, postgres)
    if postgres:
        return _upsert_postgres(table, rows, update_columns)
    return _upsert_generic(table, rows, update_columns)


def _set_clause(update_columns: list[str], target: str) -> tuple[str, str]:
    q = connection.ops.quote_name
    assignments = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update_columns)
    changed = " OR ".join(f"{target}.{q(c)} IS DISTINCT FROM excluded.{q(c)}"
                          for c in update_columns)
    return assignments, changed


def _upsert_postgres(table: Table, rows: pd.DataFrame, update_columns: list[str]) -> WriteCount:
    q = connection.ops.quote_name
    target = q(table.model._meta.db_table)
    staging = q(f"import_{table.name}")
    columns = list(rows.columns)
    column_list = ", ".join(q(c) for c in columns)
    text_columns = [c for c in columns if _db_columns(table.model)[c].get_internal_type()
                    in ("CharField", "TextField", "EmailField")]
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False, na_rep="")
    force_not_null = f", FORCE_NOT_NULL ({', '.join(q(c) for c in text_columns)})" \
        if text_columns else ""
    conflict = ", ".join(q(c) for c in _conflict_columns(table))
    assignments, changed = _set_clause(update_columns, target)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {target} WITH NO DATA"
        )
        with cursor.copy(
            f"COPY {staging} ({column_list}) FROM STDIN WITH (FORMAT csv{force_not_null})"
        ) as copy:
            copy.write(buffer.getvalue())
        action = f"DO UPDATE SET {assignments} WHERE {changed}" if update_columns else "DO NOTHING"
        cursor.execute(
            f"WITH written AS ("
            f" INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {staging}"
            f" ON CONFLICT ({conflict}) {action}"
            f" RETURNING (xmax = 0) AS inserted)"
            f" SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
            f" FROM written"
        )
        inserted, updated = cursor.fetchone()
        cursor.execute(f"DROP TABLE {staging}")
    return WriteCount(inserted, updated)


def _upsert_generic(table: Table, rows: pd.DataFrame, update_columns: list[str]) -> WriteCount:
    q = connection.ops.quote_name
    target = q(table.model._meta.db_table)
    columns = list(rows.columns)
    column_list = ", ".join(q(c) for c in columns)
    conflict = ", ".join(q(c) for c in _conflict_columns(table))
    assignments, changed = _set_clause(update_columns, target)
    action = f"DO UPDATE SET {assignments} WHERE {changed}" if update_columns else "DO NOTHING"
    placeholders = ", ".join(["%s"] * len(columns))
    records = list(rows.itertuples(index=False, name=None))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {target}")
        before = cursor.fetchone()[0]
        changes = 0
        for start in range(0, len(records), SQLITE_BATCH):
            batch = records[start:start + SQLITE_BATCH]
            values = ", ".join([f"({placeholders})"] * len(batch))
            cursor.execute(
                f"INSERT INTO {target} ({column_list}) VALUES {values} "
                f"ON CONFLICT ({conflict}) {action}",
                [value for record in batch for value in record],
            )
            changes += cursor.rowcount
        cursor.execute(f"SELECT count(*) FROM {target}")
        inserted = cursor.fetchone()[0] - before
    return WriteCount(inserted, changes - inserted)
