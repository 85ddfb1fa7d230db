"""How "Ask the book" reads a question typed in plain English or German (docs/pages.md#ask-the-book): an EHR
named as the customers' system ("Epic customers", "customers on Cerner") becomes the EHR filter, a time phrase
("since September", "seit März 2024", "in January", "last 30 days", "letzten 2 Wochen") the date range, a plural
source noun ("tickets", "calls", "Umfragen") the category, question and stop words are dropped, and what is left
— words and "quoted phrases" — is what the texts must contain. Nothing here touches the database: the EHR names
and today's date come from the caller."""

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MONTHS = {
    **{name: number for number, name in enumerate(
        "january february march april may june july august september october november december".split(), 1)},
    **{name: number for number, name in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    "sept": 9,
    **{name: number for number, name in enumerate(
        "januar februar märz april mai juni juli august september oktober november dezember".split(), 1)},
    "maerz": 3, "jänner": 1,
}
# Words that start a time phrase: from a moment on, up to one, within one.
SINCE = frozenset("since after from seit ab nach".split())
UNTIL = frozenset("until till before bis vor".split())
WITHIN = frozenset("in im during".split())
RECENT = frozenset("last past previous letzten letzte vergangenen vergangene".split())
UNITS = {"day": 1, "days": 1, "tag": 1, "tage": 1, "tagen": 1,
         "week": 7, "weeks": 7, "woche": 7, "wochen": 7,
         "month": 30, "months": 30, "monat": 30, "monate": 30, "monaten": 30,
         "year": 365, "years": 365, "jahr": 365, "jahre": 365, "jahren": 365}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "twelve": 12, "ein": 1, "einen": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4,
                "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "zwölf": 12}
# Nouns for the customers themselves: after an EHR name they make it the EHR filter ("Epic customers").
CUSTOMER_WORDS = frozenset("customer customers client clients account accounts practice practices site sites "
                           "hospital hospitals clinic clinics user users kunde kunden praxis praxen kliniken".split())
# Words before an EHR name that make it the customers' system ("customers on Epic", "Kunden mit Cerner").
ON_WORDS = frozenset("on using run running use uses auf nutzen nutzt".split())
# Plural source nouns: the category filter. A singular ("email notifications") stays a word to look for.
CATEGORY_WORDS = {"tickets": "ticket", "calls": "call", "e-mails": "email", "emails": "email", "mails": "email",
                  "meetings": "meeting", "notes": "note", "surveys": "survey", "qbrs": "qbr",
                  "anrufe": "call", "notizen": "note", "umfragen": "survey", "besprechungen": "meeting"}
STOP_WORDS = frozenset("""
a an the and or of to in on at by for with about from into over than then as is are was were be been being am do does
did done have has had having it its this that these those there their they them we our us you your i me my he she his
her what which who whom whose when where why how any some all each every no not yes so if but also just only ever
still anything something someone anyone anybody somebody mention mentions mentioned mentioning said say says saying
tell told talk talked talking about wrote write writes asked ask asks show list find give me please can could would
will should may might must let get got
welche welcher welches welchen wer wen wem was wann wo warum wie der die das den dem des ein eine einer eines einem
einen und oder zu zum zur mit von über bei für auf an am im in ist sind war waren hat haben hatte hatten es sie er
wir ihr ihre ihren unser unsere uns nicht kein keine auch noch schon nur alle jede jeder jedes etwas jemand bitte
zeige zeig liste finde erwähnt erwähnte erwähnten erwähnen gesagt sagt sagten sprach geschrieben schrieb
""".split()) | CUSTOMER_WORDS | SINCE | UNTIL
TOKEN = re.compile(r'["“„«»”]([^"“”„«»]+)["“”„«»]|(\d{4}-\d{2}-\d{2})|(\w+(?:[-\'’]\w+)*)')
MAX_WORDS = 12  # words of a question kept for the search; the rest are dropped (and said so)


@dataclass(frozen=True)
class Question:
    """What a question asks: the words and quoted phrases a text must contain, and the filters it named."""

    typed: str
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    ehr: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""
    understood: tuple[str, ...] = field(default=())  # what was read as a filter, in words, for the page

    @property
    def has_terms(self) -> bool:
        return bool(self.words or self.phrases)


@dataclass
class _Token:
    text: str
    lower: str
    phrase: bool = False
    used: bool = False


def parse_question(typed: str, *, ehr_names: Iterable[str], today: dt.date) -> Question:
    """The question's words, phrases and filters; `ehr_names` are the EHR systems the book's accounts run,
    `today` dates "since September" (the latest September up to today) and "last 30 days"."""
    tokens = [_Token(phrase or day or word, (phrase or day or word).lower(), phrase=bool(phrase))
              for phrase, day, word in TOKEN.findall(typed)]
    understood: list[str] = []
    ehr = _ehr_filter(tokens, {name.lower(): name for name in ehr_names if name.strip()})
    if ehr:
        understood.append(f"EHR: {ehr}")
    date_from, date_to = _dates(tokens, today)
    if date_from:
        understood.append(f"from {date_from:%-d %B %Y}")
    if date_to:
        understood.append(f"up to {date_to:%-d %B %Y}")
    category = ""
    for token in tokens:
        if not token.used and not token.phrase and token.lower in CATEGORY_WORDS and not category:
            category, token.used = CATEGORY_WORDS[token.lower], True
            understood.append(f"only {token.lower}")
    words = [t.text for t in tokens if not t.used and not t.phrase and t.lower not in STOP_WORDS
             and t.lower not in CATEGORY_WORDS]
    if len(words) > MAX_WORDS:
        understood.append(f"only the first {MAX_WORDS} words were looked for")
    return Question(typed=typed, words=tuple(dict.fromkeys(words[:MAX_WORDS])),
                    phrases=tuple(dict.fromkeys(t.text.strip() for t in tokens if t.phrase and t.text.strip())),
                    ehr=ehr, date_from=date_from, date_to=date_to, category=category, understood=tuple(understood))


def _ehr_filter(tokens: list[_Token], names: dict[str, str]) -> str:
    """The EHR named as the customers' system ("Epic customers", "customers on Epic"); the name is used up."""
    for index, token in enumerate(tokens):
        if token.phrase or token.lower not in names:
            continue
        after = tokens[index + 1].lower if index + 1 < len(tokens) else ""
        before = tokens[index - 1].lower if index else ""
        if after in CUSTOMER_WORDS or before in ON_WORDS:
            token.used = True
            if before in ON_WORDS:
                tokens[index - 1].used = True
            return names[token.lower]
    return ""


def _dates(tokens: list[_Token], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The date range the time phrases name; their words are used up."""
    date_from = date_to = None
    for index, token in enumerate(tokens):
        if token.used or token.phrase:
            continue
        rest = [t for t in tokens[index + 1:index + 4]]
        word = token.lower
        if word in RECENT:
            days = _recent_days(rest)
            if days:
                date_from = today - dt.timedelta(days=days[0])
                _use(token, *rest[:days[1]])
            continue
        if word not in SINCE | UNTIL | WITHIN or not rest:
            continue
        span = _moment(rest, today)
        if span is None:
            continue
        (first, last), length = span
        if word in SINCE:
            date_from = first
        elif word in UNTIL:
            date_to = first - dt.timedelta(days=1) if word in ("before", "vor") else last
        else:
            date_from, date_to = first, last
        _use(token, *rest[:length])
    return date_from, date_to


def _recent_days(rest: list[_Token]) -> tuple[int, int] | None:
    """"30 days", "two weeks", "month": how many days, and how many tokens said it."""
    if rest and rest[0].lower in UNITS:
        return UNITS[rest[0].lower], 1
    if len(rest) >= 2 and rest[1].lower in UNITS:
        count = int(rest[0].lower) if rest[0].lower.isascii() and rest[0].lower.isdigit() \
            else NUMBER_WORDS.get(rest[0].lower)
        if count and count <= 3650:
            return min(count * UNITS[rest[1].lower], 3650 * 5), 2
    return None


def _moment(rest: list[_Token], today: dt.date) -> tuple[tuple[dt.date, dt.date], int] | None:
    """A month (with or without its year), a year or a YYYY-MM-DD date at the start of `rest`: its first and
    last day, and how many tokens named it. A month without a year is the latest one that has begun by today."""
    word = rest[0].lower
    if word in MONTHS and not rest[0].phrase:
        month = MONTHS[word]
        year_token = rest[1].lower if len(rest) > 1 else ""
        if re.fullmatch(r"(19|20)\d\d", year_token):
            year, length = int(year_token), 2
        else:
            year, length = (today.year if month <= today.month else today.year - 1), 1
        return (dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])), length
    if re.fullmatch(r"(19|20)\d\d", word):
        year = int(word)
        return (dt.date(year, 1, 1), dt.date(year, 12, 31)), 1
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
        try:
            day = dt.date.fromisoformat(word)
        except ValueError:
            return None
        return (day, day), 1
    return None


def _use(*tokens: _Token) -> None:
    for token in tokens:
        token.used = True
