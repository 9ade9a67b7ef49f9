"""Programme reference (kept as data in `include/reference/program.csv`) and name matching.

Regencies add local programmes by adding rows (or a `program_lokal_<kode>.csv` file with the same
columns) — no code change. `alias` lists the other names a programme goes by in files and file
names (`Sembako` for BPNT, `BLT DD` for BLT_DD), separated by `;`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from satudata.config import reference_dir


@dataclass(frozen=True)
class Programme:
    kode_program: str
    nama_program: str
    unit: str  # individu | keluarga
    desil_maks: int | None
    program_inti: bool
    kode_wilayah: str | None
    aliases: tuple[str, ...]


def _key(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space: 'BLT-DD' and 'blt_dd' both give 'blt dd'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def programme_files(directory: Path) -> list[Path]:
    return [directory / "program.csv", *sorted(directory.glob("program_lokal_*.csv"))]


def load_programmes(directory: Path | None = None) -> list[Programme]:
    directory = directory or reference_dir()
    return list(_load_cached(str(directory)))


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> tuple[Programme, ...]:
    programmes: dict[str, Programme] = {}
    for path in programme_files(Path(directory)):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code = row["kode_program"].strip().upper()
                aliases = tuple(a.strip() for a in (row.get("alias") or "").split(";") if a.strip())
                programmes[code] = Programme(
                    kode_program=code,
                    nama_program=row["nama_program"].strip(),
                    unit=row["unit"].strip().lower(),
                    desil_maks=int(row["desil_maks"]) if (row.get("desil_maks") or "").strip() else None,
                    program_inti=(row.get("program_inti") or "").strip().lower() == "ya",
                    kode_wilayah=(row.get("kode_wilayah") or "").strip() or None,
                    aliases=aliases,
                )
    return tuple(programmes.values())


class ProgrammeMatcher:
    """Recognise programme codes in cell values and file names."""

    def __init__(self, programmes: list[Programme]):
        self.codes = frozenset(p.kode_program for p in programmes)
        names: dict[str, str] = {}
        for p in programmes:
            for name in (p.kode_program, p.nama_program, *p.aliases):
                names.setdefault(_key(name), p.kode_program)
        self._by_key = names
        # Longest names first, so 'blt dana desa' wins over a shorter alias inside it.
        ordered = sorted(names, key=len, reverse=True)
        self._in_text = re.compile(r"(?<![a-z])(" + "|".join(re.escape(k) for k in ordered) + r")(?![a-z])")

    @classmethod
    def load(cls) -> ProgrammeMatcher:
        return cls(load_programmes())

    def code_for(self, value: object) -> str | None:
        """The programme code a cell value names (code, name or alias), or None."""
        if value is None:
            return None
        return self._by_key.get(_key(str(value)))

    def codes_in_file_name(self, file_name: str) -> list[str]:
        """Programme codes named in a file name such as `BLT-DD_5205_2026-11.xlsx`."""
        stem = _key(Path(file_name).stem)
        found = []
        for match in self._in_text.finditer(stem):
            code = self._by_key[match.group(1)]
            if code not in found:
                found.append(code)
        return found
