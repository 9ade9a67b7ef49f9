"""Two scans at once lose nothing and do nothing twice: two real processes on one inbox, both warehouses.

As in production when the schedule and a manual trigger (or two workers) run intake together: each process
is `satudata ingest`, started at the same moment. Registration is one at a time (`warehouse.locks`), and a
submission one process is staging is skipped by the other.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from satudata.config import Settings
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions, register_new_files
from satudata.warehouse.bootstrap import init_warehouse

from tests.builders import DTKS_HEADER, KAB, OTHER_KAB_DESA, dtks_rows, query_rows, write_csv

pytestmark = pytest.mark.timeout(600)

_INGEST = "import sys; from satudata.cli import main; sys.exit(main(sys.argv[1:]))"
_PROCESS = ("import json, sys; from satudata.config import Settings; from satudata.intake.run import "
            "IntakeOptions, process_submission; s = Settings.from_env(sys.argv[1], sys.argv[2]); "
            "print(json.dumps(process_submission(s, int(sys.argv[3]), options=IntakeOptions(stable_seconds=0))"
            ".to_dict()))")


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def _together(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Start the commands at the same moment and wait for all of them."""
    env = {**os.environ, "SATUDATA_STABLE_SECONDS": "0"}
    procs = [subprocess.Popen([sys.executable, "-c", *cmd], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for cmd in commands]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=540)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_two_processes_scanning_one_inbox_take_each_file_once(settings):
    inbox = settings.folder("inbox") / KAB / "dtks"
    files = {f"dtks_5205_2026-{m:02d}.csv": dtks_rows(12, start=100 * m) for m in range(1, 7)}
    for name, rows in files.items():
        write_csv(inbox / name, DTKS_HEADER, rows)
    flags = ["--data-dir", str(settings.data_dir), "--warehouse", settings.warehouse_url, "--stable-seconds", "0"]
    started = time.monotonic()
    runs = _together([_INGEST, "ingest", *flags], [_INGEST, "ingest", *flags])
    elapsed = time.monotonic() - started
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
    for i, run in enumerate(runs):
        (settings.data_dir / f"scan{i}.log").write_text(run.stdout + run.stderr)
    submissions = list_submissions(settings)
    assert sorted(s["file"] for s in submissions) == sorted(f"{KAB}/dtks/{n}" for n in files), "each file once"
    assert {s["status"] for s in submissions} == {"accepted"}, f"none answered as its own duplicate: {settings.data_dir}"
    assert query_rows(settings.warehouse_url, "SELECT count(*), count(DISTINCT nik) FROM staging.dtks") == [
        (72, 72)], "no row staged twice"
    assert not any(inbox.iterdir()), "nothing left behind"
    reports = list((settings.folder("outbox") / KAB).glob("*.laporan.xlsx"))
    assert len(reports) == len(files)
    archived = [p for p in settings.folder("archive").rglob("*") if p.is_file() and p.parent.name != "ledger"]
    assert len(archived) == len(files)
    journaled = sorted(p.name for p in (settings.folder("archive") / "ledger").iterdir())
    assert journaled == [f"kiriman_{i:09d}.json" for i in range(1, len(files) + 1)], "the ledger's copy, once each"
    assert query_rows(settings.warehouse_url, "SELECT DISTINCT attempts FROM meta.submission") == [(1,)], \
        "each submission processed by one of the two, once"
    print(f"\ntwo concurrent scans of {len(files)} files: {elapsed:.1f} s")


def test_two_processes_on_one_submission_stage_it_once(settings):
    write_csv(settings.folder("inbox") / KAB / "dtks" / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(40))
    (submission_id,) = register_new_files(settings, options=IntakeOptions(stable_seconds=0))
    args = [str(settings.data_dir), settings.warehouse_url, str(submission_id)]
    runs = _together([_PROCESS, *args], [_PROCESS, *args])
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads(run.stdout.strip().splitlines()[-1]) for run in runs]
    assert "accepted" in {r["status"] for r in results}
    assert query_rows(settings.warehouse_url, "SELECT count(*) FROM staging.dtks") == [(40,)]
    (sub,) = list_submissions(settings)
    assert sub["status"] == "accepted"
    assert query_rows(settings.warehouse_url, "SELECT attempts FROM meta.submission") == [(1,)], "processed once"


def _without_times(value):
    """A ledger field without the arrival times it quotes (`diterima`), which differ between two scans."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "diterima"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_a_scan_on_two_worker_processes_stages_what_one_process_stages(tmp_path, monkeypatch, caplog):
    """Regencies on two processes (a DuckDB file the workers take turns to write): the same answers, the same
    staged rows and the same replacements as one process, file by file in arrival order."""
    files = {
        f"{KAB}/dtks/dtks_5205_2026-11.csv": dtks_rows(30),
        f"{KAB}/dtks/dtks_5205_2026-11_ulang.csv": dtks_rows(20, start=5),  # written later: replaces the other
        "5201/dtks/dtks_5201_2026-11.csv": dtks_rows(25, desa=[OTHER_KAB_DESA]),
        "5201/dtks/dtks_5201_2026-10.csv": [*dtks_rows(10, start=100, desa=[OTHER_KAB_DESA]),
                                             ["DTKS9999999", "9999999999", "x", "1", "12", "Tanpa NIK", "L", "", ""]],
    }
    scans = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("SATUDATA_WORKERS", workers)
        root = tmp_path / f"workers{workers}"
        settings = Settings(data_dir=root / "data", warehouse_url=f"duckdb:///{root / 'warehouse.duckdb'}")
        settings.ensure_folders()
        init_warehouse(settings.warehouse_url)
        for name, rows in files.items():
            write_csv(settings.folder("inbox") / name, DTKS_HEADER, rows)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="satudata.warehouse.workers"):
            summary = ingest_once(settings, options=IntakeOptions(stable_seconds=0, pool_min_bytes=0))
        assert ("groups on 2 worker processes" in caplog.text) == (workers == "2")
        kept = ("submission_id", "file", "status", "reason", "periode", "rows_total", "rows_accepted",
                "rows_rejected", "rows_warning", "superseded_by", "cara_kirim", "penggantian")
        scans[workers] = (
            [s["status"] for s in summary["submissions"]],
            [{k: _without_times(s[k]) for k in kept} for s in list_submissions(settings)],
            query_rows(settings.warehouse_url, "SELECT submission_id, baris, nik, aktif FROM staging.dtks "
                                               "ORDER BY submission_id, baris"),
            query_rows(settings.warehouse_url, "SELECT submission_id, baris, aturan FROM meta.validation_issue "
                                               "ORDER BY submission_id, baris, aturan"),
        )
    one, two = scans["1"], scans["2"]
    assert "partial" in one[0], "the row without a NIK is refused, the rest of its file staged"
    first = next(s["submission_id"] for s in one[1] if s["file"].endswith("dtks_5205_2026-11.csv"))
    assert {aktif for sid, _, _, aktif in one[2] if sid == first} == {False}, "the resent file replaced the first"
    assert two == one
