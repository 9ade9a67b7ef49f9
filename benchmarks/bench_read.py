"""Throughput of `satudata.intake.read` (rows per second), of the raw readers it was chosen between, and of
what a pandas user would write instead (`pd.read_excel`, engine openpyxl or calamine, on the same xlsx).

    .venv/bin/python benchmarks/bench_read.py            # CSV 100k + 1M rows, xlsx 100k rows
    .venv/bin/python benchmarks/bench_read.py --quick    # smaller sizes

Prints a table; makes no assertions. Files are generated in a temporary directory: a DTKS-like table of
10 columns (NIK and KK as text, a dotted kode desa, a date as text ...) under a title row. `ours/theirs`
is our reader's time on the same file divided by the other reader's (below 1: ours is faster).
"""

from __future__ import annotations

import argparse
import csv
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from satudata.intake.read import ReadOptions, read_submission

HEADER = ["No", "NIK", "Nama", "Kode Desa", "No KK", "Jenis Kelamin", "Tanggal Lahir", "Alamat",
          "Hubungan Keluarga", "Pekerjaan"]  # fmt: skip


def row(i: int) -> list:
    return [i + 1, f"52050145078{i % 100000:05d}", f"Warga Nomor {i}", "52.05.01.2001", f"52050101010{i % 100000:05d}",
            "L" if i % 2 else "P", "12-05-1980", f"Dusun {i % 50} RT {i % 9}", "Anak", "Petani"]  # fmt: skip


def write_csv(path: Path, rows: int) -> Path:
    block = 50_000
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Periode: November 2026"])
        writer.writerow(HEADER)
        cached = [row(i) for i in range(min(rows, block))]
        for start in range(0, rows, block):
            writer.writerows(cached[: min(block, rows - start)])
    return path


def write_xlsx(path: Path, rows: int) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Data")
    ws.write_string(0, 0, "Periode: November 2026")
    ws.write_row(2, 0, HEADER)
    for i in range(rows):
        ws.write_row(3 + i, 0, row(i))
    wb.close()
    return path


def timed(fn: Callable[[], int], repeat: int = 1) -> tuple[int, float]:
    best = float("inf")
    count = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    return count, best


def intake(path: Path, chunk_rows: int = 200_000) -> Callable[[], int]:
    def run() -> int:
        _meta, chunks = read_submission(path, "dtks", ReadOptions(chunk_rows=chunk_rows))
        return sum(len(chunk.frame) for chunk in chunks)

    return run


def raw_pandas_c(path: Path) -> Callable[[], int]:
    def run() -> int:
        n = 0
        for frame in pd.read_csv(path, sep=";", skiprows=1, dtype=object, keep_default_na=False, na_filter=False,
                                 engine="c", chunksize=200_000):
            n += len(frame)
        return n

    return run


def raw_pyarrow(path: Path) -> Callable[[], int]:
    def run() -> int:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(skip_rows=1, block_size=8 << 20),
                                parse_options=pacsv.ParseOptions(delimiter=";"),
                                convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in HEADER}))
        return sum(batch.num_rows for batch in reader)

    return run


def raw_calamine(path: Path) -> Callable[[], int]:
    def run() -> int:
        import python_calamine as pc

        with pc.CalamineWorkbook.from_path(str(path)) as book:
            return sum(1 for _ in book.get_sheet_by_name("Data").iter_rows()) - 3

    return run


def raw_openpyxl(path: Path) -> Callable[[], int]:
    def run() -> int:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return sum(1 for _ in book["Data"].iter_rows(values_only=True)) - 3
        finally:
            book.close()

    return run


def pandas_read_excel(path: Path, engine: str) -> Callable[[], int]:
    """What a pandas user writes: the sheet as text (NIK, KK), header on the third row (under the title)."""
    def run() -> int:
        frame = pd.read_excel(path, sheet_name="Data", header=2, dtype=str, engine=engine)
        return len(frame)

    return run


def jenis_of(path: Path) -> str:
    """The list a generated file holds, from its name (`dtks_5201_...`, `p3ke_...`, else a programme)."""
    name = path.name.split("-", 1)[-1].lower()  # archive names are "<sha256>-<original name>"
    return "dtks" if name.startswith("dtks_") else "p3ke" if name.startswith("p3ke_") else "intervensi"


def read_side_by_side(folder: Path) -> dict:
    """Every xlsx file under `folder` (the intake's archive) read by our reader and by pandas + openpyxl.

    Ours: `read_submission` for the file's list, every chunk consumed (header found, columns mapped, cells
    as text). Theirs: `pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")`,
    every sheet as text with no header search, the least a pandas user must do; their rows include the
    title and header rows. Each file is read once by each, ours first.
    """
    files = sorted(folder.rglob("*.xlsx"))
    ours_rows = theirs_rows = 0
    ours_s = theirs_s = 0.0
    for path in files:
        def ours(path=path) -> int:
            try:
                _meta, chunks = read_submission(path, jenis_of(path))
                return sum(len(chunk.frame) for chunk in chunks)
            except Exception:  # noqa: BLE001 - a refused file (the generator's hostile ones) is still timed
                return 0

        def theirs(path=path) -> int:
            try:
                sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
                return sum(len(frame) for frame in sheets.values())
            except Exception:  # noqa: BLE001
                return 0

        rows, seconds = timed(ours)
        ours_rows, ours_s = ours_rows + rows, ours_s + seconds
        rows, seconds = timed(theirs)
        theirs_rows, theirs_s = theirs_rows + rows, theirs_s + seconds
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    return {"files": len(files), "megabytes": round(megabytes, 1), "ours_rows": ours_rows,
            "ours_seconds": round(ours_s, 2), "theirs_rows": theirs_rows, "theirs_seconds": round(theirs_s, 2),
            "ratio": round(ours_s / theirs_s, 3) if theirs_s else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k/100k CSV rows, 10k xlsx rows")
    args = parser.parse_args()
    csv_sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    xlsx_rows = 10_000 if args.quick else 100_000
    results: list[tuple[str, str, int, float]] = []  # the first row of each file is our reader
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        tmp_path = Path(tmp)
        for size in csv_sizes:
            path = write_csv(tmp_path / f"dtks_{size}.csv", size)
            mb = path.stat().st_size / 1e6
            intake(path)()  # warm imports
            results.append((f"CSV {size:,} rows ({mb:.0f} MB)", "read_submission (pyarrow tier)",
                            *timed(intake(path), 2)))
            results.append(("", "raw pyarrow.csv.open_csv", *timed(raw_pyarrow(path), 2)))
            results.append(("", "raw pandas read_csv engine=c", *timed(raw_pandas_c(path), 2)))
        path = write_xlsx(tmp_path / f"dtks_{xlsx_rows}.xlsx", xlsx_rows)
        mb = path.stat().st_size / 1e6
        label = f"xlsx {xlsx_rows:,} rows ({mb:.1f} MB)"
        results.append((label, "read_submission (calamine)", *timed(intake(path), 2)))
        results.append(("", "raw python-calamine iter_rows", *timed(raw_calamine(path), 2)))
        results.append(("", "raw openpyxl read_only iter_rows", *timed(raw_openpyxl(path), 1)))
        results.append(("", "pandas read_excel engine=openpyxl", *timed(pandas_read_excel(path, "openpyxl"), 1)))
        results.append(("", "pandas read_excel engine=calamine", *timed(pandas_read_excel(path, "calamine"), 2)))
    width = max(len(r[0]) for r in results)
    print(f"{'file':<{width}}  {'reader':<34} {'rows':>10} {'seconds':>8} {'rows/s':>12} {'ours/theirs':>12}")
    print("-" * (width + 81))
    ours = 0.0
    for label, reader, rows, seconds in results:
        if label:  # a new file: its first row is our reader
            ours = seconds
        ratio = "" if label else f"{ours / seconds:.2f}"
        print(f"{label:<{width}}  {reader:<34} {rows:>10,} {seconds:>8.2f} {rows / seconds:>12,.0f} {ratio:>12}")


if __name__ == "__main__":
    main()
