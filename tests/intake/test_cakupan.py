"""A submission replaces only what it covers: per-kecamatan and per-desa files, tranches, `ganti`/`tambah`.

End to end through intake on both warehouses, plus the pure parts (tranche and operator words, the answer text).
"""

from __future__ import annotations

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from satudata.config import Settings
from satudata.intake import cakupan
from satudata.intake import run as intake
from satudata.intake.run import IntakeOptions, ingest_once, list_submissions
from satudata.reference.wilayah import Wilayah

from tests.builders import DTKS_HEADER, KAB, dtks_rows, write_csv

OPTIONS = IntakeOptions(stable_seconds=0)
WOJA, PEKAT = "520505", "520506"
INTERVENSI_HEADER = ["NIK", "Nama Penerima", "Kode Desa", "Nilai Bantuan", "Tanggal Salur"]


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


@pytest.fixture(scope="module")
def wilayah() -> Wilayah:
    return Wilayah.load()


def inbox(settings: Settings, jenis: str = "dtks"):
    return settings.folder("inbox") / KAB / jenis


def desa_of(wilayah: Wilayah, kecamatan: str, n: int) -> list[str]:
    return wilayah.children(kecamatan)[:n]


def kecamatan_rows(wilayah: Wilayah, kecamatan: str, *, desa: int, start: int) -> list[list[str]]:
    """One family of four in each of the kecamatan's first `desa` desa."""
    return dtks_rows(4 * desa, start=start, desa=desa_of(wilayah, kecamatan, desa))


def regency_rows(wilayah: Wilayah, *, start: int, desa: int = 4) -> list[list[str]]:
    rows = []
    for k, kecamatan in enumerate(wilayah.children(KAB)):
        rows += kecamatan_rows(wilayah, kecamatan, desa=desa, start=start + 100 * k)
    return rows


def drop(settings: Settings, name: str, rows: list[list], *, jenis: str = "dtks", header=DTKS_HEADER) -> dict:
    """Drop one file, ingest, and return its submission."""
    write_csv(inbox(settings, jenis) / name, header, rows)
    ingest_once(settings, options=OPTIONS)
    return by_file(settings, name)


def by_file(settings: Settings, name: str) -> dict:
    return next(s for s in list_submissions(settings) if s["file"].endswith("/" + name))


def query(settings: Settings, sql: str) -> list[tuple]:
    import sqlalchemy as sa

    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def active_by_kecamatan(settings: Settings, table: str = "staging.dtks") -> dict[str, int]:
    return dict(query(settings, f"SELECT kode_kecamatan, count(*) FROM {table} WHERE aktif GROUP BY 1"))


def active_files(settings: Settings, table: str = "staging.dtks") -> dict[int, int]:
    return dict(query(settings, f"SELECT submission_id, count(*) FROM {table} WHERE aktif GROUP BY 1"))


def answer(settings: Settings, submission: dict) -> str:
    """The 'Yang digantikan' line of the file's answer (the Ringkasan sheet of its report)."""
    book = openpyxl.load_workbook(settings.folder("outbox") / submission["report"], read_only=True)
    for row in book["Ringkasan"].iter_rows(values_only=True):
        if row and row[0] == "Yang digantikan":
            return row[1]
    raise AssertionError("the answer does not say what the file replaced")


def intervensi_rows(wilayah: Wilayah, *, start: int, tahap: str | None = None, paid: str = "15-11-2026") -> list[list]:
    rows = [[r[4], r[5], r[1], "750.000", paid] for r in regency_rows(wilayah, start=start, desa=1)]
    return [[*r, tahap] for r in rows] if tahap is not None else rows


# ------------------------------------------------------------------------------------ registries, by place


def test_regency_wide_then_two_kecamatan_files_keep_the_union(settings, wilayah):
    wide = drop(settings, "dtks_5205_2026-11.csv", regency_rows(wilayah, start=1))
    assert wide["cara_kirim"] == "kabupaten" and wide["status"] == "accepted"
    assert sum(active_by_kecamatan(settings).values()) == 128
    woja = drop(settings, "dtks_5205_2026-11 kec woja.csv", kecamatan_rows(wilayah, WOJA, desa=7, start=2001))
    pekat = drop(settings, "dtks_5205_2026-11 kec pekat.csv", kecamatan_rows(wilayah, PEKAT, desa=6, start=3001))
    assert woja["cara_kirim"] == "kecamatan" and pekat["cara_kirim"] == "kecamatan"
    by_kecamatan = active_by_kecamatan(settings)
    assert by_kecamatan[WOJA] == 28 and by_kecamatan[PEKAT] == 24, "the newer kecamatan rows win"
    assert sum(by_kecamatan.values()) == 128 - 16 - 16 + 28 + 24, "the other six kecamatan stay"
    assert active_files(settings) == {wide["submission_id"]: 96, woja["submission_id"]: 28,
                                      pekat["submission_id"]: 24}
    assert all(s["superseded_by"] is None for s in list_submissions(settings))
    text = answer(settings, woja)
    assert "Menggantikan 16 baris Kec. Woja dari kiriman" in text and "(dtks_5205_2026-11.csv)" in text
    assert "Data kecamatan lain tetap berlaku (112 baris)" in text
    assert sum(item["baris"] for item in woja["penggantian"]["digantikan"]) == 16, "the ledger records it"
    assert woja["penggantian"]["cakupan"] == [{"kode_program": "*", "tahap": "", "kode_wilayah": WOJA}]

    # Woja sends again: its first file is now replaced entirely, and says by what.
    again = drop(settings, "dtks_5205_2026-11 kec woja perbaikan.csv",
                 kecamatan_rows(wilayah, WOJA, desa=14, start=4001))
    first_woja = by_file(settings, "dtks_5205_2026-11 kec woja.csv")
    assert first_woja["superseded_by"] == again["submission_id"] and first_woja["reason"] == "superseded"
    assert "dtks_5205_2026-11 kec woja perbaikan.csv (28 baris)" in first_woja["reason_text"]
    assert active_by_kecamatan(settings)[WOJA] == 56
    assert by_file(settings, "dtks_5205_2026-11.csv")["superseded_by"] is None

    # A regency-wide re-export replaces everything, and every older file says so.
    full = drop(settings, "dtks_5205_2026-11 lengkap.csv", regency_rows(wilayah, start=5001, desa=2))
    assert active_files(settings) == {full["submission_id"]: 64}
    older = [s for s in list_submissions(settings) if s["submission_id"] != full["submission_id"]]
    assert {s["superseded_by"] for s in older} == {full["submission_id"]}
    assert "Menggantikan" in answer(settings, full) and "seluruh kabupaten/kota" in answer(settings, full)
    assert query(settings, "SELECT count(*) FROM staging.dtks") == [(128 + 28 + 24 + 56 + 64,)], "history kept"


def test_kecamatan_files_then_regency_wide_replaces_all(settings, wilayah):
    woja = drop(settings, "dtks_5205_2026-11 woja.csv", kecamatan_rows(wilayah, WOJA, desa=7, start=1))
    pekat = drop(settings, "dtks_5205_2026-11 pekat.csv", kecamatan_rows(wilayah, PEKAT, desa=6, start=1001))
    assert "Belum ada data sebelumnya yang digantikan" in answer(settings, woja)
    assert "Data kecamatan lain tetap berlaku (28 baris)" in answer(settings, pekat)
    assert active_files(settings) == {woja["submission_id"]: 28, pekat["submission_id"]: 24}
    wide = drop(settings, "dtks_5205_2026-11.csv", regency_rows(wilayah, start=2001))
    assert active_files(settings) == {wide["submission_id"]: 128}
    for name in ("dtks_5205_2026-11 woja.csv", "dtks_5205_2026-11 pekat.csv"):
        assert by_file(settings, name)["superseded_by"] == wide["submission_id"]

    # Processing an older file again never switches the newer one off: the outcome does not depend on order.
    intake.process_submission(settings, woja["submission_id"], options=OPTIONS)
    assert active_files(settings) == {wide["submission_id"]: 128}


def test_operator_words_ganti_and_tambah(settings, wilayah):
    wide = drop(settings, "dtks_5205_2026-11.csv", regency_rows(wilayah, start=1))
    # 'tambah': a late Woja list adds to what Woja sent before, replacing nothing.
    late = drop(settings, "dtks_5205_2026-11 woja tambahan.csv", kecamatan_rows(wilayah, WOJA, desa=3, start=2001))
    assert late["cara_kirim"] == "tambah"
    assert active_files(settings) == {wide["submission_id"]: 128, late["submission_id"]: 12}
    assert "tidak menggantikan data" in answer(settings, late)
    # 'ganti' in a folder: one kecamatan's rows, yet the operator says it replaces the whole regency.
    (inbox(settings) / "ganti").mkdir()
    full = drop(settings, "ganti/dtks_5205_2026-11.csv", kecamatan_rows(wilayah, WOJA, desa=2, start=3001))
    assert full["cara_kirim"] == "kabupaten" and "kata 'ganti'" in full["penggantian"]["sebab"]
    assert active_files(settings) == {full["submission_id"]: 8}


def test_desa_files_replace_their_desa_only(settings, wilayah):
    """BLT Dana Desa and village lists come desa by desa: each replaces its own desa, not the kecamatan."""
    woja_desa = desa_of(wilayah, WOJA, 3)
    first = drop(settings, "dtks_5205_2026-11 desa 1.csv", dtks_rows(8, start=1, desa=woja_desa[:1]))
    second = drop(settings, "dtks_5205_2026-11 desa 2.csv", dtks_rows(8, start=101, desa=woja_desa[1:2]))
    assert second["penggantian"]["cakupan"][0]["kode_wilayah"] == woja_desa[1]
    assert active_files(settings) == {first["submission_id"]: 8, second["submission_id"]: 8}
    assert "Data desa lain tetap berlaku (8 baris)" in answer(settings, second)
    again = drop(settings, "dtks_5205_2026-11 desa 1 revisi.csv", dtks_rows(4, start=201, desa=woja_desa[:1]))
    assert active_files(settings) == {second["submission_id"]: 8, again["submission_id"]: 4}
    label = wilayah.label(woja_desa[0])
    assert f"Menggantikan 8 baris {label} dari kiriman" in answer(settings, again)


# ------------------------------------------------------------------------------------ recipient lists, by tranche


def test_two_tranches_both_count_and_a_resent_tranche_replaces_itself(settings, wilayah):
    tahap1 = drop(settings, "PKH_5205_2026-11 tahap 1.csv", intervensi_rows(wilayah, start=1),
                  jenis="intervensi", header=INTERVENSI_HEADER)
    tahap2 = drop(settings, "PKH_5205_2026-11 tahap 2.csv", intervensi_rows(wilayah, start=1, paid="25-11-2026"),
                  jenis="intervensi", header=INTERVENSI_HEADER)
    assert query(settings, "SELECT kode_program, tahap, count(*) FROM staging.intervensi WHERE aktif "
                           "GROUP BY 1, 2 ORDER BY 2") == [("PKH", "1", 32), ("PKH", "2", 32)], "both count"
    assert "Belum ada data sebelumnya yang digantikan" in answer(settings, tahap2)
    # Another programme's list does not touch PKH.
    bpnt = drop(settings, "BPNT_5205_2026-11.csv", intervensi_rows(wilayah, start=501),
                jenis="intervensi", header=INTERVENSI_HEADER)
    assert bpnt["status"] == "accepted"
    # Tranche 2 sent again, its tranche in a column this time: it replaces tranche 2, never tranche 1.
    resent = drop(settings, "penerima PKH_5205_2026-11.csv", intervensi_rows(wilayah, start=1001, tahap="Tahap II"),
                  jenis="intervensi", header=[*INTERVENSI_HEADER, "Tahap"])
    assert active_files(settings, "staging.intervensi") == {
        tahap1["submission_id"]: 32, bpnt["submission_id"]: 32, resent["submission_id"]: 32}
    assert by_file(settings, "PKH_5205_2026-11 tahap 2.csv")["superseded_by"] == resent["submission_id"]
    assert by_file(settings, "PKH_5205_2026-11 tahap 1.csv")["superseded_by"] is None
    assert "Menggantikan 32 baris PKH tahap 2 dari kiriman" in answer(settings, resent)
    assert "Data program atau tahap lain tetap berlaku (64 baris)" in answer(settings, resent)


# ------------------------------------------------------------------------------------ pure parts


@pytest.mark.parametrize(("value", "expected"), [
    ("2", "2"), (3, "3"), (3.0, None), ("02", "2"), ("II", "2"), ("Tahap 2", "2"), ("tahap III", "3"),
    ("T4", "4"), ("Termin 1", "1"), ("", None), (None, None), ("-", None), ("Tahap", None),
])
def test_normalise_tahap(value, expected):
    assert cakupan.normalise_tahap(value) == expected


@given(st.integers(min_value=1, max_value=12), st.sampled_from(["{}", "Tahap {}", "tahap-{}", "T{}", "TAHAP {}"]))
def test_normalise_tahap_reads_every_way_of_writing_a_tranche(n, pattern):
    assert cakupan.normalise_tahap(pattern.format(n)) == str(n)


@given(st.text(max_size=40))
@example("¹")
@example("Tahap ²")
def test_normalise_tahap_never_raises(text):
    result = cakupan.normalise_tahap(text)
    assert result is None or (result.isdigit() and int(result) >= 0)


@pytest.mark.parametrize(("name", "expected"), [
    ("PKH_5205_2026-11 tahap 2.xlsx", "2"), ("BPNT_T3_5205.csv", "3"), ("penerima Tahap II.ods", "2"),
    ("dtks_5205_2026-11.csv", None), ("data terbaru 2026.csv", None), ("BLT-DD_5205_2026-11.csv", None),
])
def test_tahap_from_name(name, expected):
    assert cakupan.tahap_from_name(name) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("5205/dtks/dtks 2026-11 ganti.csv", "ganti"), ("5205/dtks/ganti/dtks 2026-11.csv", "ganti"),
    ("5205/intervensi/PKH tahap 3 susulan.xlsx", "tambah"), ("5205/dtks/Tambahan/woja.csv", "tambah"),
    ("5205/dtks/dtks 2026-11.csv", None), ("5205/dtks/berganti.csv", None),
])
def test_operator_word(path, expected):
    assert cakupan.operator_word(path)[0] == expected


def test_describe_speaks_plain_bahasa_indonesia(wilayah):
    record = {"cara_kirim": "kecamatan", "sebab": "baris dari 1 dari 8 kecamatan",
              "cakupan": [{"kode_program": "*", "tahap": "", "kode_wilayah": WOJA}],
              "digantikan": [{"submission_id": 1, "berkas": "dtks.xlsx", "diterima": "2026-11-12T03:00:00+00:00",
                              "kode_kecamatan": WOJA, "kode_desa": d, "kode_program": None, "tahap": "",
                              "baris": 60} for d in desa_of(wilayah, WOJA, 2)],
              "tetap_berlaku": 1234, "baris_berkas": 120}
    lines = cakupan.describe(record, jenis_label="DTKS", place_name=wilayah.label, when=lambda iso: "12 November")
    assert lines == ["Berkas ini berisi data DTKS Kec. Woja.",
                     "Menggantikan 120 baris Kec. Woja dari kiriman 12 November (dtks.xlsx).",
                     "Data kecamatan lain tetap berlaku (1.234 baris)."]


def test_wilayah_label(wilayah):
    assert wilayah.label(WOJA) == "Kec. Woja"
    assert wilayah.label("5205051001").startswith("Kel. ") and wilayah.label("5205062001") == "Desa Pekat"
    assert wilayah.label("9999999") == "9999999"
