"""Dependencies point one way: accounts (customer data) ← scoring ← expansion ← interventions ← workspace (the
daily run, the cross-domain pages and the demo); playbooks may trigger on expansion signals, never the reverse.
A module may import its own app and the layers below it; healthcs' shared helpers (errors, inputs, paging, the
Celery app) sit below every app, its URLs and settings above them.

KNOWN lists imports allowed to point the wrong way; it is empty and should stay so: the test fails on a new one,
and on a listed one that is gone (so the list can only shrink)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"accounts": 0, "scoring": 1, "expansion": 2, "interventions": 3, "workspace": 4}
HEALTHCS_TOP = {"healthcs.urls", "healthcs.wsgi", "healthcs.asgi", "healthcs.settings"}
KNOWN: set[tuple[str, str]] = set()


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def wrong_way() -> set[tuple[str, str]]:
    """(file, app) for each import of a layer above the file's own (or of healthcs' top: URLs, settings)."""
    found = set()
    for app, layer in LAYERS.items():
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for module in imported_modules(path):
                top = module.split(".")[0]
                above = top in LAYERS and top != app and LAYERS[top] >= layer
                if above or module in HEALTHCS_TOP:
                    found.add((path.relative_to(ROOT).as_posix(), top if above else module))
    return found


def test_no_module_imports_a_layer_above_its_own_beyond_the_known_ones():
    found = wrong_way()

    assert found - KNOWN == set(), "new imports pointing up the layers"
    assert KNOWN - found == set(), "these no longer point up: remove them from KNOWN"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from interventions.firing import fire_playbooks\n    import workspace.daily\n")

    assert imported_modules(module) == {"interventions.firing", "workspace.daily"}
