"""The text-analysis pipeline (SPEC §2f): every ticket and touchpoint is read by the configured analyser
(scoring.providers: the built-in one, or a local LLM with the built-in one as fallback) in the
background, in batches, after it is written — on import, on save, or by any other path — and the
result is stored on the item with the analyser's name and version.

A text waits while its `analysis_version` is empty (a partial index finds those). Saving a text empties
it; an import leaves new rows empty; a new analyser version is rolled out by a migration that empties
it on every row (and `refresh_text_analysis --all` does the same by hand, e.g. after switching the LLM
on or off). A batch skips rows read in the meantime, so a redelivered or repeated batch changes nothing.
"""

import logging

from django.apps import apps
from django.conf import settings
from django.db import transaction

from scoring.analysis import ANALYSER_NAME, ANALYSER_VERSION, sanitise
from scoring.providers import analyse_many

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MODELS = ("accounts.SupportTicket", "accounts.Touchpoint")
STORED = ("category", "sentiment", "competitor", "summary", "recommended_action", "evidence", "analysis_version",
          "analysis_note")


def current_analyser() -> str:
    """The name stored with each reading: the LLM's when one is configured (its fallbacks say so in the
    note), else the built-in analyser's."""
    if settings.ANALYSER_LLM_URL:
        return f"llm-{settings.ANALYSER_LLM_MODEL}"
    return f"{ANALYSER_NAME}-{ANALYSER_VERSION}"


def _text_of(model, row: dict) -> str:
    subject, body = model.TEXT_FIELDS
    return f"{row[subject] or ''}\n{row[body] or ''}".strip()


def analyse_batch(model_label: str, ids: list[int]) -> int:
    """Read the texts of these rows that still wait, store the results; returns how many were read."""
    model = apps.get_model(model_label)
    subject, body = model.TEXT_FIELDS
    rows = list(model.objects.filter(id__in=ids, analysis_version="").values("id", subject, body))
    if not rows:
        return 0
    results = analyse_many([sanitise(_text_of(model, row))[0] for row in rows])
    items = []
    for row, result in zip(rows, results, strict=True):
        items.append(model(
            id=row["id"], category=result.category, sentiment=result.sentiment, competitor=result.competitor[:64],
            summary=result.summary[:200], recommended_action=result.recommended_action[:300],
            evidence=[{"kind": e.kind, "phrase": e.phrase, "start": e.start, "end": e.end} for e in result.evidence],
            analysis_version=result.analyser[:48],
            analysis_note=result.note[:200]))
    with transaction.atomic():
        # Only rows still waiting: a text saved again meanwhile waits for the next batch instead.
        waiting = set(model.objects.select_for_update().filter(id__in=[r["id"] for r in rows], analysis_version="")
                      .values_list("id", flat=True))
        model.objects.bulk_update([item for item in items if item.id in waiting], STORED, batch_size=BATCH_SIZE)
    return len(waiting)


def pending_batches(limit: int | None = None) -> list[tuple[str, list[int]]]:
    """The waiting rows as (model, ids) batches of BATCH_SIZE, oldest first (at most `limit` rows)."""
    batches = []
    left = limit
    for label in MODELS:
        model = apps.get_model(label)
        query = model.objects.filter(analysis_version="").order_by("id").values_list("id", flat=True)
        ids = list(query[:left] if left is not None else query)
        batches += [(label, ids[i:i + BATCH_SIZE]) for i in range(0, len(ids), BATCH_SIZE)]
        if left is not None:
            left -= len(ids)
            if left <= 0:
                break
    return batches


def analyse_pending(limit: int | None = None, progress=None) -> int:
    """Read every waiting text in this process (the command, the demo); returns how many were read."""
    batches = pending_batches(limit)
    done = 0
    for number, (label, ids) in enumerate(batches, 1):
        done += analyse_batch(label, ids)
        if progress:
            progress(number, len(batches))
    return done


def reset_all() -> int:
    """Mark every text as waiting (a new analyser, or the LLM switched on or off)."""
    return sum(apps.get_model(label).objects.exclude(analysis_version="").update(analysis_version="")
               for label in MODELS)
