"""Registration against a changing inbox: the file archived is exactly the file removed, and a crash between
taking a file and removing it loses nothing (real files, a real concurrent writer, a real DuckDB ledger)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from satudata.config import Settings
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions, register_new_files
from satudata.warehouse import journal

from tests.builders import DTKS_HEADER, KAB, dtks_rows, write_csv

OPTIONS = IntakeOptions(stable_seconds=0)
pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def settings(tmp_path, duckdb_warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    return settings


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archived_and_recorded(settings: Settings) -> dict[str, str]:
    """sha256 -> inbox path of every recorded submission whose archived bytes are really those bytes."""
    found = {}
    for sub in list_submissions(settings):
        path = settings.folder("archive") / _archive_path(settings, sub["submission_id"])
        assert sha(path.read_bytes()) == sub["sha256"], f"the archive holds other bytes than {sub['file']} recorded"
        found[sub["sha256"]] = sub["file"]
    return found


def _archive_path(settings: Settings, submission_id: int) -> str:
    record = json.loads((settings.folder("archive") / "ledger" / f"kiriman_{submission_id:09d}.json").read_text())
    return record["archive_path"]


def in_inbox(settings: Settings) -> dict[str, str]:
    return {sha(p.read_bytes()): p.name for p in settings.folder("inbox").rglob("*") if p.is_file()}


# The operator's side: `mv -f` of a new version onto the same name, again and again. Before each replace the
# writer keeps a hard link to what it is about to overwrite (its own loss, not ours). When the name is missing
# while we hold it under a hidden name, it waits for our decision (taken for good, or put back).
_WRITER = textwrap.dedent("""
    import hashlib, json, os, random, sys, time
    folder, grave, versions, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    target = os.path.join(folder, "race.csv")
    body = os.urandom(size)
    written = []
    for n in range(versions):
        data = f"versi {n}\\n".encode() + body
        tmp = os.path.join(folder, f"tulis-{n}.tmp")
        with open(tmp, "wb") as out:
            out.write(data)
        written.append(hashlib.sha256(data).hexdigest())
        deadline = time.monotonic() + 10
        while True:
            try:
                os.link(target, os.path.join(grave, str(n)))
                break
            except FileNotFoundError:
                busy = any(name.startswith(".satudata-") for name in os.listdir(folder))
                if not busy or time.monotonic() > deadline:
                    break
                time.sleep(0.001)
        os.replace(tmp, target)
        time.sleep(random.uniform(0, 0.04))
    print(json.dumps(written))
""")


def test_a_file_replaced_again_and_again_while_it_is_registered_is_never_lost(settings, tmp_path):
    folder = settings.folder("inbox") / KAB / "dtks"
    folder.mkdir(parents=True)
    grave = tmp_path / "ditimpa_penulis"
    grave.mkdir()
    first = b"versi awal\n" + os.urandom(1 << 20)
    (folder / "race.csv").write_bytes(first)
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(folder), str(grave), "30", str(8 << 20)],
                              stdout=subprocess.PIPE, text=True)
    scans = 0
    while writer.poll() is None:
        register_new_files(settings, options=OPTIONS)
        scans += 1
    written = [sha(first), *json.loads(writer.stdout.read())]
    register_new_files(settings, options=OPTIONS)  # the last version, after the writer stopped
    recorded = archived_and_recorded(settings)
    kept = {sha(p.read_bytes()) for p in grave.iterdir()}
    left = in_inbox(settings)
    assert not [p for p in folder.iterdir() if p.name.startswith(".satudata-")], "no half-taken file remains"
    assert scans > 3 and len(recorded) > 1, "the scans really ran while the file kept changing"
    lost = [i for i, digest in enumerate(written) if digest not in set(recorded) | kept | set(left)]
    assert not lost, f"versions {lost} were neither archived, nor in the inbox, nor overwritten by the writer"
    assert set(recorded) <= set(written), "every archived file is a whole version, never a torn copy"


def test_a_file_replaced_between_recording_and_removal_stays_for_the_next_scan(settings, monkeypatch):
    """The worst moment, made certain: the new version lands after the old one is archived and recorded."""
    folder = settings.folder("inbox") / KAB / "dtks"
    old = write_csv(folder / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    old_bytes = old.read_bytes()
    new_bytes = old_bytes + b"".join(",".join(r).encode() + b"\r\n" for r in dtks_rows(3, start=6))
    record = journal.record_submission

    def operator_saves_again(archive_root, submission):
        record(archive_root, submission)
        fresh = folder / "baru.tmp"
        fresh.write_bytes(new_bytes)
        os.replace(fresh, old)  # `mv -f`: the name now holds the new version

    monkeypatch.setattr(journal, "record_submission", operator_saves_again)
    register_new_files(settings, options=OPTIONS)
    monkeypatch.undo()
    assert old.read_bytes() == new_bytes, "the new version is still in the inbox"
    assert set(archived_and_recorded(settings)) == {sha(old_bytes)}
    ingest_once(settings, options=OPTIONS)
    assert set(archived_and_recorded(settings)) == {sha(old_bytes), sha(new_bytes)}
    assert sorted(s["status"] for s in list_submissions(settings)) == ["accepted", "accepted"]
    assert not list(folder.iterdir())


def _taken(folder: Path, name: str, data: bytes) -> Path:
    """What a crash leaves behind between taking a file out of the inbox and removing it."""
    hidden = folder / f".satudata-diambil-0123456789ab-{name}"
    hidden.parent.mkdir(parents=True, exist_ok=True)
    hidden.write_bytes(data)
    stamp = time.time() - 3600
    os.utime(hidden, (stamp, stamp))
    return hidden


def test_crash_after_taking_an_archived_file_is_finished_by_the_next_scan(settings):
    folder = settings.folder("inbox") / KAB / "dtks"
    path = write_csv(folder / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5))
    data = path.read_bytes()
    ingest_once(settings, options=OPTIONS)
    hidden = _taken(folder, path.name, data)  # archived, recorded, taken, and the power went
    ingest_once(settings, options=OPTIONS)
    assert not hidden.exists(), "its bytes are archived and recorded: the leftover goes"
    assert [s["status"] for s in list_submissions(settings)] == ["accepted"], "not registered twice"


def test_crash_after_taking_a_file_that_was_not_archived_puts_it_back(settings):
    folder = settings.folder("inbox") / KAB / "dtks"
    data = write_csv(folder / "x.csv", DTKS_HEADER, dtks_rows(5)).read_bytes()
    (folder / "x.csv").unlink()
    # Taken after another version had been copied (the path was replaced in between), then the crash:
    hidden = _taken(folder, "dtks_5205_2026-11.csv", data)
    # ... and a newer file has the name by now.
    newer = write_csv(folder / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(6, start=20))
    newer_bytes = newer.read_bytes()
    ingest_once(settings, options=OPTIONS)
    assert not hidden.exists()
    assert set(archived_and_recorded(settings)) == {sha(data), sha(newer_bytes)}, "both versions are taken in"
    names = sorted(s["file"] for s in list_submissions(settings))
    assert names == ["5205/dtks/dtks_5205_2026-11 (2).csv", "5205/dtks/dtks_5205_2026-11.csv"]
