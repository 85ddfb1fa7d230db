"""The one way texts get read and stored (docs/text-intelligence.md). Imports leave new or changed texts waiting (an
empty `analysis_version`), an admin edit marks its text waiting and reads it at once, the background sweep and the
recompute read whatever waits; all of them end in `texts_read`, which stores every field of the reading
under one version.

Which reader answers: the built-in one, or the local LLM when settings.ANALYSER_LLM_URL is set (with the
built-in reader as its fallback). A change of reader, of the competitor list or of our own names is rolled
out by `texts_mark_unread()`, after which the sweep reads the whole book again."""

import hashlib
import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.db import connection

from scoring.models import Competitor
from scoring.texts.reading import Reading

if TYPE_CHECKING:
    from scoring.texts.reader import Lexicon

logger = logging.getLogger(__name__)

MODELS = ("accounts.SupportTicket", "accounts.Touchpoint")
BATCH_SIZE = 500  # rows per background task
CHUNK = 5_000  # rows read and written at once by texts_read_pending
PARALLEL_FROM = 20_000  # texts waiting from which texts_read_pending reads on several cores
# Texts read at once from which their tables' planner statistics are taken again: the statistics of a freshly
# imported book say every text waits, and a recompute batch then looks for its waiting texts through the account
# index (0.5 s a batch at 20,000 accounts) instead of the index of waiting texts (none).
ANALYZE_FROM = 10_000
STORED = ("intent_phrase", "feature_request", "case_study", "category", "sentiment", "competitors", "facts",
          "summary", "recommended_action", "evidence", "analysis_version", "analysis_note")


# The reader (its grammar compiles when it is imported, 0.1 s) and the LLM client (requests) are imported where texts
# are read: a process that finds no text waiting, such as an export, starts without them.

def lexicon() -> "Lexicon":
    """The competitor list admins keep and our own names (settings.ANALYSER_OWN_NAMES); one query."""
    from scoring.texts.reader import Lexicon

    return Lexicon(competitors=tuple(Competitor.objects.order_by("name").values_list("name", flat=True)),
                   own_names=tuple(settings.ANALYSER_OWN_NAMES))


def reader_name() -> str:
    """The name stored with each reading: the LLM's when one is configured (its fallbacks say so in the
    note), else the built-in reader's."""
    if settings.ANALYSER_LLM_URL:
        return f"llm-{settings.ANALYSER_LLM_MODEL}"
    from scoring.texts.reader import NAME

    return NAME


def _read_builtin(texts: list[str], names: "Lexicon") -> list[Reading]:
    """The built-in reading of each text; a module-level function, so reading processes can be handed it."""
    from scoring.texts.reader import read

    return [read(text, names) for text in texts]


def read_texts(texts: list[str], names: "Lexicon | None" = None) -> list[Reading]:
    """The reading of each text by the configured reader, in order."""
    names = names if names is not None else lexicon()
    if settings.ANALYSER_LLM_URL:
        from scoring.texts.llm import read_with_llm

        return read_with_llm(texts, names)
    return _read_builtin(texts, names)


def read_text(text: str) -> Reading:
    """The reading of one text (the Ticket Analyzer, the API)."""
    return read_texts([text])[0]


def _text_of(row: tuple) -> str:
    """The text of a row (id, subject, body) as the reader gets it; the reader cleans and cuts it, and notes a cut."""
    return f"{row[1] or ''}\n{row[2] or ''}".strip()


def texts_read(model_label: str, ids: list[int], names: "Lexicon | None" = None) -> int:
    """Read the texts of these rows that wait, store the readings; returns how many were stored. A row whose
    text changed while it was read keeps waiting, so the next read sees the new text."""
    model = apps.get_model(model_label)
    subject, body = model.TEXT_FIELDS
    rows = list(model.objects.filter(id__in=ids, analysis_version="").values_list("id", subject, body))
    if not rows:
        return 0
    texts = [_text_of(row) for row in rows]
    return _store(model, rows, read_texts(texts, names))


def _store(model, rows: list[tuple], readings: list[Reading]) -> int:
    """Write the readings of rows (id, subject, body) that still wait with the same text; returns how many."""
    values = [_stored_values(reading) for reading in readings]
    return _update_from_arrays(model, rows, values)


_SQL_TYPES = {"intent_phrase": "text", "feature_request": "boolean", "case_study": "boolean", "category": "text",
              "sentiment": "double precision", "competitors": "jsonb", "facts": "jsonb", "summary": "text",
              "recommended_action": "text", "evidence": "jsonb", "analysis_version": "text", "analysis_note": "text"}


def _digest(subject: str | None, body: str | None) -> str:
    """The text's fingerprint, computed the same way as in _update_from_arrays' SQL."""
    subject, body = subject or "", body or ""
    return hashlib.md5(f"{len(subject)}:{subject}{body}".encode(), usedforsecurity=False).hexdigest()


def _update_from_arrays(model, rows: list[tuple], values: list[dict]) -> int:
    """One UPDATE for all rows, from one JSON document of the readings, only where the row still waits and its
    text is the one read (compared by fingerprint). Far faster than an UPDATE per row, Django's CASE chains, or
    arrays bound element by element."""
    table = model._meta.db_table
    subject, body = (model._meta.get_field(name).column for name in model.TEXT_FIELDS)
    document = json.dumps([{"id": row[0], "digest": _digest(row[1], row[2]), **value}
                           for row, value in zip(rows, values, strict=True)])
    record = ", ".join(["id bigint", "digest text"] + [f"{name} {_SQL_TYPES[name]}" for name in STORED])
    assignments = ", ".join(f"{name} = v.{name}" for name in STORED)
    fingerprint = (f"md5(length(coalesce(t.{subject}, ''))::text || ':' || coalesce(t.{subject}, '') || "
                   f"coalesce(t.{body}, ''))")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS v({record}) "
                       f"WHERE t.id = v.id AND t.analysis_version = '' AND {fingerprint} = v.digest", [document])
        return cursor.rowcount


def _stored_values(reading: Reading) -> dict:
    return {
        "intent_phrase": reading.intent_phrase[:200], "feature_request": reading.feature_request,
        "case_study": reading.case_study, "category": reading.category, "sentiment": reading.sentiment,
        "competitors": [name[:64] for name in reading.competitors], "facts": reading.facts.as_dict(),
        "summary": reading.summary[:200], "recommended_action": reading.recommended_action[:300],
        "evidence": [{"kind": e.kind, "phrase": e.phrase, "start": e.start, "end": e.end} for e in reading.evidence],
        "analysis_version": reading.reader[:48], "analysis_note": reading.note[:200],
    }


def waiting_batches(limit: int | None = None) -> list[tuple[str, list[int]]]:
    """The waiting rows as (model, ids) batches of BATCH_SIZE, oldest first (at most `limit` rows)."""
    batches = []
    left = limit
    for label in MODELS:
        query = apps.get_model(label).objects.filter(analysis_version="").order_by("id").values_list("id", flat=True)
        ids = list(query[:left] if left is not None else query)
        batches += [(label, ids[i:i + BATCH_SIZE]) for i in range(0, len(ids), BATCH_SIZE)]
        if left is not None:
            left -= len(ids)
            if left <= 0:
                break
    return batches


def texts_read_pending(limit: int | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Read every waiting text in this process (the recompute, the command, the demo), chunk by chunk; with
    the built-in reader and many texts waiting, on every core. Returns how many were stored."""
    batches = waiting_batches(limit)
    total = sum(len(ids) for _, ids in batches)
    if not total:
        return 0
    names = lexicon()
    chunks: list[tuple[str, list[int]]] = []
    for label, ids in batches:
        if chunks and chunks[-1][0] == label and len(chunks[-1][1]) < CHUNK:
            chunks[-1][1].extend(ids)
        else:
            chunks.append((label, list(ids)))
    workers = min(os.cpu_count() or 1, settings.SCORING_COMMAND_WORKERS)
    pool = (ProcessPoolExecutor(workers) if total >= PARALLEL_FROM and workers > 1 and not settings.ANALYSER_LLM_URL
            else None)
    done = 0
    try:
        for number, (label, ids) in enumerate(chunks, 1):
            model = apps.get_model(label)
            subject, body = model.TEXT_FIELDS
            rows = list(model.objects.filter(id__in=ids, analysis_version="").values_list("id", subject, body))
            texts = [_text_of(row) for row in rows]
            if pool:
                parts = [texts[i::workers] for i in range(workers)]
                answers = list(pool.map(_read_builtin, parts, [names] * workers))
                readings = [None] * len(texts)
                for i, part in enumerate(answers):
                    readings[i::workers] = part
            else:
                readings = read_texts(texts, names)
            done += _store(model, rows, readings)
            if progress:
                progress(number, len(chunks))
    finally:
        if pool:
            pool.shutdown()
    if done >= ANALYZE_FROM:
        with connection.cursor() as cursor:
            for label in {label for label, _ in chunks}:
                cursor.execute(f"ANALYZE {apps.get_model(label)._meta.db_table}")
    return done


def texts_read_for_accounts(first_account: int, last_account: int) -> int:
    """Read the waiting texts of the accounts with ids in [first_account, last_account] (a recompute batch
    reads its accounts' texts before it scores them). Returns how many were stored."""
    done = 0
    names = None
    for label in MODELS:
        model = apps.get_model(label)
        ids = list(model.objects.filter(analysis_version="", account_id__gte=first_account,
                                        account_id__lte=last_account).values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            names = names if names is not None else lexicon()
            done += texts_read(label, ids[start:start + CHUNK], names)
    return done


def texts_mark_unread() -> int:
    """Mark every text as waiting (a new reader, the LLM switched on or off, the competitor list changed)."""
    return sum(apps.get_model(label).objects.exclude(analysis_version="").update(analysis_version="")
               for label in MODELS)


def text_edited(item) -> None:
    """After a ticket or touchpoint was saved by hand (admin): read its text now."""
    type(item).objects.filter(pk=item.pk).update(analysis_version="")
    texts_read(item._meta.label, [item.pk])
