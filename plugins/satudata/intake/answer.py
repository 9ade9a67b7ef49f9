"""The answer to one submission: `outbox/<kode_kab>/<id>-<jenis>-<file>.laporan.xlsx` (`intake.report` draws it).

    path = write_answer(settings, submission, status="rejected", reason_code=..., ...)
    answer_duplicate(settings, engine, submission_id)   # "already received", pointing at the original

Used by registration (duplicates are answered when they are registered) and by processing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.engine import Engine

from satudata.config import Settings
from satudata.intake.cakupan import describe
from satudata.intake.messages import JENIS_LABELS
from satudata.intake.scan import answer_name, archive_regency
from satudata.normalise.periode import nama_tanggal
from satudata.reference.wilayah import Wilayah
from satudata.warehouse import ledger


def answer_duplicate(settings: Settings, engine: Engine, submission_id: int) -> None:
    with engine.begin() as conn:
        submission = ledger.get(conn, submission_id)
        original = ledger.get(conn, submission.duplicate_of)
        detail = {"tanggal": original.received_at.strftime("%Y-%m-%d %H:%M UTC"), "berkas": original.file_name,
                  "status_asli": original.status}
        report = write_answer(settings, submission, status="duplicate", reason_code="duplicate",
                               reason_detail=detail, counts=(0, 0, 0, 0), issues=None, rejected=None,
                               duplicate_of=f"{original.file_name} ({detail['tanggal']})")
        ledger.update(conn, submission_id, reason_detail=detail, processed_at=datetime.now(UTC), report_path=report,
                      periode=original.periode, rows_total=0, rows_accepted=0, rows_rejected=0, rows_warning=0)


def replacement_lines(submission: ledger.Submission, record: dict | None) -> list[str] | None:
    """What the file replaced and what stays, as the operator reads it (intake.cakupan.describe)."""
    if not record:
        return None
    from satudata.intake.report import local_zone

    def when(moment) -> str:  # '12 November 2026' in the regency's own time zone
        stamp = pd.Timestamp(moment)
        stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp
        return nama_tanggal(stamp.tz_convert(local_zone(submission.kode_kab)))

    return describe(record, jenis_label=JENIS_LABELS.get(submission.jenis, submission.jenis),
                    place_name=Wilayah.load().label, when=when)


def write_answer(settings: Settings, submission: ledger.Submission, *, status: str, reason_code: str | None,
                  reason_detail: dict | None, counts: tuple[int, int, int, int], issues: pd.DataFrame | None,
                  rejected: pd.DataFrame | None, meta=None, periode: str | None = None,
                  duplicate_of: str | None = None, penggantian: list[str] | None = None,
                  catatan: list[str] | None = None, kode_jawaban: str | None = None, pertanyaan=None,
                  total_tidak_cocok: list[dict] | None = None) -> str:
    """Write `outbox/<kode_kab>/<id>-<jenis>-<file>.laporan.xlsx`; returns its path relative to outbox/."""
    from satudata.intake.report import ReportSummary, write_report

    name = answer_name(submission.submission_id, submission.jenis, submission.file_name)
    target = settings.folder("outbox") / archive_regency(submission.kode_kab) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet = (meta.sheets[0] if meta is not None and meta.sheets else None)
    summary = ReportSummary(
        file_name=submission.file_name, kode_kab=submission.kode_kab,
        nama_kab=Wilayah.load().name(submission.kode_kab) if submission.kode_kab else None,
        jenis=submission.jenis, periode=periode or submission.periode, status=status,
        received_at=submission.received_at, sha256=submission.sha256,
        rows_total=counts[0], rows_accepted=counts[1], rows_rejected=counts[2], rows_with_warnings=counts[3],
        reason_code=reason_code, reason_detail=reason_detail, duplicate_of=duplicate_of,
        header_row=sheet.header_row if sheet else None,
        column_map=({f"[{s.sheet}] {k}": v for s in meta.sheets for k, v in s.column_map.items()}
                    if meta is not None else None),
        keyakinan=({f"[{s.sheet}] {k}": ("dikonfirmasi operator" if s.dikonfirmasi else f"{round(v * 100)}%")
                    for s in meta.sheets for k, v in s.keyakinan.items()} if meta is not None else None),
        unmapped_columns=([u for s in meta.sheets for u in s.unmapped_columns] if meta is not None else None),
        penggantian=penggantian, catatan=catatan, kode_jawaban=kode_jawaban, pertanyaan=pertanyaan,
        total_tidak_cocok=total_tidak_cocok,
    )
    write_report(target, summary, issues if issues is not None else empty_issues(), rejected)
    return target.relative_to(settings.folder("outbox")).as_posix()


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({"baris": pd.Series(dtype="int64"), "kolom": pd.Series(dtype="string"),
                         "aturan": pd.Series(dtype="string"), "nilai": pd.Series(dtype="string")})
