"""Reading and validating import files into typed DataFrames, collecting every problem found.

Nothing here writes to the database. Each file becomes a DataFrame whose columns are the model's
database columns (references still hold the external ids they name); each problem becomes a
``Problem`` reported as ``file, row, column: message`` with row = line number in the file.
"""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from accounts.importing.schema import Column, Table

MAX_VALUE_PREVIEW = 40
# One value may hold this much (a long support ticket is a few kilobytes); a larger one is refused by name.
MAX_FIELD_BYTES = 1024 * 1024
_ARROW_BLOCK_BYTES = 4 * 1024 * 1024
PARSE_THREADS = 2  # threads typing a file's columns
_INT_PATTERN = r"^[+-]?\d+(\.0*)?$"  # any length: a value too large is then refused as out of range
_INT_LIMIT = 2_147_483_647  # the database's integer columns
_DECIMAL_LIMIT = 1e12  # money and hours have 14 digits, 2 after the point
_DECIMAL_HIGHEST = "999999999999.99"
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


# Python's csv reader (which numbers the lines of files with quoted values) refuses values over 128 KB by
# default; the size of a value is checked on Arrow's reading instead, where its row and column are known.
csv.field_size_limit(2**31 - 1)

UNCLOSED_QUOTE = ('the quote (") that opens this value is never closed, so the rest of the file would be read as '
                  'this one value; add the closing quote, or write a quote inside a quoted value as two ("")')


class _UnclosedQuote(Exception):
    """A quoted value runs to the end of the file: its record's first line and the value's position."""

    def __init__(self, line: int, position: int):
        super().__init__(line, position)
        self.line, self.position = line, position


def _scan_records(text: str, *, strict: bool) -> list[tuple[int, int]]:
    reader = csv.reader(io.StringIO(text), strict=strict)
    next(reader, None)
    records = []
    previous_end = reader.line_num
    try:
        for row in reader:
            if row:
                records.append((previous_end + 1, len(row)))
            previous_end = reader.line_num
    except csv.Error as error:
        if strict and str(error) == "unexpected end of data":  # end of file inside a quoted value
            rest = "\n".join(text.split("\n")[previous_end:])
            raise _UnclosedQuote(previous_end + 1, len(next(csv.reader(io.StringIO(rest)))) - 1) from error
        raise
    return records


def _record_lines(text: str) -> list[tuple[int, int]]:
    """(first line, number of values) of every non-blank record, following CSV quoting; raises _UnclosedQuote
    when a quoted value is never closed."""
    try:
        return _scan_records(text, strict=True)
    except csv.Error:
        # Strict reading also refuses quirks that Arrow reads well (`"a"b`); number the lines leniently then.
        return _scan_records(text, strict=False)


def _line_numbers(data: bytes, records: int, quoted: list[tuple[int, int]] | None) -> np.ndarray:
    """The file line on which each data record starts (header = line 1); `quoted` are the records of a file
    with quoted values, whose values may span lines."""
    if quoted is not None:
        return np.array([line for line, _ in quoted][:records])
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines == records + 1:
        return np.arange(2, records + 2)
    # Blank lines are skipped: follow the csv reader instead.
    return np.array([line for line, _ in _record_lines(data.decode())][:records])


def _read_arrow(header: list[str], data: bytes, block_size: int, ragged: list) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=block_size),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=b'"' in data,
            invalid_row_handler=lambda row: ragged.append(row) or "skip",
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )


def _read_strings(filename: str, header: list[str], data: bytes, quoted: list[tuple[int, int]] | None
                  ) -> tuple[pa.Table | None, list[Problem]]:
    """Every value of the file as a string (the CSV parsing itself is Arrow's, multi-threaded)."""
    ragged: list = []
    try:
        table = _read_arrow(header, data, _ARROW_BLOCK_BYTES, ragged)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise
        # A record larger than Arrow's block (a value of megabytes): read the file as one block, so that the
        # value can be named with its row and column (see _oversized_values).
        ragged.clear()
        table = _read_arrow(header, data, min(len(data) + 1, 2**31 - 1), ragged)
    if ragged:
        expected = len(header)
        records = quoted if quoted is not None else _record_lines(data.decode())
        return None, [
            Problem(filename, line, "", f"expected {expected} values (one per column of the header), found {count}; "
                    + ("a value that holds a comma must be in double quotes" if count > expected
                       else "every row needs a value, possibly empty, for each column"))
            for line, count in records if count != expected
        ]
    return table, []


def _oversized_values(filename: str, strings: pa.Table, lines: np.ndarray) -> list[Problem]:
    """Values larger than MAX_FIELD_BYTES, by row and column."""
    problems = []
    for name in strings.column_names:
        sizes = pc.binary_length(strings.column(name))
        for index in np.flatnonzero(_mask(pc.greater(sizes, MAX_FIELD_BYTES))):
            problems.append(Problem(
                filename, int(lines[index]), name,
                f"the value is {_megabytes(sizes[int(index)].as_py())} MB long, more than the "
                f"{_megabytes(MAX_FIELD_BYTES)} MB one value may hold; shorten it (long texts belong in the product, "
                "not in an import file)"))
    return problems


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.2f}".rstrip("0").rstrip(".")


def parse_file(table: Table, filename: str, data: bytes) -> tuple[ParsedFile | None, list[Problem]]:
    """Structural checks, then every value parsed and checked; all problems are returned."""
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode().rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first_line]), [])]
    problems = _check_header(table, filename, header)
    if problems:
        return None, problems
    quoted = None
    if b'"' in data:
        try:
            quoted = _record_lines(data.decode())
        except _UnclosedQuote as unclosed:
            column = header[unclosed.position] if unclosed.position < len(header) else ""
            return None, [Problem(filename, unclosed.line, column, UNCLOSED_QUOTE)]
    try:
        strings, problems = _read_strings(filename, header, data, quoted)
    except pa.ArrowInvalid as exc:
        return None, [Problem(filename, None, "", f"the file cannot be read as CSV ({exc})")]
    if strings is None:
        return None, problems
    if strings.num_rows == 0:
        return None, [Problem(filename, 2, "", "the file has a header but no data rows")]
    lines = _line_numbers(data, strings.num_rows, quoted)
    oversized = _oversized_values(filename, strings, lines)
    if oversized:
        return None, oversized
    present = [column for column in table.columns if column.name in header]
    keys = [table.column(k).field for k in table.key]
    # The columns are typed in threads (Arrow's kernels let go of the GIL), the key's columns first, so that the
    # duplicate check, here meanwhile, overlaps the typing of the others.
    with ThreadPoolExecutor(PARSE_THREADS) as pool:
        typed = {column.field: pool.submit(_typed_column, filename, column, strings.column(column.name), lines)
                 for column in sorted(present, key=lambda column: column.field not in keys)}
        duplicates = _duplicate_keys(table, filename, pd.DataFrame({f: typed[f].result()[0] for f in keys},
                                                                   index=lines))
        columns = {column.field: typed[column.field].result() for column in present}
    for _, column_problems in columns.values():
        problems.extend(column_problems)
    frame = pd.DataFrame({field: values for field, (values, _) in columns.items()}, index=lines)
    return ParsedFile(table, filename, frame), problems + duplicates


def _typed_column(filename: str, column: Column, raw: pa.ChunkedArray, lines: np.ndarray
                  ) -> tuple[pd.Series, list[Problem]]:
    values, problems = parse_column(filename, column, raw, lines)
    return values.to_pandas(types_mapper=pd.ArrowDtype).set_axis(lines), problems


def arrow_column(values: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind a column (copied into Arrow when it is not Arrow-backed)."""
    if isinstance(values.dtype, pd.ArrowDtype):
        return values.array._pa_array
    return pa.chunked_array([pa.array(values.array)])


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """One integer per row, equal exactly when the values are (nulls equal to each other), and how many
    integers there can be."""
    encoded = pc.dictionary_encode(arrow_column(values)).combine_chunks()
    size = len(encoded.dictionary) + 1
    return pc.fill_null(encoded.indices, size - 1).to_numpy(zero_copy_only=False).astype(np.int64), size


def _key_codes(frame: pd.DataFrame, fields: list[str]) -> np.ndarray:
    """One integer per row that is equal exactly when the rows' key values are equal."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for field in fields:
        indices, size = _codes(frame[field])
        codes = codes * size + indices
    return codes


def _duplicate_keys(table: Table, filename: str, frame: pd.DataFrame) -> list[Problem]:
    fields = [table.column(k).field for k in table.key]
    # The key's last column is its most varied (a usage file's row ids): when no value repeats there, no key
    # can repeat, and the other columns need no encoding.
    last, size = _codes(frame[fields[-1]])
    if size - 1 + int(frame[fields[-1]].isna().any()) == len(frame):
        return []
    codes = pd.Series(_key_codes(frame, fields[:-1]) * size + last, index=frame.index)
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
        # Compared as floats first: a number of any length fits one (10^400 becomes infinity), not an int64.
        magnitude = pc.abs(pc.cast(pc.if_else(pa.array(well_formed), digits, None), pa.float64()))
        fits = _mask(pc.less_equal(magnitude, _INT_LIMIT))
        low = -_INT_LIMIT - 1 if column.minimum is None else f"{column.minimum:g}"
        high = _INT_LIMIT if column.maximum is None else f"{column.maximum:g}"
        cells.flag(well_formed & ~fits, f"'{{value}}' is out of range: {column.name} must be a whole number "
                                        f"from {low} to {high}")
        numbers = pc.cast(pc.if_else(pa.array(fits), digits, None), pa.int64())
        _check_range(cells, numbers)
        return numbers, cells.problems

    if kind == "decimal":
        well_formed = _mask(pc.match_substring_regex(text, _DECIMAL_PATTERN))
        cells.flag(filled & ~well_formed, "'{value}' is not a number")
        numbers = pc.cast(pc.if_else(pa.array(well_formed), text, None), pa.float64())
        low = f"-{_DECIMAL_HIGHEST}" if column.minimum is None else f"{column.minimum:g}"
        high = _DECIMAL_HIGHEST if column.maximum is None else f"{column.maximum:g}"
        cells.flag(well_formed & ~_mask(pc.less(pc.abs(numbers), _DECIMAL_LIMIT)),
                   f"'{{value}}' is out of range: {column.name} must be a number from {low} to {high}")
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
