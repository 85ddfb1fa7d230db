"""`manage.py import_data DIR`: import the CSV files of a directory (or one zip file)."""

from pathlib import Path

from django.core.management.base import CommandError

from accounts.importing.services import read_directory, read_zip
from accounts.management.progress import ProgressPrinter, refuse, report_import
from accounts.services import import_files_recorded
from healthcs.commands import DataCommand


class Command(DataCommand):
    help = "Validate and import customer data (RavenStack layout plus optional tables)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="A directory of CSV files, or a .zip file.")

    def handle(self, *args, source: str, **options):
        path = Path(source)
        if path.is_dir():
            files = read_directory(path)
            problems = []
        elif path.is_file() and path.suffix.lower() == ".zip":
            files, problems = read_zip(path.name, path)
        else:
            raise CommandError(f"{source} is neither a directory nor a .zip file")
        if problems:
            refuse(self, problems, "nothing was imported")

        result = import_files_recorded(files=files, source=str(path.name or path),
                                       progress=ProgressPrinter(self.stdout.write, 50))
        report_import(self, result, "nothing was imported")
        self.stdout.write(self.style.SUCCESS(f"Import finished in {result.seconds:.2f}s"))
