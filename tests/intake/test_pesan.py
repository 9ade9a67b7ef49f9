"""Loading `include/pesan/petunjuk.yaml`: the templates' instructions are checked like every other text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from satudata import schema
from satudata.intake.pesan import PESAN_DIR, CatalogueError, load_catalogue


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the catalogue with one edit of petunjuk.yaml, as a translator could make it."""
    folder = tmp_path / "pesan"
    shutil.copytree(PESAN_DIR, folder)
    path = folder / "petunjuk.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the test's anchor {old!r} is not in petunjuk.yaml any more"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_petunjuk_covers_every_jenis_of_the_templates():
    petunjuk = load_catalogue().petunjuk
    assert set(petunjuk["satu_baris"]) == set(petunjuk["contoh_berkas"]) == set(schema.JENIS)
    assert set(petunjuk["ganti_poin"]["anggaran"]) == {"cakupan"}
    assert list(petunjuk["tambah_poin"]["intervensi"]) == ["tahap", "kode_program"]


BROKEN = {
    "unknown placeholder in a point": (
        "Isi data di lembar {lembar}.", "Isi data di lembar {nama_lembar}.",
        ["petunjuk.yaml", "poin.isi_lembar", "{nama_lembar}", "{contoh_berkas}"]),
    "placeholder of the points in the title": (
        '"PETUNJUK PENGISIAN TEMPLATE {nama_jenis}"', '"PETUNJUK PENGISIAN TEMPLATE {jenis}"',
        ["petunjuk.yaml", "judul", "{jenis}", "{nama_jenis}"]),
    "placeholder in a value": (
        'dtsen: "dtsen_5205_2026-10"', 'dtsen: "{jenis}_5205_2026-10"',
        ["petunjuk.yaml", "contoh_berkas.dtsen", "{jenis}", "never filled"]),
    "missing jenis": ('  dtsen: "dtsen_5205_2026-10"\n', "",
                      ["petunjuk.yaml", "contoh_berkas", "missing dtsen"]),
    "unknown jenis": ("tambah_poin:\n  p3ke:", "tambah_poin:\n  p3kee:",
                      ["petunjuk.yaml", "tambah_poin.p3kee", "not a jenis"]),
    "replacement of no point": ("ganti_poin:\n  intervensi:\n    satu_berkas:",
                                "ganti_poin:\n  intervensi:\n    satu_berkass:",
                                ["petunjuk.yaml", "ganti_poin.intervensi.satu_berkass", "no point"]),
    "missing line of the column list": ('  tidak_wajib: "tidak wajib"\n', "",
                                        ["petunjuk.yaml", "daftar_kolom", "missing tidak_wajib"]),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_petunjuk_is_refused_naming_the_file(tmp_path, name):
    old, new, expected = BROKEN[name]
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(_broken(tmp_path, old, new))
    message = str(refused.value)
    assert all(part in message for part in expected), message


def test_a_missing_petunjuk_is_refused(tmp_path):
    folder = tmp_path / "pesan"
    shutil.copytree(PESAN_DIR, folder)
    (folder / "petunjuk.yaml").unlink()
    with pytest.raises(CatalogueError, match="petunjuk.yaml"):
        load_catalogue(folder)
