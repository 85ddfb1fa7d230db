"""What customers and CSMs write in the held-out book: ticket, e-mail, call-note and survey wording.

Every message is assembled from interchangeable pieces (greeting, matter, detail, sign-off) so that the
same intent reaches the product in many different phrasings, in English and sometimes in German. The
pools are grouped by what the writer means, not by how a scorer might read it; several pools exist only
to look alarming while meaning no harm (cancelling an appointment, a competitor named in passing).
"""

from collections.abc import Sequence

import numpy as np

RIVALS = ["Medvana", "ClinixOne", "Praxisware", "CuraDesk", "HealthLoop", "Vitalis Cloud", "NovaChart"]
WORDS_FOR_US = ["your platform", "the system", "your software", "the portal", "the app", "your product"]


def pick(rng: np.random.Generator, pool: Sequence[str]) -> str:
    """One element of a pool, drawn with the book's generator."""
    return pool[int(rng.integers(len(pool)))]


def _fill(rng: np.random.Generator, text: str, **slots: str) -> str:
    """Fill the shared placeholders ({us}, {rival}, {ehr}, {weekday}) a phrase carries."""
    if "{" not in text:
        return text
    values = {"ehr": "EHR"}
    for slot, pool in (("us", WORDS_FOR_US), ("rival", RIVALS), ("weekday", _WEEKDAYS)):
        if "{" + slot in text:
            values[slot] = pick(rng, pool)
    values.update(slots)
    return text.format(**values)


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

_HELLO_EN = ["Hi team,", "Hello,", "Hi there,", "Good morning,", "Dear support,", "Hey all,", ""]
_BYE_EN = ["Thanks,", "Best regards,", "Regards,", "Thank you.", "Cheers,", "", "Kind regards,"]
_HELLO_DE = ["Hallo zusammen,", "Guten Tag,", "Sehr geehrte Damen und Herren,", "Hallo,", "Liebes Support-Team,"]
_BYE_DE = ["Viele Grüße", "Mit freundlichen Grüßen", "Danke und Gruß", "Beste Grüße", ""]


def _letter(rng: np.random.Generator, german: bool, *middle: str) -> str:
    """Wrap body sentences in a greeting and a sign-off in the writer's language."""
    hello, bye = (_HELLO_DE, _BYE_DE) if german else (_HELLO_EN, _BYE_EN)
    parts = [pick(rng, hello), *middle, pick(rng, bye)]
    return "\n".join(p for p in parts if p)


# --- everyday support -------------------------------------------------------------------------

_ROUTINE_EN = [
    ("How do I add a new provider?",
     "We hired a new nurse practitioner and I can't find where to add her schedule template."),
    ("Report export question",
     "The monthly visit report exports with the wrong date range. Is there a setting for that?"),
    ("Password reset not arriving", "One of our front desk staff isn't getting the reset e-mail. Can you check?"),
    ("Invoice copy needed", "Our accountant needs a copy of last quarter's invoices with our tax id on them."),
    ("Slow loading this morning", "Schedules took about 20 seconds to load between 8 and 9 am. Seems fine now."),
    ("Feature request: recurring appointments", "It would help a lot if we could book a series of PT visits at once."),
    ("Printing patient labels",
     "The label printer cuts off the last line of the address. Which template should we use?"),
    ("Question about user roles", "Can a billing clerk see clinical notes? We want to restrict that."),
    ("Reminder texts wording", "Can we change the wording of the appointment reminder text messages?"),
    ("Intake form field", "We need an extra field on the intake form for the preferred pharmacy."),
    ("Timezone of reports", "Reports show times in UTC, our clinic is in Denver. Where do I change this?"),
    ("Portal message not delivered", "A patient says she never got our portal message from {weekday}."),
    ("Claim status not updating", "Two claims have shown 'submitted' for a week. Is that normal?"),
    ("Add a location", "We are opening a second site next month. What do we need to set up?"),
    ("Training material", "Do you have a short video for new schedulers? We have two starting soon."),
    ("Telehealth audio issue", "Patients on Android say the audio drops during video visits."),
    ("Duplicate patient records", "We found a few duplicate charts after the last import. How do we merge them?"),
    ("Dashboard widget missing", "The no-show widget disappeared from my dashboard after the update."),
]
_ROUTINE_DE = [
    ("Frage zur Terminvorlage", "Wie legen wir eine neue Terminvorlage für die Physiotherapie an?"),
    ("Rechnungskopie", "Unsere Buchhaltung braucht eine Kopie der Rechnung vom letzten Monat."),
    ("Passwort zurücksetzen", "Eine Kollegin bekommt keine E-Mail zum Zurücksetzen des Passworts."),
    ("Export der Statistik", "Der Monatsbericht exportiert das falsche Datum. Gibt es dafür eine Einstellung?"),
    ("Neuer Standort", "Wir eröffnen eine zweite Praxis. Was müssen wir einrichten?"),
    ("Langsame Ladezeiten", "Heute Morgen hat der Kalender sehr lange geladen, jetzt geht es wieder."),
]


def routine_ticket(rng: np.random.Generator, german: bool = False) -> tuple[str, str]:
    """An everyday question or small problem: nothing about the relationship."""
    subject, body = pick(rng, _ROUTINE_DE if german else _ROUTINE_EN)
    return subject, _letter(rng, german, _fill(rng, body))


_ONBOARD_EN = [
    ("Go-live checklist", "We go live on {weekday}. Can someone confirm the provider templates are complete?"),
    ("Data migration from old system", "Our patient demographics import stopped at row 4,000. Can you look?"),
    ("Training session request", "Could we book another training for the front desk before go-live?"),
    ("SSO setup", "We need help configuring single sign-on with our identity provider."),
    ("Fee schedule import", "The fee schedule import rejected our CSV. Which columns are expected?"),
    ("User accounts for new staff", "Please create logins for our six new medical assistants."),
    ("Interface testing", "The test messages from our {ehr} are not showing up in the sandbox yet."),
    ("Go-live day issues", "First day live: check-in is slow and two providers cannot sign notes. Please help."),
]


def onboarding_ticket(rng: np.random.Generator) -> tuple[str, str]:
    """A question of a customer still setting up or just gone live."""
    subject, body = pick(rng, _ONBOARD_EN)
    return subject, _letter(rng, False, _fill(rng, body))


# --- the EHR interface ------------------------------------------------------------------------

_SYNC_SUBJECTS_EN = ["{ehr} sync failing", "Interface down?", "Results not coming across from {ehr}",
                     "URGENT: orders not syncing", "HL7 messages stuck", "Integration errors since the update",
                     "Charts out of sync with {ehr}", "ADT feed stopped"]
_SYNC_BODIES_EN = [
    "Since {weekday} none of our lab results have crossed over from {ehr}. Providers are re-typing them by hand.",
    "The interface queue shows hundreds of errors. Appointments booked in {ehr} do not appear on our side.",
    "We keep getting 'message rejected' on the ADT feed. This is blocking check-in.",
    "Orders placed today are missing in {ehr}. We had to call the lab to confirm each one.",
    "Same sync problem as last week, it is back. The error log is attached.",
    "Medication lists are not updating from {ehr}. Our nurses do not trust the data anymore.",
]
_SYNC_SUBJECTS_DE = ["Schnittstelle zu {ehr} gestört", "Synchronisation fehlerhaft", "Befunde kommen nicht an"]
_SYNC_BODIES_DE = [
    "Seit {weekday} kommen keine Laborbefunde mehr aus {ehr} an. Wir tragen alles von Hand nach.",
    "Die Schnittstelle meldet ständig Fehler, Termine aus {ehr} fehlen bei uns.",
]


def sync_trouble_ticket(rng: np.random.Generator, ehr: str, german: bool = False) -> tuple[str, str]:
    """A complaint that the EHR interface is broken."""
    subjects, bodies = (_SYNC_SUBJECTS_DE, _SYNC_BODIES_DE) if german else (_SYNC_SUBJECTS_EN, _SYNC_BODIES_EN)
    return _fill(rng, pick(rng, subjects), ehr=ehr), _letter(rng, german, _fill(rng, pick(rng, bodies), ehr=ehr))


_SYNC_FIXED = [
    ("Re: interface errors",
     "Confirmed, results are flowing again since the patch last night. Thanks for the quick turnaround."),
    ("Sync working again", "All good now, the backlog cleared overnight. You can close this."),
    ("Re: ADT feed", "The feed is back. Our IT found a certificate had expired on our side. Sorry for the noise!"),
    ("Resolved - {ehr} interface", "Everything is syncing again. Appreciate the help over the weekend."),
]


def sync_fixed_ticket(rng: np.random.Generator, ehr: str) -> tuple[str, str]:
    """The customer confirming that an interface problem is solved."""
    subject, body = pick(rng, _SYNC_FIXED)
    return _fill(rng, subject, ehr=ehr), _letter(rng, False, _fill(rng, body, ehr=ehr))


# --- leaving: written intent ------------------------------------------------------------------

_LEAVE_EN = [
    "We have decided not to renew when our contract is up.",
    "Please take this as our notice that we will be terminating the agreement at the end of the term.",
    "Our board voted to move to {rival}, so we will be winding down our use of {us} over the next weeks.",
    "Could you send me the terms for ending our contract early? We need to know the notice period.",
    "We need a full export of our patient and scheduling data before we switch systems.",
    "We're going to cancel our subscription. Who do I talk to about the final invoice?",
    "Honestly we are done. We'll be signing with {rival} next month.",
    "We have issued an RFP for a new practice management system and will evaluate other vendors.",
    "Leadership asked me to find out how we get out of the contract before renewal.",
    "I'm afraid we won't be continuing with you after this year.",
    "Please do not auto-renew our plan. We are moving on.",
    "What is the process to close our account and get a copy of everything we stored?",
    "We are transitioning to another platform and need to plan the data handover.",
    "After a lot of back and forth we will be switching vendors at renewal.",
    "Heads up: we signed with {rival}, our last day on {us} will be end of next month.",
    "Can you tell me what happens to our data if we terminate? We're wrapping up by the end of the quarter.",
]
_LEAVE_DE = [
    "Wir möchten unseren Vertrag zum nächstmöglichen Zeitpunkt kündigen.",
    "Bitte bestätigen Sie die Kündigung unseres Abonnements zum Laufzeitende.",
    "Wir werden den Vertrag nicht verlängern und wechseln zu {rival}.",
    "Wir benötigen einen vollständigen Export unserer Daten, da wir den Anbieter wechseln.",
    "Welche Kündigungsfrist gilt für unseren Vertrag? Wir planen den Ausstieg.",
    "Hiermit kündigen wir fristgerecht zum Ende der Vertragslaufzeit.",
]
_LEAVE_SUBJECTS_EN = ["Contract", "Renewal", "Our account", "Next steps", "Data export request", "Notice",
                      "Question about our agreement", "Termination", "Moving on", "Follow-up on our call"]
_LEAVE_SUBJECTS_DE = ["Kündigung", "Vertrag", "Datenexport", "Unser Konto"]
_REASONS_EN = [
    "The interface problems have cost us too much staff time.",
    "Budget is tight this year and we have to consolidate tools.",
    "Our new medical director prefers a different system.",
    "We never really got the adoption we hoped for.",
    "",
    "",
]


def leaving_message(rng: np.random.Generator, german: bool = False) -> tuple[str, str]:
    """A customer saying, one way or another, that they are leaving."""
    if german:
        return pick(rng, _LEAVE_SUBJECTS_DE), _letter(rng, True, _fill(rng, pick(rng, _LEAVE_DE)))
    body = [_fill(rng, pick(rng, _LEAVE_EN)), pick(rng, _REASONS_EN)]
    return pick(rng, _LEAVE_SUBJECTS_EN), _letter(rng, False, *[b for b in body if b])


_LEAVE_CALL_NOTES = [
    "Call with {who}: they told us they are not planning to renew. Main driver is cost.",
    "{who} said the group is evaluating {rival} and other vendors; decision before renewal.",
    "Spoke to {who}. They asked about termination terms and data export. Tone was final.",
    "{who} mentioned an RFP is out for a replacement system. We are invited but not favoured.",
    "Renewal call: {who} says they will switch at end of term. Tried a discount, no interest.",
    "Gespräch mit {who}: Praxis will zum Vertragsende kündigen und zu {rival} wechseln.",
]


def leaving_call_note(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """A CSM's note of a call in which the customer announced or hinted at leaving."""
    return "Call notes", _fill(rng, pick(rng, _LEAVE_CALL_NOTES), who=who)


_RIVAL_AT_RENEWAL = [
    "Before we renew we'd like to compare pricing with {rival}. Their quote came in lower.",
    "{rival} gave us a demo last week and the board liked it. Can you match their offer?",
    "We're looking at {rival} ahead of our renewal. What can you do on price?",
    "Our sister clinic moved to {rival} and they keep telling us how much easier it is. Renewal is coming up.",
    "Wir vergleichen vor der Verlängerung gerade ein Angebot von {rival}.",
]


def rival_at_renewal(rng: np.random.Generator) -> tuple[str, str]:
    """A customer weighing a competitor shortly before renewal."""
    return pick(rng, ["Renewal", "Pricing", "Upcoming renewal", "Quote comparison"]), \
        _letter(rng, False, _fill(rng, pick(rng, _RIVAL_AT_RENEWAL)))


# --- harmless look-alikes ---------------------------------------------------------------------

_CANCEL_OTHER = [
    ("Cancel appointment in bulk", "Dr. Weiss is out sick, how do we cancel all of her appointments for Friday?"),
    ("Cancel training", "We need to cancel Thursday's training session, can we move it to next week?"),
    ("Cancel user", "Please cancel the user account of a receptionist who left us last month."),
    ("Cancel duplicate order", "I placed the label printer order twice. Please cancel the second one."),
    ("Cancelled visits report", "Where can I see how many visits patients cancelled last month?"),
    ("Cancel meeting", "Sorry, I have to cancel our check-in call tomorrow. Can we do next week?"),
    ("Termin absagen", "Wie können wir alle Termine von Frau Dr. Berg am Montag absagen?"),
    ("Remove old provider", "Dr. Lang retired. Please deactivate his login and end his schedule."),
    ("Stop reminder texts", "A patient asked us to stop sending her reminders. How do we switch that off?"),
    ("Export for audit", "Our auditor wants an export of last year's claims. What's the quickest way?"),
]


def cancel_other_message(rng: np.random.Generator) -> tuple[str, str]:
    """A message about cancelling or ending something other than the contract."""
    subject, body = pick(rng, _CANCEL_OTHER)
    return subject, _letter(rng, False, body)


_RIVAL_PASSING = [
    "We used {rival} at my previous clinic and it had a nice recall list. Any plans for something similar?",
    "Our billing consultant also works with {rival} users, can you share your export format with her?",
    "A patient transferred from a practice on {rival}; can we import their records?",
    "We looked at {rival} two years ago and chose you, glad we did. Quick question on templates though.",
    "At the conference I saw {rival}'s new scheduling view. Just passing it on as an idea.",
]


def rival_in_passing(rng: np.random.Generator) -> tuple[str, str]:
    """A competitor named without any thought of leaving."""
    return pick(rng, ["Idea", "Question", "Feature idea", "Records import"]), \
        _letter(rng, False, _fill(rng, pick(rng, _RIVAL_PASSING)))


_ANGRY_EN = [
    ("This is unacceptable", "Third time this month the schedule froze during morning check-in. Fix it."),
    ("Very frustrated", "Your last update broke our templates AGAIN. Nobody tested this?"),
    ("Still waiting!!", "I opened this a week ago and nobody has called back. Really poor service."),
    ("Terrible support experience", "Your agent closed my ticket without solving anything."),
    ("Billing mistake again", "You charged us for 40 seats, we have 32. Second time. Please correct it."),
]


def angry_message(rng: np.random.Generator) -> tuple[str, str]:
    """An angry complaint from a customer who is not leaving."""
    subject, body = pick(rng, _ANGRY_EN)
    return subject, _letter(rng, False, body)


# --- CSM side ---------------------------------------------------------------------------------

_CHECKIN = [
    ("Monthly check-in", "Hi {who}, checking in on how the team is doing. Anything we can help with this month?"),
    ("New release notes", "Hi {who}, the new release adds batch eligibility checks. Happy to walk you through it."),
    ("Quick check-in", "Hi {who}, saw your usage of the patient portal grew, nice! Any feedback?"),
    ("Webinar invite", "Hi {who}, we host a webinar on reducing no-shows next week. Thought of you."),
    ("Follow-up from our call", "Hi {who}, as promised, here is the guide on custom report filters."),
]
_CALL_NOTES = [
    "Call with {who}: all fine, they want help with reporting next month.",
    "Spoke with {who}, team is happy with the portal. Asked about telehealth pricing.",
    "{who} raised a question on claims scrubbing; sent docs. Relationship good.",
    "Quick call with {who}. Busy season, no issues reported.",
    "Check-in with {who}: new staff onboarded, they want a refresher training.",
]
_QBR = [
    "QBR with {who}: reviewed adoption, no-show rate down 12%. Next quarter focus: patient portal.",
    "QBR: {who} happy with stability, asked for a roadmap session. Expansion to a new site possible.",
    "Quarterly review with {who}. Usage steady, two open tickets discussed, action items agreed.",
]
_FOLLOW_UPS = [
    ("Checking in", "Hi {who}, just checking in, we haven't heard from you in a while. Is everything OK?"),
    ("Following up", "Hi {who}, following up on my last e-mail. Would love 15 minutes to hear how things are."),
    ("Are you still the right contact?",
     "Hi {who}, I've tried to reach you a few times. Should I talk to someone else?"),
    ("One more try", "Hi {who}, I haven't been able to reach anyone on your team. Please let me know a good time."),
]


def checkin_email(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """A CSM's routine outbound e-mail."""
    subject, body = pick(rng, _CHECKIN)
    return subject, body.format(who=who)


def call_note(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """A CSM's note of an ordinary call."""
    return "Call notes", pick(rng, _CALL_NOTES).format(who=who)


def review_note(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """A CSM's note of a quarterly business review."""
    return "Quarterly business review", pick(rng, _QBR).format(who=who)


def unanswered_follow_up(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """A CSM chasing a customer who stopped answering."""
    subject, body = pick(rng, _FOLLOW_UPS)
    return subject, body.format(who=who)


_CHAMPION_GONE = [
    ("Contact change",
     "{who} has left our practice. Please remove her from the account and send updates to the office."),
    ("Update contact", "FYI {who} is no longer with us. Not sure yet who will own the system on our side."),
    ("Ansprechpartner", "{who} hat die Praxis verlassen. Bitte schicken Sie Informationen vorerst an die Zentrale."),
]
_CHAMPION_NEW = [
    ("Introduction", "Hi, I'm taking over from {who} as practice manager. Looking forward to working with you!"),
    ("New point of contact", "Hello, I replaced {who}. Could we set up an intro call and a short training?"),
]


def champion_gone_message(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """The customer saying their main contact has left."""
    subject, body = pick(rng, _CHAMPION_GONE)
    return subject, body.format(who=who)


def champion_new_message(rng: np.random.Generator, who: str) -> tuple[str, str]:
    """A new main contact introducing themselves."""
    subject, body = pick(rng, _CHAMPION_NEW)
    return subject, body.format(who=who)


# --- surveys and exit feedback ----------------------------------------------------------------

_NPS_LOW = ["Too many outages lately.", "Support takes days to answer.", "Hard to use, staff keep complaining.",
            "The interface with our EHR is unreliable.", "Price went up, value did not.",
            "Nicht zufrieden, zu viele Fehler.", "Reports are useless for our billing team.", ""]
_NPS_MID = ["Does the job.", "OK overall, reporting could be better.", "Fine, some bugs.", "", ""]
_NPS_HIGH = ["Love the scheduling!", "Great support team.", "Made our front desk so much faster.",
             "Sehr zufrieden.", "", "Reliable and easy to use."]


def nps_comment(rng: np.random.Generator, score: int) -> str:
    """A survey comment that fits its score (often empty)."""
    return pick(rng, _NPS_LOW if score <= 6 else _NPS_MID if score <= 8 else _NPS_HIGH)


EXIT_FEEDBACK = {
    "budget": ["Budget cuts, nothing personal.", "Funding for the program ended.", ""],
    "acquired": ["We were acquired and must use the parent system.", "Merged into a hospital group.", ""],
    "competitor": ["Moved to a competitor with a better price.", "Switched vendors.", ""],
    "integration": ["Interface never worked reliably.", "Too much manual re-entry.", ""],
    "low_adoption": ["Staff never really used it.", "Not enough value for us.", ""],
    "non_payment": ["", "Account closed for non-payment."],
    "support": ["Support was too slow.", "Felt ignored.", ""],
    "pricing": ["Too expensive for a practice our size.", ""],
    "product_fit": ["Did not fit our workflows.", ""],
    "trial_ended": ["", "Not the right time for us."],
}
