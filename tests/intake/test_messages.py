"""The operator texts of `include/pesan/`: the catalogue loads, a broken one is refused, the texts fill."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from satudata import schema
from satudata.config import expectations_dir
from satudata.intake import messages
from satudata.intake.messages import (
    COLUMN_HELP,
    FILE_REASONS,
    RULES,
    STATUS,
    CatalogueError,
    format_fix,
    format_message,
    load_catalogue,
)
from satudata.intake.pesan import PESAN_DIR

RAW_PLACEHOLDER = re.compile(r"[{}]")


def test_the_catalogue_loads_and_is_the_one_the_pipeline_uses():
    catalogue = load_catalogue()
    assert catalogue.rules == RULES and catalogue.file_reasons == FILE_REASONS and catalogue.status == STATUS
    assert not set(RULES) & set(FILE_REASONS)
    assert {rule.tingkat for rule in RULES.values()} == {messages.GALAT, messages.PERINGATAN}
    assert messages.TINGKAT_LABELS == {"galat": "Galat", "peringatan": "Peringatan"}
    assert set(STATUS) == {"accepted", "partial", "rejected", "duplicate", "menunggu_pemetaan", "ditahan"}
    assert messages.status_info("processing").label == "SEDANG DIPROSES"


def test_snippets_are_resolved_everywhere():
    texts = [t for r in RULES.values() for t in (r.pesan, r.perbaikan, r.judul)]
    texts += [t for r in FILE_REASONS.values() for t in (r.pesan, r.perbaikan, r.judul)]
    texts += [s.langkah for s in STATUS.values()] + [*COLUMN_HELP.values(), *messages.JENIS_LABELS.values()]
    assert not [t for t in texts if re.search(r"\{[A-Z_]+\}", t)]
    # the list an operator is told to choose from is the one validation accepts
    assert ", ".join(schema.HUBUNGAN_KELUARGA) in COLUMN_HELP["hubungan_keluarga"]
    assert ", ".join(schema.HUBUNGAN_KELUARGA) in RULES["hubungan_keluarga_tidak_valid"].perbaikan
    assert "Format Cells > Text" in RULES["nik_kosong"].perbaikan  # FORMAT_NIK_TEKS
    assert "inbox/5205/review/" in FILE_REASONS["review_no_decisions"].perbaikan  # FOLDER_REVIEW


def test_every_rule_of_the_suites_is_in_the_catalogue():
    used = {}
    for path in sorted(expectations_dir().glob("*.json")):
        for expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            code = (expectation.get("meta") or {}).get("aturan")
            if code and code not in FILE_REASONS:  # missing_columns refuses the whole file: a file reason
                used.setdefault(code, path.name)
    assert used
    missing = {code: suite for code, suite in used.items() if code not in RULES}
    assert not missing, f"named in expectations/ but not in include/pesan/aturan.yaml: {missing}"


def test_format_message_fills_placeholders_and_never_shows_a_raw_one():
    every_value = {"kolom": ["nik", "kode_desa"], "batas": "20%", "ditolak": 3, "total": 10, "porsi": "30.0%",
                   "tanggal": "2026-11-05", "berkas": "a.xlsx", "folder": "dtkss", "jenis_berkas": "dokumen PDF",
                   "nama_kab_isi": "Bima", "kode_kab_isi": "5206", "kode_kab_folder": "5205",
                   "berkas_baru": "b.xlsx", "baris_kode_bps": 40, "baris_berkode": 50, "detail": "for the logs"}
    samples = ({}, {"kolom": []}, every_value)
    for code in [*RULES, *FILE_REASONS, "tidak_ada"]:
        for values in samples:
            text = format_message(code, **values) + format_fix(code, **values)
            assert not RAW_PLACEHOLDER.search(text), (code, values, text)
    assert "lebih dari 4.194.304 karakter" in format_message("line_too_long", batas="4.194.304")
    assert "lebih dari yang ditetapkan karakter" in format_message("line_too_long")  # default of isian.yaml
    assert "(dtkss)" in format_message("unknown_jenis", folder="dtkss")
    assert "Kabupaten/Kota Bima (kode 5206)" in format_message("wrong_regency", nama_kab_isi="Bima",
                                                                kode_kab_isi="5206")
    assert format_message("superseded", berkas_baru="b.xlsx").count("periode yang sama: b.xlsx.") == 1
    assert "banyak baris ditolak, melebihi batas 20%" in format_message("too_many_bad_rows", batas="20%")


# --------------------------------------------------------------------------------------------- broken

def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the catalogue with one edit, as a translator could make it."""
    folder = tmp_path / "pesan"
    shutil.copytree(PESAN_DIR, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert old in text, f"the test's anchor {old!r} is not in {file} any more"
    (folder / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


NIK_KOSONG = 'nik_kosong:\n  judul: "NIK kosong"\n  tingkat: "peringatan"'

BROKEN = {
    "duplicate code": ("aturan.yaml", "nama_kosong:", "nik_kosong:",
                       ["aturan.yaml", "'nik_kosong'", "written twice"]),
    "code of a rule and a file reason": ("alasan_berkas.yaml", "empty_file:", "nik_ganda:",
                                         ["alasan_berkas.yaml", "nik_ganda", "aturan.yaml"]),
    "unknown tingkat": ("aturan.yaml", NIK_KOSONG, NIK_KOSONG.replace('"peringatan"', '"parah"'),
                        ["aturan.yaml", "nik_kosong.tingkat", "'parah'"]),
    "unknown placeholder": ("alasan_berkas.yaml", "({folder})", "({nama_folder})",
                            ["alasan_berkas.yaml", "unknown_jenis.pesan", "{nama_folder}"]),
    "placeholder where nothing fills it": ("kolom.yaml", '"Alamat tempat tinggal', '"Alamat {alamat}',
                                           ["kolom.yaml", "alamat.bantuan", "{alamat}", "never filled"]),
    "unknown snippet": ("aturan.yaml", "{FORMAT_NIK_TEKS}", "{FORMAT_NIK}",
                        ["aturan.yaml", "nik_kosong.perbaikan", "{FORMAT_NIK}", "potongan.yaml"]),
    "empty text": ("aturan.yaml", '  pesan: "Nama tidak diisi."', '  pesan: " "',
                   ["nama_kosong.pesan", "empty"]),
    "bare yes/no": ("jenis.yaml", 'dtks: "DTKS (Data Terpadu Kesejahteraan Sosial)"', "dtks: no",
                    ["jenis.yaml", "dtks", "not text"]),
    "misspelt key": ("aturan.yaml", '  perbaikan: "Isi nama lengkap', '  perbaikn: "Isi nama lengkap',
                     ["nama_kosong", "missing perbaikan"]),
    "unpaired brace": ("alasan_berkas.yaml", "({folder})", "({folder)", ["unknown_jenis.pesan", "brace"]),
    "colour": ("status.yaml", '"#C00000"', "C00000", ["status.rejected.warna", "#RRGGBB"]),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_catalogue_is_refused_naming_the_problem(tmp_path, name):
    file, old, new, expected = BROKEN[name]
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(_broken(tmp_path, file, old, new))
    message = str(refused.value)
    assert all(part in message for part in expected), message


def test_a_missing_file_is_refused(tmp_path):
    folder = tmp_path / "pesan"
    shutil.copytree(PESAN_DIR, folder)
    (folder / "status.yaml").unlink()
    with pytest.raises(CatalogueError, match="status.yaml"):
        load_catalogue(folder)
