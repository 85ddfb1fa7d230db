"""Zip uploads are expanded within limits: the declared sizes are checked before anything is read, the
members are read in chunks that stop at the cap, and a refusal says what is wrong and writes nothing."""

import io
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import models as m
from accounts.importing.services import read_zip
from tests.importing import ACCOUNTS_HEADER, csv_bytes, database_fingerprint

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
GOOD_ACCOUNT = "A-1,Cedar Valley Family Medicine,Primary care,US,2024-02-01,partner,Pro,25,False,False"


def accounts_csv(megabytes: float) -> bytes:
    """A valid accounts file of about this size whose rows differ (it compresses like real data)."""
    rows, size, index = [], 0, 0
    while size < megabytes * MB:
        row = GOOD_ACCOUNT.replace("A-1,", f"A-{index:08x},").replace("Cedar", f"Cedar {index * 7919:x}")
        rows.append(row)
        size += len(row) + 1
        index += 1
    return csv_bytes(ACCOUNTS_HEADER, *rows)


def zip_of_zeros(path: Path, member: str, megabytes: int) -> Path:
    """A zip bomb in miniature: one member of zeros, written in chunks (the test never holds it whole)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w") as out:
        for _ in range(megabytes):
            out.write(bytes(MB))
    return path


def lie_about_size(path: Path, declared: int) -> Path:
    """Rewrite the uncompressed size in the member's local and central headers: the zip now declares
    `declared` bytes while its data still expand to many megabytes."""
    raw = bytearray(path.read_bytes())
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, declared)
    struct.pack_into("<I", raw, central + 24, declared)
    path.write_bytes(bytes(raw))
    return path


@pytest.fixture
def small_limits(settings):
    settings.IMPORT_ZIP_MAX_UNCOMPRESSED_MB = 1
    settings.IMPORT_ZIP_MAX_RATIO = 100


# read_zip ---------------------------------------------------------------------------------------------

def test_a_zip_that_declares_more_than_the_cap_is_refused_before_anything_is_read(small_limits, tmp_path):
    path = tmp_path / "book.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/ravenstack_accounts.csv", accounts_csv(2.5))

    tracemalloc.start()
    files, problems = read_zip("book.zip", path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert files == {}
    assert [str(p) for p in problems] == [
        "book.zip, row -, -: the zip expands to 2.5 MB, more than the 1 MB limit; split the files into "
        "several smaller zips (an administrator can raise IMPORT_ZIP_MAX_UNCOMPRESSED_MB)"
    ]
    assert peak < MB  # nothing was expanded


def test_a_member_that_expands_far_more_than_csv_text_does_is_refused(settings, tmp_path):
    settings.IMPORT_ZIP_MAX_UNCOMPRESSED_MB = 200
    settings.IMPORT_ZIP_MAX_RATIO = 100
    path = zip_of_zeros(tmp_path / "bomb.zip", "ravenstack_accounts.csv", 20)
    compressed = zipfile.ZipFile(path).getinfo("ravenstack_accounts.csv").compress_size

    tracemalloc.start()
    files, problems = read_zip("bomb.zip", path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert files == {}
    assert [str(p) for p in problems] == [
        f"bomb.zip/ravenstack_accounts.csv, row -, -: expands {20 * MB // compressed} times (from "
        f"{compressed / MB:.2f} MB to 20 MB), more than the 100 times that CSV text can; this looks like a zip "
        "bomb: zip the CSV files again with ordinary compression, or upload them unzipped"
    ]
    assert peak < MB


def test_a_zip_that_lies_about_its_size_is_never_read_past_the_cap(small_limits, tmp_path):
    path = lie_about_size(zip_of_zeros(tmp_path / "liar.zip", "ravenstack_accounts.csv", 30), declared=1000)

    tracemalloc.start()
    files, problems = read_zip("liar.zip", path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert files == {}
    assert [str(p) for p in problems] == [
        "liar.zip/ravenstack_accounts.csv, row -, -: cannot be read from the zip (Bad CRC-32 for file "
        "'ravenstack_accounts.csv'): the archive is damaged; zip the CSV files again"
    ]
    assert peak < 2 * MB + 256 * 1024  # the cap plus one chunk at most, never the 30 MB inside


def test_the_members_together_count_against_the_cap(settings, tmp_path):
    settings.IMPORT_ZIP_MAX_UNCOMPRESSED_MB = 2
    path = tmp_path / "book.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ravenstack_accounts.csv", accounts_csv(1.25))
        archive.writestr("ravenstack_subscriptions.csv", accounts_csv(1.25))

    files, problems = read_zip("book.zip", path)

    assert files == {}
    assert [p.message for p in problems] == [
        "the zip expands to 2.5 MB, more than the 2 MB limit; split the files into several smaller zips (an "
        "administrator can raise IMPORT_ZIP_MAX_UNCOMPRESSED_MB)"]


def test_a_zip_within_the_limits_is_read_whole(small_limits, tmp_path):
    content = accounts_csv(0.5)
    path = tmp_path / "book.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/ravenstack_accounts.csv", content)
        archive.writestr("__MACOSX/._ravenstack_accounts.csv", b"mac")

    assert read_zip("book.zip", path) == ({"ravenstack_accounts.csv": content}, [])


# The import page and the command ----------------------------------------------------------------------

def test_the_page_refuses_a_bomb_with_400_and_writes_nothing(client, manager, small_limits, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    bomb = zip_of_zeros(tmp_path / "bomb.zip", "ravenstack_accounts.csv", 30)
    client.force_login(manager)
    before = database_fingerprint()

    response = client.post(reverse("import_upload"),
                           {"files": [SimpleUploadedFile("bomb.zip", bomb.read_bytes())]})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported:" in page
    assert "bomb.zip, row -, -: the zip expands to 30 MB, more than the 1 MB limit; split the files" in page
    assert not m.ImportRun.objects.exists()
    assert database_fingerprint() == before
    assert not (tmp_path / "media" / "imports").exists()


def test_the_command_refuses_a_bomb_and_writes_nothing(small_limits, tmp_path, capsys):
    bomb = zip_of_zeros(tmp_path / "bomb.zip", "ravenstack_accounts.csv", 30)

    with pytest.raises(CommandError, match=r"nothing was imported: 2 problem\(s\)"):
        call_command("import_data", str(bomb))

    err = capsys.readouterr().err
    assert "bomb.zip, row -, -: the zip expands to 30 MB, more than the 1 MB limit" in err
    assert "bomb.zip/ravenstack_accounts.csv, row -, -: expands 1" in err
    assert not m.ImportRun.objects.exists() and not m.Account.objects.exists()


def test_the_command_imports_a_zip_within_the_limits(small_limits, tmp_path):
    path = tmp_path / "book.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ravenstack_accounts.csv", csv_bytes(ACCOUNTS_HEADER, GOOD_ACCOUNT))

    call_command("import_data", str(path), stdout=io.StringIO())

    assert m.Account.objects.get().name == "Cedar Valley Family Medicine"
