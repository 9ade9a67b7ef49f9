"""One chunk of a regency's rows, cleaned: what intake does to every cell before validation.

    frame, issues = finish_chunk(raw, state)

Everything becomes text; empty rows, repeated header rows, a numbering row under the header, totals,
signature blocks and section banners are dropped; Excel error cells are reported and emptied; NIK/KK
cells Excel stored as numbers are refused (`nik_angka_excel` / `kk_angka_excel`, `normalise.nik`), ids
likewise; region codes are normalised and split codes (KDPROP, KDKAB, KDKEC, KDDESA) composed. Vectorised
per column. `intake.read` turns a file into `RawChunk`s and calls this.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from satudata.normalise.nik import ZERO_WIDTH, clean_id_cells, excel_number_cells
from satudata.normalise.periode import MONTH_PATTERN
from satudata.reference.wilayah import normalise_kode
from satudata.sheets.headers import exact_canonical

NIK_COLUMNS = ("nik", "nik_kepala_keluarga")
KK_COLUMNS = ("no_kk",)
ID_COLUMNS = ("id_dtks", "id_keluarga_p3ke", "id_individu_p3ke", "id_keluarga_dtsen", "id_individu_dtsen")
KODE_COLUMNS = ("kode_desa", "kode_provinsi", "kode_kabupaten", "kode_kecamatan", "kode_desa_bps")
NUMERIC_TEXT_COLUMNS = ("desil", "nilai_bantuan", "jumlah_anggota")
KEY_COLUMNS = (*NIK_COLUMNS, *KK_COLUMNS, *ID_COLUMNS)
# A row with a digit in one of these is a record, never a total or signature line (a budget line has a code).
ROW_KEY_COLUMNS = (*KEY_COLUMNS, "kode_sub_giat", "kode_giat", "kode_program_apbd")
REGION_EXTRA_COLUMNS = (
    "nama_provinsi", "nama_kabupaten", "nama_kecamatan", "nama_desa",
    "kode_provinsi", "kode_kabupaten", "kode_kecamatan", "kode_desa_bps",
)  # fmt: skip
EXCEL_ERRORS = frozenset({
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!", "#NA",
})  # fmt: skip
_ISSUE_COLUMNS = ["baris", "kolom", "aturan", "nilai"]
# Private column of a chunk: True where Excel damaged the row's NIK (the NIK itself is emptied).
EXCEL_NIK = "_nik_angka_excel"


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({"baris": pd.Series(dtype="int64"), "kolom": pd.Series(dtype=object),
                         "aturan": pd.Series(dtype=object), "nilai": pd.Series(dtype=object)})


_FOOTER = re.compile(
    r"^(total|jumlah|jml|jumlah total|total jumlah|grand total|sub ?total|total keseluruhan|jumlah keseluruhan"
    r"|jumlah seluruhnya|rekapitulasi|rekap)\b"
)
_SIGNATURE = re.compile(
    r"^(mengetahui|diketahui|menyetujui|disetujui|dibuat oleh|yang membuat|yang menyerahkan|yang menerima"
    r"|pembuat daftar|ttd|tanda tangan|kepala (dinas|bidang|badan|desa|seksi|kantor|bappeda|sub|bagian|kelurahan)"
    r"|sekretaris|plt|plh|a ?n bupati|an walikota|a ?n kepala|nip\b|pembina|penata|catatan|keterangan\s*:"
    r"|operator|petugas|pejabat|bupati|walikota|camat)\b"  # whole words: "Pembinaan ..." is a line, not a signature
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
class SheetState:
    """What the cleaning of one sheet remembers across its chunks."""

    jenis: str
    sheet: str
    header_texts: dict[str, str]  # canonical -> header text (to drop repeated header rows)
    first_chunk: bool = True
    after_signature: bool = False
    seen_families: set[str] = field(default_factory=set)
    control_rows: list[ControlRow] = field(default_factory=list)  # total rows: not data, checked against it
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (baris, why): rows read as not data


@dataclass(frozen=True)
class ControlRow:
    """A sum, subtotal or total row of the file: never staged, its figures checked against the lines."""

    baris: int
    label: str  # what the row says ("JUMLAH", "Sub Total Kec. Woja")
    cells: dict[str, str]  # canonical column -> the row's text there


@dataclass
class RawChunk:
    index: np.ndarray  # row numbers (int64)
    columns: dict[str, Any]  # canonical -> list[str] / string array (one value per row)
    numeric: dict[str, np.ndarray]  # canonical -> True where the cell was a number in the workbook
    row_cells: Callable[[np.ndarray], list[list[str]]]  # positions -> every cell of those rows, as text
    pre_issues: list[tuple[int, str | None, str, str | None]]  # (baris, kolom, aturan, nilai)
    banner: np.ndarray | None = None  # True where a merged range spans the row (section titles, notes)


def finish_chunk(raw: RawChunk, state: SheetState) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean one chunk: text, emptiness, footers, Excel errors, NIK/KK, codes. Vectorised per column."""
    index = pd.Index(raw.index, dtype="int64")  # unnamed: GX reports unexpected rows by plain label then
    frame = _text_frame(raw, index)
    if len(index) == 0 or frame.empty:
        return frame.iloc[0:0], empty_issues()

    errors = _excel_errors(frame)
    present = frame.notna()
    for col, mask in errors.items():
        present[col] = present[col] & ~mask
    has_key = _has_key(frame, present)
    keep = present.to_numpy().any(axis=1)
    _drop_repeated_headers(frame, state, keep)
    if state.first_chunk:
        _drop_header_rows(raw, frame, keep, has_key)
        state.first_chunk = False
    _drop_footers(raw, frame, state, keep, has_key)
    # Section titles and notes written across the table ("KECAMATAN PRAYA", merged over the columns).
    if raw.banner is not None:
        keep &= ~(raw.banner & ~has_key)

    frame = frame.loc[keep]
    issues = _Issues(frame.index)
    for col, mask in errors.items():
        mask = mask.loc[keep]
        issues.add(mask, col, "sel_galat_excel", frame[col])
        frame[col] = frame[col].mask(mask)
    if raw.pre_issues:
        pre = pd.DataFrame(raw.pre_issues, columns=_ISSUE_COLUMNS)
        pre = pre[pre["baris"].isin(frame.index)]
        if len(pre):
            issues.frames.append(pre.astype({"baris": "int64"}))
    for col in frame.columns:
        numeric = raw.numeric.get(col)
        _clean_column(frame, col, numeric[keep] if numeric is not None else None, issues)
    _compose_kode_desa(frame)
    return frame, issues.sorted()


def _text_frame(raw: RawChunk, index: pd.Index) -> pd.DataFrame:
    """Every column as stripped text without zero-width characters; empty cells are missing."""
    data = {}
    for col, values in raw.columns.items():
        s = pd.Series(pd.array(values, dtype="string"), index=index, copy=False)
        wide = ~s.str.isascii().fillna(True).astype(bool)  # zero-width characters are never ASCII
        if wide.any() and s[wide].str.contains(ZERO_WIDTH, regex=True).any():
            s = s.str.replace(ZERO_WIDTH, "", regex=True)
        s = s.str.strip()
        data[col] = s.where(s.str.len() > 0)
    return pd.DataFrame(data, index=index)


def _excel_errors(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Column -> True where the cell is an Excel error, as error cells or typed text."""
    errors: dict[str, pd.Series] = {}
    for col in frame.columns:
        s = frame[col]
        hashed = s.str.startswith("#").fillna(False).astype(bool)
        if hashed.any():
            mask = hashed & s.str.upper().isin(EXCEL_ERRORS).fillna(False).astype(bool)
            if mask.any():
                errors[col] = mask
    return errors


def _has_key(frame: pd.DataFrame, present: pd.DataFrame) -> np.ndarray:
    """True where a row has a key (NIK, KK, id, a budget code); a key counts only when it has digits."""
    has_key = np.zeros(len(frame), dtype=bool)
    for col in (c for c in ROW_KEY_COLUMNS if c in frame.columns):
        # a run of digits ("Grand Total", "JUMLAH 5 KPM" in the NIK column are no key); a budget code any digit
        digits = "[0-9]" if col not in KEY_COLUMNS else "[0-9]{4}"
        has_key |= (present[col] & frame[col].str.contains(digits, regex=True).fillna(False)).to_numpy(bool)
    return has_key


def _drop_repeated_headers(frame: pd.DataFrame, state: SheetState, keep: np.ndarray) -> None:
    """Repeated header rows (files glued together, page headers)."""
    if not state.header_texts:
        return
    hits = np.zeros(len(frame), dtype=np.int32)
    for col, text in list(state.header_texts.items())[:3]:  # three columns tell a header row
        if col in frame.columns:
            variants = list({text, text.upper(), text.lower(), text.title(), text.capitalize()})
            hits += frame[col].isin(variants).to_numpy(dtype=bool)
    keep &= ~(hits >= min(2, len(state.header_texts), 3))


def _drop_header_rows(raw: RawChunk, frame: pd.DataFrame, keep: np.ndarray, has_key: np.ndarray) -> None:
    """Numbering row right under the header ("1 2 3 ..." / "(1) (2) (3)"), header continuation rows."""
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


def _drop_footers(raw: RawChunk, frame: pd.DataFrame, state: SheetState, keep: np.ndarray,
                  has_key: np.ndarray) -> None:
    """Total / footer / signature rows: rows without any key whose first non-empty cell says so. Totals are
    kept as control rows; everything without a key below a signature is skipped, in later chunks too."""
    if state.after_signature:
        _skip(state, raw.index, keep & ~has_key, "tanda_tangan")
        keep &= has_key
        return
    candidates = np.flatnonzero(keep & ~has_key)
    if not len(candidates):
        return
    for pos, cells in zip(candidates, raw.row_cells(candidates)):
        first = next((c for c in cells if c and c.strip()), "")
        kind = _footer_kind(first) if first else None
        if kind is not None:
            keep[pos] = False
        if kind == "total":
            state.control_rows.append(ControlRow(int(raw.index[pos]), first.strip(), {
                c: frame[c].iloc[pos] for c in frame.columns if not pd.isna(frame[c].iloc[pos])}))
        if kind == "signature":
            state.after_signature = True
            below = np.zeros(len(frame), dtype=bool)
            below[pos + 1:] = keep[pos + 1:] & ~has_key[pos + 1:]
            below[pos] = True
            _skip(state, raw.index, below, "tanda_tangan")
            keep &= ~below
            break


class _Issues:
    """The cell issues of the kept rows of a chunk, gathered column by column."""

    def __init__(self, kept_index: pd.Index):
        self.kept_index = kept_index
        self.frames: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, col: str | None, code: str, values: pd.Series) -> None:
        if mask.any():
            self.frames.append(pd.DataFrame({
                "baris": self.kept_index[mask.to_numpy()].to_numpy(dtype="int64"),
                "kolom": col, "aturan": code,
                "nilai": values[mask].astype(object).where(values[mask].notna(), None).to_numpy(dtype=object),
            }))

    def sorted(self) -> pd.DataFrame:
        issues = pd.concat(self.frames, ignore_index=True) if self.frames else empty_issues()
        if len(issues):
            issues = issues.sort_values("baris", kind="stable", ignore_index=True)
            issues["baris"] = issues["baris"].astype("int64")
        return issues


def _clean_column(frame: pd.DataFrame, col: str, numeric: np.ndarray | None, issues: _Issues) -> None:
    """NIK/KK and ids Excel stored as numbers, region codes, numbers written as text ("3.0")."""
    s = frame[col]
    if col in NIK_COLUMNS or col in KK_COLUMNS:
        cleaned, lost, maybe = excel_number_cells(s, numeric)
        maybe = (maybe | _rounded_column(cleaned.mask(lost))) & ~lost & s.notna()
        lost = lost & s.notna()
        kind = "kk" if col in KK_COLUMNS else "nik"
        issues.add(lost, col, f"{kind}_angka_excel", s)
        issues.add(maybe, col, f"{kind}_mungkin_dibulatkan", s)
        if col == "nik" and (lost | maybe).any():  # the damage flag travels to staging (`nik_angka_excel`)
            frame[EXCEL_NIK] = lost | maybe
        # A NIK that may be rounded is kept (the linkage compares it loosely, never joins on it); a family
        # card number that may be rounded is not: it would put two families on one card.
        frame[col] = cleaned.mask(lost | (maybe if col in KK_COLUMNS else False))
    elif col in ID_COLUMNS:
        cleaned, flagged = clean_id_cells(s, numeric)
        issues.add(flagged & s.notna(), col, "id_angka_excel", s)
        frame[col] = cleaned
    elif col in KODE_COLUMNS:
        text = s.str.lstrip("'`\u2018\u2019\"").str.strip()
        uniques = text.dropna().unique()
        mapping = {u: (normalise_kode(u) or u) for u in uniques}
        frame[col] = text.map(mapping, na_action="ignore").astype("string")
    elif col in NUMERIC_TEXT_COLUMNS:
        frame[col] = s.str.replace(r"^([0-9]+)[.,](?:0|00)$", r"\1", regex=True)


def _skip(state: SheetState, index: np.ndarray, mask: np.ndarray, why: str) -> None:
    state.skipped.extend((int(b), why) for b in index[mask])


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


__all__ = [
    "EXCEL_ERRORS",
    "EXCEL_NIK",
    "ID_COLUMNS",
    "KEY_COLUMNS",
    "KK_COLUMNS",
    "KODE_COLUMNS",
    "NIK_COLUMNS",
    "REGION_EXTRA_COLUMNS",
    "ROW_KEY_COLUMNS",
    "ControlRow",
    "RawChunk",
    "SheetState",
    "empty_issues",
    "finish_chunk",
]
