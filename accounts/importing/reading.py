"""Reading and validating import files into typed DataFrames, collecting every problem found.

Nothing here writes to the database. Each file becomes a DataFrame whose columns are the model's
database columns (references still hold the external ids they name); each problem becomes a
``Problem`` reported as ``file, row, column: message`` with row = line number in the file.
"""

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from accounts.importing.schema import Column, Table

MAX_VALUE_PREVIEW = 40
_INT_PATTERN = r"^[+-]?\d{1,15}(\.0*)?$"
_INT_LIMIT = 2_147_483_647  # the database's integer columns
_DECIMAL_LIMIT = 1e12  # money and hours have 14 digits, 2 after the point
_DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
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
    frame: pd.DataFrame  # database columns, Arrow-backed; index = file line numbers


def _preview(value: str) -> str:
    value = str(value)
    return value if len(value) <= MAX_VALUE_PREVIEW else value[: MAX_VALUE_PREVIEW - 1] + "…"


def check_text(filename: str, raw: bytes) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes without a byte-order mark, or the reason it is not a UTF-8 CSV file."""
    if not raw[:4096].strip() and not raw.strip():
        return None, [Problem(filename, None, "", "the file is empty")]
    if b"\x00" in raw[:65536]:
        return None, [Problem(filename, None, "", "this is a binary file, not a CSV text file")]
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        if not data.isascii():
            pa.array([data], pa.large_binary()).cast(pa.large_string())  # validates UTF-8, fast
    except pa.ArrowInvalid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return None, [Problem(filename, line, "", "the file is not UTF-8 text (binary content?)")]
    return data, []


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


def _record_lines(text: str) -> list[tuple[int, int]]:
    """(first line, number of values) of every non-blank record, following CSV quoting."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    records = []
    previous_end = reader.line_num
    for row in reader:
        if row:
            records.append((previous_end + 1, len(row)))
        previous_end = reader.line_num
    return records


def _line_numbers(data: bytes, records: int) -> np.ndarray:
    """The file line on which each data record starts (header = line 1)."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if b'"' not in data and lines == records + 1:
        return np.arange(2, records + 2)
    # Quoted values span lines, or blank lines are skipped: follow the csv reader instead.
    return np.array([line for line, _ in _record_lines(data.decode())][:records])


def _read_strings(filename: str, header: list[str], data: bytes) -> tuple[pa.Table | None, list[Problem]]:
    """Every value of the file as a string (the CSV parsing itself is Arrow's, multi-threaded)."""
    ragged = []
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=b'"' in data,
            invalid_row_handler=lambda row: ragged.append(row) or "skip",
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )
    if ragged:
        expected = len(header)
        return None, [
            Problem(filename, line, "", f"expected {expected} values, found {count}")
            for line, count in _record_lines(data.decode()) if count != expected
        ]
    return table, []


def parse_file(table: Table, filename: str, data: bytes) -> tuple[ParsedFile | None, list[Problem]]:
    """Structural checks, then every value parsed and checked; all problems are returned."""
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode().rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first_line]), [])]
    problems = _check_header(table, filename, header)
    if problems:
        return None, problems
    try:
        strings, problems = _read_strings(filename, header, data)
    except pa.ArrowInvalid as exc:
        return None, [Problem(filename, None, "", f"the file cannot be read as CSV ({exc})")]
    if strings is None:
        return None, problems
    if strings.num_rows == 0:
        return None, [Problem(filename, 2, "", "the file has a header but no data rows")]
    lines = _line_numbers(data, strings.num_rows)
    columns: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name not in header:
            continue
        values, column_problems = parse_column(filename, column, strings.column(column.name), lines)
        columns[column.field] = values.to_pandas(types_mapper=pd.ArrowDtype).set_axis(lines)
        problems.extend(column_problems)
    frame = pd.DataFrame(columns, index=lines)
    problems.extend(_duplicate_keys(table, filename, frame))
    return ParsedFile(table, filename, frame), problems


def arrow_column(values: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind a column (copied into Arrow when it is not Arrow-backed)."""
    if isinstance(values.dtype, pd.ArrowDtype):
        return values.array._pa_array
    return pa.chunked_array([pa.array(values.array)])


def _key_codes(frame: pd.DataFrame, fields: list[str]) -> np.ndarray:
    """One integer per row that is equal exactly when the rows' key values are equal."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for field in fields:
        encoded = pc.dictionary_encode(arrow_column(frame[field])).combine_chunks()
        size = len(encoded.dictionary) + 1
        indices = pc.fill_null(encoded.indices, size - 1).to_numpy(zero_copy_only=False)
        codes = codes * size + indices.astype(np.int64)
    return codes


def _duplicate_keys(table: Table, filename: str, frame: pd.DataFrame) -> list[Problem]:
    fields = [table.column(k).field for k in table.key]
    codes = pd.Series(_key_codes(frame, fields), index=frame.index)
    duplicated = codes.duplicated(keep="first")
    if not duplicated.any():
        return []
    first_row = pd.Series(frame.index, index=codes.values).groupby(level=0, sort=False).first()
    label = " + ".join(table.key)
    problems = []
    for line, code in codes[duplicated].items():
        shown = " / ".join(_preview(frame.at[line, f]) for f in fields)
        problems.append(Problem(filename, int(line), table.key[-1],
                                f"duplicate {label} '{shown}' (first on row {first_row[code]})"))
    return problems


class _Cells:
    """One column's trimmed text and line numbers, to turn masks into problems."""

    def __init__(self, filename: str, column: Column, text: pa.ChunkedArray, lines: np.ndarray):
        self.filename, self.column, self.text, self.lines = filename, column, text, lines
        self.problems: list[Problem] = []

    def flag(self, mask: np.ndarray, message: str) -> None:
        """One problem per row where mask is true; message may use {value}."""
        for index in np.flatnonzero(mask):
            value = _preview(self.text[int(index)].as_py())
            self.problems.append(Problem(self.filename, int(self.lines[index]), self.column.name,
                                         message.format(value=value)))


def _mask(array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


_STRICT_CASTS = {"int": pa.int64(), "decimal": pa.float64(), "date": pa.date32()}


def _clean_cast(column: Column, raw: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The column through Arrow's strict cast when every cell is clean (no spaces, empty only
    where allowed, in range of the database type); None when any cell needs a closer look."""
    target = _STRICT_CASTS.get(column.kind)
    if target is None:
        return None
    empty = pc.equal(raw, "")
    if not column.nullable and pc.any(empty).as_py():
        return None
    try:
        values = pc.cast(pc.if_else(empty, None, raw), target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if column.kind == "int" and pc.any(pc.greater(pc.abs(values), _INT_LIMIT)).as_py():
        return None
    if column.kind == "decimal":
        if not pc.all(pc.is_finite(values)).as_py() or pc.any(pc.greater_equal(pc.abs(values), _DECIMAL_LIMIT)).as_py():
            return None
        values = pc.round(values, 2)
    return values


def parse_column(filename: str, column: Column, raw: pa.ChunkedArray, lines: np.ndarray
                 ) -> tuple[pa.ChunkedArray, list[Problem]]:
    """Typed values of one column (null where empty) and the problems of its cells."""
    clean = _clean_cast(column, raw)
    if clean is not None:  # the common case, fast: only the ranges remain to be checked
        cells = _Cells(filename, column, raw, lines)
        _check_range(cells, clean)
        return clean, cells.problems
    text = pc.utf8_trim_whitespace(raw)
    cells = _Cells(filename, column, text, lines)
    empty = _mask(pc.equal(text, ""))
    filled = ~empty
    if not column.nullable:
        cells.flag(empty, "a value is required")
    null_if_empty = pa.array(empty)
    kind = column.kind

    if kind in ("str", "ref", "user_email"):
        if column.max_length:
            cells.flag(filled & _mask(pc.greater(pc.utf8_length(text), column.max_length)),
                       f"'{{value}}' is longer than {column.max_length} characters")
        if kind == "str":
            return pc.replace_substring(text, "\x00", ""), cells.problems
        return pc.if_else(null_if_empty, None, text), cells.problems

    if kind == "choice":
        lowered = pc.utf8_lower(text)
        position = pc.index_in(lowered, value_set=pa.array([c.lower() for c in column.choices]))
        cells.flag(filled & _mask(pc.is_null(position)),
                   f"'{{value}}' is not one of: {', '.join(column.choices)}")
        canonical = pa.array(column.choices).take(pc.fill_null(position, 0))
        return pc.if_else(null_if_empty, "", canonical), cells.problems

    if kind == "bool":
        lowered = pc.utf8_lower(text)
        truthy = pc.is_in(lowered, value_set=pa.array(sorted(_TRUE)))
        known = _mask(truthy) | _mask(pc.is_in(lowered, value_set=pa.array(sorted(_FALSE))))
        cells.flag(filled & ~known, "'{value}' is not True or False")
        return truthy, cells.problems

    if kind == "int":
        well_formed = _mask(pc.match_substring_regex(text, _INT_PATTERN))
        cells.flag(filled & ~well_formed, "'{value}' is not a whole number")
        digits = pc.replace_substring_regex(pc.replace_substring_regex(text, r"\.0*$", ""), r"^\+", "")
        numbers = pc.cast(pc.if_else(pa.array(well_formed), digits, None), pa.int64())
        cells.flag(_mask(pc.greater(pc.abs(numbers), _INT_LIMIT)), "'{value}' is too large")
        numbers = pc.if_else(pc.greater(pc.abs(numbers), _INT_LIMIT), None, numbers)
        _check_range(cells, numbers)
        return numbers, cells.problems

    if kind == "decimal":
        well_formed = _mask(pc.match_substring_regex(text, _DECIMAL_PATTERN))
        cells.flag(filled & ~well_formed, "'{value}' is not a number")
        numbers = pc.cast(pc.if_else(pa.array(well_formed), text, None), pa.float64())
        cells.flag(well_formed & ~_mask(pc.less(pc.abs(numbers), _DECIMAL_LIMIT)), "'{value}' is too large")
        numbers = pc.if_else(pc.less(pc.abs(numbers), _DECIMAL_LIMIT), numbers, None)
        _check_range(cells, numbers)
        return pc.round(numbers, 2), cells.problems

    if kind == "date":
        candidate = pc.if_else(null_if_empty, None, text)
        stamps = pc.strptime(candidate, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2024-02-30 over to March: a date is valid only if it prints back the same.
        exact = _mask(pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), text))
        cells.flag(filled & ~exact, "'{value}' is not a date (YYYY-MM-DD)")
        return pc.cast(pc.if_else(pa.array(exact), stamps, None), pa.date32()), cells.problems

    if kind == "datetime":
        series = pd.Series(pc.if_else(null_if_empty, None, text).to_pandas())
        stamps = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)
        cells.flag(filled & stamps.isna().to_numpy(),
                   "'{value}' is not a date and time (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)")
        return pa.chunked_array([pa.array(stamps, type=pa.timestamp("us", tz="UTC"))]), cells.problems

    raise ValueError(f"unknown column kind {kind!r}")


def _check_range(cells: _Cells, numbers) -> None:
    low, high = cells.column.minimum, cells.column.maximum
    if low is not None and high is not None:
        outside = _mask(pc.or_(pc.less(numbers, low), pc.greater(numbers, high)))
        cells.flag(outside, f"'{{value}}' must be between {low:g} and {high:g}")
    elif low == 0:
        cells.flag(_mask(pc.less(numbers, 0)), "'{value}' must not be negative")
    elif low is not None:
        cells.flag(_mask(pc.less(numbers, low)), f"'{{value}}' must be at least {low:g}")
