"""`manage.py analyze_texts IN.csv OUT.csv [--column NAME]` (docs/text-intelligence.md): every input row comes back
with its reading by the configured reader (with the competitor list in admin); the text column is named or picked; bad
input stops the command before anything is written."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from scoring.management.commands import analyze_texts
from scoring.texts.reader import ACTIONS, NAME, read
from scoring.texts.reading import Evidence, Facts, Reading
from scoring.texts.service import lexicon

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("migration_defaults")]  # the shipped competitors

ANALYSIS_COLUMNS = ["summary", "category", "sentiment", "sentiment_label", "churn_intent", "intent_phrase",
                    "competitor", "days_to_renewal", "recommended_action", "evidence", "analyser", "analysed_column"]
TICKETS = (
    "id,subject,body,created\n"
    "T-1,Renewal,\"We won't renew, the sync keeps failing.\",2024-01-02\n"
    "T-2,Wechsel,\"Wir wechseln zu CareLoop, bitte schicken Sie den Export.\",2024-01-03\n"
    "T-3,Thanks,Great support from Priya yesterday!,2024-01-04\n"
    "T-4,Empty,,2024-01-05\n"
)


@pytest.fixture(autouse=True)
def builtin_reader(settings):
    settings.ANALYSER_LLM_URL = ""  # the values below are the built-in reader's


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("analyze_texts", *args, stdout=out)
    return out.getvalue()


def reading_cells(text: str) -> dict[str, str]:
    """The output columns the built-in reader's reading of `text` gives, as the command writes them."""
    cells = analyze_texts.analysis_cells(read(text, lexicon()), "body")
    return dict(zip(ANALYSIS_COLUMNS, cells, strict=True))


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def test_every_row_comes_back_with_its_input_columns_and_its_analysis(tmp_path):
    source, target = write(tmp_path / "tickets.csv", TICKETS), tmp_path / "out.csv"

    output = run(str(source), str(target), "--column", "body")

    assert output.splitlines() == ["Analysing column 'body'", f"Wrote 4 rows to {target} (2 with churn intent)"]
    with open(target, newline="", encoding="utf-8") as written:
        assert next(csv.reader(written)) == ["id", "subject", "body", "created", *ANALYSIS_COLUMNS]
    rows = read_rows(target)
    assert [row["id"] for row in rows] == ["T-1", "T-2", "T-3", "T-4"]
    inputs = [("T-1", "Renewal", "We won't renew, the sync keeps failing.", "2024-01-02"),
              ("T-2", "Wechsel", "Wir wechseln zu CareLoop, bitte schicken Sie den Export.", "2024-01-03"),
              ("T-3", "Thanks", "Great support from Priya yesterday!", "2024-01-04"),
              ("T-4", "Empty", "", "2024-01-05")]
    for row, (ticket, subject, body, created) in zip(rows, inputs, strict=True):
        assert row == {"id": ticket, "subject": subject, "body": body, "created": created, **reading_cells(body)}
    assert {k: rows[0][k] for k in ("category", "sentiment_label", "churn_intent", "competitor", "analyser")} == {
        "category": "account_cancellation", "sentiment_label": "negative", "churn_intent": "yes", "competitor": "",
        "analyser": NAME}
    assert "renew" in rows[0]["intent_phrase"] and rows[0]["recommended_action"] == ACTIONS["account_cancellation"]
    assert f"churn_intent:{rows[0]['intent_phrase']}" in rows[0]["evidence"]
    assert {k: rows[1][k] for k in ("category", "churn_intent", "competitor", "days_to_renewal")} == {
        "category": "account_cancellation", "churn_intent": "yes", "competitor": "CareLoop", "days_to_renewal": ""}
    assert "competitor:CareLoop" in rows[1]["evidence"]
    assert rows[1]["recommended_action"].startswith(ACTIONS["account_cancellation"])
    assert {k: rows[2][k] for k in ("category", "sentiment_label", "churn_intent")} == {
        "category": "other", "sentiment_label": "positive", "churn_intent": "no"}
    assert {k: rows[3][k] for k in ("body", "summary", "category", "churn_intent", "evidence")} == {
        "body": "", "summary": "", "category": "other", "churn_intent": "no", "evidence": ""}


def test_without_column_the_most_text_like_column_is_picked_and_named(tmp_path):
    source, target = write(tmp_path / "tickets.csv", TICKETS), tmp_path / "out.csv"

    output = run(str(source), str(target))

    assert output.splitlines()[0] == "Analysing column 'body' (picked automatically: the most text-like column)"
    assert {row["analysed_column"] for row in read_rows(target)} == {"body"}
    assert read_rows(target)[0]["intent_phrase"] == reading_cells("We won't renew, the sync keeps failing.")[
        "intent_phrase"] != ""


def test_a_text_like_name_wins_over_a_slightly_longer_column(tmp_path):
    source = write(tmp_path / "notes.csv", (
        "account,internal_summary,comment\n"
        "A-1,Customer called about the invoice and the reminders,We will not renew this year\n"
        "A-2,Quarterly review went well and adoption is up,Thanks for the great training\n"))

    run(str(source), str(tmp_path / "out.csv"))

    assert read_rows(tmp_path / "out.csv")[0]["analysed_column"] == "comment"


def test_numbers_dates_and_single_words_are_never_picked(tmp_path):
    table = analyze_texts.read_table(write(tmp_path / "in.csv", (
        "when,score,status,feedback\n"
        "2024-01-02 10:00:00,1234567890.5,closed,ok thanks\n"
        "2024-01-03 11:30:00,1234567891.5,open,\n")))

    assert [analyze_texts.text_column_score(table, i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert analyze_texts.pick_text_column(table) == "feedback"


def test_the_configured_reader_reads_the_texts(tmp_path, monkeypatch):
    seen = []

    def llm(texts):
        seen.append(list(texts))
        return [Reading(summary=t[:5], category="billing", sentiment=-0.25, sentiment_label="negative",
                        churn_intent=False, intent_phrase="", competitors=["CareLoop", "MedRelay"],
                        recommended_action="Check it.", language="en", feature_request=False, case_study=False,
                        facts=Facts(days_to_renewal=30), evidence=[Evidence("category", "invoice", 0, 7)],
                        reader="llm-llama3.1") for t in texts]

    monkeypatch.setattr(analyze_texts, "read_texts", llm)
    source = write(tmp_path / "in.csv", "text\nInvoice wrong again\n=1+1 looks odd\n")

    run(str(source), str(tmp_path / "out.csv"))

    assert seen == [["Invoice wrong again", "=1+1 looks odd"]]
    rows = read_rows(tmp_path / "out.csv")
    assert [(r["summary"], r["analyser"], r["evidence"]) for r in rows] == [
        ("Invoi", "llm-llama3.1", "category:invoice"), ("'=1+1 ", "llm-llama3.1", "category:invoice")]
    assert {(r["competitor"], r["days_to_renewal"]) for r in rows} == {("CareLoop; MedRelay", "30")}
    assert rows[1]["text"] == "=1+1 looks odd"  # input columns pass through unchanged


def test_the_competitor_list_in_admin_is_used(tmp_path):
    from scoring.models import Competitor

    Competitor.objects.create(name="Zephyr Health")
    source = write(tmp_path / "in.csv", "text\nThe invoice mentions Zephyr Health and CareLoop.\n")

    run(str(source), str(tmp_path / "out.csv"))

    assert set(read_rows(tmp_path / "out.csv")[0]["competitor"].split("; ")) == {"Zephyr Health", "CareLoop"}


@pytest.mark.parametrize(("content", "message"), [
    (b"", r"is empty"),
    (b"\n\n", r"is empty"),
    (b"id,body\n", r"has a header but no rows"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", r"is not a CSV file \(it holds binary data\)"),
    (b"body\n\xff\xfe broken\n", r"is not a UTF-8 CSV file"),
    (b'id,body\n1,"never closed\n', r"is not a valid CSV file"),
    (b"id,body\n1,fine\n2,too,many,fields\n", r"line 3: 4 fields but the header has 2"),
    (b"body,body\nhello there,again here\n", r"'body' appear more than once"),
    (b"id,summary\n1,We want to cancel.\n", r"already has the column\(s\) summary"),
    (b"id,amount\n1,12.50\n2,13.00\n", r"No column holds text"),
])
def test_bad_input_is_a_command_error_and_nothing_is_written(tmp_path, content, message):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run(str(source), str(target))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_missing_input_file_is_a_command_error_and_nothing_is_written(tmp_path):
    with pytest.raises(CommandError, match=r"missing\.csv does not exist"):
        run(str(tmp_path / "missing.csv"), str(tmp_path / "out.csv"))

    assert list(tmp_path.iterdir()) == []


def test_a_named_column_that_does_not_exist_is_a_command_error_and_nothing_is_written(tmp_path):
    source = write(tmp_path / "tickets.csv", TICKETS)

    with pytest.raises(CommandError, match=r"has no column 'text'; its columns are: id, subject, body, created"):
        run(str(source), str(tmp_path / "out.csv"), "--column", "text")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["tickets.csv"]


def test_an_existing_output_file_is_left_alone_when_the_input_is_bad(tmp_path):
    target = write(tmp_path / "out.csv", "previous,run\n")
    source = write(tmp_path / "in.csv", "id,body\n")

    with pytest.raises(CommandError):
        run(str(source), str(target))

    assert target.read_text(encoding="utf-8") == "previous,run\n"


def test_an_output_folder_that_does_not_exist_is_a_command_error(tmp_path):
    source = write(tmp_path / "tickets.csv", TICKETS)

    with pytest.raises(CommandError, match=r"the folder .*nowhere does not exist"):
        run(str(source), str(tmp_path / "nowhere" / "out.csv"))


def test_a_byte_order_mark_and_blank_lines_are_read_as_excel_writes_them(tmp_path):
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeffbody\r\nWir werden den Vertrag kündigen.\r\n\r\n\"Alles gut, danke!\"\r\n".encode())

    run(str(source), str(tmp_path / "out.csv"))

    rows = read_rows(tmp_path / "out.csv")
    assert [(r["body"], r["churn_intent"]) for r in rows] == [
        ("Wir werden den Vertrag kündigen.", "yes"), ("Alles gut, danke!", "no")]
