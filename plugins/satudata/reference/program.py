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
    penyelenggara: str | None = None
    sumber_dana: str | None = None
    strategi_inpres: str | None = None  # beban | pendapatan | kantong (Inpres 4/2022)


def _key(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space: 'BLT-DD' and 'blt_dd' both give 'blt dd'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def programme_files(directory: Path) -> list[Path]:
    return [directory / "program.csv", *sorted(directory.glob("program_lokal_*.csv"))]


def load_programmes(directory: Path | None = None) -> list[Programme]:
    directory = directory or reference_dir()
    return list(_load_cached(str(directory)))


class ProgrammeFileError(ValueError):
    """A programme file that cannot be used; the message names the file, the row and the problem."""


def _desil(text: str, where: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"[1-4]", text):
        raise ProgrammeFileError(f"{where}: desil_maks must be 1..4 or empty, not {text!r}")
    return int(text)


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> tuple[Programme, ...]:
    programmes: dict[str, Programme] = {}
    origin: dict[str, str] = {}
    for path in programme_files(Path(directory)):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                where = f"{path.name} baris {line}"
                code = (row.get("kode_program") or "").strip().upper()
                if not re.fullmatch(r"[A-Z0-9_]{1,40}", code):
                    raise ProgrammeFileError(f"{where}: kode_program must be letters, digits and _, not {code!r}")
                if code in programmes:
                    # A local file may add programmes, never redefine one (PKH is PKH in every regency).
                    raise ProgrammeFileError(f"{where}: kode_program {code} is already defined in {origin[code]}")
                unit = (row.get("unit") or "").strip().lower()
                if unit not in ("individu", "keluarga"):
                    raise ProgrammeFileError(f"{where}: unit must be individu or keluarga, not {unit!r}")
                name = (row.get("nama_program") or "").strip()
                if not name:
                    raise ProgrammeFileError(f"{where}: nama_program is empty")
                aliases = tuple(a.strip() for a in (row.get("alias") or "").split(";") if a.strip())
                origin[code] = path.name
                programmes[code] = Programme(
                    kode_program=code,
                    nama_program=name,
                    unit=unit,
                    desil_maks=_desil((row.get("desil_maks") or "").strip(), where),
                    program_inti=(row.get("program_inti") or "").strip().lower() == "ya",
                    kode_wilayah=(row.get("kode_wilayah") or "").strip() or None,
                    aliases=aliases,
                    penyelenggara=(row.get("penyelenggara") or "").strip() or None,
                    sumber_dana=(row.get("sumber_dana") or "").strip() or None,
                    strategi_inpres=(row.get("strategi_inpres") or "").strip().lower() or None,
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
