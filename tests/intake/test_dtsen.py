"""DTSEN extracts as regencies get them: headers by the names public code uses, flat or two sheets."""

from __future__ import annotations

import pandas as pd
import pytest
from satudata.intake.read import read_submission
from satudata.konvergensi.rules import load_rules
from satudata.schema import FAMILY_REGISTRIES

FLAT_HEADER = ("ID Keluarga,nomor_kartu_keluarga,nomor_induk_kependudukan,Nama,Hubungan Keluarga,Kode Desa,Desil,"
               "desil_provinsi,desil_kabupaten_kota\n")
FLAT_ROWS = [
    "D1,5201012210070185,5201011312890593,HERMAN,Kepala Keluarga,5201011004,2,3,1",
    "D1,5201012210070185,5201015312920001,SITI,Istri,5201011004,2,3,1",
    "D2,5201012210070186,5201011312890594,AHMAD,Kepala Keluarga,5201011004,10,9,10",
]


def _chunks(path):
    meta, chunks = read_submission(path, "dtsen")
    by_sheet: dict[str, list[pd.DataFrame]] = {}
    for chunk in chunks:
        by_sheet.setdefault(chunk.sheet, []).append(chunk.frame)
    return meta, {k: pd.concat(v) for k, v in by_sheet.items()}


def test_flat_csv_with_extract_names_yields_families_and_members(tmp_path):
    path = tmp_path / "dtsen_5201_2026-11.csv"
    path.write_text(FLAT_HEADER + "\n".join(FLAT_ROWS) + "\n", encoding="utf-8")
    meta, frames = _chunks(path)
    keluarga, anggota = frames["keluarga"], frames["anggota"]
    # bare "Desil" and "ID Keluarga" are DTSEN's own columns in a DTSEN file
    assert list(keluarga["id_keluarga_dtsen"]) == ["D1", "D2"]
    assert list(keluarga["desil_nasional"]) == ["2", "10"]
    assert list(keluarga["desil_kabupaten_kota"]) == ["1", "10"]
    assert list(keluarga["nik_kepala_keluarga"]) == ["5201011312890593", "5201011312890594"]
    assert list(anggota["nik"]) == ["5201011312890593", "5201015312920001", "5201011312890594"]
    assert set(anggota["id_keluarga_dtsen"]) == {"D1", "D2"}
    assert all(not s.missing_required for s in meta.sheets)


def test_the_same_headers_in_a_p3ke_file_stay_p3ke_columns(tmp_path):
    path = tmp_path / "p3ke_5201_2026-11.csv"
    path.write_text(FLAT_HEADER.replace(",desil_provinsi,desil_kabupaten_kota", "").replace("Desil", "Desil Nasional")
                    + "\n".join(r.rsplit(",", 2)[0] for r in FLAT_ROWS) + "\n", encoding="utf-8")
    _, chunks = read_submission(path, "p3ke")
    keluarga = pd.concat([c.frame for c in chunks if c.sheet == "keluarga"])
    assert list(keluarga["desil"]) == ["2", "10"]  # "Desil Nasional" folds into P3KE's desil (its suite rejects 10)
    assert list(keluarga["id_keluarga_p3ke"]) == ["D1", "D2"]


def test_a_dtsen_file_without_a_national_desil_is_refused(tmp_path):
    from satudata.intake.read import FileRejected

    path = tmp_path / "dtsen_5201_2026-11.csv"
    path.write_text("ID Keluarga,No KK,NIK,Nama,Kode Desa,Desil Provinsi\nD1,5201012210070185,5201011312890593,A,"
                    "5201011004,3\n", encoding="utf-8")
    with pytest.raises(FileRejected) as caught:
        _chunks(path)
    assert caught.value.code == "missing_columns"
    assert "desil_nasional" in str(caught.value)


@pytest.mark.parametrize(("periode", "berkas", "sumber", "pbi"), [
    ("2025-03", "konvergensi_2023.yaml", "p3ke", 4),
    ("2025-04", "konvergensi_2025.yaml", "dtsen", 5),
    ("2026-11", "konvergensi_2025.yaml", "dtsen", 5),
])
def test_the_rule_file_and_its_desil_follow_the_period(periode, berkas, sumber, pbi):
    rules = load_rules(periode)
    assert (rules.berkas, rules.sumber_desil) == (berkas, sumber)
    programmes = {p.kode_program: p for p in rules.programmes}
    assert programmes["PBI_JK"].desil_maks == pbi
    if sumber == "dtsen":
        assert programmes["PKH"].desil_maks == programmes["BPNT"].desil_maks == 4
        assert all(programmes[c].sumber for c in ("PKH", "BPNT", "PBI_JK")), "every DTSEN limit names its source"
        assert rules.pantau_transisi == ("PBI_JK",)


def test_every_family_registry_has_its_suites_and_template():
    from satudata.config import expectations_dir
    from satudata.intake.templates import TEMPLATE_SHEETS

    for jenis, registry in FAMILY_REGISTRIES.items():
        for suite in (registry.suite_keluarga, registry.suite_anggota):
            assert (expectations_dir() / f"{suite}.json").is_file()
        assert set(TEMPLATE_SHEETS[jenis]) == {"Keluarga", "Anggota Keluarga"}
