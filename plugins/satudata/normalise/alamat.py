"""Addresses (`alamat`) as free text, taken apart column-wise for linking.

Regencies write one address cell in many ways: "Dusun Karang Baru RT 003/RW 002", "Dsn. Karang Baru RT.3
RW.2", "Jl. Pahlawan No. 12 Lingk. Gerung Utara", "8 stanley street miami winston hills 4223 nsw". What two
records of one person share is rarely the whole text, so the parts are pulled out where they are written:

  alamat_kata   the words of the address, upper-case ASCII, the words every address has removed
                (`STOP_WORDS`: JALAN, DUSUN, RT, DESA ...) and the numbers taken out below; a sorted list
                without repeats, compared as a token set weighted by rarity (`token_weights`)
  rt_rw         "3/2" from "RT 003/RW 002", "RT.3 RW.2", "RT/RW 03/02" ("" parts when only one is written)
  dusun         the dusun / lingkungan / banjar / kampung name ("KARANG BARU")
  nomor_rumah   the house number ("12", "12A"): after "No." or leading the address
  kode_pos      a postcode: five digits (Indonesia) or four (elsewhere) standing alone after the words

Each distinct address is parsed once (`pd.factorize`). Nothing here says two addresses are one: the
linker weighs the parts (a shared rare word says more than a shared "KARANG").
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

# Words nearly every address carries (kinds of place and road, administrative units, fillers).
STOP_WORDS = frozenset(
    ["JALAN", "JL", "JLN", "GANG", "GG", "LORONG", "LR", "KOMPLEK", "KOMP", "PERUMAHAN", "PERUM", "BLOK", "BLK", "NO", "NOMOR", "NOMER", "RT", "RW", "DUSUN", "DSN", "DUKUH", "DK", "LINGKUNGAN", "LINGK", "LING", "LK", "BANJAR", "BR", "KAMPUNG", "KP", "KAMP", "DESA", "DS", "KELURAHAN", "KEL", "KECAMATAN", "KEC", "KABUPATEN", "KAB", "KOTA", "PROVINSI", "PROV", "DAN", "DI", "KM", "RUMAH"]
)
_UNIT = r"(?:DUSUN|DSN|DUKUH|DK|LINGKUNGAN|LINGK|LING|LK|BANJAR|BR|KAMPUNG|KAMP|KP)"
_DUSUN = re.compile(rf"\b{_UNIT}\b\.?\s*([A-Z][A-Z ]*?)\s*(?=\bRT\b|\bRW\b|\bDESA\b|\bDS\b|\bKEL|\bKEC|\bNO\b|[0-9,/]|$)")
_RT_RW_PAIR = re.compile(r"\bRT\s*[./]?\s*RW\b\.?\s*:?\s*0*([0-9]{1,3})\s*[/-]\s*0*([0-9]{1,3})")
_RT_SLASH = re.compile(r"\bRT\b\.?\s*:?\s*0*([0-9]{1,3})\s*/\s*0*([0-9]{1,3})(?![0-9])")  # RT 003/002
_RT = re.compile(r"\bRT\b\.?\s*:?\s*0*([0-9]{1,3})")
_RW = re.compile(r"\bRW\b\.?\s*:?\s*0*([0-9]{1,3})")
_SLASHED = re.compile(r"(?<![0-9])0*([0-9]{1,3})\s*/\s*0*([0-9]{1,3})(?![0-9])")
_NUMBER = re.compile(r"\bNO(?:MOR|MER)?\b\.?\s*:?\s*([0-9]{1,5}[A-Z]?)\b")
_LEADING_NUMBER = re.compile(r"^\s*([0-9]{1,5}[A-Z]?)\b(?!\s*/)")
_POSTCODE = re.compile(r"(?<![0-9/.-])([0-9]{5}|[0-9]{4})(?![0-9/.-])")
_WORD = re.compile(r"[A-Z]+")
COLUMNS = ("alamat_kata", "rt_rw", "dusun", "nomor_rumah", "kode_pos")


def _ascii_upper(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", text.upper()).strip()


@lru_cache(maxsize=200_000)
def _parse(text: str) -> tuple:
    upper = _ascii_upper(text)
    rest = upper
    rt = rw = None
    pair = _RT_RW_PAIR.search(rest) or _RT_SLASH.search(rest)
    if pair:
        rt, rw = pair.group(1), pair.group(2)
        rest = rest[: pair.start()] + " " + rest[pair.end() :]
    else:
        found_rt, found_rw = _RT.search(rest), _RW.search(rest)
        if found_rt:
            rt = found_rt.group(1)
        if found_rw:
            rw = found_rw.group(1)
        rest = _RW.sub(" ", _RT.sub(" ", rest))
        if rt is None and rw is None:
            slashed = _SLASHED.search(rest)
            if slashed:
                rt, rw = slashed.group(1), slashed.group(2)
                rest = rest[: slashed.start()] + " " + rest[slashed.end() :]
    rt_rw = f"{int(rt) if rt else ''}/{int(rw) if rw else ''}" if rt or rw else None
    dusun_match = _DUSUN.search(rest)
    dusun = " ".join(dusun_match.group(1).split()) if dusun_match and dusun_match.group(1).strip() else None
    number = _NUMBER.search(rest)
    if number:
        nomor = number.group(1)
        rest = rest[: number.start()] + " " + rest[number.end() :]
    else:
        leading = _LEADING_NUMBER.match(rest)
        nomor = leading.group(1) if leading else None
        if leading:
            rest = rest[leading.end() :]
    postcodes = [m.group(1) for m in _POSTCODE.finditer(rest)]
    kode_pos = postcodes[-1] if postcodes else None
    words = sorted({w for w in _WORD.findall(rest) if w not in STOP_WORDS and len(w) > 1})
    return (tuple(words) or None, rt_rw, dusun, nomor, kode_pos)


def parse_alamat(values: pd.Series) -> pd.DataFrame:
    """The parts of each address (see the module docstring); same index. `alamat_kata` holds tuples."""
    text = values.astype("string").str.strip()
    codes, uniques = pd.factorize(text.where(text.str.len() > 0), use_na_sentinel=True)
    parsed = [_parse(u) for u in uniques]
    columns = list(zip(*parsed, strict=True)) if parsed else [()] * len(COLUMNS)
    codes = np.asarray(codes)
    out = {}
    for name, column in zip(COLUMNS, columns, strict=True):
        table = np.array([*column, None], dtype=object)  # code -1 (no address) takes the last: None
        out[name] = table[codes] if len(codes) else np.zeros(0, dtype=object)
    frame = pd.DataFrame(out, index=values.index)
    for name in COLUMNS[1:]:
        frame[name] = frame[name].astype("string")
    return frame


def token_weights(*word_lists: pd.Series) -> dict[str, float]:
    """Inverse document frequency of each address word over the records of all lists given: a word on
    every address weighs ~0, a word on one address log(n). The term-frequency adjustment of the token set."""
    counts: dict[str, int] = {}
    total = 0
    for words in word_lists:
        for tokens in words.dropna():
            total += 1
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
    return {token: math.log((total + 1) / count) for token, count in counts.items()}


__all__ = ["COLUMNS", "STOP_WORDS", "parse_alamat", "token_weights"]
