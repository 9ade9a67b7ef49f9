"""The known spellings of the regency files' columns: the header corpus, kept as data with its sources.

`include/kolom/korpus_header.csv` holds spellings found in public sources (government templates, exports,
public code that reads these registries; `include/kolom/SUMBER.md`), each marked `latih` (the matcher learns
from it) or `uji` (held apart: only the test measuring recall and precision reads it, nothing is tuned on it).
`include/kolom/ejaan_kantor.csv` holds what offices sent in earlier rounds. A spelling of column "-" names no
column ("Keterangan", "Sisa Anggaran"): it teaches the matcher what to leave alone.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from satudata.config import kolom_dir

CORPUS_FILES = ("ejaan_kantor.csv", "korpus_header.csv")
LATIH, UJI = "latih", "uji"


def read_corpus(part: str = LATIH, directory: Path | None = None) -> list[dict[str, str]]:
    """Rows (kolom, ejaan, jenis, sumber, bagian) of one part of the corpus, every file together."""
    folder = directory or kolom_dir()
    rows: list[dict[str, str]] = []
    for name in CORPUS_FILES:
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if (row.get("bagian") or "").strip() == part and (row.get("ejaan") or "").strip():
                    rows.append({k: (v or "").strip() for k, v in row.items()})
    return rows


@lru_cache(maxsize=4)
def spellings(part: str = LATIH) -> dict[str, tuple[str, ...]]:
    """Column -> its spellings (first seen first), for one part of the corpus."""
    out: dict[str, dict[str, None]] = {}
    for row in read_corpus(part):
        out.setdefault(row["kolom"], {})[row["ejaan"]] = None
    return {kolom: tuple(texts) for kolom, texts in out.items()}


__all__ = ["CORPUS_FILES", "LATIH", "UJI", "read_corpus", "spellings"]
