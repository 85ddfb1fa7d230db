"""Ask the book on a few written texts (docs/pages.md#ask-the-book): German texts found by their German stems,
snippets escaped with only <mark> added, and the answer box with the optional LLM — a local HTTP server started by
the test plays it — whose answer is used only with valid citations, cached, and replaced by the passages (saying so)
on a bad citation, no citation, an error or a timeout."""

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse

from tests.factories import AccountFactory, SupportTicketFactory, SurveyResponseFactory, TouchpointFactory
from tests.scoring.llm_stub import answer, hang, served, status
from workspace.answers import ask_the_book
from workspace.search import START, STOP, Filters, marked

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def texts(manager):
    bergklinik = AccountFactory(name="Bergklinik Süd", ehr_system="Cerner", segment="Enterprise")
    lakeside = AccountFactory(name="Lakeside Family Practice", ehr_system="Epic", segment="SMB")
    SupportTicketFactory(account=bergklinik, submitted_at=AT, subject="Synchronisierung defekt",
                         body="Die Synchronisierungen mit Cerner schlagen seit Montag fehl. Bitte dringend prüfen.")
    SupportTicketFactory(account=lakeside, submitted_at=AT - dt.timedelta(days=3), subject="Epic sync failures",
                         body='Our Epic sync failures started on Monday. R&D says "5 < 6" <b>urgent</b> '
                              "<script>alert(1)</script>.")
    TouchpointFactory(account=lakeside, occurred_at=AT, kind="call", subject="QBR prep",
                      text="They mentioned the sync failures again and asked about a credit.")
    SurveyResponseFactory(account=lakeside, responded_at=AT, nps_score=4, comment="Sync keeps failing, very slow.")
    return {"bergklinik": bergklinik, "lakeside": lakeside, "manager": manager}


def ask(texts, question: str, **filters):
    return ask_the_book(user=texts["manager"], typed=question, filters=Filters(**filters))


def test_a_german_text_is_found_by_its_german_stem(texts):
    result = ask(texts, "Wer meldet Synchronisierung?")

    assert [group.account.name for group in result.results.groups] == ["Bergklinik Süd"]
    (hit,) = result.results.hits()
    assert "<mark>Synchronisierungen</mark>" in hit.snippet and hit.category_label == "Support ticket"
    assert result.answer.passages[0].sentence == "Synchronisierung defekt."


def test_an_english_question_finds_every_kind_of_text_by_stems_and_roots(texts):
    result = ask(texts, "sync failures")

    hits = result.results.hits()
    assert [group.account.name for group in result.results.groups] == ["Lakeside Family Practice"]
    # "failing" (stem "fail") is found by the root of "failures" (stem "failur")
    assert sorted(hit.category for hit in hits) == ["call", "survey", "ticket"]
    assert result.results.texts == 3 and result.results.groups[0].matches == 3
    # the German ticket has "Synchronisierungen" but nothing that fails in English
    assert "Bergklinik Süd" not in {group.account.name for group in result.results.groups}


def test_snippets_are_escaped_and_only_mark_is_added(texts):
    result = ask(texts, "Epic sync", category="ticket")

    (hit,) = result.results.hits()
    assert "R&amp;D says &quot;5" in hit.snippet and "<script" not in hit.snippet and "<b>" not in hit.snippet
    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>") >= 2
    assert set(re.findall(r"</?(\w+)", hit.snippet)) == {"mark"}


def test_a_headline_is_escaped_before_its_markers_become_mark_and_stray_markers_are_dropped():
    headline = f"{START}Epic{STOP} <script>alert(1)</script> {STOP}sync {START}failures"

    assert marked(headline) == "<mark>Epic</mark> &lt;script&gt;alert(1)&lt;/script&gt; sync <mark>failures</mark>"


def test_filters_by_segment_ehr_date_and_category(texts):
    assert len(ask(texts, "failing").results.hits()) == 3  # Lakeside's (SMB, Epic): a ticket, a call, a survey
    assert not ask(texts, "failing", segment="Enterprise").results.groups
    assert not ask(texts, "failing", ehr="cerner").results.groups
    assert [h.category for h in ask(texts, "failing", category="survey").results.hits()] == ["survey"]
    assert [h.category for h in ask(texts, "failing", date_to=dt.date(2025, 2, 1)).results.hits()] == ["ticket"]
    assert sorted(h.category for h in ask(texts, "failing", date_from=dt.date(2025, 2, 3)).results.hits()) == [
        "call", "survey"]


# The answer box with the LLM ----------------------------------------------------------------------------------

@pytest.fixture
def llm(settings, monkeypatch):
    """A local stand-in LLM server, configured like the text reader's (no retries, no wait, a fresh cache)."""
    server = served()
    stub = next(server)
    settings.ANALYSER_LLM_URL = stub.url
    settings.ANALYSER_LLM_MODEL = "stub-model"
    settings.ANALYSER_LLM_TIMEOUT = 0.5
    settings.ANALYSER_LLM_RETRIES = 0
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"search-answer-{uuid.uuid4()}"}}
    yield stub
    server.close()


def test_without_the_llm_the_answer_is_the_best_passages_with_sources(texts, client):
    client.force_login(texts["manager"])

    response = client.get(reverse("search"), {"q": "who mentioned sync failures"})

    passages = response.context["asked"].answer.passages
    assert [(p.number, p.sentence, p.account.name, p.hit.category) for p in passages] == [
        (1, "Epic sync failures.", "Lakeside Family Practice", "ticket"),
        (2, "Our Epic sync failures started on Monday.", "Lakeside Family Practice", "ticket"),
        (3, "They mentioned the sync failures again and asked about a credit.", "Lakeside Family Practice",
         "call"),
        (4, "Sync keeps failing, very slow.", "Lakeside Family Practice", "survey")]
    page = response.content.decode()
    assert 'data-testid="extractive-note"' in page and "2025-02-03" in page and "written-answer" not in page


def test_the_llm_writes_an_answer_citing_the_passages_and_it_is_cached(texts, llm, client):
    llm.play(answer({"answer": "Lakeside reports Epic sync failures since Monday [2] and raised them on a call [3].",
                     "citations": [2, 3]}))
    client.force_login(texts["manager"])

    response = client.get(reverse("search"), {"q": "who mentioned sync failures"})
    again = client.get(reverse("search"), {"q": "who mentioned sync failures"})

    result = response.context["asked"].answer
    assert (result.cited, result.model, result.note) == ([2, 3], "stub-model", "")
    assert str(result.written) == ('Lakeside reports Epic sync failures since Monday <a href="#passage-2">[2]</a> and '
                                   'raised them on a call <a href="#passage-3">[3]</a>.')
    (sent,) = llm.requests  # the second question was answered from the cache
    assert "[3] (Lakeside Family Practice, Call, 2025-02-03) They mentioned the sync failures again" in sent["prompt"]
    assert again.context["asked"].answer.written == result.written
    assert 'id="passage-3"' in response.content.decode()


@pytest.mark.parametrize("behaviour, reason", [
    (answer({"answer": "Lakeside has sync failures [7].", "citations": [7]}),
     "the LLM's answer cites passage 7, which was not given to it"),
    (answer({"answer": "Several customers have sync trouble.", "citations": []}), "the LLM's answer cites no passage"),
    (answer({"text": "no answer key"}), "the LLM's answer has no answer text"),
    (status(500), "the LLM server answered HTTP 500"),
])
def test_an_answer_without_valid_citations_or_a_failing_llm_shows_the_passages_and_says_why(
        texts, llm, behaviour, reason):
    llm.play(behaviour)

    result = ask(texts, "who mentioned sync failures").answer

    assert result.written is None and len(result.passages) == 4
    assert result.note == f"The LLM's answer was not used ({reason}); the best passages are shown instead."


def test_a_slow_llm_times_out_to_the_passages(texts, llm):
    llm.play(hang(llm, 2.0))

    result = ask(texts, "sync failures").answer

    assert result.written is None and result.passages
    assert result.note == ("The LLM's answer was not used (timeout after 0.5 s); the best passages are shown "
                           "instead.")
