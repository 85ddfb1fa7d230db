"""Who and what a customer text names: competitors (from a known list and from competitive context such as
"a demo from X" or "zu X wechseln") and the facts a CSM needs (days to renewal, money, seats, the EHR)."""

import re
from collections.abc import Sequence

from scoring.texts.names import EHRS, SYSTEMS
from scoring.texts.patterns import alternation
from scoring.texts.reading import Evidence, Facts

# Capitalised words that follow "to", "from", "von", "zu" without being a vendor: titles, pronouns, months,
# weekdays, German nouns common in these phrases.
_NOT_NAMES = frozenset(s.lower() for s in (
    "Dr", "Mr", "Mrs", "Ms", "Prof", "Frau", "Herr", "Herrn", "Sie", "Ihnen", "Ihr", "Ihre", "Ihrer", "Ihrem",
    "Ihren", "Euch", "Uns", "I", "We", "You", "They", "He", "She", "It", "The", "A", "An", "Our", "Your", "Their",
    "This", "That", "These", "Those", "Next", "Last", "Yes", "No", "Hi", "Hello", "Thanks", "Please", "And", "Or",
    "But", "So", "If", "When", "Then", "Also", "Der", "Die", "Das", "Den", "Dem", "Des", "Ein", "Eine", "Einen",
    "Einem", "Einer", "Wir", "Ich", "Und", "Oder", "Aber", "Bitte", "Danke", "January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October", "November", "December", "Januar", "Februar",
    "März", "Mai", "Juni", "Juli", "Oktober", "Dezember", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
    "Beginn", "Anfang", "Ende", "Mitte", "Papier", "Excel", "Hand", "Stift", "Fax", "Telefon", "Paper", "Q1",
    "Q2", "Q3", "Q4", "Jahr", "Jahresende", "Monatsende", "Quartal", "Quarter", "Year", "Vertrag", "Kunde",
    "Kunden", "Anbieter", "Vendor", "Vendors", "Team", "Sales", "Support", "Demo", "Angebot", "Quote", "Management",
    "Board", "Geschäftsführung", "Praxis", "Klinik", "Clinic", "Hospital", "Lab", "Labor", "Version", "Plan",
    "Enterprise", "Premium", "Basic", "Pro", "Standard", "Tarif", "Paket", "Modul", "Module", "Monat", "Woche",
    "Wochen", "Tage", "Tagen", "Days", "Weeks", "Months", "Lösung", "Software", "System", "Systeme", "Plattform",
    "Platform", "Alternative", "Alternativen", "Wettbewerber", "Konkurrenz", "Competitor", "Competitors",
    "Everyone", "Nobody", "Someone", "Anyone", "Other", "Another", "Others", "Them", "Him", "Her", "Us", "Me",
    "Termin", "Termine", "Appointments", "Appointment", "Meeting", "Dark", "Light", "View", "Mode"))
_TITLE_BEFORE = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|Frau|Herrn?|Dear|Liebe[rs]?)\.?\s+)$")

_NAME = r"(?-i:[A-Z][\w&.-]*[\w&]|[a-z]+[A-Z][\w&-]*)"  # "Klinikon", "NovaChart", "athenahealth" only via list
_ARTICLE = r"(?:(?:the|die|der|den|dem)\s+)?"
# A name introduced by competitive context; group "name" is the vendor, group "more" may list further names
# ("evaluating X, Y and Z"). Each rule is tried only where one of its trigger words starts (_TRIGGER, on the
# lower-cased text), so ordinary text costs one scan.
_MORE = rf"(?P<more>(?:\s*,\s*{_NAME}|\s+(?:and|or|und|oder|&)\s+{_NAME}){{0,4}})"
_AFTER_TRIGGER = re.compile(
    rf"""(?:
      (?:demos?|quotes?|offers?|proposals?|pricing|bids?|pitch|presentation|angebote?|präsentation|vorführung|
         kostenvoranschlag)\s+(?:from|by|von|vom)\s+{_ARTICLE}(?P<offer>)
    | (?:evaluating|evaluate|considering|consider|trialling|trialing|trial|testing|piloting|comparing|compare|
         compared\s+(?:to|with)|comparison\s+with|looking\s+at|talking\s+to|talked\s+to|meeting\s+with|
         vs\.?|versus|instead\s+of\s+you,?|testen|vergleichen|prüfen|evaluieren|verglichen\s+mit|vergleich\s+mit|
         gespräche\s+mit)\s+
    | (?:mov(?:e|ing|ed)|switch(?:ing|ed)?|migrat(?:e|ing|ed)|chang(?:e|ing|ed)|transition(?:ing|ed)?|go(?:ing)?\s+over|
         went\s+over)\s+(?:over\s+)?(?:from\s+\S+\s+)?to\s+
    | (?:signed|sign|signing|go(?:ing)?\s+with|went\s+with|chose|choose|picked|selected|decided\s+on)\s+
         (?:(?:a\s+)?(?:contract|deal|agreement)\s+)?(?:with\s+)?
    | wechseln\s+(?:\S+\s+){{0,3}}?zu\s+
    | steigen\s+(?:\S+\s+){{0,3}}?auf\s+
    | (?:leav(?:e|ing)|replac(?:e|ing)|drop(?:ping)?|dump(?:ing)?|verlassen|ersetzen)\s+(?:you|us|your\s+\w+|sie|
         healthcs)\s+(?:for|with|durch|für)\s+(?P<leaving>)
    )(?P<name>{_NAME}|(?(leaving)[\w-]+|(?!)))(?:(?<=\w)\s+um\b)?{_MORE}""",
    re.IGNORECASE | re.VERBOSE,
)
_NAME_THEN_WORDS = ("umsteigen", "umzusteigen", "umstellen", "entschieden", "entscheiden", "offered", "quoted",
                    "pitched", "cheaper", "cost less", "costs less", "hat uns", "günstiger", "bietet")
_TRIGGER = re.compile(r"\b(?:" + alternation((
    "demo", "quote", "offer", "proposal", "pricing", "bid", "pitch", "presentation", "angebot", "präsentation",
    "vorführung", "kostenvoranschlag", "evaluat", "consider", "trial", "testing", "piloting", "compar", "looking at",
    "talking to", "talked to", "meeting with", "vs", "versus", "instead of you", "testen", "vergleich", "prüfen",
    "evaluieren", "verglichen", "gespräche mit", "mov", "switch", "migrat", "chang", "transition", "go over",
    "going over", "went over", "sign", "go with", "going with", "went with", "chose", "choose", "picked",
    "selected", "decided on", "wechseln", "steigen", "leav", "replac", "drop", "dump", "verlassen", "ersetzen",
    *_NAME_THEN_WORDS)) + ")")
# "zu X wechseln", "auf X umsteigen", "für X entschieden", "X offered us", "X is cheaper": the name comes first.
_NAME_THEN = re.compile(
    rf"(?:\b(?:zu|auf|für)\s+)?(?P<name>{_NAME})\s+(?:(?:zu\s+)?(?:wechseln|umsteigen|umzusteigen|umstellen|"
    rf"entschieden|entscheiden)\b|(?:has\s+)?(?:offered|quoted|pitched)\b|(?:is|are)\s+(?:much\s+|way\s+|a\s+lot\s+)?"
    rf"cheaper\b|costs?\s+less\b|hat\s+uns\b|(?:ist\s+)?(?:deutlich\s+|viel\s+)?günstiger\b|bietet\b)",
    re.IGNORECASE)
_NAME_LIST = re.compile(rf"{_NAME}")
_AND_NAME = re.compile(rf"\s*(?:,|and|und|or|oder|&)\s*(?P<name>{_NAME})\b")


def competitors(text: str, *, known: Sequence[str], own_names: Sequence[str] = ("HealthCS",)
                ) -> list[tuple[str, Evidence]]:
    """Every competitor the text names, once each, in order of first mention: names on the known list
    (case-insensitive, whole words, in the list's spelling) and capitalised names in competitive context."""
    lower = text.lower()
    own = {n.lower() for n in own_names}
    found: dict[str, tuple[int, str, Evidence]] = {}  # lower-case name -> (position, spelling, evidence)

    def add(name: str, start: int, leaving: bool = False, offer: bool = False) -> None:
        key = name.lower()
        if key in own or key in found or key in _NOT_NAMES or (key in SYSTEMS and not (leaving or offer)):
            return
        if leaving and not (name[0].isupper() or key in SYSTEMS):
            return
        if _TITLE_BEFORE.search(text, max(0, start - 8), start):
            return
        found[key] = (start, name, Evidence("competitor", text[start:start + len(name)], start, start + len(name)))

    for name in known:
        key = name.lower()
        if not key or key in own:
            continue
        position = lower.find(key)
        while position >= 0:
            end = position + len(key)
            if (position == 0 or not lower[position - 1].isalnum()) and (end == len(lower) or
                                                                          not lower[end].isalnum()):
                found.setdefault(key, (position, name, Evidence("competitor", text[position:end], position, end)))
                break
            position = lower.find(key, position + 1)
    for _start, _spelling, evidence in list(found.values()):  # "X and Y" after a competitor names one more
        match = _AND_NAME.match(text, evidence.end)
        if match:
            add(match.group("name"), match.start("name"))
    for trigger in _TRIGGER.finditer(lower):
        if trigger.group() in _NAME_THEN_WORDS or trigger.group() == "wechseln":
            for match in _NAME_THEN.finditer(text, max(0, trigger.start() - 40), trigger.end()):
                if match.start("name") == match.start() or match.group(0)[:3].lower() in ("zu ", "auf", "für"):
                    add(match.group("name"), match.start("name"))
        match = _AFTER_TRIGGER.match(text, trigger.start())
        if match:
            add(match.group("name"), match.start("name"), leaving=match.group("leaving") is not None,
                offer=match.group("offer") is not None)
            for name in _NAME_LIST.finditer(match.group("more")):
                add(name.group(), match.start("more") + name.start())
    return [(spelling, evidence) for _p, spelling, evidence in sorted(found.values(), key=lambda f: f[0])]



MAX_DAYS = 3650
MAX_SEATS = 1_000_000
_NUMBER_WORDS = {"one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "ein": 1, "einem": 1, "einen": 1,
                 "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
                 "zehn": 10, "elf": 11, "zwölf": 12}
_UNIT_DAYS = {"d": 1, "t": 1, "w": 7, "m": 30, "y": 365, "j": 365}  # by the unit's first letter
# Every fact holds a number: the text's numbers are found once (ASCII digits only, never \d: "²" or
# Arabic-Indic digits are not numbers here) and each rule is tried next to them, on the lower-cased text.
_NUMBER = re.compile(r"[0-9]+(?:[.,'][0-9]+)*")  # no look-behind: it would stop the engine's fast scan
_UNIT = r"(?P<unit>days?|weeks?|months?|years?|tagen?|wochen|monaten?|jahre?n?)\b"
_RENEWAL = (r"(?:the\s+|our\s+|zur\s+|der\s+)?(?:contract\s+)?(?:renewal|renewing|renews?|"
            r"(?:vertrags)?verlängerung|erneuerung)")
_DAYS_AFTER = re.compile(
    rf"\s+{_UNIT}\s+(?:from|to|until|till|before|left\s+(?:to|until|before)|away\s+from|out\s+from|bis\s+zur|"
    rf"vor\s+der)\s+{_RENEWAL}")
_RENEWAL_IN = (rf"{_RENEWAL}\s+(?:is\s+|date\s+is\s+|comes\s+up\s+|is\s+coming\s+up\s+|ist\s+|steht\s+)?"
               r"(?:in|within|in\s+about|in\s+just|in\s+only)\s+")
_DAYS_BEFORE = re.compile(rf"{_RENEWAL_IN}$")
_UNIT_AFTER = re.compile(rf"\s+{_UNIT}")
_DAYS_IN_WORDS = re.compile(rf"{_RENEWAL_IN}(?P<count>{alternation(_NUMBER_WORDS)})\s+{_UNIT}")
_CURRENCY_BEFORE = re.compile(r"(?:\$|us\$|usd|€|eur|£|gbp|chf)\s?$")
_CURRENCY_AFTER = re.compile(r"(?:\s?[km]\b)?\s?(?:\$|usd|€|eur|£|gbp|chf|dollars|euros?)(?![a-z])")
_THOUSANDS = re.compile(r"\s?[km]\b")
_SEATS_AFTER = re.compile(
    r"\s+(?:more\s+|additional\s+|new\s+|extra\s+|further\s+|weitere\s+|zusätzliche\s+|neue\s+|active\s+|"
    r"aktive\s+)?(?:seats?|licen[cs]es?|users?|providers?|logins?|lizenzen|lizenz|nutzer(?:innen)?|benutzer|"
    r"arbeitsplätze|plätze|zugänge)\b")
_EHR = re.compile(r"\b(?:" + alternation([e.lower() for e in EHRS]) + r")\b")
_EHR_SPELLING = {e.lower(): e for e in EHRS}
_EHR_CASED = frozenset({"Epic", "CGM"})  # "an epic fail" is no EHR


def facts(text: str) -> tuple[Facts, list[Evidence]]:
    """Days to renewal, money amounts as written, seats and the first EHR or practice system a text names."""
    lower = text.lower()
    if len(lower) != len(text):  # a few characters change length when lower-cased; offsets must agree
        lower = text
    evidence: list[Evidence] = []
    days = seats = None
    amounts: list[str] = []
    renewal = "renew" in lower or "verlänger" in lower or "erneuer" in lower
    for number in _NUMBER.finditer(lower):
        start, end = number.span()
        figure = number.group()
        if len(figure) > 18:
            continue
        before = _CURRENCY_BEFORE.search(lower, max(0, start - 4), start)
        after = None if before else _CURRENCY_AFTER.match(lower, end)
        if before or after:
            if before:
                thousands = _THOUSANDS.match(lower, end)
                start, end = before.start(), thousands.end() if thousands else end
            else:
                end = after.end()
            amounts.append(text[start:end])
            evidence.append(Evidence("fact", text[start:end], start, end))
            continue
        if not figure.isdigit() and not (seats is None and "," in figure):
            continue
        count = int(figure.replace(",", "")) if len(figure) <= 9 else MAX_DAYS * MAX_SEATS
        if days is None and renewal:
            found = _DAYS_AFTER.match(lower, end)
            if found:
                days = min(count * _UNIT_DAYS[found.group("unit")[0]], MAX_DAYS)
                evidence.append(Evidence("fact", text[start:found.end()], start, found.end()))
                continue
            found = _DAYS_BEFORE.search(lower, max(0, start - 60), start)
            unit = _UNIT_AFTER.match(lower, end) if found else None
            if unit:
                days = min(count * _UNIT_DAYS[unit.group("unit")[0]], MAX_DAYS)
                evidence.append(Evidence("fact", text[found.start():unit.end()], found.start(), unit.end()))
                continue
        if seats is None:
            found = _SEATS_AFTER.match(lower, end)
            if found:
                seats = min(count, MAX_SEATS)
                evidence.append(Evidence("fact", text[start:found.end()], start, found.end()))
    if days is None and renewal:
        found = _DAYS_IN_WORDS.search(lower)
        if found:
            days = _NUMBER_WORDS[found.group("count")] * _UNIT_DAYS[found.group("unit")[0]]
            evidence.append(Evidence("fact", text[found.start():found.end()], found.start(), found.end()))
    ehr = ""
    names = [name for name in _EHR_SPELLING if name in lower]  # substring tests first: far cheaper than a scan
    for match in _EHR.finditer(lower) if names else ():
        spelling = _EHR_SPELLING[match.group()]
        if spelling in _EHR_CASED and text[match.start():match.end()] != spelling:
            continue
        ehr = spelling
        evidence.append(Evidence("fact", text[match.start():match.end()], match.start(), match.end()))
        break
    evidence.sort(key=lambda e: e.start)
    return Facts(days_to_renewal=days, amounts=tuple(amounts), seats=seats, ehr=ehr), evidence
