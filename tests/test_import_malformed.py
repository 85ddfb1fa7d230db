"""Malformed input: each case gets a clear `file, row, column: message` and writes nothing."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from accounts import models as m
from accounts.importing.services import import_files
from tests.importing import (
    ACCOUNTS_HEADER,
    SUBSCRIPTIONS_HEADER,
    USAGE_HEADER,
    csv_bytes,
    database_fingerprint,
    ravenstack_files,
)

pytestmark = pytest.mark.django_db

GOOD_ACCOUNT = "A-1,Cedar Valley Family Medicine,Primary care,US,2024-02-01,partner,Pro,25,False,False"
GOOD_SUBSCRIPTION = "S-1,A-1,2024-02-01,,Pro,25,1200,14400,False,False,False,False,monthly,True"


@pytest.fixture(scope="module")
def ravenstack_book(django_db_setup, django_db_blocker):
    """The RavenStack book imported once for the module (each test runs in a transaction rolled back after it),
    with its fingerprint; removed again when the module is done."""
    with django_db_blocker.unblock():
        import_files(ravenstack_files())
        fingerprint = database_fingerprint()
    yield fingerprint
    with django_db_blocker.unblock():
        m.Account.objects.all().delete()  # everything imported hangs off its account


@pytest.fixture
def stored(ravenstack_book):
    """A database that already holds the RavenStack book; refused imports must leave it as it is."""
    return ravenstack_book


@pytest.fixture
def empty(db):
    """No customer data, whether or not the module's book was imported before this test (rolled back after it)."""
    m.Account.objects.all().delete()


def messages(files: dict[str, bytes]) -> list[str]:
    result = import_files(files)
    assert not result.ok
    return [str(p) for p in result.problems]


def test_a_semicolon_file_is_refused(stored):
    text = csv_bytes(ACCOUNTS_HEADER.replace(",", ";"), GOOD_ACCOUNT.replace(",", ";"))

    assert messages({"ravenstack_accounts.csv": text}) == [
        "ravenstack_accounts.csv, row 1, -: the columns are separated by semicolons; "
        "files must be comma-separated"
    ]
    assert database_fingerprint() == stored


def test_a_binary_file_is_refused(stored):
    assert messages({"ravenstack_accounts.csv": b"PK\x03\x04\x00\x00binary\x00junk"}) == [
        "ravenstack_accounts.csv, row -, -: this is a binary file, not a CSV text file"
    ]
    assert database_fingerprint() == stored


def test_a_file_that_is_not_utf8_is_refused(stored):
    text = csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT.replace("Cedar", "C\xe9dar")).replace(b"\xc3\xa9", b"\xe9")

    assert messages({"ravenstack_accounts.csv": text}) == [
        "ravenstack_accounts.csv, row 2, -: the file is not UTF-8 text (binary content?)"
    ]
    assert database_fingerprint() == stored


def test_an_empty_file_is_refused(stored):
    assert messages({"ravenstack_accounts.csv": b""}) == [
        "ravenstack_accounts.csv, row -, -: the file is empty"
    ]
    assert database_fingerprint() == stored


def test_a_header_only_file_is_refused(stored):
    assert messages({"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER)}) == [
        "ravenstack_accounts.csv, row 2, -: the file has a header but no data rows"
    ]
    assert database_fingerprint() == stored


def test_unknown_and_missing_columns_are_refused(stored):
    header = ACCOUNTS_HEADER.replace("seats", "licenses")

    assert messages({"ravenstack_accounts.csv": csv_bytes(header, GOOD_ACCOUNT)}) == [
        "ravenstack_accounts.csv, row 1, licenses: unknown column (expected: account_id, account_name, "
        "industry, country, signup_date, referral_source, plan_tier, seats, is_trial, churn_flag, segment, "
        "ehr_system, renewal_date, csm_email, onboarding_completed_pct, scenario, outcome)",
        "ravenstack_accounts.csv, row 1, seats: required column is missing",
    ]
    assert database_fingerprint() == stored


def test_duplicated_keys_are_refused(stored):
    text = csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT, GOOD_ACCOUNT.replace("A-1", "A-2"), GOOD_ACCOUNT)

    assert messages({"ravenstack_accounts.csv": text}) == [
        "ravenstack_accounts.csv, row 4, account_id: duplicate account_id 'A-1' (first on row 2)"
    ]
    assert database_fingerprint() == stored


def test_a_usage_id_repeated_within_one_subscription_is_a_duplicate(stored):
    row = "U-1,S-8cec59,2024-01-02,scheduling,3,60,0,False"
    text = csv_bytes(USAGE_HEADER, row, row.replace("scheduling", "billing"))

    assert messages({"ravenstack_feature_usage.csv": text}) == [
        "ravenstack_feature_usage.csv, row 3, usage_id: duplicate subscription_id + usage_id "
        "'S-8cec59 / U-1' (first on row 2)"
    ]
    assert database_fingerprint() == stored


def test_bad_dates_are_refused(stored):
    rows = [GOOD_SUBSCRIPTION.replace("2024-02-01", "2024-13-01"),
            GOOD_SUBSCRIPTION.replace("S-1", "S-2").replace("2024-02-01", "01/02/2024")]
    files = {"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT),
             "ravenstack_subscriptions.csv": csv_bytes(SUBSCRIPTIONS_HEADER, *rows)}

    assert messages(files) == [
        "ravenstack_subscriptions.csv, row 2, start_date: '2024-13-01' is not a date (YYYY-MM-DD)",
        "ravenstack_subscriptions.csv, row 3, start_date: '01/02/2024' is not a date (YYYY-MM-DD)",
    ]
    assert database_fingerprint() == stored


def test_negative_mrr_is_refused(stored):
    files = {"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT),
             "ravenstack_subscriptions.csv": csv_bytes(
                 SUBSCRIPTIONS_HEADER, GOOD_SUBSCRIPTION.replace(",1200,", ",-1200,"))}

    assert messages(files) == [
        "ravenstack_subscriptions.csv, row 2, mrr_amount: '-1200' must not be negative"
    ]
    assert database_fingerprint() == stored


def test_orphans_are_refused(stored):
    files = {"ravenstack_subscriptions.csv": csv_bytes(
        SUBSCRIPTIONS_HEADER, GOOD_SUBSCRIPTION.replace("A-1", "A-missing"),
        GOOD_SUBSCRIPTION.replace("S-1", "S-2").replace("A-1", "A-3c1a3f"))}

    assert messages(files) == [
        "ravenstack_subscriptions.csv, row 2, account_id: unknown account_id 'A-missing' "
        "(not in ravenstack_accounts.csv nor already imported)"
    ]
    assert database_fingerprint() == stored


def test_every_problem_of_every_file_is_reported_not_only_the_first(stored):
    files = ravenstack_files()
    files["ravenstack_accounts.csv"] = files["ravenstack_accounts.csv"].replace(
        b"A-2e4581,Company_0,EdTech,US,2024-10-16,partner,Basic,9,False,False",
        b"A-2e4581,Company_0,EdTech,US,2024-10-16,partner,Basic,nine,maybe,False")
    files["ravenstack_support_tickets.csv"] = files["ravenstack_support_tickets.csv"].replace(
        b"T-0024de,A-712f1c,2023-07-27,2023-07-28 03:00:00,27.0,high,74,,False",
        b"T-0024de,A-712f1c,2023-07-27,2023-07-28 03:00:00,27.0,critical,74,7,False")

    assert messages(files) == [
        "ravenstack_accounts.csv, row 2, seats: 'nine' is not a whole number",
        "ravenstack_accounts.csv, row 2, is_trial: 'maybe' is not True or False",
        "ravenstack_support_tickets.csv, row 2, priority: 'critical' is not one of: low, medium, high, urgent",
        "ravenstack_support_tickets.csv, row 2, satisfaction_score: '7' must be between 1 and 5",
    ]
    assert database_fingerprint() == stored


def test_a_row_with_too_many_values_is_refused(stored):
    text = csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT, GOOD_ACCOUNT.replace("A-1", "A-2") + ",extra")

    assert messages({"ravenstack_accounts.csv": text}) == [
        "ravenstack_accounts.csv, row 3, -: expected 10 values (one per column of the header), found 11; a value "
        "that holds a comma must be in double quotes"
    ]
    assert database_fingerprint() == stored


def test_an_unknown_file_name_is_refused(stored):
    assert messages({"customers.csv": csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT)})[0].startswith(
        "customers.csv, row -, -: unknown file name (expected one of: ravenstack_accounts.csv,"
    )
    assert database_fingerprint() == stored


def test_an_error_in_one_file_blocks_the_others(stored):
    files = {"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT),
             "ravenstack_subscriptions.csv": csv_bytes(
                 SUBSCRIPTIONS_HEADER, GOOD_SUBSCRIPTION.replace("monthly,True", "monthly,perhaps"))}

    assert messages(files) == [
        "ravenstack_subscriptions.csv, row 2, auto_renew_flag: 'perhaps' is not True or False"
    ]
    assert not m.Account.objects.filter(external_id="A-1").exists()
    assert database_fingerprint() == stored


def test_the_command_exits_non_zero_and_lists_the_problems(stored, tmp_path, capsys):
    (tmp_path / "ravenstack_accounts.csv").write_bytes(
        csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT.replace("2024-02-01", "2024-02-30")))

    with pytest.raises(CommandError, match=r"nothing was imported: 1 problem\(s\)"):
        call_command("import_data", str(tmp_path))

    assert "ravenstack_accounts.csv, row 2, signup_date: '2024-02-30' is not a date (YYYY-MM-DD)" in (
        capsys.readouterr().err)
    assert database_fingerprint() == stored
    assert m.ImportRun.objects.get().status == m.ImportStatus.FAILED


def test_the_command_imports_a_zip(tmp_path, empty):
    archive = tmp_path / "book.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/ravenstack_accounts.csv", csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT))
        zf.writestr("export/notes.txt", b"hello")

    with pytest.raises(CommandError):
        call_command("import_data", str(archive))
    assert not m.Account.objects.exists()

    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/ravenstack_accounts.csv", csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT))
    call_command("import_data", str(archive), stdout=io.StringIO())
    assert m.Account.objects.get().name == "Cedar Valley Family Medicine"


def test_values_with_surrounding_spaces_and_whole_floats_are_accepted(empty):
    row = " A-1 , Cedar Valley Family Medicine ,Primary care,US, 2024-02-01 ,partner,Pro, 25.0 , true ,FALSE"

    result = import_files({"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, row)})

    assert result.ok, [str(p) for p in result.problems]
    account = m.Account.objects.get(external_id="A-1")
    assert (account.name, str(account.signup_date), account.seats, account.is_trial, account.churned) == (
        "Cedar Valley Family Medicine", "2024-02-01", 25, True, False)


@pytest.mark.parametrize("seats", ["99999999999", "100000000000000000000", "-100000000000000000000",
                                   "1" * 400, "100000000000000000000.0"])
def test_whole_numbers_out_of_the_databases_range_say_the_range(stored, seats):
    row = GOOD_ACCOUNT.replace(",25,", f",{seats},")

    assert messages({"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, row)}) == [
        f"ravenstack_accounts.csv, row 2, seats: '{seats if len(seats) <= 40 else seats[:39] + '…'}' is out of "
        "range: seats must be a whole number from 0 to 2147483647"
    ]
    assert database_fingerprint() == stored


@pytest.mark.parametrize("amount", ["1e30", "1000000000000", "-1e13"])
def test_amounts_out_of_the_databases_range_say_the_range(stored, amount):
    files = {"ravenstack_accounts.csv": csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT),
             "ravenstack_subscriptions.csv": csv_bytes(
                 SUBSCRIPTIONS_HEADER, GOOD_SUBSCRIPTION.replace(",1200,", f",{amount},"))}

    assert messages(files) == [
        f"ravenstack_subscriptions.csv, row 2, mrr_amount: '{amount}' is out of range: mrr_amount must be a number "
        "from 0 to 999999999999.99"
    ]
    assert database_fingerprint() == stored


def test_a_row_with_too_few_values_says_how_to_fix_it(stored):
    text = csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT, "A-2,Harbor Pediatrics")

    assert messages({"ravenstack_accounts.csv": text}) == [
        "ravenstack_accounts.csv, row 3, -: expected 10 values (one per column of the header), found 2; every row "
        "needs a value, possibly empty, for each column"
    ]
    assert database_fingerprint() == stored


UNCLOSED = ('the quote (") that opens this value is never closed, so the rest of the file would be read as this '
            'one value; add the closing quote, or write a quote inside a quoted value as two ("")')


@pytest.mark.parametrize(("row", "column"), [
    ('A-2,"Harbor Pediatrics,Primary care,US,2024-02-01,partner,Pro,25,False,False', "account_name"),
    ('A-2,Harbor Pediatrics,Primary care,US,2024-02-01,partner,Pro,25,False,"False', "churn_flag"),
], ids=["in-the-middle", "in-the-last-column"])
def test_an_unterminated_quote_is_named_with_its_row_and_column(stored, row, column):
    text = csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT, '"A-3","Lakeside ""North"" Clinic",Primary care,US,2024-02-01,'
                     'partner,Pro,25,False,False', row, GOOD_ACCOUNT.replace("A-1", "A-4"),
                     GOOD_ACCOUNT.replace("A-1", "A-5"))

    assert messages({"ravenstack_accounts.csv": text}) == [f"ravenstack_accounts.csv, row 4, {column}: {UNCLOSED}"]
    assert database_fingerprint() == stored


def test_quotes_inside_unquoted_values_are_still_accepted(empty):
    row = GOOD_ACCOUNT.replace("Cedar Valley Family Medicine", 'Cedar 5" Clinic').replace("A-1", "A-9")
    text = csv_bytes(ACCOUNTS_HEADER, row, '"A-10","Multi\nline",Primary care,US,2024-02-01,partner,Pro,25,False,'
                     'False')

    result = import_files({"ravenstack_accounts.csv": text})

    assert result.ok, [str(p) for p in result.problems]
    assert dict(m.Account.objects.values_list("external_id", "name")) == {
        "A-9": 'Cedar 5" Clinic', "A-10": "Multi\nline"}


TOO_LONG = ("the value is {size} MB long, more than the 1 MB one value may hold; shorten it (long texts belong in "
            "the product, not in an import file)")


@pytest.mark.parametrize("quote", ['', '"'], ids=["plain", "quoted"])
@pytest.mark.parametrize("megabytes", [1.5, 3])
def test_a_value_over_a_megabyte_is_named_with_its_row_and_column(stored, quote, megabytes):
    header = "survey_id,account_id,responded_at,nps_score,comment"
    comment = quote + "x" * int(megabytes * 1024 * 1024) + quote
    rows = [f"SV-{i},A-3c1a3f,2024-05-01,9,fine" for i in range(1, 4)]
    rows.insert(1, f"SV-9,A-3c1a3f,2024-05-01,9,{comment}")

    assert messages({"surveys.csv": csv_bytes(header, *rows)}) == [
        f"surveys.csv, row 3, comment: {TOO_LONG.format(size=f'{megabytes:g}')}"
    ]
    assert database_fingerprint() == stored
