"""Churn intent (scoring.texts.intent): the verb families of leaving in English and German, the guards that rule
out look-alikes, and the figures on the tuning set."""

import csv
from pathlib import Path

import pytest

from scoring.texts.clean import sanitise
from scoring.texts.intent import churn_intent

COMPETITORS = ("PatientPilot", "CareLoop", "MedRelay", "Klinikon", "PraxisPro", "NovaChart", "ClinicFlow")
TUNING_SET = Path(__file__).resolve().parents[2] / "data" / "analyzer_eval.csv"

FROM_THE_ISSUE = [
    "We are leaving you for athenahealth.",
    "We quit.",
    "We're going to PatientPilot next quarter.",
    "Our clinic is switching from HealthCS to PatientPilot.",
    "Wir verlassen Sie zum Jahresende.",
    "Ich kündige hiermit meinen Vertrag.",
    "Wir gehen zu MedRelay.",
]

CHURN = {
    "the closure of my account, the cancellation terms of my contract, a template placeholder": [
        "I'd like to ask for the deletion of our practice account.", "what are the exit fees on our contract",
        "can you send the termination conditions for my subscription", "please remove my account",
        "how can I quit my membership", "help me close my {{Plan Name}} account",
        "Bitte helfen Sie mir, meinen Kundenaccount zu löschen.", "Ich will mein Abo widerrufen.",
        "Wie kann ich die Testphase beenden?"],
    "quit, churn, leave": ["I quit.", "We're leaving. Nobody fixed the invoices.", "We will churn at renewal.",
                           "We'll be moving on from HealthCS once our current term ends."],
    "switch, move, go to a vendor": ["We're moving all our clinics over to MedRelay once the contract runs out.",
                                     "The practice is going with NovaChart after the summer.",
                                     "We are changing vendors next month."],
    "cancel, terminate": ["We are terminating the contract due to repeated data errors.",
                          "Please cancel our service effective April 1.", "We'll cancel HealthCS on December 31.",
                          "This is the last straw. I'm cancelling."],
    "not renewing, lapse": ["We won't be renewing.", "We will let it expire.",
                            "pls dont send the renewal paperwork, we wont be signing again",
                            "We're winding down our account.", "We're out at renewal."],
    "sign with, replace, elsewhere": ["We've signed with OrbitCare.", "We're taking our business elsewhere.",
                                      "They want to replace us with an in-house solution.",
                                      "Our IT director has to find a replacement for HealthCS."],
    "leaving without the verbs of leaving": ["This is goodbye.", "Kindly stop all future billing.",
                                             "Remove our card and close everything.", "Don't bill us again.",
                                             "Our time with HealthCS is coming to an end.",
                                             "The practice will be using another system from Q3.",
                                             "Das war's dann für uns.", "Bitte keine weiteren Abbuchungen.",
                                             "Unsere Wege trennen sich hier.",
                                             "Die Praxis arbeitet ab Q3 mit einem anderen System."],
    "leaving in other words": ["great, another outage. congrats, you just lost a customer",
                               "dont bother sending the renewal quote", "consider us gone after the 30th",
                               "HealthCS won't be part of our stack after renewal.",
                               "We're going to be sunsetting our use of HealthCS over the next quarter.",
                               "we will not be continuing w you. whats the process",
                               "Zum Jahreswechsel trennen sich unsere Wege.",
                               "Wir verabschieden uns zum 30.09. von HealthCS.",
                               "Kein Interesse mehr an einer Verlängerung.",
                               "Our agreement with you ends on the 15th and we've decided to leave it at that.",
                               "Send me your exit terms.",
                               "Wir haben intern beschlossen, den Dienst zum Quartalsende einzustellen.",
                               "Der Vertrag soll zum Laufzeitende enden, wir ersetzen euch durch MedRelay."],
    "a vendor named by its web address": ["We'll be switching our whole team to Monday.com at the end of the quarter, "
                                          "what is the notice period for our subscription?"],
    "board or management as subject": ["Our board wants to move to CareLoop.",
                                       "Unsere Geschäftsführung hat entschieden, den Anbieter zu wechseln."],
    "consumer voice": ["i want to cancel my subscription", "how do i close my account", "delete my account pls",
                       "cancel my plan", "ich möchte mein Abo kündigen", "wie kann ich kündigen",
                       "can i cancel online or do i have to call someone", "want to cancel my trial",
                       "i'm switching to another app", "i found a cheaper app", "i no longer need this service",
                       "cancellation", "im leaving", "ich wechsle zu einer anderen app", "abo stornieren",
                       "wie lösche ich mein konto", "cancle my subscripton", "how do i cancell the membership",
                       "deactivate my account permanently", "i want my subscription cancelled",
                       "is there a fee if i cancel before the contract ends?", "can I end my account today",
                       "unsubscribe me from healthcs for good", "dont auto renew us", "wie kann ich mein abbo beenden",
                       "bin weg. bitte nix mehr abbuchen", "könnt ihr mein abo stoppen?",
                       "Wie kann ich mein Konto schliessen?", "kann ich vorzeitig aus dem vertrag aussteigen",
                       "bekomm ich geld zurück wenn ich jetzt kündige"],
    "threats after a condition, reported decisions": [
        "wenn das bis freitag nicht läuft kündigen wir",
        "Unless the old price is honored we will not sign the renewal.",
        "dr patel says we're done, cancel the practice account",
        "do i get a refund if i cancel mid year?"],
    "contract wanted ended, passive German": ["We will need our HealthCS contract to end on 31 August.",
                                              "Er möchte, dass der HealthCS-Vertrag zum 31.12. beendet wird."],
    "pilots and leanings, quoted threats": [
        "They are running a side-by-side pilot w/ MedRelay.",
        "Decision by end of month; leaning MedRelay.",
        'CEO: "if it happens again before renewal we\'re out"\n- renewal in 62 days',
        "we r moving everything to klinikon by june"],
    "cancelling said outright beside staying denied": [
        "We're not cancelling because of the price. We're cancelling because support never answers.",
        "We're not switching to CareLoop. We are cancelling our contract though, the budget is gone.",
        "Wir wechseln nicht zu Klinikon. Wir kündigen den Vertrag trotzdem zum Jahresende."],
    "cancel or change the plan, why not cancel": ["Budget cuts hit us hard, we need to cancel or downgrade.",
                                                  "My partner keeps asking why we don't just cancel."],
    "conditional threats": ["If this isn't fixed by Friday we'll cancel.", "We'll cancel unless the sync works.",
                            "Wenn die Abrechnung wieder falsch ist, kündigen wir."],
    "kündigen, künden": ["Die Praxis möchte das Abo zum Quartalsende kündigen.", "Wir künden den Vertrag.",
                         "Bitte senden Sie die Kündigungsbedingungen.", "Wir haben die Kündigung per Post geschickt."],
    "wechseln, umsteigen, gehen": ["Wir wechseln zum 1. Juli zu CareLoop.", "Wir steigen im Herbst auf TerminPlus um.",
                                   "Die Praxis geht zu einem anderen Anbieter."],
    "weg, nicht mehr Kunde, auslaufen": ["Wir sind weg, sobald der Vertrag ausläuft.",
                                         "Wir wollen nicht mehr Kunde bei HealthCS sein.",
                                         "Wir lassen den Vertrag zum Jahresende auslaufen.",
                                         "Verlängern werden wir nicht."],
    "our last invoice, no renewal papers": ["This will be our last invoice, please don't bill us after March.",
                                            "dont send the renewal quote this year",
                                            "Die Märzrechnung wird unsere letzte sein.",
                                            "Die Verlängerungsunterlagen brauchen Sie uns nicht zu schicken.",
                                            "Verlängern werden wir den Vertrag jedenfalls nicht."],
    "termination of the agreement": ["Our lawyer will contact you regarding termination of the agreement.",
                                     "We will terminate for cause under section 9."],
    "typed in a hurry": ["how do i cancle my subscrption", "replacing u w/ MedRelay next quarter",
                         "we wont be needing healthcs after june"],
    "a threat without a comma": ["if the export isn't fixed by monday we cancel.",
                                 "CEO said if the feed breaks again they terminate, no more chances"],
    "asking the terms": ["What's the notice period if we want out before the renewal?",
                         "Welche Kündigungsfrist gilt, wenn wir zum Jahresende raus wollen?"],
    "pilots and picks of a competitor": ["We're running a pilot of CareLoop at two sites.",
                                         "They run a formal evaluation of NovaChart as a replacement for HealthCS.",
                                         "The partners picked NovaChart.",
                                         "Wir machen gerade einen Probelauf mit Klinikon."],
    "signed elsewhere, found something else": ["We've signed elsewhere.", "Wir haben woanders unterschrieben.",
                                               "Wir haben etwas Günstigeres gefunden.",
                                               "Gibt es eine Möglichkeit, früher aus dem Vertrag herauszukommen?"],
    "replacing us, wanting us gone": ["The new CFO wants HealthCS gone by December.",
                                      "We've decided to discontinue HealthCS at the end of the term.",
                                      "Wir prüfen, ob wir HealthCS durch eine andere Lösung ersetzen.",
                                      "HealthCS fliegt zum Jahresende raus."],
    "moving several sites": ["We're moving all three clinics from HealthCS to Klinikon."],
    "stopping altogether, Schluss": ["We'd like to stop entirely when the term runs out.",
                                     "Zum Vertragsende ist Schluss.",
                                     "Wir haben entschieden, den Vertrag nicht weiterzuführen.",
                                     "Wir wollen nicht pausieren, sondern komplett beenden.",
                                     "Wir kündigen zum nächstmöglichen Termin."],
    "a reported contract end": ["- Fr. Meier: Vertrag wird per Ende Jahr gekündet"],
    "notice given, business lost": ["Consider this our 30 days notice.", "You've lost our business."],
    "pulling the plug, phasing us out": ["We're pulling the plug on HealthCS.",
                                         "HealthCS is being phased out at our clinic.",
                                         "Our practice is sunsetting HealthCS by Q4.",
                                         "We no longer want to use HealthCS.",
                                         "We're migrating off HealthCS next quarter.", "gonna cancel"],
    "using a competitor from a date": ["From March we'll be on CareLoop.", "Ab nächstem Monat nutzen wir NovaChart."],
    "German word order": ["Wir suchen einen neuen Anbieter.", "Bitte löschen Sie mein Konto.",
                          "Wir brauchen HealthCS ab Juli nicht mehr."],
    "vendors for what we do, dates": ["We're getting quotes from other vendors for next year.",
                                      "The health system is switching platforms for all outpatient messaging."],
    "a formal notice, a condition after the object": [
        "We will terminate the service agreement at the end of the term. Please treat this email as our formal notice.",
        "Wir werden den Vertrag kündigen, wenn die Schnittstelle zu unserem KIS bis Monatsende nicht läuft.",
        "Wir sind auf der Suche nach einem neuen Anbieter für die Patientenkommunikation.",
        "Rather than renew, we're going to build this into our Salesforce Health Cloud instance."],
    "buried in longer text": [
        "I have asked our office manager to begin the process of moving us to a different platform.",
        "We have a quote from Klinikon. Unless you can get close to it, we'll sign with them next week.",
        "if the price goes up another 15% we're gone",
        "We are evaluating three vendors to replace our current platform by July."],
    "call notes and paraphrases": ["Churned - budget.", "Lost to competitor: CareLoop.",
                                   "Customer requested cancellation effective 3/31.",
                                   "We're going a different direction with patient messaging.",
                                   "We've decided to take our patient communications in-house.",
                                   "Honestly thinking of switching.",
                                   "Die Praxis hat uns mitgeteilt, dass sie den Vertrag nicht fortführt.",
                                   "Wir haben uns entschieden, künftig mit PraxisPro zu arbeiten.",
                                   "Wir wollen zu einem günstigeren Anbieter.", "Wir gehen eine andere Richtung.",
                                   "Wir möchten zum Ende der Mindestlaufzeit aussteigen.",
                                   "Kündigungsbestätigung bitte an meine E-Mail."],
    "formal letters": ["Leadership has decided we won't be moving forward with HealthCS next year.",
                       "We have decided to part ways with HealthCS at the end of our current agreement.",
                       "We intend to exercise our right to terminate under clause 12.",
                       "We have signed a contract with another provider and will transition in April.",
                       "We're consolidating vendors and HealthCS didn't make the cut.",
                       "We no longer require your services as of next month.",
                       "Wir haben uns entschieden, die Zusammenarbeit nicht fortzusetzen.",
                       "Wir haben uns für eine andere Lösung entschieden.",
                       "Die Geschäftsführung hat beschlossen, HealthCS abzulösen.",
                       "Wir benötigen Ihre Leistungen ab dem 1. Juli nicht mehr.",
                       "Wir verzichten auf eine Verlängerung.", "Einer Verlängerung stimmen wir nicht zu.",
                       "Wir widersprechen der automatischen Vertragsverlängerung.",
                       "Wir haben einen Vertrag mit einem anderen Anbieter unterzeichnet.",
                       "Die Umstellung auf den neuen Anbieter ist für März geplant."],
    "chatbot voice": ["unsubscribe me from the paid plan", "cancel and refund please", "get me out of this contract",
                      "found something better, bye", "no renewal for us", "this app is useless, im out",
                      "konto löschen bitte", "wir wollen aussteigen", "wir steigen aus",
                      "automatische verlängerung ausschalten", "ich will raus", "wir gehen zur konkurrenz",
                      "wie komme ich aus dem vertrag raus"],
}

NOT_CHURN = {
    "English negation": ["We are not leaving.", "We're not canceling, we just need the login loop fixed.",
                         "No plans to switch vendors, we just want the invoice corrected."],
    "German negation after the verb": ["Wir kündigen nicht.", "Kündigen werden wir deswegen aber nicht.",
                                       "Wir haben nicht vor, den Vertrag zu kündigen.",
                                       "Wir denken nicht daran zu kündigen."],
    "hypotheticals and advice": ["You should cancel the duplicate charge.",
                                 "If a patient cancels, is the slot freed?",
                                 "Falls wir irgendwann kündigen sollten, bekommen wir dann unsere Daten?"],
    "hearsay": ["The rumours that we're switching to CareLoop are false.",
                "Ich habe gehört, dass die Praxis Dr. Lang bei euch gekündigt hat."],
    "look-alikes": ["Please cancel the appointment for Mrs. Diaz.", "Can we cancel the meeting on Thursday?",
                    "Please cancel the duplicate invoice #10442.", "Cancel the print job please.",
                    "I need to cancel our onboarding call tomorrow.", "Ich muss die Schulung am Donnerstag absagen."],
    "provider means a clinician": ["The patient wants to change provider."],
    "EHR and lab switches": ["We're moving from Epic to Cerner.", "Our lab is switching to Quest next month.",
                             "Unser Labor wechselt zu Synlab."],
    "UI modes": ["How do I switch to dark mode?", "Wie kann ich in den Dunkelmodus wechseln?"],
    "people and travel": ["Dr. Kim is leaving the practice.", "I'm leaving for vacation.",
                          "Frau Keller geht in Rente, bitte löschen Sie ihren Benutzer."],
    "removing a user": ["Cancel the user account of Dr. Lee.", "Please deactivate the login for our former nurse.",
                        "Bitte den Zugang von Frau Meier löschen."],
    "one module ends, the rest stays": ["Wir kündigen nur das Modul Umfragen, der Rest bleibt wie gehabt."],
    "leaving a competitor for us": ["We left PatientPilot for HealthCS last year."],
    "sich verlassen auf": ["Wir verlassen uns auf Ihren Support."],
    "IT migrations": ["Please migrate the database to the new server.", "Can we switch to the new version?",
                      "We will move our files to SharePoint."],
    "staying said outright": ["We are not cancelling. Please withdraw the cancellation request your team logged.",
                              "Wir denken nicht daran zu kündigen. Bitte machen Sie das Abonnement beenden rückgängig.",
                              "We will continue to use the platform; the termination notice was sent by mistake."],
    "quoted button and message labels": ['A colleague clicked "Abonnement beenden" by mistake.',
                                         'We got a message saying our "cancellation request" was received.'],
    "staying said, weaker phrases elsewhere": [
        "We are not cancelling. What is the notice period, for our records?",
        "We're not leaving. Our CFO just asked me to look at alternatives.",
        "Wir denken nicht daran zu kündigen. Was steht zur Kündigung im Vertrag?"],
    "another organisation": ["Our sister practice moved to CareLoop.",
                             "A neighbouring clinic told us they are cancelling their subscription.",
                             "Die Nachbarpraxis ist zu Klinikon gewechselt."],
    "accounts, fees and pilots of something else": ["Please remove my account from the distribution list.",
                                                    "We need our Adobe account closed.",
                                                    "Is there a fee if we cancel the training session?",
                                                    "Do I get a refund if the patient cancels?",
                                                    "Could you unsubscribe me from the newsletter?",
                                                    "Do we need to deactivate the licences on the old laptops?",
                                                    "bin weg bis montag, bitte später anrufen",
                                                    "Das Konto von Herrn Schulz soll geschlossen werden.",
                                                    "Der Vertrag mit dem Reinigungsdienst soll gekündigt werden.",
                                                    "We're moving everything to the new server next week."],
    "trials of something else": ["Please cancel the trial user for Dr. Lee.",
                                 "We need to end the trial of the new scanner.",
                                 "Bitte stornieren Sie die Rechnung."],
    "appointments cancelled for a reason": ["I'm cancelling because the session was moved.",
                                            "I need to cancel or reschedule my appointment."],
    "hearsay about your customers": ["A partner said half of your customers are switching to another provider.",
                                     "Sister clinics told us they cancelled their HealthCS subscription."],
    "modules, licences, their customers": ["Wir möchten das Zusatzmodul Belegscanner zum Monatsende kündigen.",
                                           "Wir möchten die Lizenzen ungern kündigen.",
                                           "Unsere Kunden sollen ihr Abo bei uns selbst kündigen können.",
                                           "Die Kreditkarte läuft ab und wird nicht verlängert."],
    "people leaving, nouns": ["Our account manager seems to have left your company.",
                              "We left our old vendor for you and are happy with the switch.",
                              "The billing contact changed to Tom Reyes.",
                              "The print service stops completely after the update."],
    "product names and certificates": ["We're running a pilot of ServiceNow in HR.",
                                       "The certificate won't be renewed automatically."],
    "retiring and replacing IT things": ["The old server is being decommissioned on Friday.",
                                         "We're sunsetting our legacy fax line.",
                                         "IT will pull the plug on the old VPN tonight.",
                                         "We're migrating away from Windows 10.",
                                         "Your old API version is being retired; what do we need to do?",
                                         "Wir brauchen den alten Drucker nicht mehr.",
                                         "Wir suchen einen neuen Anbieter für die Telefonanlage."],
    "other products in use": ["We'll be using Outlook from now on.", "Ab nächstem Monat nutzen wir Teams statt Zoom.",
                              "We selected Epic as our new EHR."],
    "notices that are not ours": ["This is our notice that the office will be closed Monday."],
    "closing other things": ["how do i close a ticket", "gonna cancel the meeting", "konto von frau meier löschen"],
    "them without a vendor, conditions": ["We'll sign with them next week.", "If we're gone, who gets the data?"],
    "call-note look-alikes": ["The patient requested cancellation of the appointment.",
                              "HR requested termination of access for the contractor.",
                              "Marketing is going in a different direction with the website design.",
                              "Der Kollege möchte zum Monatsende aus dem Projekt aussteigen.",
                              "Wir gehen in eine andere Richtung bei der Netzwerkplanung.",
                              "We will not renew the Adobe licenses for the interns.",
                              "We're bringing the helpdesk in-house next year.",
                              "We're going in a different direction with the network design."],
    "formal look-alikes": ["Please process the cancellation of invoice 4432.",
                           "We intend to terminate the old interface once the new one is live.",
                           "Die Umstellung auf die neue Version ist für März geplant.",
                           "Wir werden die alte Schnittstelle ab Januar nicht mehr einsetzen.",
                           "Wir haben uns für das Premium-Paket entschieden."],
    "generic IT tickets": ["Our contract with the current ISP ends in June and we are evaluating other providers for a "
                           "faster connection.",
                           "The marketing team moved to Canva. Please cancel the renewal for that tool only.",
                           "We want to replace the old switches. Can you get quotes from two other vendors?",
                           "Unser Vertrag mit dem Mobilfunkanbieter läuft aus, wir wechseln zu einem anderen Anbieter.",
                           "Bitte kündigen Sie die Lizenz für das alte CAD-Programm, wir nutzen es nicht mehr.",
                           "Wir haben den Vertrag mit dem alten Reinigungsdienst gekündigt.",
                           "Our vendor for the phone system is going out of business; we need to find a new provider.",
                           "We are considering alternatives to our current antivirus software.",
                           "We have decided not to renew the maintenance contract for the old copiers.",
                           "We will not renew the support contract with Dell; please list the affected servers.",
                           "Bitte das Abo für die Zeitschrift kündigen.",
                           "Der Wartungsvertrag für die Klimaanlage wird nicht verlängert.",
                           "Wir brauchen die alte Fax-Lösung nicht mehr.",
                           "Ich verlasse das Unternehmen zum 31.03., bitte meinen Zugang sperren."],
    "vendors of something else": ["We are switching to a new vendor for our phone system next month.",
                                  "Our clinic is changing providers for internet service.",
                                  "We're looking for a new vendor for printers, can you recommend one?",
                                  "The practice is going with a different lab provider.",
                                  "Wir wechseln den Internetanbieter.",
                                  "Wir suchen einen neuen Anbieter für unsere Drucker.",
                                  "Wir möchten die automatische Verlängerung der Domain ausschalten.",
                                  "Wir steigen aus dem Bus aus."],
    "farewells and stopped billing of something else": [
        "I'm leaving the practice for a new job, so this is goodbye from me.",
        "Please stop all future billing for the SMS add-on, we keep the rest.",
        "We say goodbye to the old interface on Monday.", "Please close this ticket, everything works now.",
        "Our lab will be using another system from Q3.", "Bitte keine weiteren Abbuchungen für das Zusatzmodul.",
        "Bei der Farbe haben wir uns anders entschieden.", "Frau Schulz geht in Rente, das war's dann für sie.",
        "Wir nutzen ab Juli eine neue Software für die Zeiterfassung."],
    "the customer's own customers, neighbours, fields": [
        "How do I mark one of our customers as churned in HealthCS?",
        "Would love a survey we can send automatically to our customers when they cancel.",
        "Our neighbours at Oak Street switched to MedRelay and already regret it.",
        "we won't be needing the extra 10 seats after june, pls drop us back to 25",
        "Bitte ein Feld für die Kündigungsfrist pro Kundenvertrag einbauen.",
        "Könnten Kündigungsgründe mit in den Export aufgenommen werden?",
        "Our contract ends on the 30th, can we get a renewal quote?", "Bitte den Zugang von Frau Meier abschalten.",
        "Das Modul Fax fällt damit weg."],
    "an office or a headquarters that moves": ["Our HQ moved to Dublin, so the invoices came in USD instead of EUR.",
                                               "We are moving our headquarters to Munich, please update the contract."],
    "an announcement is not a cancellation": ["Wir haben Ihre Ankündigung zur alten Schnittstelle erhalten.",
                                              "Bitte senden Sie Herrn Kraft künftig die Wartungsankündigungen."],
    "how other people unsubscribe, how to end small things": [
        "Tell us what to do about the readers who wanted to unsubscribe from the digest.",
        "How can I close all open tabs on the shared terminal?", "is it possible to delete one line of the quote",
        "How do we terminate the idle remote sessions on the gateway?"],
    "removing other things, closing others' accounts": [
        "Please remove their licences from our subscription.", "Do we need to remove the app registration first?",
        "The closure of the branch account is planned for May."],
    "a user's account, a certificate revoked": ["Bitte das Benutzerkonto von Frau Kühn löschen.",
                                                "Das Zertifikat für den Mailserver muss widerrufen werden."],
    "things that drop or switch": ["Since the update some video calls drop after ten minutes.",
                                   "The VPN tunnel keeps switching between the two links."],
}


def _flatten(groups):
    return [pytest.param(text, id=f"{family}: {text[:40]}") for family, texts in groups.items() for text in texts]


@pytest.mark.parametrize("text", FROM_THE_ISSUE)
def test_the_issue_sentences_voice_churn_intent(text):
    assert churn_intent(text, competitors=COMPETITORS) is not None


@pytest.mark.parametrize("text", _flatten(CHURN))
def test_each_verb_family_voices_churn_intent(text):
    assert churn_intent(text, competitors=COMPETITORS) is not None


@pytest.mark.parametrize("text", _flatten(NOT_CHURN))
def test_each_guard_rules_a_sentence_out(text):
    assert churn_intent(text, competitors=COMPETITORS) is None


@pytest.mark.parametrize("text", FROM_THE_ISSUE + [t for texts in CHURN.values() for t in texts])
def test_evidence_offsets_slice_the_text_to_the_phrase(text):
    evidence = churn_intent(text, competitors=COMPETITORS)
    assert evidence.kind == "churn_intent"
    assert text[evidence.start:evidence.end] == evidence.phrase
    assert evidence.phrase.strip() == evidence.phrase and evidence.phrase


def test_evidence_points_into_a_longer_text():
    text = "Hello team,\nthe reminders work fine. However, we won't renew in March. Thanks"
    evidence = churn_intent(text)
    assert evidence.phrase == "won't renew"
    assert (evidence.start, evidence.end) == (text.index("won't"), text.index("won't") + len("won't renew"))


def test_a_move_to_our_own_name_is_not_churn():
    assert churn_intent("We switched from CareLoop to HealthCS.", own_names=("HealthCS",)) is None
    assert churn_intent("We are switching from Acme to CareLoop.", own_names=("Acme",)) is not None


def test_a_known_competitor_makes_a_bare_name_a_vendor():
    assert churn_intent("We're going to Lumen next quarter.") is None
    assert churn_intent("We're going to Lumen next quarter.", competitors=("Lumen",)) is not None


def _tuning_rows():
    with TUNING_SET.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("language", ["en", "de"])
def test_churn_f1_on_the_tuning_set(language):
    true_pos = false_pos = false_neg = 0
    for row in _tuning_rows():
        if row["language"] != language:
            continue
        found = churn_intent(sanitise(row["text"])[0], competitors=COMPETITORS) is not None
        wanted = row["churn_intent"] == "yes"
        true_pos += found and wanted
        false_pos += found and not wanted
        false_neg += wanted and not found
    f1 = 2 * true_pos / (2 * true_pos + false_pos + false_neg)
    assert f1 >= 0.95
