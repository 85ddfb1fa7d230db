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
ANALYSER_VERSION = "2"
MAX_TEXT = 20_000  # characters analysed; longer texts are cut (and the cut recorded)
SUMMARY_LENGTH = 200

CATEGORIES = ("billing", "bug", "integration", "onboarding", "performance", "feature_request",
              "account_cancellation", "other")
CATEGORY_LABELS = {"billing": "Billing", "bug": "Bug", "integration": "Integration", "onboarding": "Onboarding",
                   "performance": "Performance", "feature_request": "Feature request",
                   "account_cancellation": "Account / cancellation", "other": "Other"}

# Phrase -> weight per category (lower-case; matched on word boundaries): English, then German. General
# topic words, measured with `manage.py evaluate_analyzer`; a phrase copied from one text overfits.
_CATEGORY_PHRASES: dict[str, dict[str, float]] = {
    "billing": {"invoice": 2, "invoices": 2, "invoiced": 2, "billing": 2, "billed": 2, "bill": 1.5, "charge": 1.5,
                "charged": 2, "charges": 1.5, "refund": 2, "payment": 2, "payments": 2, "payment method": 2,
                "paid": 1.5, "pay": 1, "credit card": 2, "price": 1.5, "prices": 1.5, "pricing": 1.5,
                "price increase": 2, "cost": 1.5, "costs": 1.5, "fee": 1.5, "fees": 1.5, "quote": 2, "discount": 2,
                "overcharged": 3, "receipt": 1.5, "seats": 1.5, "per seat": 2, "per-seat": 2, "per provider": 1.5,
                "prorated": 2, "tax": 1.5, "sales tax": 3, "ach": 2, "bank": 1, "po number": 2, "multi-year": 1.5,
                "annual": 1, "monthly": 1, "add-on": 1, "order": 1, "ordered": 1,
                "rechnung": 2, "rechnungen": 2, "zahlung": 2, "abbuchung": 2, "lastschrift": 2, "lastschriftmandat": 2,
                "bankverbindung": 2, "gutschrift": 2, "preis": 1.5, "preise": 1.5, "preiserhöhung": 2, "kosten": 1.5,
                "kostet": 2, "rabatt": 2, "angebot": 1.5, "lizenzen": 1.5, "tarif": 2, "pro nutzer": 1.5,
                "buchhaltung": 1.5, "bezahlt": 1.5, "bestellung": 1},
    "bug": {"bug": 2, "error": 2, "errors": 2, "error message": 2, "crash": 2, "crashes": 2, "crashed": 2, "broken": 2,
            "doesn't work": 2, "does not work": 2, "not working": 2, "isn't working": 2, "won't accept": 2,
            "does nothing": 2, "fails": 1.5, "failing": 1.5, "failed": 1.5, "exception": 2, "glitch": 2, "wrong": 1.5,
            "twice": 1.5, "three times": 1, "duplicate": 1, "not saved": 2, "missing": 1, "lost": 1.5, "logged out": 2,
            "logged everyone out": 2, "404": 2, "500": 1, "fix": 1.5, "release": 1, "since the update": 1,
            "hour off": 2, "blank": 1.5, "reverting": 1.5, "fixed": 1.5,
            "fehler": 2, "fehlermeldung": 2.5, "funktioniert nicht": 2, "stürzt": 2, "absturz": 2, "falsch": 1.5,
            "falsche": 1.5, "falschen": 1.5, "doppelt": 1.5, "fehlen": 1.5, "fehlt": 1.5, "trotzdem": 1,
            "blockiert": 1.5, "beheben": 1.5, "behoben": 1.5, "seit dem update": 1},
    "integration": {"integration": 2.5, "sync": 2, "synced": 2, "syncing": 2, "interface": 2, "interface engine": 3,
                    "hl7": 3, "fhir": 3, "api": 2, "api key": 2.5, "ehr": 2, "epic": 1.5, "cerner": 1.5,
                    "allscripts": 1.5, "athenahealth": 1.5, "meditech": 1.5, "nextgen": 1.5, "eclinicalworks": 1.5,
                    "webhook": 2, "connector": 2, "endpoint": 2, "endpoints": 2, "feed": 2, "adt": 2.5, "siu": 2.5,
                    "single sign-on": 3, "sso": 3, "azure ad": 2.5, "saml": 3, "direct messaging": 2.5, "vpn": 2,
                    "data warehouse": 2, "lab results": 2, "mapped": 1.5, "mapping": 1.5, "import": 1, "export": 1,
                    "schnittstelle": 3, "synchronisation": 2.5, "anbindung": 2.5, "kis": 2.5,
                    "praxisverwaltungssystem": 2.5, "pvs": 2.5, "gdt": 3, "kim": 2, "arztbrief": 2, "arztbriefe": 2,
                    "befunde": 2, "labor": 1.5},
    "onboarding": {"onboarding": 3, "training": 2, "train": 2, "trained": 2, "set up": 1.5, "setup": 1.5,
                   "getting started": 2.5, "how do i": 1.5, "how do we": 1.5, "how to": 1, "where do i": 2,
                   "setting": 1, "settings": 1, "guide": 1.5, "video": 1, "new user": 1.5, "new users": 1.5,
                   "new staff": 2, "walkthrough": 2, "go-live": 2, "go live": 2, "kickoff": 2, "kick-off": 2,
                   "implementation": 2, "best way": 1, "fastest way": 1,
                   "einrichtung": 2.5, "einrichten": 2.5, "richten sie": 2, "schulung": 2.5, "einarbeitung": 2.5,
                   "einführung": 2.5, "wie kann ich": 2, "wie lege ich": 2.5, "anlegen": 2, "anlegt": 2,
                   "checkliste": 1.5, "wo finde ich": 2, "wo stelle ich": 2, "wie stelle ich": 2},
    "performance": {"slow": 2.5, "slowly": 2, "slower": 2, "latency": 3, "timeout": 2.5, "timeouts": 2.5,
                    "timed out": 2.5, "timing out": 2.5, "is down": 2.5, "lag": 2, "loading": 1.5, "to load": 2,
                    "takes forever": 3, "performance": 2.5, "sluggish": 3, "spinning": 1.5, "downtime": 3,
                    "outage": 2.5, "outages": 2.5, "late": 1.5, "delay": 2, "delayed": 2, "freezes": 2, "frozen": 2,
                    "seconds": 1.5, "minute": 1.5, "minutes": 1.5,
                    "langsam": 2.5, "langsamen": 2.5, "ladezeit": 3, "ladezeiten": 3, "lädt": 2, "hängt": 2,
                    "verspätung": 2.5, "verspätet": 2.5, "ausfall": 2, "ausfälle": 2, "dauert": 1.5, "minuten": 1.5,
                    "sekunden": 1.5, "nicht erreichbar": 2.5},
    "feature_request": {"feature request": 4, "feature": 2, "would love": 2.5, "we'd love": 2.5, "would be great if": 3,
                        "would be great": 3, "could you offer": 2.5, "can you offer": 2.5, "would be nice": 2.5,
                        "it would help": 2, "would help": 2, "would really help": 2, "the ability to": 2, "wish": 1.5,
                        "could you add": 3, "can you add": 3, "please add": 3, "add a way": 3, "roadmap": 2,
                        "suggestion": 2, "any plans to": 2, "keep asking for": 3, "keeps asking for": 3,
                        "keeps asking": 2.5, "is there a way": 1.5, "an option to": 2, "let users": 2, "allow users": 2,
                        "allow us to": 2, "any chance": 2, "will you add": 2.5, "you'll add": 2.5, "automatically": 1,
                        "wunsch": 2, "wäre toll": 3, "wäre gut": 3, "wäre schön": 3, "wäre hilfreich": 3,
                        "schön wäre": 3, "wäre super": 3, "hätten gern": 2.5, "hätten gerne": 2.5, "bitte ergänzen": 3,
                        "ergänzen": 2, "bieten sie": 1.5, "einbauen": 2.5, "funktion": 1, "möglichkeit": 1.5,
                        "automatisch": 1},
    "account_cancellation": {"cancel our subscription": 4, "cancellation": 1.5, "terminate": 2.5, "contract": 1,
                             "renewal": 1.5, "downgrade": 3, "notice period": 3, "close our account": 4,
                             "transfer": 1.5, "contract term": 2,
                             "kündigung": 3, "kündigungsfrist": 3, "kündigen": 1.5, "vertrag": 1, "verlängerung": 1.5,
                             "übertragen": 1.5, "kleineres paket": 2, "mindestlaufzeit": 3, "vertragslaufzeit": 3,
                             "laufzeit": 2},
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


_SENTENCE_END = re.compile(r"(?<=[^\W\d][.!?])\s+(?=[A-ZÄÖÜ0-9\"'(])|\n+")
_GREETING = re.compile(r"(hi|hello|dear|hallo|liebe[rs]?|guten\s+tag|sehr\s+geehrte[rs]?)\b[^.!?]{0,40}[,!:]?",
                       re.IGNORECASE)


def summarise(text: str) -> str:
    """The first sentence (or line) with content — a greeting line alone is skipped; a date such as
    "zum 1. Juli" does not end a sentence — cut to 200 characters at a word."""
    for piece in _SENTENCE_END.split(text.strip()):
        piece = " ".join(piece.split())
        if len(piece) >= 12 and not _GREETING.fullmatch(piece):
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
