"""Opening a table and streaming its rows: the grids of a workbook and the records of a CSV, as `RawChunk`s.

    plan, buffered = grid_plan(grid, "dtks", options)        # a sheet's header, from its first rows
    plan.stream = grid_stream(grid, plan, buffered, options)  # its rows, batch by batch
    plan, delimiter = open_csv(handle, sniffed, "dtks", options)

Spreadsheet rows are Python objects until converted, so they come in smaller batches than CSV rows; merged
cells fill their range (a section title merged across the table is marked as a banner); Excel error cells
and formulas without a cached value are noted from the XML (calamine returns them empty).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from satudata.intake.plans import Plan, as_family_sheet, budget_role, family_only, find_plan
from satudata.intake.rows import ID_COLUMNS, KK_COLUMNS, NIK_COLUMNS, RawChunk, SheetState
from satudata.schema import FAMILY_REGISTRIES
from satudata.sheets import sniff as _sniff
from satudata.sheets.delimited import choose_delimiter, csv_frames, read_head, stream_after
from satudata.sheets.headers import cell_text
from satudata.sheets.workbook import NUMBER_TYPES, ExcelError, FileRejected, Grid, cell_to_text

GRID_BATCH_ROWS = 100_000  # xlsx/xls rows per chunk at most (chunk_rows applies when smaller)
TABLE_ROLES = ("anggaran",)


def grid_plan(grid: Grid, jenis: str, options) -> tuple[Plan | None, list[list]]:
    """Find the header of a grid. Returns the plan (stream unset) and the buffered raw rows."""
    rows_iter = grid.rows()
    buffered = list(itertools.islice(rows_iter, options.header_search_rows + 50))
    texts = [[cell_text(v) for v in row] for row in buffered]
    for r0, c0, r1, _c1 in grid.merged:  # vertical merges in the header area: the name belongs to each row
        if r1 > r0 and r0 < len(texts):
            for rr in range(r0 + 1, min(r1, len(texts) - 1) + 1):
                if c0 < len(texts[rr]) and not texts[rr][c0]:
                    texts[rr][c0] = texts[r0][c0]
    grid._rest = rows_iter  # type: ignore[attr-defined]
    return find_plan(jenis, texts, options, grid.name), buffered


def grid_stream(grid: Grid, plan: Plan, buffered: list[list], options):
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


def open_csv(handle: BinaryIO, sniffed: _sniff.Sniffed, jenis: str, options) -> tuple[Plan, str]:
    """The CSV's header (under its title lines), its delimiter, and a plan whose stream reads the records."""
    want_lines = options.header_search_rows + 60
    head = read_head(handle, sniffed, want_lines)
    if not head.lines and not head.eof:  # megabytes read and not one line break: no rows to find
        raise FileRejected("line_too_long", f"no line break in the first {len(head.text):,} characters")

    def find(cells: list[list[str]]):
        plan = find_plan(jenis, cells, options, None)
        return plan.header if plan is not None else None

    choice = choose_delimiter(head.lines, find, want_lines)
    plan = find_plan(jenis, choice.records, options, None) if choice.header is not None else None
    if plan is None:
        raise FileRejected("no_header", f"no record among the first {options.header_search_rows} names at least "
                           "two known columns (tried delimiters , ; tab |)")
    records = choice.records
    header_width = len(records[plan.header.row])
    sample_width = max((len(r) for r in records[plan.header.row + 1 :]), default=header_width)
    width = max(header_width, sample_width)
    offset = sum(len(line) for line in head.lines[: choice.ends[plan.header.row]])
    make_stream = stream_after(handle, head, offset)

    def stream_factory(state: SheetState) -> Iterator[RawChunk]:
        yield from csv_chunks(make_stream, choice.delimiter, plan, header_width, width, options)

    plan.stream = stream_factory
    if jenis in FAMILY_REGISTRIES and family_only(jenis, plan):  # a recap: one row per family, no members
        as_family_sheet(plan.header)
        plan.sheet = "keluarga"
    elif jenis in FAMILY_REGISTRIES:
        plan.sheet, plan.flat = "flat", True
    elif jenis in TABLE_ROLES:
        plan.sheet = budget_role(plan)
    return plan, choice.delimiter


def csv_chunks(make_stream, delimiter: str, plan: Plan, header_width: int, width: int,
               options) -> Iterator[RawChunk]:
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


__all__ = ["GRID_BATCH_ROWS", "csv_chunks", "grid_plan", "grid_stream", "open_csv"]
