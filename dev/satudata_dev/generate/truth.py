"""Write the generator's truth: what every row of every file really is.

CSV for the row-level tables a person reads or greps (individu, keluarga, defects), Parquet for the
typed tables of true people and families (dates, booleans, nullable desil). pyarrow writes both fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

INDIVIDU_COLUMNS = ("person_id", "family_id", "source", "record_id", "kode_kab", "file", "sheet", "excel_row",
                    "kode_program")
KELUARGA_COLUMNS = ("family_id", "source", "kode_kab", "file", "sheet", "excel_row", "family_key", "no_kk")
DEFECT_COLUMNS = ("file", "sheet", "excel_row", "column", "header", "defect", "original", "written", "person_id")


def _array(values: np.ndarray) -> pa.Array:
    if values.dtype == object:
        return pa.array(values, type=pa.string())
    if values.dtype.kind == "M":
        return pa.array(values.astype("datetime64[D]"), type=pa.date32())
    return pa.array(values)


def concat(parts: list[dict[str, np.ndarray]], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if p is not None]
    if not parts:
        return {c: np.zeros(0, dtype=object) for c in columns}
    return {c: np.concatenate([p[c] for p in parts]) for c in columns}


def _csv_table(data: dict[str, np.ndarray], columns: tuple[str, ...], nullable_zero: tuple[str, ...] = (),
               nullable_negative: tuple[str, ...] = ()) -> pa.Table:
    """Integer columns listed as nullable are empty where 0 / negative."""
    arrays = []
    for c in columns:
        v = data[c]
        if c in nullable_zero or c in nullable_negative:
            mask = (v <= 0) if c in nullable_zero else (v < 0)
            arrays.append(pa.array(v.astype(np.int64), mask=mask, type=pa.int64()))
        elif v.dtype == object:
            arrays.append(pa.array(v, type=pa.string()))
        else:
            arrays.append(pa.array(v.astype(np.int64), type=pa.int64()))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _parquet_table(data: dict[str, np.ndarray], nullable_zero: tuple[str, ...] = ()) -> pa.Table:
    arrays = []
    for c, v in data.items():
        if c in nullable_zero:
            arrays.append(pa.array(v.astype(np.int8), mask=v == 0, type=pa.int8()))
        else:
            arrays.append(_array(v))
    return pa.Table.from_arrays(arrays, names=list(data))


# name -> (columns, integer columns empty where 0, integer columns empty where negative)
_CSV_TABLES = {
    "individu": (INDIVIDU_COLUMNS, (), ()),
    "keluarga": (KELUARGA_COLUMNS, (), ()),
    "defects": (DEFECT_COLUMNS, ("excel_row",), ("person_id",)),
}


class TruthWriter:
    """Appends each regency's truth to the period's files as it comes, so memory stays per regency."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._csv: dict[str, pacsv.CSVWriter] = {}
        self._parquet: dict[str, pq.ParquetWriter] = {}
        self.defect_counts: dict[str, int] = {}
        self.rows: dict[str, int] = {}

    def add_rows(self, name: str, parts: list[dict[str, np.ndarray]]) -> None:
        columns, zero, negative = _CSV_TABLES[name]
        table = _csv_table(concat(parts, columns), columns, zero, negative)
        if name not in self._csv:
            self._csv[name] = pacsv.CSVWriter(self.folder / f"{name}.csv", table.schema,
                                              write_options=pacsv.WriteOptions(quoting_style="needed"))
        self._csv[name].write_table(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows
        if name == "defects":
            for defect, count in zip(*np.unique(table.column("defect").to_numpy(zero_copy_only=False).astype(str),
                                                return_counts=True), strict=True):
                self.defect_counts[defect] = self.defect_counts.get(defect, 0) + int(count)

    def add_typed(self, name: str, data: dict[str, np.ndarray]) -> None:
        table = _parquet_table(data, nullable_zero=("desil",))
        if name not in self._parquet:
            self._parquet[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema,
                                                   compression="zstd")
        self._parquet[name].write_table(table.cast(self._parquet[name].schema))
        self.rows[name] = self.rows.get(name, 0) + table.num_rows

    def close(self) -> None:
        for name, (columns, zero, negative) in _CSV_TABLES.items():
            if name not in self._csv:  # nothing at all: still write the header
                empty = {c: np.zeros(0, dtype=np.int64 if c in (*zero, *negative, "excel_row", "person_id",
                                                                    "family_id") else object) for c in columns}
                self.add_rows(name, [empty])
            self._csv[name].close()
        for writer in self._parquet.values():
            writer.close()


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
