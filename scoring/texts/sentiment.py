"""How positive or negative a customer text is, -1..1, in English and German: word valences (VADER's lexicon
for English, a small German list on the same -4..4 scale) summed over the tokens, with negation ("not good",
"nicht zufrieden"), intensifiers ("very", "sehr") and "but" ("aber", "however") handled as VADER does."""

import math
import re
from importlib import resources
from itertools import accumulate

from scoring.texts.reading import Evidence

# Words of support boilerplate that VADER rates but that say nothing about the writer's mood here
# ("please help", "support team", "we would like", "feel free").
_NEUTRAL_EN = frozenset({"please", "help", "support", "like", "free", "ok", "okay", "no", "cancel", "want", "yes",
                         "sure", "care", "kind", "hope", "pretty", "well", "true", "ready", "clear", "share",
                         "matter", "reach", "dear", "regards", "best", "certain", "interest", "interested"})


# Support words VADER lacks.
_SUPPORT_EN = {"slow": -1.5, "slower": -1.5, "sluggish": -1.8, "crash": -2.0, "crashes": -2.0, "crashed": -2.0,
               "crashing": -2.0, "outage": -2.0, "outages": -2.0, "unusable": -2.5, "errors": -1.7, "bugs": -1.5,
               "buggy": -2.0, "frustrating": -2.2, "unacceptable": -2.8, "disappointing": -2.2, "fails": -1.5,
               "failing": -1.5, "failed": -1.5, "lost": -1.3, "downtime": -1.8, "glitch": -1.5, "annoyed": -2.0,
               "annoying": -2.0, "angry": -2.3, "furious": -2.9, "smooth": 1.5, "smoothly": 1.5, "reliable": 1.9,
               "intuitive": 1.8, "recommend": 1.5}


def _english_lexicon() -> dict[str, float]:
    words = {}
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].isalpha() and parts[0] not in _NEUTRAL_EN:
            words[parts[0]] = float(parts[1])
    words["thanks"] = words["thank"] = 0.8  # mostly a sign-off
    words.update(_SUPPORT_EN)
    return words


_GERMAN = {
    "gut": 1.9, "gute": 1.9, "guten": 0.0, "super": 2.9, "toll": 2.8, "tolle": 2.8, "klasse": 2.6, "prima": 2.6,
    "zufrieden": 2.2, "sehr zufrieden": 2.6, "begeistert": 3.0, "hilfreich": 1.9, "schnell": 1.0, "danke": 0.8,
    "dank": 0.8, "vielen": 0.0, "freuen": 1.8, "freut": 1.8, "froh": 2.0, "glücklich": 2.6, "perfekt": 3.0,
    "hervorragend": 3.0, "ausgezeichnet": 3.0, "gelungen": 2.0, "empfehlen": 1.5, "lob": 2.0, "top": 2.0,
    "schlecht": -2.5, "schlechter": -2.5, "schlechte": -2.5, "langsam": -1.5, "fehler": -1.5, "problem": -1.5,
    "probleme": -1.5, "ärgerlich": -2.5, "ärgern": -2.3, "frustriert": -2.4, "frustrierend": -2.4, "frust": -2.2,
    "enttäuscht": -2.1, "enttäuschend": -2.3, "unzufrieden": -2.2, "katastrophe": -3.1, "katastrophal": -3.1,
    "leider": -1.0, "inakzeptabel": -2.8, "unzumutbar": -2.8, "unmöglich": -2.0, "dringend": -0.8,
    "kaputt": -2.0, "absturz": -2.0, "stürzt": -2.0, "ausfall": -1.8, "nervig": -2.2, "genervt": -2.2,
    "sauer": -2.0, "wütend": -2.8, "schlimm": -2.5, "mangelhaft": -2.3, "chaos": -2.0, "beschwerde": -1.8,
    "verärgert": -2.5, "unverschämt": -2.9, "ärger": -2.0, "falsch": -1.5, "falsche": -1.5, "sorge": -1.2,
    "sorgen": -1.2, "kritisch": -1.4, "kündigen": -1.0, "schade": -1.4, "zuverlässig": 1.9, "stabil": 1.2,
    "funktioniert": 0.0, "leid": -1.0,
}
_NEGATIONS = frozenset({"not", "no", "never", "without", "nor", "neither", "hardly", "barely", "cannot", "nothing",
                        "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont", "cant", "couldnt",
                        "wouldnt", "shouldnt", "havent", "hasnt", "nicht", "kein", "keine", "keinen", "keinem",
                        "keiner", "nie", "niemals", "ohne", "nichts", "kaum"})
_BOOSTERS = {"very": 0.293, "really": 0.293, "extremely": 0.293, "so": 0.2, "incredibly": 0.293, "totally": 0.293,
             "absolutely": 0.293, "completely": 0.293, "super": 0.293, "highly": 0.293, "sehr": 0.293,
             "wirklich": 0.293, "extrem": 0.293, "total": 0.293, "völlig": 0.293, "absolut": 0.293, "echt": 0.2,
             "äußerst": 0.293, "besonders": 0.2, "ziemlich": 0.1, "slightly": -0.293, "somewhat": -0.2,
             "etwas": -0.2, "kind": -0.2}
_BUT = frozenset({"but", "however", "aber", "jedoch", "allerdings", "doch"})
_SEPARATORS = re.compile(r"([^a-zäöüß']+)")  # split with the separators kept: token k is part 2k
_NEGATE_FACTOR = -0.74  # VADER's
_ALPHA = 15.0  # VADER's normalisation constant
_EVIDENCE_VALENCE = 1.5  # words at least this strong are shown as evidence
_EVIDENCE_MAX = 5

_LEXICON = {"en": _english_lexicon(), "de": _GERMAN}


def sentiment(text: str, language: str) -> tuple[float, list[Evidence]]:
    """The text's sentiment in -1..1 and the strongest words that carried it."""
    lexicon = _LEXICON["de" if language == "de" else "en"]
    parts = _SEPARATORS.split(text.lower())
    words = parts[0::2]
    get = lexicon.get
    hits = [(i, v) for i, w in enumerate(words) if (v := get(w))]
    if not hits:
        return 0.0, []
    but_at = -1
    if not _BUT.isdisjoint(words):
        but_at = next(i for i, w in enumerate(words) if w in _BUT)
    total = 0.0
    scored = []
    for i, valence in hits:
        before = words[max(0, i - 3):i]
        if before:
            booster = _BOOSTERS.get(before[-1], 0.0)
            if booster:
                valence += booster if valence > 0 else -booster
            if not _NEGATIONS.isdisjoint(before) or any(w.endswith("n't") for w in before):
                valence *= _NEGATE_FACTOR
        if but_at >= 0:
            valence *= 0.5 if i < but_at else 1.5
        total += valence
        scored.append((valence, i))
    exclamations = min(text.count("!"), 4) * 0.292
    if total:
        total += exclamations if total > 0 else -exclamations
    score = max(-1.0, min(1.0, total / math.sqrt(total * total + _ALPHA)))
    strongest = sorted((s for s in scored if abs(s[0]) >= _EVIDENCE_VALENCE), key=lambda s: -abs(s[0]))
    return score, _evidence(text, parts, sorted(i for _v, i in strongest[:_EVIDENCE_MAX]))


def _evidence(text: str, parts: list[str], indexes: list[int]) -> list[Evidence]:
    """Evidence for the tokens at these positions (parts as split by _SEPARATORS: token k is part 2k)."""
    if not indexes:
        return []
    offsets = [0, *accumulate(map(len, parts[: 2 * indexes[-1]]))]
    evidence = []
    for k in indexes:
        start = offsets[2 * k]
        end = start + len(parts[2 * k])
        evidence.append(Evidence("sentiment", text[start:end], start, end))
    return evidence
