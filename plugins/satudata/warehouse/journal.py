"""The ledger's copy inside the archive, so the archive alone can rebuild the warehouse.

    archive/ledger/kiriman_000000042.json     one per submission: what arrived, when, where its bytes are
    archive/ledger/publikasi_000000003.json   one per publication: the period and who approved it
    archive/ledger/tahap_<time>_<stage>_<periode>.json   each harmonisation / convergence run of a period

Written after the warehouse transaction that records the event commits (a crash in between leaves the ledger
row without its copy; processing the submission writes it again). Files are written whole (temp + rename)
and never edited: a later event is a new file. `satudata rebuild` (ops.rebuild) reads them back in order.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

FOLDER = "ledger"
SUBMISSION_FIELDS = ("submission_id", "file_name", "inbox_path", "archive_path", "sha256", "size_bytes", "kode_kab",
                     "jenis", "received_at", "status", "reason_code", "duplicate_of")
PUBLICATION_FIELDS = ("publikasi_id", "periode", "dibuat_pada", "disetujui_oleh", "cara_persetujuan",
                      "ambang_sel_kecil", "sidik_jari")


def folder(archive_root: Path) -> Path:
    return archive_root / FOLDER


def _write(path: Path, record: dict) -> None:
    if path.exists():
        return  # an event is recorded once; its copy never changes
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    with temp.open("w", encoding="utf-8") as out:
        json.dump(record, out, ensure_ascii=False, default=_iso, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars from a frame row
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def record_submission(archive_root: Path, submission) -> None:
    """The arrival of a submission (a ledger.Submission or a mapping with its fields), as registered.

    The status kept is the registration's (`received`, or `duplicate`): what processing made of it is
    computed again on a rebuild."""
    values = submission if isinstance(submission, dict) else vars(submission)
    record = {k: values.get(k) for k in SUBMISSION_FIELDS}
    if record["status"] not in ("duplicate",):
        record["status"] = "received"
    _write(folder(archive_root) / f"kiriman_{int(record['submission_id']):09d}.json", record)


def record_publication(archive_root: Path, publication: dict) -> None:
    record = {k: publication.get(k) for k in PUBLICATION_FIELDS}
    _write(folder(archive_root) / f"publikasi_{int(record['publikasi_id']):09d}.json", record)


STAGES = ("harmonisasi", "konvergensi")


def record_stage(archive_root: Path, stage: str, periode: str) -> None:
    """A stage computed a period (the DAG's last task, or the CLI): a rebuild runs it at the same point."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}")
    now = datetime.now(UTC)
    name = f"tahap_{now.strftime('%Y%m%dT%H%M%S%f')}_{stage}_{periode}.json"
    _write(folder(archive_root) / name, {"tahap": stage, "periode": periode, "selesai_pada": now})


def stages(archive_root: Path) -> list[dict]:
    return [_read(p) for p in sorted(folder(archive_root).glob("tahap_*.json"))]


def _read(path: Path) -> dict:
    record = json.loads(path.read_text(encoding="utf-8"))
    for key in ("received_at", "dibuat_pada", "selesai_pada"):
        if record.get(key):
            record[key] = datetime.fromisoformat(record[key])
    return record


def submissions(archive_root: Path) -> list[dict]:
    return [_read(p) for p in sorted(folder(archive_root).glob("kiriman_*.json"))]


def publications(archive_root: Path) -> list[dict]:
    return [_read(p) for p in sorted(folder(archive_root).glob("publikasi_*.json"))]
