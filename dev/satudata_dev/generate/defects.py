"""Defect injection on the cells of one file, with a record of every change.

Cell defects are drawn with one uniform per eligible cell, partitioned among the defects of that column,
so a cell gets at most one defect. Only the affected cells (a few percent) go through Python code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from satudata_dev.generate import names as _names
from satudata_dev.generate.params import DEFAULT_DEFECT_RATES


def effective_rates(overrides: dict[str, float] | None) -> dict[str, float]:
    """Default defect rates updated with `overrides` (unknown names are an error; 0 disables)."""
    rates = dict(DEFAULT_DEFECT_RATES)
    for name, value in (overrides or {}).items():
        if name not in rates:
            raise ValueError(f"unknown defect {name!r}; known: {sorted(rates)}")
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"defect rate {name}={value} is not within [0, 1]")
        rates[name] = float(value)
    return rates


@dataclass
class DefectLog:
    """Defects of one sheet, by data-row index (before duplicates are inserted) or by fixed Excel row."""

    rows: list[np.ndarray] = field(default_factory=list)  # data-row index, -1 for file-level
    excel_rows: list[np.ndarray] = field(default_factory=list)  # fixed Excel row (title/header), 0 if none
    columns: list[np.ndarray] = field(default_factory=list)
    defects: list[np.ndarray] = field(default_factory=list)
    originals: list[np.ndarray] = field(default_factory=list)
    written: list[np.ndarray] = field(default_factory=list)

    def add(self, rows, column: str, defect: str, original, written) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        n = len(rows)
        if not n:
            return
        self.rows.append(rows)
        self.excel_rows.append(np.zeros(n, dtype=np.int64))
        self.columns.append(np.full(n, column, dtype=object))
        self.defects.append(np.full(n, defect, dtype=object))
        self.originals.append(np.asarray(original, dtype=object).reshape(-1) if n else np.zeros(0, object))
        self.written.append(np.asarray(written, dtype=object).reshape(-1))

    def add_file(self, excel_row: int, column: str, defect: str, original: str, written: str) -> None:
        self.rows.append(np.array([-1]))
        self.excel_rows.append(np.array([excel_row]))
        self.columns.append(np.array([column], dtype=object))
        self.defects.append(np.array([defect], dtype=object))
        self.originals.append(np.array([original], dtype=object))
        self.written.append(np.array([written], dtype=object))

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.rows:
            empty = np.zeros(0, dtype=object)
            return {"row": np.zeros(0, np.int64), "excel_row": np.zeros(0, np.int64), "column": empty,
                    "defect": empty, "original": empty, "written": empty}
        return {
            "row": np.concatenate(self.rows), "excel_row": np.concatenate(self.excel_rows),
            "column": np.concatenate(self.columns), "defect": np.concatenate(self.defects),
            "original": np.concatenate(self.originals), "written": np.concatenate(self.written),
        }


def partition(u: np.ndarray, rates: list[float]) -> list[np.ndarray]:
    """Masks of cells whose uniform falls in consecutive intervals of the given widths."""
    masks, lo = [], 0.0
    for rate in rates:
        masks.append((u >= lo) & (u < lo + rate))
        lo += rate
    return masks


def transpose_digits(values: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Swap two adjacent, different digits (starting the search at `position`, 1..14)."""
    out = np.empty(len(values), dtype=object)
    for i, (v, start) in enumerate(zip(values, position, strict=True)):
        digits = list(v)
        for k in range(14):
            p = 1 + (start - 1 + k) % 14
            if digits[p] != digits[p + 1]:
                digits[p], digits[p + 1] = digits[p + 1], digits[p]
                break
        out[i] = "".join(digits)
    return out


def typo_digit(values: np.ndarray, position: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Change one digit (position 1..15) by delta (1..9) modulo 10."""
    out = np.empty(len(values), dtype=object)
    for i, (v, p, d) in enumerate(zip(values, position, delta, strict=True)):
        out[i] = v[:p] + str((int(v[p]) + int(d)) % 10) + v[p + 1 :]
    return out


def excel_number(values: np.ndarray, scientific: np.ndarray | None = None) -> np.ndarray:
    """A 16-digit number as Excel keeps it: 15 significant digits, the 16th replaced by 0.

    With `scientific`, those rows are written as Excel's CSV export of such a cell: 9.17101234567890E+15.
    """
    kept = np.array([v[:15] + "0" for v in values], dtype=object)
    if scientific is None or not scientific.any():
        return kept
    sci = np.array([f"{v[0]}.{v[1:15]}E+15" for v in values[scientific]], dtype=object)
    kept[scientific] = sci
    return kept


def swap_day_month(dates: np.ndarray) -> np.ndarray:
    """Dates with day and month exchanged (callers only pass days <= 12)."""
    d = dates.astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return (y.astype("datetime64[M]") + (day - 1)).astype("datetime64[D]") + (month - 1)


def shift_dates(dates: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Dates moved by a number of days (a clerk's slip, or a date remembered a few weeks off)."""
    return dates.astype("datetime64[D]") + days.astype("timedelta64[D]")


def placeholder_dates(dates: np.ndarray, last_day: np.ndarray) -> np.ndarray:
    """01-01 or 31-12 of the same year (what is written when the real date is unknown)."""
    y = dates.astype("datetime64[Y]")
    first = y.astype("datetime64[D]")
    last = (y + 1).astype("datetime64[D]") - 1
    return np.where(last_day, last, first)


def name_defects(rng: np.random.Generator, names: np.ndarray, female: np.ndarray, rates: dict[str, float],
                 log: DefectLog, column: str, case) -> np.ndarray:
    """Titles and spelling variants in a name column; returns the names as written (file case applied)."""
    u = rng.random(len(names))
    choice = rng.integers(0, 1000, len(names))
    title, variant, short, nickname = partition(
        u, [rates["name_title"], rates["name_variant"], rates["name_short"], rates["name_nickname"]])
    out = names.copy()
    if title.any():
        out[title] = _names.add_titles(rng, names[title], female[title])
    if variant.any():
        out[variant] = _names.spelling_variants(names[variant], choice[variant])
    if short.any():
        out[short] = _names.shortened(names[short], choice[short])
    if nickname.any():
        out[nickname] = _names.nicknamed(names[nickname])
    short &= out != names
    nickname &= out != names
    clean = case(names)
    written = case(out)
    for mask, defect in ((title, "name_title"), (variant, "name_variant"), (short, "name_short"),
                         (nickname, "name_nickname")):
        idx = np.flatnonzero(mask)
        log.add(idx, column, defect, clean[idx], written[idx])
    return written
