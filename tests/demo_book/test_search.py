"""Ask the book on the demo book (issue 18): the issue's two questions, a few blind questions written before their
results were seen, the page and the API, a CSM's own texts only, and the cost of a page in queries."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.models import Account, SupportTicket, SurveyResponse, Touchpoint, User
from tests.demo_book.conftest import AS_OF
from workspace.answers import ask_the_book
from workspace.search import Filters

pytestmark = pytest.mark.django_db

MODELS = {"ticket": SupportTicket, "touchpoint": Touchpoint, "survey": SurveyResponse}


def asked(username: str, question: str, **filters):
    return ask_the_book(user=User.objects.get(username=username), typed=question, filters=Filters(**filters))


def texts_of(result) -> list[str]:
    """The whole text (title and body) of every text shown."""
    return [f"{hit.title} {hit.text}" for hit in result.results.hits()]


def test_which_epic_customers_mention_sync_failures_since_september(demo_book):
    result = asked("manager", "which Epic customers mention sync failures since September")

    assert result.filters == Filters(ehr="Epic", date_from=dt.date(2024, 9, 1))
    assert result.question.words == ("sync", "failures")
    assert result.results.groups and not result.results.relaxed
    assert {group.account.ehr_system for group in result.results.groups} == {"Epic"}
    assert all(hit.at.date() >= dt.date(2024, 9, 1) for hit in result.results.hits())
    for text in texts_of(result):  # every word, by its stem or its root ("failed", "failing" too)
        assert re.search(r"\bsync", text, re.I) and re.search(r"\bfail", text, re.I), text
    epic_texts = sum(model.objects.filter(account__ehr_system="Epic", search_vector__isnull=False).count()
                     for model in MODELS.values())
    assert result.results.texts < epic_texts  # a selection, not the Epic book
    assert result.answer.passages and all("sync" in p.sentence.lower() or "fail" in p.sentence.lower()
                                          for p in result.answer.passages)


def test_a_csm_asks_who_mentioned_athenahealth_and_gets_their_accounts_with_quoted_sentences(demo_book, client):
    csm = User.objects.get(username="csm1")
    client.force_login(csm)

    response = client.get(reverse("search"), {"q": "who mentioned athenahealth"})

    assert response.status_code == 200
    result = response.context["asked"]
    own = set(Account.objects.filter(csm=csm).values_list("pk", flat=True))
    assert result.results.groups and {group.account.pk for group in result.results.groups} <= own
    assert all("athena" in text.lower() for text in texts_of(result))
    page = response.content.decode()
    passages = result.answer.passages
    assert passages and all("athenahealth" in p.sentence.lower() for p in passages)
    for passage in passages:  # quoted with its account, source and date
        assert str(passage.highlighted) in page
        assert f'{reverse("account_detail", args=[passage.account.external_id])}' in page
        assert passage.hit.at.strftime("%Y-%m-%d") in page
    assert "<mark>athenahealth</mark>" in page


def test_the_manager_sees_more_athenahealth_accounts_than_one_csm(demo_book):
    manager = asked("manager", "who mentioned athenahealth").results
    csm = asked("csm1", "who mentioned athenahealth").results

    assert manager.accounts > csm.accounts > 0
    others = Account.objects.exclude(csm__username="csm1").values_list("pk", flat=True)
    assert not {g.account.pk for g in csm.groups} & set(others)


# Blind questions: written, with what a right answer must satisfy, before their results were looked at.

def test_blind_cerner_customers_and_duplicate_patients(demo_book):
    result = asked("manager", "Which Cerner customers complained about duplicate patients?")

    assert result.filters.ehr == "Cerner" and result.results.groups
    assert {group.account.ehr_system for group in result.results.groups} == {"Cerner"}
    assert all("duplicate" in text.lower() for text in texts_of(result))


def test_blind_tickets_in_the_last_60_days_about_payments(demo_book):
    result = asked("manager", "tickets about payments in the last 60 days")

    assert result.filters.category == "ticket" and result.filters.date_from == AS_OF - dt.timedelta(days=60)
    hits = result.results.hits()
    assert hits and {hit.kind for hit in hits} == {"ticket"}
    assert all(hit.at.date() >= AS_OF - dt.timedelta(days=60) for hit in hits)
    assert all("payment" in text.lower() for text in texts_of(result))


def test_blind_the_page_filters_override_and_narrow(demo_book):
    result = asked("manager", "who mentioned athenahealth", segment="Enterprise", category="call")

    assert all(group.account.segment == "Enterprise" for group in result.results.groups)
    assert all(hit.category == "call" for hit in result.results.hits())


def test_blind_words_no_text_holds_together_fall_back_to_any(demo_book):
    result = asked("manager", "athenahealth zebrafish")

    assert result.results.relaxed and result.results.groups
    assert all("athena" in text.lower() for text in texts_of(result))


def test_nothing_found_and_the_examples(demo_book, client):
    client.force_login(User.objects.get(username="csm2"))

    empty = client.get(reverse("search"))
    nothing = client.get(reverse("search"), {"q": "xylophone"})

    assert b'data-testid="search-examples"' in empty.content and b"who mentioned athenahealth" in empty.content
    assert b'data-testid="no-results"' in nothing.content


def test_the_page_costs_the_same_queries_for_any_number_of_results(demo_book, client, django_assert_num_queries):
    client.force_login(User.objects.get(username="manager"))
    warm = client.get(reverse("search"), {"q": "sync"})  # sessions, permissions and the like are warm
    kinds = {hit.kind for hit in warm.context["asked"].results.hits()}  # one snippet query per kind of text shown

    # session, user (with their groups and permissions), EHR names, latest scoring day, the search, its accounts, the
    # snippets of each kind of text shown, and the answer's sentences
    with django_assert_num_queries(7 + len(kinds)):
        response = client.get(reverse("search"), {"q": "sync"}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and len(response.context["asked"].results.groups) == 20
    second = client.get(reverse("search"), {"q": "sync", "page": "2"}, headers={"HX-Request": "true"})
    assert {g.account.pk for g in second.context["asked"].results.groups}.isdisjoint(
        {g.account.pk for g in response.context["asked"].results.groups})


def test_the_api_answers_the_same_as_json(demo_book, client):
    client.force_login(User.objects.get(username="csm1"))

    response = client.get(reverse("api_search"), {"q": "who mentioned athenahealth"})

    body = response.json()
    assert response.status_code == 200
    assert body["question"]["words"] == ["athenahealth"] and body["answer"]["written"] is None
    assert body["accounts"] == len(body["results"]) or body["pages"] > 1
    first = body["results"][0]
    assert set(first) == {"account", "matches", "texts"} and "<mark>" in first["texts"][0]["snippet"]
    assert body["answer"]["passages"][0]["number"] == 1
    assert client.get(reverse("api_search"), {"q": ""}).json() == {
        "q": "Give the question, e.g. 'who mentioned athenahealth'."}
    assert client.get(reverse("api_search"), {"q": "x", "date_from": "yesterday"}).status_code == 400
