"""Exports of a publication: CSV and XLSX of every `mart` table, the data dictionary and a Frictionless
`datapackage.json`, ready to upload to a CKAN-based Satu Data portal.

Each publication gets its own folder, `publikasi/<periode>/publikasi_<id>/`, written aside and renamed
into place (whole or not at all); `publikasi/<periode>/TERBARU` names the current one. Earlier
publications stay where they are, so a link once shared keeps working.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from satudata.config import Settings
from satudata.fileio import neutralise_formulas, write_atomically
from satudata.publish.publication import restore_integers
from satudata.publish.suppress import RULES
from satudata.schema import INDICATOR_TABLES
from satudata.sheets.writer import StyledWorkbook
from satudata.warehouse.engine import make_engine, read_frame

log = logging.getLogger(__name__)

LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
_TYPES = {"bilangan bulat": "integer", "desimal": "number", "boolean": "boolean", "tanggal": "date", "teks": "string"}


def _in_key_order(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of the table's key (then every column), so two exports of one publication are equal."""
    key = [c for c in (RULES[table].key if table in RULES else ()) if c in frame.columns]
    rest = [c for c in frame.columns if c not in key]
    return frame.sort_values(key + rest, kind="stable", na_position="first").reset_index(drop=True)


def publication_dir(settings: Settings, periode: str, publikasi_id: int) -> Path:
    return settings.folder("publikasi") / periode / f"publikasi_{publikasi_id}"


def latest_dir(settings: Settings, periode: str) -> Path | None:
    pointer = settings.folder("publikasi") / periode / "TERBARU"
    if not pointer.exists():
        return None
    return pointer.parent / pointer.read_text(encoding="utf-8").strip()


def _field_type(series: pd.Series, declared: str | None) -> str:
    if declared in _TYPES:
        return _TYPES[declared]
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "string"


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8, comma, header; an empty field is a suppressed (or absent) value. Text that a spreadsheet would
    run as a formula (an OPD name typed as `=HYPERLINK(...)` in a regency's file) is quoted first; amounts
    (NUMERIC, read as Decimal) print exactly as stored."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _xlsx_bytes(frame: pd.DataFrame, title: str, note: str) -> bytes:
    book = StyledWorkbook(title=title)
    book.write_table(book.add_worksheet("data"), frame, max_width=40)
    about = book.add_worksheet("keterangan")
    about.write_string(0, 0, title, book.style("title"))
    about.write_string(1, 0, note)
    about.set_column(0, 0, 120)
    return book.getvalue()


def write_exports(settings: Settings, periode: str) -> dict:
    """Export the current publication of the period; returns the folder and the files written."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            record = read_frame(conn, "SELECT * FROM meta.publikasi WHERE periode = :p AND status = 'terbit'",
                                {"p": periode})
            if record.empty:
                raise ValueError(f"period {periode} has not been published")
            record = record.iloc[0]
            tables = {t: _in_key_order(t, restore_integers(read_frame(
                          conn, f"SELECT * FROM mart.{t} WHERE periode = :p", {"p": periode})))
                      for t in INDICATOR_TABLES}
            dictionary = read_frame(conn, "SELECT * FROM meta.kamus_data ORDER BY urutan", {})
    finally:
        engine.dispose()
    publikasi_id = int(record["publikasi_id"])
    target = publication_dir(settings, periode, publikasi_id)
    if target.exists():
        log.info("exports of publication %d already written: %s", publikasi_id, target)
        return {"folder": str(target), "publikasi_id": publikasi_id, "files": sorted(p.name for p in target.iterdir())}
    staging = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    staging.mkdir(parents=True)
    try:
        entries = dictionary.set_index(["tabel", "kolom"]) if not dictionary.empty else None
        resources = []
        note = (f"Satu Data Kemiskinan, periode {periode}, publikasi {publikasi_id}. Sel bernilai kecil (di bawah "
                f"{int(record['ambang_sel_kecil'])}) dan sel yang dapat diturunkan darinya dikosongkan (lihat kolom "
                "sel_disensor).")
        for name, frame in tables.items():
            info = _entry(entries, name, "")
            (staging / f"{name}.csv").write_bytes(_csv_bytes(frame))
            (staging / f"{name}.xlsx").write_bytes(_xlsx_bytes(frame, info.get("judul") or name, note))
            fields = [{
                "name": column,
                "type": _field_type(frame[column], _entry(entries, name, column).get("tipe_data")),
                "title": _entry(entries, name, column).get("judul") or column,
                "description": _entry(entries, name, column).get("definisi") or "",
            } for column in frame.columns]
            schema = {"fields": fields, "missingValues": [""]}
            for fmt in ("csv", "xlsx"):
                resources.append({
                    "name": name if fmt == "csv" else f"{name}-xlsx", "path": f"{name}.{fmt}", "format": fmt,
                    "mediatype": "text/csv" if fmt == "csv" else
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    **({"encoding": "utf-8"} if fmt == "csv" else {}),
                    "title": info.get("judul") or name, "description": info.get("definisi") or "",
                    "schema": schema,
                })
        (staging / "kamus_data.csv").write_bytes(_csv_bytes(dictionary))
        (staging / "kamus_data.xlsx").write_bytes(_xlsx_bytes(dictionary, "Kamus data", note))
        resources.append({
            "name": "kamus_data", "path": "kamus_data.csv", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "title": "Kamus data (metadata variabel dan indikator)",
            "schema": {"fields": [{"name": c, "type": "integer" if c == "urutan" else "string"}
                                  for c in dictionary.columns], "missingValues": [""]},
        })
        package = {
            "name": f"satudata-kemiskinan-{periode}",
            "title": f"Konvergensi intervensi kemiskinan ekstrem, periode {periode}",
            "description": note,
            "version": str(publikasi_id),
            "created": pd.Timestamp(record["dibuat_pada"]).tz_convert(UTC).isoformat()
            if pd.Timestamp(record["dibuat_pada"]).tzinfo else datetime.now(UTC).isoformat(),
            "licenses": [LICENSE],
            "sources": [{"title": "DTKS (Kementerian Sosial)"}, {"title": "P3KE (Kemenko PMK)"},
                        {"title": "Daftar penerima program dari kabupaten/kota"}],
            "keywords": ["kemiskinan ekstrem", "P3KE", "DTKS", "konvergensi", "Satu Data"],
            "resources": resources,
        }
        (staging / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
        staging.rename(target)  # the whole folder appears at once
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    write_atomically(target.parent / "TERBARU", f"{target.name}\n".encode())
    files = sorted(p.name for p in target.iterdir())
    log.info("exports of %s (publication %d): %s", periode, publikasi_id, target)
    return {"folder": str(target), "publikasi_id": publikasi_id, "files": files}


def _entry(entries: pd.DataFrame | None, table: str, column: str) -> dict:
    if entries is None or (table, column) not in entries.index:
        return {}
    row = entries.loc[(table, column)]
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0]
    return {k: (None if pd.isna(v) else v) for k, v in row.to_dict().items()}
