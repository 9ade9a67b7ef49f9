"""Numbers as offices write them: desil and rupiah amounts, parsed column-wise.

    parse_desil(pd.Series(["D3", "Desil ke-3", "III", "3 (Miskin)", "3-4"]), maks=10)  -> 3, 3, 3, 3, <NA>
    parse_rupiah(pd.Series(["Rp 1.500.000,-", "2,5 M", "(1.000.000)", "-"]))
        -> "1500000", "2500000000", "-1000000", "0" (nol_strip)

A value is read only when it can be read with certainty; otherwise it is reported (`ok` False, and for an
amount whose separators allow two readings `ambigu` True), never guessed. Amounts are exact: text is read
with Decimal and integer arithmetic, never through a float.

Each distinct value is read once (values repeat a lot) and mapped back with numpy.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import NamedTuple

import numpy as np
import pandas as pd


def _factorize(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes (-1 for empty cells) and the distinct values, so that each is read once."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): there is nothing to read in them
        hashable = values.map(lambda v: v if isinstance(v, Hashable) else None)
        codes, uniques = pd.factorize(hashable, use_na_sentinel=True)
    return codes, list(uniques)


# ------------------------------------------------------------------------------------------------ desil

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
# "3", "03", "3.0", "D3", "D-3", "Desil 3", "DESIL III", "Desil ke-3", "3 (Miskin)", "Desil 1 - Sangat Miskin".
# A label after the number holds letters only, so "3-4" and "1/2" (two desil) are no desil. A bare "D"
# takes a Roman numeral only after a separator ("D-III"): "DI" and "DX" are abbreviations, not 1 and 10.
_DESIL = re.compile(
    r"(?i)(?:(?:desil|dsl)\s*(?:ke)?[\s.\-:]*|d(?:[\s.\-:]+|(?=[0-9])))?"
    r"(?P<n>[0-9]{1,2}(?:[.,]0+)?|x|ix|viii|vii|vi|v|iv|iii|ii|i)"
    r"(?:\s*(?:[-–—:]\s*[a-z][a-z ]*|\(\s*[a-z][a-z ]*\)))?"
)


def _one_desil(value: object) -> int | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if np.isfinite(value) and float(value).is_integer() else None
    if not isinstance(value, str):
        return None
    m = _DESIL.fullmatch(" ".join(value.split()))
    if not m:
        return None
    n = m.group("n").lower()
    return _ROMAN[n] if n in _ROMAN else int(re.split(r"[.,]", n)[0])


def parse_desil(values: pd.Series, maks: int) -> pd.DataFrame:
    """desil (Int64, <NA> when unreadable) and ok (bool) of each value; same index.

    A desil is 1..maks (P3KE ranks 4, DTSEN 10): 0, 11 with maks=10, 5 with maks=4, empty cells, ranges
    ("3-4", "1/2"), "IIII" and words without a number are not read.
    """
    codes, uniques = _factorize(values)
    read = [_one_desil(v) for v in uniques]
    per_value = pd.array([v if v is not None and 1 <= v <= maks else pd.NA for v in read] + [pd.NA], dtype="Int64")
    out = pd.DataFrame({"desil": per_value.take(codes)}, index=values.index)  # code -1 takes the final <NA>
    out["ok"] = out["desil"].notna().to_numpy(dtype=bool)
    return out


# ----------------------------------------------------------------------------------------------- rupiah

SEN = Decimal("0.01")
_LIMIT = Decimal(10) ** 18  # far beyond any budget (the whole APBN is ~4e15): larger is a misread cell
_CONTEXT = Context(prec=80, rounding=ROUND_HALF_UP)  # exact for every body of up to 40 characters
_SPACES = re.compile(r"[\u00a0\u2007\u2009\u202f\s]+")
_CURRENCY = re.compile(r"(?i)^(?:rp\.?|idr)\s*|\s*(?:rupiah|rp\.?|idr)$")
_DASH_ZERO = re.compile(r"(?i)(?:(?:rp\.?|idr)\s*)?[-–—](?:\s*[,.]\s*[-–—])?")  # "-", "Rp -", "-,-": zero
_NO_SEN = re.compile(r"[,.]\s*[-–—]$")  # "1.500.000,-": no sen
# Indonesian scale words: "M" is miliar (10^9), as in budget documents, not the English million.
_SCALES = {"rb": 3, "ribu": 3, "k": 3, "jt": 6, "juta": 6, "m": 9, "miliar": 9, "milyar": 9, "t": 12, "tn": 12,
           "triliun": 12, "trilyun": 12}
_SCALE = re.compile(rf"(?i)(?P<body>.*?)\s*(?P<scale>{'|'.join(sorted(_SCALES, key=len, reverse=True))})\.?")
_BODY = re.compile(r"[0-9]+(?:[., ][0-9]+)*")
_FAST = r"(?:-?[1-9][0-9]{0,17}|0)"  # already plain (most cells of a program's export): kept as written


class _Amount(NamedTuple):
    """One written amount: read (`nilai`), or two readings left for the column to decide (`sep` set)."""

    nilai: Decimal | None = None
    zero_dash: bool = False
    konvensi: str | None = None  # "id" (1.250.000,50) or "en" (1,250,000.50) when the value shows it
    sep: str | None = None  # ambiguous: "1.500" is 1500 with thousand dots, 1.5 with a decimal point
    as_thousands: Decimal | None = None
    as_decimal: Decimal | None = None


_UNREADABLE = _Amount()


def _sen(value: Decimal | None) -> Decimal | None:
    if value is None or not value.is_finite() or abs(value) >= _LIMIT:
        return None
    return value.quantize(SEN, rounding=ROUND_HALF_UP, context=_CONTEXT)


def _machine(text: str) -> _Amount:
    """A number written by a program or stored by Excel: '.' decimal point, no thousands, maybe an exponent.
    Rounded to sen: 183898999.99999994 (a float's rendering) -> 183899000."""
    try:
        value = _sen(Decimal(text.strip()))
    except (InvalidOperation, ValueError):
        return _UNREADABLE
    return _Amount(value) if value is not None else _UNREADABLE


def _strip_sign_and_currency(text: str) -> tuple[str, bool] | None:
    """"(Rp 1.000.000)", "Rp -1.000.000", "-Rp 1.000.000" -> ("1.000.000", True); None for two signs."""
    negative = False
    for _ in range(2):  # currency, then one sign or one pair of parentheses, then currency again
        text = _CURRENCY.sub("", text).strip()
        if negative:
            break
        if text.startswith("(") and text.endswith(")"):
            text, negative = text[1:-1].strip(), True
        elif text[:1] in ("-", "–"):
            text, negative = text[1:].strip(), True
        else:
            break
    text = _CURRENCY.sub("", text).strip()
    if not text or text[:1] in ("-", "–", "(") or text.endswith(")"):
        return None
    return text, negative


def _digits(body: str, seps: list[str], decimal: bool) -> Decimal | None:
    """The value of `body` with its last separator read as the decimal point (`decimal`) or every separator
    as thousands; None when the grouping does not fit that reading."""
    groups = re.split(r"[., ]", body)
    thousands = seps[:-1] if decimal else seps
    if len(set(thousands)) > 1 or (decimal and (seps[-1] == " " or seps[-1] in thousands)):
        return None
    whole = groups[:-1] if decimal else groups
    if thousands and (not 1 <= len(whole[0]) <= 3 or whole[0][0] == "0" or any(len(g) != 3 for g in whole[1:])):
        return None
    return Decimal("".join(whole) + ("." + groups[-1] if decimal else ""))


def _read_body(body: str, scaled: bool = False) -> _Amount:
    """Digits with separators -> an amount. Rupiah have at most two decimals (sen), so a last separator with 3
    digits after it groups thousands ("1.500", "200,000"); only with a scale word ("1.250 jt": 1,25 or 1.250
    juta) are there two readings, left for the column to decide."""
    if len(body) > 40 or not _BODY.fullmatch(body):
        return _UNREADABLE
    seps = re.findall(r"[., ]", body)
    if not seps:
        return _Amount(Decimal(body))
    as_decimal, as_thousands = _digits(body, seps, True), _digits(body, seps, False)
    tail = len(body) - body.rfind(seps[-1]) - 1
    if as_decimal is not None and tail == 3 and as_thousands is not None and not scaled:
        # "1.500", "200,000": no rupiah has three decimals, so thousands, unless the column writes this
        # separator as its decimal point (then the cell contradicts it and is not read)
        return _Amount(sep=seps[-1], as_thousands=as_thousands)
    if as_decimal is not None and tail == 3:  # "1.250 jt", "0,500": the column decides
        return _Amount(sep=seps[-1], as_thousands=as_thousands, as_decimal=as_decimal)
    if as_decimal is not None:
        # "1.250.000,5" and "2,5" show the Indonesian convention; a machine's long fraction shows none
        shows = bool(set(seps[:-1]) - {" "}) or tail <= 2
        return _Amount(as_decimal, konvensi=("id" if seps[-1] == "," else "en") if shows else None)
    if as_thousands is not None:
        return _Amount(as_thousands, konvensi={".": "id", ",": "en"}.get(seps[0]))
    return _UNREADABLE


def _read_text(text: str) -> _Amount:
    """One amount as an office writes it (see `parse_rupiah`)."""
    text = _SPACES.sub(" ", text.replace("\u2212", "-")).strip()
    if not text:
        return _UNREADABLE
    if _DASH_ZERO.fullmatch(text):
        return _Amount(Decimal(0), zero_dash=True)
    signed = _strip_sign_and_currency(text)
    if signed is None:
        return _UNREADABLE
    body, negative = _NO_SEN.sub("", signed[0]).strip(), signed[1]
    exponent = 0
    scaled = _SCALE.fullmatch(body)
    if scaled:
        body, exponent = scaled.group("body"), _SCALES[scaled.group("scale").lower()]
    amount = _read_body(body, scaled=bool(scaled))
    factor = Decimal(-1 if negative else 1).scaleb(exponent)

    def apply(value: Decimal | None) -> Decimal | None:
        return None if value is None else _sen(_CONTEXT.multiply(value, factor))

    if amount.sep:
        return amount._replace(as_thousands=apply(amount.as_thousands), as_decimal=apply(amount.as_decimal))
    value = apply(amount.nilai)
    return amount._replace(nilai=value) if value is not None else _UNREADABLE


def _read_cell(value: object) -> _Amount:
    if value is None or isinstance(value, bool | np.bool_):
        return _UNREADABLE
    if isinstance(value, float | np.floating):
        return _machine(repr(float(value))) if np.isfinite(value) else _UNREADABLE
    if isinstance(value, int | np.integer | Decimal):
        return _machine(str(value))
    return _read_text(value if isinstance(value, str) else str(value))


def _konvensi(amounts: list[_Amount], default: str | None = None) -> str | None:
    """The column's separators: "id" or "en" when its values show one convention and none the other; the
    default when they show none; None when they show both."""
    shown = {a.konvensi for a in amounts if a.konvensi}
    return shown.pop() if len(shown) == 1 else None if shown else default


def _decide(amount: _Amount, konvensi: str | None) -> _Amount:
    decimal_sep = {"id": ",", "en": "."}.get(konvensi or "")
    if amount.sep and decimal_sep is None and amount.as_decimal is None and amount.as_thousands is not None:
        return _Amount(amount.as_thousands)  # three digits after it: thousands, whatever the column
    if not amount.sep or decimal_sep is None:
        return amount
    value = amount.as_decimal if amount.sep == decimal_sep else amount.as_thousands
    return _Amount(value) if value is not None else _UNREADABLE


def nilai_text(value: Decimal) -> str:
    """An amount as `nilai`: no thousands separators, '.' decimal point, at most 2 decimals, no trailing 0."""
    value = value.quantize(SEN, rounding=ROUND_HALF_UP, context=_CONTEXT)
    text = f"{value:f}".rstrip("0").rstrip(".") if value != value.to_integral_value() else f"{value:.0f}"
    return "0" if text == "-0" else text


def rupiah_decimal(text: str, konvensi: str | None = None) -> Decimal:
    """One amount written as text, rounded to sen; ValueError when it cannot be read with certainty.

    `konvensi` ("id": 1.250.000,50, "en": 1,250,000.50) settles a last separator with three digits after it
    ("1.500"); without it such a value raises.
    """
    amount = _decide(_read_text(text), konvensi)
    if amount.nilai is None:
        raise ValueError(f"not an amount that can be read with certainty: {text!r}")
    return amount.nilai


def _read_column(values: pd.Series, machine: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, list[_Amount]]:
    """Codes of the cells at `slow` (-1 empty) and the distinct amounts they read as."""
    codes = np.full(len(slow), -1, dtype=np.int64)
    amounts: list[_Amount] = []
    for subset, reader in ((machine[slow], lambda v: _machine(str(v))), (~machine[slow], _read_cell)):
        sub_codes, uniques = _factorize(values.iloc[slow[subset]])
        codes[subset] = np.where(sub_codes >= 0, sub_codes + len(amounts), -1)
        amounts += [reader(v) for v in uniques]
    return codes, amounts


def rupiah_konvensi(values: pd.Series) -> str | None:
    """The separators a column of amounts shows: "id" (1.250.000,50), "en" (1,250,000.50), or None when it
    shows neither or both. Pool it over a file's amount columns and pass it to `parse_rupiah` as `konvensi`
    when one column alone ("200.000", "300.000") cannot tell."""
    text = values.astype("string")
    slow = np.flatnonzero(~text.str.fullmatch(_FAST).fillna(False).to_numpy(dtype=bool))
    return _konvensi(_read_column(values, np.zeros(len(values), dtype=bool), slow)[1])


def parse_rupiah(values: pd.Series, numeric: np.ndarray | None = None, konvensi: str | None = None) -> pd.DataFrame:
    """Rupiah amounts of one column -> nilai, ok, nol_strip, ambigu; same index.

    nilai      the exact amount as text, "1250000000" or "1250000000.5" (rounded to sen); <NA> when unread
    ok         read with certainty
    nol_strip  "-", "–", "—" (also "Rp -", "-,-"): an accountant's zero, read as "0"
    ambigu     two readings and nothing in the column to choose: "1.500" is 1500 or 1.5 (nilai <NA>)

    Cells marked in `numeric` (Excel numbers) and non-text values are read as a program writes numbers.
    Text may carry "Rp"/"IDR", ",-" for no sen, a minus or parentheses for a negative, scale words (rb/ribu,
    jt/juta, M/miliar, T/triliun) and thousands separators "." / "," / " ". Which of "." and "," is the
    decimal point is decided per column, from the values whose form shows it ("1.250.000", "2,5" -> "id";
    "1,250,000", "0.50" -> "en"); a column that shows both leaves "1.500" ambiguous, and so does one that
    shows neither unless the caller knows the convention from elsewhere (`konvensi`, e.g. the file's other
    amount columns: `rupiah_konvensi`).
    """
    machine = np.zeros(len(values), dtype=bool) if numeric is None else np.asarray(numeric, dtype=bool)
    text = values.astype("string")
    fast = text.str.fullmatch(_FAST).fillna(False).to_numpy(dtype=bool)
    slow = np.flatnonzero(~fast)
    codes, amounts = _read_column(values, machine, slow)
    chosen = _konvensi(amounts, konvensi)
    decided = [_decide(a, chosen) for a in amounts] + [_UNREADABLE]  # code -1 (empty cell) takes the last
    per_value = pd.DataFrame({
        "nilai": pd.array([nilai_text(a.nilai) if a.nilai is not None else pd.NA for a in decided], dtype="string"),
        "nol_strip": [a.zero_dash for a in decided],
        "ambigu": [a.sep is not None and a.nilai is None for a in decided],
    })
    taken = per_value.take(codes)
    nilai = text.where(pd.Series(fast, index=values.index))
    nilai.iloc[slow] = taken["nilai"].to_numpy()
    out = pd.DataFrame({"nilai": nilai}, index=values.index)
    out["ok"] = out["nilai"].notna().to_numpy(dtype=bool)
    for column in ("nol_strip", "ambigu"):
        flags = np.zeros(len(values), dtype=bool)
        flags[slow] = taken[column].to_numpy(dtype=bool)
        out[column] = flags
    return out


__all__ = ["SEN", "nilai_text", "parse_desil", "parse_rupiah", "rupiah_decimal", "rupiah_konvensi"]
