"""Kemendagri region codes (kode wilayah): normalisation and a small, fast lookup.

Codes are kept internally in their compact form, digits only: `52` (provinsi), `5205` (kabupaten/kota),
`520501` (kecamatan), `5205012001` (desa/kelurahan). Regency files write them dotted (`52.05.01.2001`),
undotted, or as Excel numbers (`5205012001.0`, `5.205012001E+09`); `normalise_kode` accepts all of them.

Three official lists are shipped in `include/reference/` (2019, 2022, 2025). Residence codes are checked
against the current list; NIK prefixes (the kecamatan of *first* registration) against any of them.

Places written by name ("Kec. Woja", "Ds. Soeka Damai", "Mekar Sari") are resolved within one regency by
`Wilayah.resolve_names`: a name that fits several places, or none with certainty, is reported, never chosen.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd

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

    def __init__(self, regions: dict[str, Region], old_names: dict[str, tuple[str, ...]] | None = None):
        self._regions = regions
        self._old_names = old_names or {}  # names an older list gave a code, other than its newest one
        self._name_indexes: dict[str, tuple[_NameIndex, _NameIndex]] = {}  # per regency, built when first asked
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
        earlier: dict[str, list[str]] = {}
        for year in LIST_YEARS:  # oldest first, so newer names win
            codes = _read_list(directory / f"wilayah_kepmendagri_{year}.csv")
            for kode, nama in codes.items():
                if kode in names and names[kode] != nama and len(kode) > 4:
                    earlier.setdefault(kode, []).append(names[kode])
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
        old_names = {k: tuple(dict.fromkeys(n for n in v if n != names[k])) for k, v in earlier.items()}
        return cls(regions, {k: v for k, v in old_names.items() if v})

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

    # ------------------------------------------------------------------------------------------ place names

    def resolve_names(self, kode_kab: str, kecamatan: pd.Series | None, desa: pd.Series | None) -> pd.DataFrame:
        """Kecamatan and desa as offices write them (names or codes) -> codes of the current list, within one
        regency. Same index as the series given; each distinct (kecamatan, desa) pair is resolved once.

        Columns: kode_kecamatan (6 digits), kode_desa (10 digits), status, status_kecamatan, status_desa,
        kandidat. A status is one of STATUS_NAMA: "kode" (a code was written), "tepat" (the name, after case,
        punctuation, spaces, "Desa"/"Kel."/"Kec." and numerals I/1/Satu are set aside), "nama_lama" (a name of
        the 2019/2022 list, or a desa listed then under another code), "ejaan" (a spelling variant: old
        spelling oe/dj/tj/ch/j, or a small edit distance, only when one place fits), "ambigu" (several places
        fit: never chosen, `kandidat` lists them for the operator's question), "tidak_dikenal". `status` is
        the worse of the parts written (<NA> when neither was); the codes are given only when `status` is one
        of STATUS_DIKENAL, and then agree (a desa's kecamatan is the kecamatan). A desa name found only outside
        the kecamatan written is tidak_dikenal, with the places of that name in `kandidat`.
        """
        kab = normalise_kode(kode_kab)
        if kab is None or len(kab) != 4 or kab not in self._regions:
            raise ValueError(f"not a regency code: {kode_kab!r}")
        given = [s for s in (kecamatan, desa) if s is not None]
        if not given:
            raise ValueError("give kecamatan, desa or both")
        index = given[0].index
        kec_text, desa_text = (_cell_text(s, index) for s in (kecamatan, desa))
        codes, pairs = pd.factorize(kec_text + "\x1f" + desa_text, use_na_sentinel=True)
        resolver = _Resolver(self, kab)
        rows = [resolver.pair(*pair.split("\x1f")) for pair in pairs]
        columns = ("kode_kecamatan", "kode_desa", "status", "status_kecamatan", "status_desa", "kandidat")
        per_pair = pd.DataFrame(rows + [(None,) * len(columns)], columns=columns, dtype="string")
        return per_pair.take(codes).set_axis(index)

    def _name_index(self, kab: str) -> tuple[_NameIndex, _NameIndex]:
        """The kecamatan and desa names of a regency, of every list, each pointing at a current code."""
        if kab not in self._name_indexes:
            kecamatan = self._children.get(kab, [])
            desa = [d for k in kecamatan for d in self._children.get(k, [])]
            self._name_indexes[kab] = (_NameIndex(self, kecamatan), _NameIndex(self, desa))
        return self._name_indexes[kab]


# ------------------------------------------------------------------------------------------------ place names
# How a place is written by offices vs the lists: case, punctuation, spaces, the level word ("Desa", "Ds.",
# "Kel.", "Kec."), numerals (I, 1, Satu), and the pre-1972 spelling (Soeka, Djaja, Tjempaka, Chairul).

STATUS_NAMA = ("kode", "tepat", "nama_lama", "ejaan", "ambigu", "tidak_dikenal")  # best first
STATUS_DIKENAL = frozenset({"kode", "tepat", "nama_lama", "ejaan"})
_LEVEL_WORDS = {"desa": frozenset({"DESA", "DS", "KEL", "KELURAHAN"}), "kecamatan": frozenset({"KEC", "KECAMATAN"})}
# A word of a higher level ends the name ("Bada Kec. Dompu"); at the start the cell names that level instead.
_HIGHER_WORDS = {"desa": frozenset({"KEC", "KECAMATAN", "KAB", "KABUPATEN", "PROV", "PROVINSI"}),
                 "kecamatan": frozenset({"KAB", "KABUPATEN", "PROV", "PROVINSI"})}
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    ["SATU", "DUA", "TIGA", "EMPAT", "LIMA", "ENAM", "TUJUH", "DELAPAN", "SEMBILAN", "SEPULUH"], start=1)}
_ROMAN = re.compile(r"(X{0,2})(IX|IV|V?I{0,3})")
_ROMAN_VALUE = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "": 0}
_OLD_SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("CH", "KH"), ("J", "Y"))  # J/Y: old j is y (Djaja)
_CODE_LIKE = re.compile(r"[0-9][0-9.\s]*(?:[eE][+]?[0-9]+)?")
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc]")


def _number(token: str) -> str:
    if token.isdigit():
        return token.lstrip("0") or "0"
    roman = _ROMAN.fullmatch(token)
    if roman and token:
        return str(10 * len(roman.group(1)) + _ROMAN_VALUE[roman.group(2)])
    return _NUMBER_WORDS.get(token, token)


class _Keys(NamedTuple):
    exact: str  # case, accents, punctuation, spaces and the level word set aside; numerals as digits
    folded: str  # the exact key in today's spelling (Soeka -> SUKA, Djaja -> YAYA)
    raw: str  # the exact key with Roman numerals left as letters ("PenagoI I" is Penago II)
    numerals: tuple[str, ...]  # Kandai I / Kandai II: one edit apart, two places


def _name_keys(text: str, level: str, written: bool = True) -> _Keys | None:
    """The keys of a place name (see `_Keys`); None when the text names no place of the level. The exact
    key ignores case, accents, punctuation and spaces ("Mekar Sari" = "Mekarsari")."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    tokens = re.findall(r"[A-Z0-9]+", _APOSTROPHES.sub("", text).upper())  # "Hu'u" = "Huu"
    if written:
        cut = next((i for i, t in enumerate(tokens) if t in _HIGHER_WORDS[level]), len(tokens))
        tokens = tokens[:cut]
    while len(tokens) > 1 and tokens[0] in _LEVEL_WORDS[level]:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in _LEVEL_WORDS[level]:
        tokens = tokens[:-1]
    raw = "".join(tokens)
    tokens = [_number(t) for t in tokens]
    exact = "".join(tokens)
    if not exact:
        return None
    folded = exact
    for old, new in _OLD_SPELLING:  # no collapsing of doubled letters: "Japann" is Japanan as much as Japan
        folded = folded.replace(old, new)
    return _Keys(exact, folded, raw, tuple(sorted(t for t in tokens if t.isdigit())))


def _edit_limit(key: str) -> int:
    """Edits allowed for a spelling match: none for short names (Bada, Bali, Bara are three places)."""
    return 0 if len(key) < 5 else 1 if len(key) < 10 else 2


def _within(a: str, b: str, limit: int) -> bool:
    """Optimal string alignment distance (insert, delete, replace, swap neighbours) of a and b <= limit."""
    if abs(len(a) - len(b)) > limit:
        return False
    far = limit + 1
    before, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [far] * len(b)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return False
        before, previous = previous, current
    return previous[len(b)] <= limit


class _Entry(NamedTuple):
    kode: str  # the current code the name leads to
    asal: str  # the code it was listed under (another one for a desa that moved to another kecamatan)
    nama: str
    lama: bool  # a name of an older list only
    exact: str
    folded: str
    raw: str
    numerals: tuple[str, ...]


class _Match(NamedTuple):
    status: str
    kodes: tuple[str, ...] = ()
    entries: tuple[_Entry, ...] = ()  # the places found: candidates of "ambigu", hints of "tidak_dikenal"
    note: str | None = None


def _verdict(hits: list[_Entry], status: str) -> _Match:
    kodes = tuple(sorted({e.kode for e in hits}))
    return _Match(status if len(kodes) == 1 else "ambigu", kodes, tuple(hits))


class _NameIndex:
    """Names of one level of a regency, current and older, each pointing at a current code."""

    def __init__(self, wilayah: Wilayah, codes: list[str]):
        regions = wilayah._regions
        self.level = level = "desa" if codes and len(codes[0]) == 10 else "kecamatan"
        named: dict[str, list[tuple[str, bool, _Keys]]] = {}
        for kode in codes:
            region = regions[kode]
            names = [(region.nama, not region.is_current)] + [(n, True) for n in wilayah._old_names.get(kode, ())]
            named[kode] = [(nama, lama, k) for nama, lama in names if (k := _name_keys(nama, level, False))]
        current: dict[str, set[str]] = {}
        for kode, found in named.items():
            for _, lama, k in found:
                if not lama:
                    current.setdefault(k.exact, set()).add(kode)
        self.successor: dict[str, str] = {}  # a code of an older list -> the place that carries its name now
        self.entries: list[_Entry] = []
        for kode, found in named.items():
            target = kode
            if not regions[kode].is_current:  # listed before under this code (a desa moved kecamatan)
                places = set().union(*(current.get(k.exact, set()) for _, _, k in found))
                if len(places) != 1:
                    continue
                target = self.successor[kode] = places.pop()
            self.entries += [_Entry(target, kode, nama, lama, *k) for nama, lama, k in found]
        self.by_exact: dict[str, list[_Entry]] = {}
        self.by_folded: dict[str, list[_Entry]] = {}
        for entry in self.entries:
            self.by_exact.setdefault(entry.exact, []).append(entry)
            self.by_folded.setdefault(entry.folded, []).append(entry)

    def match(self, text: str, scope: frozenset[str] | None) -> _Match:
        """The places a written name fits, within the kecamatan of `scope` (None: the whole regency)."""
        keys = _name_keys(text, self.level)
        if keys is None:
            return _Match("tidak_dikenal")
        exact, folded, raw, numerals = keys

        def inside(e: _Entry) -> bool:
            return scope is None or e.kode[:6] in scope or e.asal[:6] in scope

        hits = [e for e in self.by_exact.get(exact, ()) if inside(e)]
        if hits:
            return _verdict(hits, "tepat" if any(not e.lama for e in hits) else "nama_lama")
        # Edit distance on the exact key (and on the key with Roman numerals as letters), against every name
        # in scope. One place must be within the limit and no other within one edit more: "Dame d" is one
        # edit from Dame and from Dame I, "Linng" one from Liang and two from Lintong. And the numerals must
        # be those written: "Kandai III" is one edit from Kandai II, and no place.
        limit = _edit_limit(exact)
        near = [e for e in self.entries if limit and inside(e)
                and (_within(e.exact, exact, limit + 1) or _within(e.raw, raw, limit + 1))]
        hits = [e for e in near if _within(e.exact, exact, limit) or _within(e.raw, raw, limit)]
        spelled = [e for e in self.by_folded.get(folded, ()) if inside(e)]  # Soeka Damai, Tjempi Djaja
        if spelled:
            return _verdict(spelled + hits, "ejaan")
        if not hits or any(e.numerals != numerals for e in hits):
            return _Match("tidak_dikenal", entries=tuple(near))
        return _verdict(near, "ejaan")


class _Resolver:
    """Resolves (kecamatan, desa) pairs of one regency; remembers what it resolved."""

    def __init__(self, wilayah: Wilayah, kab: str):
        self.wilayah, self.kab = wilayah, kab
        self.kecamatan_index, self.desa_index = wilayah._name_index(kab)
        self.kecamatan_seen: dict[str, _Match] = {}
        self.desa_seen: dict[tuple[frozenset[str] | None, str], _Match] = {}

    def code(self, text: str, width: int, index: _NameIndex) -> _Match | None:
        """A cell holding a code (None when it holds a name)."""
        if not _CODE_LIKE.fullmatch(text):
            return None
        kode = normalise_kode(text)
        if kode is None or len(kode) != width or not kode.startswith(self.kab):
            return _Match("tidak_dikenal", note=f"kode {text} bukan kode {'desa' if width == 10 else 'kecamatan'}"
                                                f" di {self.wilayah.label(self.kab)}")
        if self.wilayah.exists(kode):
            return _Match("kode", (kode,))
        if kode in index.successor:  # a code of an older list whose place carries the same name now
            return _Match("nama_lama", (index.successor[kode],))
        return _Match("tidak_dikenal", note=f"kode {kode} tidak ada di daftar wilayah terbaru")

    def kecamatan(self, text: str) -> _Match:
        if text not in self.kecamatan_seen:
            self.kecamatan_seen[text] = (self.code(text, 6, self.kecamatan_index)
                                         or self.kecamatan_index.match(text, None))
        return self.kecamatan_seen[text]

    def desa(self, text: str, scope: frozenset[str] | None) -> _Match:
        key = (scope, text)
        if key not in self.desa_seen:
            found = self.code(text, 10, self.desa_index)
            if found is not None and found.kodes and scope is not None and found.kodes[0][:6] not in scope:
                found = _Match("tidak_dikenal", note=self.describe(found.kodes[0]))
            elif found is None:
                found = self.desa_index.match(text, scope)
                if found.status == "tidak_dikenal" and scope is not None:  # written under another kecamatan?
                    found = found._replace(entries=self.desa_index.match(text, None).entries)
            self.desa_seen[key] = found
        return self.desa_seen[key]

    def describe(self, kode: str, entry: _Entry | None = None) -> str:
        label = self.wilayah.label
        where = f"{label(kode)}, {label(kode[:6])}" if len(kode) == 10 else label(kode)
        return f"{where} ({kode})" + (f", nama lama {entry.nama}" if entry is not None and entry.lama else "")

    def kandidat(self, match: _Match | None) -> str | None:
        if match is None or match.status in STATUS_DIKENAL:
            return None
        texts = [self.describe(e.kode, e) for e in match.entries] + ([match.note] if match.note else [])
        return "; ".join(dict.fromkeys(sorted(texts))) or None

    def pair(self, kecamatan_text: str, desa_text: str) -> tuple[str | None, ...]:
        """(kode_kecamatan, kode_desa, status, status_kecamatan, status_desa, kandidat) of one written pair."""
        kecamatan = self.kecamatan(kecamatan_text) if kecamatan_text else None
        desa = None
        if desa_text:
            scope = frozenset(kecamatan.kodes) if kecamatan is not None and kecamatan.kodes else None
            desa = self.desa(desa_text, scope)
            if kecamatan is not None and kecamatan.status == "ambigu" and desa.status in STATUS_DIKENAL:
                kecamatan = _Match("ejaan", (desa.kodes[0][:6],))  # the desa tells which of the kecamatan
        parts = [m for m in (kecamatan, desa) if m is not None]
        if not parts:
            return (None,) * 6
        status = max((m.status for m in parts), key=STATUS_NAMA.index)
        kode_desa = desa.kodes[0] if desa is not None and status in STATUS_DIKENAL else None
        kode_kecamatan = (kode_desa[:6] if kode_desa else kecamatan.kodes[0]) if status in STATUS_DIKENAL else None
        kandidat = " | ".join(t for t in (self.kandidat(kecamatan), self.kandidat(desa)) if t) or None
        return (kode_kecamatan, kode_desa, status, kecamatan.status if kecamatan else None,
                desa.status if desa else None, kandidat)


def _cell_text(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """Cells as stripped text, "" for empty ones (codes stored by Excel as numbers become "5205012001.0")."""
    if values is None:
        return pd.Series("", index=index, dtype="string")
    text = values.astype("string").fillna("").str.replace("\x1f", " ", regex=False).str.strip()
    return text.set_axis(index)


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


def kabupaten_label(kode_kab: str) -> str:
    """"Kabupaten Lombok Barat (5201)" for a heading; the code alone when its name is not known."""
    try:
        name = Wilayah.load().name(kode_kab)
    except Exception:  # noqa: BLE001 - a missing name never stops a workbook
        name = None
    return f"{name} ({kode_kab})" if name else kode_kab
