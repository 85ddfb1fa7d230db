"""Phrase rules that read cancellation intent and feature requests out of customer texts.

This is the scoring engine's own small detector for the `churn_intent` rule (SPEC §2a) and the
feature-request measure: explicit phrases, with the common negations ("we are not leaving",
"no plans to switch") ruled out. The database pre-filters texts by `CHURN_KEYWORDS` so only
candidates reach Python. The full text analyser (SPEC §2f) supersedes it when it lands.
"""

import re

# Words one of which every cancellation phrase below contains; used as a cheap SQL pre-filter.
CHURN_KEYWORDS: tuple[str, ...] = (
    "cancel", "renew", "switch", "alternative", "other option", "other vendor", "move off", "moving off",
    "moving to", "move to", "moved to", "terminate", "termination", "end our contract", "end the contract",
    "leave", "leaving", "justify the cost", "elsewhere", "competitor", "kündig", "wechseln", "anbieter",
)
FEATURE_REQUEST_KEYWORDS: tuple[str, ...] = (
    "feature request", "roadmap", "would love", "keeps asking for", "suggestion", "would be great if",
)

_INTENT = re.compile(
    r"""
    \b(?:plan(?:ning)?|want|going|need|decided|intend|have)\s+to\s+cancel\b
    | \bcancel(?:ling|ing)?\s+(?:our|the|my)\s+(?:subscription|contract|account|plan|licen[cs]es?|service)\b
    | \bjust\s+cancel\b
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
_FEATURE_REQUEST = re.compile("|".join(re.escape(k) for k in FEATURE_REQUEST_KEYWORDS), re.IGNORECASE)


def churn_intent_phrase(text: str) -> str | None:
    """The phrase of a text that signals cancellation intent, or None (negated mentions do not count)."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        match = _INTENT.search(sentence)
        if match and not _negated(sentence[: match.start()]):
            return match.group(0).strip()
    return None


def _negated(prefix: str) -> bool:
    """Whether one of the four words before a phrase negates it ("no plans to", "we're not")."""
    words = re.findall(r"[\w']+", prefix.lower())[-4:]
    return any(w in _NEGATORS or w.endswith("n't") for w in words)


def is_feature_request(text: str) -> bool:
    """Whether a text asks for a feature."""
    return _FEATURE_REQUEST.search(text) is not None
