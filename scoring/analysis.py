"""The built-in text analyser (SPEC §2f): offline, deterministic and fast. For one customer text (a ticket,
a call transcript, an e-mail) it returns a summary, a category, the sentiment, whether it voices churn
intent, a competitor it names, the recommended action and the evidence — which phrases decided.

- Churn intent: scoring.text_signals' phrase rules (English and German, negations and look-alikes such
  as "we are not leaving", "cancel the meeting" ruled out).
- Category: weighted keyword phrases per category (English and German); the strongest wins, churn intent
  makes it account/cancellation.
- Sentiment: VADER's lexicon (shipped in its wheel) for English, a small German word list for German.
- Competitor: a known competitor name (settings.ANALYSER_COMPETITORS), or the name after "moving to",
  "switching to", "wechseln zu".
"""

import re
from dataclasses import asdict, dataclass, field

from django.conf import settings

from scoring.text_signals import churn_intent_phrase, is_feature_request

ANALYSER_NAME = "builtin"
ANALYSER_VERSION = "1"
MAX_TEXT = 20_000  # characters analysed; longer texts are cut (and the cut recorded)
SUMMARY_LENGTH = 200

CATEGORIES = ("billing", "bug", "integration", "onboarding", "performance", "feature_request",
              "account_cancellation", "other")
CATEGORY_LABELS = {"billing": "Billing", "bug": "Bug", "integration": "Integration", "onboarding": "Onboarding",
                   "performance": "Performance", "feature_request": "Feature request",
                   "account_cancellation": "Account / cancellation", "other": "Other"}

# Phrase -> weight per category (lower-case; matched on word boundaries). German alongside English.
_CATEGORY_PHRASES: dict[str, dict[str, float]] = {
    "billing": {"invoice": 2, "billing": 2, "billed": 2, "charge": 1.5, "charged": 2, "refund": 2, "payment": 2,
                "credit card": 2, "price": 1, "pricing": 1.5, "overcharged": 3, "receipt": 1.5, "rechnung": 2,
                "zahlung": 2, "abbuchung": 2, "gutschrift": 2, "preis": 1, "kosten": 1},
    "bug": {"bug": 2, "error": 1.5, "crash": 2, "crashes": 2, "broken": 1.5, "doesn't work": 2,
            "does not work": 2, "not working": 2, "fails": 1.5, "failing": 1.5, "exception": 2, "glitch": 2,
            "wrong": 1, "500": 1, "fehler": 2, "funktioniert nicht": 2, "absturz": 2, "stürzt ab": 2},
    "integration": {"integration": 2.5, "sync": 2, "syncing": 2, "interface": 2, "hl7": 3, "fhir": 3, "api": 2,
                    "ehr": 2, "epic": 1.5, "cerner": 1.5, "allscripts": 1.5, "athenahealth": 1.5, "webhook": 2,
                    "connector": 2, "import": 1, "export": 1, "schnittstelle": 3, "synchronisation": 2.5},
    "onboarding": {"onboarding": 3, "training": 2, "set up": 1.5, "setup": 1.5, "getting started": 2.5,
                   "how do i": 1.5, "how to": 1, "new user": 1.5, "walkthrough": 2, "go-live": 2, "go live": 2,
                   "kickoff": 2, "einrichtung": 2.5, "schulung": 2.5, "einarbeitung": 2.5},
    "performance": {"slow": 2.5, "slowly": 2, "latency": 3, "timeout": 2.5, "timed out": 2.5, "lag": 2,
                    "loading": 1.5, "takes forever": 3, "performance": 2.5, "sluggish": 3, "spinning": 1.5,
                    "langsam": 2.5, "ladezeit": 3, "hängt": 2},
    "feature_request": {"feature request": 4, "would love": 2.5, "would be great if": 3, "wish": 1.5,
                        "could you add": 3, "please add": 3, "roadmap": 2, "suggestion": 2, "it would help": 2,
                        "any plans to": 2, "wunsch": 2, "wäre toll": 3, "bitte ergänzen": 3, "funktion": 1},
    "account_cancellation": {"cancel our subscription": 4, "cancellation": 3, "terminate": 2.5, "contract": 1,
                             "renewal": 1.5, "downgrade": 2, "close our account": 4, "kündigung": 3,
                             "kündigen": 3, "vertrag": 1},
}
_CATEGORY_PATTERNS = {
    category: [(re.compile(rf"(?<![\w]){re.escape(p)}(?![\w])", re.IGNORECASE), p, w) for p, w in phrases.items()]
    for category, phrases in _CATEGORY_PHRASES.items()
}
# Ties go to the category listed first.
_CATEGORY_ORDER = ("account_cancellation", "integration", "billing", "performance", "bug", "onboarding",
                   "feature_request")

_GERMAN_HINTS = re.compile(r"\b(und|nicht|wir|ist|das|die|der|bitte|mit|für|unser|kein|keine|sehr|danke)\b",
                           re.IGNORECASE)
_GERMAN_WORDS = {
    "gut": 1.5, "super": 2, "toll": 2, "zufrieden": 2, "danke": 1, "hilfreich": 1.5, "schnell": 1, "prima": 2,
    "schlecht": -2, "langsam": -1.5, "fehler": -1.5, "problem": -1.5, "probleme": -1.5, "ärgerlich": -2.5,
    "frustriert": -2.5, "frustrierend": -2.5, "enttäuscht": -2.5, "unzufrieden": -2.5, "katastrophe": -3,
    "funktioniert nicht": -2, "kündigen": -2, "leider": -1, "inakzeptabel": -3, "dringend": -1,
}
_GERMAN_NEGATION = re.compile(r"\b(nicht|kein|keine|nie)\s+(\w+)", re.IGNORECASE)

_SWITCH_TO = re.compile(
    r"\b(?:moving|move|switching|switch|migrating|migrate|going)\s+(?:over\s+)?to\s+([A-Z][\w-]+)"
    r"|\b(?:wechseln|umsteigen|gehen)\s+zu\s+([A-Z][\w-]+)")
_NOT_COMPETITORS = {"The", "A", "An", "Our", "Your", "Their", "This", "That", "Next", "Monday", "Tuesday",
                    "Wednesday", "Thursday", "Friday", "Epic", "Cerner", "Allscripts", "Athenahealth", "Einem",
                    "Einer", "Dem", "Der"}

ACTIONS = {
    "account_cancellation": "Call the customer today: hear the reasons for leaving, involve the account's executive "
                            "sponsor and prepare a retention offer.",
    "integration": "Open an integration ticket with engineering, confirm the failing interface with the customer "
                   "and share a fix timeline.",
    "billing": "Check the invoice and payment history, correct or explain the charge and confirm in writing.",
    "bug": "Reproduce the defect, link the engineering ticket and give the customer a workaround and a date.",
    "performance": "Collect timings and affected workflows, escalate to engineering and follow up with results.",
    "onboarding": "Offer a guided session and send the getting-started material for the workflows they asked about.",
    "feature_request": "Log the request on the roadmap board, tell the customer how it is prioritised and suggest "
                       "a workaround.",
    "other": "Acknowledge the message and follow up within one business day.",
}


@dataclass
class Evidence:
    kind: str  # churn_intent, category, sentiment, competitor
    phrase: str
    start: int
    end: int


@dataclass
class Analysis:
    summary: str
    category: str
    sentiment: float  # -1 (negative) .. 1 (positive)
    sentiment_label: str  # negative, neutral, positive
    churn_intent: bool
    intent_phrase: str
    competitor: str
    recommended_action: str
    language: str
    feature_request: bool
    evidence: list[Evidence] = field(default_factory=list)
    analyser: str = f"{ANALYSER_NAME}-{ANALYSER_VERSION}"
    note: str = ""  # e.g. why a provider fell back to the built-in analyser

    def as_dict(self) -> dict:
        return asdict(self)


_VADER = None


def _vader():
    global _VADER
    if _VADER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _VADER = SentimentIntensityAnalyzer()
    return _VADER


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitise(text: str) -> tuple[str, str]:
    """The text without NUL and control characters, cut to MAX_TEXT; with a note when it was cut."""
    text = _CONTROL.sub(" ", str(text or "")).replace("\u2019", "'").replace("\u2018", "'")
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], f"text cut to {MAX_TEXT:,} characters"
    return text, ""


def analyse(text: str) -> Analysis:
    """The structured reading of one customer text."""
    text, note = sanitise(text)
    evidence: list[Evidence] = []
    language = "de" if len(_GERMAN_HINTS.findall(text)) >= 2 else "en"
    phrase = churn_intent_phrase(text) or ""
    if phrase:
        start = text.lower().find(phrase.lower())
        evidence.append(Evidence("churn_intent", phrase, max(start, 0), max(start, 0) + len(phrase)))
    category, category_evidence = _category(text, churn=bool(phrase))
    evidence += category_evidence
    sentiment, sentiment_evidence = _sentiment(text, language)
    evidence += sentiment_evidence
    competitor, competitor_evidence = _competitor(text)
    evidence += competitor_evidence
    label = "negative" if sentiment <= -0.05 else "positive" if sentiment >= 0.05 else "neutral"
    return Analysis(
        summary=summarise(text), category=category, sentiment=round(sentiment, 3), sentiment_label=label,
        churn_intent=bool(phrase), intent_phrase=phrase[:200], competitor=competitor,
        recommended_action=ACTIONS["account_cancellation" if phrase else category], language=language,
        feature_request=is_feature_request(text) or category == "feature_request",
        evidence=sorted(evidence, key=lambda e: e.start), note=note)


def summarise(text: str) -> str:
    """The first sentence (or line) with content, cut to 200 characters at a word."""
    for piece in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
        piece = " ".join(piece.split())
        if len(piece) >= 12 and not re.fullmatch(r"(hi|hello|dear|hallo|guten tag)\b.*,?", piece, re.IGNORECASE):
            break
    else:
        piece = " ".join(text.split())
    if len(piece) <= SUMMARY_LENGTH:
        return piece
    return piece[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + "…"


def _category(text: str, churn: bool) -> tuple[str, list[Evidence]]:
    scores: dict[str, float] = {}
    found: dict[str, list[Evidence]] = {}
    for category, patterns in _CATEGORY_PATTERNS.items():
        for pattern, _phrase, weight in patterns:
            match = pattern.search(text)  # a phrase counts once
            if match:
                scores[category] = scores.get(category, 0.0) + weight
                found.setdefault(category, []).append(Evidence("category", match.group(0), match.start(),
                                                               match.end()))
    if churn:
        return "account_cancellation", found.get("account_cancellation", [])
    if not scores:
        return "other", []
    best = max(_CATEGORY_ORDER, key=lambda c: (scores.get(c, 0.0), -_CATEGORY_ORDER.index(c)))
    if scores.get(best, 0.0) < 1.5:
        return "other", []
    if best == "account_cancellation" and scores["account_cancellation"] < 3:
        # "contract" or "renewal" alone is not a cancellation: take the next strongest topic.
        rest = {c: v for c, v in scores.items() if c != "account_cancellation"}
        if rest and max(rest.values()) >= 1.5:
            best = max(rest, key=lambda c: (rest[c], -_CATEGORY_ORDER.index(c)))
        else:
            return "other", []
    return best, found.get(best, [])


def _sentiment(text: str, language: str) -> tuple[float, list[Evidence]]:
    if language == "de":
        lower = text.lower()
        negated = {m.group(2).lower() for m in _GERMAN_NEGATION.finditer(lower)}
        total, evidence = 0.0, []
        for word, weight in _GERMAN_WORDS.items():
            for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", lower):
                total += -weight if word in negated else weight
                evidence.append(Evidence("sentiment", text[match.start():match.end()], match.start(), match.end()))
        score = total / (abs(total) + 4) if total else 0.0  # squashed into -1..1 like VADER's compound
        return score, evidence[:5]
    scores = _vader().polarity_scores(text)
    evidence = []
    lexicon = _vader().lexicon
    for match in re.finditer(r"[A-Za-z']+", text):
        valence = lexicon.get(match.group(0).lower())
        if valence is not None and abs(valence) >= 1.5:
            evidence.append(Evidence("sentiment", match.group(0), match.start(), match.end()))
    return scores["compound"], evidence[:5]


def _competitor(text: str) -> tuple[str, list[Evidence]]:
    for name in getattr(settings, "ANALYSER_COMPETITORS", ()):
        match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        if match:
            return name, [Evidence("competitor", match.group(0), match.start(), match.end())]
    for match in _SWITCH_TO.finditer(text):
        name = match.group(1) or match.group(2)
        if name and name not in _NOT_COMPETITORS:
            start = match.start(1) if match.group(1) else match.start(2)
            return name, [Evidence("competitor", name, start, start + len(name))]
    return "", []
