"""Two flags a CSM acts on: a customer asking for something the product lacks (a feature request), and a
mention of a case study, testimonial or reference call.

One regex over the lower-cased text finds both. Its branches start at rare letters (a phrase whose first word
starts with a common letter is anchored at a rarer letter inside it, with a lookbehind for what precedes), so
the engine passes over most positions of a text without trying a branch: the pattern is its own pre-test."""

import re
from functools import lru_cache

from scoring.texts.patterns import by_first_letter, lower_same_length
from scoring.texts.reading import Evidence

_OBJECT = (r"(?:an?\s+|the\s+|some\s+)?(?:option|way|feature|setting|field|button|filter|column|report|view|toggle|"
           r"export|integration|support\s+for|ability)")
_ASK = r"\s+(?:guys\s+)?(?:also\s+)?(?:(?:add|build|offer|support|include|provide|implement)\s+" + _OBJECT + \
       r"|(?:add|build|offer|implement)\b)"
_LOVE = rf"(?:really\s+|also\s+)?(?:love|like)\s+(?:to\s+(?:have|see|get)|{_OBJECT})"
_NICE = r"(?:be\s+)?(?:really\s+|so\s+|very\s+)?(?:great|nice|helpful|useful|awesome|good)\s+(?:if|to\s+have)\b"
_HELP = r"(?:really\s+)?help\s+(?:us\s+)?(?:a\s+lot\s+)?if\b"
_LACK = r"(?:yet\s+)?(?:support|offer|have)\s+(?:an?\s+)?(?:option|way|feature|setting|ability)"
_PLAN = r"(?:to|you'?ll|that\s+you)\s+(?:add|build|support|offer|implement)"
_SCHÖN = r"(?:schön|toll|gut|super|hilfreich|praktisch|klasse|prima|cool)\b"
_DE_BUILD = r"[^.?!]{0,60}\b(?:ergänzen|einbauen|hinzufügen|anbieten|umsetzen|einführen|aufnehmen|integrieren)\b"

_FEATURE_BRANCHES = (
    r"feature\s+requests?\b(?!\s+(?:was|has\s+been)\s+(?:shipped|released|delivered))",
    r"feature-?wunsch", r"funktionswunsch\w*", r"verbesserungsvorschl\w*",
    rf"would\s+(?:{_LOVE}|{_NICE}|{_HELP})", rf"'d(?<=\w'd)\s+{_LOVE}",
    r"would\s+(?:really\s+|also\s+)?love\s+(?:an?|some|it\s+if|if)\b",
    r"'d(?<=\w'd)\s+love\s+(?:an?|some|it\s+if|if)\b",
    r"suggestion(?=\s*[:\u2013-])", r"vorschlag(?=\s*[:\u2013-])",
    rf"p(?:lease|ls)\s+(?:also\s+)?(?:add|build|offer|support|include|provide|implement)\s+{_OBJECT}",
    r"you(?:" + "|".join(rf"(?<=\b{ask}\syou)" for ask in ("could", "can", "would", "will")) + f"){_ASK}",
    rf"you'?ll{_ASK}",
    r"plan(?<=\bany\splan)s?\s+" + _PLAN, r"chance(?<=\bany\schance)\s+" + _PLAN,
    r"map(?:" + "|".join(rf"(?<=\b{on}\s{the}\sroadmap)" for on, the in (
        ("on", "the"), ("in", "the"), ("on", "your"), ("in", "your"), ("auf", "der"), ("auf", "ihrer"),
        ("auf", "eurer"))) + r")\b",
    r"wish(?<=\bi\swish)\s+(?:the|there|we|it|you|i)\b", r"wish(?<=\bwe\swish)\b",
    r"keeps?\s+asking\s+for\b", r"kept\s+asking\s+for\b",
    rf"'t(?<=\bdoesn't)\s+{_LACK}", rf"'t(?<=\bdon't)\s+{_LACK}",
    r"äre(?:" + "|".join(rf"(?<=\b{word}\swäre)" for word in (
        "schön", "toll", "gut", "super", "hilfreich", "praktisch", "klasse", "prima", "cool")) + r")\b",
    rf"wäre?\s+(?:es\s+)?(?:doch\s+|wirklich\s+|sehr\s+)?{_SCHÖN}",
    r"wir\s+wünschen\s+uns\b", r"ätten(?<=\bhätten)\s+gerne?\b",
    rf"bitte\b{_DE_BUILD}", rf"können\s+sie\b{_DE_BUILD}", rf"könnten\s+sie\b{_DE_BUILD}",
    rf"könnt\s+ihr\b{_DE_BUILD}", rf"könntet\s+ihr\b{_DE_BUILD}",
    r"pläne(?<=\bgibt\ses\spläne)\b",
)
_CASE_STUDY_BRANCHES = (
    r"case\s+stud(?:y|ies)\b", r"monial(?<=\btestimonial)s?\b", r"ccess(?<=\bsuccess)\s+stor(?:y|ies)\b",
    r"ference(?<=\breference)\s+(?:call|customer|site|account)s?\b",
    r"ference(?:" + "|".join(rf"(?<=\b{be}\s{a}\sreference)" for be in ("be", "as") for a in ("a", "an")) + r")\b",
    r"ferenz(?<=\breferenz)(?:kund|gespräch)\w*", r"fahrungsbericht(?<=\berfahrungsbericht)\w*", r"fallstudie\w*",
    r"wenderbericht(?<=\banwenderbericht)\w*", r"kundenstimme\w*",
)
_SIGNAL = re.compile(by_first_letter(_FEATURE_BRANCHES + _CASE_STUDY_BRANCHES))
_CASE_STUDY = re.compile(by_first_letter(_CASE_STUDY_BRANCHES))


def feature_request(text: str) -> Evidence | None:
    """The phrase by which the customer asks for something the product does not do, or None."""
    return signals(text)[0]


def case_study(text: str) -> Evidence | None:
    """A mention of a case study, testimonial, reference call or reference customer, or None."""
    return signals(text)[1]


@lru_cache(maxsize=1)
def signals(text: str) -> tuple[Evidence | None, Evidence | None]:
    """The first feature request (evidence of kind "category") and the first case-study mention (kind
    "evidence") in the text, each None when absent; one scan serves both (the reader asks for both in turn)."""
    lower = lower_same_length(text)
    request = study = None
    for match in _SIGNAL.finditer(lower):
        start, end = match.span()
        while start and lower[start - 1].isalpha():
            start -= 1  # a phrase anchored inside a word ("you", "wäre") shows from the word's start
        if _CASE_STUDY.match(lower, match.start()):
            study = study or Evidence("evidence", text[start:end], start, end)
        else:
            request = request or Evidence("category", text[start:end], start, end)
        if request and study:
            break
    return request, study

