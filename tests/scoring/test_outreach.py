"""Account 360's Next Best Action checklist and outreach drafts, from the scored page book
(tests/scoring/page_data.py): Lakeside's usage dropped 79% (+40) and its ticket was rated 2/5 (+12)."""

import pytest
from django.urls import reverse

from accounts.models import ContactRole
from scoring.outreach import next_best_actions, outreach_drafts
from tests.factories import ContactFactory
from tests.scoring.page_data import OWN_RISK, SATISFACTION_REASON, USAGE_REASON, score_book, snapshot_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(own_account, foreign_account):
    score_book(own_account, foreign_account)


def test_the_checklist_follows_the_reasons_riskiest_first(scored):
    steps = next_best_actions(snapshot_of("A-OWN"))

    assert [(s.action, s.because) for s in steps] == [
        ("Schedule a check-in to reset goals", USAGE_REASON),
        ("Recommend 1-2 key features to activate this week", USAGE_REASON),
        ("Follow up on dissatisfaction with a recovery plan", SATISFACTION_REASON),
        ("Offer proactive support for the next 7 days", SATISFACTION_REASON),  # beyond the snapshot's top 3
    ]


def test_without_fired_rules_the_checklist_is_the_default_action(scored):
    snapshot = snapshot_of("A-OWN")
    snapshot.fired_rules = []

    [step] = next_best_actions(snapshot)

    assert (step.action, step.because) == ("Maintain regular touchpoints and monitor health signals",
                                          "No risk rule fired")


def test_the_email_greets_the_champion_in_customer_words_and_the_slack_note_keeps_the_reasons(scored, own_account):
    ContactFactory(account=own_account, name="Zoe User", role=ContactRole.USER)
    ContactFactory(account=own_account, name="Priya Champion", role=ContactRole.CHAMPION)
    snapshot = snapshot_of("A-OWN")

    drafts = outreach_drafts(own_account, snapshot, next_best_actions(snapshot), "Casey Jones")

    assert drafts.email_subject == "Checking in: Lakeside Family Practice and your team"
    assert drafts.email_body.startswith("Hi Priya,\n\nI wanted to check in on how Lakeside Family Practice")
    assert ("I'd like to talk about how your team is using the platform day to day and your recent experience "
            "with our support, and make sure") in drafts.email_body
    assert ("I can also offer a short session to revisit your goals and the features that help most and priority "
            "support from our team over the next week.") in drafts.email_body
    assert USAGE_REASON.lower() not in drafts.email_body.lower()
    assert drafts.email_body.endswith("Best regards,\nCasey Jones")
    assert drafts.slack.startswith(f":warning: *Lakeside Family Practice* (A-OWN) — risk {OWN_RISK} (Medium)")
    assert drafts.slack.endswith("Next: Schedule a check-in to reset goals.")


def test_the_account_page_shows_the_checklist_and_the_drafts(client, csm, scored):
    client.force_login(csm)

    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()

    assert '<label><input type="checkbox" name="done"> Schedule a check-in to reset goals</label>' in page
    assert 'value="Checking in: Lakeside Family Practice and your team"' in page
    assert 'data-copy="#draft-email-body"' in page and "/static/js/copy.js" in page
