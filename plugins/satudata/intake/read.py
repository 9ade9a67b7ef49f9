"""Turn one regency file (xlsx / xls / CSV) into canonical rows, chunk by chunk, with reasons.

    meta, chunks = read_submission(path, "dtks")
    for chunk in chunks:          # Chunk(sheet, frame, cell_issues)
        ...

What happens, in order:
  1. The format is decided from the bytes (`sheets/sniff.py`): xlsx (ZIP with xl/workbook.xml), xls (OLE2 with a
     Workbook stream), CSV (text). Everything else is a `FileRejected` with a stable code.
  2. xlsx: declared and *actual* uncompressed sizes are checked before python-calamine opens the package
     (zip bombs); the same streaming pass notes Excel error cells (`t="e"`, which calamine returns as
     empty) and formulas without a cached value.
  3. The header row is found among the first `header_search_rows` rows by how many cells name a canonical
     column (`sheets/headers.py`); title lines above it are kept and a period ("Periode: November 2026") parsed.
  4. Data rows are converted column-wise: everything becomes text, NIK/KK cells that Excel stored as
     numbers are refused (`nik_angka_excel` / `kk_angka_excel`: 15 significant digits cannot hold a NIK),
     region codes are normalised, Excel errors reported, empty/total/signature rows dropped. Row labels
     are the numbers the operator sees in Excel (CSV: the record number, = line number unless a quoted
     field spans lines, which is also what Excel shows when it opens the CSV).

Codes
  FileRejected.code: empty_file, unreadable, corrupt_xlsx, encrypted, not_a_spreadsheet,
      too_large_uncompressed, no_header, missing_columns, unsupported_format, sheet_missing.
  Chunk.cell_issues.aturan: see `CELL_ISSUE_CODES`.

P3KE: two sheets (families, members) are found by name ("Keluarga", "KRT", "Anggota Keluarga", "ART",
"Individu" ...) or, failing names, by their header. A single flat sheet of members carrying the family
columns (desil, id_keluarga_p3ke ...) on every row -- and every P3KE CSV -- yields *both* chunk kinds: a
"keluarga" chunk with one row per family (the row of its Kepala Keluarga when `hubungan_keluarga` says
so, else its first row; `nik_kepala_keluarga` / `nama_kepala_keluarga` / `jenis_kelamin_kepala_keluarga`
are taken from that head row when the file has no such columns), then an "anggota" chunk with every row.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import csv
import io
import itertools
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from satudata.normalise.nik import ZERO_WIDTH, clean_nik_cells
from satudata.normalise.periode import MONTH_PATTERN, parse_periode
from satudata.reference.wilayah import normalise_kode
from satudata.schema import P3KE_ANGGOTA_COLUMNS, P3KE_KELUARGA_COLUMNS
from satudata.sheets import sniff as _sniff
from satudata.sheets.headers import HeaderMatch, cell_text, exact_canonical, find_header, header_key
from satudata.sheets.workbook import (
    DELIMITERS,
    LINE,
    NUMBER_TYPES,
    ExcelError,
    FileRejected,
    Grid,
    cell_to_text,
    open_xls,
    open_xlsx,
)

# --------------------------------------------------------------------------------------------- contract

REJECTION_CODES = (
    "empty_file", "unreadable", "corrupt_xlsx", "encrypted", "not_a_spreadsheet", "too_large_uncompressed",
    "no_header", "missing_columns", "unsupported_format", "sheet_missing",
)  # fmt: skip

# (jenis, sheet) -> groups; each group is satisfied by any one of its columns.
REQUIRED_COLUMNS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("dtks", "utama"): (("nik",), ("nama",), ("kode_desa",), ("no_kk",)),
    ("p3ke", "keluarga"): (("id_keluarga_p3ke", "no_kk"), ("kode_desa",), ("desil",), ("nik_kepala_keluarga",)),
    ("p3ke", "anggota"): (("id_keluarga_p3ke", "no_kk"), ("nik",), ("nama",)),
    ("intervensi", "utama"): (("nik", "no_kk"), ("nama",), ("kode_desa",)),
}

# aturan -> (suggested tingkat, English description). The lead's messages module owns the wording.
CELL_ISSUE_CODES: dict[str, tuple[str, str]] = {
    "nik_angka_excel": ("galat", "NIK stored by Excel as a number (or written as 9.17E+15 / ...0.0): digits lost"),
    "kk_angka_excel": ("galat", "KK number stored by Excel as a number (or scientific/decimal text): digits lost"),
    "id_angka_excel": ("galat", "16+ digit id stored by Excel as a number (or scientific text): digits lost"),
    "sel_galat_excel": ("galat", "Excel error cell (#N/A, #REF!, #VALUE! ...): value unknown"),
    "rumus_tanpa_nilai": ("peringatan", "formula cell saved without its computed value"),
    "kolom_berlebih": ("peringatan", "row has more fields than the header; the extra fields were ignored"),
}

NIK_COLUMNS = ("nik", "nik_kepala_keluarga")
KK_COLUMNS = ("no_kk",)
ID_COLUMNS = ("id_dtks", "id_keluarga_p3ke", "id_individu_p3ke")
KODE_COLUMNS = ("kode_desa", "kode_provinsi", "kode_kabupaten", "kode_kecamatan", "kode_desa_bps")
NUMERIC_TEXT_COLUMNS = ("desil", "nilai_bantuan", "jumlah_anggota")
KEY_COLUMNS = (*NIK_COLUMNS, *KK_COLUMNS, *ID_COLUMNS)
REGION_EXTRA_COLUMNS = (
    "nama_provinsi", "nama_kabupaten", "nama_kecamatan", "nama_desa",
    "kode_provinsi", "kode_kabupaten", "kode_kecamatan", "kode_desa_bps",
)  # fmt: skip
EXCEL_ERRORS = frozenset({
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!", "#NA",
})  # fmt: skip
_CSV_SPARE_COLUMNS = 8
GRID_BATCH_ROWS = 100_000  # xlsx/xls rows per chunk at most (chunk_rows applies when smaller)
_ISSUE_COLUMNS = ["baris", "kolom", "aturan", "nilai"]


@dataclass
class ReadOptions:
    chunk_rows: int = 200_000  # CSV streams in chunks of this many rows (xlsx/xls: at most 100_000)
    max_uncompressed_bytes: int = 1_000_000_000  # cap on an xlsx's total uncompressed size (zip bomb)
    header_search_rows: int = 30


@dataclass
class SheetMeta:
    sheet: str  # "utama" for single-table files; "keluarga" / "anggota" for P3KE
    header_row: int  # 1-based row number (Excel row / CSV record) of the header
    column_map: dict[str, str]  # original header text -> canonical column
    unmapped_columns: list[str]  # headers we did not recognise (kept out of the frame, reported)
    missing_required: list[str]  # canonical columns required for this jenis/sheet but absent (empty if fine)
    source_sheet: str | None = None  # worksheet name in the workbook (None for CSV)
    flat: bool = False  # P3KE read from one flat member sheet (keluarga rows derived from it)


@dataclass
class FileMeta:
    format: str  # "xlsx" | "xls" | "csv"
    encoding: str | None  # CSV: "utf-8", "utf-8-sig", "cp1252", "utf-16"
    delimiter: str | None  # CSV
    title_lines: list[str]  # non-empty text found above the header
    periode: str | None  # "YYYY-MM" when a title line names the period
    sheets: list[SheetMeta]
    ignored_sheets: list[str] = field(default_factory=list)  # visible worksheets not read, with the reason


@dataclass
class Chunk:
    sheet: str
    frame: pd.DataFrame  # canonical columns (dtype "string", <NA> for empty); index = row number (unnamed)
    cell_issues: pd.DataFrame  # baris (int64), kolom, aturan, nilai


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({"baris": pd.Series(dtype="int64"), "kolom": pd.Series(dtype=object),
                         "aturan": pd.Series(dtype=object), "nilai": pd.Series(dtype=object)})


def missing_required(jenis: str, sheet: str, columns: set[str] | frozenset[str], *, flat: bool = False) -> list[str]:
    """Required groups not satisfied by `columns`, each as "a|b" (any one of them would do)."""
    missing = []
    for group in REQUIRED_COLUMNS.get((jenis, sheet), ()):
        if any(c in columns for c in group):
            continue
        if flat and group == ("nik_kepala_keluarga",) and {"nik", "hubungan_keluarga"} <= set(columns):
            continue  # derived from the head row of each family
        missing.append("|".join(group))
    return missing


# --------------------------------------------------------------------------------------------- periode

# --------------------------------------------------------------------------------------------- cells

# --------------------------------------------------------------------------------------------- row filters

_FOOTER = re.compile(
    r"^(total|jumlah|jml|jumlah total|total jumlah|grand total|sub ?total|total keseluruhan|jumlah keseluruhan"
    r"|jumlah seluruhnya|rekapitulasi|rekap)\b"
)
_SIGNATURE = re.compile(
    r"^(mengetahui|diketahui|menyetujui|disetujui|dibuat oleh|yang membuat|yang menyerahkan|yang menerima"
    r"|pembuat daftar|ttd|tanda tangan|kepala (dinas|bidang|badan|desa|seksi|kantor|bappeda|sub|bagian|kelurahan)"
    r"|sekretaris|plt|plh|a ?n bupati|an walikota|a ?n kepala|nip\b|pembina|penata|catatan|keterangan\s*:"
    r"|operator|petugas|pejabat|bupati|walikota|camat)"
)
_PLACE_DATE = re.compile(rf"(?i)^[a-z .'-]{{3,40}},\s*[0-9]{{1,2}}\s+({MONTH_PATTERN})\.?\s+[0-9]{{4}}$")
_NUMBERING_CELL = re.compile(r"^\(?[0-9]{1,3}\)?$")


def _footer_kind(text: str) -> str | None:
    if _PLACE_DATE.match(text.strip()):
        return "signature"
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    if key.startswith("keterangan") and ":" in text:
        return "signature"
    if _SIGNATURE.match(key):
        return "signature"
    if _FOOTER.match(key):
        return "total"
    return None


@dataclass
class _SheetState:
    """What the cleaning of one sheet remembers across its chunks."""

    jenis: str
    sheet: str
    header_texts: dict[str, str]  # canonical -> header text (to drop repeated header rows)
    first_chunk: bool = True
    after_signature: bool = False
    seen_families: set[str] = field(default_factory=set)


@dataclass
class _RawChunk:
    index: np.ndarray  # row numbers (int64)
    columns: dict[str, Any]  # canonical -> list[str] / string array (one value per row)
    numeric: dict[str, np.ndarray]  # canonical -> True where the cell was a number in the workbook
    row_cells: Callable[[np.ndarray], list[list[str]]]  # positions -> every cell of those rows, as text
    pre_issues: list[tuple[int, str | None, str, str | None]]  # (baris, kolom, aturan, nilai)
    banner: np.ndarray | None = None  # True where a merged range spans the row (section titles, notes)


def _finish(raw: _RawChunk, state: _SheetState) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean one chunk: text, emptiness, footers, Excel errors, NIK/KK, codes. Vectorised per column."""
    index = pd.Index(raw.index, dtype="int64")  # unnamed: GX reports unexpected rows by plain label then
    n = len(index)
    data = {}
    for col, values in raw.columns.items():
        s = pd.Series(pd.array(values, dtype="string"), index=index, copy=False)
        wide = ~s.str.isascii().fillna(True).astype(bool)  # zero-width characters are never ASCII
        if wide.any() and s[wide].str.contains(ZERO_WIDTH, regex=True).any():
            s = s.str.replace(ZERO_WIDTH, "", regex=True)
        s = s.str.strip()
        data[col] = s.where(s.str.len() > 0)
    frame = pd.DataFrame(data, index=index)
    if n == 0 or frame.empty:
        return frame.iloc[0:0], empty_issues()

    # Excel errors, as error cells or typed text.
    errors: dict[str, pd.Series] = {}
    for col in frame.columns:
        s = frame[col]
        hashed = s.str.startswith("#").fillna(False).astype(bool)
        if hashed.any():
            mask = hashed & s.str.upper().isin(EXCEL_ERRORS).fillna(False).astype(bool)
            if mask.any():
                errors[col] = mask
    present = frame.notna()
    for col, mask in errors.items():
        present[col] = present[col] & ~mask
    has_data = present.to_numpy().any(axis=1)
    # A key (NIK, KK, id) counts only when it has a digit: "Grand Total" in the NIK column is no key.
    has_key = np.zeros(n, dtype=bool)
    for col in (c for c in KEY_COLUMNS if c in frame.columns):
        has_key |= (present[col] & frame[col].str.contains("[0-9]", regex=True).fillna(False)).to_numpy(bool)
    keep = has_data.copy()

    # Repeated header rows (files glued together, page headers).
    if state.header_texts:
        hits = np.zeros(n, dtype=np.int32)
        for col, text in list(state.header_texts.items())[:3]:  # three columns tell a header row
            if col in frame.columns:
                variants = list({text, text.upper(), text.lower(), text.title(), text.capitalize()})
                hits += frame[col].isin(variants).to_numpy(dtype=bool)
        keep &= ~(hits >= min(2, len(state.header_texts), 3))

    # Numbering row right under the header ("1 2 3 ..." / "(1) (2) (3)"), header continuation rows.
    if state.first_chunk:
        first_rows = np.flatnonzero(keep)[:3]
        if len(first_rows):
            cells = [c for c in raw.row_cells(first_rows[:1])[0] if c.strip()]
            if len(cells) >= 3 and all(_NUMBERING_CELL.match(c.strip()) for c in cells):
                nums = [int(c.strip("() ")) for c in cells]
                if all(b > a for a, b in itertools.pairwise(nums)):
                    keep[first_rows[0]] = False
                    first_rows = first_rows[1:]
        for pos in first_rows[:2]:
            if has_key[pos]:
                break
            cells = [c.strip() for c in raw.row_cells(np.array([pos]))[0] if c.strip()]
            nama = frame["nama"].iloc[pos] if "nama" in frame.columns else None
            nama_is_header = nama is None or pd.isna(nama) or exact_canonical(nama) is not None
            if cells and nama_is_header and not any(ch.isdigit() for c in cells for ch in c):
                keep[pos] = False  # a second header row (e.g. "RT | RW" under a merged "Alamat")
            else:
                break
        state.first_chunk = False

    # Total / footer / signature rows: rows without any key whose first non-empty cell says so.
    candidates = np.flatnonzero(keep & ~has_key)
    after = state.after_signature
    if len(candidates) or after:
        if after:
            keep &= has_key
        else:
            rows = raw.row_cells(candidates)
            for pos, cells in zip(candidates, rows):
                first = next((c for c in cells if c and c.strip()), "")
                kind = _footer_kind(first) if first else None
                if kind is not None:
                    keep[pos] = False
                if kind == "signature":
                    after = True
                    later = np.arange(pos + 1, n)
                    keep[later] &= has_key[later]
                    break
        state.after_signature = after

    # Section titles and notes written across the table ("KECAMATAN PRAYA", merged over the columns).
    if raw.banner is not None:
        keep &= ~(raw.banner & ~has_key)

    frame = frame.loc[keep]
    kept_index = frame.index
    issues: list[pd.DataFrame] = []

    def add(mask: pd.Series, col: str | None, code: str, values: pd.Series) -> None:
        if mask.any():
            issues.append(pd.DataFrame({
                "baris": kept_index[mask.to_numpy()].to_numpy(dtype="int64"),
                "kolom": col, "aturan": code,
                "nilai": values[mask].astype(object).where(values[mask].notna(), None).to_numpy(dtype=object),
            }))

    for col, mask in errors.items():
        mask = mask.loc[keep]
        add(mask, col, "sel_galat_excel", frame[col])
        frame[col] = frame[col].mask(mask)
    if raw.pre_issues:
        pre = pd.DataFrame(raw.pre_issues, columns=_ISSUE_COLUMNS)
        pre = pre[pre["baris"].isin(kept_index)]
        if len(pre):
            issues.append(pre.astype({"baris": "int64"}))

    for col in frame.columns:
        s = frame[col]
        numeric = raw.numeric.get(col)
        if numeric is not None:
            numeric = numeric[keep]
        if col in NIK_COLUMNS or col in KK_COLUMNS:
            cleaned, flagged = clean_nik_cells(s, numeric)
            flagged |= _rounded_column(cleaned)
            cleaned = cleaned.mask(flagged)
            add(flagged & s.notna(), col, "kk_angka_excel" if col in KK_COLUMNS else "nik_angka_excel", s)
            frame[col] = cleaned
        elif col in ID_COLUMNS:
            text = s.str.lstrip("'`\u2018\u2019\"").str.strip()
            sci = text.str.fullmatch(r"[0-9]+([.,][0-9]*)?[eE][+]?[0-9]+").fillna(False).astype(bool)
            whole = text.str.extract(r"^([0-9]+)[.,]0+$", expand=False)
            long_float = whole.str.len().ge(16).fillna(False).astype(bool)
            flagged = sci | long_float
            if numeric is not None:
                flagged |= pd.Series(numeric, index=s.index) & text.str.len().ge(16).fillna(False).astype(bool)
            add(flagged & s.notna(), col, "id_angka_excel", s)
            text = whole.where(whole.notna() & ~long_float, text)
            frame[col] = text.where(text.str.len() > 0).mask(flagged)
        elif col in KODE_COLUMNS:
            text = s.str.lstrip("'`\u2018\u2019\"").str.strip()
            uniques = text.dropna().unique()
            mapping = {u: (normalise_kode(u) or u) for u in uniques}
            frame[col] = text.map(mapping, na_action="ignore").astype("string")
        elif col in NUMERIC_TEXT_COLUMNS:
            frame[col] = s.str.replace(r"^([0-9]+)[.,](?:0|00)$", r"\1", regex=True)
    _compose_kode_desa(frame)
    cell_issues = pd.concat(issues, ignore_index=True) if issues else empty_issues()
    if len(cell_issues):
        cell_issues = cell_issues.sort_values("baris", kind="stable", ignore_index=True)
        cell_issues["baris"] = cell_issues["baris"].astype("int64")
    return frame, cell_issues


def _rounded_column(cleaned: pd.Series) -> pd.Series:
    """16-digit values ending in 0 when most of the column does: a column Excel held as numbers (format "0")
    and wrote out with 15 significant digits. One such value alone cannot be told from a real NIK whose serial
    ends in 0 (1 in 10), so this fires only on the column-level evidence (>= 20 values, >= half end in 0)."""
    sixteen = cleaned.str.len().eq(16).fillna(False).astype(bool)
    total = int(sixteen.sum())
    if total < 20:
        return pd.Series(False, index=cleaned.index)
    zero = sixteen & cleaned.str.endswith("0").fillna(False).astype(bool)
    return zero if int(zero.sum()) >= 0.5 * total else pd.Series(False, index=cleaned.index)


def _compose_kode_desa(frame: pd.DataFrame) -> None:
    """SIKS-NG style split codes (KDPROP, KDKAB, KDKEC, KDDESA = "2001") -> one 10-digit kode_desa.

    Only a 4-digit desa part is composed (Kemendagri layout 2+2+2+4); anything else is left as written.
    """
    if "kode_desa" not in frame.columns or "kode_kecamatan" not in frame.columns:
        return
    desa = frame["kode_desa"]
    short = desa.str.fullmatch("[0-9]{4}").fillna(False).astype(bool)
    if not short.any():
        return
    kec = frame["kode_kecamatan"]
    kec_full = kec.str.fullmatch("[0-9]{6}").fillna(False).astype(bool)
    kec_part = kec.str.fullmatch("[0-9]{1,2}").fillna(False).astype(bool)
    composed = (kec + desa).where(short & kec_full)
    if "kode_kabupaten" in frame.columns:
        kab = frame["kode_kabupaten"]
        kab_full = kab.str.fullmatch("[0-9]{4}").fillna(False).astype(bool)
        composed = composed.fillna((kab + kec.str.zfill(2) + desa).where(short & kec_part & kab_full))
        if "kode_provinsi" in frame.columns:
            prov = frame["kode_provinsi"]
            ok = (short & kec_part & kab.str.fullmatch("[0-9]{1,2}").fillna(False).astype(bool)
                  & prov.str.fullmatch("[0-9]{2}").fillna(False).astype(bool))
            composed = composed.fillna((prov + kab.str.zfill(2) + kec.str.zfill(2) + desa).where(ok))
    frame["kode_desa"] = composed.fillna(desa).astype("string")


# --------------------------------------------------------------------------------------------- P3KE flat

FAMILY_COLUMNS = (*P3KE_KELUARGA_COLUMNS, *REGION_EXTRA_COLUMNS)
MEMBER_COLUMNS = (*P3KE_ANGGOTA_COLUMNS, "no_kk")
_FAMILY_ONLY = frozenset({"desil", "nik_kepala_keluarga", "nama_kepala_keluarga", "jumlah_anggota",
                          "jenis_kelamin_kepala_keluarga"})
_MEMBER_ONLY = frozenset({"nik", "nama", "hubungan_keluarga", "id_individu_p3ke", "tanggal_lahir", "tempat_lahir",
                          "jenis_kelamin", "status_kawin", "pekerjaan"})
_HEAD_WORDS = frozenset({"kepala keluarga", "kepala rumah tangga", "krt", "kk", "kepala", "1", "01"})


def _split_flat(frame: pd.DataFrame, issues: pd.DataFrame, state: _SheetState) -> list[Chunk]:
    """One flat P3KE chunk -> a keluarga chunk (families first seen here) and an anggota chunk."""
    key = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "id_keluarga_p3ke" in frame.columns:
        key = frame["id_keluarga_p3ke"]
    if "no_kk" in frame.columns:
        key = key.fillna("kk:" + frame["no_kk"])
    if "hubungan_keluarga" in frame.columns:
        hub = frame["hubungan_keluarga"].str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
        is_head = hub.isin(_HEAD_WORDS).fillna(False).astype(bool)
    else:
        is_head = pd.Series(False, index=frame.index)
    order = pd.DataFrame({"key": key.to_numpy(), "nothead": ~is_head.to_numpy(), "pos": np.arange(len(frame))})
    order = order[order["key"].notna()]
    order = order[~order["key"].isin(state.seen_families)]
    chosen = order.sort_values(["key", "nothead", "pos"], kind="stable").drop_duplicates("key")
    state.seen_families.update(chosen["key"].tolist())
    positions = np.sort(chosen["pos"].to_numpy())
    family = frame.iloc[positions][[c for c in frame.columns if c in FAMILY_COLUMNS]].copy()
    if len(family):
        heads = frame.loc[is_head.to_numpy()]
        head_key = key.loc[heads.index]
        for target, source in (("nik_kepala_keluarga", "nik"), ("nama_kepala_keluarga", "nama"),
                               ("jenis_kelamin_kepala_keluarga", "jenis_kelamin")):
            if target not in frame.columns and source in frame.columns:
                lookup = pd.Series(heads[source].to_numpy(), index=head_key.to_numpy())
                lookup = lookup[~lookup.index.duplicated()]
                family[target] = key.iloc[positions].map(lookup).astype("string").to_numpy()
    members = frame[[c for c in frame.columns if c in MEMBER_COLUMNS]]
    fam_issues = issues[issues["kolom"].isin(family.columns) & issues["baris"].isin(family.index)]
    mem_issues = issues[(issues["kolom"].isin(members.columns) | issues["kolom"].isna())]
    return [
        Chunk("keluarga", family, fam_issues.reset_index(drop=True)),
        Chunk("anggota", members, mem_issues.reset_index(drop=True)),
    ]


# --------------------------------------------------------------------------------------------- plans


@dataclass
class _Plan:
    """One table to read: where its header is and how to stream its rows."""

    sheet: str  # utama / keluarga / anggota / flat
    header: HeaderMatch
    header_row: int  # 1-based
    title_lines: list[str]
    source_sheet: str | None
    stream: Callable[[_SheetState], Iterator[_RawChunk]] | None = None
    flat: bool = False

    def canonicals(self) -> set[str]:
        return set(self.header.columns.values())


def _sheet_metas(jenis: str, plan: _Plan) -> list[SheetMeta]:
    col_map = {plan.header.texts[p]: c for p, c in plan.header.columns.items()}
    found = plan.canonicals()
    if not plan.flat:
        return [SheetMeta(plan.sheet, plan.header_row, col_map, list(plan.header.unmapped),
                          missing_required(jenis, plan.sheet, found), plan.source_sheet)]
    metas = []
    for sheet, allowed in (("keluarga", FAMILY_COLUMNS), ("anggota", MEMBER_COLUMNS)):
        sub = {t: c for t, c in col_map.items() if c in allowed}
        metas.append(SheetMeta(sheet, plan.header_row, sub, list(plan.header.unmapped),
                               missing_required(jenis, sheet, found, flat=True), plan.source_sheet, flat=True))
    return metas


def _check_required(jenis: str, plans: list[_Plan]) -> None:
    for plan in plans:
        for meta in _sheet_metas(jenis, plan):
            if meta.missing_required:
                found = plan.canonicals()
                detail = (f"{jenis}/{meta.sheet}: required column(s) {', '.join(meta.missing_required)} not found "
                          f"in header row {plan.header_row}"
                          + (f" of sheet {plan.source_sheet!r}" if plan.source_sheet else ""))
                if "kode_desa" in meta.missing_required and "kode_desa_bps" in found:
                    detail += "; the file has BPS village codes (kode_desa_bps) instead of Kemendagri codes"
                raise FileRejected("missing_columns", detail, missing_columns=meta.missing_required)


def _remap_code_columns(match: HeaderMatch, sample: list[list[str]]) -> None:
    """A "Desa" column holding 10-digit codes (and no kode_desa column) is the kode_desa column."""
    if "kode_desa" in match.columns.values():
        return
    for pos, canonical in list(match.columns.items()):
        if canonical != "nama_desa":
            continue
        values = [row[pos].strip() for row in sample if pos < len(row) and row[pos].strip()]
        if len(values) >= 3 and sum(len(normalise_kode(v) or "") == 10 for v in values) >= 0.8 * len(values):
            match.columns[pos] = "kode_desa"


def _title_lines(rows: list[list[str]], upto: int) -> list[str]:
    lines = []
    for row in rows[:upto]:
        parts = [c.strip() for c in row if c and c.strip()]
        if parts:
            lines.append(" ".join(parts))
    return lines


# --------------------------------------------------------------------------------------------- grids


def _grid_header(grid: Grid, options: ReadOptions) -> tuple[_Plan | None, list[list]]:
    """Find the header of a grid. Returns the plan (stream unset) and the buffered raw rows."""
    rows_iter = grid.rows()
    buffered = list(itertools.islice(rows_iter, options.header_search_rows + 20))
    texts = [[cell_text(v) for v in row] for row in buffered]
    for r0, c0, r1, _c1 in grid.merged:  # vertical merges in the header area: the name belongs to each row
        if r1 > r0 and r0 < len(texts):
            for rr in range(r0 + 1, min(r1, len(texts) - 1) + 1):
                if c0 < len(texts[rr]) and not texts[rr][c0]:
                    texts[rr][c0] = texts[r0][c0]
    match = find_header(texts, options.header_search_rows)
    grid._rest = rows_iter  # type: ignore[attr-defined]
    if match is None:
        return None, buffered
    _remap_code_columns(match, texts[match.row + 1 :])
    plan = _Plan("utama", match, match.row + 1, _title_lines(texts, match.first_row), grid.name)
    return plan, buffered


def _grid_stream(grid: Grid, plan: _Plan, buffered: list[list], options: ReadOptions):
    """Stream a grid's data rows in batches of chunk_rows, as `_RawChunk`s."""
    header0 = plan.header.row  # 0-based header row
    columns = dict(plan.header.columns)
    pos_of = {c: p for p, c in columns.items()}
    key_like = [c for c in pos_of if c in NIK_COLUMNS or c in KK_COLUMNS or c in ID_COLUMNS]
    merges = [m for m in grid.merged if m[2] > m[0] and m[0] > header0]
    merges.sort()
    banners = {r0 for r0, c0, r1, c1 in grid.merged if r0 > header0 and c1 - c0 >= 2}  # 3+ columns wide
    merge_tops: dict[tuple[int, int], Any] = {}
    error_rows = sorted(grid.errors)
    blank_rows = sorted(grid.blanks)

    # Spreadsheet rows are Python objects until converted (~1 KB per 20-column row): smaller batches than CSV.
    batch_rows = max(1, min(options.chunk_rows, GRID_BATCH_ROWS))

    def generate(state: _SheetState) -> Iterator[_RawChunk]:
        rest = grid._rest  # type: ignore[attr-defined]
        data_rows = itertools.chain(iter(buffered[header0 + 1 :]), rest)
        b0 = header0 + 1
        while True:
            batch = list(itertools.islice(data_rows, batch_rows))
            if not batch:
                return
            b1 = b0 + len(batch)
            # Excel error cells and formula cells without values (found in the XML; calamine returns "").
            lo, hi = bisect.bisect_left(error_rows, b0), bisect.bisect_left(error_rows, b1)
            for r in error_rows[lo:hi]:
                row = batch[r - b0]
                for c, text in grid.errors[r]:
                    if c < len(row):
                        row[c] = ExcelError(text)
            pre: list[tuple[int, str | None, str, str | None]] = []
            lo, hi = bisect.bisect_left(blank_rows, b0), bisect.bisect_left(blank_rows, b1)
            for r in blank_rows[lo:hi]:
                for c in grid.blanks[r]:
                    if c in columns and c < len(batch[r - b0]) and batch[r - b0][c] in ("", None):
                        pre.append((r + 1, columns[c], "rumus_tanpa_nilai", None))
            # Merged cells in the data area: the top-left value fills its column down the range.
            for r0, c0, r1, _c1 in merges:
                if r0 >= b1:
                    break
                if r1 < b0:
                    continue
                if b0 <= r0 < b1:
                    merge_tops[(r0, c0)] = batch[r0 - b0][c0] if c0 < len(batch[r0 - b0]) else ""
                top = merge_tops.get((r0, c0), "")
                for rr in range(max(r0 + 1, b0), min(r1, b1 - 1) + 1):
                    row = batch[rr - b0]
                    if c0 < len(row) and row[c0] in ("", None):
                        row[c0] = top
            cols: dict[str, Any] = {}
            numeric: dict[str, np.ndarray] = {}
            to_text = cell_to_text
            for canonical, p in pos_of.items():
                try:
                    values = [row[p] for row in batch]
                except IndexError:
                    values = [row[p] if p < len(row) else "" for row in batch]
                cols[canonical] = [v if type(v) is str else to_text(v) for v in values]
                if canonical in key_like:  # numbers (and numbers shown as dates) cannot hold 16 digits
                    numeric[canonical] = np.fromiter((type(v) in NUMBER_TYPES for v in values), dtype=bool,
                                                     count=len(values))

            def row_cells(positions: np.ndarray, batch=batch, to_text=to_text) -> list[list[str]]:
                return [[to_text(v) for v in batch[p]] for p in positions]

            banner = None
            if banners:
                banner = np.fromiter((r in banners for r in range(b0, b1)), dtype=bool, count=b1 - b0)
            yield _RawChunk(np.arange(b0 + 1, b1 + 1, dtype="int64"), cols, numeric, row_cells, pre, banner)
            b0 = b1

    return generate


# --------------------------------------------------------------------------------------------- xlsx


_HEAD_OF = {"nik": "nik_kepala_keluarga", "nama": "nama_kepala_keluarga",
            "jenis_kelamin": "jenis_kelamin_kepala_keluarga"}


def _as_family_sheet(match: HeaderMatch) -> None:
    """On a family sheet a person column describes the head: "NIK" there is the NIK of the Kepala Keluarga."""
    present = set(match.columns.values())
    for pos, canonical in list(match.columns.items()):
        target = _HEAD_OF.get(canonical)
        if target and target not in present:
            match.columns[pos] = target
            present.add(target)


_ANGGOTA_WORDS = frozenset({"anggota", "art", "individu", "jiwa", "member", "members", "person", "orang"})
_KELUARGA_WORDS = frozenset({"keluarga", "krt", "kk", "ruta", "rumah", "household", "families", "family", "rt"})


def sheet_role(name: str) -> str | None:
    """P3KE sheet role from its name: "anggota", "keluarga" or None."""
    words = set(header_key(name).split())
    if words & _ANGGOTA_WORDS:
        return "anggota"
    if words & _KELUARGA_WORDS:
        return "keluarga"
    return None


def _coverage(jenis: str, sheet: str, plan: _Plan, flat: bool = False) -> tuple[int, int]:
    groups = REQUIRED_COLUMNS.get((jenis, sheet), ())
    missing = len(missing_required(jenis, sheet, plan.canonicals(), flat=flat))
    return len(groups) - missing, plan.header.score


def _grid_plans(jenis: str, visible: list[str], load: Callable[[str], Grid], options: ReadOptions,
                ignored: list[str]) -> list[_Plan]:
    if not visible:
        raise FileRejected("no_header", "the workbook has no visible worksheet")
    candidates: list[tuple[str, Grid, _Plan | None, list]] = []
    for name in visible:
        grid = load(name)
        plan, buffered = _grid_header(grid, options)
        candidates.append((name, grid, plan, buffered))
    with_header = [(n, g, p, b) for n, g, p, b in candidates if p is not None]
    if not with_header:
        raise FileRejected("no_header", "no row among the first "
                           f"{options.header_search_rows} rows of {', '.join(repr(v) for v in visible)} "
                           "names at least two known columns")

    def finish(name, grid, plan, buffered, sheet, flat=False):
        plan.sheet, plan.flat = sheet, flat
        plan.stream = _grid_stream(grid, plan, buffered, options)
        return plan

    if jenis != "p3ke":
        best = max(with_header, key=lambda t: (_coverage(jenis, "utama", t[2]), -visible.index(t[0])))
        for n, _g, p, _b in candidates:
            if n != best[0]:
                ignored.append(f"{n}: " + ("header matches too" if p is not None else "no header"))
        return [finish(*best, "utama")]

    roles: dict[str, list] = {"keluarga": [], "anggota": []}
    unnamed = []
    for item in with_header:
        role = sheet_role(item[0])
        (roles[role] if role else unnamed).append(item)

    def kind(item) -> str | None:
        found = item[2].canonicals()
        person = {"nik", "nama"} <= found
        family = bool(found & _FAMILY_ONLY)
        if family and not person:
            return "keluarga"
        if person and not family:
            return "anggota"
        return "mixed" if person else None

    by_kind: dict[str | None, list] = {}
    for item in unnamed:  # no telling name: decide by the header
        by_kind.setdefault(kind(item), []).append(item)
    for role in ("keluarga", "anggota"):
        if not roles[role]:
            roles[role] = by_kind.get(role, [])
    mixed = by_kind.get("mixed", [])
    # One role found and an unnamed sheet with person *and* family columns: that sheet is the other role
    # (a family sheet often carries the head's NIK and name).
    if roles["anggota"] and not roles["keluarga"] and mixed:
        roles["keluarga"] = mixed
    elif roles["keluarga"] and not roles["anggota"] and mixed:
        roles["anggota"] = mixed
    chosen: list[_Plan] = []
    if roles["keluarga"] and roles["anggota"]:
        for role in ("keluarga", "anggota"):
            best = max(roles[role], key=lambda t, r=role: (_coverage(jenis, r, t[2]), -visible.index(t[0])))
            if role == "keluarga":
                _as_family_sheet(best[2].header)
            chosen.append(finish(*best, role))
    else:
        flat_items = [t for t in with_header if {"nik", "nama"} <= t[2].canonicals()
                      and t[2].canonicals() & {"desil", "nik_kepala_keluarga", "id_keluarga_p3ke"}]
        if not flat_items:
            lacking = "anggota" if roles["keluarga"] else "keluarga"
            raise FileRejected("sheet_missing", f"P3KE needs a {lacking!r} sheet (families and members); found "
                               f"{', '.join(repr(v) for v in visible)}")
        best = max(flat_items, key=lambda t: (_coverage(jenis, "keluarga", t[2], True),
                                              _coverage(jenis, "anggota", t[2], True), -visible.index(t[0])))
        chosen.append(finish(*best, "flat", flat=True))
    used = {p.source_sheet for p in chosen}
    for n, _g, p, _b in candidates:
        if n not in used:
            ignored.append(f"{n}: " + ("not used for P3KE" if p is not None else "no header"))
    return chosen


# --------------------------------------------------------------------------------------------- CSV

class _DecodedStream:
    """File-like text stream for the CSV parsers: decodes the remaining bytes, strips NULs.

    Reads with os.pread at an offset of its own, so a parser tier that is abandoned (pyarrow may still be
    reading ahead in a thread) cannot move the file position under the next tier.
    """

    _LINE_END = re.compile(r"\r\n|\n|\r(?!$)")

    def __init__(self, handle: BinaryIO, offset: int, decoder, prefix: str, strip_nul_bytes: bool,
                 block: int = 1 << 20):
        self._fd, self._offset = handle.fileno(), offset
        self._decoder, self._buf, self._pos = decoder, prefix, 0
        self._strip_bytes = strip_nul_bytes
        self._block, self._eof = block, False

    def _more(self) -> None:
        raw = os.pread(self._fd, self._block, self._offset)
        self._offset += len(raw)
        if raw:
            if self._strip_bytes:
                raw = raw.replace(b"\0", b"")
            text = self._decoder.decode(raw)
        else:
            text = self._decoder.decode(b"", final=True)
            self._eof = True
        if "\0" in text:
            text = text.replace("\0", "")
        self._buf = self._buf[self._pos :] + text
        self._pos = 0

    def read(self, n: int = -1) -> str:
        if n is None or n < 0:
            while not self._eof:
                self._more()
            n = len(self._buf) - self._pos
        while len(self._buf) - self._pos < n and not self._eof:
            self._more()
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def readline(self, size: int = -1) -> str:  # pandas' python engine reads lines
        while True:
            match = self._LINE_END.search(self._buf, self._pos)
            if match or self._eof:
                break
            self._more()
        end = match.end() if match else len(self._buf)
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        out = self._buf[self._pos : end]
        self._pos = end
        return out

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _parse_records(lines: list[str], delimiter: str, limit: int) -> tuple[list[list[str]], list[int]]:
    reader = csv.reader(iter(lines), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    records, ends = [], []
    try:
        for record in reader:
            records.append(record)
            ends.append(reader.line_num)
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records, ends


def _open_csv(handle: BinaryIO, sniffed: _sniff.Sniffed, jenis: str, options: ReadOptions):
    codec = sniffed.codec or "utf-8"
    errors = _sniff.FALLBACK_ERRORS if codec == "utf-8" else "replace"
    strip_bytes = not codec.startswith("utf-16")
    decoder = codecs.getincrementaldecoder(codec)(errors)
    handle.seek(0)
    want_lines = options.header_search_rows + 60
    head, eof = "", False
    while True:
        raw = handle.read(1 << 18)
        if not raw:
            head += decoder.decode(b"", final=True)
            eof = True
            break
        head += decoder.decode(raw.replace(b"\0", b"") if strip_bytes else raw)
        if head.count("\n") + head.count("\r") > 2 * want_lines or len(head) > (4 << 20):
            break
    head = head.replace("\0", "")
    head = head.removeprefix("\ufeff")
    lines = LINE.findall(head)
    if not eof and lines and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may continue in the next block
    resume = (handle.tell(), decoder.getstate())

    forced = None
    skip_first = False
    if lines and re.fullmatch(r"(?i)\s*sep=(.)\s*", lines[0].rstrip("\r\n")):
        forced = lines[0].strip()[4]
        skip_first = True
    best = None
    for delimiter in ((forced,) if forced else DELIMITERS):
        records, ends = _parse_records(lines, delimiter, want_lines)
        cells = [[c.strip() for c in rec] for rec in records]
        if skip_first and cells:
            cells[0] = []
        match = find_header(cells, options.header_search_rows)
        if match is None:
            score = (0, 0)
        else:
            width = len(records[match.row])
            consistent = sum(1 for rec in records[match.row + 1 :] if len(rec) == width)
            score = (match.score, consistent)
        if best is None or score > best[0]:
            best = (score, delimiter, match, records, ends, cells)
    score, delimiter, match, records, ends, cells = best
    if match is None:
        raise FileRejected("no_header", f"no record among the first {options.header_search_rows} names at least "
                           "two known columns (tried delimiters , ; tab |)")
    _remap_code_columns(match, cells[match.row + 1 :])
    header_width = len(records[match.row])
    sample_width = max((len(r) for r in records[match.row + 1 :]), default=header_width)
    width = max(header_width, sample_width)
    offset = sum(len(line) for line in lines[: ends[match.row]])
    title = _title_lines(cells[1:] if skip_first else cells, match.first_row - (1 if skip_first else 0))
    plan = _Plan("utama", match, match.row + 1, title, None)
    prefix = head[offset:]

    def stream_factory(state: _SheetState) -> Iterator[_RawChunk]:
        yield from _csv_chunks(handle, codec, errors, strip_bytes, prefix, resume, delimiter, plan,
                               header_width, width, options)

    plan.stream = stream_factory
    if jenis == "p3ke":
        plan.sheet, plan.flat = "flat", True
    return plan, delimiter


class _Utf8Stream(io.RawIOBase):
    """Binary view of a `_DecodedStream` as UTF-8 bytes (what pyarrow's CSV reader wants)."""

    def __init__(self, text: _DecodedStream):
        super().__init__()
        self._text, self._pending = text, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        while len(self._pending) < size:
            more = self._text.read(1 << 20)
            if not more:
                break
            self._pending += more.encode("utf-8", "surrogatepass")
        out, self._pending = self._pending[:size], self._pending[size:]
        buffer[: len(out)] = out
        return len(out)


def _arrow_frames(stream: _DecodedStream, delimiter: str, width: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """pyarrow's streaming CSV reader: fast, but any row whose width differs from `width` is an error."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    reader = pacsv.open_csv(
        _Utf8Stream(stream),
        read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                         newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[],
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    pending: list = []
    rows = 0
    string = pd.StringDtype("pyarrow")

    def emit(table) -> pd.DataFrame:
        return pd.DataFrame({n: pd.array(table.column(n), dtype=string) for n in names})

    try:
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            while rows >= chunk_rows:
                table = pa.Table.from_batches(pending)
                yield emit(table.slice(0, chunk_rows))
                rest = table.slice(chunk_rows)
                pending, rows = rest.to_batches(), rest.num_rows
        if rows:
            yield emit(pa.Table.from_batches(pending))
    finally:
        reader.close()


def _pandas_frames(stream: _DecodedStream, delimiter: str, width: int, chunk_rows: int, *,
                   python: bool = False) -> Iterator[pd.DataFrame]:
    """pandas: the C engine pads short rows; the python engine also cuts over-long ones (into the last column)."""
    names = [f"c{i}" for i in range(width + _CSV_SPARE_COLUMNS)]
    limit = len(names)

    def cut(fields: list[str]) -> list[str]:
        return [*fields[: limit - 1], delimiter.join(fields[limit - 1 :])]

    extra = {"engine": "python", "on_bad_lines": cut} if python else {"engine": "c"}
    reader = pd.read_csv(stream, sep=delimiter, header=None, names=names, dtype=object, keep_default_na=False,
                         na_filter=False, skip_blank_lines=False, index_col=False, chunksize=chunk_rows,
                         quotechar='"', doublequote=True, **extra)
    with reader:
        yield from reader


def _csv_frames(stream_factory: Callable[[], _DecodedStream], delimiter: str, width: int, chunk_rows: int,
                first_row: int = 1):
    """Frames of raw fields (columns c0, c1 ...), in order. Tries pyarrow, then pandas C (ragged rows), then
    pandas python (rows wider than the header + spare columns); a later tier skips the rows already given."""
    import pyarrow as pa

    tiers = (
        lambda: _arrow_frames(stream_factory(), delimiter, width, chunk_rows),
        lambda: _pandas_frames(stream_factory(), delimiter, width, chunk_rows),
        lambda: _pandas_frames(stream_factory(), delimiter, width, chunk_rows, python=True),
    )
    done = 0
    for number, tier in enumerate(tiers):
        skip = done
        frames = tier()
        try:
            for frame in frames:
                if skip:
                    if skip >= len(frame):
                        skip -= len(frame)
                        continue
                    frame, skip = frame.iloc[skip:].reset_index(drop=True), 0
                done += len(frame)
                yield frame
            return
        except (pa.ArrowInvalid, pd.errors.ParserError, csv.Error) as exc:
            # pyarrow refuses any ragged row; pandas C pads short rows and refuses only over-long ones, which
            # the python engine then cuts. Anything else (an unclosed quote ...) makes the file unreadable.
            too_wide = number == 1 and "Expected" in str(exc) and "fields" in str(exc)
            if number == len(tiers) - 1 or (number == 1 and not too_wide):
                where = re.search(r"starting at row ([0-9]+)", str(exc))
                at = f" (quote opened in row {first_row + int(where.group(1))})" if where else ""
                raise FileRejected("unreadable", f"CSV cannot be parsed{at}: {exc}") from exc
        finally:
            frames.close()


def _csv_chunks(handle, codec, errors, strip_bytes, prefix, resume, delimiter, plan: _Plan, header_width: int,
                width: int, options: ReadOptions) -> Iterator[_RawChunk]:
    columns = plan.header.columns

    def make_stream() -> _DecodedStream:
        decoder = codecs.getincrementaldecoder(codec)(errors)
        decoder.setstate(resume[1])
        return _DecodedStream(handle, resume[0], decoder, prefix, strip_bytes)

    next_row = plan.header_row + 1
    for frame in _csv_frames(make_stream, delimiter, width, options.chunk_rows, plan.header_row + 1):
        n = len(frame)
        index = np.arange(next_row, next_row + n, dtype="int64")
        next_row += n
        cols = {canonical: frame[f"c{p}"].array for p, canonical in columns.items()}
        pre: list = []
        extra_names = list(frame.columns[header_width:])
        if extra_names:
            filled = np.zeros(n, dtype=bool)
            for name in extra_names:
                values = frame[name].astype("string").str.strip()
                filled |= values.str.len().gt(0).fillna(False).to_numpy(dtype=bool)
            for pos in np.flatnonzero(filled):
                values = [v for v in frame[extra_names].iloc[pos].tolist() if isinstance(v, str) and v.strip()]
                pre.append((int(index[pos]), None, "kolom_berlebih", delimiter.join(values)))
        base = frame.iloc[:, :header_width]

        def row_cells(positions: np.ndarray, base=base) -> list[list[str]]:
            return [["" if not isinstance(v, str) else v for v in row]
                    for row in base.iloc[positions].to_numpy(dtype=object)]

        yield _RawChunk(index, cols, {}, row_cells, pre)


# --------------------------------------------------------------------------------------------- entry point


def _open_regular(path: Path) -> tuple[BinaryIO, int]:
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise FileRejected("unreadable", f"cannot stat file: {exc}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise FileRejected("unreadable", "path is a symbolic link; refusing to follow it")
    if not stat.S_ISREG(info.st_mode):
        raise FileRejected("unreadable", "not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileRejected("unreadable", f"cannot open file: {exc}") from exc
    handle = os.fdopen(fd, "rb")
    size = os.fstat(fd).st_size
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise FileRejected("unreadable", "not a regular file")
    return handle, size


def read_submission(path: Path, jenis: str, options: ReadOptions | None = None) -> tuple[FileMeta, Iterator[Chunk]]:
    """Sniff and open the file; raise FileRejected for file-level problems found *before* data rows are read
    (header problems included). The iterator yields chunks in row order: P3KE families before members."""
    options = options or ReadOptions()
    if jenis not in {j for j, _ in REQUIRED_COLUMNS}:
        raise ValueError(f"unknown jenis {jenis!r}")
    handle, size = _open_regular(Path(path))
    try:
        meta, plans, closer = _prepare(handle, size, jenis, options)
    except BaseException:
        handle.close()
        raise
    return meta, _chunks(jenis, meta, plans, handle, closer)


def _prepare(handle: BinaryIO, size: int, jenis: str, options: ReadOptions):
    sniffed = _sniff.sniff(handle, size)
    if sniffed.format is None:
        raise FileRejected(sniffed.code or "unreadable", sniffed.detail)
    ignored: list[str] = []
    closer = None
    if sniffed.format == "csv":
        plan, delimiter = _open_csv(handle, sniffed, jenis, options)
        plans = [plan]
        meta = FileMeta("csv", sniffed.encoding, delimiter, plan.title_lines, None, [])
    else:
        if sniffed.format == "xlsx":
            visible, load, book = open_xlsx(handle, options.max_uncompressed_bytes)
            closer = book.close
        else:
            visible, load, book = open_xls(handle)
            closer = book.release_resources
        plans = _grid_plans(jenis, visible, load, options, ignored)
        titles = [line for p in plans for line in p.title_lines]
        meta = FileMeta(sniffed.format, None, None, list(dict.fromkeys(titles)), None, [], ignored)
    for plan in plans:
        meta.sheets.extend(_sheet_metas(jenis, plan))
    meta.periode = parse_periode(meta.title_lines)
    _check_required(jenis, plans)
    return meta, plans, closer


def _chunks(jenis: str, meta: FileMeta, plans: list[_Plan], handle: BinaryIO, closer) -> Iterator[Chunk]:
    before = _sniff.fallback_count()
    try:
        for plan in plans:
            header_texts = {c: plan.header.texts[p] for p, c in plan.header.columns.items()}
            state = _SheetState(jenis, plan.sheet, header_texts)
            assert plan.stream is not None
            for raw in plan.stream(state):
                frame, issues = _finish(raw, state)
                if plan.flat:
                    for chunk in _split_flat(frame, issues, state):
                        if len(chunk.frame) or len(chunk.cell_issues):
                            yield chunk
                elif len(frame) or len(issues):
                    yield Chunk(plan.sheet, frame, issues)
                if meta.format == "csv" and meta.encoding == "utf-8" and _sniff.fallback_count() > before:
                    meta.encoding = "cp1252"  # some bytes past the sniffed head were not UTF-8
    finally:
        if closer is not None:
            with contextlib.suppress(Exception):
                closer()
        handle.close()


__all__ = [
    "CELL_ISSUE_CODES",
    "REJECTION_CODES",
    "REQUIRED_COLUMNS",
    "Chunk",
    "FileMeta",
    "FileRejected",
    "ReadOptions",
    "SheetMeta",
    "missing_required",
    "read_submission",
    "sheet_role",
]  # fmt: skip

