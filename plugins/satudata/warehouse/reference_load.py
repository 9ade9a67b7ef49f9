"""Load the reference data of `include/reference/` (read by `satudata.reference`) into `core`, idempotently.

Each dataset is reloaded only when its source files changed (their SHA-256 is kept in
`meta.reference_load`); the delete and the insert share one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from satudata.config import reference_dir
from satudata.reference.program import load_programmes, programme_files
from satudata.reference.wilayah import LIST_YEARS, Wilayah, dotted, load_population
from satudata.warehouse.engine import replace_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReferenceDataset:
    name: str
    table: str
    files: tuple[str, ...]


DATASETS = (
    ReferenceDataset(
        "wilayah", "core.wilayah", tuple(f"wilayah_kepmendagri_{y}.csv" for y in LIST_YEARS)
    ),
    ReferenceDataset("penduduk_kabupaten", "core.penduduk_kabupaten", ("penduduk_kab_kota_2025.csv",)),
    ReferenceDataset("program", "core.program", ("program.csv",)),
)


def _sha256(directory: Path, files: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())
    return digest.hexdigest()


def wilayah_frame(directory: Path) -> pd.DataFrame:
    same = directory.resolve() == reference_dir().resolve()
    regions = (Wilayah.load() if same else Wilayah.from_directory(directory)).regions()
    frame = pd.DataFrame(
        {
            "kode": [r.kode for r in regions],
            "nama": [r.nama for r in regions],
            "tingkat": [r.level for r in regions],
            "kode_induk": [r.parent for r in regions],
            **{f"ada_{year}": [year in r.lists for r in regions] for year in LIST_YEARS},
        }
    )
    frame.insert(1, "kode_bertitik", frame["kode"].map(dotted))
    frame["kode_provinsi"] = frame["kode"].str[:2]
    frame["kode_kabupaten"] = frame["kode"].where(frame["kode"].str.len() >= 4).str[:4]
    frame["kode_kecamatan"] = frame["kode"].where(frame["kode"].str.len() >= 6).str[:6]
    return frame.sort_values("kode", ignore_index=True)


def penduduk_frame(directory: Path) -> pd.DataFrame:
    rows = [
        {"kode": kode, **values, "tahun": 2025}
        for kode, values in load_population(directory).items()
        if len(kode) == 4
    ]
    return pd.DataFrame(rows, columns=["kode", "nama", "laki_laki", "perempuan", "total", "tahun"])


def program_frame(directory: Path) -> pd.DataFrame:
    load_programmes(directory)  # the checks (a local file adds programmes, never redefines one) live there
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in programme_files(directory)]
    frame = pd.concat(frames, ignore_index=True)
    frame["kode_program"] = frame["kode_program"].str.strip().str.upper()
    frame["desil_maks"] = pd.to_numeric(frame["desil_maks"].replace("", None)).astype("Int64")
    frame["program_inti"] = frame["program_inti"].str.strip().str.lower().eq("ya")
    for column in ("kode_wilayah", "keterangan", "penyelenggara", "sumber_dana", "strategi_inpres", "alias"):
        frame[column] = frame[column].replace("", None)
    return frame


_BUILDERS = {"wilayah": wilayah_frame, "penduduk_kabupaten": penduduk_frame, "program": program_frame}


def load_reference(conn: Connection, directory: Path | None = None, *, force: bool = False) -> dict[str, int]:
    """Bring every reference table up to date; returns rows loaded per dataset (0 = already current)."""
    directory = directory or reference_dir()
    loaded: dict[str, int] = {}
    for dataset in DATASETS:
        files = dataset.files
        if dataset.name == "program":  # local programme files come and go
            files = tuple(p.name for p in programme_files(directory))
        sha = _sha256(directory, files)
        known = conn.execute(
            sa.text("SELECT sha256 FROM meta.reference_load WHERE dataset = :d"), {"d": dataset.name}
        ).scalar_one_or_none()
        if known == sha and not force:
            loaded[dataset.name] = 0
            continue
        frame = _BUILDERS[dataset.name](directory)
        rows = replace_rows(conn, dataset.table, frame)
        conn.execute(sa.text("DELETE FROM meta.reference_load WHERE dataset = :d"), {"d": dataset.name})
        conn.execute(
            sa.text(
                "INSERT INTO meta.reference_load (dataset, sha256, rows_loaded, loaded_at) "
                "VALUES (:d, :s, :r, :t)"
            ),
            {"d": dataset.name, "s": sha, "r": rows, "t": datetime.now(UTC)},
        )
        log.info("reference %s loaded into %s: %d rows", dataset.name, dataset.table, rows)
        loaded[dataset.name] = rows
    return loaded
