"""Kemendagri region codes (kode wilayah): normalisation and a small, fast lookup.

Codes are kept internally in their compact form, digits only: `52` (provinsi), `5205` (kabupaten/kota),
`520501` (kecamatan), `5205012001` (desa/kelurahan). Regency files write them dotted (`52.05.01.2001`),
undotted, or as Excel numbers (`5205012001.0`, `5.205012001E+09`); `normalise_kode` accepts all of them.

Three official lists are shipped in `include/reference/` (2019, 2022, 2025). Residence codes are checked
against the current list; NIK prefixes (the kecamatan of *first* registration) against any of them.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path

from satudata.config import reference_dir

LIST_YEARS = (2019, 2022, 2025)
CURRENT_YEAR = 2025

# Length of the compact code -> level name used everywhere in the warehouse.
LEVEL_BY_LENGTH = {2: "provinsi", 4: "kabupaten", 6: "kecamatan", 10: "desa"}
LENGTH_BY_LEVEL = {v: k for k, v in LEVEL_BY_LENGTH.items()}
# Dotted segments: 2 + 2 + 2 + 4 digits.
_SEGMENTS = (2, 2, 2, 4)

_DOTTED = re.compile(r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$")
_SCI_OR_FLOAT = re.compile(r"^[0-9]+(\.[0-9]*)?([eE][+]?[0-9]+)?$")
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII only: str.isdigit() also accepts "²" and other scripts' digits


def normalise_kode(value: object) -> str | None:
    """Return the compact digits-only form of a region code, or None when it is not one.

    >>> normalise_kode("52.05.01.2001"), normalise_kode(5205012001.0), normalise_kode("5.205012001E+09")
    ('5205012001', '5205012001', '5205012001')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value <= 0:
            return None
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value) or value <= 0 or not value.is_integer():  # NaN, negative, fractional
            return None
        text = str(int(value))
    else:
        text = str(value).strip().replace(" ", "")
        if not text:
            return None
        if _DOTTED.fullmatch(text):
            # A dotted code keeps its segment widths; "52.05" is a regency, never the float 52.05.
            text = text.replace(".", "")
        elif _SCI_OR_FLOAT.fullmatch(text) and ("." in text or "e" in text.lower()):
            try:
                number = Decimal(text)
            except InvalidOperation:
                return None
            if number != number.to_integral_value():
                return None
            text = str(int(number))
        elif not _DIGITS.fullmatch(text):
            return None
    return text if len(text) in LEVEL_BY_LENGTH and _DIGITS.fullmatch(text) else None


def dotted(kode: str) -> str:
    """`5205012001` -> `52.05.01.2001`."""
    parts, start = [], 0
    for width in _SEGMENTS:
        if start >= len(kode):
            break
        parts.append(kode[start : start + width])
        start += width
    return ".".join(parts)


def level(kode: str) -> str | None:
    return LEVEL_BY_LENGTH.get(len(kode))


def parent(kode: str) -> str | None:
    """The code one level up (`5205012001` -> `520501`), None for a province."""
    lengths = sorted(LEVEL_BY_LENGTH)
    idx = lengths.index(len(kode)) if len(kode) in lengths else -1
    return kode[: lengths[idx - 1]] if idx > 0 else None


def ancestor(kode: str, at_level: str) -> str | None:
    """The code of `kode`'s ancestor (or itself) at a level: ancestor('5205012001', 'kabupaten') == '5205'."""
    width = LENGTH_BY_LEVEL[at_level]
    return kode[:width] if len(kode) >= width else None


@dataclass(frozen=True)
class Region:
    kode: str
    nama: str
    level: str
    parent: str | None
    lists: frozenset[int]

    @property
    def is_current(self) -> bool:
        return CURRENT_YEAR in self.lists


def _read_list(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header[:2] != ["kode", "nama"]:
            raise ValueError(f"{path}: expected columns kode,nama, found {header}")
        return {row[0].replace(".", ""): row[1].strip() for row in reader}


_PARENT_WIDTH = {2: lambda k: None, 4: lambda k: k[:2], 6: lambda k: k[:4], 10: lambda k: k[:6]}


class Wilayah:
    """All regions of the three official lists, indexed by compact code.

    Names come from the newest list that has the code. Build it with `Wilayah.load()` (cached).
    """

    def __init__(self, regions: dict[str, Region]):
        self._regions = regions
        self._children: dict[str, list[str]] = {}
        for kode, region in regions.items():
            if region.parent is not None:
                self._children.setdefault(region.parent, []).append(kode)
        for kids in self._children.values():
            kids.sort()

    @classmethod
    def from_directory(cls, directory: Path) -> Wilayah:
        names: dict[str, str] = {}
        lists: dict[str, set[int]] = {}
        for year in LIST_YEARS:  # oldest first, so newer names win
            codes = _read_list(directory / f"wilayah_kepmendagri_{year}.csv")
            names.update(codes)
            for kode in codes:
                found = lists.get(kode)
                if found is None:
                    lists[kode] = {year}
                else:
                    found.add(year)
        frozen: dict[frozenset[int], frozenset[int]] = {}  # few distinct list combinations: share them
        regions = {}
        for kode, nama in names.items():
            width = len(kode)
            if width in LEVEL_BY_LENGTH:
                key = frozenset(lists[kode])
                regions[kode] = Region(kode, nama, LEVEL_BY_LENGTH[width], _PARENT_WIDTH[width](kode),
                                       frozen.setdefault(key, key))
        return cls(regions)

    @classmethod
    def load(cls) -> Wilayah:
        return _load_cached(str(reference_dir()))

    def __contains__(self, kode: object) -> bool:
        return isinstance(kode, str) and kode in self._regions

    def __len__(self) -> int:
        return len(self._regions)

    def get(self, kode: str) -> Region | None:
        return self._regions.get(kode)

    def regions(self) -> list[Region]:
        return list(self._regions.values())

    def name(self, kode: str) -> str | None:
        region = self._regions.get(kode)
        return region.nama if region else None

    def label(self, kode: str) -> str:
        """How an operator names a place: 'Kec. Woja', 'Desa Bada', 'Kel. Kandai Satu' (the unknown by code)."""
        name = self.name(kode) or kode
        if len(kode) == 6:
            return f"Kec. {name}"
        if len(kode) == 10:
            return f"{'Kel.' if kode[6] == '1' else 'Desa'} {name}"
        return name

    def exists(self, kode: str, *, current_only: bool = True) -> bool:
        region = self._regions.get(kode)
        return region is not None and (region.is_current or not current_only)

    def children(self, kode: str, *, current_only: bool = True) -> list[str]:
        kids = self._children.get(kode, [])
        return [k for k in kids if self._regions[k].is_current] if current_only else list(kids)

    def descendants(self, kode: str, at_level: str, *, current_only: bool = True) -> list[str]:
        width = LENGTH_BY_LEVEL[at_level]
        return sorted(
            k
            for k, r in self._regions.items()
            if len(k) == width and k.startswith(kode) and (r.is_current or not current_only)
        )

    def is_inside(self, kode: str, ancestor_kode: str, *, current_only: bool = True) -> bool:
        """True when `kode` exists and lies inside `ancestor_kode` (e.g. a desa inside a regency)."""
        return (
            len(kode) > len(ancestor_kode)
            and kode.startswith(ancestor_kode)
            and self.exists(kode, current_only=current_only)
            and self.exists(ancestor_kode, current_only=current_only)
        )

    @cached_property
    def kecamatan_codes(self) -> frozenset[str]:
        """Every kecamatan code of any list (what a NIK prefix may be)."""
        return frozenset(k for k, r in self._regions.items() if r.level == "kecamatan")

    @cached_property
    def current_desa_codes(self) -> frozenset[str]:
        """Desa/kelurahan codes of the current list (where people may live)."""
        return frozenset(k for k, r in self._regions.items() if r.level == "desa" and r.is_current)

    def is_known_kecamatan(self, kode: str) -> bool:
        """A kecamatan code in any official list: what a NIK prefix must be."""
        region = self._regions.get(kode)
        return region is not None and region.level == "kecamatan"


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> Wilayah:
    return Wilayah.from_directory(Path(directory))


def load_population(directory: Path | None = None) -> dict[str, dict[str, int | str]]:
    """Population by province and regency (compact code -> nama, laki_laki, perempuan, total)."""
    path = (directory or reference_dir()) / "penduduk_kab_kota_2025.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["kode"].replace(".", ""): {
                "nama": row["nama"],
                "laki_laki": int(row["laki_laki"]),
                "perempuan": int(row["perempuan"]),
                "total": int(row["total"]),
            }
            for row in csv.DictReader(handle)
            if row["kode"] != "0"
        }
