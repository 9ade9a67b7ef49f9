"""The submission ledger, `meta.submission`: every file ever received, what became of it, and why.

Statuses: `received` (archived, not yet processed), `processing`, then one of `accepted`, `partial`,
`rejected`, `duplicate`, or held for the operator's answer: `menunggu_pemetaan` (a column to confirm) or
`ditahan` (totals that do not add up). An accepted submission replaces what it covers of older ones (`intake.cakupan`:
`cara_kirim` says how, `penggantian` what it replaced); one none of whose rows stays active is marked
`superseded_by` the newest that covers it. Nothing is ever deleted.

A failure of the machine (a full disk, the database gone) leaves a submission `received`: `gangguan` counts
those failures and `coba_lagi_pada` is when a scan may try it again (`intake.gangguan`). `internal_error`
(a defect of ours, after MAX_ATTEMPTS) is no original: the same bytes sent again are processed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

UNFINISHED = ("received", "processing")
FINISHED = ("accepted", "partial", "rejected", "duplicate")
HELD = ("menunggu_pemetaan", "ditahan")  # waiting for the operator's answer (`intake.pemetaan`); nothing staged
STAGED = ("accepted", "partial")

_COLUMNS = (
    "submission_id, file_name, inbox_path, archive_path, sha256, size_bytes, kode_kab, jenis, periode, "
    "periode_sumber, program, received_at, processed_at, status, reason_code, reason_detail, rows_total, "
    "rows_accepted, rows_rejected, rows_warning, report_path, duplicate_of, superseded_by, attempts, run_id, "
    "cara_kirim, penggantian, gangguan, coba_lagi_pada"
)


@dataclass
class Submission:
    submission_id: int
    file_name: str
    inbox_path: str
    archive_path: str
    sha256: str
    size_bytes: int
    kode_kab: str
    jenis: str
    periode: str | None
    periode_sumber: str | None
    program: str | None
    received_at: datetime
    processed_at: datetime | None
    status: str
    reason_code: str | None
    reason_detail: str | None
    rows_total: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_warning: int | None
    report_path: str | None
    duplicate_of: int | None
    superseded_by: int | None
    attempts: int
    run_id: str | None
    cara_kirim: str | None = None  # kabupaten | kecamatan | tambah
    penggantian: str | None = None  # JSON: what it replaced (intake.cakupan.summary)
    gangguan: int = 0  # failures of the machine met while processing it (never counted as attempts)
    coba_lagi_pada: datetime | None = None  # not tried again by a scan before this moment

    @property
    def reason(self) -> dict:
        return json.loads(self.reason_detail) if self.reason_detail else {}


def _one(conn: Connection, where: str, params: dict) -> Submission | None:
    row = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM meta.submission WHERE {where}"), params).first()
    return Submission(*row) if row else None


def get(conn: Connection, submission_id: int) -> Submission:
    found = _one(conn, "submission_id = :i", {"i": submission_id})
    if found is None:
        raise KeyError(f"no submission {submission_id}")
    return found


def find_unfinished_from_inbox(conn: Connection, sha256: str, inbox_path: str) -> Submission | None:
    """A registration an interrupted scan made for this very file (same bytes, same inbox path)."""
    return _one(
        conn,
        "sha256 = :s AND inbox_path = :p AND status IN ('received', 'processing') "
        "ORDER BY submission_id DESC LIMIT 1",
        {"s": sha256, "p": inbox_path},
    )


def find_original(conn: Connection, sha256: str) -> Submission | None:
    """The first non-duplicate submission with these bytes that was not given up on by a defect of ours."""
    return _one(
        conn, "sha256 = :s AND status <> 'duplicate' AND NOT (status = 'rejected' AND reason_code = 'internal_error') "
        "ORDER BY submission_id LIMIT 1", {"s": sha256}
    )


def archive_paths(conn: Connection, sha256: str, inbox_path: str) -> list[tuple[str, str | None]]:
    """(archive_path, reason_code) of every submission of these bytes from this inbox path."""
    rows = conn.execute(sa.text("SELECT archive_path, reason_code FROM meta.submission WHERE sha256 = :s "
                                "AND inbox_path = :p"), {"s": sha256, "p": inbox_path}).all()
    return [(r[0], r[1]) for r in rows]


def insert(conn: Connection, **values) -> int:
    columns = ", ".join(values)
    placeholders = ", ".join(f":{k}" for k in values)
    return conn.execute(
        sa.text(f"INSERT INTO meta.submission ({columns}) VALUES ({placeholders}) RETURNING submission_id"),
        values,
    ).scalar_one()


def update(conn: Connection, submission_id: int, **values) -> None:
    if "reason_detail" in values and isinstance(values["reason_detail"], dict):
        values["reason_detail"] = json.dumps(values["reason_detail"], ensure_ascii=False, default=str)
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(
        sa.text(f"UPDATE meta.submission SET {assignments} WHERE submission_id = :submission_id"),
        {**values, "submission_id": submission_id},
    )


def unfinished_ids(conn: Connection, due_by: datetime | None = None) -> list[int]:
    """Submissions still to process; with `due_by`, only those whose next try (after a failure of the
    machine) is not later than that."""
    wait = " AND (coba_lagi_pada IS NULL OR coba_lagi_pada <= :t)" if due_by is not None else ""
    return list(
        conn.execute(
            sa.text(f"SELECT submission_id FROM meta.submission WHERE status IN ('received', 'processing'){wait} "
                    "ORDER BY submission_id"), {"t": due_by}
        ).scalars()
    )


def unanswered_duplicates(conn: Connection) -> list[int]:
    """Duplicates recorded without their answer (writing it failed): a later scan answers them."""
    return list(conn.execute(sa.text("SELECT submission_id FROM meta.submission WHERE status = 'duplicate' "
                                     "AND report_path IS NULL ORDER BY submission_id")).scalars())


def list_all(conn: Connection) -> list[Submission]:
    rows = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM meta.submission ORDER BY submission_id")).all()
    return [Submission(*row) for row in rows]
