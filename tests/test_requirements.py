"""Every third-party module the project imports is pinned in requirements.txt (a module installed only
as some other package's dependency, like `requests` once was, breaks on the next fresh install)."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWN = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()} | {
    path.stem for path in ROOT.glob("*.py")}
SKIPPED_DIRS = {".venv", "var", "node_modules", "test-results", ".git"}


def imported_top_level_modules() -> dict[str, set[str]]:
    """{module: {files importing it}} for every absolute import in the project's Python files."""
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if (path.parent / f"{top}.py").exists() or (path.parent / top).is_dir():  # a script's sibling
                    continue
                if (ROOT / top).is_dir():  # a folder of the project itself (bench/, run from the root)
                    continue
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    """{distribution: exact version} of requirements.txt."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalised(re.sub(r"\[.*\]", "", name))] = version
    return pins


def test_every_requirement_is_pinned_to_an_exact_version():
    assert [name for name, version in pinned().items() if not version] == []


def test_every_third_party_import_is_in_requirements():
    distributions = packages_distributions()
    requirements = set(pinned())
    missing = {}
    for module, files in imported_top_level_modules().items():
        if module in sys.stdlib_module_names or module in OWN or module == "__future__":
            continue
        owners = {normalised(d) for d in distributions.get(module, [])}
        if not owners & requirements:
            missing[module] = (sorted(owners) or ["not installed"], sorted(files)[:3])

    assert missing == {}
