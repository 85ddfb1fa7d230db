"""Churn intent: whether a customer text says the customer means to stop being a customer, and the words that
say so (English and German).

A small grammar rather than a phrase list: a verb family of leaving (cancel, terminate, not renew, leave, quit,
switch / move / go to another vendor, replace us, sign with another vendor; kündigen, verlassen, wechseln,
umsteigen, ...) with the objects it must have (the contract, the account, "you", another vendor, nothing),
then guards on the clause around it: negation (in German also after the verb), a condition the verb sits in
("if a patient cancels"), advice ("you should cancel"), hearsay, a subject that is not the customer (a patient,
a colleague, the lab), targets that are not vendors (EHRs, labs, operating systems, months, people) and vendors or
contracts of something else (an ISP, a phone system, the copiers); one guard function per family.

Speed: one scan of the lower-cased text for the families' stems; a text without any runs no grammar. A family's
grammar runs only in the stretches of the sentence around its stems (or at the stem itself, for families whose
phrases start there), in text order, and stops once no earlier phrase can be found.
"""

import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from scoring.texts.names import SYSTEMS
from scoring.texts.patterns import alternation
from scoring.texts.reading import Evidence

# Marks that end the clause or the sentence a guard looks at (the last one before a phrase counts): sentence
# punctuation that does not end an abbreviation or a date ("Dr.", "z.B.", "1. Juli"), clause punctuation and
# conjunctions.
_AFTER_PUNCTUATION = (r"(?<!\bdr.)(?<!\bmr.)(?<!\bmrs.)(?<!\bms.)(?<!\bprof.)(?<!\bnr.)(?<!\bst.)(?<!\bca.)"
                      r"(?<!\bz\.b.)(?:(?<!\d.)|(?<=\.)(?=\s+(?:(?!jan|feb|mär|apr|mai|jun|jul|aug|sep|okt|nov|dez)"
                      r"[a-zäöü]|$)))")
_CLAUSE_MARK = re.compile(rf"[.!?]{_AFTER_PUNCTUATION}|[;:\n,\u2013\u2014(]|\b(?:but|and|so|aber|und|sondern|denn|"
                          r"because|weil|da|while|whereas|während)\b")
_SENTENCE_MARK = re.compile(rf"[.!?]{_AFTER_PUNCTUATION}(?=\s)|\n")

# Names that are not vendors a customer leaves us for: EHRs and practice systems, labs, operating systems,
# office and cloud products (scoring.texts.names), titles, pronouns, months and days.
NOT_VENDORS = SYSTEMS | frozenset("""
dr mr mrs ms prof frau herr herrn sie ihnen ihrer ihrem ihren ihre ihr beginn anfang ende mitte we i
january february march april may june july august september october november december januar februar märz
juni juli oktober dezember monday tuesday wednesday thursday friday saturday sunday montag dienstag mittwoch
donnerstag freitag samstag sonntag q1 q2 q3 q4 version release v2 v3 the a an our your their this that
kis pvs ehr emr lis ris pacs it new
""".split())

_NAME = (r"(?-i:(?P<name>[A-Z][\w-]*[A-Za-z0-9](?:\.(?:com|io|ai|app|de|net|co|health)\b)?"
         r"(?:\s+(?:[A-Z][\w-]*[a-z][\w-]*|Health|AI|MD))?|[a-z]+[A-Z][\w-]+))")
_VENDOR_NOUN = (r"(?:vendors?|providers?|suppliers?|platforms?|systems?|solutions?|tools?|products?|software|"
                r"company|companies|service|options?|partners?|competitors?|apps?)")
_OTHER_VENDOR = (rf"(?:(?:an?other|a\s+different|a\s+cheaper|an?\s+alternative|a\s+competing|other|"
                 rf"different|cheaper)\s+(?:[\w-]+\s+)?{_VENDOR_NOUN}|(?:a\s+)?new\s+(?:vendors?|suppliers?|platform|provider)|"
                 r"a\s+competitor|someone\s+else|"
                 r"somebody\s+else|the\s+competition|one\s+of\s+your\s+competitors)")
_US = (r"(?:you(?:\s+guys)?|y'all|u(?=\s)|your\s+(?:company|firm|team|service|services|product|platform|software|app|"
       r"solution|tool|system|business)|this\s+(?:company|service|platform|product|vendor|software|app)|"
       r"(?-i:(?P<own>[A-Z][\w-]*)))")
_CONTRACT = (r"(?:subscriptions?|subs?c?r?i?[bp]?t?i?o?ns?|contracts?|ac+o?u?n?ts?|acct|plans?|agreements?|"
             r"memberships?|services?|licen[cs]es?|"
             r"relationship|partnership|business|auto-?renewal|renewal|trial|workspace)")
_DET = r"(?:our|my|the|this|your|their|its|all|all\s+of\s+our|all\s+our|the\s+whole|the\s+entire|our\s+entire)"

_FAMILIES: dict[str, str] = {
    # cancel / terminate / end / close: the contract, the account, or nothing ("I'm cancelling.")
    "end_contract": rf"""
        \b(?P<verb>cancel(?:l?ing|l?ed|s|l)?|cancle|terminat(?:e|es|ed|ing)|end(?:ing|s)?|clos(?:e|ing)(?:\s+out)?|
          deactivat(?:e|ing)|
          delet(?:e|ing)|shut(?:ting)?\s+down|discontinu(?:e|ing)|wrap(?:ping)?\s+up|wind(?:ing)?\s+down|
          unsubscrib(?:e|ing)(?:\s+(?:us|me))?\s+from|get(?:ting)?\s+(?:(?:us|me)\s+)?(?:out|rid)\s+of|pull(?:ing)?\s+out\s+of|
          back(?:ing)?\s+out\s+of|wants?\s+out\s+of|stop(?:ping)?|drop(?:ping)?|sunset(?:ting)?|ditch(?:ing)?|
          remov(?:e|ing)|quit(?:ting)?)
        \s+(?P<det>{_DET}\s+)?(?P<mod>(?:[\w&'-]+\s+){{0,2}}?)(?P<obj>{_CONTRACT}|platform|product|software|
          tool|app)\b
    """,
    "end_us": rf"""
        \b(?P<verb>cancel(?:l?ing|l?ed)?|terminat(?:e|ing)|drop(?:ping)?|wind(?:ing)?\s+down|mov(?:e|ing)\s+on\s+from|
          discontinu(?:e|ing)|replacements?\s+for|fertig\s+mit|unsubscrib(?:e|ing)\s+(?:us|me)\s+from|pull(?:ing|ed)?\s+the\s+plug\s+on|
          sunset(?:ting)?|phas(?:e|ing)\s+out|decommission(?:ing)?|retir(?:e|ing)|
          (?:no\s+longer|don't|do\s+not|won't)\s+(?:want|wish|plan|intend)\s+to\s+(?:use|keep|continue\s+with))\s+
          (?:the\s+practice's\s+|our\s+)?(?P<obj>{_US}|us)\b(?!\s+(?:back|down)\b)
    """,
    "us_gone": rf"""
        \b(?P<obj2>{_US.replace("own", "own2")})\s+(?:is|will\s+be|gets|is\s+getting|getting|is\s+being)\s+
          (?P<verb2>replaced|phased\s+out|retired|decommissioned|sunset|dropped)\b
        |\b(?P<verb3>want(?:s|ed)?)\s+(?P<obj3>{_US.replace("own", "own5")})\s+(?:gone|out)\b
        |\b(?P<obj4>{_US.replace("own", "own6")})\s+(?P<verb4>(?:didn't|did\s+not|won't|will\s+not)\s+make\s+the\s+cut)
    """,
    "want_ended": rf"""
        \b(?P<verb>(?:want|need|would\s+like|wish|like)\s+(?:our|my)\s+(?P<mod>(?:[\w&'-]+\s+){{0,2}}?)
          (?P<obj>{_CONTRACT})\s+(?:to\s+(?:end|be\s+(?:terminated|cancell?ed|closed|ended|deleted))|terminated|
          cancell?ed|closed|ended|deleted))\b
    """,
    "cancel_bare": r"""
        \b(?P<verb>cancel(?:l?ing|l)?|cancle|terminate)\b(?P<rest>(?:\s+(?:it|everything|(?:it|this|everything)\s+all|
          now|today|immediately|please|pls|asap|effective|at|as\s+of|by|when|once|after|before|in|for\s+good|
          unless|if|then|early|online|now|for\s+cause|citing|because|due\s+to|mid|mid-\w+|without\s+(?:further|penalty)|
          and\s+(?:refund|delete|close|remove)|or\s+(?:downgrade|pause|scale\s+(?:back|down)|cut\s+back|switch|leave|
          move|not\s+renew)|
          with\s+immediate)\b|\s*[.!?,;:]|\s*$))
    """,
    "cancellation": rf"""
        \b(?:(?P<verb5>lost\s+(?:\w+\s+){{0,2}}?to\s+(?:a\s+|the\s+)?competit\w*|request(?:s|ed|ing)?\s+(?:a\s+|the\s+)?
          (?:cancell?ation|termination)(?=\s*(?:[.!?,;:]|$)|\s+(?:effective|as\s+of|on|by|from|at\s+(?:the\s+)?end|today|
          \d|of\s+(?:our|their|the|its)\s+(?:contract|subscription|agreement|service)\b)))|
          (?P<verb7>(?:closure|closing|deletion|removal|cancell?ation|termination)\s+of\s+(?:my|our)\s+
          (?:[\w-]+\s+)?{_CONTRACT}\b|(?:early\s+)?(?:cancell?ation|termination|exit)\s+(?:fees?|penalt(?:y|ies)|
          polic(?:y|ies)|terms|conditions|charges?|costs?)\s+(?:on|for|of|in|under|with)\s+(?:my|our)\s+
          (?:[\w-]+\s+)?{_CONTRACT}\b)|
          (?P<verb4>(?:exercis|invok)(?:e|ing)\s+(?:our|my|the)\s+(?:right|option)\s+to\s+(?:terminate|cancel|exit))|
          (?P<verb3>(?:this\s+(?:is|serves\s+as)|consider\s+this|(?:treat|accept|take)\s+this\s+(?:\w+\s+)?as)\s+
          (?:our|my)\s+(?:\d+[\s-]days?'?\s+|formal\s+|
          written\s+|official\s+)?notice(?=\s*(?:[.!;]|$|of\s+(?:termination|cancell?ation|non-?renewal)))|(?:you've|you\s+have)\s+lost\s+(?:our|my)\s+business)|(?P<poss>our|my)\s+(?:formal\s+)?(?P<verb>cancell?ation|termination)(?!\s+(?:rates?|polic(?:y|ies)|
          reasons?|list|fees?|slots?|window|workflow|reports?|settings?|texts?|messages?|templates?|of\s+the\s+
          (?:appointment|meeting|visit|order)))
        |^\s*(?P<verb6>cancell?ation|cancel\s+(?:subscription|membership|account|plan))(?:\s+(?:please|pls|request))?
          (?=\s*[.!?]*\s*$)
        |(?P<verb2>notice\s+(?:of|to)\s+(?:cancell?ation|termination|non-?renewal|terminate|cancel|end)|
          non-?renewals?|(?:termination|exit)\s+(?:clause|terms)|(?:cancell?ation|termination)\s+of\s+(?:the|our|this)\s+
          (?:agreement|contract|subscription)|(?:cancell?ation|termination)\s+(?:notice|terms|process|request|letter|
          paperwork|form)|vendor\s+replacement|offboarding))\b
    """,
    "how_cancel": r"""
        \b(?:how|hw|where|where's|wheres|process|steps?|notice|way|possible)\b(?:\s+[\w']+){0,6}?\s+
        (?P<verb>(?:to\s+)?(?:cancell?|cancle|terminate|close|delete|unsubscribe|deactivate)|cancell?ation)\b
    """,
    # not renewing, letting it lapse
    "not_renew": r"""
        \b(?P<verb>(?:not|never|n't|no\s+longer|won't|wont|don't|dont|do\s+not|will\s+not|decided\s+not\s+to|
          chosen\s+not\s+to|decided\s+against|no\s+(?:intention|plans?)\s+(?:of|to)|can't\s+recommend|
          rather\s+than|instead\s+of|not\s+worth)\s+(?:(?:be|going\s+to|to|plan(?:ning)?\s+to|intend\s+to|want\s+to|wish\s+to|
          expect\s+to|see\s+us|recommend(?:ing)?|think\s+(?:they|we)(?:'ll|\s+will))\s+)*(?:the\s+)?
          (?:(?:auto[\s-]?)?re-?new(?:ing|al|ed)?|
          sign(?:ing)?\s+(?:again|another\s+(?:year|term)|a\s+new\s+(?:contract|agreement)|the\s+renewal)|
          convert(?:ing)?\s+to\s+(?:a\s+)?paid|extend(?:ing)?(?:\s+(?:it|the\s+\w+))?|
          continu(?:e|ing)\s+(?:after|beyond|past|next|with\s+(?:you|your|the\s+(?:platform|service|contract|
          subscription)|(?-i:(?P<own>[A-Z][\w-]*)))|(?:the|our)\s+(?:subscription|contract|agreement|service))|
          be\s+(?:a\s+|your\s+)?customers?|keep\s+paying|
          (?:need(?:ing)?|requir(?:e|ing))\s+(?:you|this\s+(?:services?|platform|software|product|app|
          subscription)|your\s+(?:services?|platform|software|product|app)|
          (?-i:(?P<own2>[A-Z][\w-]*)))|mov(?:e|ing)\s+forward\s+with\s+(?:you|your\s+\w+|(?-i:(?P<own3>[A-Z][\w-]*)))|
          continu(?:e|ing)(?=\s*[.!;]|\s*$)))\b(?=(?P<rest>[^.!?;]{0,40}))
    """,
    "renewal_off": r"""
        \b(?P<verb>renewal\s+(?:is\s+|'s\s+)?(?:off\s+the\s+table|not\s+happening|isn't\s+happening|won't\s+happen|
          unlikely)|renewal\s*[:-]\s*no\b|(?:out|gone)\s+(?:at|by|before|after)\s+(?:the\s+)?renewal|
          (?:let|letting)\s+(?:the\s+|our\s+|this\s+|it\b\s*)?(?:[\w-]+\s+)?(?:contract|agreement|subscription|
          account|plan|licen[cs]e|it)?\s*(?:lapse|expire|run\s+out)|
          (?:don't|dont|do\s+not|no\s+need\s+to)\s+send\s+(?:us\s+)?(?:a\s+|the\s+|any\s+)?renewal|
          (?:will\s+be|is|'s|be)\s+our\s+(?:last|final)\s+(?:invoice|payment|bill|charge|month|renewal)|
          with\s+no\s+(?:further\s+)?renewal|no\s+renewal\s+for\s+(?:us|me)|
          (?:stop|cancel|disable|turn\s+off|opt\s+out\s+of|switch\s+off)\s+(?:the\s+|our\s+)?
          auto(?:matic)?[\s-]?renew(?:al)?|opt(?:ing|ed)?\s+out\s+of\s+(?:the\s+|our\s+)?renewal|
          reconsider(?:ing)?\s+(?:the|our)\s+(?:renewal|contract|subscription)|rather\b[^.;]{0,60}?\bthan\s+renew\w*|
          (?:last|final)\s+(?:year|month|term|quarter)\s+(?:on|with)\s+(?:the|your|you)|wind(?:ing)?\s+down\s+(?:our|the|my)\s+(?:account|use|subscription|
          contract))\b
    """,
    # leave, quit, churn, walk, part ways: you, us, our product, or nothing
    "leave": rf"""
        \b(?P<verb>leav(?:e|es|ing)|left|quit(?:ting|s)?|churn(?:ing|ed)?|walk(?:ing)?\s+away|walk|part(?:ing)?\s+ways|
          mov(?:e|ing)\s+on|(?:want|need)s?\s+out|
          (?:we're|we\s+are|we\s+r|we'll\s+be|we\s+will\s+be|i'm|im|i\s+am)\s+(?:gone|out|done)|
          (?:mov|switch)(?:e|ing)?\s+over|switch(?:ing)?|drop(?:ping)?|done\s+with|(?:stop|quit)(?:ping)?\s+using|
          stop(?:ping)?\s+(?:entirely|completely|altogether)|(?:be|get|getting)\s+off|transition(?:ing)?\s+(?:off|away)|pull(?:ing)?\s+out|
          mov(?:e|ing)\s+(?:off|away\s+from)|migrat(?:e|ing)\s+(?:off(?:\s+of)?|away\s+from)|phas(?:e|ing)\s+out)
        (?P<rest>\s*$|\s*["']?\s*(?:[.!?,;:\n]|$)|\s+[-\u2013\u2014]\s|\s+(?P<obj>{_US}|us|it|this|the\s+(?:platform|product|service|software|app|
          system)|your\s+\w+)\b|\s+(?:as\s+soon|at\s+(?:the\s+)?(?:end|renewal)|when|once|after|by|before|
          unless|if|next|this|for\s+good|now|today|asap|in\s+\w+)\b|\s+for\s+{_NAME}|
          \s+from\s+(?:{_US.replace("own", "own3")}|us)|\s+with\s+(?:{_US.replace("own", "own4")}|us)\b)
    """,
    # switch / move / go / migrate (from X) to Y; change vendors
    "switch": rf"""
        \b(?P<verb>switch(?:ing|ed|es)?|mov(?:e|ing|ed)|migrat(?:e|ing|ed)|transition(?:ing|ed)?|chang(?:e|ing|ed)|
          go(?:ing)?|goes|went|head(?:ing)?|cut(?:ting)?\s+over|consolidat(?:e|ing)|standardi[sz](?:e|ing)|
          (?:decision|plan|move|switch|migration)|bring(?:ing)?\s+\w+)
        (?P<moved>\s+(?:us|me|everything|(?:patient\s+)?(?:messaging|reminders|scheduling|communications?))|
          \s+(?:all\s+)?(?:of\s+)?(?:our|their|the|my|both|two|three|four|five|six|\d+)(?:\s+[\w-]+){{1,2}}?)?(?:\s+(?:over|back))?
        (?:\s+(?:entirely|completely|fully|permanently))?
        (?:\s+(?:away\s+)?from\s+(?:{_US}|(?-i:(?P<src>[A-Z][\w-]+))))?
        \s+(?:to|on|with|onto)\s+(?:{_OTHER_VENDOR}|{_NAME})
    """,
    "change_vendor": rf"""
        \b(?P<verb>(?:switch|chang|replac)(?:e|es|ed|ing)?|(?:look|shop)(?:ing)?\s+for|find(?:ing)?|select(?:ed|ing)?|
          chose|chosen|cho(?:ose|osing)|pick(?:ed|ing)?|lined\s+up|hired|sign(?:ed|ing)?\s+with|go(?:ing)?\s+with|
          went\s+with|tak(?:e|ing)\s+\w+)\s+(?:(?:our|the|an?|a\s+new)\s+)?(?:(?:software|it|saas|platform|
          messaging|communication)\s+)?(?P<obj>vendors?|suppliers?|platforms|providers|{_OTHER_VENDOR})\b
    """,
    "replace_us": rf"""
        \b(?P<verb>replac(?:e|es|ed|ing)|ersetz(?:en|t)|drop(?:ping|s)?)\s+(?P<obj>{_US}|us|your\s+[\w-]+(?:\s+[\w-]+)?)\b(?!\s+(?:back|down)\b)
        (?!\s+(?:account|card|invoice|contact|password|key|certificate|address|device|license\s+key))
    """,
    "sign_with": rf"""
        \b(?P<verb>sign(?:ed|ing)?(?:\s+(?:a|an|the)\s+(?:[\w-]+\s+){{0,3}}?(?:contract|agreement|deal|letter\s+of\s+
          intent|loi))?|tak(?:e|ing)\s+(?:our|my|their)\s+business|moving\s+forward|go(?:ing)?\s+ahead|go(?:ing)?|goes|went|
          tak(?:e|ing)\s+(?:our|my|their)\s+(?:[\w-]+\s+){{0,2}}?business)\s+(?:with|w/|to)\s+(?:{_NAME}|{_OTHER_VENDOR}|
          (?P<them>them)\b)
    """,
    "in_house": r"""
        \b(?P<verb>(?:take|taking|bring|bringing|move|moving|build|building)\s+(?:our\s+|the\s+|this\s+|it\s+|
          everything\s+)?(?:[\w-]+\s+){0,2}?in-?house)\b
    """,
    "chose": rf"""
        \b(?P<verb>pick(?:ed|s)?|chose|chosen|select(?:ed|s)?|opted\s+for|settled\s+on|decided\s+on|
          leaning(?:\s+(?:towards?|to))?)\s+{_NAME}
    """,
    "elsewhere": r"""
        \b(?P<verb>(?:tak(?:e|ing)\s+(?:our|my|their)\s+(?:[\w-]+\s+){0,2}?business|go(?:ing)?|gone|went|look(?:ing)?|
          shop(?:ping)?|mov(?:e|ing|ed)|sign(?:ed|ing)?(?:\s+up)?)\s+(?:elsewhere|somewhere\s+else)|(?:found|find)\s+(?:a\s+)?(?:better\s+)?
          (?:fit|option|deal|vendor|solution)\s+elsewhere|shop(?:ping)?\s+around|look(?:ing)?\s+around|
          comparison\s+of\s+(?:[\w-]+\s+){0,3}?(?:vendors|platforms|suppliers)|
          found\s+(?:something|someone|somebody)\s+(?:better|cheaper|else)|
          found\s+(?:a|an)\s+(?:better|cheaper|new)\s+(?:app|vendor|provider|service|tool|platform|solution|option|
          alternative)|
          (?:go(?:ing|es)?\s+(?:in\s+)?a\s+different\s+direction|
          (?:gehen|schlagen)\s+(?:\w+\s+)?(?:eine\s+andere\s+richtung|einen\s+anderen\s+weg))
          (?=\s*(?:[.!?,;:]|$)|\s+(?:with|mit)\s+(?:(?:our|the|unserer|der)\s+)?(?:patient|reminder|messag|communicat|
          engagement|termin|erinner)|\s+(?:next|this|from|ab|zum|at\s+renewal)\b))
    """,
    "alternatives": rf"""
        \b(?P<verb>evaluat(?:e|es|ed|ing)|evaluation\s+of|pilot(?:ing)?|(?:a|the)\s+(?:[\w-]+\s+){{0,3}}?pilot\s+(?:of|with)|
          look(?:s|ing)?\s+(?:at|for|into)|consider(?:s|ed|ing)?|explor(?:e|es|ed|ing)|
          research(?:ing)?|review(?:ing)?|compar(?:e|ing)|shop(?:ping)?\s+for|talk(?:ing)?\s+to|inviting|
          (?:get|getting|got)\s+quotes\s+from|seek(?:ing)?|demo(?:ing|'ing)?|trial(?:l)?ing|test(?:ing)?|
          check(?:ing)?\s+out|shortlist(?:ed|ing)?|comparison\s+of(?:\s+[\w-]+){{0,3}}?)["']?
        \s+(?:(?:some|a\s+couple\s+of|a\s+few|two|three|four|several)\s+)?
        (?P<obj>(?:vendors|suppliers|providers|platforms|solutions)(?=\s+(?:to\s+replace|as\s+(?:a\s+)?replacements?))|
          alternatives(?!\s+(?:to|for)\s+(?!(?:you|your|u|us|(?-i:[A-Z]))))|other\s+options|a\s+replacement|
          replacements|competitors|{_OTHER_VENDOR}(?!\s+(?:to|for)\s+(?:the|this|that|a|an)\s+
          (?!(?:platform|product|service)\b))|{_NAME})\b
    """,
    "offer_taken": r"""
        \b(?:offer\w*|quote|angebot)\b[^.!?]{0,80}?[.,;]?\s*(?P<verb>(?:we're|we\s+are|we'll|we\s+will|we'd)\s+
          (?:likely\s+|probably\s+|going\s+to\s+)?(?:taking|accepting|take|accept|go(?:ing)?\s+with)\s+
          (?:it|them|that|their\s+offer)|(?:wir\s+werden|werden\s+wir)\s+(?:das|es|dieses)\s+(?:\w+\s+)?annehmen)\b
    """,
    "threat": r"""
        \b(?P<verb>threat(?:en|ens|ened|ening)\s+to\s+(?:walk|leave|cancel|churn|switch|terminate|quit|go\s+elsewhere)|
          droh\w*\s+(?:\w+\s+){0,3}?(?:mit\s+(?:der\s+)?kündigung|zu\s+kündigen|zu\s+wechseln))\b
    """,
    # German
    "kuendigen": r"""
        (?P<verb>\b(?:kündig(?:e|en|t|st|te|ten)|gekündigt|künd(?:e|en|et|ete)|gekündet|kuendig(?:e|en|t)|
          gekuendigt)\b)
    """,
    "kuendigung": r"""
        (?P<verb>\b(?!\w*ankündigung)(?:\w*kündigung\w*|kuendigung\w*)\b)
    """,
    "verlassen": r"""
        \b(?P<verb>verlass(?:en|e)|verlässt|verließ(?:en)?)\b(?P<rest>\s+(?P<obj>Sie|euch|Ihre?n?\s+(?:Firma|
          Unternehmen|Plattform|Dienst|Service|Software|Lösung)|(?-i:(?P<own>[A-Z][\w-]+)))\b|\s*[.!?,;]|\s*$)
    """,
    "wechseln": rf"""
        \b(?P<verb>wechs(?:eln|elt|le|elst)|gewechselt|zu\s+wechseln|wechsel|umsteigen|umzusteigen|umstieg|
          steig(?:en|t|e)|stieg(?:en)?|umstellen|umzustellen|umgestellt|stell(?:en|t)|geh(?:en|t|e)|gingen|ging|
          migrier(?:en|t))
        (?:\s+(?!nicht\b|kein\w*\b)[\w.]+){{0,5}}?\s+(?:zu|auf|nach)\s+
        (?:{_NAME}|(?:einen|einem|ein|eine|einer)\s+(?:anderen|andere|anderes|neuen|neue|neues)\s+
          (?P<obj>anbieter|system|lösung|software|plattform|dienstleister|hersteller|app))
    """,
    "wechseln_vorn": rf"""
        \b(?:zu|auf)\s+(?:{_NAME}|(?:einen|einem|ein|eine|einer)\s+(?:anderen|andere|anderes|neuen|neue|neues)\s+
          (?:anbieter|system|lösung|software|plattform|dienstleister))\s+(?:\w+\s+){{0,2}}?
          (?P<verb>wechseln|wechselt|gewechselt|umsteigen|umzusteigen|umgestiegen|gehen|geht|umstellen|
          umzustellen|um)\b
    """,
    "anbieter": r"""
        \b(?P<verb>(?:den|unseren|einen|einem|den\s+\w+-?)\s*anbieter\s+(?:zu\s+)?wechseln|
          wechseln\s+(?:wir\s+)?(?:den|unseren)\s+anbieter|anbieterwechsel|wechseln(?=\s*[.!;]|\s*$)|
          (?:neuen|anderen)\s+anbieter\s+(?:\w+\s+)?(?:suchen|finden|wählen|beauftragen)|
          (?:suche|suchen)\s+nach\s+(?:einem\s+)?(?:neuen|anderen)\s+anbieter|
          (?:suche|suchen)\s+(?:\w+\s+)?(?:einen\s+)?(?:neuen|anderen)\s+anbieter(?!\s+(?:für|fürs|im)\b)|
          (?:an|für)\s+einen\s+anderen\s+anbieter\s+(?:vergeben|entschieden)|
          für\s+(?:einen|eine|ein)\s+(?:anderen|andere|anderes|neuen|neue|neues)\s+(?:anbieter|lösung|software|system|
          plattform|dienstleister)\s+(?:\w+\s+)?entschieden|
          (?:bei|mit)\s+(?:einem|einer)\s+(?:anderen|neuen)\s+(?:anbieter|dienstleister)\s+(?:\w+\s+){0,2}?
          (?:unterschrieben|unterzeichnet|abgeschlossen)|
          (?:wollen|möchten|werden|müssen)\s+(?:\w+\s+){0,2}?zu\s+(?:einem|einer)\s+(?:anderen|neuen|günstigeren|besseren|
          billigeren)\s+(?:anbieter|lösung)|
          (?:umstellung|umstieg|wechsel)\s+(?:auf|zu)\s+(?:den|einen|einem|die|eine)\s+(?:neuen|anderen|neue|andere)\s+
          (?:anbieter|lösung|plattform|dienstleister)|
          nach\s+(?:alternativen|einer\s+alternative|anderen\s+anbietern|einem\s+(?:anderen|neuen)\s+anbieter|
          etwas\s+anderem)\s+um(?:zu)?(?:sehen|schauen)|anderweitig\s+um(?:zu)?(?:sehen|schauen)|
          (?:prüf|such|evaluier|vergleich|test)\w*\s+(?:\w+\s+)?(?:alternativen|andere\s+anbieter)|
          (?:sehen|schauen)\s+(?:(?!nicht\b|kein\w*\b)\w+\s+){0,5}?nach\s+(?:alternativen|einer\s+alternative|anderen\s+anbietern|
          einem\s+(?:anderen|neuen)\s+anbieter|etwas\s+anderem)(?:\s+(?:zu|für)\s+\w+)?\s+um|
          (?:was|etwas)\s+(?:anderes|besseres|günstigeres)\s+gefunden|(?:gehen|wechseln|ziehen)\s+(?:\w+\s+){0,2}?
          zur\s+konkurrenz|aus\s+(?:dem|unserem|meinem)\s+vertrag\s+(?:raus|heraus)\b|
          (?:automatische|auto)\w*\s+verlängerung\s+(?:(?!der\b|des\b|für\b|von\b)\w+\s+){0,2}?(?:ausschalten|deaktivieren|abschalten|stoppen|
          beenden|kündigen)|(?:deaktivier|abschalt|ausschalt|stopp)\w*\s+(?:sie\s+)?(?:\w+\s+)?(?:die|unsere)\s+
          automatische\s+verlängerung|
          (?:woanders|anderswo|anderweitig)\s+(?:unterschrieben|unterzeichnet|abgeschlossen|hin)|
          aus\s+dem\s+vertrag\s+(?:\w+\s+)?(?:raus|heraus)(?:zu)?(?:kommen|kommt)|ob\s+wir\s+(?:\w+\s+)?bei\s+ihnen\s+bleiben|
          alternativen\s+(?:zu\s+ihnen|zu\s+ihr\w*\s+\w+|prüfen|suchen|evaluieren)|
          (?:such\w*|schau\w*)\s+(?:\w+\s+){0,2}?nach\s+(?:alternativen|einer\s+alternative)|
          angebote\s+(?:\w+\s+)?vergleichen|mit\s+(?:\w+\s+)?wettbewerbern|
          (?:gegen\s+(?:sie|ihre?\s+\w+|eine\s+verlängerung|die\s+verlängerung))\s+entschieden|
          den\s+zuschlag\s+(?:gegeben|erteilt)|mit\s+einem\s+(?:anderen|neuen)\s+anbieter\s+(?:\w+\s+)?
          (?:zusammen)?arbeiten|(?:stornier|widerruf|kündig)\w*\s+(?:sie\s+)?(?:\w+\s+)?(?:die|unsere)\s+
          (?:automatische\s+)?verlängerung)\b
    """,
    "ersetzen_durch": r"""
        \b(?P<verb>(?:Sie|euch|Ihre?n?\s+(?:Lösung|Software|Plattform|Produkt|System|Dienst|Service|Firma)|
          (?-i:(?P<own>[A-Z][\w-]*)))\s+durch\s+(?:\S+\s+){1,5}?(?:zu\s+)?
          ersetz\w*)
    """,
    "rausfliegen": r"""
        \b(?P<verb>(?:Sie|ihr|(?-i:(?P<own>[A-Z][\w-]*)))\s+(?:fliegt|fliegen)\s+(?:\S+\s+){0,4}?raus)\b
    """,
    "nicht_mehr_brauchen": r"""
        \b(?P<verb>(?:brauchen|benötigen|nutzen|verwenden|werden|wollen)\s+(?:wir\s+)?(?:Sie|euch|
          Ihre?n?\s+(?:Leistungen|Software|Lösung|Plattform|Dienste?|Produkt|Service)|(?-i:(?P<own>[A-Z][\w-]*)))\s+
          (?:\S+\s+){0,4}?nicht\s+mehr(?:\s+(?:nutzen|verwenden|einsetzen|brauchen|benötigen))?)\b
    """,
    "use_other": rf"""
        \b(?P<verb>(?:nutzen|verwenden|arbeiten)\s+wir\s+(?:(?!(?:die|der|das|den|dem)\b)\w+\s+){{0,2}}?(?:mit\s+)?|(?:künftig|zukünftig|ab\s+\w+)\s+mit\s+|
          (?:we'll|we\s+will|we're|we\s+are)\s+(?:be\s+)?(?:using|on)\s+)(?!mit\b){_NAME}
    """,
    "abloesen": r"""
        \b(?P<verb>(?:Sie|euch|(?-i:(?P<own>[A-Z][\w-]*)))\s+(?:[\w-]+\s+){0,3}?(?:abzulösen|ablösen|abgelöst))\b
    """,
    "pilot": rf"""
        \b(?P<verb>(?:pilot\w*|probelauf|testphase|testlauf)\s+(?:mit|von|bei|of|with|w/))\s+{_NAME}
    """,
    "für_entschieden": rf"""
        \b(?P<verb>für\s+{_NAME}\s+entschieden)\b
    """,
    "unterschrieben": rf"""
        \b(?P<verb>(?:bei|mit)\s+{_NAME}\s+(?:unterschrieben|unterzeichnet|abgeschlossen)|
          an\s+{_NAME.replace("name", "name2")}\s+vergeben)\b
    """,
    "zuschlag": rf"""
        \b(?P<verb>{_NAME}\s+den\s+zuschlag)\b
    """,
    "nicht_verlaengern": r"""
        \b(?P<verb>(?:nicht|kein\w*)\s+(?:mehr\s+)?(?:(?:zu\s+)?verlänger\w*|erneuer\w*|empfehlen)|
          verlänger(?:n|t)\s+(?:(?:werden|wollen|möchten)\s+)?(?:wir\s+|ich\s+)?(?:(?:den|unseren|das|unser|die|es|ihn)\s+
          (?:\w+\s+)?)?(?:(?:jedenfalls|sicher|bestimmt|definitiv|also|daher|deshalb|sicherlich|aber|jedoch|dann|wohl|
          natürlich|auch|leider)\s+)?nicht|
          verlängerung\w*\s+(?:\w+\s+){0,6}?(?:nicht|keine?)\s+(?:\w+\s+){0,3}?(?:zu\s+)?(?:schicken|senden|zusenden)|
          keine\s+(?:automatische\s+|weitere\s+)?verlängerung|verlängerung\s*[:-]\s*nein|
          widersprech\w*\s+(?:\w+\s+){0,2}?(?:der|die)\s+(?:automatischen\s+)?\w*verlängerung|
          verzicht\w*\s+(?:\w+\s+){0,2}?auf\s+(?:eine|die)\s+(?:weitere\s+)?\w*verlängerung|
          verlängerung\s+stimmen\s+wir\s+nicht\s+zu|
          auslaufen\s+lassen|lassen\s+(?:\w+\s+){1,4}?auslaufen|raus\s+aus\s+dem\s+vertrag|
          \w*(?:rechnung|zahlung|abbuchung)\w*\s+(?:wird|ist)\s+(?:\w+\s+){0,2}?unsere\s+letzte|
          (?:wird|ist)\s+(?:\w+\s+){0,2}?unsere\s+letzte\s+(?:rechnung|zahlung|abbuchung))\b
    """,
    "beenden": r"""
        \b(?P<verb>(?:löschen|schließen|kündigen|beenden)\s+sie\s+(?:bitte\s+)?(?:mein|unser)(?:e|en)?\s+(?:konto|account|
          abo\w*|vertrag|mitgliedschaft)|sondern\s+(?:\w+\s+)?(?:ganz|komplett|vollständig)\s+(?:beenden|kündigen|auflösen)|
          \w*(?:vertrag|abb?o|abonnement|zusammenarbeit|nutzung|mitgliedschaft|account|konto|dienst|
          lizenz|geschäftsbeziehung|testphase|probephase|probeabo)\b(?:\s+(?!nicht\b|kein\w*\b)[\w.]+){0,7}?\s+
          (?:zu\s+)?(?:beenden|beende|widerrufen|einstellen|
          auflösen|löschen|schließen|schliessen|kündigen|stornieren|stoppen|abbestellen|deaktivieren|
          (?:beendet|aufgelöst|gelöscht|geschlossen|storniert|gekündigt)\s+(?:wird|werden))|
          (?:lösch|schließ|schliess|storn|beend)\w*\s+(?:ich|wir|sie)\s+(?:bitte\s+)?(?:mein|meine|meinen|unser|unsere|unseren)\s+
          (?:konto|account|abo\w*|vertrag|mitgliedschaft)|(?:beenden|beendet)\s+(?:(?!nicht\b|kein\w*\b)\w+\s+){0,3}?
          (?:den|unseren|unser|das|die|unsere|ihren)\s+(?:\w+\s+)?(?:vertrag|abo\w*|zusammenarbeit|nutzung|
          mitgliedschaft|geschäftsbeziehung))\b
    """,
    "weg": r"""
        \b(?P<verb>(?:ich\s+bin|wir\s+sind|sind\s+wir|bin\s+ich|(?<![\w,]\s)(?<!\w)(?:bin|sind))\s+
          (?:dann\s+|raus\s+und\s+)?(?:weg|raus)(?=\s*["']?\s*(?:[.!,;\n]|$))|
          (?:ich|wir)\s+(?:will|wollen|möchte|möchten)\s+(?:hier\s+|da\s+)?raus(?=\s*[.!,;]|\s*$)|
          (?:wir|ich)\s+(?:\w+\s+){0,2}?(?:steigen|steige)\s+(?:(?!aus\b)\w+\s+){0,3}?aus(?=\s*[.!,;]|\s*$)|
          (?:wollen|möchten|werden|will|möchte|kann|können|darf|dürfen)\s+(?:(?!aus\s+(?:dem|der|den)\s+(?!vertrag))
          [\w.]+\s+){0,5}?aussteigen|
          nicht\s+(?:mehr\s+)?(?:ihr(?:e)?\s+)?kunden?\s+(?:(?:bei|von)\s+\S+\s+)?(?:sein|bleiben)|
          (?:sind|bin)\s+mit\s+(?:ihnen|euch|dem\s+produkt|der\s+software|(?-i:[A-Z][\w-]+))\s+fertig|(?:endet|enden)\s+(?:\w+\s+)?
          unsere\s+zusammenarbeit|wollen\s+aufhören|keine?\s+kunden?\s+mehr|
          machen\s+schluss|keine\s+zukunft|nicht\s+(?:mehr\s+)?(?:weiter\s*|länger\s+)(?:nutzen|verwenden|einsetzen)|
          nicht\s+(?:mehr\s+)?(?:weitermachen|weiterarbeiten|weiter(?:zu)?führen|weiterführt|fortsetzen|fortzusetzen|fortsetzt|fortführen|fortzuführen|fortführt|
          zusammenarbeiten)|(?:ist|wäre)\s+(?:dann\s+|damit\s+|für\s+uns\s+)?schluss|
          (?:brauchen|benötigen)\s+wir\s+(?:dann\s+)?nicht\s+mehr|(?:wollen|möchten|werden)\s+(?:\w+\s+)?aufhören|(?:wir|ich)\s+hör(?:en|e)\s+(?:\S+\s+){0,6}?auf\b
          (?=\s*[.!,;]|\s*$)|aufhören|abgeschaltet|ersetzen)\b
    """,
    # leaving said without the textbook verbs: goodbye, no further billing, close everything, our last day with you,
    # another system from a date
    "farewell": rf"""
        \b(?P<verb>(?:this\s+is|it's|it\s+is|time\s+to\s+say|(?:we|i)(?:'re|\s+are|'m|\s+am)?\s+(?:say(?:ing)?|
          bid(?:ding)?))\s+(?:our\s+|a\s+)?(?:goodbye|good-bye|farewell)|
          (?:stop|cease|halt|discontinue|end)\s+(?:all\s+)?(?:future|further|recurring|upcoming|any\s+(?:more|further))\s+
          (?:billing|charges|payments|debits|invoic\w+|direct\s+debits)|
          (?:don't|do\s+not|dont)\s+(?:bill|charge|invoice)\s+(?:us|me|our\s+card)\s+(?:again|any\s*more|ever\s+again)|
          (?:clos|shut)(?:e|ing|ting)?(?:\s+(?:down|out|off))?\s+(?:everything|it\s+all|all\s+of\s+it)|
          shut(?:ting)?\s+(?:our|my|the)\s+(?:account|subscription)\s+(?:off|down)|
          (?:our|my)\s+(?:time|journey|relationship|partnership|collaboration)\s+with\s+(?:{_US}|us)\s+
          (?:is\s+|will\s+be\s+)?(?:coming\s+to\s+an\s+end|end(?:s|ing)?|over|done)|
          (?:our|my)\s+(?:last|final)\s+(?:day|week|month)\s+(?:on|with|using)\s+(?:the\s+(?:platform|service|software|
          system)|{_US.replace("own", "own2")})|
          (?:will|'ll|are\s+going\s+to|shall)\s+(?:be\s+)?(?:using|on|switching\s+to|running\s+on)\s+{_OTHER_VENDOR}|
          go(?:ing)?\s+(?:a|another|a\s+different)\s+(?:way|route)|
          you(?:'ve|\s+have)?\s+(?:just\s+)?lost\s+(?:a|another|one|your)\s+(?:\w+\s+)?(?:customer|client)|
          consider\s+(?:us|me)\s+(?:gone|out|done)|
          (?:don't|dont|do\s+not|no\s+need\s+to|refrain\s+from|won't\s+have\s+to|don't\s+bother|dont\s+bother)\s+
          (?:\w+\s+){{0,2}}?(?:send|issu|prepar|draft)\w*\s+(?:us\s+)?(?:(?:a|the|any|our)\s+)?(?:renewal|next\s+invoice)|
          {_US.replace("own", "own3")}\s+(?:won't|will\s+not|will\s+no\s+longer|is\s+no\s+longer)\s+
          (?:be\s+)?part\s+of\s+(?:our|the)|
          (?:sunset|discontinu|ceas|end|wind|phas)\w*(?:\s+(?:down|out))?\s+(?:our\s+|the\s+|all\s+)?(?:use\s+of|using)\s+
          (?:{_US.replace("own", "own4")}|the\s+(?:platform|service|software|system|app))|
          (?:won't|will\s+not|wont|no\s+longer)\s+(?:be\s+)?need(?:ing)?\s+(?:the|this)\s+(?:service|platform|software|
          subscription|app|system)(?!\s+(?:tech\w*|call|desk|team|visit|engineer|update|person|rep\w*|for\b))|
          (?:not|won't)\s+(?:be\s+)?continu(?:e|ing)\s+(?:w/?|with)\s+{_US.replace("own", "own5")}|
          (?:our|my)\s+(?:(?-i:(?P<own6>[A-Z][\w-]+))\s+)?(?:subscription|contract|agreement|account)\s+
          (?:with\s+(?:you|{_US.replace("own", "own7")})\s+)?(?:will\s+)?(?:end|ends|lapses?|expires?)\s+
          (?:with|at|on|in|by|after)\b(?=[^.!?]{{0,80}}?\b(?:leave\s+it\s+at\s+that|won't|will\s+not|not\s+renew|
          bringing|moving|switching|going|replac|pleasure|thank|goodbye|decided)))\b
    """,
    "abschied": r"""
        \b(?P<verb>das\s+war'?s\s+(?:dann\s+)?(?:für|mit)\s+uns|(?:unsere|die)\s+wege\s+trennen\s+sich|
          getrennte\s+wege|
          keine\s+(?:weiteren?\s+)?(?:abbuchungen|lastschriften|belastungen|zahlungen|abbuchung|lastschrift)(?:\s+mehr)?|
          stellen\s+sie\s+(?:bitte\s+)?(?:alle|sämtliche|die|künftige)\s+(?:abbuchungen|lastschriften|zahlungen)\s+ein|
          (?:haben|hat)\s+(?:uns|sich)\s+anders\s+entschieden(?=\s*[.!]|\s*$)|
          (?:nutzen|verwenden|arbeiten)\s+(?:wir\s+)?(?:ab\s+\S+\s+)?(?:mit\s+)?(?:eine[nrm]?\s+)?(?:andere[nrms]?|neue[nrms]?)\s+
          (?:software|system|anbieter|lösung|plattform)|
          (?:nutzt|arbeitet|verwendet)\s+(?:ab\s+\S+\s+)?(?:mit\s+)?eine[nrm]?\s+andere[nrms]?\s+
          (?:software|system|lösung|plattform)|
          trennen\s+sich\s+(?:unsere|die)\s+wege|
          (?:eine[nrms]?\s+)?andere[nrms]?\s+(?:software|system|tool|anbieter|lösung|plattform)\s+(?:\S+\s+){0,4}?
          (?:einsetzen|nutzen|verwenden|setzen)|
          verabschieden\s+(?:wir\s+)?uns\s+(?:\S+\s+){0,4}?von\s+(?:ihnen|euch|(?-i:[A-Z][\w-]+))|
          verlängerung\s+(?:\w+\s+){0,3}?sparen|kein\s+interesse\s+(?:mehr\s+)?an\s+(?:einer|der)\s+(?:weiteren\s+)?
          verlängerung|beendigung\s+(?:unseres|des|unserer|der)\s+\w*(?:vertrag|abo|abonnement|mitgliedschaft)\w*|
          mach(?:t|en\s+sie)\s+(?:bitte\s+)?(?:unseren|unser|das|den)\s+(?:account|konto|abo|zugang)\s+zu|
          alles\s+(?:zu\s+)?schließen|
          hör(?:en|e)\s+(?:\w+\s+)?auf\s+mit\s+(?:ihnen|euch|ihrer?\s+\w+|(?-i:[A-Z][\w-]+))|
          gegen\s+(?:eine|die)\s+(?:weitere\s+)?(?:fortführung|fortsetzung|verlängerung|zusammenarbeit)\s+entschieden|
          ersetzen\s+(?:wir\s+)?(?:sie|euch|(?-i:(?P<own8>[A-Z][\w-]+)))\s+durch|
          (?:den|unseren|ihren|euren)\s+(?:dienst|service|zugang|account|abo|vertrag)\s+(?:\S+\s+){0,3}?
          (?:einzustellen|einstellen|abschalten|abzuschalten)|
          (?-i:(?P<own9>[A-Z][\w-]+))\s+fällt\s+(?:\S+\s+){0,4}?weg)\b
    """,
}

_RULES = {family: re.compile(pattern, re.IGNORECASE | re.VERBOSE) for family, pattern in _FAMILIES.items()}
# Stems one of which every match of a family holds (lower case). "prefix" stems start a word, "word" stems are
# whole words (or word groups), "infix" stems may sit anywhere in a word (German compounds).
_STEMS: dict[str, dict[str, tuple[str, ...]]] = {
    "end_contract": {"prefix": ("cancel", "cancle", "terminat", "clos", "delet", "shut", "discontinu", "unsubscrib",
                                "deactivat",
                                "sunset",
                                "ditch", "stop", "drop", "pull", "remov", "quit"),
                     "word": tuple(f"{verb} {word}" for verb in ("end", "ends", "ending")
                                   for word in ("our", "my", "the", "this", "your", "their", "its", "all", "contract",
                                                "subscription", "service", "services", "business", "account",
                                                "agreement")) + ("wrap", "wrapping", "wind", "winding", "get out",
                              "get rid", "getting out", "getting rid", "get me out", "get us out", "back out",
                              "backing out", "want out",
                              "wants out")},
    "cancel_bare": {"prefix": ("cancel", "cancle", "terminat")},
    "want_ended": {"word": tuple(f"{verb} {det}" for verb in ("want", "need", "like", "wish")
                                 for det in ("our", "my"))},
    "end_us": {"prefix": ("cancel", "terminat", "drop", "replac", "fertig", "discontinu", "pull", "sunset", "phas",
                          "unsubscrib",
                          "decommission", "retir"),
               "word": ("wind", "winding", "move on", "moving on", "no longer", "don't", "won't", "do not")},
    "us_gone": {"prefix": ("replaced", "phased", "retired", "decommission", "sunset", "dropped"),
                "word": ("gone", "you out", "the cut")},
    "cancellation": {"prefix": ("cancel", "terminat", "notice", "non-renew", "nonrenew", "replac", "offboard", "lost",
                                "closure", "closing", "deletion", "removal"),
                     "word": ("exit",)},
    "how_cancel": {"prefix": ("cancel", "cancle", "terminat", "clos", "delet", "unsubscrib", "deactivat")},
    "not_renew": {"prefix": ("renew", "re-new", "sign", "convert", "extend", "continu", "customer", "needing",
                             "require", "requiring", "forward"),
                  "word": ("keep paying", "need you", "need your", "need this")},
    "renewal_off": {"prefix": ("renew", "lapse", "expir", "reconsider", "rather"),
                    "word": ("run out", "last", "final", "wind", "winding")},
    "leave": {"prefix": ("pull", "leav", "quit", "churn", "walk", "switch", "drop", "transition", "phas", "stop",
                         "migrat"),
              "word": ("left", "part", "parting", "move", "moving", "want out", "wants out", "need out",
                       "needs out", "gone", "done", "be off", "get off", "getting off", "we're out", "we are out",
                       "we r out", "we'll be out", "we will be out", "i'm out", "im out", "i am out")},
    "switch": {"prefix": ("switch", "migrat", "transition", "chang", "consolidat", "standardi", "decision", "bring"),
               "word": ("move", "moving", "moved", "head", "heading", "cut over", "cutting over", "plan", "migration")
               + tuple(f"{verb} {word}" for verb in ("go", "going", "goes", "went")
                       for word in ("to", "with", "on", "onto", "back", "over", "from", "entirely", "completely",
                                    "fully", "permanently", "all", "our", "their", "the", "my", "us", "me"))},
    "change_vendor": {"prefix": ("vendor", "supplier", "platforms", "providers", "another", "different", "cheaper",
                                 "alternative", "competing", "competitor", "competition", "someone else",
                                 "somebody else", "new platform", "new provider", "other option", "other platform",
                                 "other product", "other solution", "other system", "other tool", "other software",
                                 "other compan", "other service", "other partner")},
    "replace_us": {"prefix": ("replac", "ersetz", "drop")},
    "sign_with": {"prefix": ("sign",),
                  "word": ("business", "forward", "ahead", "go with", "going with", "goes with", "went with",
                           "go w/", "going w/", "go to", "going to", "goes to", "went to")},
    "in_house": {"prefix": ("in-house", "inhouse", "in house")},
    "chose": {"prefix": ("pick", "chose", "chosen", "select", "leaning"),
              "word": ("opted for", "settled on", "decided on")},
    "elsewhere": {"prefix": ("elsewhere", "somewhere else", "comparison", "found", "direction", "richtung",
                             "anderen weg"),
                  "word": ("shop around", "shopping around", "look around", "looking around")},
    "alternatives": {"prefix": ("alternativ", "replacement", "competit", "vendor", "supplier", "another",
                                "different", "cheaper", "someone else", "somebody else", "new platform",
                                "new provider", "other option", "other platform", "other product", "other solution",
                                "other system", "other tool", "other software", "other compan", "other service",
                                "other partner", "evaluat", "demo", "trial", "shortlist", "pilot"),
                     "word": ("testing", "talk to", "talking to", "check out", "checking out")},
    "offer_taken": {"prefix": ("offer", "quote", "angebot")},
    "threat": {"prefix": ("threat", "droh")},
    "kuendigen": {"infix": ("künd", "kuend")},
    "kuendigung": {"infix": ("künd", "kuend")},
    "verlassen": {"prefix": ("verlass", "verläss", "verließ")},
    "wechseln": {"prefix": ("wechs", "gewechs", "steig", "stieg", "umsteig", "umzusteig", "umstieg", "stell",
                            "umstell", "umzustell", "umgestellt", "geh", "ging", "migrier")},
    "wechseln_vorn": {"prefix": ("wechs", "gewechs", "umsteig", "umzusteig", "umgestieg", "geh", "umstell",
                                 "umzustell"),
                      "word": ("um",)},
    "anbieter": {"prefix": ("wechsel", "umseh", "umzuseh", "umschau", "angebot", "wettbewerb", "entschied",
                            "zuschlag", "ob wir", "anderweitig", "etwas anderem", "verläng", "gefunden", "raus",
                            "heraus", "schauen", "sehen", "woanders", "umstellung", "umstieg", "anderswo",
                            "konkurrenz"),
                 "infix": ("anbieter", "alternativ")},
    "ersetzen_durch": {"prefix": ("ersetz",)},
    "rausfliegen": {"prefix": ("fliegt", "fliegen")},
    "nicht_mehr_brauchen": {"word": ("nicht mehr",)},
    "abloesen": {"prefix": ("abzulös", "ablös", "abgelöst")},
    "use_other": {"word": ("künftig mit", "zukünftig mit", "nutzen wir", "verwenden wir", "arbeiten wir", "be using",
                           "we're using",
                           "we are using", "we're on", "we are on", "we'll be on", "we will be on")},
    "pilot": {"prefix": ("pilot", "probelauf", "testphase", "testlauf")},
    "für_entschieden": {"prefix": ("entschied",)},
    "unterschrieben": {"prefix": ("unterschrieb", "unterzeichn", "abgeschlossen", "vergeben")},
    "zuschlag": {"prefix": ("zuschlag",)},
    "nicht_verlaengern": {"prefix": ("verläng", "erneuer", "auslauf", "raus aus", "empfehl", "letzte", "widersprech",
                                     "verzicht"),
                          "infix": ("verlängerung",)},
    "beenden": {"prefix": ("beend", "einstell", "widerruf", "auflös", "lösch", "schließ", "schliess", "storn", "stopp",
                           "abbestell", "deaktivier", "aufgelöst", "gelöscht", "geschlossen", "gekündigt"),
                "infix": ("künd",)},
    "farewell": {"prefix": ("refrain", "bother", "continu", "goodbye", "good-bye", "farewell", "future", "further",
                            "recurring",
                            "upcoming", "again", "anymore", "everything", "account off", "account down",
                            "subscription off", "subscription down", "time with", "journey with", "relationship with",
                            "partnership with", "collaboration with", "last day", "final day", "last week",
                            "last month", "final month", "lapse", "expire"),
                 "word": ("have to", "need to", "ends", "end with", "end on", "end at", "end in", "end by", "it all",
                          "all of it", "go a", "going a", "go another", "going another", "lost",
                          "consider us", "consider me", "part", "use of", "using", "be on", "running on", "needing",
                          "need the", "need this", "next invoice", "any more", "be using", "we're using",
                          "we are using", "we're on", "we are on", "we'll be on", "we will be on")},
    "abschied": {"prefix": ("war's", "wars", "wege", "abbuchung", "lastschrift", "belastung", "zahlungen",
                            "anders", "nutz", "verwend", "arbeite", "einsetz", "setzen", "verabschied", "verlängerung",
                            "interesse", "beendigung",
                            "mach", "alles", "hör", "gegen", "ersetzen", "einzustell", "einstell", "abschalt",
                            "abzuschalt", "fällt")},
    "weg": {"prefix": ("kunde", "steig", "aussteig", "fertig", "schluss", "zukunft", "weiter", "fortsetz", "fortzusetz",
                       "fortführ",
                       "fortzuführ",
                       "zusammenarbeit",
                       "brauch", "benötig", "hör", "aufhör", "abgeschalt", "ersetz"),
            "word": ("weg", "raus", "endet", "enden", "länger")},
}


def _stem_families() -> dict[str, frozenset[str]]:
    """For every stem, the families whose stems it holds: a prefix stem at its start, an infix stem anywhere, a
    word stem when it is that word (the combined scan reports only one stem per position)."""
    kinds = [(stem, kind, family) for family, by_kind in _STEMS.items() for kind, stems in by_kind.items()
             for stem in stems]
    families: dict[str, frozenset[str]] = {}
    for hit, _, _ in kinds:
        families[hit] = frozenset(family for stem, kind, family in kinds
                                  if (kind == "infix" and stem in hit) or (kind == "prefix" and hit.startswith(stem))
                                  or (kind == "word" and (hit == stem or hit.startswith(stem + " "))))
    return families


def _stems_of(kind: str) -> set[str]:
    return {stem for by_kind in _STEMS.values() for stem in by_kind.get(kind, ())}


_STEM_FAMILIES = _stem_families()
# All word stems in one scan of the lower-cased text (the few infix stems are looked up as substrings): a text
# without any runs no grammar at all.
_STEM = re.compile(rf"(?<!\w)(?:{alternation(_stems_of('prefix'))}|(?:{alternation(_stems_of('word'))})\b)")
_INFIXES = tuple(sorted(_stems_of("infix")))
_PUNCTUATION = re.compile(r"[.!?\n]")
_SENTENCE_END = re.compile(r"[.!?](?=\s)(?<![\d.]\.)(?<!\b\w\.)(?<!\b(?:Dr|Mr|Ms|Nr|ca|St|vs)\.)(?<!\bMrs\.)"
                           r"(?<!\b(?:bzw|ggf|usw|etc)\.)(?<!\bProf\.)(?<!\bapprox\.)|\n")
# Families whose grammar may reach into the sentence before ("They sent a quote. We'll take it.").
_ACROSS_SENTENCES = frozenset({"offer_taken"})
# Families a known competitor's name can start ("looking at CareLoop", "wir gehen zu Klinikon").
_NAME_FAMILIES = frozenset({"alternatives", "sign_with", "chose", "use_other", "wechseln", "wechseln_vorn",
                            "für_entschieden",
                            "unterschrieben", "zuschlag"})
# Families our own name can start ("we won't be needing HealthCS", "HealthCS fliegt raus").
_OWN_NAME_FAMILIES = frozenset({"not_renew", "us_gone", "ersetzen_durch", "rausfliegen", "nicht_mehr_brauchen",
                                "abloesen"})
# Families that speak of changing or finding a vendor, which may be anyone's vendor.
_VENDOR_FAMILIES = frozenset({"in_house", "switch", "change_vendor", "alternatives", "elsewhere", "sign_with", "chose",
                              "use_other",
                              "pilot", "wechseln", "wechseln_vorn", "anbieter"})
# Families that end a contract, which may be anyone's contract.
_CONTRACT_FAMILIES = frozenset({"end_contract", "want_ended", "not_renew", "renewal_off", "kuendigen", "kuendigung",
                                "beenden",
                                "nicht_verlaengern", "cancellation"})
# Families whose every phrase starts at the word that holds one of their stems: their grammar is tried there only
# (the others search the stretch around a stem).
_ANCHORED = frozenset({"end_contract", "want_ended", "cancel_bare", "end_us", "replace_us", "switch", "threat",
                       "kuendigen",
                       "kuendigung", "verlassen"})
# How far before its stem a family's phrase may start, where that is less than the window ("we will be gone").
_LEAD = {"leave": 16}
_GERMAN = frozenset({"abschied", "kuendigen", "kuendigung", "verlassen", "wechseln", "wechseln_vorn", "anbieter",
                     "für_entschieden",
                     "ersetzen_durch", "rausfliegen", "nicht_mehr_brauchen", "abloesen",
                     "zuschlag", "unterschrieben",
                     "nicht_verlaengern", "beenden", "weg"})
# Families whose words are themselves the negation of staying ("won't renew"): no negation guard before them.
_NEGATIVE_BY_NATURE = frozenset({"abschied", "not_renew", "renewal_off", "nicht_verlaengern", "weg",
                                 "nicht_mehr_brauchen"})

_NEGATION = re.compile(
    r"\b(?:not|never|no|without|nothing|against|n't|dont|didnt|doesnt|wont|cant|isnt|arent|wasnt|werent|havent|hasnt|"
    r"wouldnt|shouldnt|couldnt|nicht|kein|keine|keinen|keinem|keiner|nie|niemals|nichts|weder|ungern)\b|n't\b")
_NEGATION_AFTER = re.compile(r"^[^,.;:!?\n]*?\b(?:nicht|kein\w*|nie|niemals)\b(?!\s+(?:mehr\s+)?(?:zufrieden|"
                             r"funktioniert|läuft|behoben|gelöst|reagiert|erreichbar|bessert|besser))", re.IGNORECASE)
_CONDITION = re.compile(r"\b(?:if|whether|in\s+case|should\s+we|when(?:ever)?\s+(?:a|the)\s+\w+|wenn|falls|sofern|"
                        r"im\s+fall\w*)\b")
_MAIN_CLAUSE_AFTER_CONDITION = re.compile(
    r"\b(?:we|i|they)(?:'ll|'re\s+going\s+to|\s+will|\s+are\s+going\s+to|\s+would|'d|\s+have\s+to|\s+must|"
    r"\s+need\s+to|\s+are|'re|\s+plan)\b|\bthen\b|\bor\s+(?:we|i)\b", re.IGNORECASE)
# A subject right before the phrase, after other words of the condition: the main clause has begun.
_LATE_SUBJECT = re.compile(r"^\s*[\w'-]+\s.*\b(?:we|i|they|wir|ich)(?:'ll|'re|'m)?"
                           r"(?:\s+(?:will|would|just|simply))?\s*$")
_TERMS_QUESTION = re.compile(r"\b(?:notice\s+period|how\s+much\s+notice|kündigungsfrist\w*|termination\s+fee|"
                             r"cancell?ation\s+fee|exit\s+fee)")
# Asking what leaving costs ("is there a fee if I cancel", "bekomme ich Geld zurück, wenn ich kündige"): the
# cancellation terms, asked by the customer about their own cancelling.
_PRICE_OF_LEAVING = re.compile(r"\b(?:fees?|penalt(?:y|ies)|refund\w*|money\s+back|charged|pay\s+for|geld\s+zurück|"
                               r"gebühr\w*|erstatt\w*|strafe|zahlen)\b")
_SELF_FIRST = re.compile(r"\s*(?:i|we|ich|wir)\b")
_FROM_DATE = re.compile(r"\b(?:ab|from|starting|instead|stattdessen|künftig|going\s+forward|next\s+(?:month|year|"
                        r"quarter))\b")
_WISH = re.compile(r"\b(?:want|wants|like|wish|plan|planning|going|will|decided|intend|'ll|'d)\b|'ll\b|'d\b")
_FIRST_PERSON = re.compile(r"\b(?:we|i)(?:'re|'ve|'ll|'m|'d)?\b")
_PAID = re.compile(r"paid|premium|pro|annual|monthly|yearly|subscription")
_DETERMINER_START = re.compile(r"^(?:of\s+|for\s+)?(?:(?:a|an|the|this|that|my|our|one)\s+)?", re.IGNORECASE)
_PUNCTUATION_START = re.compile(r"\s*(?:[.!?,;:]|$|(?:it|this|now|please|pls)\b)", re.IGNORECASE)
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|this|that|our|your|their|its)\s*$")
_SOMEONE_LEAVING = re.compile(r"\b(?:he|she|his|her|him|account\s+manager|rep|representative|consultant|"
                              r"contact\s+person|ansprechpartner\w*)\b")
_THIRD_PARTY_WORD = re.compile(
    r"\b(?:lab|labs|laboratory|phone|telephone|telephony|internet|isp|it\s+(?:department|team|support)|ehr|emr|pvs|kis|payment|payments|printers?|"
    r"print|copier|cleaning|insurance|bank|hosting|domain|dns|voip|sip|answering|courier|"
    r"billing\s+service|payroll|hr|\w*labor\w*|telefon\w*|internet\w*|drucker\w*|strom\w*|bank\w*|"
    r"versicherung\w*|reinigung\w*|hosting\w*|mobilfunk\w*|festnetz\w*|antivirus|firewall|server\w*|copiers?|"
    r"switches|network|connection|broadband|fiber)\b")
_FOR_SOMETHING_ELSE = re.compile(
    r"\s*(?:for|für|fürs)\s+(?!(?:[\w-]+\s+){0,3}?(?:patient|reminder|messag|communicat|engagement|scheduling|"
    r"booking|recall|text|sms|survey|outreach|termin|erinner|nachricht|customer\s+success)|all\s+of\s+it|"
    r"everything|us\b|uns\b|(?:the\s+|das\s+|den\s+)?(?:next|this|coming|upcoming|following|new|nächst\w*|kommend\w*|neue\w*)\b|"
    r"(?:a|one|ein\w*)\s+(?:year|month|while|jahr|monat)|\d|q[1-4]\b|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|"
    r"oct|nov|dec|mär|mai|okt|dez)\w*)", re.IGNORECASE)
_WHAT_WE_DO = re.compile(r"\b(?:reminders?|scheduling|messaging|patient\w*|portal|communications?|engagement|booking|"
                         r"intake|recalls?|texting|sms|surveys?|outreach|termin\w*|erinnerung\w*|nachricht\w*|"
                         r"\w*kommunikation)\b")
_ONE_PART_ONLY = re.compile(r"[^.;!?]{0,40}\b(?:only|nur)\b|\s*(?:for|of|für)\s+(?:that|this|the|one|das|den|die)\s+"
                            r"(?:\w+\s+)?(?:tool|module|add-?on|feature|user|seat|licen[cs]e|location|site|modul)\b",
                            re.IGNORECASE)
_OBJECT_END = re.compile(r"[,;:(]|\b(?:if|wenn|when|because|weil|since|as|falls|sobald|unless|but|aber|da)\b",
                         re.IGNORECASE)
_SUBJECT_FIRST = re.compile(r"(?:we|i|they)(?:'re|'ll|'m|\s+are|\s+will|\s+am)?\s", re.IGNORECASE)
_THIS_OR_IT = re.compile(r"\b(?:this|it|everything)\b")
_THINKING_OF = re.compile(r"\b(?:thinking|think|thought|considering)\s+(?:of|about)\s*$")
_ASKING_YOU = re.compile(r"\b(?:can|could|would|will)\s+you\b")
_YOU_OR_US = re.compile(r"\b(?:you|your|healthcs|ihnen|ihre[mnrs]?|euch|euer\w*)\b")
# A contract with someone named other than us ("the contract with the ISP", "der Vertrag mit dem Reinigungsdienst",
# "die Lizenz für das alte CAD-Programm").
_SOMEONE_ELSES_CONTRACT = re.compile(
    r"\b(?:(?:contract|subscription|licen[cs]es?|agreement|lease|\w*vertrag|lizenz\w*|abo\w*)\s+(?:with|to|mit|bei)|"
    r"(?:lizenz|\w*vertrag|abo)\w*\s+für)\s+(?:the|our|a|an|dem|der|den|das|die|unserem|unserer|unseren|einem|einer)\s+"
    r"(?!(?:platform|service|software|practice|clinic|praxis|klinik\w*|mvz|standort\w*|gesamte\w*|ganze\w*|entire|"
    r"whole)\b)")
_CONTRACT_WITH_NAME = re.compile(r"\b(?:contract|subscription|licen[cs]e|agreement|vertrag|abo\w*|lizenz\w*)\s+"
                                 r"(?:with|mit|bei)\s+(?-i:([A-Z][\w-]+))", re.IGNORECASE)
_NAMED_CONTRACT = re.compile(r"\b(?:the|our|my|unser\w*|die|den|das)\s+(?-i:([A-Z][\w-]+))\s+(?:licen[cs]es?|"
                             r"subscriptions?|contracts?|accounts?|plans?|agreements?|lizenz\w*|vertrag|abo\w*)\b",
                             re.IGNORECASE)
_UI_WORD = re.compile(r"\b(?:click\w*|\w*klick\w*|button|\w*schaltfläche|menu|menü|option|link|field|feld|label|"
                      r"\w*funktion|function|message|meldung|nachricht|status|screen|bildschirm)\b")
_HEARSAY = re.compile(r"\b(?:rumou?rs?|gerücht\w*|heard|gehört|hearsay|supposedly|angeblich|"
                      r"your\s+(?:other\s+)?customers|many\s+customers|"
                      r"colleague\s+at|kollege\w*\s+(?:aus|in|bei))\b")
# Another organisation than the customer's own ("our sister practice", "a neighbouring clinic", "andere Praxen"):
# what it does is hearsay unless the customer comes in after it ("..., and we are following").
_OTHER_ORGANISATION = re.compile(
    r"\b(?:(?:other|sister|partner|neighbou?ring|nearby|affiliated|friendly)\s+(?:customers?|clients?|clinics?|"
    r"practices?|hospitals?|offices?|groups?|organi[sz]ations?)|(?:our\s+)?neighbou?rs|(?:one\s+of\s+)?our\s+(?:own\s+)?(?:customers|clients)|a\s+customer's|another\s+(?:customer|client|clinic|practice|"
    r"hospital|office|group)|a\s+(?:friend|colleague)'s\s+(?:clinic|practice|office)|"
    r"andere[nr]?\s+(?:kunden|praxen|praxis|kliniken|klinik|häuser|einrichtung\w*)|"
    r"(?:schwester|nachbar|partner)(?:praxis|praxen|klinik\w*)|befreundete\w*\s+(?:praxis|praxen|klinik\w*))\b")
_ADVICE = re.compile(r"\b(?:you|sie)\s+(?:should|could|might|can\s+just|may|need\s+to|must|sollten|könnten|müssen)\b"
                     r"|\bshould\s+(?:i|we)\b|\bwhat\s+happens\b|\bwas\s+passiert\b")
# Someone other than the customer organisation doing the leaving.
_OTHER_SUBJECT = re.compile(
    r"\b(?:patients?|patient's|patientin\w*|"
    r"dr\.?|doctor|nurses?|physicians?|staff|employees?|colleagues?|user|users|lead|manager|assistant|receptionist|"
    r"coordinator|biller|hygienist|resident|intern|mitarbeiter\w*|kolleg\w*|mfa|ärzt\w*|arzt|frau|herr|herrn|"
    r"lab|labor|bank|ehr|pvs|kis|printer|server|scanner|it\s+team|bus|shuttle|train|flight|"
    r"the\s+(?:old|former)\s+\w+|sso|(?:our|a|one\s+of\s+our)\s+(?:customers?|clients?)(?:'s)?|customer's)\b")
_OUR_SUBJECT = re.compile(
    r"\b(?:i|i'm|i'll|i've|i'd|we|we're|we'll|we've|we'd|us|our|they|they're|they'll|they've|ich|wir|uns|unser\w*|"
    r"(?:the\s+)?(?:clinic|practice|board|management|leadership|owners?|partners|group|health\s+system|hospital|"
    r"organi[sz]ation|company|customer|client|account|ceo|cfo|coo|cio|director|praxis|klinik\w*|mvz|haus|"
    r"geschäftsführung|geschäftsleitung|vorstand|inhaber\w*|kunde|kundin|chef\w*|einrichtung|träger))\b")
# Objects after a German verb that show it is about a person or someone else's contract.
_DE_LOOKALIKE_OBJECT = re.compile(
    r"\b(?:mitarbeiter\w*|kolleg\w*|mfa|azubi\w*|frau|herrn?|ärzt\w*|arzt|personal|stelle|mietvertrag|miet\w*|"
    r"räume|termin\w*|modul\w*|sitzung|schulung|bestellung|auftrag|handy\w*|telefon\w*|internet\w*|leasing\w*|"
    r"labor\w*|versicherung\w*|bank\w*|strom\w*|zugang|benutzer\w*|nutzer\w*|dunkelmodus|ansicht|modus|"
    r"zahlungsart|lastschrift|zahlung\w*|seite|standort\w*|version|update|passwort|kennwort|fremd\w*)\b", re.IGNORECASE)
_EN_LOOKALIKE_OBJECT = re.compile(
    r"\b(?:appointments?|visits?|meetings?|calls?|sessions?|trainings?|webinars?|demos?|orders?|invoices?|charges?|"
    r"payments?|print\s+jobs?|jobs?|tickets?|bookings?|reservations?|shifts?|slots?|requests?|cards?|"
    r"users?|logins?|access|seats?|modules?|add-?ons?|features?|interfaces?|connections?|tunnels?|certificates?|"
    r"dark\s+mode|view|mode|version|server|database|files?|folders?|phones?|numbers?|emails?|e-mail|domains?|"
    r"passwords?|tokens?|keys?|devices?|printers?|transactions?|refunds?|claims?|referrals?|prescriptions?|"
    r"insurance|lease|leases|workflow|report|reports|templates?|campaigns?|reminders?|messages?|texts?|"
    r"vpn|sso|api|feed|sync|integration|test|trial\s+user|sandbox|guest|staff|employee|nurse|provider)\b",
    re.IGNORECASE)
_LOOKALIKE_AHEAD = re.compile(r"(?!all\s+(?:(?:\d+|of\s+(?:our|my|the))\s+)?(?:seats?|users?|licen[cs]es?)\b)"
                              r"(?:(?!(?:subscriptions?|contracts?|accounts?|plans?|services?|and|or)\b)"
                              rf"[\w-]+\s+){{0,3}}?(?:items?|lines?|entries|entry|{_EN_LOOKALIKE_OBJECT.pattern[2:]})",
                              re.IGNORECASE)
_EVENT = re.compile(r"\b(?:appointments?|visits?|meetings?|calls?|sessions?|trainings?|webinars?|demos?|orders?|"
                    r"invoices?|charges?|payments?|bookings?|reservations?|shifts?|slots?|print\s+jobs?|jobs?|"
                    r"tickets?|requests?|transactions?|events?|classes|class|courses?|interviews?)\b", re.IGNORECASE)
_ACCOUNT_OF_SOMEONE = re.compile(
    r"^\s*(?:of|for|belonging\s+to|von)\s+(?:(?:our|the|a|my)\s+)?(?:former\s+|old\s+|ex-?)?(?:dr\.?|mr\.?|mrs\.?|"
    r"ms\.?|nurse|doctor|employee|staff|user|frau|herrn?|[A-Z][a-z]+\s+[A-Z][a-z]+|\w+\s+who\b)", re.IGNORECASE)
_THIRD_PARTY_AFTER = re.compile(
    r"^\s*(?:with|for|to|at|from|bei|mit|von|für)\s+(?:(?:the|our|a|an|der|die|dem|den|unserer|unserem|unseren)\s+)?"
    r"(?:(?-i:[A-Z][\w-]*)|answering|phone|fax|internet|cable|cleaning|print\w*|copier|lab|courier|old|previous|"
    r"current\s+(?:ehr|lab)|vpn|hosting|cloud|email|domain|telefon\w*|reinigung|labor)", re.IGNORECASE)
# The customer says outright that they stay: a phrase of leaving elsewhere in the text is a misunderstanding, a
# question or a quotation, unless it sits in a threat ("if ..., we will cancel").
_STAYING_SAID = re.compile(
    r"\b(?:(?:we\s+are|we're|i\s+am|i'm)\s+not\s+(?:cancell?ing|leaving|switching|terminating|churning|"
    r"going\s+anywhere)|not\s+planning\s+(?:any\s+changes|to\s+(?:leave|switch|cancel))|"
    r"(?:will|want\s+to|plan\s+to|intend\s+to)\s+continue\s+(?:to\s+use|using|with\s+(?:you|the\s+platform))|"
    r"(?:subscription|contract)\s+(?:must|should|will)\s+continue|denken\s+nicht\s+daran,?\s+(?:\w+\s+){0,4}?"
    r"(?:zu\s+kündigen|zu\s+wechseln)|(?:haben|hatten)\s+nicht\s+vor,?\s+(?:\w+\s+){0,5}?(?:zu\s+kündigen|"
    r"gebrauch\s+zu\s+machen|zu\s+wechseln)|weiterhin\s+(?:\w+\s+)?nutzen|bleiben\s+(?:\w+\s+){0,2}?bestehen)\b")
# Words one of which every phrase of _STAYING_SAID holds.
_STAYING_HINTS = ("not cancel", "not leav", "not switch", "not terminat", "not churn", "not going", "not planning",
                  "continue", "nicht daran", "nicht vor", "weiterhin", "bestehen")
# Families whose phrases name the act of leaving itself, which staying said in another sentence does not undo (the
# others, asking for terms, looking at alternatives, do).
_OUTRIGHT_FAMILIES = frozenset({"end_contract", "want_ended", "cancel_bare", "end_us", "us_gone", "not_renew",
                                "renewal_off",
                                "leave", "switch", "sign_with", "chose", "replace_us", "in_house", "use_other",
                                "kuendigen", "verlassen", "wechseln", "wechseln_vorn", "beenden", "nicht_verlaengern",
                                "für_entschieden", "unterschrieben", "zuschlag", "ersetzen_durch", "abloesen",
                                "rausfliegen", "nicht_mehr_brauchen"})
_SELF = re.compile(r"\b(?:we|i|wir|ich)(?:'re|'ll|'ve|'m|'d)?\b")
_SENTENCE_GAP = re.compile(rf"[.!?]{_AFTER_PUNCTUATION}(?=\s)|\n")
_UNTIL = re.compile(r"\b(?:until|till|through|bis|up\s+to|end\s+of)\b")
_STAYING = re.compile(
    r"\b(?:everything\s+else\s+(?:stays|remains)|rest\s+of\s+(?:the|our)\s+(?:account|subscription|platform|"
    r"contract)\s+(?:stays|remains)|keep(?:ing)?\s+the\s+rest|alles\s+andere\s+bleibt|we(?:'re|\s+are)\s+staying|"
    r"wir\s+bleiben|der\s+rest\s+bleibt|rest\s+bleibt|downgrad\w*|fewer\s+(?:seats|licen[cs]es|modules)|weniger\s+lizenzen)\b")
_CONTENT = re.compile(r"\b(?:(?:sind|bin)\s+(?:\w+\s+){0,2}?zufrieden|zufrieden\s+sind|(?:we're|we\s+are|i'm|i\s+am|"
                      r"still|very|quite|really|otherwise)\s+(?:\w+\s+)?(?:happy|satisfied|glad)|"
                      r"just\s+(?:for|asking|curious)|nur\s+(?:für|eine\s+frage|"
                      r"interessehalber)|rein\s+interessehalber|out\s+of\s+curiosity|for\s+our\s+records|"
                      r"not\s+planning|planen\s+nichts|will\s+renew|we're\s+renewing|verlängern\s+gern)\b")
_IT_CONTEXT = re.compile(r"\b(?:servers?|database|ticketing|helpdesk|help\s+desk|laptops?|desktops?|e-?mail|mailbox|"
                         r"vpn|"
                         r"network|backups?|files|folders?|domain|printers?|firewall|repository|wiki|storage|drive|"
                         r"cloud|version|release|instance|tenant|intranet|erp|crm|phone\s+system|telephony|"
                         r"hardware|software\s+update|operating\s+system|workstations?|dns|active\s+directory)\b",
                         re.IGNORECASE)
_OUR_FUNCTIONS = re.compile(r"\b(?:reminders?|scheduling|messaging|patient\s+\w+|portal|communications?|engagement|"
                            r"booking|intake|recalls?|texting|clinics|locations|sites|practices|offices|business|"
                            r"account|subscription)\b", re.IGNORECASE)
_DOWNGRADE_TARGET = re.compile(r"^\s*(?:the\s+)?(?:[\w-]+\s+)?(?:plan|tier|edition|package|version|paket|tarif)\b",
                               re.IGNORECASE)


# Guard words of single families.
_ACCOUNT_WORD = re.compile(r"(?:account|konto)")
_AUF = re.compile(r"\bauf\b")
_AWAY_DE = re.compile(r"\b(?:urlaub|krank|montag|dienstag|mittwoch|donnerstag|freitag|woche|wochen|tage|büro|"
                      r"feierabend|mittag)\b")
_CAMEL_CASE = re.compile(r"[a-z][A-Z]")
_CANCELLATION_LAW_DE = re.compile(r"\w*kündigungs(?:recht|schutz|welle|button|knopf|schaltfläche|funktion|gr[üu]nd|"
                                  r"quote|rate|statistik|feld)")
_THEIR_CONTRACTS_DE = re.compile(r"\b(?:pro|je|jede[nmr]?|aller|unserer)\s+(?:kunden|klienten|patienten)\w*|"
                                 r"\b(?:feld|spalte|export|bericht|report)\w*\s+(?:\w+\s+){0,2}$")
_CAN_YOU = re.compile(r"\b(?:can|could|would|will)\s+you\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][\w-]+")
_CHANGE_INTO_DE = re.compile(r"\b(?:in|zu|zum|zur|auf)\s+(?:den|die|das|ein|eine|einen|einem|ihr\w*|unser\w*)\b")
_CLINICIAN = re.compile(r"\b(?:patients?|doctor|physician)\b")
_CONTRACT_MODIFIER = re.compile(r"entire|whole|current|annual|monthly|yearly|paid|premium|pro|full|existing|free|"
                                r"remaining|enterprise|standard|basic|professional|personal|auto-?renewing|"
                                r"[\w-]*year|team|practice|clinic|office|group|company|organization|organisation|"
                                r"service|software|platform|saas|patient|messaging|communication|engagement|"
                                r"reminder|healthcs|own|entire")
# A noun after "account" that makes it part of another thing ("our account review meeting", "my account settings").
_COMPOUND_AFTER = re.compile(r"\s+(?!(?:today|now|tomorrow|immediately|asap|please|pls|permanently|completely|"
                             r"entirely|effective|and|or|as|at|on|by|in|with|from|for|when|once|after|before|"
                             r"if|unless|because|since|so|but|too|altogether|for\s+good|right|this|next|end|"
                             r"plus|then|thanks|thank|he|she|they|we|i|you|that|which|who|we've|i've)\b)[a-z][\w-]*",
                             re.IGNORECASE)
_TRIAL_OF_SOMETHING = re.compile(r"\s*(?:users?|accounts?|licen[cs]es?|of|for|on)\b", re.IGNORECASE)
_CUSTOMER_REQUEST = re.compile(r"\b(?:i|i'm|i'll|i'd|we|can|may|could|we're|we'll|we'd|please|pls|just|want|wants|"
                               r"gonna|wanna|gotta|will|"
                               r"like|need|going|decided|ready|plan|planning|have)\b")
_CUSTOMER_SUBJECT = re.compile(r"\b(?:they|customer|client|clinic|practice|account)\b")
_CUSTOMER_VOICE_DE = re.compile(r"\b(?:ich|wir|uns|unser\w*|praxis|klinik\w*|mvz|haus|kunde|kundin|"
                                r"geschäftsführung|geschäftsleitung|vorstand|inhaber\w*|chef\w*|ärzte|einrichtung|"
                                r"hiermit|bitte|wie|man|kann|bis\s+wann|\w*vertrag|\w*abo|abonnement|will|"
                                r"möchte|möchten|wollen)\b")
_DECIDING = re.compile(r"\b(?:decide|deciding|decision)\b", re.IGNORECASE)
_ENDING_VERB = re.compile(r"\b(?:cancel\w*|terminat\w*|drop\w*)\b", re.IGNORECASE)
_FOR = re.compile(r"\s+for\s")
_FOR_ALL_OF_US = re.compile(r"\s*(?:at|for)\s+(?:all|our|the)\b")
_HAPPY_TO_RENEW = re.compile(r"\b(?:we'?re|we\s+are|we\s+will|we'll)\s+(?:happy|glad|definitely|"
                             r"planning)\s+(?:to\s+)?renew", re.IGNORECASE)
_HOW_DE = re.compile(r"\b(?:bis\s+wann|wie)\b")
_IF = re.compile(r"\b(?:if|unless|whether)\b")
_IF_DE = re.compile(r"\b(?:wenn|falls)\b")
_IF_DE_ALL = re.compile(r"\b(?:wenn|falls|sofern)\b")
_IN_CASE_OF_DE = re.compile(r"\b(?:bei|nach|im\s+falle?|für\s+den\s+fall)\s+(?:einer\s+)?$")
_IT_OR_REASON = re.compile(r"\s+(?:it|because|due\s+to|or)\b", re.IGNORECASE)
_MESSAGING = re.compile(r"reminders?|messages?|texts?")
_NOT = re.compile(r"(?:not|never|n't|no)\s+")
_NOT_A_DENIAL = re.compile(r"\bnot\s+(?:only|just|yet\s+sure)\b|\bno\s+(?:choice|option|other\s+(?:choice|"
                           r"option))\b|\b(?:no|nothing)\s+(?:left|else)\b|\bno\s+longer\b")
# A denial that asks why not, suggesting the act ("why we don't just cancel", "warum wir nicht einfach kündigen").
_WHY_NOT = re.compile(r"\b(?:why|warum|wieso|weshalb)\s+(?:(?:we|i|wir|ich|don't|dont|do|not|nicht|einfach|just)\s+)*"
                      r"(?:don't|dont|not|nicht)\b")
_NOT_DE = re.compile(r"\b(?:nicht|kein\w*)\b", re.IGNORECASE)
_NOT_OUR_CANCELLATION = re.compile(r"\b(?:patients?|appointments?|users?|they|he|she|people|persons?|recipients?|"
                                   r"contacts?|customers?|clients?|subscribers?|members?|someone|anyone|who)\b")
_NOT_VENDOR_DE = re.compile(r"\b(?:labor|bank|pvs|kis|praxisverwaltung\w*)\b")
_NOW = re.compile(r"\s+(?:now|today|this|in)\b")
_NO_DE = re.compile(r"\bkeine\s+$")
_OF_PERSON_DE = re.compile(r"\b(?:von|für)\s+(?:frau|herrn?|dr)\b")
_ONLY_THE_DE = re.compile(r"\bnur\s+(?:das|den|die)\b", re.IGNORECASE)
_ON_HOLIDAY = re.compile(r"\b(?:on|for)\s+(?:vacation|holiday|leave|lunch|the\s+day)", re.IGNORECASE)
_ON_LEAVE = re.compile(r"\b(?:on|maternity|sick|parental|medical|annual|paternity|of|for|while|until|when)\s*$")
_OTHER = re.compile(r"other|another|different|new|cheaper|alternative|competitor|someone|somebody")
_OUR_CONTRACT = re.compile(r"\s*(?:our|my|the)\s+(?:subscription|contract|account|plan|service)", re.IGNORECASE)
_OUR_DE = re.compile(r"\b(?:unser\w*|mein\w*|das)\b")
_OUR_PRODUCT_NOUN = re.compile(r"\b(?:platform|product|service|software|solution|system|tool|app|company)\b")
_PATIENTS_CANCEL = re.compile(r"\b(?:patients?|appointments?|people|users?|staff)\b")
_THEY = re.compile(r"\bthey\b")
_PATIENTS_OR_LABS = re.compile(r"\b(?:patients?|lab|labs)\b")
_PATIENTS_OR_USERS = re.compile(r"\b(?:patients?|user|users)\b")
_THEIR_CUSTOMERS_DE = re.compile(r"\b(?:kunden|abonnenten|patient\w*|nutzer\w*|benutzer\w*|mitglieder\w*)\b")
_EARLIEST_DATE_DE = re.compile(r"\b(?:nächst|frühest)\w*\s+termin\b")
_PERSON_OR_THING_DE = re.compile(r"\b(?:frau|herrn?|mitarbeiter\w*|kolleg\w*|mfa|azubi\w*|personal|\w*modul\w*|"
                                 r"zusatz\w*|add-?ons?|lizenzen|"
                                 r"unsere[mr]\s+\w+in|stelle|miet\w*|termin\w*|zugang|benutzer\w*)\b")
_PLACE = (r"\b(?:hq|headquarters|head\s+office|office|premises|warehouse|address|branch|building|server\s+room|"
          r"data\s+cent(?:er|re))")
_PLACE_MOVED = re.compile(rf"{_PLACE}\b")
_PLACE_SUBJECT = re.compile(rf"{_PLACE}(?:\s+(?:has|have|is|are|will|was|were|just|recently|also|be|been|being))*\s*$")
_PERSONAL_FAREWELL = re.compile(r"\b(?:retir\w*|ruhestand|rente|(?:my|mein)\s+(?:last|letzter)\s+(?:day|arbeitstag)|"
                                r"new\s+(?:job|role|position|chapter)|neue\s+stelle|successor|nachfolger\w*|"
                                r"(?:i'm|i\s+am|i'll\s+be)\s+leaving\s+(?:the|my|our)\s+\w+|moving\s+away|"
                                r"maternity|parental|elternzeit|mutterschutz)\b")
_ONE_PART = re.compile(r"\b(?:add-?ons?|module|modul\w*|zusatz\w*|seats?|licen[cs]es?\s+for|users?|twice|double|"
                       r"duplicate\w*|doppelt\w*|zweimal|until|bis\s+(?:zur|zum)|überweisung|bank\s+transfer|"
                       r"per\s+rechnung|paid\s+by|ticket|tickets|issue|resolved|case|feature|design|farbe|layout|logo)\b")
_GOODBYE_TO = re.compile(r"\s*to\b")
_GOODBYE_TO_US = re.compile(r"\s*to\s+(?:you|your\s+(?:team|company|platform|service)|healthcs|"
                            r"this\s+platform|all\s+of\s+you)\b")
_ACCOUNT_ENDING = re.compile(r"\b(?:card|\w*karte|account|subscription|contract|billing|data|done|goodbye|leaving|"
                             r"konto|abo\w*|vertrag)\b")
_FOR_SOMEONE_DE = re.compile(r"\b(?:von|für|des|der|frau|herrn?)\b")
_FOR_A_TASK = re.compile(r"\s*(?:for|für|to\s+(?:send|store|handle|manage|run)|zur|zum)\b")
_PLAN_OR_PLACE = re.compile(r"\s+(?:plan|tier|edition|version|server|building|office)\b", re.IGNORECASE)
_POLITE_NEGATION = re.compile(r"\b(?:forget|hesitate|worry|sure|mind)\b")
_POLITE_REQUEST = re.compile(r"\b(?:can|could|would|will)\s+you\b|\bplease\b")
_PROVIDER_DE = re.compile(r"anbieter")
_REFLEXIVE_BEFORE_DE = re.compile(r"\b(?:uns|mich|sich|dich|euch)\s*$")
_REFLEXIVE_DE = re.compile(r"\s+(?:uns|mich|sich)\b")
_RENEWABLE_THING = re.compile(r"\b(?:certificate|ssl|password|domain|prescription|insurance|lease|token|key|"
                              r"badge)s?\b")
_RENEWABLE_THING_DE = re.compile(r"\b(?:zertifikat|passwort|rezept|domain|mietvertrag|\w*karte|ausweis)\w*")
_REPORTED_CUSTOMER = re.compile(r"\b(?:they|customer|client|clinic|practice|board|group|it|he|she|says|said)\b")
_SENTENCE_STOP = re.compile(r"[.!?\n](?:\s|$)")
_SOMEONES_ACCOUNT = re.compile(r"\b(?:users?|staff|nurses?|doctors?|employees?|former|patients?|dr|his|her|login|"
                               r"admin)\b", re.IGNORECASE)
_SOMEONES_CONTRACT_DE = re.compile(r"\s*(?:des|der|von|unserer|unseres|ihrer|ihres)\s+(?:\w+\s+)?(?:mitarbeiter\w*|"
                                   r"kolleg\w*|frau|herrn?|mfa|ärzt\w*|azubi\w*|miet\w*|räume|stelle|leasing\w*|"
                                   r"telefon\w*|internet\w*|versicherung\w*)", re.IGNORECASE)
_STOP_WITH_DE = re.compile(r"\b(?:mit\s+(?:ihn|ihr|dem|der|unserem)|zum|am|zur|ende)\b")
_TO_ANOTHER_VENDOR = re.compile(r"\bto\s+(?:a\s+competitor|another\s+vendor|a\s+different\s+vendor)")
_TO_INFINITIVE = re.compile(r"\b(?:zu|to)\b", re.IGNORECASE)
_TRYING_VERB = re.compile(r"(?:demo|trial|test|evaluat|talk|check|shortlist)")
_UM = re.compile(r"\bum\b")
_USER_WORD = re.compile(r"\b(?:user|staff|login|employee)\b", re.IGNORECASE)
_VENDOR_CONTEXT = re.compile(r"\b(?:from\s+(?:you|your|us)|vendors?|contract|renewal|subscription|competitors?|"
                             r"instead|drop\w*\s+us|off\s+(?:the|your)\s+platform)\b", re.IGNORECASE)
_VENDOR_CONTEXT_DE = re.compile(r"(?:anbieter|vertrag|kündig|wettbewerb|statt|ihnen|sie\b)")
_VENDOR_NAME = re.compile(r"(?i)(?:care|med|health|chart|flow|pilot|loop|relay|plus|pro|clinic|praxis|doc|"
                                 r"patient|termin|sync|link|hub|ly|io|ify|exa)$|^(?:practice|patient|clinic|"
                                 r"medi?|care|health|praxis|termin|doc|thera|dental|derma|ortho)")
_WE = re.compile(r"\b(?:we|i|our|they)\b")
_WEB_DOMAIN = re.compile(r"\.(?:com|io|ai|app|de|net|co|health)$")
_WE_DE = re.compile(r"\b(?:wir|ich)\b")
_WE_OR_CUSTOMER_IS = re.compile(r"(?:\b(?:we|we're|we'll|we've|us|i|i'm|im|i'll|they|they're|they'll|ich|wir)\b|"
                                r"\b(?:clinic|practice|board|group|customer|account)\s+(?:is|are|will)\b)")
_WE_OUR = re.compile(r"\b(?:we|our|they)\b")
_WE_SUBJECT = re.compile(r"\b(?:we|we're|we'll|i|i'm|they|they're|our)\b")
_WE_THEIR = re.compile(r"\b(?:we|i|our|they|their)\b")
_WHEN_AFTER = re.compile(r"\s+(?:by|at|when|once|after|before|unless)\b")
_WHILE = re.compile(r"\b(?:while|until|when)\s*$", re.IGNORECASE)
_WITH = re.compile(r"\bwith\b")
_WITH_ANY = re.compile(r"\s*(?:with|bei|mit)\b")
_WITH_DE = re.compile(r"\s*(?:bei|mit)\b")
_WORD = re.compile(r"[\w']+")
_YOUR_PLATFORM_DE = re.compile(r"\b(?:ihre|die)\s+(?:plattform|software|lösung)\b")
_YOUR_SOLUTION_DE = re.compile(r"\b(?:sie|ihre?\w*\s+(?:lösung|software|plattform|system|produkt))\b")
_YOU_DE = re.compile(r"\b(?:ihr\w*|sie|ihre\s+\w+)\b")

_MY_DE_END = re.compile(r"\bmein(?:e|en)?\s*$")
_FROM_SOMETHING = re.compile(r"\s*(?:from|off|out\s+of)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{[^{}\n]{1,40}\}\}")

_WINDOW = 100  # characters either side of a stem that a phrase may reach (within its sentence)


def churn_intent(text: str, *, own_names: Sequence[str] = ("HealthCS",),
                 competitors: Sequence[str] = ()) -> Evidence | None:
    """The words of a customer text that say the customer intends to stop being a customer (cancel, not renew,
    leave, move to another vendor), or None. own_names are our product and company names; competitors the known
    competitor names."""
    original = text
    if "{{" in text:
        text = _PLACEHOLDER.sub(_placeholder_word, text)
    lowered = text.lower()
    known = frozenset(name.lower() for name in competitors)
    own = frozenset(name.lower() for name in own_names)
    windows = _family_windows(text, lowered, known, own)
    if not windows:
        return None
    text = _names_spelt(text, lowered, (*own_names, *competitors))
    best: tuple[int, int] | None = None
    found: set[str] = set()
    for window_start, window_end, family in sorted((start, end, family) for family, spans in windows.items()
                                                   for start, end in spans):
        if best and window_start > best[0]:
            break
        if family in found:
            continue
        rule = _RULES[family]
        matches = (rule.match(text, window_start, window_end),) if family in _ANCHORED else \
            rule.finditer(text, window_start, window_end)
        for match in matches:
            if match is None or (best and match.start() > best[0]):
                break
            if _accepted(family, match, text, own, known):
                found.add(family)
                if best is None or (match.start(), match.end()) < best:
                    best = (match.start(), match.end())
                break
    if not best:
        return None
    start, end = best
    while end > start and original[end - 1] in " \t\n,.;:!?":
        end -= 1
    return Evidence(kind="churn_intent", phrase=original[start:end], start=start, end=end)


def _placeholder_word(match: re.Match) -> str:
    """A template placeholder ("{{Account Type}}") as blanks of the same length, so that "my {{Account Type}}
    account" reads as "my account"."""
    return " " * len(match.group())


def _names_spelt(text: str, lowered: str, names: Sequence[str]) -> str:
    """The text with our names and the competitors' written as they spell them ("healthcs" -> "HealthCS"), so
    that the grammars know them as names; the length stays the same."""
    pieces: list[str] = []
    done = 0
    spots = sorted((at, name) for name in names if name and name.lower() in lowered
                   for at in _positions(lowered, name.lower()))
    for at, name in spots:
        end = at + len(name)
        if at < done or text[at:end] == name or (at and lowered[at - 1].isalnum()) or \
                (end < len(text) and lowered[end].isalnum()):
            continue
        pieces += [text[done:at], name]
        done = end
    return "".join(pieces) + text[done:] if pieces else text


def _family_windows(text: str, lowered: str, known: frozenset[str],
                    own: frozenset[str]) -> dict[str, list[tuple[int, int]]]:
    """For each family with a stem (or a known competitor's name) in the text, the stretches around them (within
    their sentences, merged) where its grammar can match: the grammars run on these rather than on the whole
    text. An anchored family's stretches start at the word that holds the stem."""
    hits = [(hit.start(), hit.end(), _STEM_FAMILIES[hit.group()]) for hit in _STEM.finditer(lowered)]
    others = [(_word_start(lowered, at), at + len(infix), _STEM_FAMILIES[infix]) for infix in _INFIXES
              if infix in lowered for at in _positions(lowered, infix)]
    others += [(at, at + len(name), _NAME_FAMILIES) for name in known if name and name in lowered
               for at in _positions(lowered, name)]
    others += [(at, at + len(name), _OWN_NAME_FAMILIES) for name in own if name and name in lowered
               for at in _positions(lowered, name)]
    if others:
        hits = sorted(hits + others, key=lambda hit: hit[0])
    if not hits:
        return {}
    ends = [mark.end() for mark in _PUNCTUATION.finditer(text) if _SENTENCE_END.match(text, mark.start())]
    windows: dict[str, list[tuple[int, int]]] = {}
    bound = 0
    for hit_start, hit_end, families in hits:
        while bound < len(ends) and ends[bound] <= hit_start:
            bound += 1
        sentence_start = ends[bound - 1] if bound else 0
        after = bound
        while after < len(ends) and ends[after] < hit_end:
            after += 1
        end = min(hit_end + _WINDOW, ends[after] if after < len(ends) else len(text))
        for family, lead in _reach(families):
            spans = windows.get(family)
            if spans is None:
                spans = windows[family] = []
            if lead == _AT_STEM:
                spans.append((hit_start, end))
                continue
            if lead == _ACROSS:
                span_start, span_end = max(0, hit_start - _WINDOW), min(len(text), hit_end + _WINDOW)
            else:
                span_start, span_end = max(hit_start - lead, sentence_start), end
            if spans and span_start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(span_end, spans[-1][1]))
            else:
                spans.append((span_start, span_end))
    return windows


_AT_STEM, _ACROSS = -1, -2


@cache
def _reach(families: frozenset[str]) -> tuple[tuple[str, int], ...]:
    """For each of some families, how far before its stem its phrase may start: _AT_STEM for the anchored ones,
    _ACROSS for those that reach into the sentence before, else a number of characters."""
    return tuple((family, _AT_STEM if family in _ANCHORED else _ACROSS if family in _ACROSS_SENTENCES else
                  _LEAD.get(family, _WINDOW)) for family in sorted(families))


def _word_start(lowered: str, at: int) -> int:
    """Where the word that holds position at starts."""
    while at > 0 and (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):
        at -= 1
    return at


def _positions(lowered: str, word: str) -> list[int]:
    """Where a lower-case word occurs in the lower-cased text."""
    found = []
    at = lowered.find(word)
    while at >= 0:
        found.append(at)
        at = lowered.find(word, at + 1)
    return found


def _clause_before(text: str, start: int) -> str:
    """The words before position start in its clause."""
    return _after_last(_CLAUSE_MARK, text[max(0, start - 160):start])


def _sentence_before(text: str, start: int) -> str:
    """The words before position start in its sentence."""
    return _after_last(_SENTENCE_MARK, text[max(0, start - 240):start])


def _after_last(mark: re.Pattern, head: str) -> str:
    """The words of head after the last mark in it (all of head when it has none); marks are lower case."""
    lowered = head.lower()
    found = _last(mark.finditer(lowered if len(lowered) == len(head) else head))
    return head[found.end():].lstrip() if found else head


def _last(matches: Iterator[re.Match]) -> re.Match | None:
    """The last of some matches, or None."""
    last = deque(matches, maxlen=1)
    return last[0] if last else None


def _sentence_after(text: str, end: int) -> str:
    """The words after position end up to the end of its sentence."""
    tail = text[end:end + 200]
    stop = _SENTENCE_STOP.search(tail)
    return tail[:stop.start()] if stop else tail


def _name_kind(name: str | None, own: frozenset[str], known: frozenset[str]) -> str:
    """What a capitalised name after "to"/"with"/"for" is: own, competitor, not_vendor, vendor (looks like a
    healthcare vendor's name: "OrbitCare", "TerminPlus"), product (a camel-case name of any product: "ServiceNow")
    or unknown."""
    if not name:
        return ""
    lowered = name.lower()
    first = lowered.split()[0].removesuffix("'s")
    if lowered in own or first in own:
        return "own"
    if lowered in known or first in known:
        return "competitor"
    if _WEB_DOMAIN.search(lowered):
        return "vendor"
    if first in NOT_VENDORS or lowered in NOT_VENDORS or first.rstrip("s") in NOT_VENDORS:
        return "not_vendor"
    if _VENDOR_NAME.search(name):
        return "vendor"
    return "product" if _CAMEL_CASE.search(name) else "unknown"


@dataclass(frozen=True, slots=True)
class _Site:
    """A match of a family's grammar and the words around it that its guard reads."""

    family: str
    match: re.Match
    text: str
    own: frozenset[str]  # our own names, lower case
    known: frozenset[str]  # known competitors' names, lower case
    start: int
    clause: str  # the words before the match in its clause
    sentence: str  # the words before the match in its sentence
    after: str  # the words after the match up to the end of its sentence
    groups: dict
    lowered_clause: str
    name_kind: str  # what the vendor name in the match is (see _name_kind), or ""
    verb: str  # the verb group, lower case


def _accepted(family: str, match: re.Match, text: str, own: frozenset[str], known: frozenset[str]) -> bool:
    """Whether a match of a family's grammar voices the customer's own intent to leave."""
    start, end = match.start(), match.end()
    clause = _clause_before(text, start)
    sentence = _sentence_before(text, start)
    after = _sentence_after(text, end)
    groups = match.groupdict()
    lowered_clause = clause.lower()

    lowered_sentence = sentence.lower()
    if _HEARSAY.search(lowered_sentence):
        return False
    other_organisation = _last(_OTHER_ORGANISATION.finditer(lowered_sentence))
    if other_organisation and not _SELF.search(lowered_sentence, other_organisation.end()):
        return False
    if family not in _NEGATIVE_BY_NATURE and (_negated(clause) or _infinitive_denied(text, start, end, clause)):
        return False
    if _in_condition(sentence) and not (_SUBJECT_FIRST.match(match.group(0)) and
                                         len(_after_condition(sentence).split()) >= 2) and \
            not (family in _GERMAN and _SELF_FIRST.match(after)):
        return False
    if _ADVICE.search(lowered_clause) and not _CAN_YOU.search(lowered_clause):
        return False
    if family in _GERMAN and family not in _NEGATIVE_BY_NATURE and (
            _NEGATION_AFTER.search(text[end:end + 120]) or _NOT_DE.search(match.group(0))):
        return False

    name_kind = _name_kind(groups.get("name"), own, known)
    if name_kind in ("own", "not_vendor"):
        return False
    if _ui_label(text, start, end, sentence + " " + after):
        return False
    if family in _VENDOR_FAMILIES and name_kind != "competitor" and (
            _vendor_of_something_else(match.group(0), after) or
            _about_someone_elses_vendor(sentence + " " + match.group(0), after) or
            _ASKING_YOU.search(lowered_clause) and not _FIRST_PERSON.search(lowered_clause)):
        return False
    if family in _CONTRACT_FAMILIES and _someone_elses_contract(sentence + match.group(0), after, own):
        return False
    site = _Site(family=family, match=match, text=text, own=own, known=known, start=start, clause=clause,
                 sentence=sentence, after=after, groups=groups, lowered_clause=lowered_clause, name_kind=name_kind,
                 verb=(groups.get("verb") or "").lower())
    if not _GUARDS.get(family, _no_guard)(site):
        return False
    if family == "threat" or _CONDITION.search((sentence + " " + after).lower()):
        return True
    staying = _staying_said(text)
    if not staying:
        return True
    if any(_same_sentence(text, said_start, said_end, start, end) for said_start, said_end in staying):
        return False
    return _said_outright(site)


def _vendor_of_something_else(phrase: str, after: str) -> bool:
    """Whether the vendor being changed serves something other than what we do ("a new vendor for our phone
    system", "a different lab provider", "den Internetanbieter")."""
    return bool(_THIRD_PARTY_WORD.search(phrase.lower()) or _FOR_SOMETHING_ELSE.match(after))


def _someone_elses_contract(before: str, after: str, own: frozenset[str]) -> bool:
    """Whether the contract being ended is someone else's ("the contract with the ISP", "the support contract with
    Dell", "the maintenance contract for the old copiers") or one part of ours ("the renewal for that tool only")."""
    ended = _OBJECT_END.split(after, 1)[0][:60]
    for named in (_CONTRACT_WITH_NAME.search(before + after), _NAMED_CONTRACT.search(after)):
        if named and named.group(1).lower() not in own and named.group(1).lower() not in ("you", "ihnen", "euch"):
            return True
    return bool(_SOMEONE_ELSES_CONTRACT.search((before + after).lower()) or _ONE_PART_ONLY.match(after)) or \
        _about_someone_elses_vendor("", ended)


def _about_someone_elses_vendor(sentence: str, after: str) -> bool:
    """Whether the sentence is about the vendor of some other service (an ISP, a phone system, a lab) and says
    nothing of what we do or of us."""
    around = (sentence + " " + after).lower()
    return bool(_THIRD_PARTY_WORD.search(around)) and not _WHAT_WE_DO.search(around) and \
        not _YOU_OR_US.search(around)


def _ui_label(text: str, start: int, end: int, around: str) -> bool:
    """Whether the phrase ends a quoted label of a button, a menu or a message ("clicked on \"Abonnement
    beenden\"", "a function \"Verträge hier kündigen\"", "a message saying our \"cancellation request\" was
    received")."""
    opening = text.rfind('"', max(0, start - 40), start)
    if opening < 0 or '"' not in text[end:end + 3] or "\n" in text[opening:start]:
        return False
    return bool(_UI_WORD.search(around.lower()))


def _no_guard(site: _Site) -> bool:
    """The families whose words need no guard of their own ("threatened to cancel", "renewal is off the table")."""
    return True


def _end_contract_ok(site: _Site) -> bool:
    """Whether the customer means it, for cancel / terminate / close our contract, account or service: ours, not a
    user's, a third party's or one plan while staying."""
    text, own, known = site.text, site.own, site.known
    clause, sentence, after, groups = site.clause, site.sentence, site.after, site.groups
    obj = groups["obj"].lower()
    det = (groups.get("det") or "").strip().lower()
    modifier = (groups.get("mod") or "").strip()
    verb = groups["verb"].lower()
    if modifier and not _our_modifier(modifier, own):
        return False
    if verb.startswith(("remov", "quit")) and (det not in ("my", "our") or not obj.startswith(
            ("account", "acct", "membership", "subscription", "contract")) or _FROM_SOMETHING.match(after)):
        return False
    if verb.startswith(("stop", "drop", "sunset", "ditch", "end")) and obj in ("account", "accounts", "plan",
                                                                               "plans", "business") and \
            not (verb.startswith("end") and det in ("my", "our") and obj == "account"):
        return False
    if obj.startswith(("account", "ac", "acct")):
        if det in ("this", "their", "its", "all") or (det == "the" and _SOMEONES_ACCOUNT.search(sentence + after)):
            return False
        if _ACCOUNT_OF_SOMEONE.search(after) or _USER_WORD.search(modifier) or _COMPOUND_AFTER.match(after):
            return False
    if obj.startswith("trial") and (det not in ("my", "our") or _TRIAL_OF_SOMETHING.match(after)):
        return False
    if verb.startswith("deactivat") and (det not in ("my", "our") or not obj.startswith(
            ("account", "ac", "subs", "member", "plan"))):
        return False
    paid_plan = det == "the" and _PAID.fullmatch(modifier.lower())
    if obj.startswith("plan") and ((det not in ("our", "my") and not paid_plan) or _staying(text)):
        return False
    if obj in ("renewal",) and det not in ("our", "the", "this", ""):
        return False
    if not det and obj not in ("service", "services", "business", "subscription", "contract", "account",
                               "agreement"):
        return False
    if obj in ("platform", "product", "software", "tool", "app") and det not in ("the", "your", "this"):
        return False
    if obj in ("service", "services", "platform", "product", "software", "tool", "app") and \
            _THIRD_PARTY_AFTER.search(after) and not _FOR_ALL_OF_US.match(after):
        return False
    if _THIRD_PARTY_AFTER.search(after) and _WITH_ANY.match(after):
        return _name_kind(after.split()[1] if len(after.split()) > 1 else "", own, known) == "own"
    if _staying(text) and modifier:
        return False
    return _subject_ok(clause)


def _want_ended_ok(site: _Site) -> bool:
    """Whether the customer means it, for wanting our contract or account ended ("we need our HealthCS contract to
    end on 31 August", "i want my account deleted"): ours, said by the customer."""
    modifier = (site.groups.get("mod") or "").strip()
    if modifier and not _our_modifier(modifier, site.own):
        return False
    return _subject_ok(site.clause)


def _cancel_bare_ok(site: _Site) -> bool:
    """Whether the customer means it, for a bare "cancel" ("I'm cancelling."): said by the customer, not about a
    patient's appointment."""
    text, clause, groups, lowered_clause = site.text, site.clause, site.groups, site.lowered_clause
    if _IT_OR_REASON.match(groups.get("rest") or "") and _EVENT.search(
            text[max(0, site.start - 200):site.start] + site.after):
        return False
    if not _subject_ok(clause) or _PATIENTS_CANCEL.search(lowered_clause):
        return False
    if _THEY.search(lowered_clause):
        return not _PATIENTS_CANCEL.search(site.sentence.lower())
    return bool(_CUSTOMER_REQUEST.search(lowered_clause)) or not clause.strip()


def _end_us_ok(site: _Site) -> bool:
    """Whether the customer means it, for cancel or replace us by name: our own name, and the customer doing it."""
    match, own, known, clause, groups = site.match, site.own, site.known, site.clause, site.groups
    for group in ("own", "own2", "own5", "own6"):
        if groups.get(group) and _name_kind(groups[group], own, known) != "own":
            return False
    if (groups.get("obj") or "").lower() == "us" and not _ENDING_VERB.search(match.group(0)):
        return False
    return _subject_ok(clause)


def _offer_taken_ok(site: _Site) -> bool:
    """Whether the customer means it, for a competitor's offer taken: a vendor named before it."""
    text, own, known = site.text, site.own, site.known
    return any(_name_kind(word, own, known) in ("competitor", "vendor", "unknown", "product")
               for word in _CAPITALISED.findall(text[max(0, site.start - 200):site.start]))


def _cancellation_ok(site: _Site) -> bool:
    """Whether the customer means it, for our cancellation, the cancellation terms, how to cancel: not about patients or
    users, not while staying."""
    family, text, after, lowered_clause = site.family, site.text, site.after, site.lowered_clause
    if site.groups.get("verb5") and _PATIENTS_CANCEL.search(site.sentence.lower()):
        return False
    if family == "how_cancel" and _NOT_OUR_CANCELLATION.search(
            f"{lowered_clause} {site.match.group(0).lower()} {after.lower()[:40]}"):
        return False
    if family == "how_cancel" and _LOOKALIKE_AHEAD.match(_DETERMINER_START.sub("", after.strip()) or "-") and \
            not _OUR_CONTRACT.match(after):
        return False
    if family == "how_cancel" and site.verb.endswith(("close", "delete")) and after.strip() and \
            not _OUR_CONTRACT.match(after) and not _PUNCTUATION_START.match(after):
        return False
    return not _staying(text) and not _content_near(site)


def _not_renew_ok(site: _Site) -> bool:
    """Whether the customer means it, for not renewing: not a certificate or a password, not a polite phrase, not inside
    a condition."""
    match, text, groups, lowered_clause = site.match, site.text, site.groups, site.lowered_clause
    rest = (groups.get("rest") or "").lower()
    word = match.group("verb").lower()
    if _RENEWABLE_THING.search(rest) or _RENEWABLE_THING.search(lowered_clause):
        return False
    if _NOT.match(word) and _POLITE_NEGATION.search(word):
        return False
    if _HAPPY_TO_RENEW.search(text):
        return False
    for group in ("own", "own2", "own3"):
        if groups.get(group) and _name_kind(groups[group], site.own, site.known) != "own":
            return False
    if _IF.search(lowered_clause) and "rather" not in word and "instead" not in word and \
            not _main_clause_begun(lowered_clause[_last(_IF.finditer(lowered_clause)).end():]):
        return False
    return True


def _leave_ok(site: _Site) -> bool:
    """Whether the customer means it, for leave, quit, churn, move on: the customer leaving us, not people going on
    leave or holiday."""
    text, own, known, clause = site.text, site.own, site.known, site.clause
    sentence, after, groups = site.sentence, site.after, site.groups
    lowered_clause, name_kind = site.lowered_clause, site.name_kind
    obj = (groups.get("obj") or "").strip()
    rest = groups.get("rest") or ""
    verb = groups["verb"].lower()
    for group in ("own", "own3", "own4"):
        if groups.get(group) and _name_kind(groups[group], own, known) != "own":
            return False
    if obj.lower() in ("it", "this") and not verb.startswith(("quit", "done", "walk")):
        return False
    on_leave = _ON_LEAVE.search(lowered_clause) and not _THINKING_OF.search(lowered_clause)
    if on_leave or _WHILE.search(text[max(0, site.start - 12):site.start]):
        return False
    if verb.startswith(("switch", "drop")) and (obj or _NOW.match(rest)):
        return False
    if obj.lower() == "us" and not _CUSTOMER_SUBJECT.search(lowered_clause):
        return False
    if verb.startswith(("leav", "left")) and groups.get("name") and name_kind not in ("competitor", "vendor"):
        return False
    if verb in ("left",) and not obj:
        return False
    if not obj and _DETERMINER_BEFORE.search(lowered_clause):
        return False
    if verb.startswith("migrat") and not (groups.get("own") or obj.lower().startswith(("you", "your"))):
        return False
    if verb.startswith("stop") and not (_WE.search(lowered_clause) and _WISH.search(lowered_clause)):
        return False
    if verb.startswith(("leav", "left", "quit")) and _SOMEONE_LEAVING.search((sentence + " " + after).lower()) and \
            not _FIRST_PERSON.search(lowered_clause) and not _THEY.search(lowered_clause):
        return False
    if verb.startswith(("drop", "switch")) and not obj and not _WE_OR_CUSTOMER_IS.search(sentence.lower()) and \
            clause.strip() and not _THINKING_OF.search(lowered_clause) and not _WISH.search(lowered_clause):
        return False
    if verb.startswith(("walk", "mov", "quit", "churn", "leav", "left", "part", "done")) and not obj:
        if not _WE_OR_CUSTOMER_IS.search(sentence.lower()) and clause.strip():
            return False
        if _FOR.match(rest) or _ON_HOLIDAY.search(after):
            return False
    if verb.startswith(("be", "get", "getting", "mov", "phas", "stop", "quit")) and \
            not obj and verb.split()[-1] in ("off", "from", "out", "using"):
        return False
    if verb.startswith("transition") and not _WHEN_AFTER.match(rest) and not rest.lstrip().startswith("from"):
        return False
    if _OTHER_SUBJECT.search(lowered_clause) and not _WE.search(lowered_clause) and not _SELF.match(verb):
        return False
    return True


def _switch_ok(site: _Site) -> bool:
    """Whether the customer means it, for switching or moving to another vendor: not an EHR, a lab, an IT system, a plan
    or a place."""
    match, text, own, known = site.match, site.text, site.own, site.known
    sentence, after, groups = site.sentence, site.after, site.groups
    lowered_clause, name_kind = site.lowered_clause, site.name_kind
    verb = groups["verb"].lower()
    src = groups.get("src")
    target = match.group(0).lower()
    if src and _name_kind(src, own, known) == "not_vendor":
        return False
    if groups.get("own") and _name_kind(groups.get("own"), own, known) != "own":
        if not groups.get("name"):
            return False
    if groups.get("name"):
        context = (sentence if name_kind in ("vendor", "competitor") else site.clause) + target + after
        vendor_context = _VENDOR_CONTEXT.search(context) or _OUR_FUNCTIONS.search(groups.get("moved") or "")
        if name_kind in ("unknown", "product", "vendor") and _IT_CONTEXT.search(context) and not vendor_context:
            return False
        if name_kind in ("unknown", "product") and (verb.startswith(("go", "went", "head", "chang")) or
                                                    not vendor_context):
            return False
        if _DOWNGRADE_TARGET.match(text[match.start("name"):]) or _PLAN_OR_PLACE.match(after):
            return False
    elif verb.startswith(("go", "went", "head")) and "with" not in target and "to" in target.split():
        if not _TO_ANOTHER_VENDOR.search(target):
            return False
    if _OTHER_SUBJECT.search(lowered_clause) and not _WE_THEIR.search(lowered_clause):
        return False
    if _PLACE_SUBJECT.search(lowered_clause) or _PLACE_MOVED.search((groups.get("moved") or "").lower()):
        return False
    return not _PATIENTS_OR_LABS.search(lowered_clause)


def _change_vendor_ok(site: _Site) -> bool:
    """Whether the customer means it, for changing or finding another vendor: not a patient's provider."""
    clause, sentence = site.clause, site.sentence
    after, groups, lowered_clause = site.after, site.groups, site.lowered_clause
    obj = groups["obj"].lower()
    verb = groups["verb"].lower()
    if obj.startswith("provider") and (_CLINICIAN.search((sentence + after).lower())
                                       or not _WE_OUR.search(lowered_clause)):
        return False
    if verb.startswith(("find", "look", "shop", "pick", "chose", "cho", "select")) and \
            not _OTHER.search(obj):
        return False
    return _subject_ok(clause)


def _replace_us_ok(site: _Site) -> bool:
    """Whether the customer means it, for replacing us or our product: not a card, a key or one of our messages."""
    own, known, sentence = site.own, site.known, site.sentence
    after, groups, lowered_clause = site.after, site.groups, site.lowered_clause
    obj = groups["obj"].lower()
    if groups.get("own") and _name_kind(groups.get("own"), own, known) != "own":
        return False
    if obj == "us" and not _REPORTED_CUSTOMER.search(sentence.lower()):
        return False
    if obj.startswith("your ") and not _OUR_PRODUCT_NOUN.search(obj):
        if not (after.lstrip().lower().startswith("with") or _WITH.search(obj)) or \
                _EN_LOOKALIKE_OBJECT.search(obj.split(" ", 1)[1]) and not _MESSAGING.search(obj) or \
                not _WE_SUBJECT.search(lowered_clause):
            return False
    return True


def _sign_with_ok(site: _Site) -> bool:
    """Whether the customer means it, for signing or going with a vendor: a competitor, a vendor-like name, or a
    signature."""
    match, name_kind = site.match, site.name_kind
    if site.groups.get("them"):
        before = site.text[max(0, site.start - 300):site.start]
        return _subject_ok(site.clause) and any(_name_kind(word, site.own, site.known) in ("competitor", "vendor")
                                                for word in _CAPITALISED.findall(before))
    if not site.groups.get("name"):
        return _subject_ok(site.clause)
    return name_kind in ("competitor", "vendor") or (name_kind in ("unknown", "product") and
                                                     "sign" in match.group(0).lower())


def _elsewhere_ok(site: _Site) -> bool:
    """Whether the customer means it, for taking the business elsewhere, shopping around: said by the customer."""
    clause = site.clause
    return _subject_ok(clause)


def _alternatives_ok(site: _Site) -> bool:
    """Whether the customer means it, for evaluating alternatives or a named competitor: said by the customer."""
    clause, groups, name_kind = site.clause, site.groups, site.name_kind
    if groups.get("name") and name_kind not in ("competitor", "vendor"):
        return False
    if groups.get("name") and name_kind != "competitor" and \
            not _TRYING_VERB.match(groups["verb"].lower()):
        return False
    return _subject_ok(clause)


def _kuendigen_ok(site: _Site) -> bool:
    """Whether the customer means it, for kündigen: our contract, not an employee, a lease or an appointment; not inside
    a condition."""
    text, clause, after, lowered_clause = site.text, site.clause, site.after, site.lowered_clause
    if _DE_LOOKALIKE_OBJECT.search(_EARLIEST_DATE_DE.sub("", after[:60].lower())) or _PERSON_OR_THING_DE.search(
            _EARLIEST_DATE_DE.sub("", lowered_clause[-50:])):
        return False
    if _THIRD_PARTY_AFTER.search(after) and _WITH_DE.match(after):
        return False
    if _IF_DE_ALL.search(lowered_clause) and not _HOW_DE.search(lowered_clause) and \
            not _in_main_clause_de(site) and not _PRICE_OF_LEAVING.search(site.sentence.lower()):
        return False
    if _THEIR_CUSTOMERS_DE.search(lowered_clause):
        return False
    if _staying(text) or _ONLY_THE_DE.search(after[:30]):
        return False
    return bool(_CUSTOMER_VOICE_DE.search(lowered_clause + " " + after.lower()[:30])) or not clause.strip()


def _kuendigung_ok(site: _Site) -> bool:
    """Whether the customer means it, for Kündigung: ours, not an employee's or a lease's, not a question of law, not
    denied after it."""
    text, after, lowered_clause, verb = site.text, site.after, site.lowered_clause, site.verb
    if _CANCELLATION_LAW_DE.match(verb) and not verb.startswith("sonder"):
        return False
    if _SOMEONES_CONTRACT_DE.match(after):
        return False
    if _THEIR_CONTRACTS_DE.search(after[:40].lower()) or _THEIR_CONTRACTS_DE.search(lowered_clause[-40:]):
        return False
    if _DE_LOOKALIKE_OBJECT.search(verb):
        return False
    if _IN_CASE_OF_DE.search(lowered_clause):
        return False
    if _NEGATION_AFTER.search(after) or _NO_DE.search(lowered_clause):
        return False
    return not _staying(text) and not _content_near(site)


def _verlassen_ok(site: _Site) -> bool:
    """Whether the customer means it, for verlassen: leaving us, not relying on us (sich verlassen auf)."""
    match, after, lowered_clause = site.match, site.after, site.lowered_clause
    rest = (match.group("rest") or "")
    if _REFLEXIVE_BEFORE_DE.search(lowered_clause) or _AUF.search(after[:80]):
        return False
    if _REFLEXIVE_DE.match(rest):
        return False
    own_name = match.group("own")
    if own_name and own_name.lower() not in ("sie",) and _name_kind(own_name, frozenset({own_name.lower()}),
                                                                      frozenset()) != "own":
        return False
    if not match.group("obj") and not _WE_DE.search(lowered_clause):
        return False
    return not _OTHER_SUBJECT.search(lowered_clause)


def _wechseln_ok(site: _Site) -> bool:
    """Whether the customer means it, for wechseln, umsteigen, gehen zu: to another vendor, not to a lab, a bank, a PVS
    or a view."""
    match, text, clause = site.match, site.text, site.clause
    after, lowered_clause, name_kind, verb = site.after, site.lowered_clause, site.name_kind, site.verb
    if name_kind in ("unknown", "product") and not _VENDOR_CONTEXT_DE.search((clause + match.group(0) + after).lower()):
        if verb.startswith(("geh", "ging", "stell", "steig", "stieg")):
            return False
    if verb.startswith(("stell", "steig", "stieg")) and not _UM.search(after[:40] + match.group(0)):
        return False
    if verb.startswith(("geh", "ging")) and name_kind not in ("competitor", "vendor") and not \
            _PROVIDER_DE.search(match.group(0).lower()):
        return False
    moved = match.group(0)
    if match.group("name"):
        moved = text[match.start():match.start("name")]
    if _DE_LOOKALIKE_OBJECT.search(moved) or _NOT_VENDOR_DE.search(lowered_clause + moved.lower()):
        return False
    return True


def _anbieter_ok(site: _Site) -> bool:
    """Whether the customer means it, for changing the Anbieter, looking for alternatives: ours, not a mode or a
    colleague's."""
    lowered_clause, verb = site.lowered_clause, site.verb
    if verb == "wechseln":
        if _CHANGE_INTO_DE.search(lowered_clause):
            return False
        return not _DE_LOOKALIKE_OBJECT.search(lowered_clause) and not _OTHER_SUBJECT.search(lowered_clause)
    return True


def _unterschrieben_ok(site: _Site) -> bool:
    """Whether the customer means it, for signed with a vendor: a vendor's name, not an EHR."""
    match = site.match
    names = [n for n in (match.group("name"), match.group("name2")) if n]
    return all(_name_kind(n, frozenset(), frozenset()) != "not_vendor" for n in names)


def _named_winner_ok(site: _Site) -> bool:
    """Whether the customer means it, for decided for a vendor, gave it the contract: a vendor's name."""
    name_kind = site.name_kind
    return name_kind in ("competitor", "vendor", "unknown", "product")


def _nicht_verlaengern_ok(site: _Site) -> bool:
    """Whether the customer means it, for nicht verlängern: the contract, not a certificate, a password or a
    prescription."""
    after, lowered_clause, verb = site.after, site.lowered_clause, site.verb
    if _RENEWABLE_THING_DE.search((site.sentence + after).lower()):
        return False
    if verb.startswith(("nicht", "kein")) and "empfehlen" in verb and "verlänger" not in lowered_clause:
        return False
    return True


def _beenden_ok(site: _Site) -> bool:
    """Whether the customer means it, for ending the contract or the account: ours, not a person's, not inside a
    condition."""
    lowered_clause, verb = site.lowered_clause, site.verb
    if (_DE_LOOKALIKE_OBJECT.search(verb) and not _MY_DE_END.search(lowered_clause)) or _OF_PERSON_DE.search(verb):
        return False
    if _ACCOUNT_WORD.match(verb) and lowered_clause.strip() and not _OUR_DE.search(lowered_clause + " " + verb):
        return False
    if _IF_DE.search(lowered_clause) or _THEIR_CUSTOMERS_DE.search(lowered_clause):
        return False
    return True


def _weg_ok(site: _Site) -> bool:
    """Whether the customer means it, for we are gone, no longer a customer, stopping: not away on holiday, not a module
    switched off."""
    clause, after, lowered_clause, verb = site.clause, site.after, site.lowered_clause, site.verb
    if _AWAY_DE.search((clause + after).lower()):
        return False
    if verb in ("abgeschaltet",) and not _YOUR_PLATFORM_DE.search(lowered_clause):
        return False
    if verb == "ersetzen" and not _YOUR_SOLUTION_DE.search(lowered_clause[-50:]):
        return False
    if verb.startswith(("brauchen", "benötigen")) and not _YOU_DE.search((clause + after).lower()):
        return False
    if "hör" in verb and not _STOP_WITH_DE.search(verb):
        return False
    return True


def _named_us_ok(site: _Site) -> bool:
    """Whether the name that is replaced, thrown out or no longer needed ("HealthCS durch ... ersetzen", "HealthCS
    fliegt raus") is ours (or "Sie")."""
    own = site.groups.get("own")
    return not own or own.lower() in ("sie", "ihr", "euch") or _name_kind(own, site.own, site.known) == "own"


def _chose_ok(site: _Site) -> bool:
    """Whether the customer picked a competitor or another vendor (not a patient picking a provider)."""
    return site.name_kind in ("competitor", "vendor") and _subject_ok(site.clause) and \
        not _PATIENTS_OR_USERS.search(site.lowered_clause)


def _use_other_ok(site: _Site) -> bool:
    """Whether the customer will be using a competitor from some date ("Ab Juli nutzen wir NovaChart", "from
    March we'll be on CareLoop"): a competitor's name, or a vendor's with a date or an "instead"."""
    if site.name_kind == "competitor":
        return True
    return site.name_kind == "vendor" and bool(_FROM_DATE.search((site.clause + " " + site.after).lower()))


def _in_house_ok(site: _Site) -> bool:
    """Whether what the customer brings in-house is what we do (patient messaging, reminders) or this ("it")."""
    phrase = site.match.group(0).lower()
    return bool(_WHAT_WE_DO.search(phrase) or _THIS_OR_IT.search(phrase)) and _subject_ok(site.clause)


def _pilot_ok(site: _Site) -> bool:
    """Whether a pilot is run with a competitor or another vendor, by the customer."""
    return site.name_kind in ("competitor", "vendor") and _subject_ok(site.clause)


def _farewell_ok(site: _Site) -> bool:
    """Whether the customer means it, for leaving said without the verbs of leaving: not a staff member's goodbye,
    not billing stopped for one add-on or a duplicate, not another system for one task."""
    around = (site.sentence + " " + site.match.group(0) + " " + site.after).lower()
    if _PERSONAL_FAREWELL.search(site.text.lower()) or _ONE_PART.search(around):
        return False
    if _FOR_A_TASK.match(site.after.lower()):
        return False
    verb = site.verb
    for group in ("own", "own2", "own3", "own4", "own5", "own6", "own7", "own8", "own9"):
        if site.groups.get(group) and site.groups[group].lower() not in ("sie", "ihr", "euch") and \
                _name_kind(site.groups[group], site.own, site.known) != "own":
            return False
    if verb.endswith(("einstellen", "einzustellen", "abschalten", "abzuschalten")) and _FOR_SOMEONE_DE.search(verb):
        return False
    if "bye" in verb or "farewell" in verb:
        if _GOODBYE_TO.match(site.after.lower()) and not _GOODBYE_TO_US.match(site.after.lower()):
            return False
    if (verb.startswith(("clos", "shut")) and verb.endswith(("everything", "all", "it"))
            or verb.startswith("alles")) and \
            not _ACCOUNT_ENDING.search(site.text[max(0, site.start - 120):site.start + len(site.match.group(0)) + 80]
                                       .lower()):
        return False
    return _subject_ok(site.clause)


_GUARDS = {
    "us_gone": _end_us_ok,
    "end_contract": _end_contract_ok,
    "cancel_bare": _cancel_bare_ok,
    "want_ended": _want_ended_ok,
    "end_us": _end_us_ok,
    "offer_taken": _offer_taken_ok,
    "cancellation": _cancellation_ok,
    "how_cancel": _cancellation_ok,
    "not_renew": _not_renew_ok,
    "leave": _leave_ok,
    "switch": _switch_ok,
    "change_vendor": _change_vendor_ok,
    "replace_us": _replace_us_ok,
    "sign_with": _sign_with_ok,
    "elsewhere": _elsewhere_ok,
    "alternatives": _alternatives_ok,
    "kuendigen": _kuendigen_ok,
    "kuendigung": _kuendigung_ok,
    "verlassen": _verlassen_ok,
    "wechseln": _wechseln_ok,
    "wechseln_vorn": _wechseln_ok,
    "anbieter": _anbieter_ok,
    "unterschrieben": _unterschrieben_ok,
    "für_entschieden": _named_winner_ok,
    "ersetzen_durch": _named_us_ok,
    "rausfliegen": _named_us_ok,
    "nicht_mehr_brauchen": _named_us_ok,
    "abloesen": _named_us_ok,
    "pilot": _pilot_ok,
    "in_house": _in_house_ok,
    "chose": _chose_ok,
    "use_other": _use_other_ok,
    "zuschlag": _named_winner_ok,
    "nicht_verlaengern": _nicht_verlaengern_ok,
    "beenden": _beenden_ok,
    "weg": _weg_ok,
    "farewell": _farewell_ok,
    "abschied": _farewell_ok,
}


@lru_cache(maxsize=4)
def _staying_said(text: str) -> tuple[tuple[int, int], ...]:
    """Where the customer says outright that they stay ("We are not cancelling", "Wir denken nicht daran zu
    kündigen", "werden die Plattform weiterhin nutzen"): the spans of those words."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _STAYING_HINTS):
        return ()
    return tuple((said.start(), said.end()) for said in _STAYING_SAID.finditer(lowered)
                 if not _UNTIL.search(lowered, max(0, said.start() - 80), said.end() + 80))


def _same_sentence(text: str, first_start: int, first_end: int, second_start: int, second_end: int) -> bool:
    """Whether two spans of the text sit in one sentence (no sentence end between them)."""
    gap = text[first_end:second_start] if first_end <= second_start else text[second_end:first_start]
    return not _SENTENCE_GAP.search(gap)


def _said_outright(site: _Site) -> bool:
    """Whether a phrase of leaving is a plain statement that outweighs staying said in another sentence: a family
    that names the act itself (cancel, not renew, switch to a vendor, kündigen), the customer as its subject, and
    no question ("We're not cancelling because of the price. We're cancelling because support never answers.")."""
    if site.family not in _OUTRIGHT_FAMILIES:
        return False
    stop = site.match.end() + len(site.after)
    if site.text[stop:stop + 1] == "?":
        return False
    return bool(_SELF.search(f"{site.lowered_clause} {site.match.group(0).lower()} {site.after[:30].lower()}"))


@lru_cache(maxsize=4)
def _staying(text: str) -> bool:
    """Whether the text says the customer stays (everything else stays, downgrading, fewer seats)."""
    return bool(_STAYING.search(text.lower()))


def _content_near(site: _Site) -> bool:
    """Whether the sentence of the phrase or the next one says the customer is content or only asking."""
    end = site.match.end() + len(site.after)
    following = _sentence_after(site.text, end + 2)
    return bool(_CONTENT.search((site.sentence + site.match.group(0) + site.after + " " + following).lower()))


def _our_modifier(modifier: str, own: frozenset[str]) -> bool:
    """Whether the words between determiner and contract noun still describe our contract ("entire", "annual",
    "HealthCS"), not someone else's ("Adobe", "VPN", "user")."""
    for word in modifier.split():
        lowered = word.lower().removesuffix("'s")
        if lowered in own:
            continue
        if _CONTRACT_MODIFIER.fullmatch(lowered):
            continue
        return False
    return True


def _negated(clause: str) -> bool:
    """Whether the last words before a phrase deny it ("we are not leaving", "no plans to"), unless the denial
    sits in a condition ("if this isn't fixed ...")."""
    lowered = clause.lower()
    tail = " ".join(_WORD.findall(lowered)[-5:])
    if not _NEGATION.search(tail):
        return False
    condition = _CONDITION.search(lowered)
    negation = _last(_NEGATION.finditer(lowered))
    if condition and negation and condition.start() < negation.start():
        return False
    if _NOT_A_DENIAL.search(tail) or _WHY_NOT.search(tail):
        return False
    return True


def _infinitive_denied(text: str, start: int, end: int, clause: str) -> bool:
    """Whether a to/zu-infinitive phrase hangs on a denial in the clause before ("Wir haben nicht vor, den Vertrag
    zu kündigen", "There are no plans, at this point, to switch")."""
    if not _TO_INFINITIVE.search(text[start:end] + " " + clause[-40:]):
        return False
    before = text[max(0, start - len(clause) - 120):start - len(clause)].rstrip()
    if not before.endswith(","):
        return False
    return _negated(_clause_before(before[:-1], len(before) - 1))


def _after_condition(sentence: str) -> str:
    """The words of the sentence after its last if/falls."""
    condition = _last(_CONDITION.finditer(sentence.lower()))
    return sentence[condition.end():] if condition else ""


def _in_condition(sentence: str) -> bool:
    """Whether the phrase sits inside an if/falls clause ("if a patient cancels", "Falls wir kündigen sollten")
    rather than after it ("if this isn't fixed we'll cancel", "Wenn ..., kündigen wir")."""
    condition = _last(_CONDITION.finditer(sentence.lower()))
    if not condition:
        return False
    after = sentence[condition.end():]
    if "," in after or _MAIN_CLAUSE_AFTER_CONDITION.search(after) or _LATE_SUBJECT.search(after.lower()):
        return False
    if _TERMS_QUESTION.search(sentence[:condition.start()].lower()):
        return False
    if _PRICE_OF_LEAVING.search(sentence[:condition.start()].lower()) and _SELF_FIRST.match(after.lower()):
        return False
    word = condition.group(0)
    if word == "whether" and _DECIDING.search(sentence):
        return False
    return True


def _main_clause_begun(condition: str) -> bool:
    """Whether the words after if/unless already hold the subject of the main clause ("unless the price is honored
    we")."""
    return bool(_MAIN_CLAUSE_AFTER_CONDITION.search(condition) or _LATE_SUBJECT.search(condition))


def _in_main_clause_de(site: _Site) -> bool:
    """Whether a German verb stands before its subject ("..., kündigen wir"): the main clause after a condition, not
    the condition itself ("wenn wir kündigen")."""
    return bool(_SELF_FIRST.match(site.after))


def _subject_ok(clause: str) -> bool:
    """Whether the doer in the clause before a verb is the customer organisation (or nobody: an imperative or a
    note), not a patient, a colleague or a system."""
    lowered = clause.lower()
    other = list(_OTHER_SUBJECT.finditer(lowered))
    ours = list(_OUR_SUBJECT.finditer(lowered))
    if other and (not ours or other[-1].start() > ours[-1].start()):
        return bool(_POLITE_REQUEST.search(lowered)) and \
            not _PATIENTS_OR_USERS.search(lowered)
    return True
