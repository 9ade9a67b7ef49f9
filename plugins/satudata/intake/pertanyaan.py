"""Ask instead of guess: the header cells of a file we are not sure of, as questions for the operator.

    questions = questions_for("anggaran", "sub_kegiatan", match, sample_rows)
    if questions is not None:
        raise MappingNeeded([questions])      # the file is held (`menunggu_pemetaan`), nothing is staged

A file is held when a column that later stages use is not named with confidence: a header the matcher only
suggests a column for (`ragu`), two headers naming one such column (`Pagu Murni` and `Pagu Perubahan`), or a
required column missing while some header was not understood. The answer workbook lists every header of the
table with the suggestion, how sure it is and three sample values (NIKs masked), and a drop-down of the
columns it may be; the operator's answer is stored per regency, jenis and header signature
(`intake.pemetaan`), so the next file with the same header is read without asking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from satudata.schema import (
    ANGGARAN_EXTRA_COLUMNS,
    ANGGARAN_REALISASI_COLUMNS,
    ANGGARAN_SUB_KEGIATAN_COLUMNS,
    COLUMNS_OF_JENIS,
    DTKS_COLUMNS,
    FAMILY_REGISTRIES,
    INTERVENSI_COLUMNS,
    REGION_COLUMNS,
)
from satudata.sheets.headers import HeaderMatch

# Why a header is asked about.
RAGU = "ragu"  # the matcher only suggests a column
BERSAING = "bersaing"  # several headers name the same column
WAJIB_HILANG = "wajib_hilang"  # a required column is missing and this header was not understood
SAMPLES = 3
_LONG_NUMBER = re.compile(r"[0-9]{12,}")


def staged_columns(jenis: str, sheet: str) -> frozenset[str]:
    """The columns of a table that later stages use: a header suggesting one of them is worth a question."""
    registry = FAMILY_REGISTRIES.get(jenis)
    if registry is not None:
        family = {*registry.keluarga_columns}
        members = {*registry.anggota_columns, "no_kk"}
        return frozenset(family if sheet == "keluarga" else members if sheet == "anggota" else family | members)
    if jenis == "dtks":
        return frozenset(DTKS_COLUMNS)
    if jenis == "intervensi":
        return frozenset({*INTERVENSI_COLUMNS, "tahap"})
    if jenis == "anggaran":
        own = ANGGARAN_REALISASI_COLUMNS if sheet == "realisasi" else ANGGARAN_SUB_KEGIATAN_COLUMNS
        return frozenset({*own, *ANGGARAN_EXTRA_COLUMNS})
    return frozenset()


def mask(value: str) -> str:
    """A long number (NIK, KK) shown only by its first and last four digits: 5205********0480."""
    return _LONG_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 8) + m.group(0)[-4:], value)


def column_letter(position: int) -> str:
    """0 -> A, 26 -> AA: the column as Excel names it."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class ColumnQuestion:
    posisi: int  # 0-based position of the header cell
    judul: str  # the header as written in the file
    kolom: str | None  # the column it is read as now (confident), None when not taken
    usulan: str | None  # the column suggested (kolom when taken)
    keyakinan: float  # the matcher's score, 0..1
    sebab: str | None  # why it is asked (RAGU, BERSAING, WAJIB_HILANG); None: not asked, shown for completeness
    contoh: list[str] = field(default_factory=list)

    @property
    def huruf(self) -> str:
        return column_letter(self.posisi)

    @property
    def ditanya(self) -> bool:
        return self.sebab is not None


@dataclass
class SheetQuestions:
    jenis: str
    lembar: str  # the table's role: utama, keluarga, anggota, flat, sub_kegiatan, realisasi
    sumber_lembar: str | None  # the worksheet's name (None for CSV)
    baris_header: int  # 1-based row of the header
    tanda_header: str  # the header's signature (`sheets.headers.header_signature`)
    kolom: list[ColumnQuestion]
    kolom_boleh: list[str]  # the columns the drop-down offers
    hilang: list[str]  # required groups no header names ("a|b")

    @property
    def asked(self) -> list[ColumnQuestion]:
        return [q for q in self.kolom if q.ditanya]


class MappingNeeded(Exception):
    """Raised before any row is read: the file's columns must be confirmed by the operator."""

    def __init__(self, sheets: list[SheetQuestions]):
        super().__init__("; ".join(f"{s.lembar}: {', '.join(q.judul for q in s.asked)}" for s in sheets))
        self.sheets = sheets


def samples(rows: Sequence[Sequence[object]], position: int, limit: int = SAMPLES) -> list[str]:
    """The first non-empty values of a column below the header, NIK-like numbers masked."""
    found: list[str] = []
    for row in rows:
        if position < len(row):
            text = "" if row[position] is None else str(row[position]).strip()
            if text:
                found.append(mask(text[:60]))
                if len(found) == limit:
                    break
    return found


def questions_for(jenis: str, sheet: str, match: HeaderMatch, data_rows: Sequence[Sequence[object]], *,
                  missing: Sequence[str], source_sheet: str | None, header_row: int) -> SheetQuestions | None:
    """The questions of one table, or None when everything it needs is named with confidence."""
    if match.confirmed:
        return None
    needed = staged_columns(jenis, sheet)
    if "kode_desa" in needed and "kode_desa" not in match.canonicals:
        needed |= {"nama_desa", "nama_kecamatan"}  # a desa given by name is resolved against the reference
    taken = match.canonicals
    reasons: dict[int, str] = {}
    for pos, suggestion in match.doubtful.items():
        if suggestion in needed and suggestion not in taken:
            reasons[pos] = RAGU
    for canonical, others in match.repeated.items():
        if canonical in needed:
            for pos in (match.position(canonical), *others):
                if pos is not None:
                    reasons[pos] = BERSAING
    if missing:
        for pos, text in match.texts.items():
            judgement = match.judgements.get(pos)
            if pos not in match.columns and pos not in reasons and not (judgement and judgement.tanpa_kolom):
                reasons[pos] = WAJIB_HILANG
    if not reasons:
        return None
    for pos in match.texts:  # held anyway: a header whose best column is one we need is asked about too
        judgement = match.judgements.get(pos)
        usulan = judgement.usulan if judgement is not None else None
        if pos not in match.columns and pos not in reasons and usulan in needed and usulan not in taken:
            reasons[pos] = RAGU
    columns = []
    for pos, text in sorted(match.texts.items()):
        judgement = match.judgements.get(pos)
        taken_as = match.columns.get(pos)
        columns.append(ColumnQuestion(
            posisi=pos, judul=text, kolom=taken_as,
            usulan=taken_as or match.doubtful.get(pos) or (judgement.usulan if judgement else None),
            keyakinan=judgement.skor if judgement else 0.0, sebab=reasons.get(pos),
            contoh=samples(data_rows, pos)))
    allowed = sorted(COLUMNS_OF_JENIS.get(jenis, needed) & (needed | set(REGION_COLUMNS)))
    return SheetQuestions(jenis, sheet, source_sheet, header_row, match.signature, columns, allowed, list(missing))


__all__ = ["BERSAING", "RAGU", "WAJIB_HILANG", "ColumnQuestion", "MappingNeeded", "SheetQuestions", "column_letter",
           "mask", "questions_for", "samples", "staged_columns"]
