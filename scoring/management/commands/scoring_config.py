"""python manage.py scoring_config export FILE.json | import FILE.json [--activate] | preset NAME [--activate] | show

Moves a scoring configuration in and out as JSON (docs/scoring.md). `import` validates the whole document
and refuses it with every problem listed; a valid one becomes a draft, or the active version with
--activate. `preset` starts a draft from a named preset: "default" (the shipped rules) or "seed-001"
(the seed's exact rules, whose published RavenStack figures reproduce with it).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scoring.config import PRESETS, ConfigError, preset_config
from scoring.configs import config_activate, config_draft_create, config_export, config_import, ensure_active_config
from scoring.models import ConfigStatus, ScoringConfig


class Command(BaseCommand):
    help = "Export or import the scoring configuration as JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write a configuration to a JSON file.")
        export.add_argument("file")
        export.add_argument("--version", type=int, default=None, help="Version to export (default: the active one).")
        load = sub.add_parser("import", help="Read a configuration from a JSON file into a new draft.")
        load.add_argument("file")
        load.add_argument("--activate", action="store_true", help="Make it the active configuration at once.")
        preset = sub.add_parser("preset", help="Start a new draft from a named preset (default, seed-001).")
        preset.add_argument("name", choices=list(PRESETS))
        preset.add_argument("--activate", action="store_true", help="Make it the active configuration at once.")
        sub.add_parser("show", help="List the versions.")

    def handle(self, *args, action, **options):
        if action == "export":
            self.export(options["file"], options["version"])
        elif action == "import":
            self.load(options["file"], options["activate"])
        elif action == "preset":
            with transaction.atomic():
                config = config_draft_create(user=None, data=preset_config(options["name"]),
                                             name=f"Preset {options['name']}")
                if options["activate"]:
                    config = config_activate(config=config, user=None)
            state = "active" if config.status == ConfigStatus.ACTIVE else "a draft (activate it in admin)"
            self.stdout.write(f"Preset {options['name']} is configuration v{config.version}, {state}")
        else:
            ensure_active_config()
            for c in ScoringConfig.objects.order_by("version"):
                when = f", activated {c.activated_at:%Y-%m-%d %H:%M}" if c.activated_at else ""
                self.stdout.write(f"v{c.version} {c.get_status_display()}{when} {c.name}")

    def export(self, file: str, version: int | None) -> None:
        if version is None:
            config = ensure_active_config()
        else:
            config = ScoringConfig.objects.filter(version=version).first()
            if config is None:
                raise CommandError(f"There is no configuration version {version}")
        Path(file).write_text(json.dumps(config_export(config), indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"Exported configuration v{config.version} to {file}")

    def load(self, file: str, activate: bool) -> None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"{file} is not valid JSON: line {error.lineno}, column {error.colno}: "
                               f"{error.msg}") from error
        try:
            config = config_import(data=data, user=None, activate=activate)
        except ConfigError as error:
            for problem in error.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(f"{file}: {len(error.problems)} problem(s); nothing was imported") from error
        state = "active" if config.status == ConfigStatus.ACTIVE else "a draft (activate it in admin)"
        self.stdout.write(f"Imported {file} as configuration v{config.version}, {state}")
