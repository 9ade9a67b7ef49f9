"""`satudata rebuild`: the warehouse again, from the archive alone, into an empty warehouse.

    satudata rebuild --archive /srv/satudata/archive --warehouse postgresql+psycopg://…/satudata_baru \\
                     --data-dir /srv/satudata_rebuild

The archive holds every original byte and its own copy of the ledger (`warehouse.journal`): every submission
as it arrived and every publication with the walidata who approved it. Replayed in the order they happened:

- each submission is recorded again under its own number, arrival time and archived bytes, then processed
  by the same intake code the DAG runs (validation, staging, replacements, duplicates); review answers go
  to harmonisation as they did;
- each harmonisation and convergence run of a period on record is run again at the same point (skipped when
  nothing changed since the same run); for an archive from before stage runs were recorded, the periods
  whose data changed are harmonised before a review answer (whose pairs must be queued first), before a
  publication and at the end, and converged before a publication and at the end;
- each publication is made again with its recorded approver, way of approval and small-cell threshold, and
  under its own number (the sequences are advanced to it).

What the DAGs converge to is what the rebuild gives: `ops.rebuild` shares every step with them. Answers to
the regencies and report files are written under `--data-dir` (a scratch folder), never over the original
ones; the archive is only read (missing journal files of older submissions are added to it).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import sqlalchemy as sa

from satudata.config import Settings

log = logging.getLogger(__name__)

REGISTRY_JENIS = {"dtks", "p3ke", "dtsen"}
REVIEW = "review"


class RebuildError(RuntimeError):
    pass


def _last_value(conn, sequence: str) -> int:
    """The last number a sequence gave (0 if none yet), on both engines."""
    from satudata.warehouse.engine import dialect_name

    schema, name = sequence.split(".")
    if dialect_name(conn) == "postgresql":
        last, called = conn.execute(sa.text(f"SELECT last_value, is_called FROM {sequence}")).one()
        return int(last) if called else int(last) - 1
    value = conn.execute(sa.text("SELECT last_value FROM duckdb_sequences() WHERE schema_name = :s "
                                 "AND sequence_name = :n"), {"s": schema, "n": name}).scalar_one()
    return 0 if value is None else int(value)


def _advance(conn, sequence: str, to: int) -> None:
    """Make the sequence's last number at least `to` (numbers are consumed; none is given twice)."""
    last = _last_value(conn, sequence)
    while last < to:
        last = int(conn.execute(sa.text(f"SELECT nextval('{sequence}')")).scalar_one())


def _events(archive: Path) -> list[tuple[str, dict]]:
    from satudata.warehouse import journal

    subs = journal.submissions(archive)
    pubs = journal.publications(archive)
    if not subs:
        raise RebuildError(f"{journal.folder(archive)} records no submission: nothing to rebuild from")
    events = [(s["received_at"], 0, s["submission_id"], "kiriman", s) for s in subs]
    events += [(t["selesai_pada"], 1, i, "tahap", t) for i, t in enumerate(journal.stages(archive))]
    events += [(p["dibuat_pada"], 2, p["publikasi_id"], "publikasi", p) for p in pubs]
    events.sort(key=lambda e: e[:3])
    return [(kind, record) for *_, kind, record in events]


class _Replay:
    def __init__(self, settings: Settings):
        from satudata.warehouse.engine import make_engine

        self.settings = settings
        self.engine = make_engine(settings.warehouse_url)
        self.to_harmonise: set[str] = set()
        self.to_converge: set[str] = set()
        self.recorded_stages = False  # archives from before stage runs were journaled: periods that changed
        self.changes = 0  # events that changed the warehouse; a stage run after none is not repeated
        self.stage_seen: dict[tuple[str, str], int] = {}
        self.counts = {"kiriman": 0, "publikasi": 0, "harmonisasi": 0, "konvergensi": 0}

    def submission(self, record: dict) -> None:
        from satudata.intake.run import IntakeOptions, answer_duplicate, process_submission
        from satudata.pipeline import jenis_handlers
        from satudata.warehouse import ledger

        sid = int(record["submission_id"])
        self.changes += 1
        if record["jenis"] == REVIEW and not self.recorded_stages:
            self.flush(converge=False)  # the pairs a review answers must be queued first
        with self.engine.begin() as conn:
            ledger.insert(conn, submission_id=sid, file_name=record["file_name"], inbox_path=record["inbox_path"],
                          archive_path=record["archive_path"], sha256=record["sha256"],
                          size_bytes=record["size_bytes"], kode_kab=record["kode_kab"], jenis=record["jenis"],
                          received_at=record["received_at"], status=record["status"],
                          reason_code=record["reason_code"], duplicate_of=record["duplicate_of"], run_id="rebuild")
            _advance(conn, "meta.submission_id_seq", sid)
        self.counts["kiriman"] += 1
        if record["status"] == "duplicate":
            answer_duplicate(self.settings, self.engine, sid)
            return
        result = process_submission(self.settings, sid, run_id="rebuild", options=IntakeOptions(stable_seconds=0),
                                    handlers=jenis_handlers())
        with self.engine.connect() as conn:
            done = ledger.get(conn, sid)
        if done.status in ledger.UNFINISHED:
            raise RebuildError(f"submission {sid} ({record['inbox_path']}) could not be processed again")
        log.info("replayed submission %d (%s): %s", sid, record["inbox_path"], result.status)
        if done.jenis in REGISTRY_JENIS or done.jenis == REVIEW:
            self.to_harmonise.update(self._periods(done))
        elif done.status in ledger.STAGED:
            self.to_converge.update(self._periods(done))

    def stage(self, record: dict) -> None:
        """A stage run on record, replayed unless nothing changed since it last ran for the period."""
        from satudata.pipeline import harmonise, konvergensi

        key = (record["tahap"], record["periode"])
        if self.stage_seen.get(key) == self.changes:
            return
        run = harmonise if record["tahap"] == "harmonisasi" else konvergensi
        self.engine.dispose()  # a DuckDB file left open here would keep the stage's worker processes out
        run(record["periode"], self.settings, run_id="rebuild")
        self.counts[record["tahap"]] += 1
        self.changes += 1
        self.stage_seen[key] = self.changes

    def _periods(self, submission) -> set[str]:
        if submission.periode:
            return {submission.periode}
        with self.engine.connect() as conn:  # a review answer names no period: every harmonised one
            return set(conn.execute(sa.text("SELECT DISTINCT periode FROM meta.harmonisasi")).scalars())

    def flush(self, *, converge: bool = True) -> None:
        """Without stage runs on record: the periods whose data changed, harmonised then converged."""
        from satudata.pipeline import harmonise, konvergensi

        if self.recorded_stages:
            return
        self.engine.dispose()  # as in `stage`
        for periode in sorted(self.to_harmonise):
            harmonise(periode, self.settings, run_id="rebuild")
            self.counts["harmonisasi"] += 1
            self.to_converge.add(periode)
        self.to_harmonise.clear()
        if not converge:
            return
        for periode in sorted(self.to_converge):
            konvergensi(periode, self.settings, run_id="rebuild")
            self.counts["konvergensi"] += 1
        self.to_converge.clear()

    def publication(self, record: dict) -> None:
        from satudata.publish.publication import publish_period

        self.flush()
        self.changes += 1
        pid = int(record["publikasi_id"])
        with self.engine.begin() as conn:
            _advance(conn, "meta.publikasi_id_seq", pid - 1)
        result = publish_period(self.settings, record["periode"], disetujui_oleh=record["disetujui_oleh"],
                                cara_persetujuan=record["cara_persetujuan"], run_id="rebuild",
                                minimum=record.get("ambang_sel_kecil"))
        if result["publikasi_id"] != pid:
            log.warning("publication %d of %s came out as %d (its figures or the order differ)", pid,
                        record["periode"], result["publikasi_id"])
        self.counts["publikasi"] += 1


def rebuild(archive: Path, warehouse_url: str, data_dir: Path) -> dict:
    """Replay the archive into the empty warehouse at `warehouse_url`; returns what was replayed."""
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata.warehouse.engine import make_engine

    started = time.perf_counter()
    archive = archive.resolve()
    if not archive.is_dir():
        raise RebuildError(f"no archive at {archive}")
    data_dir.mkdir(parents=True, exist_ok=True)
    link = data_dir / "archive"
    if link.is_symlink() or link.exists():
        if not (link.is_symlink() and link.resolve() == archive):
            raise RebuildError(f"{link} exists: give an empty --data-dir (its archive/ points at the original)")
    else:
        link.symlink_to(archive, target_is_directory=True)
    init_warehouse(warehouse_url)
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT count(*) FROM meta.submission")).scalar_one():
                raise RebuildError("the target warehouse already holds submissions: rebuild into an empty one")
    finally:
        engine.dispose()
    settings = Settings(data_dir=data_dir, warehouse_url=warehouse_url)
    settings.ensure_folders()
    replay = _Replay(settings)
    events = _events(archive)
    replay.recorded_stages = any(kind == "tahap" for kind, _ in events)
    try:
        for kind, record in events:
            if kind == "kiriman":
                replay.submission(record)
            elif kind == "tahap":
                replay.stage(record)
            else:
                replay.publication(record)
        replay.flush()
    finally:
        replay.engine.dispose()
    seconds = round(time.perf_counter() - started, 1)
    log.info("rebuilt %s from %s in %.1f s: %s", warehouse_url.split("@")[-1], archive, seconds, replay.counts)
    return {**replay.counts, "detik": seconds}
