"""The demo book: deterministic, importable, with every planted churn and expansion pattern visible in
the data, varied customer text, and `manage.py seed_demo` importing it idempotently."""

import datetime as dt
import io
import random
import time
from collections.abc import Callable

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from accounts import models as m
from accounts.importing.schema import TABLES
from accounts.importing.services import validate_files
from workspace.demo import generator, text
from workspace.demo.generator import (
    CHURN_SCENARIOS,
    EXPANSION_SCENARIOS,
    SCENARIO_SHARES,
    USAGE_DAYS,
    book_to_csv_bytes,
    generate_book,
    write_book,
)
from workspace.demo.interventions import treated_on_time
from workspace.demo.outcomes import apply_fates, draw_fates, pending_churners
from workspace.demo.text import COMPETITORS, FEATURE_REQUESTS
from workspace.demo.users import DEMO_CSMS, DEMO_PASSWORD, ensure_demo_users

AS_OF = dt.date(2025, 3, 14)
AS_OF_TS = pd.Timestamp(AS_OF)
END_OF_AS_OF = AS_OF_TS + pd.Timedelta(days=1)
CSM_EMAILS = ["casey@example.org", "robin@example.org", "sam@example.org"]

Book = dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def book() -> Book:
    return generate_book(accounts=300, seed=42, as_of=AS_OF, csm_emails=CSM_EMAILS)


def _accounts(book: Book, scenario: str, *, active_only: bool = True) -> pd.DataFrame:
    """A scenario's accounts; with active_only, those whose pattern shows on as_of (not past or pending)."""
    accounts = book["ravenstack_accounts.csv"]
    chosen = accounts[accounts["scenario"] == scenario]
    return chosen[chosen["account_id"].isin(_showing_now(book))] if active_only else chosen


def _showing_now(book: Book) -> set[str]:
    """Accounts whose planted pattern leads up to as_of (no churn planned before it, no recovery)."""
    planted = book[generator.PLAN_KEY]
    now = (planted["anchor"] == AS_OF_TS) & planted["planned_churn"].isna()
    return set(planted[now]["account_id"])


def _daily_usage(book: Book) -> pd.Series:
    """Total usage count per (account_id, date)."""
    usage = book["ravenstack_feature_usage.csv"]
    subs = book["ravenstack_subscriptions.csv"][["subscription_id", "account_id"]]
    merged = usage.assign(subscription_id=usage["subscription_id"].astype(str)).merge(subs, on="subscription_id")
    return merged.groupby(["account_id", "usage_date"])["usage_count"].sum()


def _between(days_ago_from: int, days_ago_to: int) -> Callable[[pd.Series], pd.Series]:
    """A mask for dates with days_ago_from >= (as_of - date).days >= days_ago_to."""
    def mask(dates: pd.Series) -> pd.Series:
        age = (AS_OF_TS - pd.to_datetime(dates).dt.normalize()).dt.days
        return (age <= days_ago_from) & (age >= days_ago_to)
    return mask


def _texts(book: Book) -> pd.DataFrame:
    """Every ticket and touchpoint text with its account and time."""
    tickets = book["ravenstack_support_tickets.csv"]
    touchpoints = book["touchpoints.csv"]
    return pd.concat([
        pd.DataFrame({"account_id": tickets["account_id"], "at": tickets["submitted_at"],
                      "text": tickets["subject"].fillna("") + "\n" + tickets["body"].fillna("")}),
        pd.DataFrame({"account_id": touchpoints["account_id"], "at": touchpoints["occurred_at"],
                      "text": touchpoints["subject"].fillna("") + "\n" + touchpoints["text"].fillna("")}),
    ], ignore_index=True)


# --- Determinism and format ------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_csv_files():
    first = book_to_csv_bytes(generate_book(accounts=60, seed=7, as_of=AS_OF, csm_emails=CSM_EMAILS))
    second = book_to_csv_bytes(generate_book(accounts=60, seed=7, as_of=AS_OF, csm_emails=CSM_EMAILS))

    assert first == second
    assert set(first) >= {"ravenstack_accounts.csv", "ravenstack_feature_usage.csv", "touchpoints.csv"}


def test_a_different_seed_gives_a_different_book():
    first = book_to_csv_bytes(generate_book(accounts=60, seed=7, as_of=AS_OF, csm_emails=CSM_EMAILS))
    other = book_to_csv_bytes(generate_book(accounts=60, seed=8, as_of=AS_OF, csm_emails=CSM_EMAILS))

    for name in ("ravenstack_accounts.csv", "ravenstack_feature_usage.csv", "ravenstack_support_tickets.csv",
                 "touchpoints.csv"):
        assert first[name] != other[name], name


def test_generation_does_not_touch_the_global_random_state():
    random.seed(1)
    expected = random.random()
    random.seed(1)
    generate_book(accounts=20, seed=3, as_of=AS_OF, csm_emails=[])

    assert random.random() == expected


def test_a_book_made_in_parts_numbers_each_part_on_and_the_parts_import_as_one_book():
    """bench/recompute.py makes a book bigger than memory in parts: no key of one part meets a key of another, and
    the parts together pass the import's checks as one book."""
    first = generate_book(accounts=20, seed=3, as_of=AS_OF, csm_emails=[], book_size=100_000)
    second = generate_book(accounts=20, seed=4, as_of=AS_OF, csm_emails=[], first_number=21, book_size=100_000)

    accounts = second["ravenstack_accounts.csv"]["account_id"].tolist()
    assert (accounts[0], accounts[-1]) == ("ACC-000021", "ACC-000040")
    for table in TABLES:
        key = table.column_names[0]
        assert not set(first[table.filename][key]) & set(second[table.filename][key]), table.filename
    together = {table.filename: pd.concat([first[table.filename], second[table.filename]], ignore_index=True)
                for table in TABLES}
    assert validate_files(book_to_csv_bytes(together))[1] == []


def test_frames_have_exactly_the_import_columns(book):
    for table in TABLES:
        assert list(book[table.filename].columns) == table.column_names, table.filename


def test_book_of_300_accounts_is_generated_in_a_few_seconds():
    started = time.perf_counter()
    frames = generate_book(accounts=300, seed=1, as_of=AS_OF, csm_emails=CSM_EMAILS)
    book_to_csv_bytes(frames)

    assert time.perf_counter() - started < 10


@pytest.mark.django_db
def test_book_passes_import_validation(csm, other_csm):
    m.User.objects.create(username="sam", email="sam@example.org")
    files = book_to_csv_bytes(generate_book(accounts=120, seed=11, as_of=AS_OF, csm_emails=CSM_EMAILS))

    _, problems = validate_files(files)

    assert [str(p) for p in problems] == []


def test_write_book_writes_one_csv_per_non_empty_table(tmp_path):
    frames = generate_book(accounts=30, seed=2, as_of=AS_OF, csm_emails=[])

    paths = write_book(frames, tmp_path / "book")

    expected = {t.filename for t in TABLES if not frames[t.filename].empty}
    assert {p.name for p in paths} == expected
    accounts = pd.read_csv(tmp_path / "book" / "ravenstack_accounts.csv")
    assert len(accounts) == 30


# --- The book ---------------------------------------------------------------------------------------

def test_book_has_healthcare_segments_ehrs_and_plans(book):
    accounts = book["ravenstack_accounts.csv"]

    assert set(accounts["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert set(accounts["ehr_system"]) == {"Epic", "Cerner", "Allscripts", "athenahealth"}
    assert set(accounts["plan_tier"]) == {"Basic", "Pro", "Enterprise"}
    assert (accounts["country"] == "US").mean() > 0.75
    assert accounts["account_name"].is_unique
    enterprise = accounts[accounts["segment"] == "Enterprise"]["seats"].median()
    smb = accounts[accounts["segment"] == "SMB"]["seats"].median()
    assert enterprise > 10 * smb
    assert {"Health system", "Primary care", "Behavioral health"} <= set(accounts["industry"])


def test_renewals_spread_over_the_next_year_with_some_within_60_days(book):
    accounts = book["ravenstack_accounts.csv"]
    active = accounts[~accounts["churn_flag"]]
    days = (active["renewal_date"] - AS_OF_TS).dt.days

    assert days.between(1, 366).all()
    assert 0.1 < (days <= 60).mean() < 0.4
    assert days.max() > 300


def test_csms_get_balanced_books_and_no_list_leaves_accounts_unassigned(book):
    counts = book["ravenstack_accounts.csv"]["csm_email"].value_counts()
    unassigned = generate_book(accounts=20, seed=1, as_of=AS_OF, csm_emails=[])["ravenstack_accounts.csv"]

    assert sorted(counts.index) == sorted(CSM_EMAILS)
    assert counts.max() - counts.min() <= 1
    assert (unassigned["csm_email"] == "").all()


def test_every_active_subscription_has_daily_usage_of_several_features(book):
    usage = book["ravenstack_feature_usage.csv"]
    subs = book["ravenstack_subscriptions.csv"]
    active = set(subs[subs["end_date"].isna()]["subscription_id"])
    recent = usage[usage["usage_date"] > AS_OF_TS - pd.Timedelta(days=USAGE_DAYS)]
    days_per_sub = recent.groupby(recent["subscription_id"].astype(str))["usage_date"].nunique()

    assert USAGE_DAYS >= 120
    assert set(days_per_sub.index) >= active
    assert (days_per_sub[list(active)] == USAGE_DAYS).all()
    assert usage["usage_date"].max() == AS_OF_TS
    rows_per_day = len(recent) / recent.groupby(["subscription_id", "usage_date"], observed=True).ngroups
    assert rows_per_day > 3
    assert usage["is_beta_feature"].any() and usage["error_count"].sum() > 0
    assert {"scheduling", "patient_intake", "ehr_sync", "e_prescribing", "telehealth", "api"} <= set(
        usage["feature_name"].astype(str))
    assert not usage.duplicated(["subscription_id", "usage_id"]).any()


def test_nothing_is_dated_after_as_of_except_open_invoices(book):
    assert (book["ravenstack_support_tickets.csv"]["submitted_at"] < END_OF_AS_OF).all()
    assert (book["ravenstack_support_tickets.csv"]["closed_at"].dropna() < END_OF_AS_OF).all()
    assert (book["touchpoints.csv"]["occurred_at"] < END_OF_AS_OF).all()
    assert (book["surveys.csv"]["responded_at"] < END_OF_AS_OF).all()
    assert (book["ravenstack_churn_events.csv"]["churn_date"] <= AS_OF_TS).all()
    invoices = book["invoices.csv"]
    assert (invoices[invoices["due_date"] > AS_OF_TS]["status"] == "open").all()
    assert (invoices["paid_at"].dropna() < END_OF_AS_OF).all()
    assert (invoices["status"] == "paid").mean() > 0.85


def test_scenario_shares_are_recorded_for_every_account(book):
    accounts = book["ravenstack_accounts.csv"]
    shares = accounts["scenario"].value_counts(normalize=True)

    assert set(accounts["scenario"]) == set(SCENARIO_SHARES)
    for scenario, share in SCENARIO_SHARES.items():
        assert shares[scenario] == pytest.approx(share, abs=0.01), scenario


def test_small_books_still_plant_every_pattern():
    accounts = generate_book(accounts=40, seed=5, as_of=AS_OF, csm_emails=[])["ravenstack_accounts.csv"]

    assert set(CHURN_SCENARIOS + EXPANSION_SCENARIOS) <= set(accounts["scenario"])


def test_outcomes_depend_on_the_scenario(book):
    accounts = book["ravenstack_accounts.csv"]
    churn = accounts[accounts["scenario"].isin(CHURN_SCENARIOS)]
    expansion = accounts[accounts["scenario"].isin(EXPANSION_SCENARIOS)]
    healthy = accounts[accounts["scenario"] == "healthy"]

    assert set(accounts["outcome"]) == {"churned", "expanded", "retained"}
    assert (churn["outcome"] == "churned").mean() > 0.5
    assert (expansion["outcome"] == "expanded").mean() > 0.4
    assert (healthy["outcome"] == "churned").mean() < 0.15


def test_already_churned_accounts_have_a_churn_event_and_ended_subscriptions(book):
    pending = pending_churners(book, AS_OF)
    lost, saved = draw_fates(pending, 42, {})
    decided = apply_fates(book, lost, saved)
    accounts = decided["ravenstack_accounts.csv"]
    events = decided["ravenstack_churn_events.csv"]
    subs = decided["ravenstack_subscriptions.csv"]
    assert book["ravenstack_churn_events.csv"].empty  # nothing churns before seed_demo decides it
    assert set(lost) | set(saved) == set(pending["account_id"]) and len(lost) > len(saved) > 0
    churned = accounts[accounts["churn_flag"]]

    assert len(churned) > 0
    assert (churned["outcome"] == "churned").all()
    assert set(events["account_id"]) == set(churned["account_id"])
    assert set(events["reason_code"]) <= {"pricing", "support", "budget", "features", "competitor", "unknown"}
    ended = subs[subs["account_id"].isin(churned["account_id"]) & subs["end_date"].notna()]
    last_end = ended.groupby("account_id")["end_date"].max()
    churn_dates = events.set_index("account_id")["churn_date"]
    assert (last_end[churn_dates.index] == churn_dates).all()
    assert subs[subs["churn_flag"]]["account_id"].isin(churned["account_id"]).all()
    # Churn is spread over the book's year, not bunched in one week.
    assert events["churn_date"].dt.to_period("M").nunique() >= 6
    assert (AS_OF_TS - events["churn_date"]).dt.days.between(0, 275).all()


# --- Planted churn patterns -------------------------------------------------------------------------

def test_ehr_breakage_accounts_have_a_ticket_burst_naming_their_ehr(book):
    tickets = book["ravenstack_support_tickets.csv"]
    recent = tickets[_between(30, 0)(tickets["submitted_at"])]
    accounts = _accounts(book, "ehr_integration_breakage")

    assert len(accounts) >= 5
    for account in accounts.itertuples():
        own = recent[recent["account_id"] == account.account_id]
        naming = own["subject"].str.contains(account.ehr_system) | own["body"].str.contains(account.ehr_system)
        assert naming.sum() >= 3, account.account_id


def test_ehr_breakage_accounts_have_an_ehr_sync_error_spike(book):
    usage = book["ravenstack_feature_usage.csv"]
    subs = book["ravenstack_subscriptions.csv"][["subscription_id", "account_id"]]
    sync = usage[usage["feature_name"] == "ehr_sync"]
    sync = sync.assign(subscription_id=sync["subscription_id"].astype(str)).merge(subs, on="subscription_id")
    for account in _accounts(book, "ehr_integration_breakage").itertuples():
        own = sync[sync["account_id"] == account.account_id]
        last_week = own[_between(6, 0)(own["usage_date"])]
        earlier = own[_between(90, 60)(own["usage_date"])]
        recent_rate = last_week["error_count"].sum() / last_week["usage_count"].sum()
        earlier_rate = earlier["error_count"].sum() / max(earlier["usage_count"].sum(), 1)
        assert recent_rate > 0.1 > earlier_rate * 5, account.account_id


def test_champion_left_accounts_lost_their_champion_and_then_disengaged(book):
    contacts = book["contacts.csv"]
    touchpoints = book["touchpoints.csv"]
    daily = _daily_usage(book)
    accounts = _accounts(book, "champion_left")

    assert len(accounts) >= 1
    for account in accounts.itertuples():
        champions = contacts[(contacts["account_id"] == account.account_id) & (contacts["role"] == "champion")]
        gone = champions[~champions["is_active"] & champions["left_date"].notna()]
        assert len(gone) >= 1, account.account_id
        left = gone["left_date"].max()
        assert left <= AS_OF_TS
        after = touchpoints[(touchpoints["account_id"] == account.account_id) & (touchpoints["occurred_at"] > left)]
        assert not after["contact_id"].isin(gone["contact_id"]).any()
        assert (after["direction"] != "inbound").all()
        usage = daily.loc[account.account_id]
        last_two_weeks = usage[_between(13, 0)(usage.index.to_series())].mean()
        before = usage[_between(118, 91)(usage.index.to_series())].mean()
        assert last_two_weeks < 0.85 * before, account.account_id


def test_silent_accounts_have_no_interaction_for_60_days_and_declining_use(book):
    texts = _texts(book)
    surveys = book["surveys.csv"]
    daily = _daily_usage(book)
    accounts = _accounts(book, "silent")

    assert len(accounts) >= 3
    for account in accounts.itertuples():
        own = texts[texts["account_id"] == account.account_id]
        assert not _between(60, 0)(own["at"]).any(), account.account_id
        assert not _between(60, 0)(surveys[surveys["account_id"] == account.account_id]["responded_at"]).any()
        usage = daily.loc[account.account_id]
        assert usage[_between(13, 0)(usage.index.to_series())].mean() < 0.9 * usage[
            _between(125, 98)(usage.index.to_series())].mean()


def test_non_silent_accounts_are_never_quiet_for_60_days(book):
    texts = _texts(book)
    accounts = book["ravenstack_accounts.csv"]
    others = accounts[(accounts["scenario"] != "silent") & ~accounts["churn_flag"]]
    recent = set(texts[_between(60, 0)(texts["at"])]["account_id"])

    assert set(others["account_id"]) <= recent


def test_escalating_email_accounts_get_angrier_follow_ups_and_escalated_tickets(book):
    touchpoints = book["touchpoints.csv"]
    tickets = book["ravenstack_support_tickets.csv"]
    for account in _accounts(book, "escalating_emails").itertuples():
        emails = touchpoints[(touchpoints["account_id"] == account.account_id) & (touchpoints["kind"] == "email")
                             & (touchpoints["direction"] == "inbound") & _between(30, 0)(touchpoints["occurred_at"])]
        thread = emails[emails["subject"].str.contains("RE: ", regex=False)].sort_values("occurred_at")
        assert len(thread) >= 2, account.account_id
        last = thread.iloc[-1]["text"]
        assert "other options" in last or "leadership" in last, last
        own_tickets = tickets[(tickets["account_id"] == account.account_id) & _between(30, 0)(tickets["submitted_at"])]
        assert own_tickets["escalation_flag"].any(), account.account_id


def test_competitor_accounts_name_a_competitor_and_renew_within_60_days(book):
    texts = _texts(book)
    accounts = _accounts(book, "competitor_near_renewal", active_only=False)
    anchors = book[generator.PLAN_KEY].set_index("account_id")["anchor"]

    assert len(accounts) >= 5
    for account in accounts.itertuples():
        anchor = anchors[account.account_id]
        age = (anchor - pd.to_datetime(texts["at"]).dt.normalize()).dt.days
        own = texts[(texts["account_id"] == account.account_id) & age.between(0, 30)]
        assert own["text"].str.contains("|".join(COMPETITORS)).any(), account.account_id
        if account.account_id in _showing_now(book):
            assert 0 < (account.renewal_date - AS_OF_TS).days <= 60


def test_competitors_are_only_named_where_planted(book):
    texts = _texts(book)
    naming = set(texts[texts["text"].str.contains("|".join(COMPETITORS))]["account_id"])
    accounts = book["ravenstack_accounts.csv"].set_index("account_id")

    assert set(accounts.loc[sorted(naming), "scenario"]) == {"competitor_near_renewal"}


def test_failed_payment_accounts_have_a_failed_invoice_and_others_do_not(book):
    invoices = book["invoices.csv"]
    failing = set(invoices[invoices["status"] == "failed"]["account_id"])
    planted = set(_accounts(book, "failed_payments", active_only=False)["account_id"])

    assert planted and planted == failing
    assert invoices[invoices["status"] == "failed"]["paid_at"].isna().all()


def test_usage_cliff_accounts_lost_half_their_usage_in_the_last_three_days(book):
    daily = _daily_usage(book)
    accounts = book["ravenstack_accounts.csv"]
    active = accounts[~accounts["churn_flag"]]

    def cliff(account_id: str) -> bool:
        usage = daily.loc[account_id]
        dates = usage.index.to_series()
        return usage[_between(2, 0)(dates)].sum() <= 0.5 * usage[_between(5, 3)(dates)].sum()

    active = active[active["account_id"].isin(_showing_now(book))]
    cliffs = {a for a in active["account_id"] if cliff(a)}
    planted = set(active[active["scenario"] == "usage_cliff"]["account_id"])
    assert planted and planted <= cliffs
    assert len(cliffs - planted) <= 0.02 * len(active)  # weekends and noise rarely look like a cliff


# --- Planted expansion patterns ---------------------------------------------------------------------

def test_seats_near_limit_accounts_use_almost_all_licensed_seats(book):
    accounts = book["ravenstack_accounts.csv"].set_index("account_id")
    subs = book["ravenstack_subscriptions.csv"]
    licensed = subs[subs["end_date"].isna()].groupby("account_id")["seats"].sum()
    utilisation = accounts["seats"] / licensed.reindex(accounts.index)
    active = ~accounts["churn_flag"]
    near = (accounts["scenario"] == "seats_near_limit") & active

    assert near.sum() >= 5
    assert (utilisation[near] >= 0.9).all()
    assert (utilisation[~near & active] < 0.9).mean() > 0.9


def test_power_user_accounts_use_advanced_features_heavily(book):
    usage = book["ravenstack_feature_usage.csv"]
    subs = book["ravenstack_subscriptions.csv"][["subscription_id", "account_id"]]
    accounts = book["ravenstack_accounts.csv"].set_index("account_id")
    advanced = usage["feature_name"].isin(["api", "population_health", "ai_scribe"])
    merged = usage[advanced].assign(subscription_id=usage[advanced]["subscription_id"].astype(str))
    per_account = merged.merge(subs, on="subscription_id").groupby("account_id")["usage_count"].sum()
    per_seat = (per_account.reindex(accounts.index).fillna(0) / accounts["seats"])
    power = accounts["scenario"] == "power_users"

    assert per_seat[power].median() > 3 * per_seat[~power].median()
    assert (per_seat[power] > 0).all()


def test_feature_request_accounts_ask_for_features_repeatedly(book):
    texts = _texts(book)
    asking = texts[texts["text"].apply(lambda t: any(request in t for request in FEATURE_REQUESTS))]
    per_account = asking.groupby("account_id").size()
    for account in _accounts(book, "feature_requests").itertuples():
        assert per_account.get(account.account_id, 0) >= 3, account.account_id


def test_promoter_accounts_answer_nps_with_9_or_10(book):
    surveys = book["surveys.csv"]
    for account in _accounts(book, "promoters", active_only=False).itertuples():
        scores = surveys[surveys["account_id"] == account.account_id]["nps_score"]
        assert (scores >= 9).sum() >= 1, account.account_id
    churn = book["ravenstack_accounts.csv"]["scenario"].isin(CHURN_SCENARIOS)
    churn_ids = book["ravenstack_accounts.csv"][churn]["account_id"]
    assert surveys[surveys["account_id"].isin(churn_ids)]["nps_score"].mean() < surveys["nps_score"].mean()


# --- Text -------------------------------------------------------------------------------------------

def test_ticket_bodies_are_varied(book):
    tickets = book["ravenstack_support_tickets.csv"]

    assert len(tickets) > 500
    assert tickets["body"].nunique() / len(tickets) >= 0.9
    assert tickets["subject"].nunique() > 100
    assert tickets["satisfaction_score"].isna().mean() > 0.3
    assert set(tickets["priority"]) == {"low", "medium", "high", "urgent"}


def test_touchpoints_cover_every_kind_with_real_text(book):
    touchpoints = book["touchpoints.csv"]
    calls = touchpoints[touchpoints["kind"] == "call"]["text"]

    assert set(touchpoints["kind"]) == {"call", "email", "meeting", "qbr", "note", "community", "docs"}
    assert set(touchpoints["direction"]) == {"inbound", "outbound", "internal"}
    assert calls.str.count("\n").min() >= 4  # several speaker turns
    assert calls.nunique() == len(calls)
    emails = touchpoints[touchpoints["kind"] == "email"]["text"]
    assert emails.nunique() / len(emails) > 0.8


def test_nps_comments_cover_promoters_passives_and_detractors(book):
    surveys = book["surveys.csv"]

    assert surveys["nps_score"].between(0, 10).all()
    assert (surveys["nps_score"] >= 9).any() and surveys["nps_score"].between(7, 8).any()
    assert (surveys["nps_score"] <= 6).any()
    assert (surveys["comment"] == "").any() and surveys["comment"].nunique() > 100


def test_text_generators_are_deterministic_and_speak_about_the_topic():
    voice = text.Voice(name="Maria Lopez", title="Practice Manager", persona="practice_manager",
                       org="Cedar Valley Family Medicine", ehr="Cerner", csm="Priya Shah")

    first = [text.ticket(random.Random(s), text.Topic.EHR, voice) for s in range(50)]
    again = [text.ticket(random.Random(s), text.Topic.EHR, voice) for s in range(50)]
    thread = text.escalating_emails(random.Random(3), text.Topic.EHR, voice, 4)
    call = text.call_transcript(random.Random(4), text.Topic.COMPETITOR, voice, competitor="MedRelay")[1]

    assert first == again
    assert all("Cerner" in subject + body for subject, body in first)
    assert len({body for _, body in first}) == 50
    assert [s.count("RE: ") for s, _ in thread] == [0, 1, 2, 3]
    assert "MedRelay" in call and "Priya Shah (CSM)" in call and "Maria Lopez (Practice Manager)" in call
    assert len(COMPETITORS) >= 5


def test_usage_is_built_without_a_python_loop_per_row():
    # A book of 1000 accounts has hundreds of thousands of usage rows; the numpy path keeps it fast.
    started = time.perf_counter()
    frames = generate_book(accounts=1000, seed=9, as_of=AS_OF, csm_emails=[])

    assert len(frames["ravenstack_feature_usage.csv"]) > 500_000
    assert time.perf_counter() - started < 20
    assert generator.USAGE_CHUNK >= 500


# --- Users and the command --------------------------------------------------------------------------

@pytest.mark.django_db
def test_demo_users_exist_with_their_roles_and_password():
    first = ensure_demo_users()
    second = ensure_demo_users()

    assert first == second
    assert [(u, r) for u, r, _ in first] == [("manager", "Manager"), ("admin", "Admin"), ("csm1", "CSM"),
                                             ("csm2", "CSM"), ("csm3", "CSM")]
    assert m.User.objects.filter(username__in=["manager", "admin", "csm1", "csm2", "csm3"]).count() == 5
    for username, role, password in first:
        user = m.User.objects.get(username=username)
        assert user.role == role and user.is_staff and user.check_password(password)
        assert user.email == f"{username}@demo.healthcs.local"
        assert user.groups.count() == 1
    assert m.User.objects.get(username="admin").is_superuser
    assert not m.User.objects.get(username="csm1").is_superuser
    assert first[0][2] == DEMO_PASSWORD


def _run_seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_imports_the_book_and_a_second_run_changes_nothing():
    output = _run_seed_demo("--accounts", "40", "--seed", "3", "--as-of", "2025-03-14")
    frames = generate_book(accounts=40, seed=3, as_of=AS_OF, csm_emails=[u.email for u in DEMO_CSMS],
                           csm_names={u.email: u.full_name for u in DEMO_CSMS})
    pending = pending_churners(frames, AS_OF)
    helped = treated_on_time(account_ids=list(pending["account_id"]))
    frames = apply_fates(frames, *draw_fates(pending, 3, helped))
    frames.pop(generator.PLAN_KEY)

    counts = {
        "ravenstack_accounts.csv": m.Account.objects.count(),
        "ravenstack_subscriptions.csv": m.Subscription.objects.count(),
        "ravenstack_feature_usage.csv": m.UsageRecord.objects.count(),
        "ravenstack_support_tickets.csv": m.SupportTicket.objects.count(),
        "ravenstack_churn_events.csv": m.ChurnEvent.objects.count(),
        "contacts.csv": m.Contact.objects.count(),
        "touchpoints.csv": m.Touchpoint.objects.count(),
        "surveys.csv": m.SurveyResponse.objects.count(),
        "invoices.csv": m.Invoice.objects.count(),
    }
    assert counts == {name: len(frame) for name, frame in frames.items()}
    assert "csm1" in output and DEMO_PASSWORD in output and "Demo book ready" in output
    books = m.Account.objects.values_list("csm__username", flat=True)
    assert set(books) == {"csm1", "csm2", "csm3"}
    scenarios = set(m.Account.objects.values_list("scenario", flat=True))
    assert set(CHURN_SCENARIOS) <= scenarios

    again = _run_seed_demo("--accounts", "40", "--seed", "3", "--as-of", "2025-03-14")

    table_lines = [line for line in again.splitlines() if " rows (" in line]
    assert len(table_lines) == len([f for f in frames.values() if not f.empty])
    assert all("(0 new, 0 updated" in line for line in table_lines), table_lines
    assert m.Account.objects.count() == 40
    runs = list(m.ImportRun.objects.order_by("pk").values_list("source", "status"))
    first = ("seed_demo --accounts 40 --seed 3", m.ImportStatus.SUCCEEDED)
    assert runs == [first] * 2  # the fates were written by imports of the decided rows, not as runs of their own


@pytest.mark.django_db
def test_seed_demo_can_only_write_the_csv_files(tmp_path):
    output = _run_seed_demo("--accounts", "25", "--seed", "4", "--as-of", "2025-03-14",
                            "--write-csv", str(tmp_path), "--no-import")

    frames = generate_book(accounts=25, seed=4, as_of=AS_OF, csm_emails=[u.email for u in DEMO_CSMS],
                           csm_names={u.email: u.full_name for u in DEMO_CSMS})
    frames = apply_fates(frames, *draw_fates(pending_churners(frames, AS_OF), 4, {}))  # nobody acted
    assert (tmp_path / "ravenstack_accounts.csv").read_bytes() == book_to_csv_bytes(frames)["ravenstack_accounts.csv"]
    assert m.Account.objects.count() == 0
    assert "Wrote" in output


@pytest.mark.django_db
def test_seed_demo_fails_with_the_problems_when_the_book_does_not_validate(monkeypatch):
    real = generator.generate_book

    def broken(**kwargs):
        frames = real(**kwargs)
        frames["ravenstack_accounts.csv"].loc[0, "seats"] = -5
        return frames

    monkeypatch.setattr("workspace.management.commands.seed_demo.generate_book", broken)
    err = io.StringIO()

    with pytest.raises(CommandError, match="not imported"):
        call_command("seed_demo", "--accounts", "20", "--as-of", "2025-03-14", stdout=io.StringIO(), stderr=err)

    assert "ravenstack_accounts.csv, row 2, seats" in err.getvalue()
    assert m.Account.objects.count() == 0


# --- Signals precede churn (issue 15) ---------------------------------------------------------------

def test_planned_churners_show_their_pattern_30_to_90_days_before_the_churn(book):
    planted = book[generator.PLAN_KEY]
    churners = planted[planted["planned_churn"].notna() & planted["scenario"].isin(CHURN_SCENARIOS)]
    lead = (churners["planned_churn"] - churners["signal_start"]).dt.days

    assert len(churners) >= 30
    assert lead.between(30, 90).all()
    assert lead.std() > 10  # varied, not one fixed lead
    # Churners without any warning (no planted pattern) exist too, and churn dates spread over the year.
    quiet = planted[planted["planned_churn"].notna() & ~planted["scenario"].isin(CHURN_SCENARIOS)]
    assert len(quiet) >= 3
    assert churners["planned_churn"].dt.to_period("M").nunique() >= 6


def test_decoys_show_a_pattern_and_recover_without_churning(book):
    planted = book[generator.PLAN_KEY]
    decoys = planted[planted["recovers"]]
    daily = _daily_usage(book)

    assert len(decoys) >= 5
    assert decoys["planned_churn"].isna().all()
    outcomes = book["ravenstack_accounts.csv"].set_index("account_id").loc[decoys["account_id"], "outcome"]
    assert (outcomes != "churned").all()
    fell = recovered = 0
    for decoy in decoys[decoys["scenario"].isin(["usage_cliff", "champion_left", "silent"])].itertuples():
        usage = daily.loc[decoy.account_id]
        before = usage[(usage.index > decoy.anchor - pd.Timedelta(days=90))
                       & (usage.index <= decoy.anchor - pd.Timedelta(days=60))].mean()
        at = usage[(usage.index > decoy.anchor - pd.Timedelta(days=3)) & (usage.index <= decoy.anchor)].mean()
        after = usage[(usage.index > decoy.anchor + pd.Timedelta(days=25))
                      & (usage.index <= decoy.anchor + pd.Timedelta(days=39))].mean()
        fell += at < 0.8 * before
        recovered += after > 0.9 * before
    assert fell >= 1 and recovered >= fell


def test_a_year_of_history_with_core_usage_before_the_detailed_window(book):
    usage = book["ravenstack_feature_usage.csv"]
    age = (AS_OF_TS - usage["usage_date"]).dt.days

    assert age.max() == generator.HISTORY_DAYS - 1
    assert set(usage[age >= USAGE_DAYS]["feature_name"].astype(str)) <= set(generator.CORE_FEATURES)
    tickets = book["ravenstack_support_tickets.csv"]
    assert (AS_OF_TS - tickets["submitted_at"]).dt.days.max() > 300


def test_timely_help_saves_a_planned_churner_far_more_often_than_none():
    pending = pd.DataFrame({"account_id": [f"ACC-{n:05d}" for n in range(2000)],
                            "planned_churn": pd.Timestamp(AS_OF)})
    helped = {a: AS_OF - dt.timedelta(days=20) for a in pending["account_id"][:1000]}
    helped_too_late = {a: AS_OF for a in pending["account_id"][:1000]}

    lost, saved = draw_fates(pending, 42, helped)
    late_lost, late_saved = draw_fates(pending, 42, helped_too_late)

    assert set(lost) | set(saved) == set(pending["account_id"]) and not set(lost) & set(saved)
    share_helped = sum(a in saved for a in helped) / 1000
    share_alone = sum(a not in helped for a in saved) / 1000
    assert share_helped == pytest.approx(0.70, abs=0.05) and share_alone == pytest.approx(0.10, abs=0.03)
    assert all(saved[a] == AS_OF - dt.timedelta(days=20) for a in helped if a in saved)  # recovery starts then
    assert all(day == AS_OF for day in lost.values())
    assert len(late_saved) / 2000 == pytest.approx(0.10, abs=0.03)  # help on the churn day is too late
    assert draw_fates(pending, 42, helped) == (lost, saved)  # deterministic for a seed


def test_a_saved_account_uses_the_product_again_and_a_lost_one_stops(book):
    pending = pending_churners(book, AS_OF)
    cliffs = pending[pending["scenario"] == "usage_cliff"]
    assert len(cliffs) >= 2
    lost_id, saved_id = cliffs["account_id"].iloc[0], cliffs["account_id"].iloc[1]
    churn_day = cliffs["planned_churn"].iloc[0].date()
    saved_from = cliffs["planned_churn"].iloc[1].date() - dt.timedelta(days=30)
    decided = apply_fates(book, {lost_id: churn_day}, {saved_id: saved_from})
    before, after = _daily_usage(book), _daily_usage(decided)

    assert after.loc[lost_id].index.max() == pd.Timestamp(churn_day)
    late = after.loc[saved_id][after.loc[saved_id].index > pd.Timestamp(saved_from + dt.timedelta(days=25))]
    assert late.sum() > 3 * before.loc[saved_id][late.index].sum()
    assert set(decided["ravenstack_churn_events.csv"]["account_id"]) == {lost_id}
    subs = decided["ravenstack_subscriptions.csv"]
    assert subs[subs["account_id"] == lost_id]["end_date"].notna().all()
    assert (decided["touchpoints.csv"].query("account_id == @lost_id")["occurred_at"]
            < pd.Timestamp(churn_day) + pd.Timedelta(days=1)).all()
