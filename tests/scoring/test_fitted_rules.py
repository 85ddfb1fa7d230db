"""The shipped default rules (docs/scoring.md: thresholds that fit the book) beside the seed's preset: written
intent over 90 days, a usage stop, errors per 1,000 uses, failed payments, a champion who left, long
silence, and the health score capped by the churn-risk level (one voice)."""

import datetime as dt
import html
import importlib
import io

import pandas as pd
import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.urls import reverse

from accounts import models as m
from scoring.config import ConfigError, config_argument, default_config, parse_config, preset_config
from scoring.configs import ensure_active_config
from scoring.models import ConfigStatus, ScoringConfig, Snapshot
from scoring.rules import evaluate_rules
from scoring.services import recompute_scores, score_range
from scoring.upgrades import fingerprint
from tests import factories

DEFAULT = parse_config(default_config())
AS_OF = dt.date(2025, 3, 31)


def signals(**overrides) -> pd.DataFrame:
    """One subscription's inputs: steady usage, nothing else; overrides win."""
    row = {"usage_30": 1000, "usage_prev": 1000, "errors_30": 0, "tickets_30": 0, "rated_30": 0,
           "satisfaction_sum_30": 0, "escalated_30": 0, "churn_intent_30": 0, "downgrade_flag": False,
           "is_trial": False, "intent_n": 0, "intent_days": float("nan"), "failed_n": 0, "champions_left_n": 0,
           "silence_days": 5.0}
    row.update(overrides)
    return pd.DataFrame([row])


def verdict(**overrides) -> tuple[int, str, str]:
    result = evaluate_rules(signals(**overrides), DEFAULT).iloc[0]
    return int(result["risk_score"]), str(result["risk_level"]), str(result["top_reasons"])


# The rules, one at a time --------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "expected"), [
    (0, (60, "High")), (30, (60, "High")), (31, (40, "Medium")), (90, (40, "Medium")), (91, (0, "Low")),
])
def test_written_intent_is_high_within_30_days_and_medium_until_90(days, expected):
    score, level, reasons = verdict(intent_n=2, intent_days=float(days))

    assert (score, level) == expected
    if score:
        assert reasons == "Customer language suggests cancellation risk (2 in 90d)"


@pytest.mark.parametrize(("prior", "last", "expected"), [
    (200, 0, (60, "High")), (200, 20, (60, "High")), (200, 21, (40, "Medium")), (200, 80, (40, "Medium")),
    (200, 160, (12, "Low")),
])
def test_a_usage_stop_is_high_on_its_own(prior, last, expected):
    assert verdict(usage_prev=prior, usage_30=last)[:2] == expected


@pytest.mark.parametrize(("errors", "uses", "points"), [
    (40, 10_000, 0), (299, 10_000, 0), (300, 10_000, 8), (999, 10_000, 8), (1000, 10_000, 15), (5, 0, 0),
])
def test_errors_count_per_1000_uses_and_never_reach_medium_alone(errors, uses, points):
    score, level, reasons = verdict(errors_30=errors, usage_30=uses, usage_prev=uses)

    assert (score, level) == (points, "Low")
    if points:
        assert reasons == f"High error rate ({errors / uses * 1000:g} errors per 1,000 uses in 30d)"


def test_the_seed_error_count_rule_is_off_in_the_default_and_a_ticket_burst_stays_low():
    # Tickets count against the account's usual rate: eight, four times the usual, are a spike of 10.
    assert verdict(errors_30=25, tickets_30=8, ticket_ratio=4.0, usage_30=100_000, usage_prev=100_000)[:2] == (
        10, "Low")
    assert verdict(tickets_30=30, ticket_ratio=float("nan"))[:2] == (0, "Low")  # the seed's support load is off


@pytest.mark.parametrize(("failed", "expected"), [(0, (0, "Low")), (1, (35, "Medium")), (3, (45, "Medium"))])
def test_failed_payments_are_medium_on_their_own(failed, expected):
    assert verdict(failed_n=failed)[:2] == expected


def test_a_champion_who_left_is_medium_and_silence_after_it_adds_half():
    assert verdict(champions_left_n=1) == (35, "Medium", "Champion left (1 in 90d)")
    # One relationship problem: the silence after a champion left adds half its 30 points.
    assert verdict(champions_left_n=1, silence_days=75.0) == (
        50, "Medium", "Champion left (1 in 90d); No contact for 75 days")


@pytest.mark.parametrize(("days", "points"), [(44.0, 0), (45.0, 15), (59.0, 15), (60.0, 30), (89.0, 30),
                                              (90.0, 40), (float("nan"), 0)])
def test_silence_counts_the_days_without_two_way_contact(days, points):
    assert verdict(silence_days=days)[:2] == (points, "Medium" if points >= 35 else "Low")


def test_medium_starts_at_35_so_two_weak_signs_are_not_yet_a_warning():
    # A 45% drop (28) and a mild sign (an NPS of 6, tickets at twice the usual) stay Low; a real second sign
    # (tickets at three times the usual, 10; 50 days of silence, 15) makes a warning.
    assert verdict(usage_prev=1000, usage_30=550, tickets_30=3, ticket_ratio=2.0, nps_last=6.0)[:2] == (28, "Low")
    assert verdict(usage_prev=1000, usage_30=550, tickets_30=3, ticket_ratio=3.0)[:2] == (38, "Medium")
    assert verdict(usage_prev=1000, usage_30=550, silence_days=50.0)[:2] == (43, "Medium")
    assert (DEFAULT.medium, DEFAULT.high) == (35, 60)


@pytest.mark.parametrize(("score", "points"), [(10.0, 30), (25.0, 30), (25.4, 15), (40.0, 15), (40.1, 0),
                                               (float("nan"), 0)])
def test_a_weak_scorecard_adds_points_30_at_25_or_less_and_15_at_40_or_less(score, points):
    assert verdict(health_measures=score)[0] == points
    if points:
        assert verdict(health_measures=score)[2] == f"Weak health scorecard ({round(score)}/100)"


@pytest.mark.parametrize(("share", "trial", "expected"), [
    (100.0, True, (43, "Medium")), (95.0, True, (43, "Medium")), (94.0, True, (23, "Low")), (85.0, True, (23, "Low")),
    (84.0, True, (8, "Low")), (float("nan"), True, (8, "Low")), (float("nan"), False, (0, "Low")),
])
def test_a_trial_used_less_than_95_percent_of_its_paying_peers_is_medium(share, trial, expected):
    score, level, reasons = verdict(trial_peer_share=share, is_trial=trial)

    assert (score, level) == expected
    if score > 8:
        assert reasons == ("Trial customer (activation risk); Trial barely used: "
                           f"{share:g}% of paying customers in its segment use more per seat")


@pytest.mark.parametrize(("ratio", "points"), [(1.9, 0), (2.0, 0), (2.9, 0), (3.0, 10), (12.0, 10),
                                               (float("nan"), 0)])
def test_tickets_count_against_the_accounts_usual_rate_from_three_times_it(ratio, points):
    score, _, reasons = verdict(tickets_30=6, ticket_ratio=ratio)

    assert score == points
    if points:
        assert reasons == f"Support tickets up (6 in 30d, {ratio:g}x the usual)"


@pytest.mark.parametrize(("nps", "points"), [(0.0, 15), (4.0, 15), (5.0, 0), (6.0, 0), (7.0, 0), (float("nan"), 0)])
def test_a_detractor_of_0_to_4_adds_supporting_points_never_medium_alone(nps, points):
    score, level, reasons = verdict(nps_last=nps)

    assert (score, level) == (points, "Low")
    if points:
        assert reasons == f"Detractor: latest NPS {nps:g}/10"


def test_related_rules_count_the_strongest_in_full_and_half_of_the_others():
    # One support problem: 10 (3.5x the usual tickets) + 12 (ratings 1-2) + 10 (an escalation) would add up
    # to a Medium 32.
    result = evaluate_rules(signals(tickets_30=7, ticket_ratio=3.5, rated_30=2, satisfaction_sum_30=3,
                                    escalated_30=1), DEFAULT).iloc[0]

    points = {rule["rule"]: rule["points"] for rule in result["fired_rules"]}
    assert points == {"satisfaction": 12, "ticket_spike": 5, "escalation": 5}
    # Each rule counted in part names the one it is a single problem with (Account 360 shows the evidence).
    assert {rule["rule"]: rule["evidence"].get("shared_with") for rule in result["fired_rules"]} == {
        "satisfaction": None, "ticket_spike": "satisfaction", "escalation": "satisfaction"}
    assert (int(result["risk_score"]), result["risk_level"]) == (22, "Low")
    # Different families still add in full: a champion who left, silence (same family, halved) and tickets.
    result = evaluate_rules(signals(tickets_30=7, ticket_ratio=3.5, champions_left_n=1, silence_days=75.0),
                            DEFAULT).iloc[0]
    assert {r["rule"]: r["points"] for r in result["fired_rules"]} == {"ticket_spike": 10, "champion_left": 35,
                                                                      "silence": 15}
    assert int(result["risk_score"]) == 60
    # The seed's preset has no families: the same support problem adds up.
    seed = evaluate_rules(signals(tickets_30=7, rated_30=2, satisfaction_sum_30=3, escalated_30=1),
                          parse_config(preset_config("seed-001"))).iloc[0]
    assert int(seed["risk_score"]) == 18 + 12 + 10


def test_rule_families_are_validated():
    document = default_config()
    document["rule_families"] = {"support": ["support_load", "nonsense"], "other": ["support_load"]}
    document["family_share"] = 1.5

    assert parse_problems(document) == [
        "rule_families 'support': unknown rule id 'nonsense'",
        "rule_families 'other': rule 'support_load' is listed more than once",
        "family_share must be a number from 0 to 1",
    ]
    document["rule_families"] = ["support_load"]
    document["family_share"] = True
    assert parse_problems(document) == ["rule_families must be an object: family name -> list of rule ids",
                                        "family_share must be a number from 0 to 1"]


def parse_problems(document: dict) -> list[str]:
    """Every problem parse_config finds in a document it refuses."""
    with pytest.raises(ConfigError) as error:
        parse_config(document)
    return error.value.problems


def test_the_seed_preset_keeps_the_table_of_spec_2a():
    seed = parse_config(preset_config("seed-001"))
    result = evaluate_rules(signals(intent_n=1, intent_days=45.0, churn_intent_30=0, failed_n=2,
                                    champions_left_n=1, silence_days=120.0, usage_prev=100, usage_30=0), seed)

    # Only the seed's 40 points for the drop: intent 45 days ago is outside its 30 days, and the new
    # rules are not part of it.
    assert (int(result.iloc[0]["risk_score"]), result.iloc[0]["risk_level"]) == (40, "Medium")


def test_a_config_argument_names_a_preset_or_a_file(tmp_path):
    assert config_argument("seed-001") == parse_config(preset_config("seed-001"))
    with pytest.raises(ConfigError, match="preset: default, seed-001"):
        config_argument(str(tmp_path / "missing.json"))


def test_rule_look_back_and_caps_are_validated():
    document = default_config()
    next(r for r in document["risk_rules"] if r["id"] == "champion_left")["days"] = 400
    next(r for r in document["risk_rules"] if r["id"] == "silence")["days"] = 30
    document["health"]["risk_caps"] = {"Severe": 10, "High": 140}

    assert parse_problems(document) == [
        "risk rule 'champion_left': days must be a whole number from 1 to 180",
        "risk rule 'silence': 'days' is only for the rules churn_intent, failed_payment, champion_left",
        "health.risk_caps: unknown risk level 'Severe' (known: High, Medium, Low)",
        "health.risk_caps: the cap of High must be a number from 0 to 100",
    ]


def test_a_document_written_before_the_new_rules_leaves_them_off():
    config = parse_config(preset_config("seed-001"))

    assert [r.id for r in config.rules if not r.enabled] == ["error_rate", "failed_payment", "champion_left",
                                                             "silence", "low_health", "trial_adoption",
                                                             "detractor", "ticket_spike"]
    assert (config.families, config.family_share) == ((), 1.0)


# The engine, on a book in the database -------------------------------------------------------------

def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def before(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def steady_account(**fields) -> m.Account:
    """An account with the same usage every day of the last 60 days and a recent call."""
    account = factories.AccountFactory(**fields)
    sub = factories.SubscriptionFactory(account=account)
    for n in range(60):
        factories.UsageRecordFactory(subscription=sub, date=before(n), usage_count=30)
    factories.TouchpointFactory(account=account, kind=m.TouchpointKind.CALL, occurred_at=at(before(3)))
    return account


def scored() -> pd.DataFrame:
    scores, _ = score_range(as_of=AS_OF, config=DEFAULT)
    return scores.accounts.set_index("external_id")


@pytest.mark.django_db
def test_the_engine_reads_failed_payments_champions_and_silence_as_of_the_date():
    calm = steady_account(external_id="A-calm")
    late = steady_account(external_id="A-late")
    factories.InvoiceFactory(account=late, due_date=before(20), status=m.InvoiceStatus.FAILED)
    # Paid after as_of although due 30 days before it: unpaid then. Paid 3 days late before as_of: fine.
    paid_later = steady_account(external_id="A-paid-later")
    factories.InvoiceFactory(account=paid_later, due_date=before(30), status=m.InvoiceStatus.PAID,
                             paid_at=at(AS_OF + dt.timedelta(days=4)))
    factories.InvoiceFactory(account=calm, due_date=before(30), status=m.InvoiceStatus.PAID,
                             paid_at=at(before(27)))
    left = steady_account(external_id="A-left")
    factories.ContactFactory(account=left, role=m.ContactRole.CHAMPION, left_date=before(40), is_active=False)
    # A champion who left but was replaced, and a failed payment followed by a paid invoice: no warning.
    replaced = steady_account(external_id="A-replaced")
    factories.ContactFactory(account=replaced, role=m.ContactRole.CHAMPION, left_date=before(40), is_active=False)
    factories.ContactFactory(account=replaced, role=m.ContactRole.CHAMPION)
    recovered = steady_account(external_id="A-recovered")
    factories.InvoiceFactory(account=recovered, due_date=before(50), status=m.InvoiceStatus.FAILED)
    factories.InvoiceFactory(account=recovered, due_date=before(20), status=m.InvoiceStatus.PAID,
                             paid_at=at(before(19)))
    factories.ContactFactory(account=calm, role=m.ContactRole.CHAMPION, left_date=AS_OF + dt.timedelta(days=2))
    quiet = factories.AccountFactory(external_id="A-quiet", signup_date=before(400))
    sub = factories.SubscriptionFactory(account=quiet)
    for n in range(60):
        factories.UsageRecordFactory(subscription=sub, date=before(n), usage_count=30)
    factories.TouchpointFactory(account=quiet, kind=m.TouchpointKind.MEETING, occurred_at=at(before(95)))
    factories.TouchpointFactory(account=quiet, kind=m.TouchpointKind.NOTE, occurred_at=at(before(2)))

    accounts = scored()

    assert accounts.loc["A-calm", ["risk_score", "risk_level"]].tolist() == [0, "Low"]
    assert accounts.loc["A-late", "top_reasons"] == "Failed payment (1 invoice in 60d)"
    assert accounts.loc["A-paid-later", "top_reasons"] == "Failed payment (1 invoice in 60d)"
    assert accounts.loc["A-left", ["risk_level", "top_reasons"]].tolist() == ["Medium", "Champion left (1 in 90d)"]
    assert accounts.loc["A-replaced", "risk_score"] == 0 and accounts.loc["A-recovered", "risk_score"] == 0
    # Its own note is not contact with the customer: the meeting 95 days ago was the last.
    assert accounts.loc["A-quiet", ["risk_score", "top_reasons"]].tolist() == [40, "No contact for 95 days"]


@pytest.mark.django_db
def test_a_trial_is_compared_with_the_paying_accounts_of_its_segment_and_a_detractor_by_the_latest_answer():
    # 20 paying Mid-Market peers (the fewest a trial is compared with): 1 to 4 uses per seat a day.
    for k in range(20):
        daily = 10 * (1 + k % 4)
        peer = factories.AccountFactory(external_id=f"A-peer-{k}", seats=10)
        sub = factories.SubscriptionFactory(account=peer)
        factories.UsageRecordFactory(subscription=sub, date=before(40), usage_count=daily)
        factories.UsageRecordFactory(subscription=sub, date=before(1), usage_count=31 * daily)
    # A large paying SMB account (another segment) uses little: it is not a Mid-Market trial's peer.
    smb = factories.AccountFactory(external_id="A-smb", seats=10, segment=m.Segment.SMB)
    factories.UsageRecordFactory(subscription=factories.SubscriptionFactory(account=smb), date=before(1),
                                 usage_count=1)
    # Trials that started 10 days ago: 5 uses a day on 10 seats is 0.5 a seat (every peer uses more), 25 is
    # 2.5 a seat (half of them do).
    for external_id, daily in (("A-lapsing", 5), ("A-adopting", 25)):
        trial = factories.AccountFactory(external_id=external_id, seats=10, is_trial=True, signup_date=before(10))
        sub = factories.SubscriptionFactory(account=trial, is_trial=True, start_date=before(10))
        for n in range(11):
            factories.UsageRecordFactory(subscription=sub, date=before(n), usage_count=daily)
    detractor = steady_account(external_id="A-detractor")
    factories.SurveyResponseFactory(account=detractor, responded_at=at(before(100)), nps_score=9)
    factories.SurveyResponseFactory(account=detractor, responded_at=at(before(20)), nps_score=3)
    recovered = steady_account(external_id="A-was-detractor")
    factories.SurveyResponseFactory(account=recovered, responded_at=at(before(100)), nps_score=2)
    factories.SurveyResponseFactory(account=recovered, responded_at=at(before(20)), nps_score=8)
    factories.SurveyResponseFactory(account=recovered, responded_at=at(AS_OF + dt.timedelta(days=1)), nps_score=0)

    accounts = scored()

    def fired(external_id: str) -> dict[str, tuple[int, dict]]:
        return {r["rule"]: (r["points"], r["evidence"]) for r in accounts.loc[external_id, "fired_rules"]}

    assert fired("A-lapsing")["trial_adoption"] == (35, {"share": 100})
    assert accounts.loc["A-lapsing", "risk_level"] == "Medium"
    assert "trial_adoption" not in fired("A-adopting") and "trial" in fired("A-adopting")
    assert accounts.loc["A-detractor", "top_reasons"] == "Detractor: latest NPS 3/10"
    assert accounts.loc["A-was-detractor", "risk_score"] == 0
    assert "trial_adoption" not in fired("A-peer-0")  # paying accounts are never judged as trials


@pytest.mark.django_db
def test_a_ticket_spike_is_measured_against_the_accounts_own_last_five_months():
    def tickets(account, days_ago: list[int]) -> None:
        for n in days_ago:
            factories.SupportTicketFactory(account=account, submitted_at=at(before(n)))

    quiet = steady_account(external_id="A-quiet-then-busy")  # 1 ticket a month, then 4 in a month
    tickets(quiet, [40, 70, 100, 130, 160, 2, 5, 9, 20])
    big = steady_account(external_id="A-big")  # 10 a month, 12 now: its usual
    tickets(big, [35 + 3 * k for k in range(50)] + list(range(1, 13)))
    young = steady_account(external_id="A-young", signup_date=before(70))  # 40 days before the last 30
    tickets(young, [1, 2, 3, 4, 5, 6])
    two = steady_account(external_id="A-two")  # two tickets are never a spike
    tickets(two, [1, 2])

    accounts = scored()

    def spike(external_id: str) -> dict | None:
        return next((r for r in accounts.loc[external_id, "fired_rules"] if r["rule"] == "ticket_spike"), None)

    assert spike("A-quiet-then-busy") == {"rule": "ticket_spike", "points": 10, "evidence": {"n": 4, "ratio": 4},
                                          "reason": "Support tickets up (4 in 30d, 4x the usual)"}
    assert spike("A-big") is None and spike("A-young") is None and spike("A-two") is None


@pytest.mark.django_db
def test_a_trials_peers_are_the_books_paying_accounts_or_an_even_sample_of_a_big_book(monkeypatch):
    from scoring import fetch

    paying = [steady_account(external_id=f"A-pay-{k}") for k in range(9)]
    factories.SubscriptionFactory(account=factories.AccountFactory(external_id="A-trial", is_trial=True))
    on_trial_sub = steady_account(external_id="A-trial-sub")
    factories.SubscriptionFactory(account=on_trial_sub, is_trial=True)
    window = fetch.Window(AS_OF)

    peers = fetch.paying_peers(window)

    assert sorted(peers["account_id"]) == sorted(a.id for a in paying)
    assert set(peers["usage_30"]) == {30 * 31}  # 30 uses on each of the last 31 dates
    monkeypatch.setattr(fetch, "PEER_SAMPLE", 4)  # 9 paying accounts: every third by id
    assert sorted(fetch.paying_peers(window)["account_id"]) == sorted(a.id for a in paying if a.id % 3 == 0)


@pytest.mark.django_db
def test_intent_written_two_months_ago_still_counts_and_the_snapshot_figure_stays_30_days():
    account = steady_account(external_id="A-leaving")
    factories.SupportTicketFactory(account=account, submitted_at=at(before(50)), intent_phrase="we will not renew")
    factories.SupportTicketFactory(account=account, submitted_at=at(before(120)), intent_phrase="cancel")

    row = scored().loc["A-leaving"]

    assert (row["risk_score"], row["risk_level"], row["churn_intent_30"]) == (40, "Medium", 0)
    [fired] = row["fired_rules"]
    assert fired["evidence"]["n"] == 1 and fired["evidence"]["items"][0]["phrase"] == "we will not renew"


@pytest.mark.django_db
def test_health_is_capped_by_the_risk_level_and_keeps_the_measures_score():
    account = steady_account(external_id="A-capped", onboarding_completed_pct=100)
    factories.SupportTicketFactory(account=account, submitted_at=at(before(2)), intent_phrase="we are leaving")
    steady_account(external_id="A-free", onboarding_completed_pct=100)

    accounts = scored()

    capped, free = accounts.loc["A-capped"], accounts.loc["A-free"]
    assert capped["risk_level"] == "High" and free["risk_level"] == "Low"
    assert free["health_score"] >= 40 and pd.isna(free["health_before_cap"])
    assert capped["health_score"] == 39.0 and capped["health_tier"] == "High risk"
    assert capped["health_before_cap"] > 39.0


# Presets: command, admin, upgrade -------------------------------------------------------------------

@pytest.mark.django_db
def test_the_command_starts_a_draft_from_the_seed_preset():
    out = io.StringIO()

    call_command("scoring_config", "preset", "seed-001", stdout=out)

    draft = ScoringConfig.objects.get(name="Preset seed-001")
    assert (draft.status, draft.data) == (ConfigStatus.DRAFT, preset_config("seed-001"))
    assert out.getvalue().strip() == (f"Preset seed-001 is configuration v{draft.version}, "
                                      f"a draft (activate it in admin)")


@pytest.mark.django_db
def test_an_admin_starts_a_draft_from_a_preset_and_an_unknown_one_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:scoring_scoringconfig_preset")
    assert "seed-001" in client.get(url).content.decode()
    before = ScoringConfig.objects.count()

    refused = client.post(url, {"preset": "seed-999"})
    assert refused.status_code == 400 and "Unknown preset" in refused.content.decode()
    assert ScoringConfig.objects.count() == before

    response = client.post(url, {"preset": "seed-001"})
    draft = ScoringConfig.objects.get(name="Preset seed-001")
    assert response.status_code == 302 and draft.data == preset_config("seed-001")


@pytest.mark.django_db
def test_a_csm_cannot_start_a_draft_from_a_preset(client, csm):
    client.force_login(csm)
    before = ScoringConfig.objects.count()

    response = client.post(reverse("admin:scoring_scoringconfig_preset"), {"preset": "seed-001"})

    assert response.status_code in (302, 403) and ScoringConfig.objects.count() == before


@pytest.mark.django_db
def test_the_upgrade_moves_an_untouched_seed_configuration_to_the_default_and_leaves_an_edited_one():
    module = importlib.import_module("scoring.migrations.0008_snapshot_health_before_cap")
    ScoringConfig.objects.all().delete()
    seed = ScoringConfig.objects.create(version=1, status=ConfigStatus.ACTIVE, data=preset_config("seed-001"))

    module.fitted_default(django_apps, None)

    seed.refresh_from_db()
    active = ScoringConfig.objects.get(status=ConfigStatus.ACTIVE)
    assert (seed.status, active.version, active.data) == (ConfigStatus.RETIRED, 2, default_config())

    edited = preset_config("seed-001")
    edited["risk_levels"]["medium"] = 25
    ScoringConfig.objects.all().delete()
    ScoringConfig.objects.create(version=1, status=ConfigStatus.ACTIVE, data=edited)
    module.fitted_default(django_apps, None)
    assert list(ScoringConfig.objects.values_list("version", "status")) == [(1, ConfigStatus.ACTIVE)]


def default_before_mild_signs_stopped_counting() -> dict:
    """The default while a rating of 3 of 5 (6 points), an NPS of 5-6 (8) and tickets at twice the usual rate
    (5) counted."""
    document = default_config()
    rules = {r["id"]: r for r in document["risk_rules"]}
    rules["satisfaction"]["tiers"].append({"threshold": 3, "points": 6, "reason": "Medium satisfaction score (3/5)"})
    rules["detractor"]["tiers"].append({"threshold": 6, "points": 8, "reason": "Detractor: latest NPS {nps}/10"})
    rules["ticket_spike"]["tiers"].append(
        {"threshold": 2, "points": 5, "reason": "Support tickets up ({n} in 30d, {ratio}x the usual)"})
    return document


def previous_default() -> dict:
    """The default before Medium at 35, rule families, the trial-adoption, detractor and ticket-spike rules
    and the 45-day silence tier."""
    document = default_before_mild_signs_stopped_counting()
    document["risk_rules"] = [r for r in document["risk_rules"]
                              if r["id"] not in ("trial_adoption", "detractor", "ticket_spike")]
    support = next(r for r in document["risk_rules"] if r["id"] == "support_load")
    support["enabled"] = True
    for tier, points in zip(support["tiers"], (10, 5), strict=True):
        tier["points"] = points
    next(g for g in document["action_groups"] if "ticket_spike" in g["rules"])["rules"].remove("ticket_spike")
    silence = next(r for r in document["risk_rules"] if r["id"] == "silence")
    silence["tiers"] = [t for t in silence["tiers"] if t["threshold"] != 45]
    document["action_groups"] = [g for g in document["action_groups"]
                                 if g["rules"] not in (["trial_adoption"], ["detractor"])]
    del document["rule_families"], document["family_share"]
    document["risk_levels"]["medium"] = 30
    return document


@pytest.mark.django_db
def test_the_upgrade_moves_an_untouched_previous_default_to_the_current_one_and_leaves_an_edited_one():
    module = importlib.import_module("scoring.migrations.0009_default_trial_adoption_detractor")
    assert fingerprint(previous_default()) == module.PREVIOUS_DEFAULT_SHA256
    ScoringConfig.objects.all().delete()
    old = ScoringConfig.objects.create(version=3, status=ConfigStatus.ACTIVE, data=previous_default())

    module.newer_default(django_apps, None)

    old.refresh_from_db()
    active = ScoringConfig.objects.get(status=ConfigStatus.ACTIVE)
    assert (old.status, active.version, active.data) == (ConfigStatus.RETIRED, 4, default_config())

    edited = previous_default()
    edited["risk_levels"]["medium"] = 25
    ScoringConfig.objects.all().delete()
    ScoringConfig.objects.create(version=1, status=ConfigStatus.ACTIVE, data=edited)
    module.newer_default(django_apps, None)
    assert list(ScoringConfig.objects.values_list("version", "status")) == [(1, ConfigStatus.ACTIVE)]


@pytest.mark.django_db
def test_the_upgrade_that_stops_counting_mild_signs_moves_only_the_untouched_default():
    module = importlib.import_module("scoring.migrations.0010_default_mild_signs_do_not_count")
    before = default_before_mild_signs_stopped_counting()
    assert fingerprint(before) == module.PREVIOUS_DEFAULT_SHA256
    ScoringConfig.objects.all().delete()
    old = ScoringConfig.objects.create(version=5, status=ConfigStatus.ACTIVE, data=before)

    module.newer_default(django_apps, None)

    old.refresh_from_db()
    active = ScoringConfig.objects.get(status=ConfigStatus.ACTIVE)
    assert (old.status, active.version, active.data) == (ConfigStatus.RETIRED, 6, default_config())
    assert active.notes.startswith("Installed by an upgrade")

    module.newer_default(django_apps, None)  # the current default is not the previous one: nothing changes
    assert ScoringConfig.objects.filter(status=ConfigStatus.ACTIVE).get().pk == active.pk


# One voice on Account 360 ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_account_360_leads_with_risk_and_says_why_health_was_capped(client, csm):
    account = steady_account(external_id="A-voice", csm=csm, onboarding_completed_pct=100)
    factories.SupportTicketFactory(account=account, submitted_at=at(before(2)), subject="Contract",
                                   body="We have decided not to renew our contract when it ends in May.")
    ensure_active_config()
    recompute_scores(as_of=AS_OF)
    snapshot = Snapshot.objects.get(account=account)
    client.force_login(csm)

    page = client.get(reverse("account_detail", args=["A-voice"])).content.decode()

    assert snapshot.health_before_cap is not None
    note = (f"The measures alone score {snapshot.health_before_cap:.1f}; health is capped at 39 (High risk) because "
            f"churn risk is High: Customer language suggests cancellation risk (1 in 90d).")
    assert snapshot.fired_rules[0]["evidence"]["items"][0]["phrase"] == "decided not to renew"
    assert note in html.unescape(page)
    assert page.index('data-testid="risk-score"') < page.index('data-testid="health-score"')


@pytest.mark.django_db
def test_the_riskiest_accounts_reach_critical_health_by_the_risk_score_cap():
    account = steady_account(external_id="A-worst", onboarding_completed_pct=100)
    factories.SupportTicketFactory(account=account, submitted_at=at(before(2)), intent_phrase="we are leaving")
    factories.InvoiceFactory(account=account, due_date=before(20), status=m.InvoiceStatus.FAILED)
    factories.InvoiceFactory(account=account, due_date=before(10), status=m.InvoiceStatus.FAILED)

    row = scored().loc["A-worst"]

    # Intent 60 + failed payments 45 (capped at 100): health at most 100 - 100 = 0, Critical.
    assert (row["risk_score"], row["health_score"], row["health_tier"]) == (100, 0.0, "Critical")


def test_the_risk_score_cap_is_validated():
    document = default_config()
    document["health"]["cap_by_risk_score"] = "yes"

    with pytest.raises(ConfigError, match="health.cap_by_risk_score must be true or false"):
        parse_config(document)
