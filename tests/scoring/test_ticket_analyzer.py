"""The Ticket Analyzer page and `POST /api/ticket-analysis/` (docs/text-intelligence.md, docs/pages.md, docs/api.md):
any logged-in user pastes a text and gets its structured reading, in place with HTMX or as a plain form, with the
evidence highlighted and the user's text always escaped; the API answers the same reading as JSON, and clear JSON
errors."""

import json
import re
import socket
from dataclasses import replace

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scoring import analyzer_views
from scoring.analyzer_views import EMPTY_TEXT, highlighted_text
from scoring.texts.clean import MAX_TEXT
from scoring.texts.llm import FALLBACK
from scoring.texts.reader import NAME, read
from scoring.texts.reading import Evidence, Facts, Reading
from scoring.texts.service import lexicon

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("migration_defaults")]  # the shipped competitors

HTMX = {"HX-Request": "true"}
CHURN_MAIL = ("Hi, after the third Epic sync outage this month we've decided we're moving to CareLoop when our "
              "contract ends.")
HOSTILE = '<script>alert("x")</script> We have decided to cancel our subscription & are moving to MedRelay.'
ANALYSIS_FIELDS = ["summary", "category", "sentiment", "sentiment_label", "churn_intent", "intent_phrase",
                   "competitors", "recommended_action", "language", "feature_request", "case_study", "facts",
                   "evidence", "reader", "note"]


def analyse(text: str) -> Reading:
    """The built-in reader's reading with the competitor list in admin, as the page and the API read it."""
    return read(text, lexicon())


def analysed_text(body: str) -> str:
    """The inside of the page's highlighted text."""
    return body.split('data-testid="analysed-text">')[1].split("</div>")[0]


def churn_marks() -> str:
    """How the page marks the built-in reader's churn phrase in CHURN_MAIL: the competitor nested inside.
    Derived from its reading, since the reader's rules are tuned on their own."""
    phrase = analyse(CHURN_MAIL).intent_phrase
    assert phrase.endswith("moving to CareLoop"), phrase
    return (f'<mark data-kind="churn_intent" title="Churn intent">{escape(phrase.removesuffix("CareLoop"))}'
            '<mark data-kind="competitor" title="Competitor">CareLoop</mark></mark> when our ')


@pytest.fixture
def api(csm) -> APIClient:
    client = APIClient()
    client.force_login(csm)
    return client


# The page


def test_the_page_offers_an_empty_form_to_every_user(client, csm):
    client.force_login(csm)

    response = client.get(reverse("ticket_analyzer"))

    assertContains(response, "<h1>Ticket Analyzer</h1>", html=True)
    assertContains(response, 'hx-post="/analyzer/"')
    assertContains(response, '<textarea id="analyzer-text" name="text" rows="10" aria-describedby="analyzer-help">'
                             "</textarea>", html=True)
    assertContains(response, "The result appears here")
    assert ("Ticket Analyzer", "/analyzer/") in [(i["label"], i["url"]) for i in response.context["nav_items"]]


def test_htmx_gets_the_result_alone_with_the_evidence_highlighted(client, csm):
    client.force_login(csm)

    response = client.post(reverse("ticket_analyzer"), {"text": CHURN_MAIL}, headers=HTMX)

    assert response.status_code == 200
    assertNotContains(response, "<html")
    assertNotContains(response, "<textarea")
    body = response.content.decode()
    assert 'id="analysis"' in body
    assert churn_marks() in body
    assertContains(response, '<dd data-testid="category">Account / cancellation</dd>', html=True)
    assertContains(response, '<dd data-testid="churn-intent"><span class="badge bad">Yes</span> '
                             f'<span class="intent-phrase">“{escape(analyse(CHURN_MAIL).intent_phrase)}”</span></dd>',
                   html=True)
    assertContains(response, '<dd data-testid="competitor">CareLoop</dd>', html=True)
    reading = analyse(CHURN_MAIL)
    assertContains(response, f'<span class="sentiment-{reading.sentiment_label}">{reading.sentiment_label.title()}'
                             f"</span> <small>({floatformat(reading.sentiment, 2)} on −1 to 1)</small>")
    assertContains(response, "Call the customer today")
    assertContains(response, f"Read by the built-in reader ({NAME}).")


def test_without_javascript_the_page_shows_the_result_and_keeps_the_text(client, csm):
    client.force_login(csm)

    response = client.post(reverse("ticket_analyzer"), {"text": CHURN_MAIL})

    assert response.status_code == 200
    assertContains(response, "<h1>Ticket Analyzer</h1>", html=True)
    assertContains(response, 'aria-describedby="analyzer-help">\nHi, after the third Epic sync outage this month '
                             "we&#x27;ve decided we&#x27;re moving to CareLoop when our contract ends.</textarea>")
    assert churn_marks() in response.content.decode()


def test_the_users_text_is_escaped_everywhere(client, csm):
    client.force_login(csm)

    page = client.post(reverse("ticket_analyzer"), {"text": HOSTILE}).content.decode()
    fragment = client.post(reverse("ticket_analyzer"), {"text": HOSTILE}, headers=HTMX).content.decode()

    escaped = ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; We have decided to cancel our subscription &amp; "
               "are moving to MedRelay.")
    for body in (page, fragment):
        assert "<script>alert" not in body
        shown = analysed_text(body)
        assert re.sub(r'<mark data-kind="\w+" title="[\w ]+">|</mark>', "", shown) == escaped  # only marks added
        assert '<mark data-kind="churn_intent" title="Churn intent">' in shown
        assert '<mark data-kind="competitor" title="Competitor">MedRelay</mark>' in shown
    assert f'aria-describedby="analyzer-help">\n{escaped}</textarea>' in page


def test_an_empty_text_asks_for_one(client, csm):
    client.force_login(csm)

    plain = client.post(reverse("ticket_analyzer"), {"text": "  \n  "})
    fragment = client.post(reverse("ticket_analyzer"), {"text": ""}, headers=HTMX)

    assert plain.status_code == 400
    assertContains(plain, f'<p class="problems" role="alert">{EMPTY_TEXT}</p>', status_code=400, html=True)
    # What was typed stays (the browser drops the newline that follows <textarea>, not the text's own).
    assertContains(plain, 'aria-describedby="analyzer-help">\n  \n  </textarea>', status_code=400)
    assertNotContains(plain, 'data-testid="category"', status_code=400)
    assert fragment.status_code == 200  # HTMX swaps only 2xx answers
    assertContains(fragment, EMPTY_TEXT)


def test_a_long_text_is_cut_and_the_page_says_so(client, csm):
    client.force_login(csm)
    text = CHURN_MAIL + " " + "More detail. " * 2000

    response = client.post(reverse("ticket_analyzer"), {"text": text}, headers=HTMX)

    assertContains(response, f"The text has {len(text):,} characters; only the first 20,000 were analysed.")
    assertContains(response, "Text cut to 20,000 characters.")
    shown = analysed_text(response.content.decode())
    assert shown.count("More detail.") == (MAX_TEXT - len(CHURN_MAIL) - 1) // len("More detail. ") + 1


def test_the_page_names_the_llm_and_its_fallback(client, csm, settings):
    with socket.socket() as probe:  # a port nobody listens on: the LLM is down
        probe.bind(("127.0.0.1", 0))
        settings.ANALYSER_LLM_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.ANALYSER_LLM_RETRIES = 0
    client.force_login(csm)

    response = client.post(reverse("ticket_analyzer"), {"text": CHURN_MAIL}, headers=HTMX)

    assertContains(response, f"Read by the built-in reader ({NAME}). <span data-testid=\"analysis-note\">"
                             f"{FALLBACK}could not connect to the LLM server.</span>")


def test_an_llm_answer_is_named_as_such(client, csm, monkeypatch):
    monkeypatch.setattr(analyzer_views, "read_text", lambda text: replace(analyse(text), reader="llm-llama3.1"))
    client.force_login(csm)

    response = client.post(reverse("ticket_analyzer"), {"text": CHURN_MAIL}, headers=HTMX)

    assertContains(response, "Read by the LLM (llm-llama3.1).")


def test_the_page_shows_every_competitor_and_the_facts_the_text_states(client, csm, monkeypatch):
    facts = Facts(days_to_renewal=47, amounts=("$12,400", "3.500 €"), seats=25, ehr="athenahealth")
    monkeypatch.setattr(analyzer_views, "read_text", lambda text: replace(
        analyse(text), competitors=["CareLoop", "MedRelay"], facts=facts))
    client.force_login(csm)

    response = client.post(reverse("ticket_analyzer"), {"text": CHURN_MAIL}, headers=HTMX)

    assertContains(response, '<dd data-testid="competitor">CareLoop, MedRelay</dd>', html=True)
    assertContains(response, '<dd data-testid="days-to-renewal">in 47 days</dd>', html=True)
    assertContains(response, '<dd data-testid="amounts">$12,400, 3.500 €</dd>', html=True)
    assertContains(response, '<dd data-testid="seats">25</dd>', html=True)
    assertContains(response, '<dd data-testid="ehr">athenahealth</dd>', html=True)


def test_facts_the_text_does_not_state_are_not_shown(client, csm, monkeypatch):
    monkeypatch.setattr(analyzer_views, "read_text", lambda text: replace(analyse(text), competitors=[],
                                                                          facts=Facts()))
    client.force_login(csm)

    response = client.post(reverse("ticket_analyzer"), {"text": "Thanks for the quick help."}, headers=HTMX)

    assertContains(response, '<dd data-testid="competitor">None mentioned</dd>', html=True)
    assertContains(response, '<dd data-testid="days-to-renewal">Not stated</dd>', html=True)
    for absent in ("amounts", "seats", "ehr"):
        assertNotContains(response, f'data-testid="{absent}"')


def test_anonymous_visitors_are_sent_to_log_in(client):
    for response in (client.get(reverse("ticket_analyzer")),
                     client.post(reverse("ticket_analyzer"), {"text": CHURN_MAIL}, headers=HTMX)):
        assert response.status_code == 302 and response["Location"] == "/login/?next=/analyzer/"


# Highlighting


def test_highlighting_nests_contained_phrases_and_drops_crossing_ones():
    text = "we will cancel our plan now"
    evidence = [Evidence("sentiment", "cancel our", 8, 18), Evidence("churn_intent", "will cancel", 3, 14),
                Evidence("category", "plan", 19, 23), Evidence("competitor", "cancel", 8, 14)]

    assert highlighted_text(text, evidence) == (
        'we <mark data-kind="churn_intent" title="Churn intent">will '
        '<mark data-kind="competitor" title="Competitor">cancel</mark></mark> our '
        '<mark data-kind="category" title="Category">plan</mark> now')


def test_highlighting_escapes_phrases_and_trusts_no_wrong_offset():
    text = 'a <b>&"x" then <b> again'
    evidence = [Evidence("sentiment", "<b>", 15, 18),  # right
                Evidence("category", '"x"', 0, 3),  # wrong offsets: found where it is
                Evidence("competitor", "absent", 0, 6),  # not in the text: not marked
                Evidence("churn_intent", "<b>", 200, 203)]  # out of range: its first occurrence

    assert highlighted_text(text, evidence) == (
        'a <mark data-kind="churn_intent" title="Churn intent">&lt;b&gt;</mark>&amp;'
        '<mark data-kind="category" title="Category">&quot;x&quot;</mark> then '
        '<mark data-kind="sentiment" title="Sentiment">&lt;b&gt;</mark> again')


# The API


def test_the_api_answers_the_analysis_as_json(api):
    response = api.post(reverse("api_ticket_analysis"), {"text": CHURN_MAIL}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert list(data) == ANALYSIS_FIELDS
    assert data == json.loads(json.dumps(analyse(CHURN_MAIL).as_dict()))
    assert {k: data[k] for k in ("category", "churn_intent", "competitors", "reader", "note")} == {
        "category": "account_cancellation", "churn_intent": True, "competitors": ["CareLoop"], "reader": NAME,
        "note": ""}
    assert list(data["facts"]) == ["days_to_renewal", "amounts", "seats", "ehr"]
    assert data["intent_phrase"].endswith("moving to CareLoop")
    churn = next(e for e in data["evidence"] if e["kind"] == "churn_intent")
    assert (churn["phrase"], CHURN_MAIL[churn["start"]:churn["end"]]) == (data["intent_phrase"],) * 2


@pytest.mark.parametrize(("payload", "problem"), [
    ({}, "This field is required."),
    ({"text": ""}, EMPTY_TEXT),
    ({"text": " \n\t "}, EMPTY_TEXT),
    ({"text": None}, "This field may not be null."),
    ({"text": 42}, "Not a valid string."),
    ({"text": ["a", "list"]}, "Not a valid string."),
    ({"text": {"nested": "object"}}, "Not a valid string."),
])
def test_the_api_refuses_a_missing_empty_or_non_string_text(api, payload, problem):
    response = api.post(reverse("api_ticket_analysis"), payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"text": [problem]}


def test_the_api_answers_the_facts_and_every_competitor(api, monkeypatch):
    facts = Facts(days_to_renewal=47, amounts=("$12,400",), seats=None, ehr="Epic")
    monkeypatch.setattr(analyzer_views, "read_text", lambda text: replace(
        analyse(text), competitors=["CareLoop", "MedRelay"], facts=facts, case_study=True))

    data = api.post(reverse("api_ticket_analysis"), {"text": CHURN_MAIL}, format="json").json()

    assert (data["competitors"], data["case_study"]) == (["CareLoop", "MedRelay"], True)
    assert data["facts"] == {"days_to_renewal": 47, "amounts": ["$12,400"], "seats": None, "ehr": "Epic"}


def test_the_api_reads_with_the_competitor_list_in_admin(api):
    from scoring.models import Competitor

    text = "The invoice mentions Zephyr Health twice."
    assert "Zephyr Health" not in api.post(reverse("api_ticket_analysis"), {"text": text},
                                           format="json").json()["competitors"]
    Competitor.objects.create(name="Zephyr Health")

    data = api.post(reverse("api_ticket_analysis"), {"text": text}, format="json").json()

    assert "Zephyr Health" in data["competitors"]
    assert {"kind": "competitor", "phrase": "Zephyr Health", "start": 21, "end": 34} in data["evidence"]


def test_the_api_cuts_a_long_text_and_says_so(api):
    response = api.post(reverse("api_ticket_analysis"), {"text": CHURN_MAIL + "x" * MAX_TEXT}, format="json")

    assert response.status_code == 200
    assert response.json()["note"] == "text cut to 20,000 characters"


def test_the_api_takes_a_token(csm):
    token = Token.objects.create(user=csm)
    client = APIClient()

    response = client.post(reverse("api_ticket_analysis"), {"text": "The invoice charged us twice."}, format="json",
                           headers={"Authorization": f"Token {token.key}"})

    assert (response.status_code, response.json()["category"]) == (200, "billing")


def test_the_api_refuses_anonymous_callers_and_get(client, api):
    anonymous = client.post(reverse("api_ticket_analysis"), {"text": CHURN_MAIL}, content_type="application/json")
    get = api.get(reverse("api_ticket_analysis"))

    assert anonymous.status_code in (401, 403)
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    assert (get.status_code, get.json()) == (405, {"detail": 'Method "GET" not allowed.'})


def test_the_schema_documents_the_endpoint(api):
    document = api.get("/api/schema/").json()

    operation = document["paths"]["/api/ticket-analysis/"]["post"]
    assert set(document["paths"]["/api/ticket-analysis/"]) == {"post"}
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketAnalysisInput"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Analysis"}
    assert set(operation["responses"]) == {"200", "400"}
    assert list(document["components"]["schemas"]["Analysis"]["properties"]) == ANALYSIS_FIELDS
