"""Phrase rules that read cancellation intent and feature requests out of customer texts.

This is the scoring engine's own small detector for the `churn_intent` rule (SPEC §2a) and the
feature-request measure: explicit phrases, with the common negations ("we are not leaving",
"no plans to switch") ruled out. The database pre-filters texts by `CHURN_KEYWORDS` so only
candidates reach Python. The full text analyser (SPEC §2f) supersedes it when it lands.
"""

import re

import pandas as pd

# Words one of which every cancellation phrase below contains; used as a cheap SQL pre-filter.
CHURN_KEYWORDS: tuple[str, ...] = (
    "cancel", "renew", "switch", "alternative", "other option", "other vendor", "move off", "moving off",
    "moving to", "move to", "moved to", "terminate", "termination", "end our contract", "end the contract",
    "leave", "leaving", "justify the cost", "elsewhere", "competitor", "kündig", "wechseln", "anbieter",
)
FEATURE_REQUEST_KEYWORDS: tuple[str, ...] = (
    "feature request", "roadmap", "would love", "keeps asking for", "suggestion", "would be great if",
)

# "need to cancel the meeting" is about a calendar, not the contract.
_NOT_A_MEETING = (
    r"(?!\s+(?:the|our|my|this|that|a|an|today'?s|tomorrow'?s)\s+(?:[\w-]+\s+)?"
    r"(?:meeting|call|session|appointment|training|webinar|demo|visit|invite|order)s?\b)"
)
_INTENT = re.compile(
    rf"""
    \b(?:plan(?:ning)?|want|going|need|decided|intend|have)\s+to\s+cancel\b{_NOT_A_MEETING}
    | \bcancel(?:ling|ing)?\s+(?:our|the|my)\s+(?:subscription|contract|account|plan|licen[cs]es?|service)\b
    | \bwhy\s+(?:not|we\s+don'?t|don'?t\s+we)\s+just\s+cancel\b{_NOT_A_MEETING}
    | \bjust\s+cancel\b{_NOT_A_MEETING}
    | \bwon'?t\s+renew\b | \bwill\s+not\s+renew\b | \bnot\s+(?:going\s+to\s+)?renew(?:ing)?\b
    | \bcan'?t\s+recommend\s+renewing\b
    | \b(?:evaluating|looking\s+at|considering|exploring)\s+(?:other\s+options|alternatives|other\s+vendors)\b
    | \blook\s+at\s+alternatives\b
    | \bswitch(?:ing)?\s+to\s+(?:another|a\s+different|a\s+new)\s+(?:vendor|provider|platform|system)\b
    | \bmov(?:e|ing)\s+(?:off|away\s+from)\s+(?:the|your)\s+(?:platform|product|system)\b
    | \b(?:we'?re|we\s+are|we\s+will\s+be)\s+moving\s+to\s+(?-i:[A-Z]\w+)
    | \b(?:end|terminate)\s+(?:our|the|my)\s+contract\b
    | \btake\s+our\s+business\s+elsewhere\b
    | \bcan'?t\s+justify\s+the\s+cost\b | \bnot\s+sure\s+we\s+can\s+justify\s+the\s+cost\b
    | \b(?:vertrag|abo(?:nnement)?)\s+(?:zu\s+)?kündigen\b | \bkündigen\s+(?:den|unseren)\s+vertrag\b
    | \bzu\s+einem\s+anderen\s+anbieter\s+wechseln\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NEGATORS = frozenset({"not", "no", "never", "without", "nicht", "kein", "keine", "nie"})
# Contractions typed without the apostrophe ("we dont plan to cancel").
_BARE_CONTRACTIONS = frozenset({"dont", "doesnt", "didnt", "wont", "cant", "isnt", "arent", "wasnt", "werent",
                                "havent", "hasnt", "wouldnt", "shouldnt", "couldnt"})
# A negation right after these is a condition, not a denial ("if this isn't fixed we'll move off ...").
_CONDITIONALS = frozenset({"if", "unless"})
_FEATURE_REQUEST = re.compile("|".join(re.escape(k) for k in FEATURE_REQUEST_KEYWORDS), re.IGNORECASE)


def churn_intent_phrase(text: str) -> str | None:
    """The phrase of a text that signals cancellation intent, or None (negated mentions do not count)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")  # typographic apostrophes, as mail clients type
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        for match in _INTENT.finditer(sentence):
            if not _negated(sentence[: match.start()]):
                return match.group(0).strip()
    return None


def _negated(prefix: str) -> bool:
    """Whether one of the four words before a phrase negates it ("no plans to", "we're not"), unless
    that negation sits in an if/unless condition."""
    words = re.findall(r"[\w']+", prefix.lower())
    for i in range(max(0, len(words) - 4), len(words)):
        negator = words[i] in _NEGATORS or words[i] in _BARE_CONTRACTIONS or words[i].endswith("n't")
        if negator and not _CONDITIONALS.intersection(words[max(0, i - 2):i]):
            return True
    return False


def is_feature_request(text: str) -> bool:
    """Whether a text asks for a feature."""
    return _FEATURE_REQUEST.search(text) is not None


CASE_STUDY_KEYWORDS: tuple[str, ...] = ("case study", "testimonial", "reference call")
_CASE_STUDY = re.compile("|".join(re.escape(k) for k in CASE_STUDY_KEYWORDS), re.IGNORECASE)
_CHURN_CANDIDATE = re.compile("|".join(re.escape(k) for k in CHURN_KEYWORDS), re.IGNORECASE)

# The name stored with every analysed text (`analysed_with`). Change it whenever the rules above
# change, in a release whose migration empties `analysed_with` so every text is read again.
ANALYSER = "phrases-1"
INTENT_PHRASE_LENGTH = 200  # the stored phrase is cut to this length (the field's max_length)
SIGNAL_COLUMNS = ("intent_phrase", "feature_request", "case_study")


def analyse_text(subject: str, body: str) -> dict[str, object]:
    """The signals of one customer text (subject and body read as one text)."""
    text = f"{subject or ''}\n{body or ''}"
    phrase = churn_intent_phrase(text) if _CHURN_CANDIDATE.search(text) else None
    return {"intent_phrase": (phrase or "")[:INTENT_PHRASE_LENGTH], "feature_request": is_feature_request(text),
            "case_study": _CASE_STUDY.search(text) is not None}


def analyse_texts(subjects: pd.Series, bodies: pd.Series) -> pd.DataFrame:
    """`analyse_text` for many texts at once: the keyword tests run over the whole column, and only the
    texts that contain a cancellation keyword reach the phrase rules. Same index as the inputs."""
    text = subjects.fillna("").astype(str) + "\n" + bodies.fillna("").astype(str)
    candidates = text[text.str.contains(_CHURN_CANDIDATE, na=False)]
    phrases = pd.Series("", index=text.index, dtype=object)
    if len(candidates):
        found = candidates.map(churn_intent_phrase)
        phrases.loc[found.index] = found.fillna("").str.slice(0, INTENT_PHRASE_LENGTH)
    return pd.DataFrame({
        "intent_phrase": phrases,
        "feature_request": text.str.contains(_FEATURE_REQUEST, na=False).astype(bool),
        "case_study": text.str.contains(_CASE_STUDY, na=False).astype(bool),
    }, index=text.index)
