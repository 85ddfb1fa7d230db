"""Customer-voice text for the demo book: tickets, call transcripts, e-mails, CSM notes, NPS comments,
community posts and churn feedback, written the way clinic staff and health-system IT write them.

Every text is composed from many small fragments (openers, details, impact, what was tried, asks,
sign-offs) filled with concrete slots (EHR module, HL7 message type, counts, weekdays, providers),
and sometimes roughened with typos or an informal tone, so no two accounts read alike. Everything is
deterministic given the ``random.Random`` passed in; nothing here touches the global random state.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass

COMPETITORS: tuple[str, ...] = ("CareLoop", "MedRelay", "Clinexa", "PatientPilot", "Qurely", "OrbitCare")
EHR_SYSTEMS: tuple[str, ...] = ("Epic", "Cerner", "Allscripts", "athenahealth")


class Topic:
    """What a text is about (ticket topics, e-mail topics, call topics)."""

    EHR = "ehr_integration"
    BILLING = "billing"
    PAYMENT = "failed_payment"
    ONBOARDING = "onboarding"
    PERFORMANCE = "performance"
    FEATURE = "feature_request"
    CANCEL = "cancellation"
    COMPETITOR = "competitor"
    PRAISE = "praise"
    EXPANSION = "expansion"
    SEATS = "seats"
    HOWTO = "how_to"
    BUG = "bug"
    CHECKIN = "check_in"


@dataclass(frozen=True)
class Voice:
    """Who speaks or writes on the customer side, and who their CSM is."""

    name: str
    title: str
    persona: str  # practice_manager, nurse, billing, it, physician, front_desk
    org: str
    ehr: str
    csm: str = "Jordan Reyes"
    sites: int = 1

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def csm_first(self) -> str:
        return self.csm.split()[0]


@dataclass(frozen=True)
class _EhrParts:
    modules: tuple[str, ...]
    portal: str


_EHR_PARTS: dict[str, _EhrParts] = {
    "Epic": _EhrParts(("Bridges interface", "Cadence schedule feed", "Beaker results feed",
                       "Epic FHIR R4 endpoint", "Care Everywhere link", "Resolute charge feed"), "MyChart"),
    "Cerner": _EhrParts(("Millennium ADT feed", "PowerChart results interface", "Cerner Ignite FHIR API",
                         "Open Engine interface", "scheduling outbound feed"), "HealtheLife"),
    "Allscripts": _EhrParts(("Unity API connection", "TouchWorks interface", "Sunrise ADT feed",
                             "Professional EHR lab interface", "Allscripts FHIR endpoint"), "FollowMyHealth"),
    "athenahealth": _EhrParts(("athenaOne API connection", "athenaClinicals lab feed",
                               "athenahealth Marketplace app", "athenaOne appointment sync",
                               "athena FHIR endpoint"), "athenaPatient"),
}
_HL7 = ("ADT^A04", "ADT^A08", "SIU^S12", "SIU^S14", "SIU^S15", "ORU^R01", "ORM^O01", "DFT^P03", "MDM^T02")
_FHIR = ("Appointment", "Patient", "Observation", "DiagnosticReport", "Encounter", "Practitioner")
_LABS = ("Quest", "LabCorp", "our in-house lab", "BioReference", "the hospital lab", "Sonic")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_SINCE = ("since {weekday}", "since {weekday} morning", "since the weekend", "since yesterday afternoon",
          "for about {n_small} days now", "since your update on {weekday}", "since last week",
          "since {weekday} around {hour}", "on and off since {weekday}", "since this morning")
_PROVIDERS = ("Dr. Okafor", "Dr. Lindqvist", "Dr. Patel", "Dr. Nguyen", "Dr. Brennan", "Dr. Alvarez",
              "Dr. Whitaker", "Dr. Haddad", "Dr. Kowalski", "Dr. Sato", "Dr. Mensah", "Dr. Romero")
_FEATURES = ("the scheduler", "online intake", "e-prescribing", "the reporting dashboard",
             "telehealth visits", "claims and billing", "patient messaging", "appointment reminders",
             "the waitlist", "the patient portal link", "referral tracking")
FEATURE_REQUESTS: tuple[str, ...] = (
    "a way to bulk reschedule when a provider calls out sick",
    "Spanish and Vietnamese versions of the intake forms",
    "a waitlist that auto-offers cancelled slots to patients",
    "custom fields on the intake packet",
    "exporting the no-show report to Excel",
    "two-way texting with patients",
    "recurring appointments for weekly therapy clients",
    "a provider productivity dashboard",
    "SSO with Azure AD",
    "an authenticator-app option for MFA instead of SMS",
    "photos of insurance cards uploaded at check-in",
    "group therapy scheduling",
    "sliding-scale fees on the billing side",
    "configurable reminder timing (48h and 2h before)",
    "prior auth status visible in the schedule view",
    "color coding by visit type on the day view",
    "a read-only role for our auditors",
    "an audit log export for HIPAA reviews",
    "per-location templates for reminder texts",
    "a better way to merge duplicate patient records",
)
_EHR_MENTIONS = ("We're on {ehr}, if that helps.", "For reference we're an {ehr} shop.",
                 "(EHR is {ehr}.)", "Our EHR is {ehr}.", "This is the {ehr} connection.")
_GREETINGS = ("Hi,", "Hello,", "Hi team,", "Hello support,", "Good morning,", "Hi there,", "Hey team -",
              "", "", "To whom it may concern,", "Hi all,")
_SIGNOFFS = ("Thanks,", "Thank you,", "Thanks so much,", "Thx,", "Best,", "Regards,", "Thanks in advance,",
             "Appreciate it,", "-", "Sincerely,")
_PERSONA_EXTRAS = {
    "physician": ("Sent from my iPhone", "", "", "Please excuse typos, between patients"),
    "nurse": ("", "", "(on the floor today, best to email)",),
    "it": ("", "Ticket ref in our system: INC{inc}", "", "Please reply all so our team sees it."),
    "front_desk": ("", "", ""),
    "practice_manager": ("", "", "Office: (555) {phone}"),
    "billing": ("", "", "Direct line (555) {phone}"),
}


def pick(r: random.Random, options: Sequence[str]) -> str:
    """One option, chosen with the given random source."""
    return options[int(r.random() * len(options))]


def _slots(r: random.Random, voice: Voice, competitor: str = "") -> dict[str, object]:
    """Concrete values for every template slot, drawn fresh for one text."""
    parts = _EHR_PARTS.get(voice.ehr, _EHR_PARTS["Epic"])
    slots: dict[str, object] = {
        "ehr": voice.ehr,
        "module": pick(r, parts.modules),
        "portal": parts.portal,
        "hl7": pick(r, _HL7),
        "fhir": pick(r, _FHIR),
        "lab": pick(r, _LABS),
        "weekday": pick(r, _DAYS),
        "hour": f"{r.randint(6, 11)}{pick(r, ('am', ' am', 'ish', ':30'))}",
        "n_small": r.randint(2, 9),
        "n_mid": r.randint(10, 60),
        "n_big": r.randint(80, 450),
        "pct": r.randint(12, 45),
        "hours": r.randint(2, 14),
        "minutes": r.randint(20, 95),
        "seconds": r.randint(8, 45),
        "provider": pick(r, _PROVIDERS),
        "feature": pick(r, _FEATURES),
        "request": pick(r, FEATURE_REQUESTS),
        "competitor": competitor or pick(r, COMPETITORS),
        "org": voice.org,
        "me": voice.first,
        "title": voice.title,
        "csm": voice.csm_first,
        "sites": _number_word(max(voice.sites, 2)),
        "other_sites": _number_word(r.randint(2, 4)),
        "seats_more": r.choice((5, 10, 12, 15, 20, 25, 40, 50)),
        "inc": r.randint(100000, 999999),
        "phone": f"{r.randint(200, 989)}-{r.randint(1000, 9999)}",
        "amount": f"{r.randint(3, 95) * 100 + r.choice((0, 50, 25)):,}",
        "last4": f"{r.randint(0, 9999):04d}",
        "month": pick(r, ("January", "February", "March", "April", "May", "June", "July", "August",
                          "September", "October", "November", "December")),
    }
    slots["since"] = pick(r, _SINCE).format(**slots)
    return slots


def _number_word(n: int) -> str:
    """Two to six as words, larger numbers as digits."""
    return {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(n, str(n))


def _fill(r: random.Random, options: Sequence[str], slots: dict[str, object]) -> str:
    """One template, filled in."""
    return pick(r, options).format(**slots)


# --- Topic fragments -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Issue:
    """One concrete problem or question: subjects and openers that belong together, and its details."""

    subjects: tuple[str, ...]
    openers: tuple[str, ...]
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class _TopicText:
    """The issues of a topic and what any of them can be combined with."""

    issues: tuple[_Issue, ...]
    details: tuple[str, ...]  # fit every issue of the topic
    impacts: tuple[str, ...]
    asks: tuple[str, ...]
    tried: tuple[str, ...] = ()


_FRAGMENTS: dict[str, _TopicText] = {
    Topic.EHR: _TopicText(
        issues=(
            _Issue(("{ehr} appointments not syncing", "Schedule out of sync with {ehr}",
                    "Appointments missing from {ehr} feed", "URGENT - {ehr} schedule sync stopped"),
                   ("Our appointments from {ehr} stopped syncing {since}.",
                    "The schedule in your app doesn't match {ehr} anymore, it's been like this {since}.",
                    "Appointments booked in {ehr} aren't showing up on your side {since}."),
                   ("About {n_mid} appointments booked in {ehr} this week never showed up.",
                    "Front desk found {n_small} patients who arrived and weren't on the schedule at all.",
                    "Cancellations in {ehr} are not removing the slot on your side, so we're double booking.",
                    "Reschedules from {ehr} come through as brand-new appointments.")),
            _Issue(("Lab results from {ehr} not coming through", "Results missing in charts ({ehr})",
                    "{lab} results not flowing", "{hl7} results stuck"),
                   ("Lab results from {lab} are not flowing from {ehr} into your system {since}.",
                    "{ehr} results are posting hours late, and some not at all, {since}.",
                    "We're not getting {lab} results through the {module} {since}."),
                   ("{provider} had {n_small} patients whose {lab} results were missing during visits today.",
                    "The error log says 'segment OBX invalid' for most of the ORU^R01 messages.",
                    "Results show in {ehr} but never cross over to the patient summary on your side.")),
            _Issue(("{ehr} FHIR {fhir} calls returning errors", "{ehr} API 401 errors",
                    "FHIR connection to {ehr} failing"),
                   ("Calls to the {ehr} FHIR {fhir} endpoint are failing with 401/500 errors {since}.",
                    "The {ehr} API connection keeps dropping {since}."),
                   ("It looks like the access token for the {fhir} endpoint expired and never refreshed.",
                    "We re-authorized the app in {ehr} but it failed again within {hours} hours.")),
            _Issue(("Duplicate patients after {ehr} sync", "{ehr} creating duplicate charts",
                    "Demographics not updating from {ehr}", "{hl7} messages failing from {ehr}"),
                   ("We're getting duplicate patient records every time {ehr} sends an ADT update.",
                    "New patients registered in {ehr} are not showing up on your side {since}.",
                    "We're seeing {hl7} messages rejected on the {ehr} side {since}."),
                   ("Our interface engine shows {n_big} messages in error status with a mapping failure on PID-3.",
                    "Address and insurance changes made in {ehr} never update on your side.",
                    "We've merged {n_mid} duplicates by hand this week.")),
            _Issue(("{ehr} interface down?", "{module} errors", "{ehr} integration broken again",
                    "{ehr} feed delayed by hours"),
                   ("The {module} is throwing errors {since} and nothing is crossing over.",
                    "Our {ehr} sync seems to be stuck again. Same issue as last month.",
                    "The interface between {ehr} and your platform is dropping messages {since}."),
                   ("The sync dashboard says 'last successful run {hours} hours ago'.",
                    "About {n_big} messages are sitting in the queue.")),
        ),
        details=(
            "The {ehr} team says the messages left their side fine, so it looks like it's on your end.",
            "Nothing changed on our side, our {ehr} analyst double checked the {module}.",
        ),
        impacts=(
            "Staff are re-keying everything by hand and we're falling behind.",
            "Our nurses can't see results before the patient is in the room. This is a patient safety issue.",
            "We had {n_small} double-booked slots this morning and angry patients in the lobby.",
            "Providers are calling me every hour about this.",
            "We're running the schedule off printouts from {ehr} right now.",
            "This is costing my front desk a couple of hours every day.",
            "Our MAs are chasing results by fax again which defeats the purpose.",
            "Clinic flow is a mess today.",
        ),
        asks=(
            "Can someone from your integrations team look at this today?",
            "Please escalate to whoever owns the {ehr} connector.",
            "Can you tell us if this is a known issue and when it will be fixed?",
            "We need a call with an interface engineer asap.",
            "Please advise on next steps, we can get our {ehr} analyst on a call.",
            "Can you reprocess the failed messages once it's fixed?",
        ),
        tried=(
            "We already restarted the interface on our side.",
            "Our IT re-sent the last batch of {hl7} messages, same result.",
            "I cleared the cache and logged out/in, no change.",
            "We checked the credentials in the integration settings and they look right.",
            "Our {ehr} analyst confirmed the outbound feed is active.",
        ),
    ),
    Topic.BILLING: _TopicText(
        issues=(
            _Issue(("Question about our invoice", "Invoice amount looks wrong", "Invoice for {month}"),
                   ("Our {month} invoice is higher than we expected.",
                    "The invoice lists more seats than we actually have."),
                   ("It shows ${amount} but our agreement says less.",
                    "We have {n_mid} active users but were billed for more.")),
            _Issue(("Charged twice?", "Duplicate charge"),
                   ("I think we were charged twice this month.",),
                   ("The card ending {last4} shows two charges on the same day.",)),
            _Issue(("Need a W-9 and updated invoice", "PO number on invoices"),
                   ("Can you send an updated invoice with our PO number on it?",
                    "Our accounts payable team needs a W-9 before they can pay."),
                   ("Our fiscal year starts in {month}, so timing matters for us.",)),
        ),
        details=(),
        impacts=("Our controller wants this sorted before month end.", "AP is holding the payment until then.",
                 "Not urgent but I need it for our budget review."),
        asks=("Can you take a look and send a corrected invoice?", "Who should I talk to about this?",
              "Please let me know what you find.", "Can you credit the difference?"),
    ),
    Topic.PAYMENT: _TopicText(
        issues=(
            _Issue(("Card declined", "Payment failed notice", "Why did our payment fail?", "Autopay failed again"),
                   ("We got an email saying our payment failed.",
                    "Our card on file was declined for the {month} invoice.",
                    "Autopay didn't go through again this month."),
                   ("I tried to update the card in the billing portal but it keeps erroring.",
                    "Our bank says they didn't see any charge attempt.")),
            _Issue(("Update payment method", "New card for our account"),
                   ("The card ending {last4} was replaced after a fraud alert.",
                    "We're switching to ACH, can you send the form?"),
                   ("The old card was cancelled by the bank last week.",)),
            _Issue(("Overdue invoice notice - {org}", "Past due notice?"),
                   ("I received an overdue notice but we changed banks recently.",
                    "We got a past-due reminder for ${amount}."),
                   ("The invoice is ${amount} and it's showing as past due.",)),
        ),
        details=(),
        impacts=("Please don't suspend our account, the clinic runs on this.",
                 "Cash is tight this quarter, we may need a few extra weeks.",
                 "Our owner is asking why we keep getting these notices."),
        asks=("Can you retry the charge?", "Can we set up a payment plan?",
              "Please send a link to update the card.", "Who do I call about this?"),
    ),
    Topic.ONBOARDING: _TopicText(
        issues=(
            _Issue(("Help with setup", "Can't finish the setup checklist"),
                   ("We're still working through onboarding and got stuck on the {feature} setup.",
                    "The setup checklist says {pct}% complete but I'm not sure what's missing."),
                   ("The import of our provider list failed on row {n_mid}.",
                    "We don't know how to map our visit types from {ehr}.")),
            _Issue(("Go-live questions", "Onboarding - next steps?"),
                   ("Our go-live is in {n_small} weeks and we still have open items.",
                    "Our previous point of contact left so we lost momentum."),
                   ("Leadership asked me for a go-live date.",)),
            _Issue(("Training for new staff", "Provider templates setup"),
                   ("We hired {n_small} new MAs and need training sessions.",
                    "We need help building the provider templates."),
                   ("The training videos are helpful but our staff needs a live session.",)),
        ),
        details=(),
        impacts=("We can't roll out to the whole team until this is done.",
                 "Staff are still using the old process half the time."),
        asks=("Can we schedule a working session this week?", "Can someone walk us through it?",
              "Is there a checklist we can follow?", "Who is our onboarding contact now?"),
    ),
    Topic.PERFORMANCE: _TopicText(
        issues=(
            _Issue(("System very slow", "Pages taking forever to load", "Slowness again today",
                    "App lagging in the afternoons"),
                   ("The app has been really slow {since}.",
                    "Loading the day schedule takes {seconds} seconds or more."),
                   ("It's worst between {hour} and noon when all {n_mid} of our staff are logged in.",)),
            _Issue(("Timeouts during check-in", "Schedule view freezing"),
                   ("We keep getting timeouts at check-in.",
                    "Everything freezes when we open a patient with a long history."),
                   ("The spinner just keeps going and then we get a blank page.",)),
            _Issue(("Reports timing out", "Monthly report won't load"),
                   ("Reports are timing out before they finish.",),
                   ("Even a one-week date range takes minutes.",)),
        ),
        details=("Our internet is fine, other sites load normally.",
                 "It happens on Chrome and Edge, on every workstation."),
        impacts=("Patients are waiting at the front desk while we stare at a spinner.",
                 "Providers are getting frustrated and running behind.",
                 "We're losing a lot of time every day."),
        asks=("Is there an outage?", "Can your team look into this?", "Is this being worked on?",
              "Please let us know what we can do on our side."),
        tried=("We cleared cache and cookies.", "Tried incognito, same thing.",
               "Restarted the workstations, no difference."),
    ),
    Topic.FEATURE: _TopicText(
        issues=(
            _Issue(("Feature request: {request}", "Request - {request}", "Would love this feature",
                    "Idea for the roadmap", "Suggestion"),
                   ("We would love {request}.", "Is {request} on the roadmap?",
                    "Our team keeps asking for {request}.", "Small request: {request}.",
                    "Any plans to add {request}?")),
        ),
        details=("Right now we do it by hand and it takes {hours} hours a week.",
                 "Our other locations would use it too.",
                 "It would save our front desk a ton of clicks.",
                 "Our {ehr} has something similar but it's clunky."),
        impacts=("It's not urgent, just something that would help a lot.",
                 "It would make a big difference for our workflow.",
                 "Honestly this is the one thing our staff complains about."),
        asks=("Let me know if I should put this somewhere else.", "Happy to be a beta tester.",
              "Thanks for considering!", "Would be great to hear back on timing."),
    ),
    Topic.HOWTO: _TopicText(
        issues=(
            _Issue(("How do I add a new provider?", "New provider setup"),
                   ("How do I set up a new provider with their own schedule?",
                    "{provider} starts on {weekday}, how do I give them a schedule?")),
            _Issue(("Question about reminders", "Changing reminder text"),
                   ("Quick question, how do we change the reminder text?",
                    "Can we change what the reminder texts say?")),
            _Issue(("How to run the no-show report", "Where is the no-show report?"),
                   ("Where do I find the no-show report?", "How do I run no-shows by provider?")),
            _Issue(("Adding a new location", "New site setup"),
                   ("We're opening a new location, how do I add it?",)),
            _Issue(("Reset a user's password", "User locked out"),
                   ("One of our nurses is locked out, how do I reset her password?",
                    "A front desk user can't log in after too many attempts, how do I unlock him?")),
            _Issue(("Change visit type durations", "Visit lengths"),
                   ("How do we change the default length of a new patient visit?",)),
            _Issue(("Question about {feature}", "Walk-ins?"),
                   ("I can't figure out how to use {feature} for walk-ins.",)),
            _Issue(("Where is the export button?", "Exporting data"),
                   ("How do I export this month's appointments to Excel?",)),
        ),
        details=("I looked in the help center but couldn't find it.",
                 "The setting seems greyed out for me even though I'm an admin.",
                 "Whoever set this up originally has left."),
        impacts=("Not urgent.", "Would like to get this done before {weekday}."),
        asks=("Thanks!", "Can you point me to the right place?", "Appreciate the help.",
              "A quick video or link would be great."),
    ),
    Topic.BUG: _TopicText(
        issues=(
            _Issue(("Error when saving intake form", "Intake form error"),
                   ("When we save an intake form we get 'Something went wrong'.",),
                   ("It happens on the insurance page.",)),
            _Issue(("Reminder texts sent twice", "Duplicate reminders"),
                   ("Patients got their reminder text twice today.",),
                   ("Patients are calling to ask if they're double booked.",)),
            _Issue(("Wrong time on appointments", "Appointment times off by an hour"),
                   ("Some appointments show an hour off after the time change.",)),
            _Issue(("Bug in the schedule view", "Week view missing appointments"),
                   ("The week view hides appointments after 5pm.",)),
            _Issue(("Report totals don't add up",),
                   ("The totals on the monthly report don't match the detail rows.",)),
            _Issue(("Telehealth link not working", "Telehealth blank page"),
                   ("Telehealth links are opening a blank page for some patients.",),
                   ("Patients end up calling the office and we switch to phone visits.",)),
        ),
        details=("It happened to {n_small} patients so far.", "It started {since}.", "Screenshots attached.",
                 "It only happens for {provider}'s schedule."),
        impacts=("It's confusing the staff.", "Not critical but annoying."),
        asks=("Can you look into it?", "Is this a known bug?", "Let me know if you need more info."),
    ),
    Topic.SEATS: _TopicText(
        issues=(
            _Issue(("Need more seats", "Seat limit reached", "Adding users - out of licenses"),
                   ("We've hit our seat limit and can't add the new hires.",
                    "Every time we onboard someone we have to deactivate someone else.")),
            _Issue(("Quote for additional licenses", "More seats"),
                   ("We need about {seats_more} more seats.", "Can we get a quote for {seats_more} more licenses?")),
        ),
        details=("We're hiring for the new wing.", "Two new providers start next month.",
                 "Our float pool needs access too.", "Volume is up {pct}% this year."),
        impacts=("We don't want staff sharing logins.", "We need this before the new hires start."),
        asks=("Can you send pricing?", "Who handles this?", "Can we add them this week?"),
    ),
}

_FED_UP_LINES = (  # cancellation intent born of an unresolved problem
    "Honestly we're evaluating other options right now.",
    "I have to be upfront, we won't renew unless things change.",
    "If this isn't fixed we'll have to move off the platform.",
    "We're seriously considering switching to another vendor.",
    "Leadership is asking me why we don't just cancel.",
)
_CANCEL_LINES = (
    "Honestly we're evaluating other options right now.",
    "I have to be upfront, we won't renew unless things change.",
    "Our budget got cut for next year and this is on the list.",
    "Leadership asked me to look at alternatives before the renewal.",
    "We're planning to cancel at the end of our term.",
    "I'm not sure we can justify the cost anymore.",
    "We're seriously considering switching to another vendor.",
    "If this isn't fixed we'll have to move off the platform.",
    "Budget cuts hit us hard, we need to cancel or downgrade.",
)
_COMPETITOR_LINES = (
    "We had a demo with {competitor} last week and they have native {ehr} integration.",
    "{competitor} quoted us about {pct}% less for the same number of seats.",
    "Our sister practice moved to {competitor} and they're happy so far.",
    "{competitor} reached out and offered to cover our migration costs.",
    "Our CFO wants a side-by-side with {competitor} before we sign anything.",
    "{competitor} is bundled with our new RCM vendor, so it's basically free for us.",
    "We're looking at {competitor} for next year, to be honest.",
)
_PRAISE_LINES = (
    "The team loves the new scheduler, no-shows are down {pct}% since we started reminders.",
    "Check-in is so much faster with online intake, the front desk is thrilled.",
    "{provider} said it's the first tool in years that actually saves her time.",
    "Our patients keep complimenting the reminder texts.",
    "Support has been great, {csm} especially.",
    "The {ehr} sync has been rock solid since go-live.",
)
_EXPANSION_LINES = (
    "We want to roll this out to our {other_sites} other sites.",
    "We're opening a new clinic in the spring and want it on the platform from day one.",
    "We'll need more seats soon, probably {seats_more} or so.",
    "Our behavioral health group wants to start using it too.",
    "Leadership asked about adding telehealth for all locations.",
    "We'd like pricing for the Enterprise tier, we want the API and population health.",
)


def _roughen(r: random.Random, text: str, chance: float) -> str:
    """Sometimes make text look typed in a hurry: a typo or two, dropped apostrophes, lowercase."""
    if r.random() >= chance:
        return text
    for _ in range(r.randint(1, 2)):
        word, typo = pick(r, _TYPOS)
        if word in text:
            text = text.replace(word, typo, 1)
    if r.random() < 0.4:
        text = text.replace("n't", "nt").replace("I'm", "Im").replace("it's", "its")
    if r.random() < 0.25:
        text = text.replace(". ", ".. ", 1)
    if r.random() < 0.2 and text:
        text = text[0].lower() + text[1:]
    return text


_TYPOS: tuple[tuple[str, str], ...] = (
    ("the ", "teh "), ("receive", "recieve"), ("definitely", "definately"), ("separate", "seperate"),
    ("appointment", "appointmnet"), ("because", "becuase"), ("please", "pls"), ("Please", "Pls"),
    ("Thanks", "Thx"), ("schedule", "schedual"), ("results", "resutls"), ("tomorrow", "tommorow"),
    ("really", "realy"), ("patients", "pts"), ("their", "thier"), ("until", "untill"),
    ("you ", "u "), ("with", "w/"), (" and ", " & "), ("again", "agian"), ("working", "workign"),
)
_SLOPPY = {"physician": 0.35, "nurse": 0.3, "front_desk": 0.35, "practice_manager": 0.15,
           "billing": 0.12, "it": 0.08}


def _paragraphs(*parts: str) -> str:
    """Non-empty parts joined as paragraphs."""
    return "\n\n".join(p for p in parts if p)


def _signature(r: random.Random, voice: Voice) -> str:
    """A sign-off as this persona writes it: name, sometimes title and organisation, extras."""
    lines = [pick(r, _SIGNOFFS), voice.first if r.random() < 0.5 else voice.name]
    if r.random() < 0.6:
        lines.append(f"{voice.title}{pick(r, (' | ', ', ', ' - '))}{voice.org}")
    extra = pick(r, _PERSONA_EXTRAS.get(voice.persona, ("",)))
    if extra:
        lines.append(extra.format(inc=r.randint(100000, 999999),
                                  phone=f"{r.randint(200, 989)}-{r.randint(1000, 9999)}"))
    return "\n".join(line for line in lines if line)


def _sentences(r: random.Random, topic_text: _TopicText, slots: dict[str, object], *, detail_count: int
               ) -> tuple[str, list[str]]:
    """A subject and the body sentences about one issue of a topic (opener, details, tried, impact)."""
    issue = topic_text.issues[int(r.random() * len(topic_text.issues))]
    subject = _fill(r, issue.subjects, slots)
    sentences = [_fill(r, issue.openers, slots)]
    details = list(issue.details)
    r.shuffle(details)
    generic = list(topic_text.details)
    r.shuffle(generic)
    sentences += [d.format(**slots) for d in (details + generic)[:detail_count]]
    if topic_text.tried and r.random() < 0.5:
        sentences.append(_fill(r, topic_text.tried, slots))
    if topic_text.impacts and r.random() < 0.8:
        sentences.append(_fill(r, topic_text.impacts, slots))
    return subject, sentences


# --- Tickets ---------------------------------------------------------------------------------------

def ticket(r: random.Random, topic: str, voice: Voice, *, competitor: str = "",
           cancel_intent: bool = False) -> tuple[str, str]:
    """A support ticket (subject, body) as the customer typed it into the portal or e-mailed it."""
    fragments = _FRAGMENTS.get(topic, _FRAGMENTS[Topic.HOWTO])
    slots = _slots(r, voice, competitor)
    subject, sentences = _sentences(r, fragments, slots, detail_count=r.randint(1, 3))
    if r.random() < 0.12:
        subject = subject.lower()
    if cancel_intent:
        sentences.append(pick(r, _FED_UP_LINES))
    if competitor:
        sentences.append(_fill(r, _COMPETITOR_LINES, slots))
    sentences.append(_fill(r, fragments.asks, slots))
    one_block = r.random() < 0.45
    body_text = " ".join(sentences) if one_block else _paragraphs(
        " ".join(sentences[:2]), " ".join(sentences[2:]))
    body = _roughen(r, _paragraphs(pick(r, _GREETINGS), body_text, _signature(r, voice)),
                    _SLOPPY.get(voice.persona, 0.15))
    if topic == Topic.EHR and voice.ehr not in subject and voice.ehr not in body:
        body = body.replace("\n\n", "\n\n" + pick(r, _EHR_MENTIONS).format(ehr=voice.ehr) + " ", 1)
    return subject, body


# --- E-mails ---------------------------------------------------------------------------------------

_CSM_OUTBOUND: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "check_in": (
        ("Checking in", "Quick check-in", "How are things going at {org}?", "Touching base",
         "Anything I can help with this month?"),
        ("Hi {first},\n\nHope the week is going well. I wanted to check in and see how things are going with "
         "{feature}. Anything getting in the way for your team?",
         "Hi {first},\n\nIt's been a few weeks since we last talked, so I wanted to touch base. I noticed your "
         "team has been using {feature} a lot more, nice! Anything you'd like help with?",
         "Hello {first},\n\nJust a quick note to see whether there's anything on your list for us. Happy to "
         "set up a 20-minute call if that's easier."),
    ),
    "training": (
        ("Training session for your new staff", "Refresher training?", "Webinar: getting more out of {feature}"),
        ("Hi {first},\n\nWe're running a live training on {feature} next {weekday} at 12:30 ET. Want me to "
         "save a few spots for your front desk team?",
         "Hi {first},\n\nI saw a few new users were added last month. I'd be happy to run a 30-minute "
         "refresher for them, just send me a couple of times that work."),
    ),
    "renewal": (
        ("Your upcoming renewal", "Renewal planning", "Let's plan the year ahead"),
        ("Hi {first},\n\nYour agreement comes up for renewal soon. I'd love to set up time to review how the "
         "year went and what you'd like to accomplish next year.",
         "Hi {first},\n\nAhead of your renewal I put together a short summary of your usage and outcomes. "
         "Could we find 30 minutes in the next two weeks to go through it?"),
    ),
    "release": (
        ("New: {feature} improvements", "What's new this month", "Release notes you might like"),
        ("Hi {first},\n\nSharing a quick heads-up: we just shipped improvements to {feature} that your team "
         "asked about. Happy to walk you through them.",
         "Hi {first},\n\nThis month's release includes faster {ehr} sync monitoring and a new no-show "
         "report. Let me know if you'd like a demo."),
    ),
    "no_reply": (
        ("Following up", "Are you still the right contact?", "Checking in again", "Haven't heard back"),
        ("Hi {first},\n\nI haven't been able to reach you the last few weeks, so I wanted to try again. Is "
         "there someone else at {org} I should be working with?",
         "Hello,\n\nI'm trying to reach the right person at {org} for our regular check-ins. Could you "
         "point me in the right direction?",
         "Hi {first},\n\nFollowing up on my last note. I'd still love to get 20 minutes on the calendar, "
         "even a quick call works."),
    ),
    "ticket_follow_up": (
        ("Following up on your ticket", "Update on the {ehr} issue", "Re: your support case"),
        ("Hi {first},\n\nI saw the ticket about {feature} and wanted to let you know I'm following it "
         "closely with our support team. I'll update you by end of day tomorrow.",
         "Hi {first},\n\nOur integrations team is working on the {ehr} issue. Current status: root cause "
         "identified, fix being tested. I'll keep you posted.",
         "Hi {first},\n\nThanks for your patience on this one. Support says the fix is rolling out tonight; "
         "can we check together tomorrow morning?"),
    ),
    "payment_reminder": (
        ("Payment issue on your account", "Invoice past due", "Card on file declined"),
        ("Hi {first},\n\nOur finance team let me know the last payment didn't go through. Could you update "
         "the card in the billing portal, or let me know if you'd prefer ACH?",
         "Hi {first},\n\nA quick heads-up that the invoice for {month} is past due. No action needed if it's "
         "already in process, just let me know."),
    ),
}


def csm_email(r: random.Random, kind: str, voice: Voice) -> tuple[str, str]:
    """An outbound e-mail from the CSM (check-in, training, renewal, release, no-reply, follow-up, payment)."""
    subjects, bodies = _CSM_OUTBOUND.get(kind, _CSM_OUTBOUND["check_in"])
    slots = _slots(r, voice)
    slots["first"] = voice.first
    closing = pick(r, ("Best,", "Thanks,", "Talk soon,", "Cheers,", "Warmly,"))
    body = _paragraphs(pick(r, bodies).format(**slots), f"{closing}\n{voice.csm}\nCustomer Success Manager")
    return pick(r, subjects).format(**slots), body


def customer_email(r: random.Random, topic: str, voice: Voice, *, competitor: str = "",
                   cancel_intent: bool = False) -> tuple[str, str]:
    """An inbound e-mail from the customer to their CSM about a topic."""
    slots = _slots(r, voice, competitor)
    greeting = pick(r, (f"Hi {voice.csm_first},", f"Hey {voice.csm_first},", f"{voice.csm_first} -",
                        f"Hello {voice.csm_first},", f"Good afternoon {voice.csm_first},"))
    sentences: list[str] = []
    if topic in _FRAGMENTS:
        fragments = _FRAGMENTS[topic]
        subject, sentences = _sentences(r, fragments, slots, detail_count=r.randint(0, 2))
        sentences.append(_fill(r, fragments.asks, slots))
    elif topic == Topic.PRAISE:
        subject = pick(r, ("Thank you!", "Quick note of thanks", "Kudos to your team", "Great results"))
        sentences = [_fill(r, _PRAISE_LINES, slots), _fill(r, _PRAISE_LINES, slots)]
    elif topic == Topic.EXPANSION:
        subject = pick(r, ("Expanding to our other sites", "Adding locations", "Pricing for more seats",
                           "Next phase"))
        sentences = [_fill(r, _PRAISE_LINES, slots), _fill(r, _EXPANSION_LINES, slots),
                     pick(r, ("Can we set up a call to talk pricing?", "Who should we talk to about a quote?",
                              "Can you send me something I can share with our CFO?"))]
    elif topic in (Topic.CANCEL, Topic.COMPETITOR):
        subject = pick(r, ("Renewal", "Our contract", "Need to talk about next year", "Re: renewal planning",
                           "Contract question"))
        sentences = [pick(r, ("I wanted to give you a heads-up before the renewal.",
                              "Sorry for the slow reply, it's been a crazy few weeks.",
                              "I need to be transparent with you about where we are."))]
        if topic == Topic.COMPETITOR or competitor:
            sentences.append(_fill(r, _COMPETITOR_LINES, slots))
        sentences.append(pick(r, _CANCEL_LINES))
        sentences.append(pick(r, ("Can we talk this week?", "Let me know what you can do on pricing.",
                                  "I'd rather stay, but I need something to bring to leadership.")))
    else:
        subject, sentences = _sentences(r, _FRAGMENTS[Topic.HOWTO], slots, detail_count=0)
    if cancel_intent and topic not in (Topic.CANCEL, Topic.COMPETITOR):
        sentences.append(pick(r, _FED_UP_LINES))
    if competitor and topic != Topic.COMPETITOR and topic != Topic.CANCEL:
        sentences.append(_fill(r, _COMPETITOR_LINES, slots))
    body = _paragraphs(greeting, " ".join(sentences), _signature(r, voice))
    return subject, _roughen(r, body, _SLOPPY.get(voice.persona, 0.15) * 0.7)


_ESCALATION_STEPS: tuple[tuple[str, ...], ...] = (
    ("Just following up on ticket {ticket} about {issue}. Any update?",
     "Checking in on {issue}, we haven't heard anything since we opened the ticket.",
     "Hi, any news on {issue}? Our team is still working around it."),
    ("This is my second email about {issue}. It's still happening and nobody has given us a timeline.",
     "Following up again. {issue} is still not fixed and we really need an answer this week.",
     "I'm writing again because {issue} keeps happening. Can someone please own this?"),
    ("I'm honestly frustrated. {issue} has been going on for weeks and every reply is 'we're looking into "
     "it'. My staff is exhausted.",
     "We're now at week three of {issue}. This is not acceptable for a system we pay for.",
     "Nobody has called me back. This is hurting patient care and I need a real answer today."),
    ("I'm copying our CMO and COO. If {issue} isn't resolved by Friday we will have to look at other options.",
     "This is the last time I'm asking nicely about {issue}. Escalate it to your leadership today or we'll be "
     "escalating on our side, including our contract.",
     "At this point I'm being asked by our executives why we're still paying for this. Fix {issue} now "
     "or we're evaluating other options."),
)
_ISSUES: dict[str, tuple[tuple[str, str], ...]] = {  # (subject, how the thread refers to it)
    Topic.EHR: (("{ehr} appointments not syncing", "appointments not syncing with {ehr}"),
                ("Lab results from {ehr} not coming through", "lab results not flowing from {ehr}"),
                ("{module} errors", "the broken {module}"),
                ("{ehr} sync failures", "the {ehr} sync failures")),
    Topic.BUG: (("Reminder texts sent twice", "the duplicate reminder texts"),
                ("Error when saving intake form", "the intake form errors"),
                ("Telehealth link not working", "the telehealth link problem")),
    Topic.BILLING: (("Charged twice?", "the double charge on our invoice"),
                    ("Invoice amount looks wrong", "the incorrect invoice")),
    Topic.PERFORMANCE: (("Timeouts during check-in", "the constant timeouts"),
                        ("System very slow", "the slowness at check-in"),
                        ("Schedule view freezing", "the schedule freezing")),
}


def escalating_emails(r: random.Random, topic: str, voice: Voice, count: int) -> list[tuple[str, str]]:
    """A thread of follow-up e-mails from the customer, each angrier than the last (oldest first)."""
    slots = _slots(r, voice)
    issues = _ISSUES.get(topic, _ISSUES[Topic.BUG])
    base_subject, issue = (part.format(**slots) for part in issues[int(r.random() * len(issues))])
    ticket_ref = f"#{r.randint(10000, 99999)}"
    thread: list[tuple[str, str]] = []
    for index in range(count):
        level = min(len(_ESCALATION_STEPS) - 1, round(index * (len(_ESCALATION_STEPS) - 1) / max(count - 1, 1)))
        line = pick(r, _ESCALATION_STEPS[level]).format(ticket=ticket_ref, issue=issue)
        prefix = "RE: " * min(index, 3)
        if level >= 2:
            prefix = pick(r, ("URGENT: ", "ESCALATION - ", "3rd request: ", "")) + prefix
        greeting = f"{voice.csm_first}," if level >= 2 else f"Hi {voice.csm_first},"
        closing = {0: "Thanks,", 1: "Thanks,", 2: "", 3: ""}[level]
        extra = ""
        if level >= 2 and r.random() < 0.6:
            extra = pick(r, ("We pay for a premium support tier and this is the service we get?",
                             "I've had to explain to {n_small} providers why this is still broken."
                             .format(**slots),
                             "Please don't send me another automated reply.",
                             "Call me directly at (555) {phone}.".format(**slots)))
        body = _paragraphs(greeting, line, extra, "\n".join(x for x in (closing, voice.name) if x))
        thread.append((f"{prefix}{base_subject}", body if level >= 2 else _roughen(r, body, 0.15)))
    return thread


# --- Calls -----------------------------------------------------------------------------------------

_CSM_OPEN = ("Hi {first}, thanks for making the time today.", "Hey {first}, good to hear from you.",
             "Thanks for jumping on, {first}. I know clinic days are busy.",
             "Hi {first}! How's everything at {org}?", "Morning {first}, can you hear me okay?")
_CUSTOMER_OPEN = ("Yeah, no problem. It's been a hectic week.", "Sure, I have about twenty minutes.",
                  "Hi! Sorry I'm a couple minutes late, a patient issue came up.",
                  "Yep, you're good. Let me close my door.", "Hey, yes, we're between clinics so perfect timing.")
_CSM_PROBE = {
    Topic.CHECKIN: ("How have things been going with {feature}?", "Anything your team is struggling with?",
                    "What's top of mind for you this quarter?"),
    Topic.EHR: ("I saw the tickets about the {ehr} sync. Can you walk me through what you're seeing?",
                "Where are things with the {ehr} interface right now?"),
    Topic.COMPETITOR: ("Your renewal is coming up, so I wanted to hear how you're feeling about next year.",
                       "How is the team feeling about the platform heading into renewal?"),
    Topic.CANCEL: ("I wanted to check in on how things are going overall, honestly.",
                   "How are you feeling about the partnership these days?"),
    Topic.PAYMENT: ("I wanted to mention the failed payments we've seen, is something going on?",),
    Topic.EXPANSION: ("I heard you might be growing, tell me more?", "How's the rollout going at the main site?"),
    Topic.FEATURE: ("Last time you mentioned a few gaps in the workflow. Still the case?",),
    Topic.PERFORMANCE: ("Has the slowness improved since last week?",),
    Topic.ONBOARDING: ("Where are we on the onboarding checklist?",),
}
_CUSTOMER_SAY = {
    Topic.CHECKIN: ("Honestly it's going pretty well. The front desk has gotten used to {feature}.",
                    "Mostly good. We had a couple of hiccups with {feature} but support sorted it out.",
                    "Things are fine. Busy season, so not a lot of time for new stuff.",
                    "Pretty smooth. {provider} still prefers the old way but the rest of the team is on board."),
    Topic.EHR: ("It's bad. Nothing has crossed over from {ehr} reliably {since}.",
                "The {module} keeps failing. Our analyst says it's on your side.",
                "We've got about {n_mid} appointments that never synced and the MAs are re-entering them.",
                "Results from {lab} are missing in the chart when the patient is already in the room."),
    Topic.COMPETITOR: ("I'll be honest, {competitor} has been calling us and we took a demo.",
                       "Our CFO asked me to get a quote from {competitor} before we renew.",
                       "{competitor} is offering native {ehr} integration and a lower price per seat.",
                       "We're comparing you to {competitor}. Their pitch was pretty strong."),
    Topic.CANCEL: ("Leadership is questioning the cost. Our budget got cut for next year.",
                   "We're evaluating other options. I want to be upfront with you.",
                   "I don't know that we'll renew. Adoption never really took off here."),
    Topic.PAYMENT: ("Yeah, we switched banks and the card got cancelled. I'll get billing on it.",
                    "Cash flow has been tight since the reimbursement cuts. We'll catch up, I promise."),
    Topic.EXPANSION: ("We want to roll this out to our {other_sites} other sites by summer.",
                      "We're adding {seats_more} staff with the new clinic and need seats for all of them.",
                      "The other practices in our group saw our numbers and want in."),
    Topic.FEATURE: ("We really need {request}. It comes up every week.",
                    "If you had {request} we'd use it across the whole practice."),
    Topic.PERFORMANCE: ("It's a little better, but mornings are still slow.",
                        "Still slow. Check-in takes twice as long as it should."),
    Topic.ONBOARDING: ("We're about {pct}% through. Staffing has been the problem.",
                       "We stalled after our practice manager left, to be honest."),
}
_CHECKIN_ASIDES = ("We did hire {n_small} new MAs, could they get a training?",
                   "One thing: {provider} keeps asking about {request}.",
                   "The {ehr} sync has been fine since the last fix, knock on wood.",
                   "Our reminder texts could use a refresh, honestly.",
                   "Reporting for our board meeting is the main thing I need this month.",
                   "We're opening a new location in {month}, so I'll need help with that.",
                   "Can you remind me how the no-show report works? I lost the link.",
                   "Our front desk turnover is high, so training never really ends for us.")
_CSM_RESPOND = {
    Topic.EHR: ("I'm sorry, that's not okay. I'm escalating to our integrations lead today.",
                "Understood. Let me get an interface engineer on a call with your {ehr} analyst tomorrow.",
                "We'll reprocess the failed messages once the fix is in. I'll send you a written plan."),
    Topic.COMPETITOR: ("I appreciate you telling me. Can we put together a value review before you decide?",
                       "Totally fair. Let me show you what's on the roadmap for {ehr} and the ROI so far.",
                       "Would it help if I brought our VP into the conversation on pricing?"),
    Topic.CANCEL: ("I hear you. Let's build a two-week success plan and see if we can turn this around.",
                   "Thanks for being honest. What would need to be true for you to stay?"),
    Topic.PAYMENT: ("No problem, I'll have finance send a link to update the card.",
                    "Let me see if we can set up a short payment plan."),
    Topic.EXPANSION: ("That's great news! I'll get a proposal to you this week.",
                      "Love it. Let's map out the rollout and the seats you'll need."),
}
_CSM_GENERIC = ("Got it. I'll send a recap with next steps after this call.",
                "That makes sense. Let me follow up with the product team.",
                "Thanks, that's really helpful context.", "Okay, I'll note that and circle back by Friday.")
_CUSTOMER_CLOSE = ("Sounds good, thanks.", "Okay. Talk soon.", "Thanks, appreciate it.",
                   "Alright, I have to jump, patients waiting.", "Great, send me the invite.",
                   "Okay, we'll see. Thanks for listening.")


def call_transcript(r: random.Random, topic: str, voice: Voice, *, competitor: str = "",
                    cancel_intent: bool = False) -> tuple[str, str]:
    """A call (subject, transcript with timestamped speaker turns between CSM and customer)."""
    slots = _slots(r, voice, competitor)
    slots["first"] = voice.first
    csm = f"{voice.csm} (CSM)"
    customer = f"{voice.name} ({voice.title})"
    turns: list[tuple[str, str]] = [
        (csm, _fill(r, _CSM_OPEN, slots)),
        (customer, _fill(r, _CUSTOMER_OPEN, slots)),
    ]
    probe_topic = topic if topic in _CSM_PROBE else Topic.CHECKIN
    turns.append((csm, _fill(r, _CSM_PROBE[probe_topic], slots)))
    if topic in _CUSTOMER_SAY and topic != Topic.CHECKIN:
        said = list(_CUSTOMER_SAY[topic])
        r.shuffle(said)
        said = said[: r.randint(2, 3)]
    else:
        said = [pick(r, _CUSTOMER_SAY[Topic.CHECKIN]), pick(r, _CHECKIN_ASIDES)]
    for line in said:
        turns.append((customer, _fill(r, [line], slots)))
        turns.append((csm, _fill(r, _CSM_RESPOND.get(topic, _CSM_GENERIC), slots)))
    if competitor and topic != Topic.COMPETITOR:
        turns.append((customer, _fill(r, _COMPETITOR_LINES, slots)))
        turns.append((csm, _fill(r, _CSM_RESPOND[Topic.COMPETITOR], slots)))
    if cancel_intent:
        turns.append((customer, pick(r, _CANCEL_LINES)))
        turns.append((csm, _fill(r, _CSM_RESPOND[Topic.CANCEL], slots)))
    turns.append((customer, pick(r, _CUSTOMER_CLOSE)))
    clock = 0
    lines = []
    for speaker, text in turns:
        lines.append(f"[{clock // 60:02d}:{clock % 60:02d}] {speaker}: {text}")
        clock += r.randint(8, 70) + len(text) // 3
    subject = pick(r, {
        Topic.EHR: ("Call: {ehr} integration issues", "Escalation call - {ehr} sync", "Interface triage call"),
        Topic.COMPETITOR: ("Renewal call", "Call: renewal and pricing", "Pre-renewal check-in"),
        Topic.CANCEL: ("Call: account review", "Difficult conversation re: renewal", "Health check call"),
        Topic.EXPANSION: ("Call: expansion to other sites", "Growth planning call"),
        Topic.PAYMENT: ("Call: billing issue",),
    }.get(topic, ("Monthly check-in call", "Check-in call", "Call with {first}", "Bi-weekly sync"))
    ).format(**slots)
    return subject, "\n".join(lines)


# --- Notes, meetings, QBRs, community, docs, surveys, churn ----------------------------------------

_NOTE_BODIES = {
    Topic.CHECKIN: ("Call w/ {first} ({title}). Things steady, team using {feature} daily. No blockers. "
                    "Next touch in 3-4 wks.",
                    "Quick sync with {first}. Happy overall, asked about {request}. Logged as FR.",
                    "Spoke to {first}. Busy season, low bandwidth for training. Will re-offer in {month}."),
    Topic.EHR: ("{ehr} interface broken since last wk, {n_mid}+ appts missing. Escalated to integrations "
                "(INC{inc}). Customer frustrated, {first} cc'ing leadership.",
                "Sync errors on {module}. Eng says token refresh bug. ETA unclear. Daily updates promised."),
    Topic.COMPETITOR: ("{first} mentioned {competitor} demo. Price is the main driver ({pct}% cheaper). "
                       "Renewal risk HIGH. Planning value review + exec call.",
                       "Heads up: CFO wants side-by-side w/ {competitor} before renewal. Need ROI deck."),
    Topic.CANCEL: ("{first} said budget cut, may not renew. Need exec sponsor meeting asap.",
                   "Account at risk - low adoption, {first} 'evaluating other options'. Success plan drafted."),
    "champion_left": ("Champion {first} has left {org} (email bounced). No replacement named yet. "
                      "Reaching out to exec sponsor.",
                      "Learned {first} moved on. Lost our main contact, usage trending down. Need new champion.",
                      "Auto-reply from {first}'s inbox: no longer with {org}. Finding new contact."),
    Topic.PAYMENT: ("2 failed charges on card ending {last4}. {first} says switching banks. Finance notified.",
                    "Invoice {month} overdue. Customer mentioned cash flow issues after payer cuts."),
    Topic.EXPANSION: ("{first} wants to expand to {other_sites} more sites! Sending proposal. Loop in AE.",
                      "Seat limit hit, asking for ~{seats_more} more. Good expansion opp."),
    Topic.FEATURE: ("FRs from {first}: {request}. Shared w/ product.",),
    Topic.PRAISE: ("Great call, {first} raving about no-show reduction ({pct}%). Ask for case study?",
                   "{first} happy, would be a good reference. Ask in next QBR."),
}


def csm_note(r: random.Random, topic: str, voice: Voice, *, competitor: str = "") -> tuple[str, str]:
    """An internal CSM note in the shorthand CSMs use (subject, text)."""
    slots = _slots(r, voice, competitor)
    slots["first"] = voice.first
    text = _fill(r, _NOTE_BODIES.get(topic, _NOTE_BODIES[Topic.CHECKIN]), slots)
    subject = {Topic.EHR: "Integration escalation", Topic.COMPETITOR: "Renewal risk",
               Topic.CANCEL: "Churn risk", "champion_left": "Champion change", Topic.PAYMENT: "Billing",
               Topic.EXPANSION: "Expansion opportunity", Topic.FEATURE: "Feature requests",
               Topic.PRAISE: "Positive feedback"}.get(topic, "Check-in notes")
    return subject, _roughen(r, text, 0.3)


def meeting_summary(r: random.Random, voice: Voice, *, qbr: bool, healthy: bool, quarter: str
                    ) -> tuple[str, str]:
    """The recap of a meeting or QBR (subject, text): attendees, highlights, risks, next steps."""
    slots = _slots(r, voice)
    slots["first"] = voice.first
    subject = f"{quarter} business review - {voice.org}" if qbr else pick(
        r, ("Workflow review", "Training session", "Roadmap preview", "Rollout planning",
            "Reporting deep-dive")).format(**slots)
    good = ["No-show rate down {pct}% since go-live.", "Online intake used for {pct}% of new patients.",
            "Front desk time per check-in down to ~{seconds}s.", "Telehealth visits up {pct}% quarter on quarter."]
    if healthy:
        good.append("{ehr} sync stable, <0.5% error rate.")
        bad = ["Several users inactive for 30+ days.", "Staff turnover slowed the rollout.",
               "Reporting adoption still low."]
    else:
        bad = ["Usage down {pct}% vs last quarter.", "Open {ehr} interface issues still unresolved.",
               "Several users inactive for 30+ days.", "Exec sponsor did not attend."]
    highlights = [good[i].format(**_slots(r, voice)) for i in r.sample(range(len(good)), 2)]
    risks = [bad[i].format(**_slots(r, voice)) for i in r.sample(range(len(bad)), 1 if healthy else 2)]
    steps = r.sample(("Schedule refresher training", "Share ROI summary with leadership",
                      "Set up {ehr} monitoring alerts", "Pilot {feature} at a second location",
                      "Clean up inactive users", "Review reminder templates"), 2)
    text = "\n".join([
        f"Attendees: {voice.name} ({voice.title}), {voice.csm} (CSM)"
        + (", " + pick(r, _PROVIDERS) if r.random() < 0.5 else ""),
        "Highlights: " + " ".join(highlights),
        "Risks: " + " ".join(risks),
        "Next steps: " + "; ".join(s.format(**slots) for s in steps),
    ])
    return subject, text


_COMMUNITY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Topic.HOWTO: (("Best way to handle walk-ins?", "Reminder templates - share yours?",
                   "How do you all track no-shows?", "Tips for onboarding new front desk staff"),
                  ("How are other practices handling walk-ins in the scheduler? We're a {n_mid}-provider "
                   "group and it gets messy after lunch.",
                   "Would love to see how others word their reminder texts. Ours get a lot of STOP replies.",
                   "Curious what reports people use for no-shows. We're trying to get under {pct}%.")),
    Topic.EHR: (("Anyone else seeing {ehr} sync delays?", "{ehr} FHIR token expiring?",
                 "{hl7} messages rejected after update"),
                ("Is anyone else on {ehr} seeing appointments sync late {since}? Ours are {hours} hours behind.",
                 "Our {module} started failing after the last update. Anyone find a workaround?",
                 "PSA for {ehr} folks: check your interface credentials, ours silently expired.")),
    Topic.FEATURE: (("Idea: {request}", "Feature wishlist thread", "+1 for {request}"),
                    ("Would anyone else use {request}? If enough of us ask maybe it'll get prioritized!",
                     "Adding my vote for {request}. We'd use it at all {sites} of our locations.",
                     "Our team would love {request}. Upvote if you agree.")),
    Topic.PRAISE: (("Reminder texts cut our no-shows", "Win of the week", "Shoutout to support"),
                   ("Just wanted to share: our no-show rate dropped {pct}% after turning on two-way reminders.",
                    "Big shoutout to the support team for fixing our intake forms in under an hour!",
                    "We went live at our second clinic this week, smoothest rollout we've had.")),
}


def community_post(r: random.Random, topic: str, voice: Voice) -> tuple[str, str]:
    """A post in the customer community (title, text)."""
    titles, bodies = _COMMUNITY.get(topic, _COMMUNITY[Topic.HOWTO])
    slots = _slots(r, voice)
    closer = pick(r, ("", "", "Thanks in advance!", "TIA", f"- {voice.first}, {voice.org}", f"({voice.title})",
                      "Any tips appreciated."))
    return _fill(r, titles, slots), _roughen(r, _paragraphs(_fill(r, bodies, slots), closer), 0.25)


_DOCS = ("Configuring the {ehr} connector", "Troubleshooting HL7 {hl7} messages", "Setting up appointment reminders",
         "Building intake forms", "Running the no-show report", "Adding users and managing seats",
         "Telehealth setup checklist", "Using the API: authentication", "Population health dashboards",
         "Billing portal: updating your payment method", "Mapping visit types from {ehr}",
         "FHIR {fhir} resource reference", "Release notes", "Admin guide: roles and permissions")


def docs_title(r: random.Random, voice: Voice) -> str:
    """The title of a help-center article a customer read."""
    return _fill(r, _DOCS, _slots(r, voice))


_NPS_LEADS: dict[str, tuple[str, ...]] = {
    "promoter": ("Love it.", "Great product!", "Best decision we made this year.", "Our staff actually likes it.",
                 "Super happy.", "Really solid platform.", "Couldn't run the clinic without it now.",
                 "Easy to use and reliable.", "great!!", ""),
    "passive": ("Good overall", "Works fine", "Does the job", "Pretty good", "Mostly happy", "It's fine",
                "Solid product", "ok", "Decent"),
    "detractor": ("Frustrating year.", "Not happy.", "Disappointed.", "Honestly, it's been rough.",
                  "Not what we were sold.", "Too many problems.", ""),
}
_NPS_REASONS: dict[str, tuple[str, ...]] = {
    "promoter": ("No-shows are down {pct}% since we turned on reminders.", "Online intake changed our mornings.",
                 "The {ehr} integration just works, which I can't say about most vendors.",
                 "Support is quick and friendly.", "{csm} is fantastic.", "Saves my front desk hours every week.",
                 "Our providers love the reminders.", "Reporting is excellent, our board loved the dashboards.",
                 "Telehealth has been seamless for our patients."),
    "passive": ("but reporting could be more flexible.", "but the {ehr} sync hiccups now and then.",
                "but it's a bit pricey for a practice our size.", "but we'd like {request}.",
                "but training for new staff could be better.", "but there's some slowness in the mornings.",
                "but support can be slow to respond.", "."),
    "detractor": ("The {ehr} integration keeps breaking and support takes days to respond.",
                  "Too expensive for what we get.", "Slow, buggy, and our staff hate the new layout.",
                  "We've had lab results missing for weeks.", "Support doesn't follow through, tickets sit for days.",
                  "Billing errors every other month.", "We were promised features that never shipped.",
                  "Check-in is slower than with our old system."),
}
_NPS_TAILS: dict[str, tuple[str, ...]] = {
    "promoter": ("", "", "Would recommend to any practice.", "We want it at our {other_sites} other sites too.",
                 "Keep it up!", "Thank you!"),
    "passive": ("", "", "Otherwise happy.", "Would be a 9 if that got fixed."),
    "detractor": ("", "We're evaluating other options.", "Honestly thinking about switching.", "Not acceptable.",
                  "Please fix this."),
}


def nps_comment(r: random.Random, score: int, voice: Voice) -> str:
    """The free-text comment of an NPS response; sometimes empty, like real surveys."""
    if r.random() < 0.22:
        return ""
    group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    slots = _slots(r, voice)
    lead, reason = pick(r, _NPS_LEADS[group]), _fill(r, _NPS_REASONS[group], slots)
    if group == "passive":
        text = lead + reason if reason == "." else f"{lead}, {reason}"
    else:
        text = f"{lead} {reason}".strip()
    tail = _fill(r, _NPS_TAILS[group], slots)
    return _roughen(r, f"{text} {tail}".strip(), 0.2)


_FEEDBACK: dict[str, tuple[str, ...]] = {
    "pricing": ("Too expensive for a practice our size.", "Price increase at renewal was too much.",
                "Couldn't justify the per-seat cost."),
    "support": ("Tickets took weeks to resolve.", "Integration issues never got fixed.",
                "Support was slow and we lost trust."),
    "budget": ("Budget cut after the merger.", "Lost funding for the program.",
               "Reimbursement cuts, had to reduce vendors."),
    "features": ("Missing group therapy scheduling.", "Needed better reporting.",
                 "Lacked the {ehr} workflows we needed."),
    "competitor": ("Switched to {competitor}.", "Moved to {competitor}, bundled with our RCM vendor.",
                   "Went with {competitor} for native {ehr} integration."),
    "unknown": ("", "", "No reason given.", "Customer stopped responding."),
}


def churn_feedback(r: random.Random, reason: str, voice: Voice, *, competitor: str = "") -> str:
    """The feedback text recorded with a churn event."""
    return _fill(r, _FEEDBACK.get(reason, _FEEDBACK["unknown"]), _slots(r, voice, competitor))
