"""Finding files in the inbox, archiving them untouched, and never losing one."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from satudata.intake.scan import (
    Candidate,
    _taken_name,
    answer_name,
    archive_copy,
    find_candidates,
    is_ignored_name,
    put_back,
    remove_from_inbox,
    safe_name,
)
from satudata.normalise.periode import period_from_name
from satudata.reference.program import ProgrammeMatcher

OLD = time.time() - 3600
KAB_CODE = "5205"


def drop(inbox: Path, relative: str, content: bytes = b"a,b\n1,2\n", *, age: float = 3600) -> Path:
    path = inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("~$dtks.xlsx", True),
        ("dtks.xlsx.tmp", True),
        ("dtks.xlsx.part", True),
        ("dtks.xlsx.crdownload", True),
        ("dtks.xlsx.download", True),
        ("Thumbs.db", True),
        ("thumbs.db", True),
        ("desktop.ini", True),
        (".DS_Store", True),
        (".~lock.dtks.xlsx#", True),
        ("._dtks.xlsx", True),  # AppleDouble: a Mac's resource fork beside the real file
        (".nfs000000000123abcd00000001", True),  # NFS keeps a file deleted while open under this name
        (".satudata-diambil-0123456789ab-dtks.xlsx", True),  # ours: a file being taken out of the inbox
        # A name starting with a dot is still an operator's file (Windows does not hide it): answered.
        (".hidden.csv", False),
        ("..csv", False),
        (".x.csv", False),
        ("dtks.xlsx", False),
        ("Data DTKS Dompu (final).xlsx", False),
    ],
)
def test_ignored_names(name, ignored):
    assert is_ignored_name(name) is ignored


def test_find_candidates_classifies_by_location(tmp_path):
    inbox = tmp_path / "inbox"
    drop(inbox, "5205/dtks/dtks_5205_2026-11.xlsx")
    drop(inbox, "5205/p3ke/sub folder/P3KE Dompu.xlsx")
    drop(inbox, "5205/DTKS/upper.csv")  # jenis folder case does not matter
    drop(inbox, "5205/bansos/x.csv")
    drop(inbox, "5205/lepas.csv")
    drop(inbox, "9999/dtks/x.csv")
    drop(inbox, "root.csv")
    drop(inbox, "5205/dtks/laporan.pdf")
    drop(inbox, "5205/dtks/~$dtks_5205_2026-11.xlsx")
    drop(inbox, "5205/dtks/masih_disalin.csv", age=0)  # being written
    found = {c.relative: c for c in find_candidates(inbox, stable_seconds=30, known_regencies={"5205"})}
    assert set(found) == {
        "5205/dtks/dtks_5205_2026-11.xlsx",
        "5205/p3ke/sub folder/P3KE Dompu.xlsx",
        "5205/DTKS/upper.csv",
        "5205/bansos/x.csv",
        "5205/lepas.csv",
        "9999/dtks/x.csv",
        "root.csv",
        "5205/dtks/laporan.pdf",
    }
    assert found["5205/dtks/dtks_5205_2026-11.xlsx"].problem is None
    assert found["5205/p3ke/sub folder/P3KE Dompu.xlsx"].jenis == "p3ke"
    assert found["5205/DTKS/upper.csv"].problem is None
    assert found["5205/bansos/x.csv"].problem == "unknown_jenis"
    assert found["5205/lepas.csv"].problem == "unknown_jenis"
    assert found["9999/dtks/x.csv"].problem == "unknown_regency_folder"
    assert found["root.csv"].problem == "unknown_regency_folder"
    # What a file is, its bytes tell when it is processed (a PDF is answered as a PDF), never its name here.
    assert found["5205/dtks/laporan.pdf"].problem is None


def test_symlinks_are_never_followed(tmp_path):
    inbox = tmp_path / "inbox"
    secret = tmp_path / "rahasia.csv"
    secret.write_text("nik\n5205014507890001\n")
    (inbox / "5205" / "dtks").mkdir(parents=True)
    link = inbox / "5205" / "dtks" / "link.csv"
    link.symlink_to(secret)
    (inbox / "5205" / "p3ke").symlink_to(tmp_path, target_is_directory=True)
    found = find_candidates(inbox, stable_seconds=0, known_regencies={"5205"})
    assert {c.relative: c.problem for c in found} == {"5205/dtks/link.csv": "symlink", "5205/p3ke": "symlink"}
    _, archived = archive_copy(found[0], tmp_path / "archive", datetime.now(UTC))
    assert b"rahasia" in archived.read_bytes() and b"5205014507890001" not in archived.read_bytes()
    remove_from_inbox(found[0], tmp_path / "quarantine")
    assert not link.exists() and not link.is_symlink()
    assert secret.exists(), "the link's target is never touched"
    assert len(list((tmp_path / "quarantine" / "5205").iterdir())) == 1


def test_archive_keeps_the_original_bytes_and_is_restartable(tmp_path):
    inbox = tmp_path / "inbox"
    content = os.urandom(3 * (1 << 20) + 17)
    drop(inbox, "5205/dtks/../dtks/Data ÄÖ ñ 'final'.xlsx", content)
    candidate = find_candidates(inbox, stable_seconds=0, known_regencies={"5205"})[0]
    received = datetime(2026, 11, 23, 10, tzinfo=UTC)
    sha, archived = archive_copy(candidate, tmp_path / "archive", received)
    assert archived.read_bytes() == content
    assert archived.parent == tmp_path / "archive" / "5205" / "2026-11-23"
    assert archived.name.startswith(sha + "-") and ".." not in archived.name and "/" not in archived.name
    # An interrupted scan archived it already: archiving again is harmless and leaves no temp files.
    again, archived_again = archive_copy(candidate, tmp_path / "archive", received)
    assert (again, archived_again) == (sha, archived)
    assert [p.name for p in archived.parent.iterdir()] == [archived.name]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd", "passwd"), ("a/b\\c.xlsx", "c.xlsx"), ("Data ÄÖ.xlsx", "Data _.xlsx"), ("...", "berkas"),
     ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx")],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("dtks_5205_2026-11.xlsx", "2026-11"),
        ("P3KE 202611.xlsx", "2026-11"),
        ("pkh 11-2026.csv", "2026-11"),
        ("DTKS Dompu November 2026.xlsx", "2026-11"),
        ("penerima blt dd Agustus 2025 final.xlsx", "2025-08"),
        ("dtks_5205.xlsx", None),
        ("data 5220 2013.xlsx", None),
    ],
)
def test_period_from_name(name, period):
    assert period_from_name(name) == period


def test_programme_names_in_files():
    matcher = ProgrammeMatcher.load()
    assert matcher.codes_in_file_name("BLT-DD_5205_2026-11.xlsx") == ["BLT_DD"]
    assert matcher.codes_in_file_name("Data Penerima Sembako Dompu Nov 2026.xlsx") == ["BPNT"]
    assert matcher.codes_in_file_name("pbi_jk_5201.xlsx") == ["PBI_JK"]
    assert matcher.codes_in_file_name("rtlh2026.xlsx") == ["RTLH"]
    assert matcher.codes_in_file_name("dtks.xlsx") == []
    assert matcher.code_for("Program Sembako") == "BPNT"
    assert matcher.code_for("blt-dd") == "BLT_DD"
    assert matcher.code_for("bantuan lain") is None


_NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1, max_size=300)


@settings(max_examples=150, deadline=None)
@given(first=st.integers(1, 10**9), second=st.integers(1, 10**9), jenis=st.text(max_size=20), name=_NAMES)
def test_answer_names_are_one_safe_path_part_and_never_shared(first, second, jenis, name):
    answer = answer_name(first, jenis, name)
    assert "/" not in answer and "\\" not in answer and not answer.startswith(".")
    assert len(answer.encode()) <= 255 and answer.endswith(".laporan.xlsx")
    assert (answer == answer_name(second, jenis, name)) == (first == second)


@settings(max_examples=100, deadline=None)
@given(name=_NAMES.filter(lambda n: n not in (".", "..") and len(os.fsencode(n)) <= 200))
def test_a_taken_file_is_put_back_under_its_own_name(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp("inbox")
    path = folder / name
    path.write_bytes(b"isi")
    st_ = path.lstat()
    candidate = Candidate(path, name, KAB_CODE, "dtks", name, st_.st_size, st_.st_mtime, None,
                          st_.st_dev, st_.st_ino, st_.st_mtime_ns)
    hidden = _taken_name(path)
    os.rename(path, hidden)
    assert is_ignored_name(hidden.name), "a file being taken is never a candidate"
    assert put_back(hidden) == path and path.read_bytes() == b"isi"
    assert remove_from_inbox(candidate, folder / "karantina") is None and not path.exists()
