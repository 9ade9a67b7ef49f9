"""Small-cell suppression of the published tables (statistical disclosure control).

Primary suppression: a count in 1..minimum-1 is not published. A zero is published: it says nobody.
Secondary suppression: nothing suppressed may be recoverable by subtraction. The published tables hold
additive relations: within a row (`keluarga_desil1 = desil1_terintervensi + desil1_tanpa_program_inti`),
between levels (the desa of a kecamatan add up to the kecamatan, the kecamatan to the regency, the
regencies to the province), and between tables (`kantong_kemiskinan` repeats `konvergensi_desa`).
For every relation `total = part_1 + ... + part_n` that has exactly one suppressed cell, one more is
suppressed (the smallest part), until no relation has exactly one - the classic rule that every
suppressed cell shares each of its relations with another. A part published beside its total whose
unpublished complement is small (`keluarga_desil1 - desil1_tidak_di_dtks` = 2) is suppressed as well.
Percentages are suppressed with any count they are computed from.

A *partial* relation is a total whose published parts need not cover it: the province's own budget reaches
the recipients of a programme in all its regencies, while only the regencies that fund the programme from
their own APBD have a row. The unpublished remainder (total - parts) is protected like a complement: when it
is small the total is suppressed, and the relation then counts like any other.

The rule is the standard heuristic, not a full linear-programming audit: with two suppressed cells in
a relation their sum is known, and bounds can narrow them; the minimum is chosen with that in mind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_KONVERGENSI_COUNTS = (
    "keluarga_terdata", "keluarga_p3ke", "keluarga_desil1", "desil1_terintervensi", "desil1_tanpa_program_inti",
    "desil1_tidak_di_dtks", "keluarga_penerima", "keluarga_penerima_di_atas_desil", "penerima_tidak_ditemukan",
    "penerima_perlu_review", "keluarga_tumpang_tindih_pelanggaran", "keluarga_tumpang_tindih_audit",
    "lansia_tunggal", "lansia_tunggal_terintervensi", "disabilitas", "disabilitas_terintervensi",
    "kepala_keluarga_perempuan", "kepala_keluarga_perempuan_terintervensi", "pekerja_migran",
    "pekerja_migran_terintervensi",
)  # fmt: skip
_PRIORITY = ("lansia_tunggal", "disabilitas", "kepala_keluarga_perempuan", "pekerja_migran")


@dataclass(frozen=True)
class TableRule:
    """What in one published table can be subtracted from what."""

    counts: tuple[str, ...]
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()  # total = sum(parts), within a row
    pairs: tuple[tuple[str, str], ...] = ()  # (total, part): the complement total - part is not published
    percents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # percent column -> its counts


KONVERGENSI = TableRule(
    counts=_KONVERGENSI_COUNTS,
    sums=(("keluarga_desil1", ("desil1_terintervensi", "desil1_tanpa_program_inti")),),
    pairs=(
        ("keluarga_terdata", "keluarga_p3ke"), ("keluarga_terdata", "keluarga_penerima"),
        ("keluarga_p3ke", "keluarga_desil1"), ("keluarga_desil1", "desil1_tidak_di_dtks"),
        ("keluarga_penerima", "keluarga_penerima_di_atas_desil"),
        ("keluarga_penerima", "keluarga_tumpang_tindih_pelanggaran"),
        ("keluarga_penerima", "keluarga_tumpang_tindih_audit"),
        *((group, f"{group}_terintervensi") for group in _PRIORITY),
    ),
    percents={
        "persen_cakupan_desil1": ("desil1_terintervensi", "keluarga_desil1"),
        "persen_eksklusi_desil1": ("desil1_tanpa_program_inti", "keluarga_desil1"),
        "persen_inklusi": ("keluarga_penerima_di_atas_desil", "keluarga_penerima"),
    },
)
RULES: dict[str, TableRule] = {
    "konvergensi_desa": KONVERGENSI,
    "konvergensi_kecamatan": KONVERGENSI,
    "konvergensi_kabupaten": KONVERGENSI,
    "konvergensi_provinsi": KONVERGENSI,
    "cakupan_program": TableRule(
        counts=("sasaran_layak", "penerima", "penerima_layak", "kesalahan_eksklusi", "kesalahan_inklusi",
                "penerima_tidak_ditemukan"),
        sums=(("sasaran_layak", ("penerima_layak", "kesalahan_eksklusi")),
              ("penerima", ("penerima_layak", "kesalahan_inklusi"))),
        percents={"persen_cakupan": ("penerima_layak", "sasaran_layak"),
                  "persen_inklusi": ("kesalahan_inklusi", "penerima")},
    ),
    "tumpang_tindih": TableRule(counts=("jumlah_keluarga",)),
    "kantong_kemiskinan": TableRule(
        counts=("keluarga_desil1", "desil1_tanpa_program_inti"),
        pairs=(("keluarga_desil1", "desil1_tanpa_program_inti"),),
        percents={"persen_tanpa_program_inti": ("desil1_tanpa_program_inti", "keluarga_desil1")},
    ),
    "graduasi": TableRule(counts=("jumlah_keluarga",)),
    "transisi_dtsen": TableRule(counts=("jumlah",)),
    # Rupiah and numbers of sub-activities are public APBD figures: nothing to suppress.
    "anggaran": TableRule(counts=()),
    "anggaran_jangkauan": TableRule(
        counts=("keluarga_terjangkau", "keluarga_desil1_terjangkau"),
        pairs=(("keluarga_terjangkau", "keluarga_desil1_terjangkau"),),
        # rupiah / families gives the families back: it goes with the count
        percents={"persen_desil1": ("keluarga_desil1_terjangkau", "keluarga_terjangkau"),
                  "rupiah_per_keluarga_desil1": ("keluarga_desil1_terjangkau",)},
    ),
    "anggaran_ringkasan": TableRule(
        counts=("keluarga_desil1", "keluarga_desil1_di_kantong"),
        pairs=(("keluarga_desil1", "keluarga_desil1_di_kantong"),),
        percents={"persen_desil1_di_kantong": ("keluarga_desil1_di_kantong", "keluarga_desil1")},
    ),
}


@dataclass(frozen=True)
class Nesting:
    """Rows of `child` add up, column by column, to the row of `parent` with the same key."""

    child: str
    parent: str
    child_key: tuple[str, ...]  # columns of the child naming its parent row (in the parent's terms)
    parent_key: tuple[str, ...]
    child_filter: tuple[str, str] | None = None  # (column, value): only these child rows
    parent_filter: tuple[str, str] | None = None
    partial: bool = False  # the parent may hold more than its children: total >= sum, the rest unpublished


NESTINGS = (
    Nesting("konvergensi_desa", "konvergensi_kecamatan", ("kode_kab", "kode_kec"), ("kode_kab", "kode_kec")),
    Nesting("konvergensi_kecamatan", "konvergensi_kabupaten", ("kode_kab",), ("kode_kab",)),
    Nesting("konvergensi_kabupaten", "konvergensi_provinsi", ("kode_provinsi",), ("kode_provinsi",)),
    Nesting("cakupan_program", "cakupan_program", ("_provinsi", "kode_program"), ("kode_wilayah", "kode_program"),
            ("tingkat", "kabupaten"), ("tingkat", "provinsi")),
    Nesting("tumpang_tindih", "tumpang_tindih", ("_provinsi", "kode_aturan"), ("kode_wilayah", "kode_aturan"),
            ("tingkat", "kabupaten"), ("tingkat", "provinsi")),
    Nesting("graduasi", "graduasi", ("_provinsi", "status", "_desil_b", "_desil_n"),
            ("kode_wilayah", "status", "_desil_b", "_desil_n"), ("tingkat", "kabupaten"), ("tingkat", "provinsi")),
    Nesting("transisi_dtsen", "transisi_dtsen", ("_provinsi", "_transisi"), ("kode_wilayah", "_transisi"),
            ("tingkat", "kabupaten"), ("tingkat", "provinsi")),
    # Budget rows say whose APBD they are (pemilik_anggaran): regency rows add up to the province row that sums
    # the regencies' budgets, never to the province's own.
    Nesting("anggaran_jangkauan", "anggaran_jangkauan", ("_provinsi", "kode_program", "pemilik_anggaran"),
            ("kode_wilayah", "kode_program", "pemilik_anggaran"), ("tingkat", "kabupaten"), ("tingkat", "provinsi")),
    # The province's own programme reaches the families its regencies' rows count, and those of regencies
    # that do not fund the programme (no row): a partial relation.
    Nesting("anggaran_jangkauan", "anggaran_jangkauan", ("_provinsi", "kode_program"), ("kode_wilayah", "kode_program"),
            ("tingkat", "kabupaten"), ("pemilik_anggaran", "provinsi"), partial=True),
    Nesting("anggaran_ringkasan", "anggaran_ringkasan", ("_provinsi", "pemilik_anggaran"),
            ("kode_wilayah", "pemilik_anggaran"), ("tingkat", "kabupaten"), ("tingkat", "provinsi")),
    # The province's own row repeats the desil-1 counts of the row summing its regencies (one child: equal).
    Nesting("anggaran_ringkasan", "anggaran_ringkasan", ("kode_wilayah",), ("kode_wilayah",),
            ("pemilik_anggaran", "provinsi"), ("pemilik_anggaran", "kabupaten")),
)
# Cells repeated in another table: (table, key, source table, source key, {column: source column}).
COPIES = (
    ("anggaran_ringkasan", ("kode_wilayah",), "konvergensi_kabupaten", ("kode_kab",),
     {"keluarga_desil1": "keluarga_desil1"}),
    ("anggaran_ringkasan", ("kode_wilayah",), "konvergensi_provinsi", ("kode_provinsi",),
     {"keluarga_desil1": "keluarga_desil1"}),  # both province rows (the regencies' sum, the province's own)
    ("kantong_kemiskinan", ("kode_desa",), "konvergensi_desa", ("kode_desa",),
     {"keluarga_desil1": "keluarga_desil1", "desil1_tanpa_program_inti": "desil1_tanpa_program_inti"}),
)


@dataclass
class Suppressed:
    tables: dict[str, pd.DataFrame]  # counts and percentages blanked, `sel_disensor` filled
    masks: dict[str, pd.DataFrame]  # True = suppressed, per count/percent column
    primary: int
    secondary: int

    def cells(self) -> dict[str, int]:
        return {name: int(mask.to_numpy().sum()) for name, mask in self.masks.items()}


def _key_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Helper key columns the nestings refer to (province of a regency row, desil as text)."""
    out = frame.copy()
    if "kode_wilayah" in out:
        out["_provinsi"] = out["kode_wilayah"].astype("string").str[:2]
    for src, dst in (("desil_sebelumnya", "_desil_b"), ("desil_sekarang", "_desil_n")):
        if src in out:
            out[dst] = out[src].astype("string").fillna("")
    if "indikator" in out:  # a transition row's identity within its region
        out["_transisi"] = pd.Series(dtype="string") if out.empty else _labels(out, ("indikator", "kategori", "kode_program", "desil_asal", "desil_dtsen", "satuan"))
    return out


def _labels(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    return frame[list(columns)].astype("string").fillna("").agg("\x1f".join, axis=1)


class _Cells:
    """All count cells of all tables in one flat array: values, suppressed flags, table/row/column ids."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.offset: dict[str, int] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        values = []
        n = 0
        for name, frame in tables.items():
            cols = RULES[name].counts
            self.offset[name], self.columns[name] = n, cols
            block = frame[list(cols)].to_numpy(dtype="float64", na_value=np.nan)
            values.append(block.reshape(-1))
            n += block.size
        self.value = np.concatenate(values) if values else np.zeros(0)
        self.hidden = np.zeros(len(self.value), dtype=bool)

    def index(self, table: str, rows: np.ndarray, column: str) -> np.ndarray:
        cols = self.columns[table]
        return self.offset[table] + rows * len(cols) + cols.index(column)


def _nested(tables: dict[str, pd.DataFrame], cells: _Cells, *, partial_only: bool = False
            ) -> list[tuple[Nesting, np.ndarray]]:
    """Every nesting relation as (nesting, cell ids with the total first), one per parent row and column."""
    out: list[tuple[Nesting, np.ndarray]] = []
    keyed: dict[str, pd.DataFrame] = {}  # helper keys, made only for the tables a relation needs
    for nest in NESTINGS:
        if nest.child not in tables or nest.parent not in tables or (partial_only and not nest.partial):
            continue
        for name in (nest.child, nest.parent):
            if name not in keyed:
                keyed[name] = _key_frame(tables[name])
        child, parent = keyed[nest.child], keyed[nest.parent]
        c_rows = np.arange(len(child))
        p_rows = np.arange(len(parent))
        if nest.child_filter:
            c_rows = c_rows[(child[nest.child_filter[0]] == nest.child_filter[1]).to_numpy()]
        if nest.parent_filter:
            p_rows = p_rows[(parent[nest.parent_filter[0]] == nest.parent_filter[1]).to_numpy()]
        c_label = _labels(child.iloc[c_rows], nest.child_key).to_numpy()
        p_label = dict(zip(_labels(parent.iloc[p_rows], nest.parent_key).to_numpy(), p_rows, strict=False))
        groups: dict[int, list[int]] = {}
        for row, label in zip(c_rows, c_label, strict=True):
            if label in p_label:
                groups.setdefault(p_label[label], []).append(row)
        shared = [c for c in RULES[nest.child].counts if c in RULES[nest.parent].counts]
        for p_row, children in groups.items():
            kids = np.array(children)
            for column in shared:
                total = cells.index(nest.parent, np.array([p_row]), column)
                out.append((nest, np.concatenate([total, cells.index(nest.child, kids, column)])))
    return out


def _equations(tables: dict[str, pd.DataFrame], cells: _Cells) -> list[np.ndarray]:
    """Every additive relation as an array of cell ids, the total first."""
    equations: list[np.ndarray] = []
    for name, frame in tables.items():
        rows = np.arange(len(frame))
        for total, parts in RULES[name].sums:
            ids = np.stack([cells.index(name, rows, total), *(cells.index(name, rows, p) for p in parts)], axis=1)
            equations.extend(ids)
    equations.extend(ids for _, ids in _nested(tables, cells))
    return equations


def _small_remainders(tables: dict[str, pd.DataFrame], cells: _Cells, minimum: int) -> np.ndarray:
    """Totals of partial relations whose unpublished remainder (total - its parts) is in 1..minimum-1."""
    totals = [ids[0] for _, ids in _nested(tables, cells, partial_only=True)
              if 1 <= cells.value[ids[0]] - np.nansum(cells.value[ids[1:]]) < minimum]
    return np.array(totals, dtype=int)


def suppress(tables: dict[str, pd.DataFrame], minimum: int) -> Suppressed:
    """Suppress small cells of one period's published tables (names as in `RULES`), consistently."""
    if minimum < 1:
        raise ValueError(f"the minimum cell size must be at least 1, not {minimum}")
    tables = {name: frame.reset_index(drop=True) for name, frame in tables.items() if name in RULES}
    cells = _Cells(tables)
    v = cells.value
    cells.hidden |= (v >= 1) & (v < minimum)
    primary = int(cells.hidden.sum())

    # A published part beside its total reveals a small unpublished complement.
    for name, frame in tables.items():
        rows = np.arange(len(frame))
        for total, part in RULES[name].pairs:
            t, p = cells.index(name, rows, total), cells.index(name, rows, part)
            complement = v[t] - v[p]
            cells.hidden[p] |= (complement >= 1) & (complement < minimum)
    cells.hidden[_small_remainders(tables, cells, minimum)] = True

    copies = [(t, k, s, sk, cols) for t, k, s, sk, cols in COPIES if t in tables and s in tables]
    equations = _equations(tables, cells)
    for _ in range(100):
        changed = False
        for t, key, source, source_key, columns in copies:  # a repeated cell is hidden wherever it is
            target_label = _labels(tables[t], key).to_numpy()
            source_rows = dict(zip(_labels(tables[source], source_key).to_numpy(), range(len(tables[source])),
                                   strict=False))
            found = np.array([source_rows.get(label, -1) for label in target_label])
            ok = np.flatnonzero(found >= 0)
            for column, source_column in columns.items():
                a = cells.index(t, ok, column)
                b = cells.index(source, found[ok], source_column)
                either = cells.hidden[a] | cells.hidden[b]
                if (either != cells.hidden[a]).any() or (either != cells.hidden[b]).any():
                    changed = True
                cells.hidden[a] = either
                cells.hidden[b] = either
        for ids in equations:
            hidden = cells.hidden[ids]
            if hidden.sum() != 1:
                continue
            # One unknown in a sum is the sum minus the rest: hide one more, the smallest part if any.
            candidates = [i for i in ids[1:] if not cells.hidden[i]] or [ids[0]]
            pick = min(candidates, key=lambda i: (np.nan_to_num(v[i], nan=np.inf), i))
            cells.hidden[pick] = True
            changed = True
        if not changed:
            break
    secondary = int(cells.hidden.sum()) - primary

    out: dict[str, pd.DataFrame] = {}
    masks: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        rule = RULES[name]
        block = cells.hidden[cells.offset[name]:cells.offset[name] + len(frame) * len(rule.counts)]
        mask = pd.DataFrame(block.reshape(len(frame), len(rule.counts)), columns=list(rule.counts))
        for percent, sources in rule.percents.items():
            if percent in frame:
                mask[percent] = mask[list(sources)].any(axis=1)
        published = frame.copy()
        for column in mask.columns:
            published[column] = published[column].astype("Float64" if column in rule.percents else "Int64")
            published.loc[mask[column].to_numpy(), column] = pd.NA
        published["sel_disensor"] = _names(mask)
        out[name], masks[name] = published, mask
    return Suppressed(out, masks, primary, secondary)


def _names(mask: pd.DataFrame) -> pd.Series:
    columns = np.array(mask.columns)
    listed = [",".join(columns[row]) or None for row in mask.to_numpy(dtype=bool)]
    return pd.Series(listed, index=mask.index, dtype="object")


def recoverable(tables: dict[str, pd.DataFrame], minimum: int, equations: Iterable | None = None) -> list[str]:
    """Suppressed cells that a reader could still compute exactly from one relation (for tests and audits).

    `tables` are the published tables (suppressed cells empty). Returns descriptions of the leaks.
    """
    tables = {name: frame.reset_index(drop=True) for name, frame in tables.items() if name in RULES}
    cells = _Cells(tables)
    cells.hidden = np.isnan(cells.value)
    leaks = []
    for ids in equations or _equations(tables, cells):
        if cells.hidden[ids].sum() == 1:
            leaks.append(f"relation {list(ids)} leaves one suppressed cell")
    for name, frame in tables.items():
        for total, part in RULES[name].pairs:
            diff = frame[total] - frame[part]
            small = diff.notna() & (diff >= 1) & (diff < minimum)
            leaks.extend(f"{name} row {i}: {total} - {part} = {int(diff[i])}" for i in np.flatnonzero(small))
    for _, ids in _nested(tables, cells, partial_only=True):  # all published: the small remainder is read off
        remainder = cells.value[ids[0]] - cells.value[ids[1:]].sum()
        if not cells.hidden[ids].any() and 1 <= remainder < minimum:
            leaks.append(f"partial relation {list(ids)} leaves a remainder of {int(remainder)}")
    return leaks
