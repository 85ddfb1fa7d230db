"""The held-out book (bench/heldout): deterministic, in the documented import format, with fates that
follow their warning signs and a realistic 90-day churn rate. No database needed."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from bench.heldout.book import BookWriter, write_book

CUTOFF = dt.date(2026, 6, 30)

# The columns docs/import-format.md documents for each import file (optional ones included), in file order.
DOCUMENTED = {
    "ravenstack_accounts.csv": "account_id,account_name,industry,country,signup_date,referral_source,plan_tier,seats,"
                               "is_trial,churn_flag,segment,ehr_system,renewal_date,csm_email,onboarding_completed_pct",
    "ravenstack_subscriptions.csv": "subscription_id,account_id,start_date,end_date,plan_tier,seats,mrr_amount,"
                                    "arr_amount,is_trial,upgrade_flag,downgrade_flag,churn_flag,billing_frequency,"
                                    "auto_renew_flag",
    "ravenstack_feature_usage.csv": "usage_id,subscription_id,usage_date,feature_name,usage_count,"
                                    "usage_duration_secs,error_count,is_beta_feature",
    "ravenstack_support_tickets.csv": "ticket_id,account_id,submitted_at,closed_at,resolution_time_hours,priority,"
                                      "first_response_time_minutes,satisfaction_score,escalation_flag,subject,body",
    "ravenstack_churn_events.csv": "churn_event_id,account_id,churn_date,reason_code,refund_amount_usd,"
                                   "preceding_upgrade_flag,preceding_downgrade_flag,is_reactivation,feedback_text",
    "contacts.csv": "contact_id,account_id,name,email,title,role,is_active,left_date",
    "touchpoints.csv": "touchpoint_id,account_id,occurred_at,kind,direction,contact_id,subject,text",
    "surveys.csv": "survey_id,account_id,contact_id,responded_at,nps_score,comment",
    "invoices.csv": "invoice_id,account_id,due_date,amount,status,paid_at",
    "truth.csv": "account_id,churn_date,archetype,segment,signal_kinds,first_signal_date,decoy_kinds",
}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200-account book, written once for the module."""
    out = tmp_path_factory.mktemp("heldout") / "seed7"
    write_book(out, 200, 7, CUTOFF)
    return out


def _read(book: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(book / name, dtype=str, keep_default_na=False)


def test_it_is_deterministic_for_a_seed(book: Path, tmp_path: Path) -> None:
    write_book(tmp_path / "again", 200, 7, CUTOFF)
    other_seed = [c.name for c in BookWriter(200, 8, CUTOFF).draw_customers()]

    for name in DOCUMENTED:
        assert (tmp_path / "again" / name).read_bytes() == (book / name).read_bytes(), name
    assert other_seed != _read(book, "ravenstack_accounts.csv")["account_name"].tolist()


def test_every_file_has_the_documented_columns(book: Path) -> None:
    assert sorted(p.name for p in book.iterdir()) == sorted(DOCUMENTED)
    for name, header in DOCUMENTED.items():
        assert (book / name).read_text(encoding="utf-8").splitlines()[0] == header, name
        assert len(_read(book, name)) > 0, name


def test_about_fifteen_percent_of_accounts_have_no_csm(book: Path) -> None:
    accounts = _read(book, "ravenstack_accounts.csv")

    assert 0.08 <= (accounts["csm_email"] == "").mean() <= 0.22
    assert set(accounts["segment"]) == {"SMB", "Mid-Market", "Enterprise"}


def test_churners_leave_after_their_first_signal_and_nothing_follows(book: Path) -> None:
    truth = _read(book, "truth.csv")
    events = _read(book, "ravenstack_churn_events.csv")
    churners = truth[truth["churn_date"] != ""]
    warned = churners[churners["first_signal_date"] != ""]

    assert set(events["account_id"]) == set(churners["account_id"])
    dated = events.merge(churners, on="account_id", suffixes=("_event", ""))
    assert (dated["churn_date_event"] == dated["churn_date"]).all()
    assert len(warned) > 0 and (warned["first_signal_date"] < warned["churn_date"]).all()
    assert (truth.loc[truth["churn_date"] == "", "first_signal_date"] == "").all()

    subs = _read(book, "ravenstack_subscriptions.csv").merge(churners[["account_id", "churn_date"]])
    assert (subs.loc[subs["churn_flag"] == "True", "end_date"] == subs.loc[subs["churn_flag"] == "True",
                                                                            "churn_date"]).all()
    assert (subs["end_date"] != "").all() and (subs["end_date"] <= subs["churn_date"]).all()
    usage = _read(book, "ravenstack_feature_usage.csv").merge(subs[["subscription_id", "churn_date"]])
    tickets = _read(book, "ravenstack_support_tickets.csv").merge(churners[["account_id", "churn_date"]])
    assert (usage["usage_date"] < usage["churn_date"]).all()
    assert (tickets["submitted_at"].str[:10] < tickets["churn_date"]).all()
    flags = _read(book, "ravenstack_accounts.csv").set_index("account_id")["churn_flag"]
    assert (flags[churners["account_id"]] == "True").all() and (flags == "True").sum() == len(churners)


def test_two_to_seven_percent_of_live_accounts_churn_within_90_days(book: Path) -> None:
    truth = _read(book, "truth.csv").merge(_read(book, "ravenstack_accounts.csv")[["account_id", "signup_date"]])
    cut, horizon = CUTOFF.isoformat(), (CUTOFF + dt.timedelta(days=90)).isoformat()
    live = truth[(truth["signup_date"] <= cut) & ((truth["churn_date"] == "") | (truth["churn_date"] > cut))]

    rate = ((live["churn_date"] != "") & (live["churn_date"] <= horizon)).mean()

    assert 0.02 <= rate <= 0.07
    assert ((truth["churn_date"] != "") & (truth["churn_date"] <= cut)).sum() > 0  # history has churn too
