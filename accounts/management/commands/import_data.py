"""`manage.py import_data DIR`: import the CSV files of a directory (or one zip file)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.importing.services import import_files, read_directory, read_zip
from accounts.management.progress import ProgressPrinter
from accounts.models import ImportRun, ImportStatus
from accounts.services import import_run_record


class Command(BaseCommand):
    help = "Validate and import customer data (RavenStack layout plus optional tables)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="A directory of CSV files, or a .zip file.")

    def handle(self, *args, source: str, **options):
        path = Path(source)
        if path.is_dir():
            files = read_directory(path)
            problems = []
        elif path.is_file() and path.suffix.lower() == ".zip":
            files, problems = read_zip(path.name, path.read_bytes())
        else:
            raise CommandError(f"{source} is neither a directory nor a .zip file")
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"nothing was imported: {len(problems)} problem(s)")

        result = import_files(files, ProgressPrinter(self.stdout.write, 50))
        run = ImportRun.objects.create(source=str(path.name or path), status=ImportStatus.RUNNING)
        import_run_record(run_id=run.pk, result=result)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"nothing was imported: {len(result.problems)} problem(s)")
        for t in result.tables:
            self.stdout.write(
                f"{t.filename}: {t.rows} rows ({t.inserted} new, {t.updated} updated, "
                f"{t.unchanged} unchanged) in {t.seconds:.2f}s, {t.rows_per_second:,.0f} rows/s"
            )
        self.stdout.write(self.style.SUCCESS(f"Import finished in {result.seconds:.2f}s"))
