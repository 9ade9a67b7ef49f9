"""Registration: every ready file in the inbox archived, recorded in the ledger, then taken out of the inbox.

The order and its guarantees are `intake.scan`'s (a file that changes meanwhile is never lost; a crash at any
point is finished by the next scan). Here: one registration at a time across processes, the per-regency
archive quota, duplicates answered at once, and what a scan could not register said, not only logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from satudata.config import Settings
from satudata.intake import gangguan
from satudata.intake.answer import answer_duplicate
from satudata.intake.options import IntakeOptions
from satudata.intake.scan import (
    ArchiveQuota,
    Candidate,
    FileChanged,
    QuotaExceeded,
    archive_copy,
    clean_stale_partials,
    find_candidates,
    hash_unchanged,
    recover_taken,
    regional_folder,
    remove_from_inbox,
)
from satudata.reference.wilayah import Wilayah
from satudata.warehouse import journal, ledger
from satudata.warehouse.engine import make_engine
from satudata.warehouse.locks import exclusive

log = logging.getLogger(__name__)


@dataclass
class Registration:
    """What one registration pass did: the submissions to process now, and the files it had to leave."""

    to_process: list[int] = field(default_factory=list)
    registered: int = 0
    failed: list[str] = field(default_factory=list)  # inbox paths left in the inbox by an error
    machine: list[str] = field(default_factory=list)  # those of them a failure of the machine left


def _known_regencies() -> set[str]:
    """The folders the inbox takes: every regency's code, and every province's (for its own budget)."""
    return {r.kode for r in Wilayah.load().regions() if r.level in ("kabupaten", "provinsi")}


def text(name: str) -> str:
    """A file name as storable text: bytes that are not UTF-8 (kept by Python as surrogates) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def register_new_files(settings: Settings, *, run_id: str | None = None,
                       options: IntakeOptions | None = None) -> list[int]:
    """Archive and record every ready file in the inbox. Returns the submissions that need processing.

    Duplicates are answered straight away (their report is written here) and are not returned. Submissions
    left unfinished by an earlier crash are returned too, so a re-run finishes them; one a failure of the
    machine postponed only once its next try time has come.
    """
    return register_inbox(settings, run_id=run_id, options=options).to_process


def register_inbox(settings: Settings, *, run_id: str | None = None,
                   options: IntakeOptions | None = None) -> Registration:

    options = options or IntakeOptions.from_env()
    settings.ensure_folders()
    engine = make_engine(settings.warehouse_url)
    done = Registration()
    archive = settings.folder("archive")
    try:
        # One registration at a time across processes: a second scan lists the inbox only after the first
        # has taken its files out, so a file is never recorded twice (nor answered as its own duplicate).
        with exclusive(engine, "inbox"):
            clean_stale_partials(archive)
            recover_taken(settings.folder("inbox"), settings.folder("quarantine"), _settled(engine, archive))
            candidates = find_candidates(settings.folder("inbox"), stable_seconds=options.stable_seconds,
                                         known_regencies=_known_regencies())
            quota = ArchiveQuota(archive, options.archive_quota_bytes)
            for candidate in candidates:
                _register_one(settings, engine, candidate, run_id, quota, done)
            _answer_unanswered_duplicates(settings, engine)
        with engine.connect() as conn:
            done.to_process = ledger.unfinished_ids(conn, due_by=datetime.now(UTC))
    finally:
        engine.dispose()
    log.info("inbox scan: %d new file(s), %d left in the inbox, %d submission(s) to process", done.registered,
             len(done.failed), len(done.to_process))
    return done


def _register_one(settings: Settings, engine: Engine, candidate: Candidate, run_id: str | None,
                  quota: ArchiveQuota, done: Registration) -> None:
    """One file; whatever goes wrong with it never blocks the others, and it stays in the inbox."""

    name = text(candidate.relative)
    try:
        submission_id, is_duplicate = _register(settings, engine, candidate, run_id, quota)
        done.registered += 1
        if is_duplicate:
            answer_duplicate(settings, engine, submission_id)
    except FileNotFoundError:
        log.info("%s disappeared before it was archived; skipped", name)
    except FileChanged:
        log.info("%s changed while it was being archived; the copy was dropped, it waits for the next scan", name)
    except Exception as exc:  # logged with its cause; the file waits in the inbox
        done.failed.append(name)
        if gangguan.is_machine_fault(exc):
            done.machine.append(name)
            gangguan.alert("a file could not be registered (failure of the machine); it stays in the inbox",
                           webhook=False, berkas=name, galat=gangguan.one_line(exc))
        else:
            log.exception("could not register %s; it stays in the inbox for the next scan", name)


def _settled(engine: Engine, archive_root: Path):
    """Whether bytes from an inbox path are archived and recorded (or were refused as over the quota)."""

    def settled(inbox_path: str, sha: str) -> bool:
        with engine.connect() as conn:
            found = ledger.archive_paths(conn, sha, text(inbox_path))
        return any(code == "kuota_arsip" or (path and (archive_root / path).is_file()) for path, code in found)

    return settled


def _register(settings: Settings, engine: Engine, candidate: Candidate, run_id: str | None,
              quota: ArchiveQuota) -> tuple[int, bool]:
    received = datetime.now(UTC)
    archive = settings.folder("archive")
    problem, detail = candidate.problem, None
    try:
        sha, archived = archive_copy(candidate, archive, received, quota)
        archive_path = archived.relative_to(archive).as_posix()
    except QuotaExceeded as exc:  # recorded and answered, never archived: the quota is what protects the disk
        sha, archive_path = hash_unchanged(candidate), ""
        problem, detail = "kuota_arsip", exc.detail()
        log.warning("%s refused without archiving it: %s", text(candidate.relative), exc)
    with engine.begin() as conn:
        resumed = ledger.find_unfinished_from_inbox(conn, sha, text(candidate.relative))
        if resumed is not None:
            submission_id, duplicate = resumed.submission_id, False
            log.info("resuming registration of %s as submission %d", candidate.relative, submission_id)
        else:
            original = ledger.find_original(conn, sha)
            duplicate = original is not None and problem not in ("symlink", "kuota_arsip")
            submission_id = ledger.insert(
                conn,
                file_name=text(candidate.name),
                inbox_path=text(candidate.relative),
                archive_path=archive_path,
                sha256=sha,
                size_bytes=candidate.size,
                # a folder that is no region code is recorded as none, never cut to look like one
                kode_kab=text(candidate.kode_kab) if regional_folder(candidate.kode_kab) else "",
                jenis=text(candidate.jenis[:20]),
                received_at=received,
                status="duplicate" if duplicate else "received",
                reason_code="duplicate" if duplicate else problem,
                reason_detail=json.dumps(detail, ensure_ascii=False) if detail else None,
                duplicate_of=original.submission_id if duplicate else None,
                run_id=run_id,
            )
            log.info(
                "registered %s (sha256 %s…) as submission %d%s",
                candidate.relative, sha[:12], submission_id,
                f", duplicate of {original.submission_id}" if duplicate else "",
            )
    with engine.connect() as conn:  # the archive's own copy of the ledger, before the inbox copy goes
        journal.record_submission(archive, ledger.get(conn, submission_id))
    remove_from_inbox(candidate, settings.folder("quarantine"))
    return submission_id, duplicate


def _answer_unanswered_duplicates(settings: Settings, engine: Engine) -> None:
    """A duplicate whose answer could not be written (a full disk) is answered by a later scan."""

    with engine.connect() as conn:
        waiting = ledger.unanswered_duplicates(conn)
    for submission_id in waiting:
        try:
            answer_duplicate(settings, engine, submission_id)
        except Exception as exc:  # noqa: BLE001 - tried again by the next scan
            log.error("duplicate %d not answered yet: %s", submission_id, gangguan.one_line(exc))
