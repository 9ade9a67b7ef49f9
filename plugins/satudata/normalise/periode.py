"""The period (`periode`, "YYYY-MM"): one month table, one parser of each form it comes in, one way to print it.

    parse_periode(["Periode: November 2026"])    -> "2026-11"   (title rows of a sheet)
    period_from_name("PKH Dompu November 2026.xlsx") -> "2026-11"   (a file name)
    understand_periode("DTSEN_TW3.xlsx", ["Tahun 2026"]) -> PeriodeFound("2026-07", "nama_berkas", "triwulan", ...)
    is_periode("2026-11")                       -> True
    nama_periode("2026-11")                     -> "November 2026"
    periode_text("2026-11")                     -> "November 2026 (2026-11)"

A quarter (triwulan: `TW3`, `Triwulan III`, `Q3 2026`, `2026Q3`, `Juli - September 2026`) or a semester
(`Semester II 2026`) stands for its FIRST month: a DTSEN extract of a quarter is the registry in force from
the quarter's start, and the warehouse takes, for a month, the newest extract not after it. A quarter
whose year is not written beside it takes the one year the name or the title rows state, or none: a year
is never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

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
# A month word is a whole word: "Mar" in "Marga", "Des" in "Desa" never count.
_MONTH_WORD = rf"(?<![a-z])(?:{MONTH_PATTERN})(?![a-z])"
_P_MONTH_NAME = re.compile(rf"(?i)(?<![a-z])({MONTH_PATTERN})(?![a-z])\.?[\s,/-]*'?((?:19|20)[0-9]{{2}})(?![0-9])")
_P_ISO = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-/.](0?[1-9]|1[0-2])(?![0-9])")
_P_MONTH_YEAR = re.compile(r"(?<![0-9/.\-])(0?[1-9]|1[0-2])[-/.]((?:19|20)[0-9]{2})(?![0-9])")
_P_FULL_DATE = re.compile(r"(?<![0-9])(?:[0-2]?[0-9]|3[01])[-/.](0?[1-9]|1[0-2])[-/.]((?:19|20)[0-9]{2})(?![0-9])")
_PERIOD_WORDS = re.compile(r"(?i)\b(periode|period|bulan|keadaan|posisi|kondisi|month|per)\b")
_NAME_NUMERIC = re.compile(r"(?<![0-9])(20[0-9]{2})[-_. ]?(0[1-9]|1[0-2])(?![0-9])")
_NAME_MONTH_FIRST = re.compile(r"(?<![0-9])(0[1-9]|1[0-2])[-_. ](20[0-9]{2})(?![0-9])")

# Quarters and semesters. The number may be a digit, a Roman numeral or an ordinal word; a range
# ("TW 1-2", "TW I s.d. III") names several quarters and is not read. Only a year may follow unspaced
# ("TWIII2026"): "Q300" is no quarter.
_PART_NUMBERS = {"1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4, "satu": 1, "kesatu": 1,
                 "pertama": 1, "dua": 2, "kedua": 2, "tiga": 3, "ketiga": 3, "empat": 4, "keempat": 4}
_PART_NUMBER = r"0?[1-4]|iv|iii|ii|i|pertama|kesatu|satu|kedua|dua|ketiga|tiga|keempat|empat"
_P_PART = re.compile(
    rf"(?i)(?<![a-z])(?P<kata>triwulan|tri\s?wulan|trw|tw|kuartal|kwartal|quarter|semester|smt|q)"
    rf"[\s.\-_:]*(?:ke[\s.\-]*)?(?P<n>{_PART_NUMBER})(?:(?![a-z0-9])|(?=(?:19|20)[0-9]{{2}}(?![0-9])))"
    r"(?!\s*(?:-|–|s\.?\s?d\.?|sampai|hingga|dan|&|/|,)\s*(?:0?[1-4]|iv|iii|ii|i)(?![a-z0-9]))"
)
_SEMESTER_WORDS = ("semester", "smt")
# Two month words joined as a range: "Juli - September 2026", "Jan s.d. Mar 2026".
_P_MONTH_RANGE = re.compile(rf"(?i)({_MONTH_WORD})\.?\s*(?:-|–|/|&|s\.?\s?d\.?|sampai|hingga|dan)\s*({_MONTH_WORD})\.?")
# A year written right after a quarter or a range ("TW3 2026", "Triwulan III Tahun Anggaran 2026", "TW3/2026").
_YEAR_AFTER = re.compile(r"(?i)[\s.,\-_/():]*(?:(?:tahun|thn|th|t\.?a)\.?(?:\s*anggaran)?[\s.:\-_/]*)?"
                         r"((?:19|20)[0-9]{2})(?![0-9])")
_YEAR_BEFORE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[\s.\-_/]*$")  # "2026Q3", "2026 - TW3"
_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
_YEAR_SAID = re.compile(r"(?i)(?<![a-z])(?:tahun|thn|th|t\.?a)\.?(?:\s*anggaran)?[\s.:\-]*((?:19|20)[0-9]{2})(?![0-9])")


@dataclass(frozen=True)
class PeriodeFound:
    """What was understood of a file's period, with the text it was read from (for the answer to the office)."""

    periode: str  # "YYYY-MM"; a quarter or semester gives its first month
    sumber: str  # "nama_berkas" (file name) | "isi_berkas" (title rows)
    bentuk: str  # "bulan" | "triwulan" | "semester"
    teks: str  # the exact text read ("TW3_2026", "Periode: Juli 2026" -> "Juli 2026")
    teks_tahun: str | None = None  # where the year was read when `teks` has none ("Tahun 2026" in a title row)
    lain: tuple[str, ...] = ()  # other periods the file states (name vs title rows): ask, do not choose


class _Reading(NamedTuple):
    year: int | None  # None: a quarter or semester written without its year
    month: int
    bentuk: str
    teks: str
    span: tuple[int, int]

    def periode(self, year: int | None = None) -> str:
        return f"{year or self.year:04d}-{self.month:02d}"


def is_periode(value) -> bool:
    return isinstance(value, str) and bool(PERIODE.match(value))


def _part_readings(text: str, name: bool) -> list[_Reading]:
    """Quarters, semesters and month ranges that are exactly one of them, with an adjacent year if written."""
    found = []
    for m in _P_PART.finditer(text):
        number = _PART_NUMBERS[m.group("n").lower().lstrip("0")]
        semester = m.group("kata").lower() in _SEMESTER_WORDS
        if semester and number > 2:
            continue
        month = (number - 1) * (6 if semester else 3) + 1
        found.append(_with_year(text, m.start(), m.end(), month, "semester" if semester else "triwulan", name))
    for m in _P_MONTH_RANGE.finditer(text):
        first, last = (MONTHS[m.group(i).lower()] for i in (1, 2))
        bentuk = {2: "triwulan", 5: "semester"}.get(last - first)
        if bentuk and (first - 1) % (3 if bentuk == "triwulan" else 6) == 0:
            found.append(_with_year(text, m.start(), m.end(), first, bentuk, name))
    return sorted(found, key=lambda r: r.span)


def _with_year(text: str, start: int, end: int, month: int, bentuk: str, name: bool) -> _Reading:
    """The reading with the year written beside it, if any. Its span is the quarter's own words, so that a
    year that also starts a month ("TW4 2026-11") is read for the month too and the two disagree openly."""
    after = _YEAR_AFTER.match(text, end)
    before = _YEAR_BEFORE.search(text[:start])
    year, first, last = None, start, end
    if after and (not name or after.group(1).startswith("20")):  # file names carry 20xx years only
        year, last = int(after.group(1)), after.end()
    elif before and (not name or before.group(1).startswith("20")):
        year, first = int(before.group(1)), before.start()
    return _Reading(year, month, bentuk, text[first:last].strip(" _-."), (start, end))


def _blank(text: str, readings: list[_Reading]) -> str:
    for r in readings:
        text = text[: r.span[0]] + " " * (r.span[1] - r.span[0]) + text[r.span[1] :]
    return text


def _month_readings(line: str, allow_full_date: bool) -> list[_Reading]:
    if _P_MONTH_RANGE.search(line):  # "Februari - April 2026" spans quarters: not one month
        return []
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
        return [_Reading(year, month, "bulan", m.group(0).strip(), m.span())]
    return []


def _single(years: set[int]) -> int | None:
    return next(iter(years)) if len(years) == 1 else None


def _title_year(lines: list[str]) -> tuple[int, str] | None:
    """The one year the title rows state (in a period or as "Tahun 2026" / "TA 2026"), or None."""
    said: dict[int, str] = {}
    for line in lines:
        for r in _line_readings(line, allow_full_date=bool(_PERIOD_WORDS.search(line))):
            if r.year:
                said.setdefault(r.year, r.teks)
        for m in _YEAR_SAID.finditer(line):
            said.setdefault(int(m.group(1)), m.group(0).strip())
    year = _single(set(said))
    return (year, said[year]) if year else None


def _line_readings(line: str, allow_full_date: bool) -> list[_Reading]:
    parts = _part_readings(line, name=False)
    return parts + _month_readings(_blank(line, parts), allow_full_date)


def _title_reading(lines: list[str]) -> tuple[_Reading, str | None] | None:
    """The first period the title rows state (lines that say periode/bulan/... first), and where the year of a
    quarter written without one came from."""
    keyed = [line for line in lines if _PERIOD_WORDS.search(line)]
    others = [line for line in lines if line not in keyed]
    yearless = None
    for group, allow_full_date in ((keyed, True), (others, False)):
        for line in group:
            for r in _line_readings(line, allow_full_date):
                if r.year:
                    return r, None
                yearless = yearless or r
    title_year = _title_year(lines) if yearless else None
    return (yearless._replace(year=title_year[0]), title_year[1]) if title_year else None


def _name_readings(stem: str) -> list[_Reading]:
    """Every period a file name states, quarters first. A quarter without a year beside it takes the one
    20xx year left in the name once the months are read, else the one year of those months (so that "TW4"
    and "2026-11" both show, and disagree), or none."""
    parts = _part_readings(stem, name=True)
    rest = _blank(stem, parts)
    months: list[_Reading] = []
    for pattern, year_group in ((_NAME_NUMERIC, 1), (_NAME_MONTH_FIRST, 2)):
        months += [_Reading(int(m.group(year_group)), int(m.group(3 - year_group)), "bulan", m.group(0), m.span())
                   for m in pattern.finditer(_blank(rest, months))]
    words = list(re.finditer(r"[A-Za-z]+|[0-9]{4}", _blank(rest, months)))
    for word, year in pairwise(words):
        month = MONTHS.get(word.group().lower())
        if month and year.group().isdigit() and year.group().startswith("20"):
            months.append(_Reading(int(year.group()), month, "bulan", stem[word.start() : year.end()],
                                   (word.start(), year.end())))
    free_year = _single({int(y) for y in _YEAR.findall(_blank(rest, months)) if y.startswith("20")})
    year = free_year or _single({r.year for r in months})  # "2026-11 TW4": both readings, openly in conflict
    return [r._replace(year=r.year or year) for r in parts] + months


def parse_periode(lines: list[str]) -> str | None:
    """"YYYY-MM" from title lines ("Periode: November 2026", "Nov 2026", "2026-11", "11/2026", "Triwulan III
    2026"), or None.

    Lines that say periode/bulan/keadaan/posisi are tried first; a full date (30/11/2026) counts only there.
    A quarter without a year takes the one year the title rows state.
    """
    found = _title_reading(lines)
    return found[0].periode() if found else None


def period_from_name(name: str) -> str | None:
    """`dtks_5205_2026-11.xlsx`, `P3KE 202611.xlsx`, `pkh 11-2026.csv`, `DTKS November 2026.xlsx`,
    `DTSEN_TW3_2026.csv`, `2026Q3.xlsx`. A quarter without a year in the name gives None."""
    complete = [r for r in _name_readings(Path(name).stem) if r.year]
    return complete[0].periode() if complete else None


def understand_periode(name: str, title_lines: list[str]) -> PeriodeFound | None:
    """The period of a file and how it was read: from the name first, else from the title rows.

    The name wins when both state one; the title's period, when different, is kept in `lain` so the caller
    can ask the office. A quarter in the name without a year takes the one year the title rows state
    (`teks_tahun` says where), or the name gives nothing.
    """
    title = _title_reading(title_lines)
    title_year = _title_year(title_lines)
    named = []
    for r in _name_readings(Path(name).stem if name else ""):
        if r.year:
            named.append((r.periode(), r, None))
        elif title_year:
            named.append((r.periode(title_year[0]), r, title_year[1]))
    if named:
        periode, reading, teks_tahun = named[0]
        sumber = "nama_berkas"
        others = [p for p, _, _ in named[1:]] + ([title[0].periode()] if title else [])
    elif title:
        reading, teks_tahun = title
        periode, sumber, others = reading.periode(), "isi_berkas", []
    else:
        return None
    lain = tuple(dict.fromkeys(p for p in others if p != periode))
    return PeriodeFound(periode, sumber, reading.bentuk, reading.teks, teks_tahun, lain)


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


__all__ = ["BULAN", "MONTHS", "MONTH_PATTERN", "PERIODE", "PeriodeFound", "is_periode", "nama_periode", "parse_periode",
           "period_from_name", "periode_text", "understand_periode"]
