"""The contacts file's optional columns (docs/import-format.md): phone and sentiment, and the decision-maker
role; a file without them keeps what is stored; a bad sentiment or a too-long phone is refused."""

import pytest

from accounts import models as m
from accounts.importing.services import import_files
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

HEADER = b"contact_id,account_id,name,email,title,role,is_active,left_date"


def test_phone_sentiment_and_the_decision_maker_role_are_imported():
    AccountFactory(external_id="A-1")
    contacts = (HEADER + b",phone,sentiment\n"
                b"P-1,A-1,Dana Whitfield,dana@cvfm.org,Practice Manager,champion,True,,+1 555 010 2030,Positive\n"
                b"P-2,A-1,Omar Haddad,,Medical Director,decision_maker,True,,,\n")

    result = import_files({"contacts.csv": contacts})

    assert result.ok, [str(p) for p in result.problems]
    assert sorted(m.Contact.objects.values_list("external_id", "role", "phone", "sentiment")) == [
        ("P-1", "champion", "+1 555 010 2030", "positive"), ("P-2", "decision_maker", "", "")]


def test_a_file_without_the_new_columns_keeps_what_is_stored():
    AccountFactory(external_id="A-1")
    import_files({"contacts.csv": HEADER + b",phone,sentiment\nP-1,A-1,Dana,,,champion,True,,555 0102,negative\n"})

    result = import_files({"contacts.csv": HEADER + b"\nP-1,A-1,Dana Whitfield,,,champion,True,\n"})

    assert result.ok
    assert m.Contact.objects.values_list("name", "phone", "sentiment").get() == ("Dana Whitfield", "555 0102",
                                                                                 "negative")


def test_a_bad_sentiment_or_phone_is_refused_and_nothing_is_written():
    AccountFactory(external_id="A-1")
    contacts = (HEADER + b",phone,sentiment\n"
                b"P-1,A-1,Dana,,,champion,True,,+1 555 010 2030,ecstatic\n"
                b"P-2,A-1,Omar,,,user,True,," + b"9" * 33 + b",\n")

    result = import_files({"contacts.csv": contacts})

    assert [str(p) for p in result.problems] == [
        "contacts.csv, row 3, phone: '" + "9" * 33 + "' is longer than 32 characters",
        "contacts.csv, row 2, sentiment: 'ecstatic' is not one of: positive, neutral, negative",
    ]
    assert m.Contact.objects.count() == 0
