"""A short summary of a customer text: its most informative sentences — those carrying the most important
evidence — not simply the first; greetings, sign-offs, signatures and quoted replies are skipped."""

import re
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

from scoring.texts.reading import Evidence

SUMMARY_LENGTH = 200
_KIND_WEIGHT = {"churn_intent": 16.0, "competitor": 8.0, "fact": 4.0, "category": 2.0, "sentiment": 1.0}
# A sentence ends at . ! ? followed by a space, or at a line break; not after a title or a German ordinal.
_SENTENCE = re.compile(r"[^\n.!?]*(?:(?:(?<=\bDr)|(?<=\bMr)|(?<=\bMs)|(?<=\bMrs)|(?<=\bProf)|(?<=\b\d)|(?<=\b\d\d)|"
                       r"(?<=\bca)|(?<=\bz\.B)|(?<=\bbzw))\.[^\n.!?]*)*[.!?]*")
_GREETING = re.compile(
    r"\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|hallo|liebe[rs]?|guten\s+(?:tag|morgen|abend)|"
    r"sehr\s+geehrte[rs]?|moin|servus)\b[^.!?]{0,50}[,!:]?\s*$|\s*(?:i\s+hope\s+(?:you|this)|hope\s+you|"
    r"ich\s+hoffe|thanks?\s+(?:you\s+)?(?:for|so\s+much)|vielen\s+dank\s+(?:für|im\s+voraus))\b[^.!?]*[.!?]?\s*$",
    re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"\s*(?:best|kind|warm)?\s*(?:regards|wishes|cheers|thanks|thank\s+you|sincerely|viele\s+grüße|"
    r"(?:mit\s+)?(?:freundlichen|besten|herzlichen|liebe)\s+grüßen?|grüße|gruß|vg|lg|mfg)\b",
    re.IGNORECASE)
_QUOTE_START = re.compile(r"^\s*>|^-{2,}\s*(?:original|ursprüngliche)|^on\s.{0,80}\swrote:|^am\s.{0,80}\sschrieb",
                          re.IGNORECASE | re.MULTILINE)
_MIN_LENGTH = 12


def summarise(text: str, evidence: Sequence[Evidence]) -> str:
    """At most 200 characters: the sentence with the weightiest evidence, and a second informative one in
    text order if room remains; cut at a word with "…"."""
    quoted = _QUOTE_START.search(text)
    body_end = quoted.start() if quoted else len(text)
    weighted = sorted((e.start, _KIND_WEIGHT.get(e.kind, 0.5)) for e in evidence)
    starts = [start for start, _weight in weighted]
    totals = [0.0, *accumulate(weight for _start, weight in weighted)]  # totals[i]: weight of the first i
    sentences = []  # (score, start, end)
    for match in _SENTENCE.finditer(text, 0, body_end):
        start, end = match.span()
        piece = match.group()
        if len(piece.strip()) < _MIN_LENGTH or _GREETING.match(piece) or _SIGN_OFF.match(piece):
            if _SIGN_OFF.match(piece) and len(piece.strip()) < 40 and sentences:
                break  # what follows a sign-off is a signature
            continue
        score = totals[bisect_left(starts, end)] - totals[bisect_left(starts, start)] if starts else 0.0
        sentences.append((score, start, end))
    if not sentences:
        return _cut(" ".join(text[:body_end].split()) or " ".join(text.split()))
    ranked = sorted(sentences, key=lambda s: (-s[0], s[1]))
    best = ranked[0]
    chosen = [best]
    first = _clean(text[best[1]:best[2]])
    if len(first) < SUMMARY_LENGTH - 40:
        for other in ranked[1:]:
            if other[0] <= 0 and best[0] > 0:
                break
            if len(first) + 1 + len(_clean(text[other[1]:other[2]])) <= SUMMARY_LENGTH:
                chosen.append(other)
                break
    return _cut(" ".join(_clean(text[s:e]) for _score, s, e in sorted(chosen, key=lambda c: c[1])))


def _clean(piece: str) -> str:
    return " ".join(piece.split())


def _cut(summary: str) -> str:
    if len(summary) <= SUMMARY_LENGTH:
        return summary
    return summary[:SUMMARY_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
