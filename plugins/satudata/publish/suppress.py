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

Deterministic: the result depends on the figures only, never on the order of the rows or of the tables. Every
table is put in the order of its key (`TableRule.key`: the columns a reader names a row by) before anything is
chosen, the tables in the order of their names, and a tie between equal candidates goes to the first by key.

A later release of a period never reveals what an earlier one hid (`previous`): the cells the period's current
publication suppressed are suppressed again, whatever the new figures, and the new figures' own suppression
comes on top. When a secondary cell must be chosen, a cell whose figure changed since that publication is
preferred to one published before with the same figure (hiding an unchanged figure protects nothing from a
reader who kept the earlier release).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

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
    key: tuple[str, ...] = ()  # what names a row (one row per key in a period): its order and its identity


_AREA = ("kode_provinsi", "kode_kab", "kode_kec", "kode_desa")
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
    "konvergensi_desa": replace(KONVERGENSI, key=_AREA),
    "konvergensi_kecamatan": replace(KONVERGENSI, key=_AREA[:3]),
    "konvergensi_kabupaten": replace(KONVERGENSI, key=_AREA[:2]),
    "konvergensi_provinsi": replace(KONVERGENSI, key=_AREA[:1]),
    "cakupan_program": TableRule(
        counts=("sasaran_layak", "penerima", "penerima_layak", "kesalahan_eksklusi", "kesalahan_inklusi",
                "penerima_tidak_ditemukan"),
        sums=(("sasaran_layak", ("penerima_layak", "kesalahan_eksklusi")),
              ("penerima", ("penerima_layak", "kesalahan_inklusi"))),
        percents={"persen_cakupan": ("penerima_layak", "sasaran_layak"),
                  "persen_inklusi": ("kesalahan_inklusi", "penerima")},
        key=("tingkat", "kode_wilayah", "kode_program"),
    ),
    "tumpang_tindih": TableRule(counts=("jumlah_keluarga",), key=("tingkat", "kode_wilayah", "kode_aturan")),
    "kantong_kemiskinan": TableRule(
        counts=("keluarga_desil1", "desil1_tanpa_program_inti"),
        pairs=(("keluarga_desil1", "desil1_tanpa_program_inti"),),
        percents={"persen_tanpa_program_inti": ("desil1_tanpa_program_inti", "keluarga_desil1")},
        key=_AREA,
    ),
    "graduasi": TableRule(counts=("jumlah_keluarga",),
                          key=("tingkat", "kode_wilayah", "status", "desil_sebelumnya", "desil_sekarang")),
    "transisi_dtsen": TableRule(counts=("jumlah",), key=("tingkat", "kode_wilayah", "indikator", "kategori",
                                                         "kode_program", "desil_asal", "desil_dtsen", "satuan")),
    # Rupiah and numbers of sub-activities are public APBD figures: nothing to suppress.
    "anggaran": TableRule(counts=(), key=("tingkat", "pemilik_anggaran", "kode_wilayah", "kode_skpd", "strategi",
                                          "jenis_belanja")),
    "anggaran_jangkauan": TableRule(
        counts=("keluarga_terjangkau", "keluarga_desil1_terjangkau"),
        pairs=(("keluarga_terjangkau", "keluarga_desil1_terjangkau"),),
        # rupiah / families gives the families back: it goes with the count
        percents={"persen_desil1": ("keluarga_desil1_terjangkau", "keluarga_terjangkau"),
                  "rupiah_per_keluarga_desil1": ("keluarga_desil1_terjangkau",)},
        key=("tingkat", "pemilik_anggaran", "kode_wilayah", "kode_program"),
    ),
    "anggaran_ringkasan": TableRule(
        counts=("keluarga_desil1", "keluarga_desil1_di_kantong"),
        pairs=(("keluarga_desil1", "keluarga_desil1_di_kantong"),),
        percents={"persen_desil1_di_kantong": ("keluarga_desil1_di_kantong", "keluarga_desil1")},
        key=("tingkat", "pemilik_anggaran", "kode_wilayah"),
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
    tables: dict[str, pd.DataFrame]  # counts and percentages blanked, `sel_disensor` filled (rows as given)
    masks: dict[str, pd.DataFrame]  # True = suppressed, per count/percent column
    primary: int  # count cells below the minimum
    secondary: int  # the other hidden count cells, `kept` included
    kept: int = 0  # ... of them hidden because the period's previous publication hid them (and not small now)

    def cells(self) -> dict[str, int]:
        return {name: int(mask.to_numpy().sum()) for name, mask in self.masks.items()}


def _text(value) -> str:
    """One text form of a value whatever type the engine or pandas gave it: 3, 3.0, Int64 3, Decimal('3') and
    '3' alike; NULL is ''."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "t" if value else "f"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    return "" if pd.isna(value) else str(value)


def _texts(values: pd.Series) -> list[str]:
    return [_text(v) for v in values.tolist()]


def row_keys(name: str, frame: pd.DataFrame) -> pd.Series:
    """Each row's identity in its table: the text of its key columns (those the frame has), joined."""
    columns = [c for c in RULES[name].key if c in frame.columns]
    texts = [_texts(frame[c]) for c in columns]
    joined = ["\x1f".join(parts) for parts in zip(*texts, strict=True)] if texts else [""] * len(frame)
    return pd.Series(joined, index=frame.index, dtype=object)


def canonical_order(name: str, frame: pd.DataFrame) -> np.ndarray:
    """Positions of the rows in the order of their key; rows with the same key (a well-formed table has none)
    by every other column, as text. The same rows in any order give the same sequence of rows."""
    keys = row_keys(name, frame).tolist()
    if len(set(keys)) == len(keys):
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=int)
    rest = [c for c in sorted(frame.columns) if c not in RULES[name].key]
    texts = [_texts(frame[c]) for c in rest]
    whole = ["\x1f".join(parts) for parts in zip(*texts, strict=True)] if texts else [""] * len(keys)
    return np.array(sorted(range(len(keys)), key=lambda i: (keys[i], whole[i])), dtype=int)


def _previous_cells(name: str, frame: pd.DataFrame, published: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """For each count cell of `frame` (rows x counts): was it hidden in the previous release of the period, and
    the figure that release published (NaN where hidden, absent, or its key was not one row)."""
    counts = RULES[name].counts
    hidden = np.zeros((len(frame), len(counts)), dtype=bool)
    before = np.full((len(frame), len(counts)), np.nan)
    if published is None or published.empty or not counts or frame.empty:
        return hidden, before
    old = published.reset_index(drop=True)
    labels = row_keys(name, old).to_numpy()
    listed = old["sel_disensor"].tolist() if "sel_disensor" in old else [None] * len(old)
    named = [set(x.split(",")) if isinstance(x, str) else set() for x in listed]
    old_hidden = np.array([[c in names for c in counts] for names in named], dtype=bool).reshape(len(old), -1)
    old_values = np.column_stack([
        pd.to_numeric(old[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) if c in old
        else np.full(len(old), np.nan) for c in counts])
    old_values[old_hidden] = np.nan
    new_labels = row_keys(name, frame).to_numpy()
    hidden = pd.DataFrame(old_hidden).groupby(labels).any().reindex(new_labels, fill_value=False).to_numpy(bool)
    single = ~pd.Series(labels).duplicated(keep=False).to_numpy()
    before = pd.DataFrame(old_values[single], index=labels[single]).reindex(new_labels).to_numpy("float64")
    return hidden, before


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
    texts = [frame[c].astype("string").fillna("").tolist() for c in columns]
    joined = ["\x1f".join(parts) for parts in zip(*texts, strict=True)] if texts else [""] * len(frame)
    return pd.Series(joined, index=frame.index, dtype=object)


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


def suppress(tables: dict[str, pd.DataFrame], minimum: int,
             previous: dict[str, pd.DataFrame] | None = None) -> Suppressed:
    """Suppress small cells of one period's published tables (names as in `RULES`), consistently.

    `previous`: the tables of the period's current publication as published (`sel_disensor` filled); what it
    hid stays hidden. The result's rows are in the order given; which cells are hidden does not depend on it.
    """
    if minimum < 1:
        raise ValueError(f"the minimum cell size must be at least 1, not {minimum}")
    given = {name: frame.reset_index(drop=True) for name, frame in tables.items() if name in RULES}
    orders = {name: canonical_order(name, frame) for name, frame in given.items()}
    # Work in key order, tables by name: a cell's id is then its rank by (table, key, column).
    tables = {name: given[name].iloc[orders[name]].reset_index(drop=True) for name in sorted(given)}
    cells = _Cells(tables)
    v = cells.value
    cells.hidden |= (v >= 1) & (v < minimum)
    primary = int(cells.hidden.sum())
    kept, unchanged = _keep_previous(tables, cells, previous)
    _hide_small_complements(tables, cells, minimum)
    _hide_secondary(cells, _copied_cells(tables), _equations(tables, cells), unchanged)
    secondary = int(cells.hidden.sum()) - primary

    out: dict[str, pd.DataFrame] = {}
    masks: dict[str, pd.DataFrame] = {}
    for name, frame in given.items():  # back in the order given
        out[name], masks[name] = _published(name, frame, orders[name], cells)
    return Suppressed(out, masks, primary, secondary, int(kept.sum()))


def _keep_previous(tables: dict[str, pd.DataFrame], cells: _Cells, previous: dict[str, pd.DataFrame] | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Hide again what the period's previous release hid; (those cells not already hidden, the cells it
    published with the same figure: known to readers)."""
    v = cells.value
    kept = np.zeros(len(v), dtype=bool)
    before = np.full(len(v), np.nan)
    for name, frame in tables.items():
        hidden, published = _previous_cells(name, frame, (previous or {}).get(name))
        span = slice(cells.offset[name], cells.offset[name] + hidden.size)
        kept[span], before[span] = hidden.reshape(-1), published.reshape(-1)
    kept &= ~cells.hidden
    cells.hidden |= kept
    unchanged = before == v  # NaN (hidden, new, or no previous release) is never equal
    return kept, unchanged


def _hide_small_complements(tables: dict[str, pd.DataFrame], cells: _Cells, minimum: int) -> None:
    """A published part beside its total reveals a small unpublished complement; so does a partial total."""
    v = cells.value
    for name, frame in tables.items():
        rows = np.arange(len(frame))
        for total, part in RULES[name].pairs:
            t, p = cells.index(name, rows, total), cells.index(name, rows, part)
            complement = v[t] - v[p]
            cells.hidden[p] |= (complement >= 1) & (complement < minimum)
    cells.hidden[_small_remainders(tables, cells, minimum)] = True


def _copied_cells(tables: dict[str, pd.DataFrame]) -> list[tuple]:
    """(table, its rows, source table, the same rows there, {column: source column}) of every `COPIES` entry
    whose tables are both published."""
    copies = []
    for t, key, source, source_key, columns in COPIES:
        if t in tables and source in tables:
            source_rows = dict(zip(_labels(tables[source], source_key).to_numpy(), range(len(tables[source])),
                                   strict=False))
            found = np.array([source_rows.get(label, -1) for label in _labels(tables[t], key).to_numpy()], dtype=int)
            ok = np.flatnonzero(found >= 0)
            copies.append((t, ok, source, found[ok], columns))
    return copies


def _hide_secondary(cells: _Cells, copies: list[tuple], equations: list[np.ndarray], unchanged: np.ndarray) -> None:
    """Hide more cells until no relation has exactly one hidden cell and every copy is hidden like its source."""
    v = cells.value
    for _ in range(100):
        changed = False
        for t, ok, source, found, columns in copies:  # a repeated cell is hidden wherever it is
            for column, source_column in columns.items():
                a = cells.index(t, ok, column)
                b = cells.index(source, found, source_column)
                either = cells.hidden[a] | cells.hidden[b]
                if (either != cells.hidden[a]).any() or (either != cells.hidden[b]).any():
                    changed = True
                cells.hidden[a] = either
                cells.hidden[b] = either
        for ids in equations:
            hidden = cells.hidden[ids]
            if hidden.sum() != 1:
                continue
            # One unknown in a sum is the sum minus the rest: hide one more, a part if any: one whose figure
            # changed since the previous release before one published there as it is, then the smallest, then
            # the first by key (ids are ranks in key order, never positions in the input).
            candidates = [i for i in ids[1:] if not cells.hidden[i]] or [ids[0]]
            pick = min(candidates, key=lambda i: (bool(unchanged[i]), np.nan_to_num(v[i], nan=np.inf), i))
            cells.hidden[pick] = True
            changed = True
        if not changed:
            break


def _published(name: str, frame: pd.DataFrame, order: np.ndarray, cells: _Cells
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the table as published, its mask) in the rows' given order; `order` is the key order `cells` uses."""
    rule = RULES[name]
    block = cells.hidden[cells.offset[name]:cells.offset[name] + len(frame) * len(rule.counts)]
    flags = np.zeros((len(frame), len(rule.counts)), dtype=bool)
    flags[order] = block.reshape(len(frame), len(rule.counts))
    mask = pd.DataFrame(flags, columns=list(rule.counts))
    for percent, sources in rule.percents.items():
        if percent in frame:
            mask[percent] = mask[list(sources)].any(axis=1)
    published = frame.copy()
    for column in mask.columns:
        published[column] = published[column].astype("Float64" if column in rule.percents else "Int64")
        published.loc[mask[column].to_numpy(), column] = pd.NA
    published["sel_disensor"] = _names(mask)
    return published, mask


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
