"""Reading and validating import files into typed DataFrames, collecting every problem found.

Nothing here writes to the database. Each file becomes a DataFrame whose columns are the model's
database columns (references still hold the external ids they name); each problem becomes a
``Problem`` reported as ``file, row, column: message`` with row = line number in the file.
"""

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accounts.importing.schema import Column, Table

MAX_VALUE_PREVIEW = 40
_INT_PATTERN = r"^[+-]?\d+(?:\.0*)?$"
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else str(self.row)
        return f"{self.file}, row {row}, {self.column or '-'}: {self.message}"


@dataclass
class ParsedFile:
    """A file that passed the structural checks, with typed values per database column."""

    table: Table
    filename: str
    frame: pd.DataFrame  # database columns; index = file line numbers
    present: tuple[str, ...]  # CSV columns the file carries


def _preview(value: str) -> str:
    value = str(value)
    return value if len(value) <= MAX_VALUE_PREVIEW else value[: MAX_VALUE_PREVIEW - 1] + "…"


def decode(filename: str, raw: bytes) -> tuple[str | None, list[Problem]]:
    """The file's text, or the reason it is not a readable UTF-8 CSV file."""
    if not raw.strip():
        return None, [Problem(filename, None, "", "the file is empty")]
    if b"\x00" in raw[:65536]:
        return None, [Problem(filename, None, "", "this is a binary file, not a CSV text file")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(filename, line, "", "the file is not UTF-8 text (binary content?)")]


def _check_header(table: Table, filename: str, header: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    known = set(table.column_names)
    if len(header) == 1 and header[0] not in known:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delimiter in header[0]:
                return [Problem(filename, 1, "", f"the columns are separated by {name}; "
                                "files must be comma-separated")]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(filename, 1, name, "column appears more than once"))
        seen.add(name)
        if name not in known:
            problems.append(Problem(
                filename, 1, name,
                f"unknown column (expected: {', '.join(table.column_names)})",
            ))
    for name in table.required_names:
        if name not in seen:
            problems.append(Problem(filename, 1, name, "required column is missing"))
    return problems


def _line_numbers(text: str, records: int) -> np.ndarray:
    """The file line on which each data record starts (header = line 1)."""
    if text.count("\n") - (0 if text.endswith("\n") else -1) == records + 1:
        return np.arange(2, records + 2)
    # Quoted values span several lines: follow the csv reader to learn where each record starts.
    reader = csv.reader(io.StringIO(text))
    next(reader)
    starts = []
    previous_end = reader.line_num
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    return np.array(starts[:records])


def parse_file(table: Table, filename: str, text: str) -> tuple[ParsedFile | None, list[Problem]]:
    """Structural checks, then every value parsed and checked; all problems are returned."""
    header_line = next(csv.reader(io.StringIO(text)), [])
    header = [h.strip() for h in header_line]
    problems = _check_header(table, filename, header)
    if problems:
        return None, problems
    try:
        raw = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
            skipinitialspace=False, engine="c",
        )
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            expected, line, saw = match.groups()
            return None, [Problem(filename, int(line), "",
                                  f"expected {expected} values, found {saw}")]
        return None, [Problem(filename, None, "", f"the file cannot be read as CSV ({exc})")]
    raw.columns = header
    if raw.empty:
        return None, [Problem(filename, 2, "", "the file has a header but no data rows")]
    raw.index = _line_numbers(text, len(raw))
    frame = pd.DataFrame(index=raw.index)
    for column in table.columns:
        if column.name not in raw.columns:
            continue
        values, column_problems = parse_column(filename, column, raw[column.name])
        frame[column.field] = values
        problems.extend(column_problems)
    problems.extend(_duplicate_keys(table, filename, raw))
    return ParsedFile(table, filename, frame, tuple(raw.columns)), problems


def _duplicate_keys(table: Table, filename: str, raw: pd.DataFrame) -> list[Problem]:
    keys = raw[list(table.key)]
    duplicated = keys.duplicated(keep="first")
    if not duplicated.any():
        return []
    first_row = keys.reset_index().groupby(list(table.key), sort=False)["index"].first()
    problems = []
    for line, key in zip(keys.index[duplicated], keys[duplicated].itertuples(index=False), strict=True):
        first = first_row.loc[tuple(key) if len(table.key) > 1 else key[0]]
        label = " + ".join(table.key)
        shown = " / ".join(_preview(k) for k in key)
        problems.append(Problem(filename, int(line), table.key[-1],
                                f"duplicate {label} '{shown}' (first on row {first})"))
    return problems


def _bad(filename: str, column: Column, text: pd.Series, mask: pd.Series, message: str) -> list[Problem]:
    """One problem per masked row; message may use {value}."""
    return [
        Problem(filename, int(line), column.name, message.format(value=_preview(value)))
        for line, value in text[mask].items()
    ]


def parse_column(filename: str, column: Column, text: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Typed values of one column (None where empty) and the problems of its cells."""
    text = text.str.strip()
    empty = text == ""
    problems: list[Problem] = []
    if not column.nullable:
        problems += _bad(filename, column, text, empty, "a value is required")
    filled = ~empty
    kind = column.kind

    if kind in ("str", "ref", "user_email"):
        values = text.where(filled, None)
        if column.max_length:
            too_long = filled & (text.str.len() > column.max_length)
            problems += _bad(filename, column, text, too_long,
                             f"'{{value}}' is longer than {column.max_length} characters")
        if kind == "str":
            values = text.str.replace("\x00", "", regex=False)
            if column.nullable:
                values = values.where(filled, "")
        return values, problems

    if kind == "choice":
        lowered = text.str.lower()
        allowed = {c.lower(): c for c in column.choices}
        unknown = filled & ~lowered.isin(list(allowed))
        problems += _bad(filename, column, text, unknown,
                         f"'{{value}}' is not one of: {', '.join(column.choices)}")
        return lowered.map(allowed).where(filled, ""), problems

    if kind == "bool":
        lowered = text.str.lower()
        unknown = filled & ~lowered.isin(_TRUE | _FALSE)
        problems += _bad(filename, column, text, unknown, "'{value}' is not True or False")
        return lowered.isin(_TRUE), problems

    if kind == "int":
        well_formed = text.str.match(_INT_PATTERN)
        problems += _bad(filename, column, text, filled & ~well_formed,
                         "'{value}' is not a whole number")
        numbers = pd.to_numeric(text.where(filled & well_formed), errors="coerce")
        problems += _range_problems(filename, column, text, numbers)
        return numbers.astype("Int64"), problems

    if kind == "decimal":
        numbers = pd.to_numeric(text.where(filled), errors="coerce")
        not_number = filled & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
        problems += _bad(filename, column, text, not_number, "'{value}' is not a number")
        numbers = numbers.where(~not_number)
        problems += _range_problems(filename, column, text, numbers)
        return numbers.round(2), problems

    if kind == "date":
        dates = pd.to_datetime(text.where(filled), format="%Y-%m-%d", errors="coerce")
        problems += _bad(filename, column, text, filled & dates.isna(),
                         "'{value}' is not a date (YYYY-MM-DD)")
        return dates, problems

    if kind == "datetime":
        stamps = pd.to_datetime(text.where(filled), format="ISO8601", errors="coerce", utc=True)
        problems += _bad(filename, column, text, filled & stamps.isna(),
                         "'{value}' is not a date and time (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)")
        return stamps, problems

    raise ValueError(f"unknown column kind {kind!r}")


def _range_problems(filename: str, column: Column, text: pd.Series, numbers: pd.Series) -> list[Problem]:
    problems: list[Problem] = []
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        outside = (numbers < low) | (numbers > high)
        problems += _bad(filename, column, text, outside.fillna(False),
                         f"'{{value}}' must be between {low:g} and {high:g}")
    elif low == 0:
        problems += _bad(filename, column, text, (numbers < 0).fillna(False),
                         "'{value}' must not be negative")
    elif low is not None:
        problems += _bad(filename, column, text, (numbers < low).fillna(False),
                         f"'{{value}}' must be at least {low:g}")
    return problems
