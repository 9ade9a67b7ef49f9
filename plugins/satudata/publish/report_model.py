"""The report's content model and what it reads: sections (`Bagian`) with their table (`Tabel`), the
published data of one period (`Data`, `read_data`) and how a published cell is read (`nilai`).

Shared by the report's chapters (`report.py`, `report_anggaran.py`); only published figures and non-personal
metadata are read. A suppressed cell (empty in `mart`, named in `sel_disensor`) is `DISENSOR`, never 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.normalise.periode import nama_tanggal
from satudata.publish.charts import DISENSOR, Value, format_nilai, is_number, to_svg
from satudata.warehouse.engine import make_engine, read_frame

__all__ = [
    "Bagian",
    "Data",
    "Tabel",
    "format_waktu",
    "nama_pendek",
    "nilai",
    "read_data",
    "records",
    "sort_key",
    "sum_parts",
    "sum_text",
]


def format_waktu(value) -> str:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return "–"
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return f"{nama_tanggal(stamp)}, {stamp:%H.%M} UTC"


def nama_pendek(nama: str) -> str:
    """'Kabupaten Lombok Barat' -> 'Kab. Lombok Barat' (charts); tables keep the full name."""
    return re.sub(r"^Kabupaten\s+", "Kab. ", str(nama)).strip()


# --------------------------------------------------------------------------------------------- content model


@dataclass
class Tabel:
    """A data table, cells already formatted as text; columns from `first_numeric` on are right-aligned.

    `groups` adds a header row above `headers`: (label, number of columns spanned), "" for no label.
    """

    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    first_numeric: int = 1
    note: str = ""
    groups: Sequence[tuple[str, int]] = ()

    def typst(self) -> dict:
        return {"caption": self.caption, "headers": [str(h) for h in self.headers],
                "rows": [[str(c) for c in row] for row in self.rows], "first_numeric": self.first_numeric,
                "note": self.note, "groups": [[str(label), int(span)] for label, span in self.groups]}


@dataclass
class Bagian:
    """One section of the report: heading, explanation, chart (or a sentence instead) and its data table."""

    kode: str
    judul: str
    keterangan: str
    grafik: dict | None = None  # Vega-Lite specification, None when there is nothing to draw
    tabel: Tabel | None = None
    pengganti: str = ""  # the sentence shown instead of the chart
    _svg: str | None = field(default=None, repr=False)

    @property
    def svg(self) -> str | None:
        """The chart drawn once, shared by the HTML and the PDF."""
        if self.grafik is not None and self._svg is None:
            self._svg = to_svg(self.grafik)
        return self._svg

    @property
    def judul_grafik(self) -> str:
        title = (self.grafik or {}).get("title") or {}
        return str(title.get("text", "") if isinstance(title, dict) else title)

    def typst(self) -> dict:
        return {"judul": self.judul, "keterangan": self.keterangan, "grafik": self.svg,
                "judul_grafik": self.judul_grafik, "pengganti": self.pengganti,
                "tabel": self.tabel.typst() if self.tabel is not None else
                {"caption": "", "headers": [""], "rows": [], "first_numeric": 1, "note": "", "groups": []}}


# --------------------------------------------------------------------------------------------- data


@dataclass
class Data:
    """What the report reads, all of it published or non-personal metadata."""

    periode: str
    publikasi: dict
    tables: dict[str, pd.DataFrame]
    kiriman: pd.DataFrame
    wilayah: dict[str, str] = field(default_factory=dict)
    sumber_desil: dict[str, str] = field(default_factory=dict)  # kode_kab -> p3ke | dtsen (meta.sumber_desil)

    def nama(self, kode, fallback: str | None = None) -> str:
        kode = "" if kode is None else str(kode)
        return self.wilayah.get(kode) or fallback or kode or "(tanpa kode)"

    def desil_dari(self) -> str:
        """Whose desil the period's targets use, as the report names it: "desil DTSEN", "desil P3KE", or both
        with how many regencies each (a regency without a DTSEN extract keeps P3KE's); "" when not recorded."""
        kinds = {k: sum(1 for v in self.sumber_desil.values() if v == k) for k in ("dtsen", "p3ke")}
        if not self.sumber_desil:
            return ""
        if not kinds["p3ke"] or not kinds["dtsen"]:
            return "desil " + ("DTSEN" if kinds["dtsen"] else "P3KE")
        return f"desil DTSEN di {kinds['dtsen']} kabupaten/kota, P3KE di {kinds['p3ke']}"


_MART_TABLES = ("konvergensi_provinsi", "konvergensi_kabupaten", "konvergensi_kecamatan", "tumpang_tindih",
                "kantong_kemiskinan", "graduasi", "cakupan_program", "transisi_dtsen", "anggaran_ringkasan",
                "anggaran_jangkauan")


def read_data(settings: Settings, periode: str) -> Data:
    """The current publication of `periode` and what the report shows next to it (same SQL on both engines)."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            record = read_frame(conn, "SELECT publikasi_id, periode, dibuat_pada, run_id, disetujui_oleh, "
                                      "cara_persetujuan, ambang_sel_kecil, aturan, sidik_jari FROM meta.publikasi "
                                      "WHERE periode = :p AND status = 'terbit' ORDER BY publikasi_id DESC",
                                {"p": periode})
            if record.empty:
                raise ValueError(f"period {periode} has not been published: no report without a publication")
            publikasi = {k: (None if not isinstance(v, str) and pd.isna(v) else v)
                         for k, v in record.iloc[0].to_dict().items()}
            params = {"p": periode, "id": int(publikasi["publikasi_id"])}
            tables = {t: read_frame(conn, f"SELECT * FROM mart.{t} WHERE periode = :p AND publikasi_id = :id", params)
                      for t in _MART_TABLES}
            kiriman = read_frame(conn, "SELECT kode_kab, status, COUNT(*) AS berkas, "
                                       "SUM(COALESCE(rows_total, 0)) AS baris, "
                                       "SUM(COALESCE(rows_accepted, 0)) AS baris_diterima, "
                                       "SUM(COALESCE(rows_rejected, 0)) AS baris_ditolak, "
                                       "SUM(COALESCE(rows_warning, 0)) AS baris_peringatan "
                                       "FROM meta.submission WHERE periode = :p GROUP BY kode_kab, status", params)
            result = conn.execute(sa.text("SELECT kode, nama FROM core.wilayah WHERE LENGTH(kode) <= 4"))
            wilayah = {str(kode): str(nama) for kode, nama in result if nama is not None}
            sumber = conn.execute(sa.text("SELECT kode_kab, sumber_desil FROM meta.sumber_desil WHERE periode = :p"),
                                  params)
            sumber_desil = {str(kab): str(kind) for kab, kind in sumber}
    finally:
        engine.dispose()
    return Data(periode, publikasi, tables, kiriman, wilayah, sumber_desil)


def _hidden(row: dict) -> set[str]:
    listed = row.get("sel_disensor")
    return set(listed.split(",")) if isinstance(listed, str) and listed else set()


def nilai(row: dict, column: str) -> Value:
    """A published cell: DISENSOR when suppressed, None when empty for another reason (a percentage of zero)."""
    value = row.get(column)
    if column in _hidden(row):
        return DISENSOR
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        # Counts are never empty unless suppressed; only a percentage can be empty on its own.
        return None if column.startswith("persen") else DISENSOR
    return float(value)


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records") if not frame.empty else []


def sort_key(value: Value, descending: bool) -> tuple:
    if not is_number(value):
        return (1, 0.0)
    return (0, -float(value) if descending else float(value))


def sum_parts(values: Sequence[Value]) -> Value:
    """Sum of published parts: the known total, or DISENSOR when every part is suppressed."""
    numbers = [float(v) for v in values if is_number(v)]
    if not numbers:
        return DISENSOR if any(v is DISENSOR for v in values) else 0.0
    return sum(numbers)


def sum_text(values: Sequence[Value]) -> str:
    total = sum_parts(values)
    if total is DISENSOR:
        return "disensor"
    return ("≥ " if any(v is DISENSOR for v in values) else "") + format_nilai(total)
