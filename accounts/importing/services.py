"""Import of customer data: validate every file completely, then write all of them in one
transaction, or nothing at all when any problem was found."""

import io
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.importing.reading import ParsedFile, Problem, arrow_column, check_text, parse_file
from accounts.importing.schema import TABLES, TABLES_BY_NAME, Table, table_for_filename
from accounts.importing.writing import upsert
from accounts.models import Account, AnalysedText, User, WebhookEvent
from accounts.webhooks.emit import account_churned_emit, webhooks_listening

Progress = Callable[[str, int, int], None]


@dataclass
class TableResult:
    table: str
    filename: str
    rows: int
    inserted: int = 0
    updated: int = 0
    seconds: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    tables: list[TableResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            t.table: {"rows": t.rows, "inserted": t.inserted, "updated": t.updated,
                      "unchanged": t.unchanged}
            for t in self.tables
        }


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def read_directory(directory: Path) -> dict[str, bytes]:
    """Every ``*.csv`` file of a directory (other files, such as a README, are ignored)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())
            if p.is_file() and p.suffix.lower() == ".csv"}


MB = 1024 * 1024
_ZIP_CHUNK = MB
# Members smaller than this cannot hurt however well they compress; their ratio is not checked, so a tiny
# file of repeated values (a header and a few rows) is never mistaken for a bomb.
_RATIO_CHECKED_FROM = MB


@dataclass(frozen=True)
class ZipLimits:
    """How far a zip may expand: all its CSV members together, and each member against its compressed size."""

    max_total: int  # bytes
    max_ratio: float

    @classmethod
    def from_settings(cls) -> "ZipLimits":
        return cls(max_total=settings.IMPORT_ZIP_MAX_UNCOMPRESSED_MB * MB, max_ratio=settings.IMPORT_ZIP_MAX_RATIO)


class _MemberTooLarge(Exception):
    """A member yields more bytes than its header declared."""


def _mb(size: int) -> str:
    return f"{size / MB:.2f}".rstrip("0").rstrip(".")


def _csv_members(name: str, archive: zipfile.ZipFile) -> tuple[list[zipfile.ZipInfo], list[Problem]]:
    """The archive's CSV members (folders flattened; macOS and hidden files skipped) and what else it holds."""
    members: list[zipfile.ZipInfo] = []
    seen: set[str] = set()
    problems: list[Problem] = []
    for info in archive.infolist():
        base = Path(info.filename).name
        if info.is_dir() or base.startswith(".") or "__MACOSX" in info.filename:
            continue
        if not base.lower().endswith(".csv"):
            problems.append(Problem(f"{name}/{info.filename}", None, "",
                                    "only .csv files are accepted inside the zip"))
        elif base in seen:
            problems.append(Problem(f"{name}/{info.filename}", None, "", "the zip holds two files with this name"))
        else:
            seen.add(base)
            members.append(info)
    return members, problems


def _declared_size_problems(name: str, members: list[zipfile.ZipInfo], limits: ZipLimits) -> list[Problem]:
    """What the headers announce, checked before a single byte is expanded."""
    problems: list[Problem] = []
    total = sum(info.file_size for info in members)
    if total > limits.max_total:
        problems.append(Problem(name, None, "", f"the zip expands to {_mb(total)} MB, more than the "
                                f"{_mb(limits.max_total)} MB limit; split the files into several smaller zips (an "
                                "administrator can raise IMPORT_ZIP_MAX_UNCOMPRESSED_MB)"))
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_CHECKED_FROM and ratio > limits.max_ratio:
            problems.append(Problem(
                f"{name}/{info.filename}", None, "",
                f"expands {int(ratio)} times (from {_mb(info.compress_size)} MB to {_mb(info.file_size)} MB), "
                f"more than the {limits.max_ratio:g} times that CSV text can; this looks like a zip bomb: zip the "
                "CSV files again with ordinary compression, or upload them unzipped"))
    return problems


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, read in chunks; stops as soon as it yields more than its header declared (headers
    can lie: the real size is counted, never trusted). The declared sizes together are within the cap, so
    this never holds more than the cap and one chunk."""
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(min(_ZIP_CHUNK, info.file_size - size + 1)):
            size += len(chunk)
            if size > info.file_size:
                raise _MemberTooLarge
            chunks.append(chunk)
    return b"".join(chunks)


# What zipfile raises on a damaged, truncated, encrypted or exotic member.
_UNREADABLE_MEMBER = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def read_zip(name: str, source: str | Path | BinaryIO | bytes, limits: ZipLimits | None = None
             ) -> tuple[dict[str, bytes], list[Problem]]:
    """The CSV members of a zip archive (a path, an open file or its bytes; folders inside it are flattened),
    or every reason to refuse it. The sizes its headers declare are checked against the limits before
    anything is expanded, and the real sizes while reading, so a zip bomb costs neither memory nor time."""
    limits = limits or ZipLimits.from_settings()
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, EOFError):
        return {}, [Problem(name, None, "", "this is not a valid zip archive")]
    with archive:
        members, problems = _csv_members(name, archive)
        problems += _declared_size_problems(name, members, limits)
        if problems:
            return {}, problems
        files: dict[str, bytes] = {}
        for info in members:
            where = f"{name}/{info.filename}"
            try:
                files[Path(info.filename).name] = _read_member(archive, info)
            except _MemberTooLarge:
                return {}, [Problem(where, None, "", "holds more data than its header declares: the archive is "
                                    "damaged or crafted; zip the CSV files again")]
            except _UNREADABLE_MEMBER as error:
                return {}, [Problem(where, None, "", f"cannot be read from the zip ({error}): the archive is "
                                    "damaged; zip the CSV files again")]
    return files, []


def file_name_problems(files: dict[str, bytes]) -> list[Problem]:
    """Names that are no table's, and a second file of a table already given: checked before anything is read."""
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for filename in files:
        table = table_for_filename(filename)
        if table is None:
            known = ", ".join(t.filename for t in TABLES)
            problems.append(Problem(filename, None, "", f"unknown file name (expected one of: {known})"))
        elif table.name in claimed:
            problems.append(Problem(filename, None, "", f"holds the same table as {claimed[table.name]}"))
        else:
            claimed[table.name] = filename
    return problems


def upload_files(uploads: list[UploadedFile]) -> tuple[dict[str, bytes], list[Problem]]:
    """The files of an upload the form accepted (accounts.forms.ImportUploadForm: CSV files, or one zip) with
    their names checked, for the import page and the API alike: the zip's CSV members or the files themselves,
    or every problem found."""
    if len(uploads) == 1 and uploads[0].name.lower().endswith(".zip"):
        # The upload itself (on disk past 10 MB), not its bytes: read_zip checks the sizes first.
        files, problems = read_zip(uploads[0].name, uploads[0])
    else:
        files, problems = {Path(u.name).name: u.read() for u in uploads}, []
    problems = problems or file_name_problems(files)
    return ({}, problems) if problems else (files, [])


def validate_files(files: dict[str, bytes], progress: Progress = _no_progress
                   ) -> tuple[dict[str, ParsedFile], list[Problem]]:
    """Parse and check every file, then the references between them and to the database."""
    problems: list[Problem] = []
    parsed: dict[str, ParsedFile] = {}
    if not files:
        return {}, [Problem("(upload)", None, "", "no CSV files were given")]
    problems += file_name_problems(files)
    claimed: set[str] = set()
    for index, (filename, raw) in enumerate(files.items()):
        progress("Checking files", index, len(files))
        table = table_for_filename(filename)
        if table is None or table.name in claimed:
            continue
        claimed.add(table.name)
        data, text_problems = check_text(filename, raw)
        problems += text_problems
        if data is None:
            continue
        result, file_problems = parse_file(table, filename, data)
        problems += file_problems
        if result is not None:
            parsed[table.name] = result
    problems += _reference_problems(parsed)
    return parsed, problems


def _existing_keys(table: Table, keys: Iterable[str]) -> set[str]:
    wanted = list({k for k in keys if k})
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start:start + 5000]
        found.update(table.model.objects.filter(external_id__in=chunk)
                     .values_list("external_id", flat=True))
    return found


def _reference_problems(parsed: dict[str, ParsedFile]) -> list[Problem]:
    """References to rows that neither the import nor the database holds (orphans)."""
    problems: list[Problem] = []
    for pf in parsed.values():
        for column in pf.table.columns:
            if column.field not in pf.frame.columns or column.kind not in ("ref", "user_email"):
                continue
            values = pf.frame[column.field]  # empty cells are null for these kinds
            named = set(pc.unique(arrow_column(values).drop_null()).to_pylist())
            if column.kind == "ref":
                target = TABLES_BY_NAME[column.ref]
                known = set(parsed[column.ref].frame["external_id"]) if column.ref in parsed else set()
                missing = named - known
                missing -= _existing_keys(target, missing)
                source = parsed[column.ref].filename if column.ref in parsed else target.filename
                message = f"unknown {column.name} '{{value}}' (not in {source} nor already imported)"
            else:
                lowered = {e.lower() for e in named}
                known = set(User.objects.annotate(e=Lower("email")).filter(e__in=lowered)
                            .values_list("e", flat=True))
                missing = {e for e in named if e.lower() not in known}
                message = "no HealthCS user has the e-mail '{value}'"
            if missing:
                bad = values[values.isin(list(missing)).fillna(False).astype(bool)]
                problems += [Problem(pf.filename, int(line), column.name, message.format(value=value))
                             for line, value in bad.items()]
    return problems


def _to_primary_keys(values: pd.Series, mapping: dict[str, int]) -> pd.Series:
    """External ids (or e-mails) replaced by primary keys, set-based; null where unmapped."""
    names = pa.array(list(mapping), pa.string())
    keys = pa.array(list(mapping.values()), pa.int64())
    positions = pc.index_in(arrow_column(values), value_set=names)
    return pd.Series(pd.arrays.ArrowExtensionArray(keys.take(positions)), index=values.index)


def _key_map(table: Table, keys: pd.Series) -> dict[str, int]:
    wanted = [k for k in pc.unique(arrow_column(keys).drop_null()).to_pylist() if k]
    mapping: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        mapping.update(table.model.objects.filter(external_id__in=wanted[start:start + 5000])
                       .values_list("external_id", "pk"))
    return mapping


def _resolve_references(pf: ParsedFile) -> pd.DataFrame:
    """The frame with external ids of references replaced by primary keys."""
    frame = pf.frame.copy()
    for column in pf.table.columns:
        if column.field not in frame.columns:
            continue
        if column.kind == "ref":
            mapping = _key_map(TABLES_BY_NAME[column.ref], frame[column.field])
            frame[column.field] = _to_primary_keys(frame[column.field], mapping)
        elif column.kind == "user_email":
            emails = frame[column.field].str.lower()
            mapping = dict(User.objects.annotate(e=Lower("email"))
                           .filter(e__in=set(emails.dropna())).values_list("e", "pk"))
            frame[column.field] = _to_primary_keys(emails, mapping)
    return frame


def _texts_waiting(table: Table, frame: pd.DataFrame) -> dict[str, object] | None:
    """The column to add to a table of customer texts (see accounts.models.AnalysedText): every text the file
    carries waits to be read by scoring.texts.service — by the workers once the import commits or, at the
    latest, by the next recompute. An unchanged row keeps its reading (the column changes a row only together
    with a real change). None for tables without texts or files without text columns."""
    if not issubclass(table.model, AnalysedText):
        return None
    present = [f for f in table.model.TEXT_FIELDS if f in frame.columns]
    return {"analysis_version": ""} if present else None


def write_files(parsed: dict[str, ParsedFile], progress: Progress = _no_progress) -> list[TableResult]:
    """Upsert every parsed table in dependency order, inside the caller's transaction; customer texts
    are marked to be read (see _texts_waiting)."""
    results: list[TableResult] = []
    ordered = [t for t in TABLES if t.name in parsed]
    for index, table in enumerate(ordered):
        pf = parsed[table.name]
        progress(f"Writing {table.filename}", index, len(ordered))
        started = time.perf_counter()
        frame = _resolve_references(pf)
        waiting = _texts_waiting(table, pf.frame)
        if waiting:
            frame = frame.assign(**waiting)
        keys = {table.column(k).field for k in table.key}
        update_columns = [c for c in frame.columns if c not in keys]
        # A changed text waits for the reader again; an unchanged one keeps its reading.
        count = upsert(table, frame, update_columns, reset_columns=("analysis_version",))
        results.append(TableResult(table.name, pf.filename, len(frame), count.inserted,
                                   count.updated, time.perf_counter() - started))
    return results


def accounts_churning(parsed: dict[str, ParsedFile]) -> list[tuple[str, str]]:
    """(external id, name) of the stored accounts, not churned yet, that the import marks churned, for the webhooks'
    "account churned" (an account that arrives already churned never was a live customer here: no event); nothing
    (and no query) when no webhook wants the event."""
    if "accounts" not in parsed or not webhooks_listening(WebhookEvent.ACCOUNT_CHURNED):
        return []
    frame = parsed["accounts"].frame
    churned = frame.loc[frame["churned"].fillna(False).astype(bool), "external_id"].astype(str).tolist()
    return list(Account.objects.filter(external_id__in=churned, churned=False).order_by("external_id")
                .values_list("external_id", "name"))


def import_files(files: dict[str, bytes], progress: Progress = _no_progress) -> ImportResult:
    """Validate everything, then write everything in one transaction; nothing on any problem."""
    started = time.perf_counter()
    parsed, problems = validate_files(files, progress)
    if problems:
        return ImportResult(problems=problems, seconds=time.perf_counter() - started)
    try:
        with transaction.atomic():
            churning = accounts_churning(parsed)
            tables = write_files(parsed, progress)
            account_churned_emit(accounts=churning, source="import")
    except (IntegrityError, DatabaseError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ImportResult(
            problems=[Problem("(database)", None, "", f"the database refused the import: {message}")],
            seconds=time.perf_counter() - started,
        )
    progress("Done", 1, 1)
    return ImportResult(tables=tables, seconds=time.perf_counter() - started)
