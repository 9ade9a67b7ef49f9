"""What the values under a header show, as a second opinion on what the header names.

    settle_by_values(match, sample_rows)

A header the matcher is unsure of is settled when its values fit exactly one of the columns it may be
("Kode Program" over `1.06.04` is SIPD's programme code, over `RTLH` a social programme); a header it is sure
of is put back to a question when its values plainly contradict it (a "Kode Desa" of village names). Only
clear kinds are told apart: 16-digit numbers, region codes by length, nomenclature codes by depth, dates,
months, desil, percentages, years and amounts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from satudata.sheets.headers import HeaderMatch

# The kind of value each column holds, where it is telling.
EXPECTED_KIND: dict[str, str] = {
    "nik": "nomor16", "nik_kepala_keluarga": "nomor16", "no_kk": "nomor16",
    "kode_desa": "kode10", "kode_kecamatan": "kode6", "kode_kabupaten": "kode4", "kode_provinsi": "kode2",
    "kode_program_apbd": "nomenklatur3", "kode_giat": "nomenklatur5", "kode_sub_giat": "nomenklatur6",
    "tanggal_lahir": "tanggal", "tanggal_salur": "tanggal", "bulan": "bulan", "tahun_anggaran": "tahun",
    "desil": "desil", "desil_nasional": "desil", "desil_provinsi": "desil", "desil_kabupaten_kota": "desil",
    "pagu": "rupiah", "realisasi_anggaran": "rupiah", "nilai_bantuan": "rupiah", "rak": "rupiah",
}  # fmt: skip

_KINDS: tuple[tuple[str, re.Pattern], ...] = (
    ("nomor16", re.compile(r"^'?[0-9 .]{16,20}$|^[0-9](?:[.,][0-9]+)?[eE]\+?15$")),
    ("kode10", re.compile(r"^[0-9]{2}\.?[0-9]{2}\.?[0-9]{2}\.?[0-9]{4}$")),
    ("kode6", re.compile(r"^[0-9]{2}\.?[0-9]{2}\.?[0-9]{2}$")),
    ("nomenklatur6", re.compile(r"^[0-9X]{1,2}\.[0-9X]{2}\.[0-9]{2}\.[0-9]\.[0-9]{2}\.[0-9]{2,4}$", re.IGNORECASE)),
    ("nomenklatur5", re.compile(r"^[0-9X]{1,2}\.[0-9X]{2}\.[0-9]{2}\.[0-9]\.[0-9]{2}$", re.IGNORECASE)),
    ("nomenklatur3", re.compile(r"^[0-9X]{1,2}\.[0-9X]{2}\.[0-9]{2}$", re.IGNORECASE)),
    ("tanggal", re.compile(r"^[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{2,4}(?:[ T][0-9:]+)?$")),
    ("tahun", re.compile(r"^(?:19|20)[0-9]{2}$")),
    ("bulan", re.compile(r"^(?:0?[1-9]|1[0-2])$|^(?:jan|feb|peb|mar|apr|mei|may|jun|jul|agu|ags|agt|aug|sep|"
                         r"okt|oct|nop|nov|des|dec)[a-z]*$", re.IGNORECASE)),
    ("desil", re.compile(r"^(?:desil\s*)?d?-?\s*(?:10|[1-9])(?:\.0+)?$|^(?:desil\s*)?(?:i{1,3}|iv|v|vi{1,3}|ix|x)$",
                         re.IGNORECASE)),
    ("rupiah", re.compile(r"^-?\(?(?:rp\.?|idr)?\s*[0-9][0-9., ]*(?:,-)?\)?(?:\s*(?:jt|juta|m|miliar|milyar|t|triliun|"
                          r"rb|ribu))?$|^[-\u2013\u2014]$", re.IGNORECASE)),
)
MIN_VALUES = 3
FIT = 0.8  # share of a column's values that must show the kind
CONTRADICTED = 0.2  # a sure header is asked about again below this share


_UNIT = re.compile(r"(?:jt|juta|m|miliar|milyar|t|triliun|rb|ribu)$|^[-\u2013\u2014]$|^0(?:[.,]0+)?$", re.IGNORECASE)


def _fits(value: str, kind: str, pattern: re.Pattern) -> bool:
    if not pattern.match(value):
        return False
    if kind == "rupiah":  # a small bare number is a count or a code, not an amount
        return sum(ch.isdigit() for ch in value) >= 4 or bool(_UNIT.search(value.strip()))
    return True


def share_of_kind(values: Sequence[str], kind: str) -> float:
    pattern = dict(_KINDS)[kind]
    if not values:
        return 0.0
    return sum(_fits(v, kind, pattern) for v in values) / len(values)


def _values(sample: Sequence[Sequence[object]], pos: int) -> list[str]:
    out = []
    for row in sample:
        if pos < len(row) and row[pos] is not None:
            text = str(row[pos]).strip()
            if text:
                out.append(text)
    return out


def settle_by_values(match: HeaderMatch, sample: Sequence[Sequence[object]]) -> None:
    """Doubtful headers whose values fit exactly one of their candidates take it; sure headers whose values
    contradict their column become doubtful (asked about)."""
    taken = set(match.columns.values())
    for pos, judgement in list(match.judgements.items()):
        values = _values(sample, pos)
        if len(values) < MIN_VALUES:
            continue
        current = match.columns.get(pos)
        if current is not None:
            kind = EXPECTED_KIND.get(current)
            if kind and len(values) >= 5 and share_of_kind(values, kind) < CONTRADICTED:
                del match.columns[pos]
                match.doubtful[pos] = current
                taken.discard(current)
            continue
        if pos not in match.doubtful:
            continue
        fitting = {c.kolom for c in judgement.kandidat
                   if c.skor >= judgement.lo and c.kolom in EXPECTED_KIND and c.kolom not in taken
                   and share_of_kind(values, EXPECTED_KIND[c.kolom]) >= FIT}
        if len(fitting) == 1:
            chosen = fitting.pop()
            match.columns[pos] = chosen
            del match.doubtful[pos]
            taken.add(chosen)
    match.columns = dict(sorted(match.columns.items()))
    match.unmapped = [match.texts[p] for p in sorted(match.texts) if p not in match.columns]


__all__ = ["EXPECTED_KIND", "settle_by_values", "share_of_kind"]
