"""Turn one regency file (xlsx / xlsm / xls / ods / CSV) into canonical rows, chunk by chunk, with reasons.

    meta, chunks = read_submission(path, "dtks")
    for chunk in chunks:          # Chunk(sheet, frame, cell_issues)
        ...

What happens, in order:
  1. The format is decided from the bytes (`sheets/sniff.py`): xlsx (ZIP with xl/workbook.xml), xls (OLE2 with a
     Workbook stream), ODS (LibreOffice/OpenOffice Calc), CSV (text). Everything else is a
     `FileRejected` with a stable code. An .xlsm is an xlsx whose macros are never run: only values are read.
  2. xlsx, ods: declared and *actual* uncompressed sizes are checked before python-calamine opens the
     package (zip bombs); for xlsx the same streaming pass notes Excel error cells (`t="e"`, which calamine returns as
     empty) and formulas without a cached value.
  3. The header row is found among the first `header_search_rows` rows by how many cells name a canonical
     column (`sheets/headers.py`); title lines above it are kept and a period ("Periode: November 2026") parsed.
  4. Data rows are converted column-wise (`intake/rows.py`): everything becomes text, NIK/KK cells that Excel stored as
     numbers are refused (`nik_angka_excel` / `kk_angka_excel`: 15 significant digits cannot hold a NIK),
     region codes are normalised, Excel errors reported, empty/total/signature rows dropped. Row labels
     are the numbers the operator sees in Excel (CSV: the record number, = line number unless a quoted
     field spans lines, which is also what Excel shows when it opens the CSV).

Codes
  FileRejected.code: empty_file, unreadable, corrupt_xlsx, encrypted, not_a_spreadsheet,
      too_large_uncompressed, no_header, missing_columns, unsupported_format, sheet_missing, line_too_long.
  Chunk.cell_issues.aturan: see `CELL_ISSUE_CODES`.

Family registries (P3KE, DTSEN: `schema.FAMILY_REGISTRIES`): two sheets (families, members) are found by
name ("Keluarga", "KRT", "Anggota Keluarga", "ART", "Individu" ...) or, failing names, by their header. A
single flat sheet of members carrying the family columns (desil, the family id ...) on every row -- and
every CSV of such a registry -- yields *both* chunk kinds: a
"keluarga" chunk with one row per family (the row of its Kepala Keluarga when `hubungan_keluarga` says
so, else its first row; `nik_kepala_keluarga` / `nama_kepala_keluarga` / `jenis_kelamin_kepala_keluarga`
are taken from that head row when the file has no such columns), then an "anggota" chunk with every row.
"""

from __future__ import annotations

import bisect
import contextlib
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

from satudata.intake.rows import (
    EXCEL_NIK,
    ID_COLUMNS,
    KK_COLUMNS,
    NIK_COLUMNS,
    REGION_EXTRA_COLUMNS,
    RawChunk,
    SheetState,
    finish_chunk,
)
from satudata.normalise.periode import parse_periode
from satudata.reference.wilayah import normalise_kode
from satudata.schema import FAMILY_REGISTRIES, FamilyRegistry
from satudata.sheets import sniff as _sniff
from satudata.sheets.delimited import choose_delimiter, csv_frames, read_head, stream_after
from satudata.sheets.headers import (
    HeaderMatch,
    cell_text,
    find_header,
    header_key,
    title_lines,
)
from satudata.sheets.workbook import (
    NUMBER_TYPES,
    ExcelError,
    FileRejected,
    Grid,
    cell_to_text,
    open_workbook,
)

# --------------------------------------------------------------------------------------------- contract

REJECTION_CODES = (
    "empty_file", "unreadable", "corrupt_xlsx", "encrypted", "not_a_spreadsheet", "too_large_uncompressed",
    "no_header", "missing_columns", "unsupported_format", "sheet_missing", "line_too_long",
)  # fmt: skip

# (jenis, sheet) -> groups; each group is satisfied by any one of its columns.
REQUIRED_COLUMNS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("dtks", "utama"): (("nik",), ("nama",), ("kode_desa",), ("no_kk",)),
    ("p3ke", "keluarga"): (("id_keluarga_p3ke", "no_kk"), ("kode_desa",), ("desil",), ("nik_kepala_keluarga",)),
    ("p3ke", "anggota"): (("id_keluarga_p3ke", "no_kk"), ("nik",), ("nama",)),
    ("dtsen", "keluarga"): (("id_keluarga_dtsen", "no_kk"), ("kode_desa",), ("desil_nasional",),
                            ("nik_kepala_keluarga",)),
    ("dtsen", "anggota"): (("id_keluarga_dtsen", "no_kk"), ("nik",), ("nama",)),
    ("intervensi", "utama"): (("nik", "no_kk"), ("nama",), ("kode_desa",)),
    ("anggaran", "sub_kegiatan"): (("kode_sub_giat", "nama_sub_giat"), ("pagu",)),
    ("anggaran", "realisasi"): (("kode_sub_giat", "nama_sub_giat"), ("bulan",), ("realisasi_anggaran",)),
}
# Kinds whose workbook holds several tables, each sheet taking its role from its header (`_budget_role`).
TABLE_ROLES = {"anggaran": ("sub_kegiatan", "realisasi")}

# aturan -> (suggested tingkat, English description). The lead's messages module owns the wording.
CELL_ISSUE_CODES: dict[str, tuple[str, str]] = {
    "nik_angka_excel": ("galat", "NIK stored by Excel as a number (or written as 9.17E+15 / ...0.0): digits lost"),
    "kk_angka_excel": ("galat", "KK number stored by Excel as a number (or scientific/decimal text): digits lost"),
    "id_angka_excel": ("galat", "16+ digit id stored by Excel as a number (or scientific text): digits lost"),
    "sel_galat_excel": ("galat", "Excel error cell (#N/A, #REF!, #VALUE! ...): value unknown"),
    "rumus_tanpa_nilai": ("peringatan", "formula cell saved without its computed value"),
    "kolom_berlebih": ("peringatan", "row has more fields than the header; the extra fields were ignored"),
}

GRID_BATCH_ROWS = 100_000  # xlsx/xls rows per chunk at most (chunk_rows applies when smaller)


@dataclass
class ReadOptions:
    chunk_rows: int = 200_000  # CSV streams in chunks of this many rows (xlsx/xls: at most 100_000)
    max_uncompressed_bytes: int = 1_000_000_000  # cap on an xlsx's total uncompressed size (zip bomb)
    header_search_rows: int = 30


@dataclass
class SheetMeta:
    sheet: str  # "utama" for single-table files; "keluarga" / "anggota" for a family registry;
    # "sub_kegiatan" / "realisasi" for a budget (TABLE_ROLES)
    header_row: int  # 1-based row number (Excel row / CSV record) of the header
    column_map: dict[str, str]  # original header text -> canonical column
    unmapped_columns: list[str]  # headers we did not recognise (kept out of the frame, reported)
    missing_required: list[str]  # canonical columns required for this jenis/sheet but absent (empty if fine)
    source_sheet: str | None = None  # worksheet name in the workbook (None for CSV)
    flat: bool = False  # a family registry read from one flat member sheet (keluarga rows derived from it)


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


# --------------------------------------------------------------------------------------------- flat families


def family_columns(registry: FamilyRegistry) -> tuple[str, ...]:
    return (*registry.keluarga_columns, *REGION_EXTRA_COLUMNS)


def member_columns(registry: FamilyRegistry) -> tuple[str, ...]:
    return (*registry.anggota_columns, "no_kk")


def _fold_columns(jenis: str, match: HeaderMatch) -> None:
    """Generic headers mapped to another registry's column become this registry's (`FamilyRegistry.folds`)."""
    registry = FAMILY_REGISTRIES.get(jenis)
    if registry is None:
        return
    present = set(match.columns.values())
    for pos, canonical in list(match.columns.items()):
        target = dict(registry.folds).get(canonical)
        if target and target not in present:
            match.columns[pos] = target
            present.add(target)


_HEAD_WORDS = frozenset({"kepala keluarga", "kepala rumah tangga", "krt", "kk", "kepala", "1", "01"})


def _split_flat(frame: pd.DataFrame, issues: pd.DataFrame, state: SheetState) -> list[Chunk]:
    """One flat chunk of a family registry -> a keluarga chunk (families first seen here) and an anggota chunk."""
    registry = FAMILY_REGISTRIES[state.jenis]
    key = pd.Series(pd.NA, index=frame.index, dtype="string")
    if registry.family_id in frame.columns:
        key = frame[registry.family_id]
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
    family = frame.iloc[positions][[c for c in frame.columns if c in family_columns(registry)]].copy()
    if len(family):
        heads = frame.loc[is_head.to_numpy()]
        head_key = key.loc[heads.index]
        for target, source in (("nik_kepala_keluarga", "nik"), ("nama_kepala_keluarga", "nama"),
                               ("jenis_kelamin_kepala_keluarga", "jenis_kelamin")):
            if target not in frame.columns and source in frame.columns:
                lookup = pd.Series(heads[source].to_numpy(), index=head_key.to_numpy())
                lookup = lookup[~lookup.index.duplicated()]
                family[target] = key.iloc[positions].map(lookup).astype("string").to_numpy()
    members = frame[[c for c in frame.columns if c in member_columns(registry) or c == EXCEL_NIK]]
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
    stream: Callable[[SheetState], Iterator[RawChunk]] | None = None
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
    registry = FAMILY_REGISTRIES[jenis]
    for sheet, allowed in (("keluarga", family_columns(registry)), ("anggota", member_columns(registry))):
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


# --------------------------------------------------------------------------------------------- budget

# A nomenclature code (Permendagri 90/2019 and its updates): urusan.bidang.program[.kegiatan...], X for
# cross-cutting urusan. "1.06.04", "1.06.04.2.01.0002", "X.XX.01".
NOMENCLATURE_CODE = r"[0-9X]{1,2}\.[0-9X]{2}(?:\.[0-9]{1,4}){1,5}"
_NOMENCLATURE = re.compile(rf"^{NOMENCLATURE_CODE}$", re.IGNORECASE)


def _budget_columns(match: HeaderMatch, sample: list[list[str]]) -> None:
    """In a budget file a "Kode Program" column holding nomenclature codes is SIPD's programme
    (`kode_program_apbd`); `kode_program` stays for the social programme a sub-activity funds."""
    if "kode_program_apbd" in match.columns.values():
        return
    for pos, canonical in list(match.columns.items()):
        if canonical != "kode_program":
            continue
        values = [row[pos].strip() for row in sample if pos < len(row) and row[pos].strip()]
        if values and sum(bool(_NOMENCLATURE.match(v)) for v in values) >= 0.8 * len(values):
            match.columns[pos] = "kode_program_apbd"
            # the next header naming a programme ("Program Sasaran" beside "Kode Program") is the social one
            later = match.repeated.pop("kode_program", [])
            if later:
                match.columns[later[0]] = "kode_program"
                text = match.texts.get(later[0])
                if text in match.unmapped:
                    match.unmapped.remove(text)


def _budget_role(plan: _Plan) -> str:
    """A budget sheet is the sub-activity list when it carries pagu, else the monthly realisation."""
    found = plan.canonicals()
    if "pagu" in found:
        return "sub_kegiatan"
    name = header_key(plan.source_sheet or "")
    if "bulan" in found or "realisasi" in name.split():
        return "realisasi"
    return "sub_kegiatan"


# --------------------------------------------------------------------------------------------- grids


def _grid_header(grid: Grid, jenis: str, options: ReadOptions) -> tuple[_Plan | None, list[list]]:
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
    _fold_columns(jenis, match)
    _remap_code_columns(match, texts[match.row + 1 :])
    if jenis in TABLE_ROLES:
        _budget_columns(match, texts[match.row + 1 :])
    plan = _Plan("utama", match, match.row + 1, title_lines(texts, match.first_row), grid.name)
    return plan, buffered


def _grid_stream(grid: Grid, plan: _Plan, buffered: list[list], options: ReadOptions):
    """Stream a grid's data rows in batches of chunk_rows, as `RawChunk`s."""
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

    def generate(state: SheetState) -> Iterator[RawChunk]:
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
            yield RawChunk(np.arange(b0 + 1, b1 + 1, dtype="int64"), cols, numeric, row_cells, pre, banner)
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
    """A family registry's sheet role from its name: "anggota", "keluarga" or None."""
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
        plan, buffered = _grid_header(grid, jenis, options)
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

    if jenis in TABLE_ROLES:  # every sheet holding one of the tables is read, under its role
        complete = []
        for item in with_header:
            role = _budget_role(item[2])
            if not missing_required(jenis, role, item[2].canonicals()):
                complete.append((item, role))
        if not complete:  # none will do: the closest is read, and refused for what it lacks
            best = max(with_header, key=lambda t: (_coverage(jenis, _budget_role(t[2]), t[2]), -visible.index(t[0])))
            complete = [(best, _budget_role(best[2]))]
        used = {item[0] for item, _ in complete}
        for n, _g, p, _b in candidates:
            if n not in used:
                ignored.append(f"{n}: " + ("not a budget table" if p is not None else "no header"))
        return [finish(*item, role) for item, role in complete]

    registry = FAMILY_REGISTRIES.get(jenis)
    if registry is None:
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
        family = bool(found & registry.family_only)
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
                      and t[2].canonicals() & {*registry.desil_columns, "nik_kepala_keluarga", registry.family_id}]
        if not flat_items:
            lacking = "anggota" if roles["keluarga"] else "keluarga"
            raise FileRejected("sheet_missing", f"{registry.label} needs a {lacking!r} sheet (families and members); found "
                               f"{', '.join(repr(v) for v in visible)}")
        best = max(flat_items, key=lambda t: (_coverage(jenis, "keluarga", t[2], True),
                                              _coverage(jenis, "anggota", t[2], True), -visible.index(t[0])))
        chosen.append(finish(*best, "flat", flat=True))
    used = {p.source_sheet for p in chosen}
    for n, _g, p, _b in candidates:
        if n not in used:
            ignored.append(f"{n}: " + (f"not used for {registry.label}" if p is not None else "no header"))
    return chosen


# --------------------------------------------------------------------------------------------- CSV


def _open_csv(handle: BinaryIO, sniffed: _sniff.Sniffed, jenis: str, options: ReadOptions):
    want_lines = options.header_search_rows + 60
    head = read_head(handle, sniffed, want_lines)
    if not head.lines and not head.eof:  # megabytes read and not one line break: no rows to find
        raise FileRejected("line_too_long", f"no line break in the first {len(head.text):,} characters")
    choice = choose_delimiter(head.lines, lambda cells: find_header(cells, options.header_search_rows), want_lines)
    match = choice.header
    if match is None:
        raise FileRejected("no_header", f"no record among the first {options.header_search_rows} names at least "
                           "two known columns (tried delimiters , ; tab |)")
    records, cells = choice.records, choice.records
    _fold_columns(jenis, match)
    _remap_code_columns(match, cells[match.row + 1 :])
    if jenis in TABLE_ROLES:
        _budget_columns(match, cells[match.row + 1 :])
    header_width = len(records[match.row])
    sample_width = max((len(r) for r in records[match.row + 1 :]), default=header_width)
    width = max(header_width, sample_width)
    offset = sum(len(line) for line in head.lines[: choice.ends[match.row]])
    plan = _Plan("utama", match, match.row + 1, title_lines(cells, match.first_row), None)
    make_stream = stream_after(handle, head, offset)

    def stream_factory(state: SheetState) -> Iterator[RawChunk]:
        yield from _csv_chunks(make_stream, choice.delimiter, plan, header_width, width, options)

    plan.stream = stream_factory
    if jenis in FAMILY_REGISTRIES:
        plan.sheet, plan.flat = "flat", True
    elif jenis in TABLE_ROLES:
        plan.sheet = _budget_role(plan)
    return plan, choice.delimiter


def _csv_chunks(make_stream, delimiter: str, plan: _Plan, header_width: int, width: int,
                options: ReadOptions) -> Iterator[RawChunk]:
    columns = plan.header.columns
    next_row = plan.header_row + 1
    for frame in csv_frames(make_stream, delimiter, width, options.chunk_rows, plan.header_row + 1):
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

        yield RawChunk(index, cols, {}, row_cells, pre)


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
    (header problems included). The iterator yields chunks in row order: a registry's families before members."""
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
        raise FileRejected(sniffed.code or "unreadable", sniffed.detail, label=sniffed.label)
    ignored: list[str] = []
    closer = None
    if sniffed.format == "csv":
        plan, delimiter = _open_csv(handle, sniffed, jenis, options)
        plans = [plan]
        meta = FileMeta("csv", sniffed.encoding, delimiter, plan.title_lines, None, [])
    else:
        visible, load, closer = open_workbook(handle, sniffed.format, options.max_uncompressed_bytes)
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
            state = SheetState(jenis, plan.sheet, header_texts)
            assert plan.stream is not None
            for raw in plan.stream(state):
                frame, issues = finish_chunk(raw, state)
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

