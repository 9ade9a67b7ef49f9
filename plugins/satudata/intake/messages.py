"""Every word the pipeline says to a regency operator, in Bahasa Indonesia: the texts of `include/pesan/`.

Operators of the kabupaten/kota (Dinas Sosial, Bappeda) read these texts in the report that answers each
file they drop in the inbox; the texts use their words, never jargon, and every problem says how to fix it
in Excel. The texts are data (`include/pesan/BACA.md` tells a translator how to edit them), read once at
import by `intake.pesan.load_catalogue`, which refuses a catalogue with a mistake (`CatalogueError` names
the file and entry). This module is their face for the rest of the pipeline, and fills them:

    RULES[code]          -> Rule(code, tingkat, pesan, perbaikan, judul)   one problem of one row/cell
    FILE_REASONS[code]   -> FileReason(code, pesan, perbaikan, judul)       why a whole file was not used
    STATUS[status]       -> Status(status, label, langkah, warna)           the answer for the whole file
    COLUMN_LABELS[col]   -> operator label of a canonical column (intake maps each label back to it)
    COLUMN_HELP[col]     -> what to write in a column (template notes, report)
    PETUNJUK             -> the texts of the templates' "Petunjuk" sheet (petunjuk.yaml), filled by
                            `intake.templates`
    format_message(code, **values) / format_fix(code, **values)

`tingkat` decides the fate of a row: "galat" = the row is rejected (not used), "peringatan" = the row is
kept and the operator should fix it in the next submission. `intake.stage.tingkat_of` reads it from here;
the GX suites in `expectations/` name the rule of each expectation in `meta.aturan`.

Placeholders in file reasons (`{batas}`, `{tanggal}`, `{kolom}` ...) are filled from the submission's
`reason_detail`; a value that is missing is replaced by the neutral wording of `isian.yaml`, so a text
never shows a raw `{placeholder}`. Lists (e.g. the missing columns) are written with operator column labels.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from satudata.intake.pesan import (
    GALAT,
    PERINGATAN,
    Catalogue,
    CatalogueError,
    FileReason,
    Rule,
    Status,
    load_catalogue,
)

_CATALOGUE = load_catalogue()  # at import: a broken catalogue stops intake before any operator is answered
RULES: dict[str, Rule] = _CATALOGUE.rules
FILE_REASONS: dict[str, FileReason] = _CATALOGUE.file_reasons
STATUS: dict[str, Status] = _CATALOGUE.status
STATUS_LABELS = {code: status.label for code, status in STATUS.items()}
NEXT_STEPS = {code: status.langkah for code, status in STATUS.items()}
COLUMN_LABELS: dict[str, str] = _CATALOGUE.column_labels
COLUMN_HELP: dict[str, str] = _CATALOGUE.column_help
JENIS_LABELS: dict[str, str] = _CATALOGUE.jenis_labels
TINGKAT_LABELS: dict[str, str] = _CATALOGUE.tingkat_labels
TINGKAT_MEANING: dict[str, str] = _CATALOGUE.tingkat_meaning
PETUNJUK: dict = _CATALOGUE.petunjuk
_DEFAULTS: dict[str, str] = _CATALOGUE.isian["nilai_bawaan"]
_WORDS: dict[str, str] = _CATALOGUE.isian["daftar_kolom"]
_UNKNOWN: dict[str, str] = _CATALOGUE.isian["kode_tidak_dikenal"]


def status_info(status: str) -> Status:
    """The status of a finished submission; an unfinished one (received/processing) reads as 'DIPROSES'."""
    return STATUS.get(status) or replace(_CATALOGUE.unfinished, status=status)


# --------------------------------------------------------------------------------------------- formatting

def _missing(value: object) -> bool:
    """None, NaN or pandas' NA (without importing pandas here)."""
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or type(value).__name__ == "NAType")


def column_label(column: object) -> str:
    """Operator label of a canonical column; a column we do not know keeps a readable form of its name."""
    if _missing(column) or column == "":
        return _WORDS["tanpa_kolom"]
    text = str(column)
    if "|" in text:  # a required group from intake.read.missing_required: any one of them would do
        return f" {_WORDS['atau']} ".join(column_label(part) for part in text.split("|") if part)
    return COLUMN_LABELS.get(text) or text.replace("_", " ").strip().title()


def labels(columns: Iterable[object]) -> str:
    """'NIK, Nomor KK dan Kode Desa (Kemendagri)'."""
    names = [column_label(c) for c in columns]
    if len(names) > 1:
        names = [f"({n})" if f" {_WORDS['atau']} " in n else n for n in names]
    return enumeration(names)


def enumeration(names: Sequence[str]) -> str:
    """'a, b dan c' in the words of isian.yaml (daftar_kolom); '-' for none."""
    if not names:
        return "-"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {_WORDS['dan']} " + names[-1]


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return _DEFAULTS.get(key, "-")


def _value_text(key: str, value: object) -> str:
    if value is None or value == "" or (isinstance(value, (list, tuple, set, frozenset)) and not value):
        return _DEFAULTS.get(key, "-")
    if key in ("kolom", "columns") and isinstance(value, (list, tuple, set, frozenset)):
        return labels(sorted(value) if isinstance(value, (set, frozenset)) else value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return str(value)


def _decimal_comma(text: str) -> str:
    """'24.7%' -> '24,7%' (Indonesian decimal comma) for percentages written by Python."""
    return re.sub(r"^(\d+)\.(\d+)%$", r"\1,\2%", text)


def _compose(code: str, part: str, values: Mapping[str, object]) -> str:
    return string.Formatter().vformat(_CATALOGUE.isian["rangkaian"][code][part], (), values)


def _prepare(code: str, values: Mapping[str, object]) -> _Values:
    prepared = _Values({k: _value_text(k, v) for k, v in values.items()})
    for key in ("batas", "porsi"):
        if key in prepared:
            prepared[key] = _decimal_comma(prepared[key])
    if code == "too_many_bad_rows":
        if values.get("ditolak") is not None and values.get("total"):
            part = "rincian" if values.get("porsi") else "rincian_tanpa_porsi"
        else:
            part = "rincian_tanpa_angka"
        prepared["rincian"] = _compose(code, part, prepared)
    if code == "bps_coding" and values.get("baris_kode_bps") is not None and values.get("baris_berkode"):
        prepared["rincian"] = _compose(code, "rincian", prepared)
    # a regency name and a file name are written as given, not through _value_text
    if code == "wrong_regency" and values.get("nama_kab_isi"):
        prepared["nama_kab_isi"] = _compose(code, "nama_kab_isi", {"nama_kab_isi": values["nama_kab_isi"]})
    if code == "superseded" and values.get("berkas_baru"):
        prepared["berkas_baru"] = _compose(code, "berkas_baru", {"berkas_baru": values["berkas_baru"]})
    return prepared


def _fill(template: str, code: str, values: Mapping[str, object]) -> str:
    if "{" not in template:
        return template
    return string.Formatter().vformat(template, (), _prepare(code, values))


def _entry(code: str) -> Rule | FileReason | None:
    return RULES.get(code) or FILE_REASONS.get(code)


def format_message(code: str, **values: object) -> str:
    """The message (pesan) of a row rule or file reason, with its placeholders filled.

    An unknown code still gives a polite text (and the code, for the data team) rather than an error.
    """
    entry = _entry(code)
    if entry is None:
        return _UNKNOWN["pesan"].format(kode=code)
    return _fill(entry.pesan, code, values)


def format_fix(code: str, **values: object) -> str:
    """How to fix it (perbaikan) for a row rule or file reason."""
    entry = _entry(code)
    if entry is None:
        return _UNKNOWN["perbaikan"]
    return _fill(entry.perbaikan, code, values)


def rule_label(code: str) -> str:
    entry = _entry(code)
    return (entry.judul or entry.pesan) if entry is not None else code


def tingkat_of(code: str) -> str:
    """The tingkat of a row rule; codes not in the catalogue count as galat (safe side)."""
    rule = RULES.get(code)
    return rule.tingkat if rule is not None else GALAT


__all__ = [
    "COLUMN_HELP", "COLUMN_LABELS", "FILE_REASONS", "GALAT", "JENIS_LABELS", "NEXT_STEPS", "PERINGATAN",
    "PETUNJUK", "RULES", "STATUS", "STATUS_LABELS", "TINGKAT_LABELS", "TINGKAT_MEANING", "Catalogue",
    "CatalogueError", "FileReason", "Rule", "Status", "column_label", "enumeration", "format_fix",
    "format_message", "labels", "load_catalogue", "rule_label", "status_info", "tingkat_of",
]
