"""The period (`periode`, "YYYY-MM"): one month table, one parser of each form it comes in, one way to print it.

    parse_periode(["Periode: November 2026"])    -> "2026-11"   (title rows of a sheet)
    period_from_name("PKH Dompu November 2026.xlsx") -> "2026-11"   (a file name)
    is_periode("2026-11")                       -> True
    nama_periode("2026-11")                     -> "November 2026"
    periode_text("2026-11")                     -> "November 2026 (2026-11)"
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

# Indonesian and English month names and abbreviations as offices write them (Pebruari, Nopember, Agt ...).
MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "nopember": 11, "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember")
PERIODE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# Regex alternation of the month words, longest first (for other patterns that name a month).
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
_P_MONTH_NAME = re.compile(rf"(?i)(?<![a-z])({MONTH_PATTERN})\.?[\s,/-]*'?((?:19|20)[0-9]{{2}})(?![0-9])")
_P_ISO = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-/.](0?[1-9]|1[0-2])(?![0-9])")
_P_MONTH_YEAR = re.compile(r"(?<![0-9/.\-])(0?[1-9]|1[0-2])[-/.]((?:19|20)[0-9]{2})(?![0-9])")
_P_FULL_DATE = re.compile(r"(?<![0-9])(?:[0-2]?[0-9]|3[01])[-/.](0?[1-9]|1[0-2])[-/.]((?:19|20)[0-9]{2})(?![0-9])")
_PERIOD_WORDS = re.compile(r"(?i)\b(periode|period|bulan|keadaan|posisi|kondisi|month|per)\b")
_NAME_NUMERIC = re.compile(r"(?<![0-9])(20[0-9]{2})[-_. ]?(0[1-9]|1[0-2])(?![0-9])")
_NAME_MONTH_FIRST = re.compile(r"(?<![0-9])(0[1-9]|1[0-2])[-_. ](20[0-9]{2})(?![0-9])")


def is_periode(value) -> bool:
    return isinstance(value, str) and bool(PERIODE.match(value))


def parse_periode(lines: list[str]) -> str | None:
    """"YYYY-MM" from title lines ("Periode: November 2026", "Nov 2026", "2026-11", "11/2026"), or None.

    Lines that say periode/bulan/keadaan/posisi are tried first; a full date (30/11/2026) counts only there.
    """
    keyed = [line for line in lines if _PERIOD_WORDS.search(line)]
    others = [line for line in lines if line not in keyed]
    for group, allow_full_date in ((keyed, True), (others, False)):
        for line in group:
            for pattern in (_P_MONTH_NAME, _P_ISO, _P_MONTH_YEAR) + ((_P_FULL_DATE,) if allow_full_date else ()):
                m = pattern.search(line)
                if not m:
                    continue
                if pattern is _P_MONTH_NAME:
                    month, year = MONTHS[m.group(1).lower()], int(m.group(2))
                elif pattern is _P_ISO:
                    year, month = int(m.group(1)), int(m.group(2))
                else:
                    month, year = int(m.group(1)), int(m.group(2))
                return f"{year:04d}-{month:02d}"
    return None


def period_from_name(name: str) -> str | None:
    """`dtks_5205_2026-11.xlsx`, `P3KE 202611.xlsx`, `pkh 11-2026.csv`, `DTKS November 2026.xlsx`."""
    stem = Path(name).stem
    match = _NAME_NUMERIC.search(stem)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    match = _NAME_MONTH_FIRST.search(stem)
    if match:
        return f"{match.group(2)}-{match.group(1)}"
    words = re.findall(r"[A-Za-z]+|[0-9]{4}", stem)
    for month_word, year in pairwise(words):
        if month_word.lower() in MONTHS and year.isdigit() and year.startswith("20"):
            return f"{year}-{MONTHS[month_word.lower()]:02d}"
    return None


def nama_tanggal(day) -> str:
    """A date (or datetime) as Indonesians write it: '12 November 2026'."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def nama_periode(periode: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, month = periode.split("-")[:2]
    return f"{BULAN[int(month) - 1]} {int(year)}"


def periode_text(periode: str | None) -> str:
    """The period as an operator reads it: 'November 2026 (2026-11)'; 'tidak diketahui' when unknown."""
    if not periode:
        return "tidak diketahui"
    try:
        return f"{nama_periode(periode)} ({periode})"
    except (ValueError, IndexError):
        return periode


__all__ = ["BULAN", "MONTHS", "MONTH_PATTERN", "PERIODE", "is_periode", "nama_periode", "parse_periode", "period_from_name",
           "periode_text"]
