"""Scoring configurations: the active one (saved from the default when there is none), drafts, activation,
export and import. Every write is validated whole (scoring.config) and recorded in the audit log."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from scoring.config import ConfigError, default_config, edited_config_problems, validate_config
from scoring.models import ConfigStatus, ScoringConfig


def ensure_active_config() -> ScoringConfig:
    """The active configuration, created when there is none yet: the default one is saved as the first
    version (a write, on a fresh database)."""
    config = ScoringConfig.objects.filter(status=ConfigStatus.ACTIVE).first()
    if config is not None:
        return config
    try:
        with transaction.atomic():
            return ScoringConfig.objects.create(
                version=_next_version(), name="Default (fitted to the book)", status=ConfigStatus.ACTIVE,
                data=default_config(),
                activated_at=timezone.now(), notes="Installed automatically with the default rules and weights.",
            )
    except IntegrityError:  # another process installed it first
        return ScoringConfig.objects.get(status=ConfigStatus.ACTIVE)


def _next_version() -> int:
    return (ScoringConfig.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def config_draft_create(*, user: User | None, data: dict[str, Any] | None = None, name: str = "",
                        notes: str = "") -> ScoringConfig:
    """A new draft: the given document, or a copy of the active configuration. Invalid: ConfigError."""
    document = data if data is not None else ensure_active_config().data
    problems = validate_config(document)
    if problems:
        raise ConfigError(problems)
    for _ in range(3):
        try:
            with transaction.atomic():
                draft = ScoringConfig.objects.create(version=_next_version(), name=name or document.get("name", ""),
                                                     status=ConfigStatus.DRAFT, data=document, notes=notes,
                                                     created_by=user)
                audit_record(user=user, action="created", obj=draft)
                return draft
        except IntegrityError:  # two drafts took the same version number at once; take the next one
            continue
    raise RuntimeError("could not allocate a configuration version")


@transaction.atomic
def config_draft_update(*, config: ScoringConfig, user: User | None, data: dict[str, Any], name: str,
                        notes: str) -> ScoringConfig:
    """A person's edit of a draft (admin's form or its JSON): validated whole, weights adding up to 100, and
    recorded in the audit log with each changed value. Active and retired versions refuse (ConfigError)."""
    config = ScoringConfig.objects.select_for_update().get(pk=config.pk)
    if config.status != ConfigStatus.DRAFT:
        raise ConfigError([f"version {config.version} is {config.get_status_display().lower()}; only a draft "
                           f"can be edited (make a new draft from it instead)"])
    problems = [problem for _, problem in edited_config_problems(data)]
    if problems:
        raise ConfigError(problems)
    changes = {**config_changes(config.data, data),
               **{key: [old, new] for key, old, new in (("name", config.name, name), ("notes", config.notes, notes))
                  if old != new}}
    if not changes:
        return config
    config.data, config.name, config.notes = data, name, notes
    config.save(update_fields=["data", "name", "notes"])
    audit_record(user=user, action="changed", obj=config, changes=changes)
    return config


def config_changes(before: Any, after: Any, path: str = "") -> dict[str, list]:
    """Each value that differs between two documents, by its path ("health.measures[0].weight": [15, 20]);
    a list that changed length is one change."""
    if isinstance(before, dict) and isinstance(after, dict):
        return {change: values for key in dict.fromkeys([*before, *after])
                for change, values in config_changes(before.get(key), after.get(key),
                                                     f"{path}.{key}" if path else key).items()}
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return {change: values for index, (old, new) in enumerate(zip(before, after, strict=True))
                for change, values in config_changes(old, new, f"{path}[{index}]").items()}
    return {} if before == after and type(before) is type(after) else {path: [before, after]}


@transaction.atomic
def config_activate(*, config: ScoringConfig, user: User | None) -> ScoringConfig:
    """Make a draft the active configuration (the previous one is retired); records who and when."""
    config = ScoringConfig.objects.select_for_update().get(pk=config.pk)
    if config.status != ConfigStatus.DRAFT:
        raise ConfigError([f"version {config.version} is {config.get_status_display().lower()}; only a draft "
                           f"can be activated (make a new draft from it instead)"])
    problems = validate_config(config.data)
    if problems:
        raise ConfigError(problems)
    previous = list(ScoringConfig.objects.select_for_update().filter(status=ConfigStatus.ACTIVE)
                    .values_list("version", flat=True))
    ScoringConfig.objects.filter(status=ConfigStatus.ACTIVE).update(status=ConfigStatus.RETIRED)
    config.status = ConfigStatus.ACTIVE
    config.activated_at = timezone.now()
    config.activated_by = user
    config.save(update_fields=["status", "activated_at", "activated_by"])
    # Whoever activates, from admin or `scoring_config import --activate` (no user), is in the audit log.
    audit_record(user=user, action="activated", obj=config,
                 changes={"active_version": [previous[0] if previous else None, config.version]})
    return config


def config_export(config: ScoringConfig) -> dict[str, Any]:
    """The configuration as a JSON document (the format `scoring_config import` reads)."""
    return {"name": config.name or f"Version {config.version}", **{k: v for k, v in config.data.items()
                                                                   if k not in ("name", "notes")}}


def config_import(*, data: Any, user: User | None, activate: bool = False) -> ScoringConfig:
    """A draft (or, with activate, the active configuration) from an exported document."""
    with transaction.atomic():
        config = config_draft_create(user=user, data=data, name=data.get("name", "") if isinstance(data, dict) else "")
        if activate:
            config = config_activate(config=config, user=user)
    return config
