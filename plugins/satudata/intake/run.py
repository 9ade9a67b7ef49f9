"""Intake end to end: scan the inbox, register each file, then process each submission.

`register_new_files` (`intake.register`) and `process_submission` are what the DAG's tasks call (one
mapped task per submission); `ingest_once` is the CLI's single scan. All of them are safe to re-run:
registration resumes an interrupted one, and processing a submission again replaces what it staged before.
A failure of the machine while processing leaves the submission pending for a later scan (`intake.gangguan`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from satudata.config import Settings
from satudata.intake import gangguan, pemetaan
from satudata.intake.answer import answer_duplicate, replacement_lines, write_answer
from satudata.intake.messages import format_message
from satudata.intake.options import IntakeOptions
from satudata.intake.register import register_inbox, register_new_files
from satudata.intake.scan import PEMETAAN_JENIS, REVIEW_JENIS
from satudata.sheets.sniff import label_for_name
from satudata.sheets.workbook import FileRejected as FileRejectedError
from satudata.warehouse import journal, ledger
from satudata.warehouse.engine import let_go_of_the_file, make_engine
from satudata.warehouse.locks import exclusive
from satudata.warehouse.workers import WorkerDied, each_group_writing, worker_count

log = logging.getLogger(__name__)
__all__ = ["IntakeOptions", "ProcessResult", "answer_duplicate", "ingest_once", "process_submission",
           "register_new_files"]

MAX_ATTEMPTS = 5  # processing attempts a defect of ours may use up (failures of the machine are not counted)
# Location problems (and the quota) known at registration: answered without reading the file.
_REFUSED_AT_REGISTRATION = ("symlink", "unknown_jenis", "unknown_regency_folder", "jenis_provinsi", "kuota_arsip")
# Processes a submission that is not registry rows (a review answer): (settings, engine, submission) -> result.
Handler = Callable[[Settings, Engine, "ledger.Submission"], "ProcessResult"]


@dataclass
class ProcessResult:
    submission_id: int
    file: str
    kode_kab: str
    jenis: str
    periode: str | None
    status: str
    reason: str | None
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_warning: int
    report: str | None
    staged_tables: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


# --- registration (intake.register) ------------------------------------------------------------


# --- processing --------------------------------------------------------------------------------


class _FileHeld(Exception):
    def __init__(self, code: str, detail: dict | None = None):
        super().__init__(code)
        self.code = code
        self.detail = detail or {}


class _FileRefused(Exception):
    def __init__(self, code: str, detail: dict | None = None):
        super().__init__(code)
        self.code = code
        self.detail = detail or {}


def process_submission(settings: Settings, submission_id: int, *, run_id: str | None = None,
                       options: IntakeOptions | None = None,
                       handlers: Mapping[str, Handler] | None = None,
                       engine: Engine | None = None) -> ProcessResult:
    """Read, validate and stage one archived submission, and answer the regency. Idempotent.

    `handlers` process the kinds of file that are not registry rows to stage (clerical-review answers,
    `jenis = review`, `intake.review`): the orchestration layer passes them in (`pipeline.jenis_handlers`),
    so that this module and the handlers, which use its answers, do not import each other.
    `engine`: the caller's, kept open after this file (`process_regency`: opening and closing a DuckDB file
    costs some 30 ms each, twice a file); without one, this call's own, closed at the end.
    """
    options = options or IntakeOptions.from_env()
    own_engine = engine is None
    engine = make_engine(settings.warehouse_url) if engine is None else engine
    try:
        # Another run (a manual trigger beside the schedule, a second worker) may hold it: skip, never twice.
        # The status is read under the lock, so a submission the other run finished is seen as finished.
        with exclusive(engine, "submission", submission_id, wait=False) as mine:
            with engine.begin() as conn:
                submission = ledger.get(conn, submission_id)
                if not mine:
                    log.info("submission %d is being processed by another run: skipped here", submission_id)
                    return result_of(submission, [])
                if submission.status in ledger.FINISHED:
                    log.info("submission %d already %s: nothing to do", submission_id, submission.status)
                    return result_of(submission, [])
                ledger.update(conn, submission_id, status="processing", attempts=submission.attempts + 1,
                              run_id=run_id)
            try:
                journal.record_submission(settings.folder("archive"), submission)  # if a crash lost it before
                if submission.attempts + 1 > MAX_ATTEMPTS:
                    return finish_rejected(settings, engine, submission, "internal_error",
                                            {"percobaan": submission.attempts}, None, None, (0, 0, 0, 0))
                return _process(settings, engine, submission, options, handlers or {})
            except gangguan.MachineFault:
                raise  # a held file processed again from its answer: recorded by that inner call
            except Exception as exc:
                if not gangguan.is_machine_fault(exc):
                    raise  # a defect of ours: the attempt counts
                _postpone(engine, submission, exc, options)
                raise gangguan.MachineFault(submission_id, exc) from exc
    except BaseException:
        engine.dispose()  # a connection a failure left behind is not the next file's
        raise
    finally:
        if own_engine:
            engine.dispose()


def _postpone(engine: Engine, submission: ledger.Submission, error: BaseException, options: IntakeOptions) -> None:
    """A failure of the machine: the submission waits (`received`) for a later scan, this attempt not counted,
    and the engineer is told; loudly once it has waited through `retry_alert_after` failures."""
    faults = submission.gangguan + 1
    retry = gangguan.next_try(faults, datetime.now(UTC), options.retry_base_seconds, options.retry_max_seconds)
    try:
        with engine.begin() as conn:
            ledger.update(conn, submission.submission_id, status="received", attempts=submission.attempts,
                          gangguan=faults, coba_lagi_pada=retry)
    except Exception as exc:  # noqa: BLE001 - the database may be what failed: the attempt stays unexplained
        log.error("could not record the failure of the machine for submission %d: %s", submission.submission_id,
                  gangguan.one_line(exc))
    loud = faults >= options.retry_alert_after
    gangguan.alert(f"submission still pending after {faults} failures of the machine: needs an engineer" if loud
                   else "a submission met a failure of the machine; it stays pending and is retried",
                   loud=loud, webhook=loud, kiriman=submission.submission_id, berkas=submission.inbox_path,
                   gangguan=faults, coba_lagi_pada=retry.isoformat(timespec="seconds"), galat=gangguan.one_line(error))


def _process(settings: Settings, engine: Engine, submission: ledger.Submission,
             options: IntakeOptions, handlers: Mapping[str, Handler]) -> ProcessResult:
    from satudata.intake.read import FileRejected, MappingNeeded, ReadOptions, read_submission
    from satudata.intake.stage import PeriodConflict, SubmissionStager

    if submission.reason_code in _REFUSED_AT_REGISTRATION:
        return finish_rejected(settings, engine, submission, submission.reason_code,
                                {**submission.reason, "folder": submission.inbox_path}, None, None, (0, 0, 0, 0))
    path = settings.folder("archive") / submission.archive_path
    if pemetaan.is_answer(path):  # an answer to a held file's questions, wherever the operator dropped it
        return _process_answer(settings, engine, submission, path, options, handlers)
    if submission.jenis == PEMETAAN_JENIS:
        return finish_rejected(settings, engine, submission, "jawaban_tidak_terbaca",
                                {"detail": "no answer sheet with an answer code"}, None, None, (0, 0, 0, 0))
    if submission.jenis in handlers:  # clerical-review answers: decisions, not rows to stage
        return handlers[submission.jenis](settings, engine, submission)
    if submission.jenis == REVIEW_JENIS:
        raise RuntimeError(f"submission {submission.submission_id} is a review answer: process it through "
                           "satudata.pipeline, which routes it to harmonisation")
    with engine.connect() as conn:
        known = pemetaan.known_for(conn, submission.kode_kab, submission.jenis)
    read_options = ReadOptions(chunk_rows=options.chunk_rows, max_uncompressed_bytes=options.max_uncompressed_bytes,
                               known_mappings=known)
    stager = SubmissionStager(settings, submission, options)
    stager.accept_totals = bool(submission.reason.get("terima_total"))
    let_go_of_the_file(engine)
    try:
        meta, chunks = read_submission(path, submission.jenis, read_options)
        stager.set_meta(meta)
        for chunk in chunks:
            stager.add_chunk(chunk)
        stager.finish_chunks()
        verdict = stager.verdict()
        if verdict.status == "ditahan":
            raise _FileHeld(verdict.reason_code, verdict.reason_detail)
        if verdict.refused:
            raise _FileRefused(verdict.reason_code, verdict.reason_detail)
        with engine.begin() as conn:
            stager.clear_previous(conn)
            stager.write_staged(conn)
            stager.commit_staged(conn, verdict)
            report = write_answer(settings, submission, status=verdict.status, reason_code=None,
                                   reason_detail=None, counts=verdict.counts, issues=stager.issues(),
                                   rejected=stager.rejected_rows(), meta=meta, periode=stager.periode,
                                   penggantian=replacement_lines(submission, stager.penggantian),
                                   catatan=stager.notes())
            stager.record(conn, verdict, report)
        log.info("submission %d (%s): %s, %d/%d rows staged", submission.submission_id, submission.inbox_path,
                 verdict.status, verdict.counts[1], verdict.counts[0])
        with engine.connect() as conn:
            return result_of(ledger.get(conn, submission.submission_id), stager.staged_tables)
    except FileRejected as exc:
        detail = {"detail": exc.detail, "kolom": getattr(exc, "missing_columns", None) or [],
                  "jenis_berkas": exc.label or label_for_name(submission.file_name)}
        if exc.code == "line_too_long":
            detail["batas"] = f"{4 << 20:,}".replace(",", ".")
        code = exc.code
        if code == "missing_columns" and stager.looks_like_bps(exc):
            code = "bps_coding"
        return finish_rejected(settings, engine, submission, code, detail, None, None, (0, 0, 0, 0))
    except PeriodConflict as exc:
        return finish_rejected(settings, engine, submission, "periode_bertentangan",
                                {"periode": exc.found.periode, "periode_lain": list(exc.found.lain)}, None, None,
                                (0, 0, 0, 0))
    except MappingNeeded as exc:
        return finish_held(settings, engine, submission, "menunggu_pemetaan", "menunggu_pemetaan",
                           _questions_detail(exc.sheets), pertanyaan=exc.sheets)
    except _FileHeld as exc:
        return finish_held(settings, engine, submission, "ditahan", exc.code, exc.detail, stager=stager,
                           periode=stager.periode)
    except _FileRefused as exc:
        return finish_rejected(settings, engine, submission, exc.code, exc.detail, stager.issues(),
                                stager.all_rows_for_rejection(), stager.verdict().counts_rejected_file(),
                                periode=stager.periode, stager=stager)


def finish_rejected(settings, engine, submission, code, detail, issues, rejected, counts, *, periode=None,
                     stager=None) -> ProcessResult:
    total = counts[0]
    counts = (total, 0, total, 0) if total else counts
    report = write_answer(settings, submission, status="rejected", reason_code=code, reason_detail=detail,
                           counts=counts, issues=issues, rejected=rejected, periode=periode)
    with engine.begin() as conn:
        if stager is not None:
            stager.record_rejected_file(conn)
        ledger.update(
            conn, submission.submission_id, status="rejected", reason_code=code, reason_detail=detail,
            processed_at=datetime.now(UTC), report_path=report, periode=periode or submission.periode,
            rows_total=counts[0], rows_accepted=0, rows_rejected=counts[2], rows_warning=counts[3],
        )
        final = ledger.get(conn, submission.submission_id)
    log.warning("submission %d (%s) rejected: %s %s", submission.submission_id, submission.inbox_path, code,
                json.dumps(detail, default=str, ensure_ascii=False)[:500])
    return result_of(final, [])


def finish_held(settings, engine, submission, status: str, code: str, detail: dict, *, pertanyaan=None,
                stager=None, periode: str | None = None) -> ProcessResult:
    """A file we must ask about: nothing staged; its answer carries the questions (`intake.pemetaan`)."""
    code_jawaban = pemetaan.answer_code(submission.submission_id, submission.sha256)
    report = write_answer(settings, submission, status=status, reason_code=code, reason_detail=detail,
                           counts=stager.verdict().counts if stager else (0, 0, 0, 0),
                           issues=stager.issues() if stager else None, rejected=None, periode=periode,
                           kode_jawaban=code_jawaban, pertanyaan=pertanyaan,
                           total_tidak_cocok=detail.get("total_tidak_cocok"))
    with engine.begin() as conn:
        if stager is not None:
            stager.record_rejected_file(conn)
        ledger.update(conn, submission.submission_id, status=status, reason_code=code, reason_detail=detail,
                      processed_at=datetime.now(UTC), report_path=report, periode=periode or submission.periode,
                      rows_total=0, rows_accepted=0, rows_rejected=0, rows_warning=0)
        final = ledger.get(conn, submission.submission_id)
    log.warning("submission %d (%s) held (%s): the answer %s asks the operator", submission.submission_id,
                submission.inbox_path, code, report)
    return result_of(final, [])


def _questions_detail(sheets) -> dict:
    return {"pertanyaan": [{"lembar": s.sumber_lembar or "CSV", "kolom": [f"{q.huruf}: {q.judul}" for q in s.asked],
                            "hilang": s.hilang} for s in sheets],
            "kolom": sorted({m for s in sheets for m in s.hilang})}


def _process_answer(settings, engine, submission, path, options, handlers) -> ProcessResult:
    """An operator's answer to a held file: mappings stored (or the totals decision kept), then the held file
    processed again at once; a wrong or incomplete answer is refused and the held file keeps waiting."""
    try:
        answer = pemetaan.read_answer(path)
    except (pemetaan.AnswerError, FileRejectedError) as exc:
        return finish_rejected(settings, engine, submission, "jawaban_tidak_terbaca", {"detail": str(exc)}, None,
                                None, (0, 0, 0, 0))
    with engine.connect() as conn:
        try:
            held = ledger.get(conn, answer.submission_id)
        except KeyError:
            held = None
    refusal = _answer_refusal(submission, answer, held)
    if refusal is not None:
        return finish_rejected(settings, engine, submission, refusal, {"kiriman": answer.submission_id}, None, None,
                                (0, 0, 0, 0))
    if answer.problems:
        issues = pd.DataFrame(answer.problems, columns=["baris", "kolom", "aturan", "nilai"])
        return finish_rejected(settings, engine, submission, "jawaban_belum_lengkap",
                                {"kiriman": held.submission_id, "berkas": held.file_name}, issues, None,
                                (len(answer.problems), 0, len(answer.problems), 0))
    by = answer.diisi_oleh or f"operator {submission.kode_kab}"
    with engine.begin() as conn:
        for signature, table in answer.tables.items():
            header = [table["header"][p] for p in sorted(table["header"])]
            pemetaan.store(conn, kode_kab=held.kode_kab, jenis=held.jenis, signature=signature,
                           lembar=table["lembar"], header=header, mapping=table["pemetaan"],
                           asked=held.submission_id, answered=submission.submission_id, by=by)
        decision = {"jawaban": submission.submission_id, "oleh": by}
        if answer.keputusan_total == "rincian":
            decision["terima_total"] = True
        ledger.update(conn, held.submission_id, status="received", reason_detail=decision, attempts=0)
    detail = {"kiriman": held.submission_id, "berkas": held.file_name, "tabel": len(answer.tables),
              "keputusan_total": answer.keputusan_total}
    report = write_answer(settings, submission, status="accepted", reason_code="jawaban_diterima",
                           reason_detail=detail, counts=(0, 0, 0, 0), issues=None, rejected=None)
    with engine.begin() as conn:
        ledger.update(conn, submission.submission_id, status="accepted", reason_code="jawaban_diterima",
                      reason_detail=detail, processed_at=datetime.now(UTC), report_path=report, periode=held.periode,
                      rows_total=0, rows_accepted=0, rows_rejected=0, rows_warning=0)
        answered = ledger.get(conn, submission.submission_id)
    log.info("submission %d answers held submission %d (%s): processing it again", submission.submission_id,
             held.submission_id, by)
    if answer.keputusan_total != "kirim_ulang":
        let_go_of_the_file(engine)  # the held file is processed with an engine of its own
        process_submission(settings, held.submission_id, options=options, handlers=handlers)
    return result_of(answered, [])


def _answer_refusal(submission, answer, held) -> str | None:
    """Why an answer cannot be used: no such held file, another regency's, already answered."""
    if held is None or not held.sha256.startswith(answer.sha_prefix):
        return "jawaban_kiriman_tidak_dikenal"
    if held.kode_kab != submission.kode_kab:
        return "jawaban_kabupaten_lain"
    if held.status not in ledger.HELD:
        return "jawaban_sudah_diproses"
    return None


def result_of(submission: ledger.Submission, staged: list[str]) -> ProcessResult:
    return ProcessResult(
        submission_id=submission.submission_id, file=submission.inbox_path, kode_kab=submission.kode_kab,
        jenis=submission.jenis, periode=submission.periode, status=submission.status,
        reason=submission.reason_code, rows_total=submission.rows_total or 0,
        rows_accepted=submission.rows_accepted or 0, rows_rejected=submission.rows_rejected or 0,
        rows_warning=submission.rows_warning or 0, report=submission.report_path, staged_tables=staged,
    )


# --- one scan ----------------------------------------------------------------------------------


def ingest_once(settings: Settings, *, run_id: str | None = None, options: IntakeOptions | None = None,
                handlers: Mapping[str, Handler] | None = None) -> dict:
    """One scan: register what is in the inbox, process every pending submission, build GX Data Docs.

    `by_status` counts `error` (a defect of ours: retried, `internal_error` after MAX_ATTEMPTS) and `tertunda`
    (a failure of the machine: pending, retried after a back-off); `tidak_terdaftar` counts files left in the
    inbox, `gangguan_mesin` the failures of the machine among all of these (one alert per scan)."""
    options = options or IntakeOptions.from_env()
    registration = register_inbox(settings, run_id=run_id, options=options)
    results = _process_pending(settings, registration.to_process, run_id, options, handlers)
    machine = [r["submission_id"] for r in results if r["status"] == "tertunda"]
    if machine or registration.machine:
        gangguan.alert("intake scan met failures of the machine: the files wait and are retried", kiriman=machine,
                       berkas=registration.machine)
    try:
        docs = build_data_docs(settings)
    except Exception as exc:
        if not gangguan.is_machine_fault(exc):
            raise
        log.error("GX Data Docs not built: %s", gangguan.one_line(exc))
        docs = None
    by_status: dict[str, int] = {}
    for item in results:
        by_status[item["status"]] = by_status.get(item["status"], 0) + 1
    return {"processed": len(results), "by_status": by_status, "submissions": results, "data_docs": str(docs),
            "tidak_terdaftar": len(registration.failed), "gangguan_mesin": len(machine) + len(registration.machine)}


def _process_pending(settings: Settings, ids: list[int], run_id: str | None, options: IntakeOptions,
                     handlers: Mapping[str, Handler] | None) -> list[dict]:
    """Each regency's submissions in the order they arrived, regencies on every core when there is enough to
    read: a file replaces only its own regency's older rows (`intake.cakupan`), so regencies are independent,
    and the warehouse is the same whichever finishes first. The results in the order of `ids`."""
    if not ids:
        return []
    try:
        groups = regency_groups(settings, ids)
    except Exception as exc:
        if not gangguan.is_machine_fault(exc):
            raise
        log.warning("pending files not grouped by regency (%s): processed here, one after another",
                    gangguan.one_line(exc))
        return process_regency(settings, ids, run_id, options, handlers or {})
    size = sum(groups.values())
    workers = worker_count() if size >= options.pool_min_bytes else 1
    try:
        done = each_group_writing(process_regency, list(groups), settings, run_id, options, dict(handlers or {}),
                                  workers=workers)
    except WorkerDied as exc:
        # The pool took the other worker with it: the files in flight stay pending for the next scan, as after
        # any crash of a task; this scan still answers for what finished.
        log.error("%s: the files not finished wait for the next scan", exc)
        done = exc.finished
    by_id = {item["submission_id"]: item for group in done if group for item in group}
    return [by_id.get(sid, {"submission_id": sid, "status": "error"}) for sid in ids]


def regency_groups(settings: Settings, ids: list[int]) -> dict[tuple[int, ...], int]:
    """The pending submissions by regency, in arrival order within each: {ids: bytes}, the largest first (a
    worker takes the next regency when it is done with one)."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            pending = [ledger.get(conn, sid) for sid in ids]
    finally:
        engine.dispose()
    by_kab: dict[str | None, list[int]] = {}
    size: dict[str | None, int] = {}
    for submission in pending:
        by_kab.setdefault(submission.kode_kab, []).append(submission.submission_id)
        size[submission.kode_kab] = size.get(submission.kode_kab, 0) + (submission.size_bytes or 0)
    return {tuple(by_kab[kab]): size[kab] for kab in sorted(by_kab, key=lambda kab: -size[kab])}


def process_regency(settings: Settings, ids: list[int], run_id: str | None, options: IntakeOptions,
                    handlers: Mapping[str, Handler]) -> list[dict]:
    """One regency's submissions, one after another (in a worker process, a mapped DAG task, or here): one
    that fails is said in its result (`error`, or `tertunda` for a failure of the machine) and the others go
    on."""
    results = []
    # One engine for the regency's files: its connection, open after one file's write, serves the next file's
    # ledger before that file lets go of the warehouse to read and validate (`_process`).
    engine = make_engine(settings.warehouse_url)
    try:
        for submission_id in ids:
            try:
                results.append(process_submission(settings, submission_id, run_id=run_id, options=options,
                                                  handlers=handlers, engine=engine).to_dict())
            except Exception as exc:
                if not gangguan.is_machine_fault(exc):
                    log.exception("submission %d failed; it stays pending and is retried on the next scan",
                                  submission_id)
                    results.append({"submission_id": submission_id, "status": "error"})
                    continue
                results.append({"submission_id": submission_id, "status": "tertunda",
                                "galat": gangguan.one_line(exc)})
    finally:
        engine.dispose()
    return results


def build_data_docs(settings: Settings) -> Path | None:
    from satudata.intake.validate import SuiteRunner

    gx_root = settings.data_dir / "gx"
    if not (gx_root / "gx").exists():
        return None
    return SuiteRunner.for_folder(gx_root).build_data_docs()


def list_submissions(settings: Settings) -> list[dict]:
    """Every submission, for `satudata submissions --json`."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            rows = ledger.list_all(conn)
    finally:
        engine.dispose()
    return [
        {
            "submission_id": s.submission_id, "file": s.inbox_path, "sha256": s.sha256, "kode_kab": s.kode_kab,
            "jenis": s.jenis, "periode": s.periode, "status": s.status, "reason": s.reason_code,
            "rows_total": s.rows_total or 0, "rows_accepted": s.rows_accepted or 0,
            "rows_rejected": s.rows_rejected or 0, "rows_warning": s.rows_warning or 0,
            "report": s.report_path, "received_at": s.received_at.isoformat() if s.received_at else None,
            "superseded_by": s.superseded_by, "duplicate_of": s.duplicate_of,
            "cara_kirim": s.cara_kirim,
            "penggantian": json.loads(s.penggantian) if s.penggantian else None,
            "reason_text": format_message(s.reason_code, **s.reason) if s.reason_code else None,
        }
        for s in rows
    ]


def staged_in_run(settings: Settings, jenis: str, run_id: str | None) -> list[str]:
    """Files of a jenis whose rows an Airflow run staged (accepted or partial)."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(
                sa.text("SELECT inbox_path FROM meta.submission WHERE jenis = :j AND run_id = :r "
                        "AND status IN ('accepted', 'partial') ORDER BY submission_id"),
                {"j": jenis, "r": run_id},
            ).scalars())
    finally:
        engine.dispose()
