"""Optional tables (contacts, touchpoints, surveys, invoices) and optional account columns."""

import datetime as dt

import pytest

from accounts import models as m
from accounts.importing.services import import_files
from tests.importing import database_fingerprint

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    b"account_id,account_name,industry,country,signup_date,referral_source,plan_tier,seats,is_trial,"
    b"churn_flag,segment,ehr_system,renewal_date,csm_email,onboarding_completed_pct\n"
    b"A-1,Cedar Valley Family Medicine,Primary care,US,2024-02-01,partner,Pro,25,False,False,"
    b"mid-market,Epic,2025-03-31,Casey@Example.org,82.5\n"
)
FILES = {
    "ravenstack_accounts.csv": ACCOUNTS,
    "contacts.csv": b"contact_id,account_id,name,email,title,role,is_active,left_date\n"
                    b"P-1,A-1,Dana Whitfield,dana@cvfm.org,Practice Manager,champion,False,2024-11-02\n"
                    b"P-2,A-1,Dr. Omar Haddad,omar@cvfm.org,Medical Director,executive_sponsor,True,\n",
    "touchpoints.csv": b"touchpoint_id,account_id,occurred_at,kind,direction,contact_id,subject,text\n"
                       b"TP-1,A-1,2024-12-02 15:30:00,call,outbound,P-2,Check-in,\"Omar: the Epic feed\n"
                       b"dropped again on Friday.\"\n"
                       b"TP-2,A-1,2024-12-05T09:00:00,QBR,outbound,,Q4 review,Went well\n",
    "surveys.csv": b"survey_id,account_id,contact_id,responded_at,nps_score,comment\n"
                   b"N-1,A-1,P-2,2024-12-10,9,Scheduling saves our front desk hours every week\n",
    "invoices.csv": b"invoice_id,account_id,due_date,amount,status,paid_at\n"
                    b"I-1,A-1,2024-12-01,2500.00,failed,\n"
                    b"I-2,A-1,2024-11-01,2500,paid,2024-11-03 10:00:00\n",
}


def test_it_imports_optional_tables_and_columns(csm):
    result = import_files(FILES)

    assert result.ok, [str(p) for p in result.problems]
    account = m.Account.objects.get(external_id="A-1")
    assert (account.segment, account.ehr_system, account.csm, str(account.onboarding_completed_pct)) == (
        "Mid-Market", "Epic", csm, "82.50")
    assert account.renewal_date == dt.date(2025, 3, 31)
    champion = m.Contact.objects.get(external_id="P-1")
    assert (champion.role, champion.is_active, champion.left_date) == ("champion", False, dt.date(2024, 11, 2))
    call = m.Touchpoint.objects.get(external_id="TP-1")
    assert call.contact.external_id == "P-2"
    assert call.text == "Omar: the Epic feed\ndropped again on Friday."
    assert m.Touchpoint.objects.get(external_id="TP-2").kind == "qbr"
    assert m.SurveyResponse.objects.get(external_id="N-1").nps_score == 9
    assert sorted(m.Invoice.objects.values_list("external_id", "status")) == [("I-1", "failed"), ("I-2", "paid")]


def test_a_file_without_an_optional_column_keeps_what_is_stored(csm):
    import_files(FILES)
    plain = (b"account_id,account_name,industry,country,signup_date,referral_source,plan_tier,seats,"
             b"is_trial,churn_flag\n"
             b"A-1,Cedar Valley Family Medicine,Primary care,US,2024-02-01,partner,Pro,30,False,False\n")

    result = import_files({"ravenstack_accounts.csv": plain})

    assert result.ok
    account = m.Account.objects.get(external_id="A-1")
    assert (account.seats, account.csm, account.ehr_system) == (30, csm, "Epic")


def test_a_problem_after_a_multiline_value_names_the_right_line(csm):
    files = dict(FILES)
    files["touchpoints.csv"] = FILES["touchpoints.csv"] + b"TP-3,A-1,yesterday,call,outbound,,x,y\n"

    result = import_files(files)

    assert [str(p) for p in result.problems] == [
        "touchpoints.csv, row 5, occurred_at: 'yesterday' is not a date and time "
        "(YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
    ]
    assert database_fingerprint()["Touchpoint"] == []


def test_an_unknown_csm_email_is_refused():
    result = import_files({"ravenstack_accounts.csv": ACCOUNTS})

    assert [str(p) for p in result.problems] == [
        "ravenstack_accounts.csv, row 2, csm_email: no HealthCS user has the e-mail 'Casey@Example.org'"
    ]
    assert not m.Account.objects.exists()


def test_nps_outside_0_to_10_is_refused(csm):
    files = dict(FILES)
    files["surveys.csv"] = b"survey_id,account_id,contact_id,responded_at,nps_score,comment\nN-1,A-1,,2024-12-10,11,\n"

    result = import_files(files)

    assert [str(p) for p in result.problems] == [
        "surveys.csv, row 2, nps_score: '11' must be between 0 and 10"
    ]
    assert not m.Account.objects.exists()
