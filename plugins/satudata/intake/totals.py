"""A file's own totals, checked against its lines: sums are never staged as lines, nor counted twice.

    reconciler = Reconciler("anggaran")
    lines = reconciler.budget_lines("sub_kegiatan", frame)     # parent and account rows taken out
    reconciler.observe("sub_kegiatan", lines, control_rows)   # JUMLAH / Sub Total rows of the chunk
    reconciler.checks()  ->  [ControlCheck(...), ...]         # every total with the file's figure and ours

Two kinds of total row:
- rows that *say* they are one (JUMLAH, TOTAL, Sub Total ...; `intake.rows` takes them out of the data):
  each must equal the lines since the previous total (a subtotal), all lines before it (a running or grand
  total), the lines after it up to the next total (a total written above its group) or the whole table;
- in a budget, rows whose nomenclature code is a prefix of other rows' codes (programme > kegiatan >
  sub-kegiatan, an LRA "Kode Rekening" column): parents, each equal to the sum of the lines under it; and
  rows of account codes (5.1.02.01.01.0024) under a line: its details, which add up to it (a line whose own
  amount is empty takes their sum, and says so).
Amounts are compared in whole sen (exact); a mismatch holds the file with the difference named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from satudata.intake.rows import ControlRow
from satudata.normalise.angka import nilai_text, parse_rupiah

# The columns a total row adds up, per kind of file.
MEASURES: dict[str, tuple[str, ...]] = {
    "anggaran": ("pagu", "realisasi_anggaran", "rak"),
    "intervensi": ("nilai_bantuan",),
    "dtks": (),
    "p3ke": ("jumlah_anggota",),
    "dtsen": ("jumlah_anggota",),
}
# "JUMLAH 125 KPM": a count of lines written in the label.
_COUNT_IN_LABEL = re.compile(
    r"([0-9][0-9.]*)\s*(kpm|keluarga|kk|jiwa|orang|penerima|rumah tangga|ruta|baris|sub ?kegiatan|kegiatan)\b", re.IGNORECASE)
_NOMENCLATURE = re.compile(r"^[0-9X]{1,2}\.[0-9X]{2}(?:\.[0-9]{1,4}){0,5}$", re.IGNORECASE)
_ACCOUNT = re.compile(r"^[4-6]\.[0-9](?:\.[0-9]{1,4}){0,5}$")
BUDGET_CODE_COLUMNS = ("kode_sub_giat", "kode_giat", "kode_program_apbd")


def sen(values: pd.Series, numeric: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as whole sen (int64) and where one was read; unreadable or empty cells count 0."""
    parsed = parse_rupiah(values.astype("string"), numeric)
    text = parsed["nilai"].astype("string")
    present = text.notna().to_numpy(dtype=bool)
    whole = text.str.extract(r"^-?([0-9]+)", expand=False).fillna("0")
    frac = text.str.extract(r"\.([0-9]{1,2})$", expand=False).fillna("").str.ljust(2, "0")
    negative = text.str.startswith("-").fillna(False).to_numpy(dtype=bool)
    magnitude = (pd.to_numeric(whole, errors="coerce").fillna(0).astype("int64") * 100
                 + pd.to_numeric(frac, errors="coerce").fillna(0).astype("int64")).to_numpy()
    return np.where(negative, -magnitude, magnitude).astype("int64"), present


def rupiah(sen_value: int) -> Decimal:
    return Decimal(sen_value) / 100


@dataclass
class ControlCheck:
    sheet: str
    baris: int
    jenis_baris: str  # total | subtotal | induk
    label: str
    kolom: str  # a measure column, or "baris" for a count
    nilai_berkas: Decimal
    nilai_rincian: Decimal
    baris_rincian: int
    cocok: bool

    @property
    def selisih(self) -> Decimal:
        return self.nilai_berkas - self.nilai_rincian

    def as_row(self, submission_id: int) -> dict:
        return {"submission_id": submission_id, "sheet": self.sheet, "baris": self.baris,
                "jenis_baris": self.jenis_baris, "label": self.label[:200], "kolom": self.kolom,
                "nilai_berkas": self.nilai_berkas, "nilai_rincian": self.nilai_rincian, "selisih": self.selisih,
                "baris_rincian": self.baris_rincian, "cocok": self.cocok}


@dataclass
class _Sheet:
    """Running figures of one table, as its chunks arrive (lines in row order)."""

    measures: tuple[str, ...]
    totals: dict[str, int] = field(default_factory=dict)  # measure -> sen of every line so far
    lines: int = 0
    marks: list[tuple[ControlRow, dict[str, int], int]] = field(default_factory=list)  # (row, sums before, lines before)


class Reconciler:
    def __init__(self, jenis: str):
        self.jenis = jenis
        self.measures = MEASURES.get(jenis, ())
        self._sheets: dict[str, _Sheet] = {}
        self._checks: list[ControlCheck] = []
        self.filled: list[tuple[str, int, str]] = []  # (sheet, baris, column): amounts taken from account rows

    # -- rows that say they are totals ------------------------------------------------------------------

    def observe(self, sheet: str, lines: pd.DataFrame, controls: Sequence[ControlRow],
                amounts: dict[str, np.ndarray] | None = None) -> None:
        """One chunk's lines (index = baris) and the total rows found among them."""
        state = self._sheets.setdefault(sheet, _Sheet(tuple(m for m in self.measures)))
        baris = lines.index.to_numpy(dtype="int64")
        values = amounts or {m: sen(lines[m])[0] for m in state.measures if m in lines}
        cumulative = {m: np.cumsum(v) for m, v in values.items()}
        for control in sorted(controls, key=lambda c: c.baris):
            before = int(np.searchsorted(baris, control.baris))
            sums = {m: state.totals.get(m, 0) + (int(cumulative[m][before - 1]) if before else 0) for m in values}
            state.marks.append((control, sums, state.lines + before))
        for m, v in values.items():
            state.totals[m] = state.totals.get(m, 0) + int(v.sum())
        state.lines += len(baris)

    def checks(self) -> list[ControlCheck]:
        out = list(self._checks)
        for sheet, state in self._sheets.items():
            out.extend(self._check_marks(sheet, state))
        return out

    def mismatches(self) -> list[ControlCheck]:
        return [c for c in self.checks() if not c.cocok]

    def _check_marks(self, sheet: str, state: _Sheet) -> list[ControlCheck]:
        checks: list[ControlCheck] = []
        marks = state.marks
        for i, (control, sums, count) in enumerate(marks):
            previous = marks[i - 1] if i else None
            following = marks[i + 1] if i + 1 < len(marks) else None
            for column in state.measures:
                stated = control.cells.get(column)
                if stated is None or column not in sums:
                    continue
                filed = int(sen(pd.Series([stated], dtype="string"))[0][0])
                since = sums[column] - (previous[1][column] if previous else 0)
                before = sums[column]
                after = (following[1][column] if following else state.totals[column]) - sums[column]
                whole = state.totals[column]
                options = [("subtotal" if previous else "total", since, count - (previous[2] if previous else 0)),
                           ("total", before, count),
                           ("subtotal", after, (following[2] if following else state.lines) - count),
                           ("total", whole, state.lines)]
                hit = next((o for o in options if o[1] == filed), None)
                kind, ours, lines = hit or (options[1] if following is None else options[0])
                checks.append(ControlCheck(sheet, control.baris, kind, control.label, column, rupiah(filed),
                                           rupiah(ours), lines, hit is not None))
            counted = _COUNT_IN_LABEL.search(control.label)
            if counted:
                filed_count = int(counted.group(1).replace(".", ""))
                options = [count - (previous[2] if previous else 0), count, state.lines]
                checks.append(ControlCheck(sheet, control.baris, "total", control.label, "baris",
                                           Decimal(filed_count), Decimal(options[1]), options[1],
                                           filed_count in options))
        return checks

    # -- budget hierarchies -----------------------------------------------------------------------------

    def budget_lines(self, sheet: str, frame: pd.DataFrame) -> pd.DataFrame:
        """A budget table without its parent and account rows (checked here instead): the lines to stage."""
        column = next((c for c in BUDGET_CODE_COLUMNS if c in frame), None)
        if column is None or frame.empty:
            return frame
        codes = frame[column].astype("string").str.replace(r"\s+", "", regex=True).str.upper()
        nomen = codes.str.fullmatch(_NOMENCLATURE.pattern, case=False).fillna(False).astype(bool).to_numpy()
        account = codes.str.fullmatch(_ACCOUNT.pattern).fillna(False).astype(bool).to_numpy() & ~nomen
        known = sorted(set(codes[nomen].dropna()))
        parent = np.array([bool(nomen[i]) and _has_child(codes.iloc[i], known) for i in range(len(codes))]) \
            if len(known) > 1 else np.zeros(len(codes), dtype=bool)
        if not parent.any() and not account.any():
            return frame
        amounts = {m: sen(frame[m]) for m in self.measures if m in frame}
        line_of = _owner_lines(nomen & ~parent, account)
        frame = self._fill_from_accounts(sheet, frame, amounts, line_of, account)
        amounts = {m: sen(frame[m]) for m in self.measures if m in frame}
        lines = ~parent & ~account
        for i in np.flatnonzero(parent):
            prefix = codes.iloc[i] + "."
            under = lines & codes.str.startswith(prefix).fillna(False).to_numpy(dtype=bool)
            self._hierarchy_check(sheet, frame, i, under, amounts)
        filled = {int(frame.index.get_loc(b)) for s, b, _ in self.filled if s == sheet}
        for i in np.flatnonzero(lines):
            under = account & (line_of == i)
            if under.any() and i not in filled:  # a line that took its accounts' sum checks nothing
                self._hierarchy_check(sheet, frame, i, under, amounts)
        return frame.loc[lines]

    def _fill_from_accounts(self, sheet: str, frame: pd.DataFrame, amounts: dict, line_of: np.ndarray,
                            account: np.ndarray) -> pd.DataFrame:
        """A line without its own amount takes the sum of its account rows."""
        frame = frame.copy()
        for column, (values, present) in amounts.items():
            for i in np.unique(line_of[account & present & (line_of >= 0)]):
                if not present[i]:
                    total = int(values[account & (line_of == i)].sum())
                    frame.iloc[i, frame.columns.get_loc(column)] = nilai_text(rupiah(total))
                    self.filled.append((sheet, int(frame.index[i]), column))
        return frame

    def _hierarchy_check(self, sheet: str, frame: pd.DataFrame, i: int, under: np.ndarray, amounts: dict) -> None:
        label = " ".join(str(frame[c].iloc[i]) for c in (*BUDGET_CODE_COLUMNS, "nama_sub_giat")
                         if c in frame and not pd.isna(frame[c].iloc[i]))
        for column, (values, present) in amounts.items():
            if not present[i] or not (under & present).any():
                continue
            ours = int(values[under].sum())
            self._checks.append(ControlCheck(sheet, int(frame.index[i]), "induk", label, column,
                                             rupiah(int(values[i])), rupiah(ours), int(under.sum()),
                                             int(values[i]) == ours))


def _has_child(code: str, known: list[str]) -> bool:
    prefix = code + "."
    at = np.searchsorted(np.array(known, dtype=object), prefix)
    return at < len(known) and known[at].startswith(prefix)


def _owner_lines(lines: np.ndarray, account: np.ndarray) -> np.ndarray:
    """For every row, the position of the nearest line above it (-1 where none): an account row's line."""
    owner = np.where(lines, np.arange(len(lines)), -1)
    return np.maximum.accumulate(owner) if len(owner) else owner


__all__ = ["MEASURES", "ControlCheck", "Reconciler", "rupiah", "sen"]
