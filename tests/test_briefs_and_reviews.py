"""Risk and expansion briefs and business reviews (issue 18, items 2 and 3) on a small book built once for the module:
one account (Lakeside Family Practice) with a quarter of usage, scores, read texts, outcomes, signals, a playbook's
measured record and a churn prediction, three Mid-Market peers and accounts that must not count as peers. Exact
values throughout; the LLM's polish against a small local stub server. The real PDF print is in
tests/test_review_documents.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from accounts import models as m
from expansion.models import ExpansionSignal, Opportunity
from interventions.models import Outcome, PlanObjective, PlanStep, SuccessPlan
from scoring.models import ChurnModel, ChurnPrediction
from tests.factories import (
    AccountFactory,
    AlertFactory,
    ChurnEventFactory,
    InterventionFactory,
    PlaybookFactory,
    SnapshotFactory,
    SubscriptionFactory,
    SupportTicketFactory,
    SurveyResponseFactory,
    TaskFactory,
    TouchpointFactory,
    UsageRecordFactory,
    UserFactory,
)
from tests.scoring.llm_stub import generated, served
from workspace.brief_polish import polish
from workspace.briefs import expansion_brief, risk_brief
from workspace.models import ReviewDocument
from workspace.review_documents import reviews_due
from workspace.reviews import business_review, last_full_quarter, parse_period, quarter

pytestmark = pytest.mark.django_db

Q3 = quarter(2026, 3)
TODAY = dt.date(2026, 10, 1)
NOON = dt.time(12, tzinfo=dt.UTC)


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), NOON)


def read(**fields) -> dict:
    """A text as the reader left it."""
    return {"analysis_version": "builtin-3", "competitors": [], "intent_phrase": "", **fields}


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker):
    """The book, built once inside a transaction rolled back when the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def _build() -> dict:
    casey = UserFactory(username="casey", first_name="Casey", last_name="Quinn", role="CSM")
    robin = UserFactory(username="robin", first_name="Robin", last_name="Hale", role="CSM")
    manager = UserFactory(username="morgan", role="Manager")
    lake = AccountFactory(external_id="A-LAKE", name="Lakeside Family Practice", seats=10, csm=casey,
                          renewal_date=dt.date(2026, 12, 20))
    peers = [AccountFactory(external_id=f"A-PEER{n}", seats=seats, csm=robin) for n, seats in ((1, 10), (2, 10),
                                                                                             (3, 5))]
    big = AccountFactory(external_id="A-ENT", segment=m.Segment.ENTERPRISE, seats=10, csm=robin)
    gone = AccountFactory(external_id="A-GONE", seats=10, churned=True, csm=robin)
    subscription = SubscriptionFactory(account=lake)
    for day, feature, count in (("2026-07-10", "ehr_sync", 120), ("2026-08-10", "ehr_sync", 60),
                                ("2026-09-01", "scheduling", 120), ("2026-10-02", "scheduling", 999)):
        UsageRecordFactory(subscription=subscription, date=dt.date.fromisoformat(day), feature_name=feature,
                           usage_count=count)
    for account, count in ((peers[0], 100), (peers[1], 500), (big, 9999), (gone, 9999)):
        UsageRecordFactory(subscription=SubscriptionFactory(account=account), date=dt.date(2026, 8, 1),
                           usage_count=count)

    fired = [{"rule": "usage_drop", "points": 40, "reason": "Usage dropped 62% (30d vs prior)", "evidence": {}},
             {"rule": "churn_intent", "points": 22, "reason": "Customer language suggests cancellation risk",
              "evidence": {}}]
    for day, health, risk, level in (("2026-07-01", 70.0, 20, "Low"), ("2026-08-15", 55.0, 35, "Medium")):
        SnapshotFactory(account=lake, as_of=dt.date.fromisoformat(day), health_score=health, risk_score=risk,
                        risk_level=level, health_tier="Healthy")
    SnapshotFactory(account=lake, as_of=dt.date(2026, 9, 30), health_score=40.0, health_tier="At risk", risk_score=62,
                    risk_level="High", trend="declining", fired_rules=fired,
                    top_reasons="Usage dropped 62% (30d vs prior); Customer language suggests cancellation risk",
                    recommended_actions="Schedule a check-in to reset goals; Recommend 1-2 key features to activate "
                                        "this week; Offer a value review (ROI + quick wins)")

    SupportTicketFactory(account=lake, external_id="T-1", submitted_at=at("2026-09-20"), closed_at=at("2026-09-21"),
                         resolution_hours=Decimal(24), satisfaction_score=2, escalated=True, **read(
                             category="integration", sentiment=-0.6, intent_phrase="we will not renew",
                             competitors=["CareLoop"], summary="Epic sync keeps failing; will not renew."))
    SupportTicketFactory(account=lake, external_id="T-2", submitted_at=at("2026-08-05"), closed_at=at("2026-08-05"),
                         resolution_hours=Decimal(8), satisfaction_score=4, **read(
                             category="integration", sentiment=-0.4, summary="Epic sync failed overnight."))
    SupportTicketFactory(account=lake, external_id="T-3", submitted_at=at("2026-07-15"), **read(
        category="billing", sentiment=0.0, summary="Invoice question."))
    SupportTicketFactory(account=lake, external_id="T-4", submitted_at=at("2026-07-20"), closed_at=at("2026-07-20"),
                         resolution_hours=Decimal(2), satisfaction_score=5, **read(
                             category="other", sentiment=0.8,
                             summary="Thanks, the new scheduling view saves us hours."))
    TouchpointFactory(account=lake, kind=m.TouchpointKind.CALL, occurred_at=at("2026-09-25"), **read(
        category="integration", sentiment=-0.5, competitors=["CareLoop"], summary="Call: evaluating CareLoop demo."))
    TouchpointFactory(account=lake, kind=m.TouchpointKind.EMAIL, occurred_at=at("2026-07-22"), **read(
        category="other", sentiment=0.7, summary="Check-in is so much faster with online intake."))
    # The team's own e-mail is neither a success story nor evidence, whatever it reads like.
    TouchpointFactory(account=lake, kind=m.TouchpointKind.EMAIL, direction=m.Direction.OUTBOUND,
                      occurred_at=at("2026-09-28"), **read(category="other", sentiment=0.9, competitors=["CareLoop"],
                                                           summary="Great to hear CareLoop is off the table!"))
    AlertFactory(account=lake, as_of=dt.date(2026, 10, 1), message="Invoice INV-7 of 1,000.00 failed")
    SurveyResponseFactory(account=lake, responded_at=at("2026-08-01"), nps_score=10,
                          comment="Best EHR companion we have used.")

    playbook = PlaybookFactory(name="High risk outreach", trigger_kind="risk_level", trigger_value="High")
    # Its record for accounts that were At risk when it fired: 2 of 3 treated kept, 1 of 2 in the control group.
    for account, group in ((peers[0], "treated"), (peers[1], "treated"), (peers[2], "treated"), (big, "control"),
                           (gone, "control")):
        InterventionFactory(account=account, playbook=playbook, triggered_on=dt.date(2026, 5, 1),
                            health_tier="At risk", group=group,
                            status="completed" if group == "treated" else "control")
    ChurnEventFactory(account=peers[1], churn_date=dt.date(2026, 6, 15))
    ChurnEventFactory(account=gone, churn_date=dt.date(2026, 6, 1))
    own = InterventionFactory(account=lake, playbook=playbook, triggered_on=dt.date(2026, 9, 30),
                              health_tier="At risk")
    TaskFactory(intervention=own, title="Call the executive sponsor", due_at=at("2026-10-01"))
    plan = SuccessPlan.objects.create(account=lake, title="Save the renewal", created_by=casey,
                                      created_at=at("2026-09-30"), updated_at=at("2026-09-30"))
    objective = PlanObjective.objects.create(plan=plan, title="Working Epic sync", order=1)
    PlanStep.objects.create(objective=objective, account=lake, title="Fix the Epic sync with IT", order=1,
                            owner=casey, due_on=dt.date(2026, 10, 10))
    PlanStep.objects.create(objective=objective, account=lake, title="Done already", order=2, owner=casey,
                            status="done", done_at=at("2026-09-30"))

    for day, kind in (("2026-09-26", "contacted"), ("2026-09-27", "meeting_scheduled"),
                      ("2026-10-05", "renewed")):
        Outcome.objects.create(account=lake, kind=kind, created_by=casey, created_at=at(day))
    Opportunity.objects.create(account=lake, title="Add telehealth module", stage="won", amount=Decimal(500),
                               probability=100, source_kind="usage_limit", created_at=at("2026-08-01"),
                               closed_at=at("2026-09-10"))
    Opportunity.objects.create(account=peers[1], title="More seats", stage="won", amount=Decimal(200),
                               probability=100, source_kind="usage_limit", created_at=at("2026-03-01"),
                               closed_at=at("2026-04-01"))
    Opportunity.objects.create(account=peers[0], title="Upgrade", stage="lost", amount=Decimal(300), probability=0,
                               source_kind="usage_limit", created_at=at("2026-03-01"), closed_at=at("2026-04-01"))
    ExpansionSignal.objects.create(account=lake, kind="usage_limit", first_detected_on=dt.date(2026, 9, 1),
                                   last_detected_on=dt.date(2026, 9, 30), summary="Usage at 92% of the plan's limit",
                                   estimated_mrr=Decimal(400))

    model = ChurnModel.objects.create(version=1, status="active", trigger="command", trained_from=dt.date(2025, 1, 1),
                                      trained_to=dt.date(2026, 6, 30))
    ChurnPrediction.objects.create(account=lake, as_of=dt.date(2026, 9, 30), model=model, probability=0.42,
                                   band="Medium", contributions=[{"feature": "usage_drop", "label": "Usage drop",
                                                                  "value": 0.62, "contribution": 0.8}])
    return {"lake": lake, "casey": casey, "robin": robin, "manager": manager, "peers": peers}


@pytest.fixture
def value_model(settings):
    settings.REVIEW_HOURLY_RATE = 60.0
    settings.REVIEW_MINUTES_SAVED_PER_USE = {"ehr_sync": 6.0}
    settings.REVIEW_DEFAULT_MINUTES_SAVED = 2.0
    settings.ANALYSER_LLM_URL = ""


# Periods ---------------------------------------------------------------------------------------------------------

def test_the_default_period_is_the_last_full_quarter():
    assert last_full_quarter(dt.date(2026, 10, 1)).key == "2026-Q3"
    assert last_full_quarter(dt.date(2026, 2, 14)) == quarter(2025, 4)
    assert (quarter(2025, 4).start, quarter(2025, 4).end) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))


@pytest.mark.parametrize("text", ["2026-Q5", "２０２６", "2026-q3", "soon", "1999", "2026\x00"])
def test_a_period_that_is_not_one_is_refused_with_its_sentence(text):
    with pytest.raises(ValueError, match="is not a period; use a quarter such as 2026-Q3 or a year such as 2026"):
        parse_period(text)


# Risk brief ------------------------------------------------------------------------------------------------------

def test_the_risk_brief_says_why_with_evidence_actions_and_the_measured_save_probability(book, value_model):
    brief = risk_brief(book["lake"], today=TODAY)

    assert brief.reasons == ["Usage dropped 62% (30d vs prior)", "Customer language suggests cancellation risk"]
    assert brief.root_cause == ("Usage dropped 62% (30d vs prior) weighs most (40 of 62 points). 3 of 3 troubled "
                                "texts of the last 90 days are about the integration.")
    assert [(q.text, q.on.isoformat(), q.source) for q in brief.quotes] == [
        ("Call: evaluating CareLoop demo.", "2026-09-25", "Call"),
        ("we will not renew", "2026-09-20", "Ticket T-1"),
        ("Epic sync failed overnight.", "2026-08-05", "Ticket T-2")]
    assert brief.competitors == [("CareLoop", dt.date(2026, 9, 25))]
    assert brief.days_to_renewal == 80
    assert (brief.churn.probability, brief.churn.band) == (0.42, "Medium")
    assert [(a.title, a.owner, a.due.isoformat(), a.source) for a in brief.actions] == [
        ("Call the executive sponsor", "Casey Quinn", "2026-10-01", "Playbook task"),
        ("Schedule a check-in to reset goals", "Casey Quinn", "2026-10-08", "Recommended"),
        ("Recommend 1-2 key features to activate this week", "Casey Quinn", "2026-10-08", "Recommended"),
        ("Offer a value review (ROI + quick wins)", "Casey Quinn", "2026-10-08", "Recommended"),
        ("Fix the Epic sync with IT", "Casey Quinn", "2026-10-10", "Success plan")]
    assert [(s.playbook, s.tier, s.treated_kept, s.treated, s.control_kept, s.control) for s in brief.saves] == [
        ("High risk outreach", "At risk", 2, 3, 1, 2)]
    assert brief.summary == [
        "Lakeside Family Practice is at High churn risk (62/100) as of 2026-09-30.",
        "Why: Usage dropped 62% (30d vs prior); Customer language suggests cancellation risk.",
        "The latest evidence: “Call: evaluating CareLoop demo.” (Call, 2026-09-25).",
        "Competitor mentioned: CareLoop.",
        "Renewal on 2026-12-20, in 80 days.",
        "The churn model gives 42% for the next 90 days.",
        "Expected save probability with High risk outreach: 67% (2 of 3 treated accounts kept, against 1 of 2 "
        "without it)."]


def test_the_expansion_brief_times_it_after_the_risk_and_gives_the_signals_win_rate(book):
    brief = expansion_brief(book["lake"], today=TODAY)

    assert [(s.label, s.won, s.closed) for s in brief.signals] == [("Usage above 80% of the plan's limit", 2, 3)]
    assert brief.opportunities == []
    assert brief.timing == "Not now: churn risk is High. Resolve the risk first; expansion is suppressed until then."
    assert (round(brief.probability, 4), brief.probability_basis) == (
        0.6667, "2 of 3 closed opportunities from these signal kinds were won.")


def test_an_account_never_scored_gets_briefs_that_say_so(book):
    peer = book["peers"][2]

    risk, expansion = risk_brief(peer, today=TODAY), expansion_brief(peer, today=TODAY)

    assert risk.summary == [f"{peer.name} has no score yet, so there is no risk verdict."]
    assert (risk.actions, risk.saves, risk.quotes) == ([], [], [])
    assert expansion.summary == [f"{peer.name} shows no open expansion signal."]


def test_a_csm_opens_the_brief_page_and_fragment_of_their_own_account_only(client, book, value_model):
    client.force_login(book["casey"])
    address = reverse("account_brief", args=["A-LAKE"])

    page = client.get(address)
    fragment = client.get(address, headers={"HX-Request": "true"})

    assert page.status_code == fragment.status_code == 200
    text = page.content.decode()
    assert "Written from the data (built-in wording)." in text
    assert "CareLoop <small>(last mentioned 2026-09-25)</small>" in text
    assert "<html" not in fragment.content.decode() and 'data-testid="risk-brief"' in fragment.content.decode()
    assert client.get(reverse("account_brief", args=["A-PEER1"])).status_code == 404


# The LLM's polish ------------------------------------------------------------------------------------------------

SENTENCES = ["Lakeside Family Practice is at High churn risk (62/100) as of 2026-09-30.",
             "The latest evidence: “we will not renew” (Ticket T-1, 2026-09-20)."]


@pytest.fixture
def llm(settings):
    cache.clear()  # answers cached by an earlier test are not asked for again
    stub = served()
    server = next(stub)
    settings.ANALYSER_LLM_URL = server.url
    settings.ANALYSER_LLM_TIMEOUT = 2.0
    yield server
    stub.close()


def _sentences(*sentences: str):
    import json
    return generated(json.dumps({"sentences": list(sentences)}))


def test_the_llm_rewords_the_brief_keeping_every_number_and_quote(llm):
    llm.play(_sentences("As of 2026-09-30 Lakeside Family Practice is at High churn risk (62/100).",
                        "Most recently (Ticket T-1, 2026-09-20) the customer wrote “we will not renew”."))

    worded = polish(SENTENCES)
    again = polish(SENTENCES)

    assert worded.by_llm and worded.sentences[1] == ("Most recently (Ticket T-1, 2026-09-20) the customer wrote "
                                                     "“we will not renew”.")
    assert again.sentences == worded.sentences and len(llm.requests) == 1  # the second came from the cache
    assert "exactly 2 strings" in llm.requests[0]["prompt"]


@pytest.mark.parametrize(("answer", "reason"), [
    (("Lakeside Family Practice is at High churn risk (65/100) as of 2026-09-30.", SENTENCES[1]),
     "sentence 1 changed a number"),
    ((SENTENCES[0], "The latest evidence: “we might not renew” (Ticket T-1, 2026-09-20)."),
     "sentence 2 changed a quote"),
    ((SENTENCES[0],), "the LLM answered 1 sentences for 2"),
])
def test_a_rewording_that_changes_a_figure_or_a_quote_falls_back_to_the_built_in_text(llm, answer, reason):
    llm.play(_sentences(*answer))

    worded = polish(SENTENCES)

    assert worded.sentences == SENTENCES and not worded.by_llm
    assert worded.note == f"The LLM's wording could not be used, so the built-in wording is shown: {reason}."


def test_the_brief_page_shows_the_llms_wording_and_says_so(client, book, llm):
    llm.play(lambda handler: _sentences(*[f"Reworded: {s}" for s in _summary(handler)])(handler))
    client.force_login(book["casey"])

    page = client.get(reverse("account_brief", args=["A-LAKE"])).content.decode()

    assert "Worded by the local LLM (llama3.1); every number and quote checked." in page
    assert "Reworded: Competitor mentioned: CareLoop." in page


def _summary(handler) -> list[str]:
    """The sentences the page sent, read back from the prompt of the stub's latest request."""
    prompt = handler.server.stub.requests[-1]["prompt"]
    return prompt.split("<<<BRIEF\n", 1)[1].split("\nBRIEF>>>", 1)[0].split("\n")


def test_when_the_llm_server_does_not_answer_pages_stop_waiting_for_it_a_while(llm, settings):
    settings.ANALYSER_LLM_URL = "http://127.0.0.1:9"  # nothing listens there

    first, second = polish(SENTENCES), polish(SENTENCES)

    assert first.note == ("The LLM's wording could not be used, so the built-in wording is shown: could not connect "
                          "to the LLM server.")
    assert second.note == ("The LLM's wording could not be used, so the built-in wording is shown: the LLM server "
                           "did not answer a moment ago.")


# Business review -------------------------------------------------------------------------------------------------

def test_the_quarterly_review_holds_exact_figures(book, value_model, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        review = business_review(book["lake"], Q3, today=TODAY)

    usage = review.usage
    assert (usage.uses, usage.per_seat, usage.below, usage.peers, usage.percentile, usage.group) == (
        300, 30.0, 2, 3, 67, "Mid-Market accounts")  # peers per seat 10, 50 and 0; Enterprise and churned left out
    assert review.health == [(dt.date(2026, 7, 1), 70.0, 20), (dt.date(2026, 8, 15), 55.0, 35),
                             (dt.date(2026, 9, 30), 40.0, 62)]
    assert (review.health_start, review.health_end) == (70.0, 40.0)
    assert review.chart_points == "0.0,36.0 296.7,54.0 600.0,72.0"  # 45 of 91 days
    t = review.tickets
    assert (t.opened, t.closed, t.escalated, t.median_resolution_hours, t.mean_satisfaction, t.by_category) == (
        4, 3, 1, 8.0, 3.7, [("integration", 2), ("billing", 1), ("other", 1)])
    assert review.outcomes == [("Contacted", 1), ("Meeting scheduled", 1)]
    assert [(o.title, o.amount) for o in review.won] == [("Add telehealth module", Decimal(500))]
    assert [(v.feature, v.uses, v.minutes_per_use, v.hours, v.value) for v in review.value] == [
        ("ehr_sync", 180, Decimal("6.0"), Decimal("18.0"), Decimal("1080.00")),
        ("scheduling", 120, Decimal("2.0"), Decimal("4.0"), Decimal("240.00"))]
    assert (review.hours_total, review.value_total) == (Decimal("22.0"), Decimal("1320.00"))
    assert [(s.on.isoformat(), s.source, s.text) for s in review.stories] == [
        ("2026-08-01", "NPS 10", "Best EHR companion we have used."),
        ("2026-07-22", "Email", "Check-in is so much faster with online intake.")]  # not T-4: a ticket
    assert review.risks == ["Usage dropped 62% (30d vs prior)", "Customer language suggests cancellation risk"]
    assert (review.risk_level, review.open_alerts) == ("High", ["Invoice INV-7 of 1,000.00 failed"])
    assert [(p.title, p.due and p.due.isoformat(), p.source) for p in review.plan] == [
        ("Call the executive sponsor", "2026-10-01", "Playbook task"),
        ("Fix the Epic sync with IT", "2026-10-10", "Success plan"),
        ("Schedule a check-in to reset goals", None, "Recommended"),
        ("Recommend 1-2 key features to activate this week", None, "Recommended"),
        ("Offer a value review (ROI + quick wins)", None, "Recommended")]


def test_the_review_page_shows_the_chosen_period_and_refuses_one_that_is_not(client, book, value_model):
    client.force_login(book["manager"])
    address = reverse("account_review", args=["A-LAKE"])

    year = client.get(address + "?period=2026")
    wrong = client.get(address + "?period=2026-Q9")

    assert year.status_code == 200
    assert "2026 (2026-01-01 to 2026-12-31)" in year.content.decode()
    # The year holds October's 999 uses too: 1,299 in all, more per seat than every peer.
    assert "1299 uses in the period, 129.9 per seat." in year.content.decode()
    assert "More per seat than 100% of Mid-Market accounts (3 of 3)." in year.content.decode()
    assert wrong.status_code == 400
    assert ("&#x27;2026-Q9&#x27; is not a period; use a quarter such as 2026-Q3 or a year such as 2026."
            in wrong.content.decode())
    assert 'data-testid="review"' not in wrong.content.decode()


def test_a_csm_gets_404_for_another_csms_review_and_its_pdf(client, book):
    client.force_login(book["casey"])

    answers = [client.get(reverse(name, args=["A-PEER1"])).status_code for name in (
        "account_review", "account_review_pdf", "account_brief")]

    assert answers == [404, 404, 404]


def test_without_the_pdf_engine_the_pdf_address_says_so(client, book, settings):
    settings.REVIEW_PDF_CHROMIUM = "/nonexistent/chromium"
    client.force_login(book["casey"])

    response = client.get(reverse("account_review_pdf", args=["A-LAKE"]) + "?period=2026-Q3")
    page = client.get(reverse("account_review", args=["A-LAKE"]) + "?period=2026-Q3").content.decode()

    sentence = ("The PDF engine (headless Chromium, REVIEW_PDF_CHROMIUM = /nonexistent/chromium) is not installed on "
                "this server.")
    assert response.status_code == 503 and sentence in response.content.decode()
    assert sentence in page and 'data-testid="review-pdf"' not in page  # no link to a download that cannot work


def test_the_reviews_due_are_the_live_accounts_renewing_soon_without_a_stored_one(book):
    due = reviews_due(today=dt.date(2026, 12, 1), days=30)
    stored = ReviewDocument(account=book["lake"], period="2026-Q3", pdf=b"%PDF-1.4", size=8,
                            generated_at=at("2026-12-01"))
    stored.save()

    assert (due[0].key, due[1]) == ("2026-Q3", [book["lake"].pk])  # A-LAKE renews on 2026-12-20
    assert reviews_due(today=dt.date(2026, 12, 1), days=10)[1] == []  # not within 10 days
    assert reviews_due(today=dt.date(2026, 12, 1), days=30)[1] == []  # stored already


def test_managers_list_and_download_the_stored_reviews_in_admin_and_an_admin_deletes_one_audited(client, book):
    stored = ReviewDocument.objects.create(account=book["lake"], period="2026-Q3", pdf=b"%PDF-1.4 stored",
                                           size=15, generated_at=at("2026-12-01"))
    download = reverse("admin:workspace_reviewdocument_pdf", args=[stored.pk])
    client.force_login(book["manager"])

    listing = client.get(reverse("admin:workspace_reviewdocument_changelist"), {"q": "A-LAKE"})
    pdf = client.get(download)

    assert listing.status_code == 200
    assert "Lakeside Family Practice" in listing.content.decode() and f'href="{download}"' in listing.content.decode()
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content == b"%PDF-1.4 stored"
    assert pdf["Content-Disposition"] == 'attachment; filename="review-A-LAKE-2026-Q3.pdf"'
    assert client.get(reverse("admin:workspace_reviewdocument_change", args=[stored.pk])).status_code == 200
    assert client.post(reverse("admin:workspace_reviewdocument_delete", args=[stored.pk]),
                       {"post": "yes"}).status_code == 403  # a manager reads; only an admin deletes

    client.force_login(book["casey"])  # a CSM has no admin page of the stored reviews, nor their files
    assert client.get(reverse("admin:workspace_reviewdocument_changelist")).status_code == 403
    assert client.get(download).status_code == 403

    client.force_login(UserFactory(username="ada", role="Admin"))
    assert client.post(reverse("admin:workspace_reviewdocument_delete", args=[stored.pk]),
                       {"post": "yes"}).status_code == 302
    assert not ReviewDocument.objects.exists()
    assert m.AuditEvent.objects.filter(action="deleted", object_type="workspace.ReviewDocument").count() == 1
