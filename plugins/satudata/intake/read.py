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
     column with confidence (`sheets/headers`, `intake/plans.py`); title lines above it are kept. A column a later
     stage needs that is not named with confidence holds the file with questions (`intake/pertanyaan.py`,
     `MappingNeeded`): nothing is read, nothing staged, until the operator confirms the mapping.
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
name ("Keluarga", "KRT", "Anggota Keluarga", "ART", "Individu" ...) or, failing names, by their header; a
table of families only (a recap: no relationship column, every family once) is read as families. A
single flat sheet of members carrying the family columns (desil, the family id ...) on every row -- and
every CSV of such a registry -- yields *both* chunk kinds: a
"keluarga" chunk with one row per family (the row of its Kepala Keluarga when `hubungan_keluarga` says
so, else its first row; `nik_kepala_keluarga` / `nama_kepala_keluarga` / `jenis_kelamin_kepala_keluarga`
are taken from that head row when the file has no such columns), then an "anggota" chunk with every row.
"""


from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from satudata.intake.pertanyaan import MappingNeeded
from satudata.intake.plans import (
    REQUIRED_COLUMNS,
    Plan,
    ask_or_refuse,
    choose_tables,
    missing_required,
    sheet_role,
)
from satudata.intake.rows import EXCEL_NIK, REGION_EXTRA_COLUMNS, ControlRow, SheetState, finish_chunk
from satudata.intake.streams import grid_plan, grid_stream, open_csv
from satudata.normalise.periode import parse_periode
from satudata.schema import FAMILY_REGISTRIES, FamilyRegistry
from satudata.sheets import sniff as _sniff
from satudata.sheets.workbook import FileRejected, open_workbook

# --------------------------------------------------------------------------------------------- contract

REJECTION_CODES = (
    "empty_file", "unreadable", "corrupt_xlsx", "encrypted", "not_a_spreadsheet", "too_large_uncompressed",
    "no_header", "missing_columns", "unsupported_format", "sheet_missing", "line_too_long",
)  # fmt: skip

# aturan -> (suggested tingkat, English description). The lead's messages module owns the wording.
CELL_ISSUE_CODES: dict[str, tuple[str, str]] = {
    "nik_angka_excel": ("galat", "NIK stored by Excel as a number (or written as 9.17E+15 / ...0.0): digits lost"),
    "kk_angka_excel": ("galat", "KK number stored by Excel as a number (or scientific/decimal text): digits lost"),
    "id_angka_excel": ("galat", "16+ digit id stored by Excel as a number (or scientific text): digits lost"),
    "sel_galat_excel": ("galat", "Excel error cell (#N/A, #REF!, #VALUE! ...): value unknown"),
    "rumus_tanpa_nilai": ("peringatan", "formula cell saved without its computed value"),
    "kolom_berlebih": ("peringatan", "row has more fields than the header; the extra fields were ignored"),
}



@dataclass
class ReadOptions:
    chunk_rows: int = 200_000  # CSV streams in chunks of this many rows (xlsx/xls: at most 100_000)
    max_uncompressed_bytes: int = 1_000_000_000  # cap on an xlsx's total uncompressed size (zip bomb)
    header_search_rows: int = 30
    # Mappings operators confirmed for this regency and jenis: header signature -> {cell position: column}
    known_mappings: dict[str, dict[str, str | None]] = field(default_factory=dict)


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
    # original header text -> how sure the reading is (0..1; 1 for a mapping an operator confirmed)
    keyakinan: dict[str, float] = field(default_factory=dict)
    dikonfirmasi: bool = False  # the mapping is one an operator confirmed (`intake.pemetaan`)


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
    control_rows: list[ControlRow] = field(default_factory=list)  # the total rows among these rows
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (baris, why) rows read as not data


# --------------------------------------------------------------------------------------------- flat families


def family_columns(registry: FamilyRegistry) -> tuple[str, ...]:
    return (*registry.keluarga_columns, *REGION_EXTRA_COLUMNS)


def member_columns(registry: FamilyRegistry) -> tuple[str, ...]:
    return (*registry.anggota_columns, "no_kk")


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


def _sheet_metas(jenis: str, plan: Plan) -> list[SheetMeta]:
    col_map = {plan.header.texts[p]: c for p, c in plan.header.columns.items()}
    sure = {plan.header.texts[p]: plan.header.confidence(p) for p in plan.header.columns}
    found = plan.canonicals()
    if not plan.flat:
        return [SheetMeta(plan.sheet, plan.header_row, col_map, list(plan.header.unmapped),
                          missing_required(jenis, plan.sheet, found), plan.source_sheet, keyakinan=sure,
                          dikonfirmasi=plan.header.confirmed)]
    metas = []
    registry = FAMILY_REGISTRIES[jenis]
    for sheet, allowed in (("keluarga", family_columns(registry)), ("anggota", member_columns(registry))):
        sub = {t: c for t, c in col_map.items() if c in allowed}
        metas.append(SheetMeta(sheet, plan.header_row, sub, list(plan.header.unmapped),
                               missing_required(jenis, sheet, found, flat=True), plan.source_sheet, flat=True,
                               keyakinan={t: sure[t] for t in sub}, dikonfirmasi=plan.header.confirmed))
    return metas


def _grid_plans(jenis: str, visible: list[str], load, options: ReadOptions, ignored: list[str]) -> list[Plan]:
    if not visible:
        raise FileRejected("no_header", "the workbook has no visible worksheet")
    found, grids = [], {}
    for name in visible:
        grid = load(name)
        plan, buffered = grid_plan(grid, jenis, options)
        found.append((name, plan))
        grids[name] = (grid, buffered)
    chosen = choose_tables(jenis, found, ignored)
    for plan in chosen:
        grid, buffered = grids[plan.source_sheet]
        plan.stream = grid_stream(grid, plan, buffered, options)
    return chosen


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
        plan, delimiter = open_csv(handle, sniffed, jenis, options)
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
    ask_or_refuse(jenis, plans, _sheet_metas)
    return meta, plans, closer


def _chunks(jenis: str, meta: FileMeta, plans: list[Plan], handle: BinaryIO, closer) -> Iterator[Chunk]:
    before = _sniff.fallback_count()
    try:
        for plan in plans:
            header_texts = {c: plan.header.texts[p] for p, c in plan.header.columns.items()}
            state = SheetState(jenis, plan.sheet, header_texts)
            assert plan.stream is not None
            for raw in plan.stream(state):
                frame, issues = finish_chunk(raw, state)
                controls, skipped = state.control_rows, state.skipped
                state.control_rows, state.skipped = [], []
                if plan.flat:
                    chunks = _split_flat(frame, issues, state)
                    chunks[-1].control_rows, chunks[-1].skipped = controls, skipped
                else:
                    chunks = [Chunk(plan.sheet, frame, issues, controls, skipped)]
                for chunk in chunks:
                    if len(chunk.frame) or len(chunk.cell_issues) or chunk.control_rows or chunk.skipped:
                        yield chunk
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
    "MappingNeeded",
    "ReadOptions",
    "SheetMeta",
    "missing_required",
    "read_submission",
    "sheet_role",
]  # fmt: skip

