"""Pairs across regencies: the province decides them, a regency never sees its neighbour's residents, and rows
a regency invents to resemble them link nothing by themselves."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.harmonise.sources import cached_columns, columns_by_regency
from satudata.intake.run import IntakeOptions, list_submissions
from satudata.pipeline import harmonise, ingest_once
from satudata.warehouse.engine import make_engine

from tests.builders import DESA, DTKS_HEADER, KAB, OTHER_KAB_DESA, aged, nik, write_csv, write_xlsx

INTAKE = IntakeOptions(stable_seconds=0, max_rejected_share=0.9)
PERIODE = "2026-11"
NEIGHBOUR = "5201"  # Lombok Barat, in the same province as Dompu (5205)
P3KE_KELUARGA_HEADER = ["ID Keluarga P3KE", "Kode Desa", "Alamat", "No KK", "NIK Kepala Keluarga",
                        "Nama Kepala Keluarga", "Desil", "Jumlah Anggota"]
P3KE_ANGGOTA_HEADER = ["ID Keluarga P3KE", "ID Individu", "NIK", "Nama", "Jenis Kelamin", "Tanggal Lahir",
                       "Hubungan Keluarga"]
# The neighbour's residents: what must never reach Dompu's outbox.
RESIDENTS = [(nik(14, 2, 1971, 31, True, kec="520101"), "Baiq Nurhayati Rahmawati", "14-02-1971"),
             (nik(3, 9, 1966, 32, False, kec="520101"), "Lalu Muhammad Sukardi", "03-09-1966"),
             (nik(21, 6, 1989, 33, True, kec="520101"), "Ni Luh Putu Sriani", "21-06-1989")]
SECRET_KK, SECRET_ADDRESS = "5201010101300031", "Dusun Rahasia Tetangga RT 007"


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def _frame(settings: Settings, sql: str, **params) -> pd.DataFrame:
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    finally:
        engine.dispose()


def _drop(settings: Settings) -> None:
    """Dompu's DTKS invents three rows copying the neighbour's residents (NIK, name, birth date); both regencies
    send their own P3KE."""
    dompu = settings.folder("inbox") / KAB
    own = [["D001", DESA[0], "Dusun Satu", "5205010101200001", nik(5, 7, 1960, 11, False), "Lalu Ahmad", "L",
            "05-07-1960", "Kepala Keluarga"]]
    invented = [[f"D10{i}", DESA[1], "Dusun Baru", f"520501010120010{i}", n, name, "P" if i != 1 else "L", born,
                 "Kepala Keluarga"] for i, (n, name, born) in enumerate(RESIDENTS)]
    write_csv(dompu / "dtks" / f"dtks_{KAB}_{PERIODE}.csv", DTKS_HEADER, own + invented)
    write_xlsx(dompu / "p3ke" / f"p3ke_{KAB}_{PERIODE}.xlsx", {
        "Keluarga": (P3KE_KELUARGA_HEADER, [["K001", DESA[0], "Dusun Satu", "5205010101200001",
                                             nik(5, 7, 1960, 11, False), "Lalu Ahmad", "1", "1"]]),
        "Anggota Keluarga": (P3KE_ANGGOTA_HEADER, [["K001", "I001", nik(5, 7, 1960, 11, False), "Lalu Ahmad", "L",
                                                     "05-07-1960", "Kepala Keluarga"]]),
    })
    neighbour = settings.folder("inbox") / NEIGHBOUR
    write_xlsx(neighbour / "p3ke" / f"p3ke_{NEIGHBOUR}_{PERIODE}.xlsx", {
        "Keluarga": (P3KE_KELUARGA_HEADER, [[f"T00{i}", OTHER_KAB_DESA, SECRET_ADDRESS, SECRET_KK, n, name, "1", "1"]
                                            for i, (n, name, _) in enumerate(RESIDENTS)]),
        "Anggota Keluarga": (P3KE_ANGGOTA_HEADER, [[f"T00{i}", f"T{i}", n, name, "P" if i != 1 else "L", born,
                                                     "Kepala Keluarga"] for i, (n, name, born) in enumerate(RESIDENTS)]),
    })
    ingest_once(settings, options=INTAKE)
    assert {s["status"] for s in list_submissions(settings)} <= {"accepted", "partial"}


def _cells(path) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    return " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
                    if c is not None)


def test_cross_regency_pairs_wait_for_the_province_and_no_neighbour_reaches_a_regency_outbox(settings):
    _drop(settings)
    harmonise(PERIODE, settings)
    cross = _frame(settings, "SELECT * FROM core.padanan_individu WHERE lingkup = 'provinsi'")
    assert cross.empty  # three NIK-identical invented rows link nothing by themselves
    queued = _frame(settings, "SELECT id_dtks, id_individu_p3ke, kode_kab, kode_kab_p3ke FROM core.antrian_review "
                              "WHERE lingkup = 'provinsi' ORDER BY id_dtks")
    assert queued.values.tolist() == [["D100", "T0", KAB, NEIGHBOUR], ["D101", "T1", KAB, NEIGHBOUR],
                                      ["D102", "T2", KAB, NEIGHBOUR]]
    # Dompu sees its own rows and that a candidate exists in Lombok Barat, nothing of the residents there
    dompu = settings.folder("outbox") / KAB / f"review_padanan_{PERIODE}.xlsx"
    text = _cells(dompu)
    assert SECRET_KK not in text and SECRET_ADDRESS not in text and OTHER_KAB_DESA not in text
    assert "Lombok Barat" in text and "D100" in text and "T0" not in text.split()
    book = openpyxl.load_workbook(dompu, read_only=True)
    assert "Kandidat Lintas Kabupaten" in book.sheetnames
    # the neighbour is told of its own residents' candidates, without Dompu's invented rows' details
    neighbour = settings.folder("outbox") / NEIGHBOUR / f"review_padanan_{PERIODE}.xlsx"
    text = _cells(neighbour)
    assert "Dusun Baru" not in text and "D100" not in text and "Dompu" in text
    # the province sees both sides
    province = settings.folder("outbox") / "52" / f"review_padanan_{PERIODE}.xlsx"
    text = _cells(province)
    assert SECRET_KK in text and "Dusun Baru" in text


def test_the_provinces_decision_links_a_pair_and_a_regencys_cannot(settings):
    _drop(settings)
    harmonise(PERIODE, settings)
    # Dompu tries to decide the cross pair itself: not its to decide
    answer = openpyxl.Workbook()
    sheet = answer.active
    sheet.title = "Review Padanan"
    sheet.append(["id_dtks", "id_individu_p3ke", "keputusan"])
    sheet.append(["D100", "T0", "SAMA"])
    target = settings.folder("inbox") / KAB / "review" / "jawaban_dompu.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    answer.save(target)
    aged(target)
    # the province decides the first pair SAMA in its own workbook
    province = openpyxl.load_workbook(settings.folder("outbox") / "52" / f"review_padanan_{PERIODE}.xlsx")
    review = province["Review Padanan"]
    header = [c.value for c in review[5]]
    column = header.index("keputusan") + 1
    for row in range(6, review.max_row + 1):
        if review.cell(row, 1).value == "D100":
            review.cell(row, column).value = "SAMA"
    target = settings.folder("inbox") / "52" / "review" / "jawaban_provinsi.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    province.save(target)
    aged(target)
    ingest_once(settings, options=INTAKE)
    by_file = {s["file"].rsplit("/", 1)[-1]: s for s in list_submissions(settings)}
    assert by_file["jawaban_dompu.xlsx"]["status"] == "rejected"
    assert by_file["jawaban_provinsi.xlsx"]["status"] == "accepted"
    harmonise(PERIODE, settings)
    cross = _frame(settings, "SELECT id_dtks, id_individu_p3ke, match_method FROM core.padanan_individu "
                             "WHERE lingkup = 'provinsi'")
    assert cross.values.tolist() == [["D100", "T0", "review"]]


def test_many_regencies_preparations_read_at_once_are_the_ones_each_would_read(settings):
    """`columns_by_regency` (one query for every regency's stored bytes) gives what `cached_columns` gives a
    regency at a time, prepares and stores what is missing, and never takes a preparation whose key is stale."""
    _drop(settings)
    kabs, columns = [KAB, NEIGHBOUR], ["unique_id", "nik", "nama"]
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            first = {kab: tables for kab, tables in columns_by_regency(conn, kabs, PERIODE, ("dtks", "p3ke"), columns)}
        stored = _frame(settings, "SELECT kode_kab, count(*) AS n FROM core.persiapan_padanan GROUP BY kode_kab")
        assert set(stored["kode_kab"]) == set(kabs), "missing preparations are made and kept"
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE core.persiapan_padanan SET isi = :x WHERE kode_kab = :k AND bagian = 'dtks'"),
                         {"x": b"not parquet", "k": NEIGHBOUR})
            conn.execute(sa.text("UPDATE core.persiapan_padanan SET kunci = 'lama' WHERE kode_kab = :k"),
                         {"k": NEIGHBOUR})
        with engine.connect() as conn:
            again = dict(columns_by_regency(conn, kabs, PERIODE, ("dtks", "p3ke"), columns))
            alone = {kab: {part: cached_columns(conn, kab, PERIODE, part, columns) for part in ("dtks", "p3ke")}
                     for kab in kabs}
    finally:
        engine.dispose()
    for kab in kabs:
        for part in ("dtks", "p3ke"):
            assert again[kab][part].equals(first[kab][part]) and alone[kab][part].equals(first[kab][part]), (kab, part)
    assert first[KAB]["dtks"].num_rows == 4 and first[NEIGHBOUR]["p3ke"].num_rows == 3


def _tables(settings: Settings) -> dict[str, pd.DataFrame]:
    """Every table harmonisation writes, as text, in a stable order (times and the run id left out)."""
    queries = {table: f"SELECT * FROM {table}" for table in (
        "core.padanan_individu", "core.antrian_review", "core.individu_terpadu", "core.keluarga_terpadu",
        "core.konflik_padanan", "core.padanan_dtsen")}
    queries["meta.harmonisasi"] = "SELECT periode, kode_kab, model_version, ringkasan FROM meta.harmonisasi"
    queries["core.persiapan_padanan"] = "SELECT periode, kode_kab, kunci, bagian FROM core.persiapan_padanan"
    frames = {}
    for table, sql in queries.items():
        frame = _frame(settings, sql).astype(str)
        frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return frames


def _recipients(settings: Settings) -> None:
    """A PKH list per regency: Dompu's DTKS heads, the neighbour's residents, and one person in no registry."""
    header = ["NIK", "Nama Penerima", "Kode Desa", "Nilai Bantuan", "Tanggal Salur"]
    dompu = [[nik(5, 7, 1960, 11, False), "Lalu Ahmad", DESA[0], "750.000", "15-11-2026"],
             [nik(9, 9, 1999, 41, True), "Wayan Tidak Terdaftar", DESA[2], "750.000", "15-11-2026"]]
    theirs = [[n, name, OTHER_KAB_DESA, "750.000", "15-11-2026"] for n, name, _ in RESIDENTS]
    for kab, rows in ((KAB, dompu), (NEIGHBOUR, theirs)):
        write_csv(settings.folder("inbox") / kab / "intervensi" / f"PKH_{kab}_{PERIODE}.csv", header, rows)


def test_regencies_on_two_worker_processes_write_the_same_warehouse(tmp_path, _duckdb_template, monkeypatch):
    """Harmonisation's link and build, then convergence's recipients: computed on two worker processes, written
    by this one, the same warehouse as one process writes."""
    import shutil

    from satudata.pipeline import konvergensi
    from satudata.warehouse import workers

    def staged(name: str) -> Settings:
        shutil.copyfile(_duckdb_template, tmp_path / f"{name}.duckdb")
        settings = Settings(data_dir=tmp_path / name, warehouse_url=f"duckdb:///{tmp_path / name}.duckdb")
        settings.ensure_folders()
        _recipients(settings)
        _drop(settings)
        return settings

    one, two = staged("one"), staged("two")
    monkeypatch.setenv("SATUDATA_WORKERS", "1")
    harmonise(PERIODE, one)
    konvergensi(PERIODE, one)
    monkeypatch.setenv("SATUDATA_WORKERS", "2")
    monkeypatch.setenv("SATUDATA_DUCKDB_LOCK_WAIT", "120")  # a regression fails instead of hanging
    monkeypatch.setattr(workers, "MIN_ROWS", 0)
    # Pools counted where they start, not from the log: Airflow, imported during a run, reconfigures logging
    pools, spawn = [], workers._spawn_pool
    monkeypatch.setattr(workers, "_spawn_pool", lambda *a, **k: pools.append(a) or spawn(*a, **k))
    harmonise(PERIODE, two)
    konvergensi(PERIODE, two)
    assert [p[0] for p in pools] == [2, 2, 2], "link, build and recipients ran on a pool of two"
    first, second = _tables(one), _tables(two)
    assert len(first["core.individu_terpadu"]) and len(first["core.persiapan_padanan"])
    for table, frame in first.items():
        pd.testing.assert_frame_equal(frame, second[table], obj=table)
    matched = "SELECT * FROM core.penerima_program ORDER BY kode_kab, submission_id, baris"
    found = _frame(one, matched)
    assert sorted(found["status_padanan"]) == ["ditemukan"] * 4 + ["tidak_ditemukan"], found
    pd.testing.assert_frame_equal(found, _frame(two, matched), obj="core.penerima_program")
    # Airflow maps its tasks over these lists in their order: the largest regency first
    from satudata.harmonise.run import regencies_and_sizes
    from satudata.konvergensi import run as konvergensi_run
    from satudata.pipeline import harmonise_regencies, konvergensi_regencies

    for listed, (kabs, sizes) in ((harmonise_regencies(PERIODE, one), regencies_and_sizes(one, PERIODE)),
                                  (konvergensi_regencies(PERIODE, settings=one),
                                   konvergensi_run.regencies_and_sizes(one, PERIODE))):
        assert sorted(listed) == sorted(kabs) and len(kabs) > 1
        assert [sizes[kab] for kab in listed] == sorted(sizes.values(), reverse=True), (listed, sizes)
