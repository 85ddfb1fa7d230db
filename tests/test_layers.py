"""Dependencies point one way: accounts (customer data) ← scoring ← expansion ← interventions ← workspace (the
daily run, the cross-domain pages and the demo); playbooks may trigger on expansion signals, never the reverse.
A module may import its own app and the layers below it; healthcs' shared helpers (errors, inputs, paging, the
Celery app) sit below every app, its URLs and settings above them.

KNOWN lists imports allowed to point the wrong way; it is empty and should stay so: the test fails on a new one,
and on a listed one that is gone (so the list can only shrink).

Imports of the project's own modules sit at the top of the module, never inside a function to dodge an import cycle
(two modules needing each other is fixed by pointing the dependency one way). LAZY lists the few that must wait, each
with why; the test fails on an import that is not listed, and on a listed one that is gone."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"accounts": 0, "scoring": 1, "expansion": 2, "interventions": 3, "workspace": 4}
HEALTHCS_TOP = {"healthcs.urls", "healthcs.wsgi", "healthcs.asgi", "healthcs.settings"}
KNOWN: set[tuple[str, str]] = set()
PROJECT = (*LAYERS, "healthcs")
# (file, module) -> why the import waits. Heavy model code is loaded only by what runs a model: LightGBM adds about
# a second and 80 MB to every web, worker and command process that would import it at the top.
LAZY: dict[tuple[str, str], str] = {
    ("accounts/apps.py", "accounts.roles"): "ready(): imports the auth models, so only once the app registry is ready",
    ("scoring/apps.py", "scoring.receivers"): "ready(): the receivers import models (the app registry)",
    ("workspace/apps.py", "workspace.receivers"): "ready(): the receiver imports models (the app registry)",
    ("interventions/apps.py", "interventions.receivers"): "ready(): the receiver imports models (the app registry)",
    ("healthcs/settings.py", "healthcs.embedded_postgres"): "the demo's embedded PostgreSQL, without DATABASE_URL only",
    ("scoring/backtest.py", "scoring.model.predict"): "LightGBM: when a backtest runs a model, not with the pages",
    ("scoring/tasks.py", "scoring.model.training"): "LightGBM and scikit-learn: by the training task only",
    ("workspace/daily.py", "scoring.model.predict"): "LightGBM: by a day with a churn model, not by every day",
    # What every process loads when Django starts (the receivers) or the web process with its addresses (the
    # admin) imports the heavy machinery where it is used, so that a command or a worker starts light.
    ("scoring/receivers.py", "scoring.tasks"): "start-up: the text reader's task, when texts arrive",
    ("scoring/receivers.py", "scoring.texts.service"): "start-up: the text reader, when a text is edited by hand",
    ("workspace/receivers.py", "workspace.tasks"): "start-up: the daily run's task (pandas, the scoring services)",
    ("interventions/receivers.py", "interventions.services"): "start-up: the services and the webhooks' delivery",
    ("scoring/tasks.py", "scoring.backtest"): "scikit-learn's metrics: by the task that runs the accuracy report",
    ("scoring/admin.py", "scoring.preview"): "the scoring machinery: by the configuration's preview only",
    ("scoring/admin.py", "scoring.tasks"): "the text reader's task: when the name lists change",
    ("scoring/admin.py", "scoring.texts.service"): "the text reader: when the name lists change",
    ("scoring/texts/service.py", "scoring.texts.reader"): "its grammar compiles on import: when texts are read",
    ("scoring/texts/service.py", "scoring.texts.llm"): "the LLM client (requests): when it reads texts",
    ("accounts/webhooks/emit.py", "accounts.webhooks.tasks"): "Celery and redis-py: when there are deliveries to send",
}


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


def _module(name: str) -> str:
    """The project module an import names: `from scoring import receivers` imports scoring.receivers."""
    path = ROOT / name.replace(".", "/")
    return name if path.with_suffix(".py").is_file() or path.is_dir() else name.rpartition(".")[0]


def nested_imports(path: Path) -> set[str]:
    """Every project module a file imports other than at the top: inside a function, a class or a condition."""
    found = set()
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        for node in ast.walk(statement):
            if node is statement:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.update(_module(f"{node.module}.{alias.name}") for alias in node.names)
    return {module for module in found if module.split(".")[0] in PROJECT}


def lazy_imports() -> set[tuple[str, str]]:
    """(file, module) for each import of a project module below the top of a module of the apps or healthcs."""
    found = set()
    for app in PROJECT:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found.update((path.relative_to(ROOT).as_posix(), module) for module in nested_imports(path))
    return found


def test_no_module_imports_a_layer_above_its_own_beyond_the_known_ones():
    found = wrong_way()

    assert found - KNOWN == set(), "new imports pointing up the layers"
    assert KNOWN - found == set(), "these no longer point up: remove them from KNOWN"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from interventions.firing import fire_playbooks\n    import workspace.daily\n")

    assert imported_modules(module) == {"interventions.firing", "workspace.daily"}


def test_project_modules_are_imported_at_the_top_but_for_the_listed_lazy_ones():
    found = lazy_imports()

    assert found - LAZY.keys() == set(), "imports inside a function: move them to the top, or point the cycle one way"
    assert LAZY.keys() - found == set(), "these are gone or at the top now: remove them from LAZY"


def test_the_lazy_check_sees_imports_below_the_top_and_only_of_the_project(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import json\nfrom scoring.models import Snapshot\n\n\n"
                      "def f():\n    from scoring import receivers\n    import workspace.daily\n    import csv\n\n\n"
                      "if json:\n    from healthcs.embedded_postgres import database_settings\n")

    assert nested_imports(module) == {"scoring.receivers", "workspace.daily", "healthcs.embedded_postgres"}


def loaded_after(start: str, modules: set[str]) -> list[str]:
    """Which of `modules` a fresh Python process has loaded after running `start` (with the test settings)."""
    code = f"import sys, django; django.setup(); {start}; print(sorted(set({sorted(modules)!r}) & set(sys.modules)))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthcs.settings_test"}
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
    return ast.literal_eval(printed)


def test_a_command_starts_django_without_the_scoring_machinery_or_the_api():
    """django.setup() (every command, before its own imports) loads neither pandas nor scikit-learn, the text reader,
    the scoring services, DRF's serializers nor the project's admin modules: a command loads what it uses."""
    heavy = {"pandas", "numpy", "sklearn", "lightgbm", "scoring.services", "scoring.texts.intent",
             "rest_framework.serializers", "scoring.admin", "healthcs.celery", "redis"}

    assert loaded_after("pass", heavy) == []


def test_the_celery_application_loads_with_the_tasks_and_the_sites_addresses():
    """The project's Celery application is not loaded by Django's start but by any tasks module and by the site's
    addresses, and it is then Celery's current one: a task sent by a page or a command goes to the configured broker,
    and the admin's periodic tasks list the project's tasks."""
    code = ("import sys, django; django.setup(); {start}; from celery import current_app; "
            "current_app.loader.import_default_modules(); print(repr((current_app.main, "
            "'healthcs.celery' in sys.modules, 'scoring.tasks.recompute_all' in current_app.tasks)))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthcs.settings_test"}
    for start in ("import accounts.tasks", "import healthcs.urls"):
        printed = subprocess.run([sys.executable, "-c", code.format(start=start)], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        assert ast.literal_eval(printed) == ("healthcs", True, True), start


def test_the_export_command_loads_neither_the_text_reader_nor_an_http_client_nor_celery():
    """export_risk scores the book; with no text waiting it reads none, announces nothing and posts nothing, so the
    reader's grammar, requests and the Celery application with the broker's client stay out of the process (about
    0.25 s of its start)."""
    loaded = loaded_after("import scoring.management.commands.export_risk",
                          {"requests", "scoring.texts.intent", "scoring.texts.reader", "scoring.texts.llm",
                           "healthcs.celery", "redis"})

    assert loaded == []


def test_web_and_worker_processes_start_without_the_model_code():
    """The lazy model imports keep LightGBM out of a process until it trains or applies a model, and scikit-learn
    with SciPy (about 100 MiB) until it computes an AUC: a Celery worker loads the site's addresses with Django's
    checks, and its pool processes would each hold them."""
    start = "import healthcs.urls; from healthcs.celery import app; app.loader.import_default_modules()"

    assert loaded_after(start, {"lightgbm", "sklearn", "scipy", "scoring.model.predict",
                                "scoring.model.training"}) == []
