"""Console output shared by the import commands: progress lines and the import report."""

from collections.abc import Callable, Sequence

from django.core.management.base import BaseCommand, CommandError

from accounts.importing.reading import Problem
from accounts.importing.services import ImportResult


class ProgressPrinter:
    """Prints each phase once and then every ``step`` percent of it."""

    def __init__(self, write: Callable[[str], None], step: int):
        self.write = write
        self.step = step
        self.phase = ""
        self.shown = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if phase != self.phase:
            self.phase, self.shown = phase, -1
        if percent // self.step > self.shown:
            self.shown = percent // self.step
            self.write(f"  {phase}: {percent}%")


def refuse(command: BaseCommand, problems: Sequence[Problem], what: str) -> None:
    """Every problem on stderr, then a non-zero exit."""
    for problem in problems:
        command.stderr.write(str(problem))
    raise CommandError(f"{what}: {len(problems)} problem(s)")


def report_import(command: BaseCommand, result: ImportResult, failure: str) -> None:
    """Counts per table, or every problem and a non-zero exit."""
    if not result.ok:
        refuse(command, result.problems, failure)
    for t in result.tables:
        command.stdout.write(
            f"{t.filename}: {t.rows} rows ({t.inserted} new, {t.updated} updated, "
            f"{t.unchanged} unchanged) in {t.seconds:.2f}s, {t.rows_per_second:,.0f} rows/s"
        )
