"""The "Petunjuk" sheet of the templates: the points of `include/pesan/petunjuk.yaml`, filled per jenis."""

from __future__ import annotations

import re

from satudata import schema
from satudata.intake.messages import PETUNJUK
from satudata.intake.templates import TEMPLATE_SHEETS, _petunjuk_points


def test_the_catalogue_checks_the_jenis_of_the_templates():
    assert tuple(TEMPLATE_SHEETS) == schema.JENIS  # the jenis pesan.py requires in petunjuk.yaml


def test_points_are_filled_replaced_and_added_per_jenis():
    for jenis in TEMPLATE_SHEETS:
        points = _petunjuk_points(jenis)
        assert len(points) == len(PETUNJUK["poin"]) + len(PETUNJUK["tambah_poin"].get(jenis, {}))
        assert not [p for p in points if re.search(r"[{}]", p)], jenis
        assert f"inbox/5205/{jenis}/" in " ".join(points)
    dtsen = _petunjuk_points("dtsen")
    assert dtsen[0].startswith("Isi data di lembar 'Keluarga' dan 'Anggota Keluarga'. Satu baris untuk satu "
                               "keluarga (lembar 'Keluarga')")
    assert "contoh dtsen_5205_2026-10 ganti.xlsx" in dtsen[11]
    cakupan = list(PETUNJUK["poin"]).index("cakupan")
    assert _petunjuk_points("anggaran")[cakupan].startswith("Rekap anggaran selalu berlaku")
    assert _petunjuk_points("intervensi")[cakupan].endswith("untuk program dan tahap yang sama.")
    assert _petunjuk_points("dtks")[cakupan].endswith("menggantikan semua data periode itu.")
