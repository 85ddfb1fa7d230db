"""The main topic of a customer text: each category gathers weighted evidence from distinct cues (word stems
and short phrases, English and German, general support vocabulary) and the strongest category with enough
evidence wins; a text without enough is "other". "integration" counts only beside an integration context (an
interface, an EHR, HL7/FHIR, an API, sync, a feed, SSO); seats, upgrades and licences are account matters."""

import re

from scoring.texts.patterns import alternation, lower_same_length
from scoring.texts.reading import Evidence
from scoring.texts.signals import feature_request

# cue -> weight, per category. A cue is a stem matched at the start of a word; "=" at its end asks for the
# whole word; "*" at its start lets it match inside a German compound ("Serverausfall", "Jahresrechnung").
_CUES: dict[str, dict[str, float]] = {
    "account_cancellation": {
        "transfer the account": 2, "account ownership": 2, "*laufzeit": 1.5,
        "cancel": 1, "cancellation": 1.5, "terminat": 1.5, "contract": 1, "renewal": 1.5, "renew": 1,
        "subscription": 1.5, "notice period": 2, "upgrad": 2, "downgrad": 2, "seats": 1.5, "seat=": 1,
        "licence": 1.5, "license": 1.5, "licenses": 1.5, "close our account": 2, "close my account": 2,
        "delete my account": 2, "plan=": 0.5, "ownership": 1, "*kündig": 2, "*vertrag": 1,
        "abo=": 1.5, "abonnement": 1.5, "*lizenz": 1.5, "verlänger": 1, "tarif": 1, "paket": 0.5,
        "merge": 1, "trial": 1, "vertragspartner": 2, "annual": 1, "my plan": 1, "our plan": 1, "account type": 1.5,
        "membership": 1.5, "mitgliedschaft": 1.5, "tier=": 1,
    },
    "billing": {
        "invoic": 2, "billing": 2, "billed": 2, "bill=": 1.5, "charg": 2, "quote=": 2, "quotes=": 2, "angebot": 1.5,
        "kostet": 2, "order=": 1, "ordered": 1,
        "bestellung": 1.5, "credit=": 1.5, "gutschreib": 2, "rate=": 1, "overcharg": 2.5, "refund": 2,
        "payment": 2, "paid": 1, "pay=": 1, "price": 1.5, "pricing": 1.5, "cost": 1, "fee=": 1.5, "fees": 1.5,
        "receipt": 2, "tax=": 1, "vat=": 1.5, "credit card": 2, "discount": 1.5, "purchase order": 2,
        "*rechnung": 2, "*zahlung": 2, "gutschrift": 2, "erstatt": 2, "abbuchung": 2, "abgebucht": 2,
        "lastschrift": 2, "*preis": 1.5, "price increase": 2, "kosten": 1, "*gebühr": 2, "quittung": 2, "rabatt": 1.5,
        "mwst": 1.5,
        "mehrwertsteuer": 1.5, "bezahl": 1, "kreditkarte": 2, "bankverbindung": 2, "karte=": 1, "card=": 1,
    },
    "bug": {
        "won't": 1, "wont=": 1, "doesn't": 1, "does not": 1, "isn't": 1, "aren't": 1, "hasn't": 1, "didn't": 1,
        "never receive": 2, "keeps": 1, "keep getting": 1.5, "shows": 0.5, "showing": 0.5, "skips": 1.5,
        "invisible": 1.5, "cut off": 1.5, "still get": 1, "stays": 1, "swaps": 1.5, "hour off": 1.5,
        "even though": 1, "anyway": 0.5, "saved as": 1.5, "times=": 0.5, "again": 0.5, "release": 1, "empty": 1,
        "nothing happens": 2, "not showing": 1.5, "no longer": 1.5, "nicht mehr": 1.5, "obwohl": 1, "angezeigt": 0.5,
        "zu früh": 1, "bricht": 1.5, "abgebrochen": 1.5, "stimmt nicht": 2, "immer wieder": 1, "schon wieder": 1,
        "seit dem update": 1.5, "bleibt": 0.5, "springen": 0.5,
        "suddenly": 1, "unexpected": 1.5, "weird": 1, "strange": 1, "odd=": 1, "random": 1, "for some reason": 1.5,
        "anymore": 1.5, "greyed out": 1.5, "grayed out": 1.5, "garbled": 2, "overwrit": 1.5, "stuck": 1,
        "plötzlich": 1, "seltsam": 1, "komisch": 1, "merkwürdig": 1, "klappt nicht": 2, "lässt sich nicht": 1.5,
        "erscheint nicht": 1.5, "wird nicht": 1, "werden nicht": 1, "leer=": 1, "verschwind": 1.5, "zeigt": 0.5,
        "unerwartet": 1.5, "resets": 1, "null=": 1.5, "ausgegraut": 1.5, "lassen sich": 1,
        "error": 2, "bug=": 2, "bugs=": 2, "crash": 2, "broken": 1.5, "not working": 2, "doesn't work": 2,
        "does not work": 2, "isn't working": 2, "stopped working": 2, "fail": 1.5, "exception": 1.5, "glitch": 2,
        "wrong": 1.5, "incorrect": 1.5, "missing": 1, "fix=": 1, "fixed": 1, "does nothing": 2, "blank": 1,
        "twice": 1, "lost": 1, "logged out": 1.5, "won't accept": 1.5, "revert": 1.5, "not arriving": 1.5,
        "behoben": 1.5, "beheben": 1.5, "trotzdem": 1, "statt": 0.5, "instead of": 0.5, "defect": 2, "malfunction": 2,
        "unable to": 1, "can't": 1,
        "cannot": 1, "reproduc": 1, "not saved": 2, "disappear": 1.5, "duplicate": 1, "*fehler": 2,
        "absturz": 2, "abgestürzt": 2, "stürzt": 2, "funktioniert nicht": 2, "geht nicht": 1.5, "falsch": 1.5,
        "fehlt": 1.5, "fehlen": 1.5, "kaputt": 2, "nicht gespeichert": 2, "verschwunden": 1.5, "doppelt": 1,
        "issue": 0.5, "problem": 0.5,
        "stopped": 1.5, "do not work": 2, "don't work": 2, "not updated": 1.5, "no luck": 1, "ohne erfolg": 1,
        "flacker": 1.5, "trouble": 1, "nicht korrekt": 1.5, "not correct": 1.5, "supposed to": 1.5, "still being": 1,
        "even when": 1, "lose all": 1.5, "loses": 1, "different": 0.5, "has expired": 1, "nicht in ordnung": 1.5,
        "not saving": 2, "doesnt": 1, "by itself": 1.5, "still appear": 1, "immer noch": 1, "gar nix": 1.5,
        "off by one": 1.5, "abgelaufen": 1, "expired": 1, "are gone": 1.5, "is gone": 1.5, "no results": 1.5,
        "returns nothing": 1.5, "return nothing": 1.5, "keine ergebnisse": 1.5, "stops": 1.5, "nur noch": 1,
        "reagiert nicht": 1.5, "wieder auf": 1,
    },
    "integration": {
        "lis=": 2, "sftp": 2, "adt=": 2, "labor=": 1, "lab results": 1.5, "befunde": 1, "abgleich": 2,
        "data warehouse": 2, "migrating from": 1, "allscripts": 1.5, "meditech": 1.5, "medatixx": 1.5, "cgm=": 1.5,
        "t2med": 1.5, "direct messaging": 1.5, "csv import": 1.5, "übernommen": 0.5,
        "integration": 1.5, "integrat": 1, "api=": 2, "apis=": 2, "hl7": 2.5, "fhir": 2.5, "interface": 2,
        "sync": 2, "feed=": 1.5, "feeds=": 1.5, "sso=": 2.5, "single sign-on": 2.5, "saml": 2.5, "webhook": 2,
        "endpoint": 2, "connector": 2, "ehr=": 1.5, "emr=": 1.5, "epic=": 1.5, "cerner": 1.5, "athena": 1.5,
        "import": 0.5, "export": 0.5, "connect": 1, "third-party": 1.5, "third party": 1.5, "crm=": 1,
        "data transfer": 1, "*schnittstelle": 2.5, "synchronis": 2, "anbind": 2, "angebunden": 2, "pvs=": 1.5,
        "kis=": 1.5,
        "gdt=": 2.5, "kim=": 1.5, "verbindung": 0.5, "datenübertragung": 1,
        "add-in": 2, "plugin": 2, "plug-in": 2, "*konnektor": 2, "scim": 2.5, "oauth": 2, "provisioning": 1.5,
        "mapping": 1, "callback": 1.5, "redirect uri": 2, "app registration": 2, "drittanbieter": 1.5, "übertragen": 1,
        "verknüpf": 1, "verbind": 1.5, "reconnect": 1.5, "disconnect": 1, "connect my": 2, "connect our": 2,
    },
    "onboarding": {
        "where do i": 1.5, "where can i": 1.5, "where do we": 1.5, "best way to": 1.5, "next steps": 1,
        "video": 1, "user guide": 2, "up to speed": 2, "first week": 1.5, "signed up": 1.5, "recommended order": 1,
        "is there a way": 1, "lege ich": 1.5, "legen wir": 1.5, "stelle ich": 1.5, "stellen wir": 1.5,
        "richte ich": 1.5,
        "richten wir": 1.5, "wie bekomm": 1, "wie man": 1, "anlegen": 1, "einführung": 1.5, "einarbeit": 2,
        "überblick": 1, "stell ich": 1.5, "schalte ich": 1.5, "welche schritte": 1.5, "set her up": 1.5,
        "set him up": 1.5, "set them up": 1.5, "kick-off": 1.5, "kickoff": 1.5,
        "onboarding": 2.5, "training": 2, "train=": 1.5, "set up": 1.5, "setup": 1.5, "getting started": 2,
        "how do i": 1.5, "how do we": 1.5, "how to": 1, "how can i": 1, "how can we": 1, "tutorial": 2,
        "guide=": 1, "documentation": 1, "new user": 1, "new staff": 1.5, "new employee": 1.5, "go-live": 2,
        "go live": 2, "implementation": 1.5, "install": 1.5, "configur": 1, "walk me through": 2, "walkthrough": 2,
        "*einrichtung": 2, "einricht": 2, "*schulung": 2.5, "einarbeitung": 2.5, "wie kann ich": 1.5,
        "wie können wir": 1.5, "*anleitung": 2, "erste schritte": 2, "installation": 1.5, "konfigur": 1,
        "neue mitarbeiter": 1.5, "neuen mitarbeiter": 1.5, "wo finde ich": 1.5,
        "new to": 1.5, "don't understand": 1.5, "verstehe nicht": 1.5, "unklar": 1, "step-by-step": 1.5,
        "step by step": 1.5, "schritt für schritt": 1.5, "best practice": 1.5, "best-practice": 1.5,
        "difference": 1, "unterschied": 1, "wie aktivier": 1.5, "hinterlege ich": 1.5, "ordne ich": 1.5,
        "muss ich": 1, "vorlage": 1, "webinar": 1.5, "my first": 1.5, "meinen ersten": 1.5, "meine erste": 1.5,
        "ich richte": 1.5, "how should we": 1.5, "how should i": 1.5, "which one should": 1.5, "kann ich": 1,
        "*handbuch": 2, "user manual": 2, "trainer": 1.5, "super user": 1.5, "new hires": 1.5, "recommendation": 1,
        "empfehlung": 1, "am besten": 1, "enrol": 1.5,
    },
    "performance": {
        "takes ages": 2, "ages=": 1, "lags=": 1.5, "stuck on": 1.5, "unreachable": 2, "zu spät": 1.5,
        "ewig": 1.5, "could not load": 1.5, "to open": 1, "to show up": 1,
        "slow": 2.5, "sluggish": 2.5, "timing out": 2, "to load": 1.5, "late=": 1.5, "verspätung": 2, "verspätet": 2,
        "seconds": 1, "minute": 1, "sekunden": 1, "minuten": 1, "dauert": 1, "crawling": 2, "spinning": 1.5,
        "forever": 1.5, "latency": 2.5, "timeout": 2.5, "timed out": 2.5, "time out": 2, "times out": 2.5,
        "overload": 2, "zäh=": 2, "lahm": 2, "friert": 1.5, "einfrier": 1.5, "freezes": 1.5, "throughput": 2,
        "bandwidth": 2, "outage": 2.5, "downtime": 2.5,
        "down=": 1.5, "delay": 1.5, "lag=": 1.5, "lagging": 1.5, "loading": 1, "takes forever": 2, "performance": 2,
        "response time": 2, "unresponsive": 2, "freez": 1.5, "hang=": 1, "hangs=": 1.5, "unavailable": 1.5,
        "not responding": 2, "high load": 1.5, "cpu=": 1, "availability": 1, "*langsam": 2.5, "ladezeit": 2.5,
        "*ausfall": 2, "ausgefallen": 2, "verzöger": 1.5, "nicht erreichbar": 2, "hängt": 1.5, "überlast": 2,
        "verfügbarkeit": 1, "antwortzeit": 2, "reaktionszeit": 1,
        "laggy": 2.5, "too long": 1.5, "zu lange": 1.5, "packet loss": 2.5, "choppy": 2, "ruckel": 2, "dropping": 1,
        "kaum erreichbar": 2,
        "*störung": 2, "hinterher": 1.5, "delayed by": 2, "aussetz": 1, "setzte": 0.5, "hours=": 0.5, "stunden": 0.5,
    },
    "feature_request": {
        "we'd like a": 2, "we would like a": 2, "allow=": 1, "any plans for": 2, "alternative to": 1,
        "automatically": 1, "automatisch": 1, "denkbar": 1.5, "fehlt uns": 2, "könnte man": 1.5,
        "would be great to": 2, "can the system": 1.5, "would save": 1.5, "that would": 1, "can the": 1,
        "wäre cool": 2.5, "wär=": 1, "pls add": 2, "can we get": 1.5, "kann man": 1,
        "is that coming": 1.5, "wirklich fehlt": 1.5, "kann das system": 1.5,
        "feature request": 3, "would be great if": 2.5, "would love": 2, "would be nice": 2, "wish": 1.5,
        "schön wäre": 2.5, "toll wäre": 2.5, "any chance": 1.5, "would help": 1.5,
        "would really help": 1.5, "could you offer": 2, "can you offer": 2, "bieten sie": 1, "hätten gern": 2,
        "wunsch": 1.5, "keep asking for": 2, "keeps asking for": 2, "let users": 1.5, "allow users": 1.5,
        "you'll add": 1.5, "you'll build": 1.5, "funktion": 0.5,
        "please add": 2, "could you add": 2.5, "can you add": 2.5, "add support for": 2, "roadmap": 2,
        "suggestion": 1.5, "the ability to": 1.5, "any plans to": 2, "new feature": 2, "enhancement": 2,
        "feature=": 1, "features=": 1, "it would help": 1.5, "would be helpful": 1.5, "wäre toll": 2.5,
        "wäre schön": 2.5, "wäre gut": 2, "wäre super": 2.5, "wäre hilfreich": 2.5, "wünsch": 1.5,
        "funktionswunsch": 3, "verbesserungsvorschlag": 3, "vorschlag": 1.5, "neue funktion": 2, "einbauen": 2,
        "ergänzen": 1.5,
        "planen sie": 2, "geplant": 1.5, "are you planning": 2, "you are planning": 2, "is there a plan": 2,
        "planned": 1.5, "consider adding": 2.5, "suggest": 1.5, "be added": 1.5, "we are missing": 2,
        "missing a way": 2, "wäre es möglich": 2, "möglich": 0.5, "would make": 1, "would solve": 1.5,
        "ideally": 1, "idealerweise": 1, "würde uns": 1,
        "add a": 1, "add an": 1, "can u add": 2.5, "could you make": 1.5, "can you make": 1.5, "pls let us": 2,
        "asked for": 1.5, "future release": 2, "future version": 2, "nächsten version": 2, "künftigen version": 2,
        "vorgesehen": 1.5, "vermiss": 1.5, "you could add": 2.5, "do you plan": 2, "would benefit": 1.5,
        "only supports": 1, "unterstützt nur": 1, "bisher nur": 1, "is it possible to": 1.5, "ist es möglich": 1.5,
    },
    # Security incidents, removing a person's access, and general questions are "other".
    "other": {
        "data breach": 3, "breach": 2, "phishing": 4, "fake=": 1.5, "gefälscht": 2, "angeblich": 1.5,
        "compromised": 2.5, "hacked": 2.5, "suspicious": 2,
        "verdächtig": 2, "*sicherheitsvorfall": 3, "datenschutzvorfall": 3, "unauthori": 2, "unbefugt": 2,
        "revoke": 2, "dismissed": 1.5, "left the company": 2, "leaves the company": 2, "ausgeschieden": 2,
        "offboard": 2, "certificate": 1.5, "zertifikat": 1.5, "thesis": 2, "interview": 1.5, "holiday": 1.5,
        "feiertag": 1.5, "weihnachten": 1.5, "rumo": 2, "gerücht": 2, "meetup": 1, "messe": 1, "conference": 2,
        "speaker": 2, "lob=": 2, "bedank": 2, "weiter so": 2, "kudos": 2, "praise": 2, "great job": 2, "well done": 2,
        "contact details": 2, "kontaktdaten": 2, "ansprechpartner": 1.5, "retired": 1, "ruhestand": 1,
        "support hours": 2, "servicezeiten": 2, "christmas": 1.5, "*auftragsverarbeit": 2.5, "dsgvo": 1.5, "gdpr": 1.5,
        "data processing agreement": 2.5,
        "konferenz": 1,
    },
}
# Cues of integration that make the word "integration" count.
_INTEGRATION_CONTEXT = frozenset(c.strip("=*") for c in _CUES["integration"]
                                 if c.strip("=*") not in ("integration", "integrat", "import", "export", "connect",
                                                          "verbindung"))
# Ties go to the category listed first.
_ORDER = ("account_cancellation", "billing", "integration", "performance", "bug", "feature_request", "onboarding",
          "other")
_MIN_SCORE = 2.0
# A short message with a single cue of a specific topic is about that topic rather than "other".
_SHORT = 300
_SHORT_MIN_SCORE = 1.0
_FEATURE_REQUEST_WEIGHT = 2.5  # a wish or request phrase found by signals.feature_request
_OPENING = 200  # characters of subject and first sentence after the greeting, where the topic is usually stated
_OPENING_FACTOR = 1.5
_QUOTED_FACTOR = 0.5  # a cue in a quoted earlier message
# A first line that only greets ("Dear Support Team,", "Sehr geehrte Damen und Herren,") is not the opening.
_GREETING_LINE = re.compile(r"[ \t]*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon)|hallo|"
                            r"liebe[rs]?|guten\s+(?:tag|morgen)|"
                            r"sehr\s+geehrte[rs]?|moin|servus)\b[^\n]{0,60}\n")
_QUOTE_START = re.compile(r"^[ \t]*>|^-{2,}\s*(?:original|ursprüngliche)|^on\s.{0,80}\swrote:|^am\s.{0,80}\sschrieb|"
                          r"^(?:from|von):\s", re.MULTILINE)

_CUE_INFO: dict[str, tuple[str, float, bool, bool]] = {}  # stem -> (category, weight, whole word, inside words)
for _category, _cues in _CUES.items():
    for _cue, _weight in _cues.items():
        if _cue.strip("=*") in _CUE_INFO:
            raise ValueError(f"category cue {_cue!r} is listed twice")
        _CUE_INFO[_cue.strip("=*")] = (_category, _weight, _cue.endswith("="), _cue.startswith("*"))
# Cues that start a word are found after a character that is not a letter (the text is scanned with a space
# before it), so the engine tries them only at word starts; the few cues that may sit inside a German compound
# are looked up as substrings.
_WORD_CUE = re.compile(r"[^a-zäöüß](" + alternation([c for c, info in _CUE_INFO.items() if not info[3]]) + ")")
_INSIDE_STEMS = tuple(c for c, info in _CUE_INFO.items() if info[3])
# Cancelling or ending something other than the account: an appointment, a session, a process, a user.
_LOOKALIKE = (r"(?:appointment|visit|session|process|job|print|demo|meeting|training|kick-?off|user|order|invoice|"
              r"button|link|credential|reminder|slot|dialog|termin|zugang|schulung|sitzung|knopf|benutzer|auftrag|"
              r"druck|bestellung|vorgang|request|password|qbr|call|webinar|mfa|mitarbeiter|kolleg|employee|nurse|"
              r"assistant|arzthelfer|lease|miet|access|zugriff|instance|certificate|zertifikat|ssl|domain|token|wartung|"
              r"maintenance|calendar|kalender|field|feld|task|aufgabe|record|datensatz|"
              r"template|column|spalte|widget|dashboard|playbook|reminder|erinnerung)")
_LOOKALIKE_AFTER = re.compile(rf"\w*\W+(?:[\w']+\W+){{0,3}}?{_LOOKALIKE}")
_LOOKALIKE_BEFORE = re.compile(rf"{_LOOKALIKE}\w*\W+(?:\w+\W+){{0,3}}$")
_ENDING_CUES = frozenset(("cancel", "cancellation", "terminat", "kündig"))
_RENEWAL_CUES = frozenset(("renewal", "renew", "verlänger"))
_ANNOUNCED = re.compile(r"an(?:ge)?$")  # "angekündigt", "Ankündigung": announced, not cancelled
_NEGATION_BEFORE = re.compile(r"\b(?:not|no|never|n't|nicht|kein\w*|nie)\b(?:\s+[^\s.!?;]+){0,3}?\s+$"
                              r"|n't\s+(?:[^\s.!?;]+\s+){0,2}$")
# "Kündigen kommt für uns nicht in Frage", "kündigen werden wir deswegen aber nicht"
_NEGATION_AFTER = re.compile(r"\w*(?:\s+[^\s.!?;,]+){0,5}?\s+(?:nicht|nie|niemals)\b")
# An ending asked about in a hypothetical or general question: "if we ever did cancel", "falls ein Vertrag endet".
_HYPOTHETICAL_BEFORE = re.compile(r"\b(?:if|falls|should|easy\s+to)\b[^.!?;,]*$")
# "the HubSpot integration", "Klarna-Schnittstelle": an integration named after the system it connects to.
_NAMED_BEFORE = re.compile(r"(?<![\w.])(?!(?:The|Our|Your|This|That|My|Its|How|What|When|Why|"
                           r"Die|Der|Das|Den|Dem|Unser|Ihr|Mein|Ein|Wie|Was|Wann|Warum)\w*[ -])"
                           r"[A-Z][\w.]*[a-z0-9][ -]$")
_NAMED_INTEGRATION_WEIGHT = 1.5
# Nouns of a connection that, after a system's name, make it an integration ("the Salesforce sync", "our
# Shopify webhook", "der DATEV-Export", "HubSpot-Import").
_NAMED_NOUNS = frozenset(("integration", "integrat", "schnittstelle", "sync", "synchronis", "connector", "konnektor",
                          "webhook", "import", "export", "api", "feed", "plugin", "add-in", "anbind"))
# The sign-off and signature at the end ("Thanks,\nOwen Price, Cloud Platform", "Viele Grüße\nSarah Kim"): names and
# job titles there are not the topic.
_SIGN_OFF = re.compile(r"\n[ \t]*(?:thanks|thank\s+you|many\s+thanks|cheers|regards|best(?:\s+regards|\s+wishes)?|"
                       r"kind\s+regards|warm\s+regards|sincerely|all\s+the\s+best|merci|danke(?:\s+schön)?|"
                       r"vielen\s+dank|(?:viele|beste|liebe|freundliche)\s+grüße|mit\s+freundlichen\s+grüßen|grüße|"
                       r"gruß|lg|vg|mfg)\b[^\n]{0,40}(?:\n[^\n]{0,80}){1,4}\n?$")
_SIGN_OFF_SPAN = 300  # characters at the end searched for a sign-off
# A wait measured in time ("take 20-40 minutes to appear", "über 40 Sekunden zum Laden", "sit queued for 10 minutes").
_DURATION = re.compile(r"\b\d+(?:\s*[-–]\s*\d+)?\s*(?:seconds|secs?|minutes|mins?|hours|sekunden|minuten|stunden)\b"
                       r"(?=[^.!?\n]{0,30}\b(?:to\s+(?:load|appear|open|show|start|run|respond|complete|arrive|sync)|"
                       r"before|until|bis|zum\s+(?:laden|öffnen)|dauer|lang|wait|warte|delay|verzöger))")
_DURATION_WEIGHT = 2.0
# The writer's own account ended, handed over or merged, or its plan changed: "the closure of my account", "remove my
# account", "transfer ownership of my account", "mein Benutzerkonto löschen", "switch to the premium plan", "move
# down to the starter tier", "from monthly to yearly".
_OWN_ACCOUNT = (r"\b(?:my|our|mein\w*|unser\w*)\s+(?:\w+\s+)?"
                r"(?:account|membership|konto|benutzerkonto|abo\b|mitgliedschaft)")
_ACCOUNT_ACTION = (r"(?:clos|delet|remov|cancel|quit|terminat|transfer|merg|deactivat|lösch|schließ|kündig|übertr|"
                   r"zusammenf|beend)")
_ACCOUNT_CHANGE = re.compile(
    rf"\b{_ACCOUNT_ACTION}\w*\W+(?:[\w']+\W+){{0,4}}?{_OWN_ACCOUNT}"
    rf"|{_OWN_ACCOUNT}\W+(?:[\w']+\W+){{0,4}}?{_ACCOUNT_ACTION}"
    r"|\b(?:switch|move|chang|upgrad|downgrad|wechsel|umstell|umsteig)\w*\W+(?:[\w']+\W+){0,4}?"
    r"(?:(?:\w+\s+)?(?:plan|tier|tarif|paket)\b|(?:monthly|yearly|annual|jährlich|monatlich)\w*)")
_ACCOUNT_CHANGE_WEIGHT = 2.5
_ACCOUNT_WORDS = ("account", "membership", "konto", "abo", "mitgliedschaft", "plan", "tier", "tarif", "paket",
                  "monthly", "yearly", "annual", "jährlich", "monatlich")  # one must be there for _ACCOUNT_CHANGE
_THANKS = re.compile(r"\b(?:thanks|thank\s+you|danke|vielen\s+dank|kudos|appreciate)")


def categorise(text: str, *, churn: bool) -> tuple[str, list[Evidence]]:
    """The text's category and the cues that decided it; churn intent makes it account_cancellation."""
    lower = lower_same_length(text)
    greeting = _GREETING_LINE.match(lower)
    opening_end = (greeting.end() if greeting else 0) + _OPENING
    quoted = _QUOTE_START.search(lower, opening_end) if "\n" in lower[opening_end:] else None
    quoted_start = quoted.start() if quoted else len(lower)
    sign_off = _SIGN_OFF.search(lower, max(0, len(lower) - _SIGN_OFF_SPAN)) if "\n" in lower else None
    text_end = sign_off.start() if sign_off else len(lower)
    scores: dict[str, float] = {}
    seen: set[str] = set()
    found: dict[str, list[tuple[int, int]]] = {}  # category -> spans of its cues
    for cue, start, end in _cues(lower):
        category, weight, whole_word, inside = _CUE_INFO[cue]
        if start >= text_end:
            break
        if whole_word and end < len(lower) and lower[end].isalpha():
            continue
        if start < opening_end:
            weight *= _OPENING_FACTOR
        elif start >= quoted_start:
            weight *= _QUOTED_FACTOR
        if cue in seen:
            continue
        if category == "account_cancellation" and _NEGATION_BEFORE.search(lower, max(0, start - 24), start):
            continue  # "we are not cancelling", "wir denken nicht an eine Kündigung"
        if cue == "kündig" and _ANNOUNCED.search(lower, max(0, start - 4), start):
            continue
        if cue in _RENEWAL_CUES and (_LOOKALIKE_AFTER.match(lower, end, end + 40)
                                     or _LOOKALIKE_BEFORE.search(lower, max(0, start - 40), start)):
            continue  # "the certificate's automatic renewal", "Verlängerung der Wartung"
        if cue in _ENDING_CUES and (_LOOKALIKE_AFTER.match(lower, end, end + 40)
                                    or _LOOKALIKE_BEFORE.search(lower, max(0, start - 40), start)):
            continue  # "cancel tomorrow's demo", "the session has been terminated", "den Zugang kündigen"
        if cue in _ENDING_CUES and (_NEGATION_AFTER.match(lower, end, end + 60)
                                    or _HYPOTHETICAL_BEFORE.search(lower, max(0, start - 50), start)):
            continue
        if cue in _NAMED_NOUNS and _NAMED_BEFORE.search(text, max(0, start - 30), start):
            seen.add("named integration")
            weight += _NAMED_INTEGRATION_WEIGHT
        seen.add(cue)
        scores[category] = scores.get(category, 0.0) + weight
        found.setdefault(category, []).append((start, end))
    if _DURATION.search(lower, 0, text_end):
        scores["performance"] = scores.get("performance", 0.0) + _DURATION_WEIGHT
    if any(word in lower for word in _ACCOUNT_WORDS) and _ACCOUNT_CHANGE.search(lower, 0, text_end):
        scores["account_cancellation"] = scores.get("account_cancellation", 0.0) + _ACCOUNT_CHANGE_WEIGHT
    request = feature_request(text)
    if request:
        weight = _FEATURE_REQUEST_WEIGHT * (_OPENING_FACTOR if request.start < opening_end else 1)
        scores["feature_request"] = scores.get("feature_request", 0.0) + weight
    if "integration" in scores and _INTEGRATION_CONTEXT.isdisjoint(seen) and "named integration" not in seen:
        scores["integration"] -= sum(_CUE_INFO[c][1] for c in ("integration", "integrat") if c in seen)
    if churn:
        return "account_cancellation", _evidence(text, lower, found.get("account_cancellation", ()), None)
    best, score = "other", 0.0
    for category in _ORDER:
        if scores.get(category, 0.0) > score:
            best, score = category, scores[category]
    if score < _MIN_SCORE and (len(text) > _SHORT or score < _SHORT_MIN_SCORE or _THANKS.search(lower)):
        return "other", []
    return best, _evidence(text, lower, found.get(best, ()), request if best == "feature_request" else None)


def _cues(lower: str) -> list[tuple[str, int, int]]:
    """The cues in the lower-cased text as (cue, start, end), in order of position; at one position the
    longest ("einrichtung" rather than "einricht")."""
    spaced = " " + lower
    found = [(match.group(1), match.start(), match.end() - 1) for match in _WORD_CUE.finditer(spaced)
             if not spaced[match.start()].isalpha()]  # a letter outside a-z, äöüß ("é") does not start a word
    inside = [stem for stem in _INSIDE_STEMS if stem in lower]
    if not inside:
        return found
    longest = {start: (cue, start, end) for cue, start, end in found}
    for stem in inside:
        start = lower.find(stem)
        while start >= 0:
            end = start + len(stem)
            if start not in longest or longest[start][2] < end:
                longest[start] = (stem, start, end)
            start = lower.find(stem, end)
    return sorted(longest.values(), key=lambda cue: cue[1])


def _evidence(text: str, lower: str, spans, request: Evidence | None) -> list[Evidence]:
    """The cues found at spans, each shown to the end of its word, and the feature request phrase if any."""
    evidence = []
    for start, end in spans:
        end = _word_end(lower, end)
        evidence.append(Evidence("category", text[start:end], start, end))
    if request:
        evidence.append(request)
    return evidence


def _word_end(lower: str, end: int) -> int:
    """The end of the word a cue's stem starts ("invoic" -> "invoices")."""
    while end < len(lower) and lower[end].isalpha():
        end += 1
    return end
