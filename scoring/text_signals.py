"""Phrase rules that read cancellation intent and feature requests out of customer texts.

This is the scoring engine's own small detector for the `churn_intent` rule (SPEC §2a) and the
feature-request measure: explicit phrases, with the common negations ("we are not leaving",
"no plans to switch", "wir kündigen nicht") and look-alikes ("cancel the meeting", "we are migrating
to Epic") ruled out, in English and German. The database pre-filters texts by `CHURN_KEYWORDS` so only
candidates reach Python. `python manage.py evaluate_analyzer` measures the rules on the labelled set in
tests/data/analyzer_eval.csv; a phrase added for one row of that set overfits, so add general forms.
"""

import re

import pandas as pd

# Words one of which every cancellation phrase below contains; used as a cheap SQL pre-filter.
CHURN_KEYWORDS: tuple[str, ...] = (
    # English
    "cancel", "renew", "extend", "convert", "continu", "sign another", "customer", "churn", "terminat",
    "notice to", "exit clause", "contract", "agreement", "subscription", "relationship", "partnership", "lapse",
    "expire", "run out", "opt out", "opting out", "part ways", "done with", "want out", "wants out", "out of",
    "we're out", "we are out", "we'll be out", "we will be out", "we walk", "we'll walk", "we will walk", "threaten",
    "keep paying", "justify the cost", "whether", "offboarding", "close our account", "close the account",
    "close my account", "shut down", "unsubscrib", "last year", "last month", "last term", "last quarter", "final year",
    "final month", "final term", "final quarter", "switch", "move", "moving", "migrat", "changing to", "change to",
    "go to", "go with", "forward with", "ahead with", "standardi", "business", "signed", "signing", "trialling",
    "trialing", "leave", "leaving", "drop", "sunset", "ditch", "phase out", "phasing out", "transition", "be off the",
    "be off your", "get off", "getting off", "stop using", "discontinu", "wind down", "winding down", "replac",
    "turned off", "shut off", "alternative", "other option", "different option", "competing option", "vendor",
    "supplier", "platform", "competitor", "with someone else", "to someone else", "found someone else", "elsewhere",
    "cheaper", "other solution", "other system", "other product", "other tool", "different solution",
    "different system", "different product", "different tool", "shop", "look around", "looking around",
    # German
    "kündig", "verlänger", "erneuer", "wechsel", "anbieter", "andere", "alternativ", "wettbewerb", "umsehen",
    "umzusehen", "etwas anderem", "anderweitig", "umsteigen", "umzusteigen", "steigen", "umstellen", "gehen",
    "entschieden", "zuschlag", "vergleichen", "ersetzen", "abgeschaltet", "bleiben", "beenden", "auslaufen", "raus aus",
    "sind weg", "zukunft", "nutzen", "verwenden", "einsetzen", "einstellen", "weitermachen", "weiterarbeiten",
    "fortsetzen", "fortführen", "hören", "schließen", "löschen", "auflösen",
)
FEATURE_REQUEST_KEYWORDS: tuple[str, ...] = (
    "feature request", "roadmap", "would love", "keeps asking for", "suggestion", "would be great if",
)

# "need to cancel the meeting" is about a calendar, not the contract.
_NOT_A_MEETING = (
    r"(?!\s+(?:(?:the|our|my|this|that|a|an|his|her|their|[\w-]+'s)\s+)?(?:[\w-]+\s+)?"
    r"(?:meeting|call|session|appointment|training|webinar|demo|visit|invite|order|qbr|review|interview|"
    r"check-in|conference|registration|reservation|booking|invoice|request|payment|card|ticket|shift|slot)s?\b)"
)
# Names of EHRs, labs, operating systems and other systems customers connect to us, so "we are migrating to
# Epic" or "wir wechseln zu Synlab" is not read as a move to a competitor; also capitalised words that follow
# "to"/"zu" without being a vendor (titles, months, German formal "Ihnen").
_NOT_A_VENDOR = (
    r"(?:Epic|MyChart|Cerner|Oracle|Meditech|Allscripts|Veradigm|athena\w*|eClinicalWorks|eCW|NextGen|Greenway|"
    r"Kareo|AdvancedMD|Quest|Labcorp|Synlab|Windows|Chrome|Edge|Safari|Firefox|Microsoft|Google|Azure|Office|"
    r"Outlook|Teams|Zoom|Excel|PDF|Direct|FHIR|HL7|SMART|ORBIS|SAP|CGM|Medatixx|T2med|Tomedo|KIM|ePA|"
    r"Dr|Mr|Mrs|Ms|Frau|Herr|Sie|Ihnen|Ihrer|Ihrem|Ihren|Ihre|Ihr|Beginn|Anfang|Ende|Mitte|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Januar|Februar|März|Juni|Juli|Oktober|Dezember|Monday|Tuesday|Wednesday|Thursday|Friday)\b"
)
# A product or company name: capitalised, not all capitals ("switching to ACH" is a payment method).
_NAME = rf"(?!{_NOT_A_VENDOR})(?-i:[A-Z](?=[\w.-]*[a-z])[\w.-]*\w)"
_NEG = r"(?:not|never|(?:do|does|did|wo|ca|would|should|could|is|are|was|were|have|has)n'?t)"
# For German word order, where the negation often follows the phrase ("... ist für uns kein Thema").
_NO_NEGATION_AFTER = r"(?![^,.;:!?]*\b(?:nicht|kein\w*|not|no)\b)"
_GAP_DE = r"(?:(?!nicht\b|kein\w*\b)[\w.]+\s+)"  # a German word between object and verb, not a negation
_DE_OBJECT = (r"(?:vertrag|abo|abonnement|account|konto|dienst|service|lizenz(?:en)?|zusammenarbeit|"
              r"(?:nutzungs|lizenz|rahmen|wartungs|software|service)vertrag)")
_PLATFORM = r"(?:platform|product|service|software|app|solution|tool|subscription)"

_INTENT_RULES = r"""
    # --- the original phrases (kept first: at one position the first alternative wins) ---
    \b(?:plan(?:ning)?|want|going|need|decided|intend|have)\s+to\s+cancel\b<NM>
    | \bcancel(?:ling|ing)?\s+(?:our|the|my)\s+(?:subscription|contract|account|plan|licen[cs]es?|service)\b
    | \bwhy\s+(?:not|we\s+don'?t|don'?t\s+we)\s+just\s+cancel\b<NM>
    | \bjust\s+cancel\b<NM>
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

    # --- cancelling the subscription, not a meeting ---
    | \b(?:plans?|wants?|needs?|decided|intends?|has|(?:would|'d)\s+like|wish(?:es)?|ready)\s+to\s+cancel\b<NM>
    | \bcancel(?:l?ing|l?ed)?\s+(?:(?:our|the|my|this|your|their|all)\s+)?(?:[\w-]+\s+)?
      (?:subscriptions?|contracts?|accounts?|licen[cs]es?|services?|agreements?|auto-?renewal|renewal)\b
    | \bcancel(?:l?ing)?\s+(?:our|my)\s+(?:[\w-]+\s+)?plan\b | \bcancel(?:l?ing)?\s+everything\b
    | \b(?:we'?re|we\s+are|we'?ll\s+be|we\s+will\s+be|i'?m|i\s+am)\s+cancell?ing\b<NM>
    | \b(?:we'?ll|we\s+will|i'?ll|i\s+will)\s+cancel\b<NM>
    | \b(?:plans?|wants?|needs?|decided|intends?|(?:would|'d)\s+like|going|have|has)\s+to\s+terminate
      (?=\s*(?:[.?!,;]|$)|\s+(?:early|effective|now|immediately|at|by|before|when|as)\b)
    | \b(?:how|process|steps?|notice)\b(?:\s+[\w']+){0,5}?\s+to\s+cancel\b<NM>
    | \b(?:our|my)\s+cancellation\b(?!\s+(?:rates?|polic(?:y|ies)|reasons?|list|fees?|slots?|window|workflow|
      reports?|settings?|texts?|messages?|templates?)\b)
    | \b(?:give|giving|gave|send|sending|submit|submitting|serve|serving)\s+(?:[\w']+\s+){0,3}?notice\s+of\s+
      (?:cancellation|termination|non-?renewal)\b
    | \bthreaten(?:ed|ing|s)?\s+to\s+(?:walk|leave|cancel|churn|switch|terminate)\b

    # --- not renewing: here the negation is the intent ---
    | \b<NEG>\s+(?:(?!forget|hesitate|worry|mind)[\w']+\s+){0,2}?(?:auto-)?renew(?:ing|ed)?\b
    | \bno\s+(?:intention|plans?)\s+(?:of|to)\s+renew(?:ing)?\b
    | \bnon-?renewal\b | \brenewal\s*[:-]\s*no\b
    | \b(?:decide|deciding|decision)\s+(?:on\s+)?whether\s+(?:or\s+not\s+)?to\s+renew\b
    | \b(?:<NEG>|no\s+longer)\s+(?:going\s+to\s+)?be\s+(?:a\s+|your\s+)?customers?\b
    | \b(?:will|going\s+to|gonna|likely\s+to|about\s+to|'ll)\s+churn\b
    | \bopt(?:ing|ed)?\s+out\s+of\s+(?:the\s+|our\s+)?(?:auto(?:matic)?[\s-]?)?renewal\b
    | \brenewal\s+(?:is\s+(?:off\s+the\s+table|not\s+happening|unlikely)|isn'?t\s+happening|won'?t\s+happen)\b
    | \breconsider(?:ing)?\s+(?:the|our)\s+(?:renewal|contract|subscription)\b
    | \brather\b[^.;]{0,60}?\bthan\s+renew(?:ing)?\b
    | \b(?:stop|cancel|turn\s+off|disable|opt\s+out\s+of|switch\s+off)\s+(?:the\s+|our\s+)?
      auto(?:matic)?[\s-]?renew(?:al)?\b
    | \b<NEG>\s+(?:be\s+)?sign(?:ing)?\s+(?:the\s+renewal|another\s+(?:year|term)|a\s+new\s+(?:contract|agreement))\b
    | \b<NEG>\s+(?:to\s+|be\s+)?extend(?:ing)?\b(?!\s+(?:the\s+)?(?:deadline|hours|session)\b)
    | \b<NEG>\s+(?:be\s+)?convert(?:ing)?\s+to\s+(?:a\s+)?paid\b
    | \b<NEG>\s+(?:going\s+to\s+|be\s+)?continu(?:e|ing)\s+(?:after|beyond|past|with\s+(?:you|your|the\s+(?:platform|
      service|contract|subscription))|(?:the|our)\s+(?:subscription|contract|agreement|service))\b
    | \b(?:can'?t|cannot|can\s+not)\s+(?:[\w']+\s+){0,4}?continue\s+using\s+(?:the|your)\s+(?:platform|product|
      service|software|system|app)\b
    | \b(?:can'?t|cannot|won'?t)\s+keep\s+paying\b

    # --- ending the contract or the relationship ---
    | \bterminat(?:e|es|ed|ing)\s+(?:(?:our|the|my|this|its|their)\s+)?(?:[\w-]+\s+)?(?:contract|agreement|
      subscription|services?|relationship|partnership|account)\b
    | \bnotice\s+to\s+(?:terminate|cancel|end)\b | \bnotice\s+of\s+(?:termination|non-?renewal)\b
    | \binvok\w*\s+(?:the\s+)?(?:termination|exit)\s+clause\b
    | \bearly\s+termination\b
    | \bend(?:ing)?\s+(?:our|the|this|my)\s+(?:contract|agreement|subscription|relationship|partnership)\b
    | \b(?:want|wants|get|getting|pull|pulling|back|backing)\s+out\s+of\s+(?:this|the|our)\s+(?:contract|agreement)\b
    | \b(?:wrap(?:ping)?\s+up|clos(?:e|ing)\s+out)\s+(?:our|the)\s+(?:contract|agreement|subscription)\b
    | \bwants?\s+out\b(?=\s*[.!,;])
    | \bpart\s+ways\b
    | \b(?:we'?re|we\s+are|i'?m|i\s+am|they'?re|they\s+are)\s+(?:so\s+|completely\s+|just\s+)?done\s+with\s+
      (?:this|you|your|it|us)\b
    | \bwe(?:'ll|\s+will)?\s+walk(?:\s+away)?(?=\s*(?:[.!]|$))
    | \b(?:start|begin)\s+(?:the\s+|our\s+)?offboarding\b
    | \b(?:close|shut\s+down)\s+(?:our|the|my)\s+account\b
    | \blet\s+(?:the|our)\s+(?:contract|agreement|subscription)\s+(?:lapse|expire|run\s+out)\b
    | \b(?:last|final)\s+(?:year|month|term|quarter)\s+(?:on|with)\s+(?:the|your|you)\b

    # --- leaving, replacing or dropping the product ---
    | \b(?:leav(?:e|ing)|drop(?:ping)?|sunset(?:ting)?|ditch(?:ing)?|phas(?:e|ing)\s+out|
      mov(?:e|ing)\s+(?:off|away\s+from)|transition(?:ing)?\s+(?:off|away\s+from)|get(?:ting)?\s+off|be\s+off|
      stop\s+using|discontinu(?:e|ing)(?:\s+(?:the\s+)?use\s+of)?|wind(?:ing)?\s+down\s+(?:our\s+)?use\s+of)
      \s+(?:the|your)\s+(?:[\w-]+\s+)?<PLATFORM>\b
    | \breplac(?:e|ing)\s+(?:you|us|your\s+(?:[\w-]+\s+)?(?:<PLATFORM>|system))\b
    | \breplac(?:e|ing)\s+your\s+[\w-]+(?:\s+[\w-]+)?\s+with\b | \bdrop(?:ping)?\s+us\b
    | \bunsubscrib\w*\s+(?:us|me)\s+from\s+(?:the|your)\s+<PLATFORM>
    | \b(?:your|the)\s+(?:<PLATFORM>|system)\s+(?:will|is\s+going\s+to|can|should)\s+be\s+
      (?:turned|switched|shut)\s+off\b
    | \btransition(?:ing)?\s+off(?=\s+(?:by|at|before|in|after|when|once)\b|\s*[.,;!]|$)
    | \b(?:vendor|platform)\s+replacement\b

    # --- other vendors, alternatives, competitors ---
    | \b(?:evaluat(?:e|es|ed|ing)|look(?:s|ing)?\s+(?:at|for|into)|consider(?:s|ing)?|explor(?:e|es|ing)|
      research(?:ing)?|review(?:ing)?|compar(?:e|ing)|find(?:ing)?|seek(?:ing)?|select(?:s|ed|ing)?|
      cho(?:ose|osing|se|sen)|pick(?:ed|ing)|go(?:ing)?\s+with|went\s+with|decided\s+on|talk(?:ing)?\s+to|(?:get|getting|got)\s+quotes\s+from|invit(?:e|ing)|switch(?:ing)?\s+to|
      mov(?:e|ing)\s+to|chang(?:e|ing)\s+to|sign(?:ed|ing)?\s+with|shop(?:ping)?\s+for|found)
      \s+(?:(?:an?|some|other|two|three|several|a\s+couple\s+of|a\s+few)\s+)?
      (?:alternatives?(?!\s+(?:to|for)\s+(?:the|this|that|our|a|an)\s+(?!(?:platform|product|service|system|vendor|
      software|solution)\b))|other\s+options|(?:other|another|different|alternative|competing)\s+(?:vendors?|
      suppliers?|platforms?|options)|new\s+(?:vendors?|suppliers?|platforms?)|competitors?|someone\s+else|
      cheaper\s+(?:option|vendor|platform|tool|product|solution|system|alternative)|replacements?(?=\s*(?:[.,;!?]|$)|\s+(?:for|to)\s+(?:you|your)\b|\s+(?:before|by|
      in|next|this|at)\b))\b
    | \b(?:evaluat\w*|look(?:s|ing)?\s+(?:at|for|into)|consider\w*|explor\w*)\s+(?:(?:an?|some)\s+)?(?:other|another|
      different|alternative)\s+(?:solutions?|systems?|products?|tools?)\b(?!\s+(?:to|for)\s+(?!(?:you|your)\b))
    | \b(?:switch(?:ing)?|chang(?:e|ing)|replac(?:e|ing))\s+(?:vendors|platforms|suppliers)\b
    | \b(?:evaluat\w+|consider\w*|explor\w+)\s+replacements?\b
    | \bmov(?:e|ing)\s+forward\s+with\s+<NAME> | \bgo(?:ing)?\s+ahead\s+with\s+<NAME>
    | \bwhether\s+(?:or\s+not\s+)?(?:to|we)\s+(?:stay|renew|continue)\b
    | \bcomparison\s+of\s+(?:[\w-]+\s+){0,3}?(?:vendors|platforms|suppliers)\b
    | \b(?:shop(?:ping)?|look(?:ing)?)\s+around\b | \b(?:look(?:ing)?|shop(?:ping)?)\s+elsewhere\b
    | \b(?:fit|option|deal|vendor|solution)\s+elsewhere\b
    | \b(?:to|with|for)\s+a\s+competitor\b
    | \b(?:we|they)\b(?:(?!\b(?:not|never|no|we|they)\b|n't)[^.,;:!?]){0,25}?\b(?:mov(?:e|ing)|switch(?:ing)?|
      migrat(?:e|ing)|chang(?:e|ing))\s+(?:(?:all\s+)?(?:our|their)\s+[\w-]+\s+)?(?:over\s+)?to\s+<NAME>
    | \b(?:decided|voted|chose|agreed|plans?|planning|wants?|intends?|mandated|approved|announced)\s+(?:to\s+)?
      (?:(?:a|the)\s+)?(?:switch|move|migrat(?:e|ion)|go)\s+(?:over\s+)?to\s+<NAME>
    | \bsign(?:ed|ing)\s+(?:[\w-]+\s+){0,4}?with\s+<NAME>
    | \btak(?:e|ing)\s+(?:our|their)\s+(?:[\w-]+\s+){0,3}?business\s+to\s+<NAME>
    | \bstandardi[sz](?:e|ing)\s+on\s+<NAME>
    | ^(?:moving|switching|migrating)\s+(?:over\s+)?to\s+<NAME>
    | \b(?:going\s+to|will|'ll|plan\s+to|want\s+to)\s+leave(?=\s+(?:at\s+(?:the\s+)?(?:renewal|end\s+of\s+(?:our|the)\s+
      (?:term|contract|agreement))|when|after|once|by|before|unless|as\s+soon)\b|\s*[.!;]|$)
    | \b(?:likely|probably|decided\s+to|going\s+to|will|'ll|plan\s+to)\s+go\s+with\s+(?:them|<NAME>)
    | \btriall?ing\s+<NAME>
    | \b(?:moving|switching)\s+over\b(?!\s+to\s+(?:the|a|an|our|your)\b)
    | (?:\b(?:we'?re|we\s+are|we'?ll\s+be|we\s+will\s+be)\s+|^)(?:switching|leaving|moving\s+on|out|dropping)
      (?=\s*(?:[.!;,]|$)|\s+(?:as\s+soon|at\s+(?:the\s+)?(?:end\s+of\s+(?:our|the)\s+(?:term|contract|agreement)|
      renewal)|when|after|once|by|next|for\s+good)\b)

    # --- German: kündigen, die Kündigung ---
    | \b<DE_OBJECT>\s+<GAP_DE>{0,4}?kündig(?:en|t)\b
    | \b(?:kündig(?:en|t|e)|beenden)\s+(?:(?:wir|ich|hiermit|sie|dann|bitte|daher|deshalb|somit|also)\s+)*
      (?:den|unseren|unser|das|ihren|ihr|die|unsere)\s+(?:\w+\s+)?<DE_OBJECT>\b
    | (?:(?<=\bwir\s)|(?<=\bich\s)|(?<=\bwerden\s)|(?<=\bwollen\s)|(?<=\bmöchten\s)|(?<=\bmüssen\s)|(?<=\bleider\s)|
      (?<=\bdaher\s)|(?<=\bdeshalb\s)|(?<=\bhiermit\s))kündigen\b(?!\s+(?:nicht|kein\w*)\b)
    | \bkündigen\s+wir\b(?!\s+(?:nicht|kein\w*)\b)
    | \b(?:praxis|klinik\w*|kunde|kundin|haus|mvz|einrichtung)\b[^,;]{0,40}?\b(?:wird|will|möchte|muss)\s+
      (?:(?!nicht\b|kein\w*\b)\S+\s+){0,3}?kündigen\b
    | \bkündigen\s+(?:(?!nicht\b)\w+\s+)?(?:zum|per|fristlos|fristgerecht|außerordentlich|ordentlich)\b
    | \bkündigung\b(?!\s+(?:der|des|von|unserer|unseres)\s+(?:mitarbeiter\w*|kolleg\w*|frau|herrn?|mfa|ärzt\w*)\b)
      <NO_NEG_AFTER>
    | \b(?:sonderkündigung\w*|kündigungs(?:bestätigung|schreiben))\b

    # --- German: nicht verlängern ---
    | \bnicht\s+(?:mehr\s+)?(?:verlänger|erneuer)(?:n|t)\b | \bverlängerung\s*[:-]\s*nein\b
    | \bverlängern\s+(?:wir\s+|ich\s+)?(?:(?:den|unseren|das|unser|die)\s+(?:\w+\s+)?)?nicht\b
    | \b(?:keine|gegen\s+(?:eine|die))\s+(?:automatische\s+|weitere\s+)?verlängerung\b
    | \bverlängerung\s+nicht\s+(?:empfehlen|befürworten|zustimmen|unterschreiben)\b
    | \bverlängerung\s+kommt\s+(?:für\s+uns\s+)?nicht\s+in\s+frage\b
    | \bwidersprech\w*\s+(?:(?:wir|hiermit)\s+)*(?:der|die)\s+(?:automatischen\s+)?verlängerung\b
    | \b(?:vertrag|abo\w*)\s+(?:\S+\s+){0,3}?auslaufen\s+lassen\b
    | \blassen\s+(?:den|unseren|das|unser)\s+(?:vertrag|abo\w*)\s+(?:\S+\s+){0,3}?auslaufen\b

    # --- German: wechseln, andere Anbieter, Alternativen ---
    | \b(?:den|unseren)\s+anbieter\s+(?:zu\s+)?wechseln\b | \bwechseln\s+(?:wir\s+)?(?:den|unseren)\s+anbieter\b
    | \banbieterwechsel\b<NO_NEG_AFTER>
    | \b(?:für|nach|zu|an)\s+(?:einen|einem)\s+(?:anderen|neuen)\s+anbieter\b<NO_NEG_AFTER>
    | \bfür\s+<NAME>\s+entschieden\b
    | \bgegen\s+(?:sie|ihre?\s+\w+)\s+entschieden\b
    | \b(?:einen|einem)\s+(?:anderen|neuen)\s+anbieter\s+(?:\w+\s+)?(?:suchen|finden|wählen|beauftragen)\b
    | \b(?:prüf\w*|such\w*|vergleich\w*|evaluier\w*)\s+(?:\w+\s+)?andere\s+anbieter\b
    | \b(?:auf|zu)\s+(?:ein(?:em|e|en)?\s+)?andere[nmsr]?\s+(?:system|lösung|software|plattform)\s+(?:zu\s+)?
      (?:wechseln|umsteigen|umzusteigen|umstellen)\b
    | \bwir\s+(?:(?:werden|wollen|möchten)\s+)?wechseln\s+(?:(?!nicht\b)\S+\s+){0,4}?(?:zu|auf)\s+<NAME>
    | \b(?:zu|auf)\s+<NAME>\s+(?:zu\s+)?(?:wechseln|gehen|umsteigen|umzusteigen)\b
    | \bsteigen\s+(?:\S+\s+){0,4}?auf\s+<NAME>\s+um\b
    | \b(?:werden|wollen|möchten)\s+(?:(?:wohl|wahrscheinlich|vermutlich|bald|definitiv)\s+)?wechseln(?=\s*(?:[.!,;]|$))
    | \bwir\s+wechseln(?=\s*(?:[.!;]|$))
    | \bauf\s+(?:eine?n?\s+)?andere[nmsr]?\s+(?:system|lösung|software|plattform|anbieter)\s+um\b
    | \b(?:ihre|die)\s+(?:plattform|software|lösung)\s+wird\s+(?:\S+\s+){0,3}?abgeschaltet\b
    | \bob\s+wir\s+(?:\w+\s+)?(?:bei\s+ihnen\s+bleiben|verlängern)\b
    | \bnach\s+(?:alternativen|einer\s+alternative|anderen\s+anbietern|einem\s+(?:anderen|neuen)\s+anbieter|
      etwas\s+anderem)\s+um(?:sehen|zusehen|schauen|zuschauen)?\b
    | \banderweitig\s+um(?:sehen|zusehen|schauen|zuschauen)?\b
    | \b(?:such\w*|schau\w*)\s+(?:\w+\s+){0,2}?nach\s+(?:alternativen|einer\s+alternative|einem\s+(?:anderen|neuen)\s+
      anbieter)\b
    | \balternativen?\s+zu\s+(?:ihnen|ihr\w*)\b
    | \bhören\s+(?:\S+\s+){0,5}?auf(?=\s*(?:[.!,;]|$)) | \baufhören\b
    | \balternativen\s+(?:\w+\s+)?(?:prüfen|suchen|anschauen|ansehen|evaluieren)\b
    | \b(?:mit|bei)\s+(?:\w+\s+)?wettbewerbern?\b
    | \b(?:ihre|eure)\s+(?:lösung|software|plattform|system|produkt)\s+(?:\w+\s+)?(?:zu\s+)?ersetzen\b
    | (?<!\buns\s)(?<!\bihnen\s)\bden\s+zuschlag\s+(?:gegeben|erteilt)\b
    | \bangebote\s+(?:\w+\s+)?vergleichen\b

    # --- German: beenden, nicht weiter nutzen ---
    | \b(?:beenden|kündigen)\s+(?:wir\s+)?(?:die|unsere)\s+zusammenarbeit\b
    | \b(?:<DE_OBJECT>|nutzung)\s+<GAP_DE>{0,4}?beenden\b
    | \bnutzung\s+<GAP_DE>{0,6}?einstellen\b
    | \bnicht\s+(?:mehr\s+)?(?:weiter|länger)\s+(?:nutzen|verwenden|einsetzen)\b
    | \bnicht\s+(?:mehr\s+)?(?:weitermachen|weiterarbeiten|fortsetzen|fortführen)\b
    | \braus\s+aus\s+(?:dem|diesem|unserem)\s+vertrag\b
    | \bwir\s+sind\s+weg\b
    | \bkeine\s+zukunft\b
    | \baccount\s+(?:\S+\s+)?(?:schließen|löschen|auflösen)\b
"""
# Every phrase starts at a word (or at the apostrophe of "'d like"): testing that once, before the alternatives,
# lets the engine skip the inside of words instead of trying each alternative at every character.
_INTENT = re.compile(
    r"\b(?=[^\W\d_]|')(?:"
    + _INTENT_RULES.replace("<NM>", _NOT_A_MEETING).replace("<NEG>", _NEG).replace("<NAME>", _NAME)
    .replace("<NO_NEG_AFTER>", _NO_NEGATION_AFTER).replace("<GAP_DE>", _GAP_DE).replace("<DE_OBJECT>", _DE_OBJECT)
    .replace("<PLATFORM>", _PLATFORM)
    + "\n)",
    re.IGNORECASE | re.VERBOSE,
)
# Hearsay ("the rumours that we're switching ...") is not the customer's own intent either.
_NEGATORS = frozenset({"not", "no", "never", "without", "nicht", "kein", "keine", "keinen", "keinem", "keiner",
                       "nie", "niemals", "rumour", "rumours", "rumor", "rumors"})
# Contractions typed without the apostrophe ("we dont plan to cancel").
_BARE_CONTRACTIONS = frozenset({"dont", "doesnt", "didnt", "wont", "cant", "isnt", "arent", "wasnt", "werent",
                                "havent", "hasnt", "wouldnt", "shouldnt", "couldnt"})
# A negation right after these is a condition, not a denial ("if this isn't fixed we'll move off ...").
_CONDITIONALS = frozenset({"if", "unless", "wenn", "falls", "sofern", "solange"})
# Sentences end at . ! ? and line breaks, but not at a title ("Dr. Aydin"), a common abbreviation, or the dot of
# a German date or ordinal ("zum 31.03. kündigen", "zum 1. Juli"). A negation does not reach into the next clause
# ("... nicht mehr, wir werden kündigen"); a comma before a zu-infinitive keeps it ("nicht vor, ... zu kündigen").
_ABBREVIATIONS = "".join(rf"(?<!\b{a}\.)" for a in ("Dr", "Mr", "Ms", "Mrs", "Prof", "St", "Nr", "ca", "bzw", "vs",
                                                      "B"))
_SENTENCE_BREAK = re.compile(
    rf"(?<=[.!?]){_ABBREVIATIONS}(?<!\b\d\.)(?<!\b\d\d\.)\s+|(?:(?<=\b\d\.)|(?<=\b\d\d\.))\s+"
    r"(?=(?!Jan|Feb|Mär|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez)[A-ZÄÖÜ])|\n+")
_CLAUSE_BREAK = re.compile(
    r"[;:()\u2013\u2014]|,(?=\s*(?:(?:and|but|so|und|aber|also|daher)\s+)?(?:we|i|they|wir|ich)\b)")
_FEATURE_REQUEST = re.compile("|".join(re.escape(k) for k in FEATURE_REQUEST_KEYWORDS), re.IGNORECASE)


def churn_intent_phrase(text: str) -> str | None:
    """The phrase of a text that signals cancellation intent, or None (negated mentions do not count)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")  # typographic apostrophes, as mail clients type
    for sentence in _SENTENCE_BREAK.split(text):
        if not _KEYWORD_IN_LOWER_CASE.search(sentence.lower()):  # every phrase holds a keyword: a cheap test first
            continue
        for match in _INTENT.finditer(sentence):
            if not _negated(sentence[: match.start()]):
                return match.group(0).strip()
    return None


def _negated(prefix: str) -> bool:
    """Whether one of the four words before a phrase, in its own clause, negates it ("no plans to", "we're not"),
    unless that negation sits in an if/unless condition."""
    words, parts = [], []  # each word, and the comma-separated part it sits in
    for part, text in enumerate(_CLAUSE_BREAK.split(prefix.lower())[-1].split(",")):
        found = re.findall(r"[\w']+", text)
        words += found
        parts += [part] * len(found)
    for i in range(max(0, len(words) - 4), len(words)):
        negator = words[i] in _NEGATORS or words[i] in _BARE_CONTRACTIONS or words[i].endswith("n't")
        # "if this isn't fixed", "wenn sich der Support nicht bessert, ...": a condition
        condition = any(words[j] in _CONDITIONALS for j in range(i) if parts[j] == parts[i])
        if negator and not condition:
            return True
    return False


def is_feature_request(text: str) -> bool:
    """Whether a text asks for a feature."""
    return _FEATURE_REQUEST.search(text) is not None


CASE_STUDY_KEYWORDS: tuple[str, ...] = ("case study", "testimonial", "reference call")
_CASE_STUDY = re.compile("|".join(re.escape(k) for k in CASE_STUDY_KEYWORDS), re.IGNORECASE)
_CHURN_CANDIDATE = re.compile("|".join(re.escape(k) for k in CHURN_KEYWORDS), re.IGNORECASE)
# The same test on lower-cased text: several times faster in Python's engine than the IGNORECASE one.
_KEYWORD_IN_LOWER_CASE = re.compile("|".join(re.escape(k.lower()) for k in CHURN_KEYWORDS))

# The name stored with every analysed text (`analysed_with`). Change it whenever the rules above
# change, in a release whose migration empties `analysed_with` so every text is read again.
ANALYSER = "phrases-2"
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
