"""A failure of the machine is never the file's fault: a full disk (a real, small tmpfs) and PostgreSQL gone
mid-scan leave submissions pending, retried later, with an alert; a defect of ours still ends in
`internal_error` after MAX_ATTEMPTS, and the same bytes sent again are processed, not called a duplicate."""

from __future__ import annotations

import errno
import json
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa
from satudata.cli import main
from satudata.config import Settings
from satudata.intake import run as intake
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions

from tests.builders import DTKS_HEADER, KAB, aged, dtks_rows, query_rows, write_csv
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.timeout(900)


def inbox(settings: Settings, jenis: str = "dtks") -> Path:
    return settings.folder("inbox") / KAB / jenis


def ledger(settings: Settings) -> list[tuple]:
    return query_rows(settings.warehouse_url, "SELECT status, reason_code, attempts FROM meta.submission "
                                              "ORDER BY submission_id")


@pytest.fixture
def retry_now(monkeypatch):
    """Machine failures are retried on the very next scan (the policy's wait made zero for the test)."""
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    monkeypatch.setenv("SATUDATA_RETRY_BASE_SECONDS", "0")


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A 24 MiB tmpfs as the data folder, and `fill()` / `free()` to make it full and give the space back.

    Where mounting is not allowed (not root), the disk is "full" by an OSError(ENOSPC) from our own answer
    writer, the write that fails first on a full disk."""
    mount = tmp_path / "data"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                             capture_output=True, check=False).returncode == 0
    filler = mount / "penuh.bin"

    def fill() -> None:
        if not mounted:
            from satudata.intake import report

            def no_space(*args, **kwargs):
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(report, "write_report", no_space)
            return
        with filler.open("wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\1" * (1 << 16))
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    def free() -> None:
        if mounted:
            filler.unlink()
        else:
            monkeypatch.undo()

    yield mount, fill, free
    if mounted:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_leaves_every_submission_pending_until_space_is_back(small_disk, warehouse_url, retry_now,
                                                                          caplog):
    data, fill, free = small_disk
    settings = Settings(data_dir=data, warehouse_url=warehouse_url)
    settings.ensure_folders()
    for month in (1, 2, 3):
        write_csv(inbox(settings) / f"dtks_5205_2026-0{month}.csv", DTKS_HEADER, dtks_rows(8, start=month * 10))
    intake.register_new_files(settings, options=IntakeOptions.from_env())
    fill()
    for _ in range(intake.MAX_ATTEMPTS + 2):
        summary = ingest_once(settings, options=IntakeOptions.from_env())
        assert summary["by_status"] == {"tertunda": 3}, summary
    assert ledger(settings) == [("received", None, 0)] * 3, "pending, no attempt counted against the file"
    assert any(r.levelname == "ERROR" and "SATUDATA ALERT" in r.getMessage() for r in caplog.records)
    free()
    summary = ingest_once(settings, options=IntakeOptions.from_env())
    assert summary["by_status"] == {"accepted": 3}
    assert [row[:2] for row in ledger(settings)] == [("accepted", None)] * 3
    assert all((settings.folder("outbox") / s["report"]).exists() for s in list_submissions(settings))


def test_a_full_disk_while_archiving_keeps_the_files_in_the_inbox(small_disk, duckdb_warehouse_url, retry_now):
    data, fill, free = small_disk
    settings = Settings(data_dir=data, warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    path = write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(8))
    fill()
    if not (data / "penuh.bin").exists():
        pytest.skip("archiving on a full disk needs a real small disk (tmpfs)")
    summary = ingest_once(settings, options=IntakeOptions.from_env())
    assert summary["tidak_terdaftar"] == 1 and path.exists() and ledger(settings) == []
    assert not [p for p in settings.folder("archive").rglob("*") if p.is_file()], "no half copy kept"
    free()
    assert ingest_once(settings, options=IntakeOptions.from_env())["by_status"] == {"accepted": 1}


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):  # the http.server API names it
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_retries_back_off_and_a_submission_still_pending_after_the_cap_alerts_loudly(
        small_disk, duckdb_warehouse_url, monkeypatch, caplog):
    data, fill, free = small_disk
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SATUDATA_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/alert")
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    settings = Settings(data_dir=data, warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(8))
    intake.register_new_files(settings, options=IntakeOptions.from_env())
    fill()
    try:
        assert ingest_once(settings, options=IntakeOptions.from_env())["by_status"] == {"tertunda": 1}
        waiting = ingest_once(settings, options=IntakeOptions.from_env())
        assert waiting["processed"] == 0, "not retried before its next try time"
        retry_at = query_rows(settings.warehouse_url, "SELECT coba_lagi_pada FROM meta.submission")[0][0]
        assert retry_at is not None and retry_at.timestamp() > time.time() + 60, "the first wait is minutes"
        _pass_time(settings)
        monkeypatch.setenv("SATUDATA_RETRY_BASE_SECONDS", "0")
        monkeypatch.setenv("SATUDATA_RETRY_ALERT_AFTER", "3")
        for _ in range(3):
            ingest_once(settings, options=IntakeOptions.from_env())
    finally:
        server.shutdown()
    assert any(r.levelname == "CRITICAL" and "SATUDATA ALERT" in r.getMessage() for r in caplog.records)
    assert _Webhook.received and "dtks_5205_2026-11.csv" in json.dumps(_Webhook.received)
    assert ledger(settings) == [("received", None, 0)], "still pending after the cap, never refused"
    free()
    assert ingest_once(settings, options=IntakeOptions.from_env())["by_status"] == {"accepted": 1}


def _pass_time(settings: Settings) -> None:
    """Two hours later, as far as the recorded next try is concerned."""
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE meta.submission SET coba_lagi_pada = :t"),
                         {"t": datetime.now(UTC) - timedelta(hours=2)})
    finally:
        engine.dispose()


def test_after_an_internal_error_the_same_bytes_sent_again_are_processed(duckdb_warehouse_url, tmp_path,
                                                                          monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    options = IntakeOptions(stable_seconds=0)
    content = write_csv(inbox(settings) / "dtks_5205_2026-11.csv", DTKS_HEADER, dtks_rows(5)).read_bytes()
    from satudata.intake import stage

    def defect(self, chunk):
        raise RuntimeError("a bug met this file")

    monkeypatch.setattr(stage.SubmissionStager, "add_chunk", defect)
    for _ in range(intake.MAX_ATTEMPTS + 1):
        ingest_once(settings, options=options)
    assert ledger(settings)[0][:2] == ("rejected", "internal_error")
    monkeypatch.undo()
    again = inbox(settings) / "dtks_5205_2026-11 kirim ulang.csv"
    again.write_bytes(content)
    aged(again)
    ingest_once(settings, options=options)
    assert [row[:2] for row in ledger(settings)] == [("rejected", "internal_error"), ("accepted", None)]


def _admin(sql: str, **params) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_postgresql_gone_mid_scan_fails_the_scan_and_refuses_nothing(pg_warehouse_url, tmp_path, capsys):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=pg_warehouse_url)
    settings.ensure_folders()
    for month in range(1, 9):
        write_csv(inbox(settings) / f"dtks_5205_2026-{month:02d}.csv", DTKS_HEADER, dtks_rows(6, start=month * 10))
    flags = ["ingest", "--data-dir", str(settings.data_dir), "--warehouse", pg_warehouse_url, "--stable-seconds", "0"]
    database = sa.make_url(pg_warehouse_url).database
    codes: list[int] = []
    scan = threading.Thread(target=lambda: codes.append(main(flags)))
    scan.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done = query_rows(pg_warehouse_url, "SELECT count(*) FROM meta.submission WHERE status = 'accepted'")[0][0]
        if done >= 1:
            break
        time.sleep(0.05)
    try:
        _admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d", d=database)
        scan.join(timeout=300)
    finally:
        _admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert codes and codes[0] != 0, "a scan that could not finish its submissions says so"
    capsys.readouterr()
    assert main(flags) == 0
    rows = ledger(settings)
    assert len(rows) == 8 and {row[:2] for row in rows} == {("accepted", None)}, rows
    assert query_rows(pg_warehouse_url, "SELECT count(*), count(DISTINCT submission_id) FROM staging.dtks "
                                        "WHERE aktif") == [(48, 8)], "every file staged once"
