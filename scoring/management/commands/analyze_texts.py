"""python manage.py analyze_texts IN.csv OUT.csv [--column NAME]

Analyses one text column of a CSV (tickets, e-mails, call notes, NPS comments; UTF-8, any columns) with the
configured reader (scoring.texts: the built-in one, or the local LLM server when one is set) and writes
every input column plus the analysis of docs/text-intelligence.md, one output row per input row. Without --column the
most text-like column is analysed; its name is printed and written to `analysed_column`. Bad input stops the command
before anything is written.
"""

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.exports import neutralise
from scoring.texts.reading import Reading
from scoring.texts.service import read_texts

OUTPUT_COLUMNS = ("summary", "category", "sentiment", "sentiment_label", "churn_intent", "intent_phrase",
                  "competitor", "days_to_renewal", "recommended_action", "evidence", "analyser", "analysed_column")
# Column names that say "this is the text" (English and German); such a column counts double when picking.
TEXT_COLUMN_NAMES = frozenset({"text", "body", "message", "comment", "description", "note", "content", "feedback",
                               "transcript", "kommentar", "nachricht", "beschreibung", "notiz", "inhalt", "freitext"})
_NUMBER_OR_DATE = re.compile(r"[\d\s.,:/+%-]*\d[\d\s.,:/+%-]*")


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]


def read_table(path: Path) -> Table:
    """The header and rows of a UTF-8 CSV file; CommandError when it is missing, not a CSV, or empty."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as error:
        raise CommandError(f"{path} does not exist") from error
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error}") from error
    if b"\x00" in raw:
        raise CommandError(f"{path} is not a CSV file (it holds binary data)")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not a UTF-8 CSV file: {error}") from error
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if any(cell.strip() for cell in record):  # blank lines are not rows
                records.append((reader.line_num, record))
    except csv.Error as error:
        raise CommandError(f"{path} is not a valid CSV file (line {reader.line_num}: {error})") from error
    if not records:
        raise CommandError(f"{path} is empty")
    (_, columns), data = records[0], records[1:]
    if not data:
        raise CommandError(f"{path} has a header but no rows")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise CommandError(f"{path}: the column name(s) {', '.join(map(repr, duplicates))} appear more than once")
    taken = [name for name in OUTPUT_COLUMNS if name in columns]
    if taken:
        raise CommandError(f"{path} already has the column(s) {', '.join(taken)} that the analysis writes; "
                           "rename them first")
    rows = []
    for line, record in data:
        if len(record) > len(columns):
            raise CommandError(f"{path}, line {line}: {len(record)} fields but the header has {len(columns)}")
        rows.append(record + [""] * (len(columns) - len(record)))
    return Table(columns=columns, rows=rows)


def text_column_score(table: Table, index: int) -> float:
    """How text-like a column is: the mean length of its cells, doubled for a name like text/body/comment;
    0 for columns of numbers, dates or single words."""
    values = [row[index].strip() for row in table.rows]
    filled = [value for value in values if value]
    if not filled or not any(" " in value for value in filled):
        return 0.0
    if sum(bool(_NUMBER_OR_DATE.fullmatch(value)) for value in filled) * 2 > len(filled):
        return 0.0
    mean_length = sum(len(value) for value in values) / len(values)
    return mean_length * (2.0 if has_text_name(table.columns[index]) else 1.0)


def has_text_name(column: str) -> bool:
    words = re.findall(r"[^\W_]+", column.lower())
    return any(word in TEXT_COLUMN_NAMES or word.rstrip("s") in TEXT_COLUMN_NAMES for word in words)


def pick_text_column(table: Table) -> str:
    """The name of the most text-like column (the first of equals); CommandError when no column holds text."""
    scores = [text_column_score(table, i) for i in range(len(table.columns))]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        raise CommandError("No column holds text (sentences rather than numbers, dates or single words); "
                           "name the column with --column")
    return table.columns[best]


def analysis_cells(analysis: Reading, column: str) -> list[str]:
    """The output columns for one analysis, in OUTPUT_COLUMNS order; text a spreadsheet would run as a
    formula is neutralised."""
    evidence = "; ".join(f"{item.kind}:{item.phrase}" for item in analysis.evidence)
    return [neutralise(analysis.summary), analysis.category, f"{analysis.sentiment:.3f}", analysis.sentiment_label,
            "yes" if analysis.churn_intent else "no", neutralise(analysis.intent_phrase),
            neutralise("; ".join(analysis.competitors)),
            "" if analysis.facts.days_to_renewal is None else str(analysis.facts.days_to_renewal),
            neutralise(analysis.recommended_action), neutralise(evidence), analysis.reader, column]


def write_table(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    """Write the CSV in one step: a temporary file in the same folder, renamed over the target."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = "Analyse a text column of a CSV file (summary, category, sentiment, churn intent, competitor, " \
           "recommended action; docs/text-intelligence.md) and write the input columns with the analysis to a new CSV."

    def add_arguments(self, parser):
        parser.add_argument("input", help="CSV file to read (UTF-8, with a header row).")
        parser.add_argument("output", help="CSV file to write.")
        parser.add_argument("--column", default=None,
                            help="The column holding the text; without it the most text-like column is used.")

    def handle(self, *args, input, output, column, **options):
        source, target = Path(input), Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"Cannot write {target}: the folder {target.parent} does not exist")
        table = read_table(source)
        if column is None:
            column = pick_text_column(table)
            self.stdout.write(f"Analysing column '{column}' (picked automatically: the most text-like column)")
        elif column not in table.columns:
            raise CommandError(f"{source} has no column '{column}'; its columns are: {', '.join(table.columns)}")
        else:
            self.stdout.write(f"Analysing column '{column}'")
        index = table.columns.index(column)
        analyses = read_texts([row[index] for row in table.rows])
        rows = [row + analysis_cells(analysis, column) for row, analysis in zip(table.rows, analyses, strict=True)]
        try:
            write_table(target, table.columns + list(OUTPUT_COLUMNS), rows)
        except OSError as error:
            raise CommandError(f"Cannot write {target}: {error}") from error
        intents = sum(analysis.churn_intent for analysis in analyses)
        self.stdout.write(f"Wrote {len(rows)} rows to {target} ({intents} with churn intent)")
