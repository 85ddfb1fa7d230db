"""The README documents the two commands and every file and column of the import format, and shows
screenshots that exist."""

import re
from pathlib import Path

from accounts.importing.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_the_readme_starts_with_the_two_commands():
    first_blocks = README.split("```sh")[1:3]

    assert [block.strip().splitlines()[0] for block in first_blocks] == ["python3 dev.py demo", "python3 dev.py test"]
    assert "dev.py test" in (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()


def test_every_import_column_is_documented():
    for table in TABLES:
        section = README.split(f"#### `{table.filename}`")[1].split("####")[0]
        for column in table.columns:
            assert f"| `{column.name}` |" in section, (table.filename, column.name)


def test_every_screenshot_the_readme_shows_is_in_the_repository():
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)

    assert {"docs/screenshots/executive.png", "docs/screenshots/my-queue.png"} <= set(shown)
    assert [path for path in shown if not (ROOT / path).is_file()] == []
