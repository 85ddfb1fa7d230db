"""Helpers for import tests: the RavenStack files as bytes, and a fingerprint of every customer
table so that a test can assert that a refused import changed nothing."""

from pathlib import Path

from accounts import models as m

# A copy of the published RavenStack files (credit and quirks in its README) travels with the
# tests, so a checkout anywhere can run them.
RAVENSTACK_DIR = Path(__file__).resolve().parent / "data" / "ravenstack"
CUSTOMER_MODELS = (m.Account, m.Subscription, m.UsageRecord, m.SupportTicket, m.ChurnEvent,
                   m.Contact, m.Touchpoint, m.SurveyResponse, m.Invoice)


def ravenstack_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(RAVENSTACK_DIR.glob("*.csv"))}


def database_fingerprint() -> dict[str, list[tuple]]:
    """Every row of every customer table, ordered, as plain tuples."""
    return {
        model.__name__: sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields]))
        for model in CUSTOMER_MODELS
    }


ACCOUNTS_HEADER = ("account_id,account_name,industry,country,signup_date,referral_source,plan_tier,"
                   "seats,is_trial,churn_flag")
SUBSCRIPTIONS_HEADER = ("subscription_id,account_id,start_date,end_date,plan_tier,seats,mrr_amount,"
                        "arr_amount,is_trial,upgrade_flag,downgrade_flag,churn_flag,billing_frequency,"
                        "auto_renew_flag")
USAGE_HEADER = ("usage_id,subscription_id,usage_date,feature_name,usage_count,usage_duration_secs,"
                "error_count,is_beta_feature")


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()
