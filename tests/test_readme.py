"""The README starts with the two commands, stays short and maps every capability to files that exist; docs/
documents every file and column of the import format, and its links and screenshots lead somewhere real."""

import re
from pathlib import Path

from accounts.importing.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = {path: path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}


def test_the_readme_starts_with_the_two_commands():
    first_blocks = README.split("```sh")[1:3]

    assert [block.strip().splitlines()[0] for block in first_blocks] == ["python3 dev.py demo", "python3 dev.py test"]
    assert "dev.py test" in (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()


def test_the_readme_is_short_and_its_map_names_files_that_exist():
    rows = README.split("## Where things live")[1].split("\n## ")[0]
    named = re.findall(r"`((?:accounts|scoring|expansion|interventions|workspace|healthcs|bench|tests|templates|"
                       r"static)/[\w/.]*)`", rows)

    assert len(README.splitlines()) <= 200
    assert len(named) >= 20
    assert [path for path in named if not (ROOT / path).exists()] == []


def test_every_import_column_is_documented():
    page = DOCS[ROOT / "docs" / "import-format.md"]
    for table in TABLES:
        section = page.split(f"### `{table.filename}`")[1].split("###")[0]
        for column in table.columns:
            assert f"| `{column.name}` |" in section, (table.filename, column.name)


def test_every_link_and_screenshot_of_the_readme_and_docs_is_in_the_repository():
    missing, shown = [], set()
    for page, text in [(ROOT / "README.md", README), *DOCS.items()]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            if not (page.parent / target).exists():
                missing.append((page.name, target))
            shown.add((page.parent / target).resolve().relative_to(ROOT).as_posix())

    assert {"docs/screenshots/executive.png", "docs/screenshots/my-queue.png", "docs/scoring.md"} <= shown
    assert missing == []
