"""Rupiah are exact from intake to the exports: the same budget lines in two orders give the same figures in
`core`, `mart` and the published CSV, on DuckDB and PostgreSQL (issue 28, point 8).

The lines are chosen so that summing their parts as floating point gives a different result in each order
(21576607.880000003 one way, 21576607.88 the other): what made a rebuild of the demo publish 183898999.99999994
where the original had 183899000.0.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.intake.run import IntakeOptions
from satudata.pipeline import ingest_once, konvergensi
from satudata.publish.exports import write_exports
from satudata.publish.publication import publish_period
from satudata.warehouse.engine import make_engine, read_frame

from tests.builders import DESA, KAB, write_xlsx
from tests.konvergensi.test_run import PERIODE, _frames, _write

pytestmark = pytest.mark.timeout(900)

DINSOS, PERKIM, BAPPEDA = "1.06.0.00.0.00.01.0000", "1.04.0.00.0.00.01.0000", "5.01.0.00.0.00.01.0000"
HEADER = ["Tahun Anggaran", "Kode SKPD", "Nama SKPD", "Kode Sub Kegiatan", "Nama Sub Kegiatan", "Sumber Dana",
          "Pagu (Rp)", "Kode Desa"]
PERMAKANAN = (DINSOS, "Dinas Sosial", "1.06.04.2.01.0002", "Pemberian Permakanan bagi Lansia Terlantar")
RTLH = (PERKIM, "Dinas Perkim", "1.04.02.2.01.0009", "Rehabilitasi Rumah Tidak Layak Huni")
KOORDINASI = (BAPPEDA, "Bappeda", "5.01.02.2.01.0001", "Koordinasi Penanggulangan Kemiskinan")
# (line, funding source, pagu, desa): each line in parts, per desa or per funding source
DESA5 = [*DESA, "5205011004"]
PARTS = [
    *((PERMAKANAN, "DAU", pagu, desa) for pagu, desa in zip(
        ("548090.81", "3420197.11", "2386323.32", "8117576.74", "7104419.90"), DESA5, strict=True)),
    *((RTLH, "DAK", pagu, desa) for pagu, desa in zip(
        ("5696510.43", "1639431.47", "4565554.60", "2180829.58", "2375068.31"), DESA5, strict=True)),
    *((KOORDINASI, dana, pagu, "") for dana, pagu in (("DAU", "9651676.70"), ("DAK", "9262868.72"),
                                                      ("PAD", "1166814.72"), ("DBH", "4535359.22"),
                                                      ("BLUD", "5715394.77"))),
]
# With floats, the lines' own grouping summed the first two to 21576607.880000003 and 16457394.389999999 in the
# file's order, to 21576607.88 and 16457394.39 in reverse.
PAGU = {"1.06.04.2.01.0002": Decimal("21576607.88"), "1.04.02.2.01.0009": Decimal("16457394.39"),
        "5.01.02.2.01.0001": Decimal("30332114.13")}
LOCATED = PAGU["1.06.04.2.01.0002"] + PAGU["1.04.02.2.01.0009"]  # the lines that name their desa
RUPIAH_COLUMNS = {"anggaran": ("pagu",), "anggaran_ringkasan": ("pagu", "pagu_intervensi_langsung", "pagu_penunjang",
                                                                "rupiah_berlokasi")}


def _rows(parts) -> list[list[str]]:
    return [["2024", skpd, opd, kode, nama, dana, pagu, desa] for (skpd, opd, kode, nama), dana, pagu, desa in parts]


def test_the_parts_are_ones_whose_float_sum_depends_on_their_order():
    parts = [float(pagu) for line, _, pagu, _ in PARTS if line == PERMAKANAN]
    assert sum(parts) != sum(reversed(parts))
    for kode, total in PAGU.items():
        assert sum(Decimal(pagu) for line, _, pagu, _ in PARTS if line[2] == kode) == total


def _figures(url: str) -> dict[str, pd.DataFrame]:
    queries = {
        "lines": "SELECT kode_sub_giat, pagu, realisasi FROM core.anggaran_sub_kegiatan ORDER BY kode_sub_giat",
        "indikator": "SELECT tingkat, kode_wilayah, kode_skpd, jenis_belanja, pagu, realisasi "
                     "FROM core.indikator_anggaran ORDER BY tingkat, kode_wilayah, kode_skpd, jenis_belanja",
        "ringkasan": "SELECT tingkat, pemilik_anggaran, kode_wilayah, pagu, pagu_intervensi_langsung, pagu_penunjang, "
                     "rupiah_berlokasi, rupiah_di_kantong FROM core.indikator_anggaran_ringkasan "
                     "ORDER BY tingkat, pemilik_anggaran, kode_wilayah",
        "mart": "SELECT tingkat, kode_wilayah, pagu, rupiah_berlokasi FROM mart.anggaran_ringkasan "
                "ORDER BY tingkat, pemilik_anggaran, kode_wilayah",
    }
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {name: read_frame(conn, sql) for name, sql in queries.items()}
    finally:
        engine.dispose()


def _exported(folder) -> dict[str, list[dict]]:
    out = {}
    for name in RUPIAH_COLUMNS:
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            out[name] = list(csv.DictReader(handle))
    return out


def test_the_same_lines_in_two_orders_give_the_same_exact_rupiah(tmp_path, warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    _write(warehouse_url, _frames(PERIODE))
    inbox = settings.folder("inbox") / KAB / "anggaran"
    options = IntakeOptions(stable_seconds=0)

    write_xlsx(inbox / f"anggaran_{KAB}_{PERIODE}.xlsx", {"Sub Kegiatan": (HEADER, _rows(PARTS[::-1]))})
    assert ingest_once(settings, options=options)["by_status"] == {"accepted": 1}
    konvergensi(PERIODE, settings)
    first = publish_period(settings, PERIODE, disetujui_oleh="walidata", cara_persetujuan="cli")
    backward = _figures(warehouse_url)

    lines = dict(zip(backward["lines"]["kode_sub_giat"], backward["lines"]["pagu"], strict=True))
    assert lines == PAGU and all(isinstance(v, Decimal) for v in lines.values())
    kab = backward["ringkasan"].set_index(["tingkat", "pemilik_anggaran", "kode_wilayah"]).loc[
        ("kabupaten", "kabupaten", KAB)]
    assert (kab["pagu"], kab["rupiah_berlokasi"]) == (sum(PAGU.values()), LOCATED)
    assert kab["pagu_penunjang"] + kab["pagu_intervensi_langsung"] == sum(PAGU.values())

    # the forum's CSV prints the amounts exactly: digits, at most two decimals, equal to the sum of the parts
    folder = settings.folder("publikasi") / PERIODE / f"publikasi_{first['publikasi_id']}"
    write_exports(settings, PERIODE)
    for table, rows in _exported(folder).items():
        for row in rows:
            for column in RUPIAH_COLUMNS[table]:
                if row[column]:
                    assert re.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?", row[column]), (table, column, row[column])
    exported = next(r for r in _exported(folder)["anggaran_ringkasan"]
                    if (r["tingkat"], r["pemilik_anggaran"], r["kode_wilayah"]) == ("kabupaten", "kabupaten", KAB))
    assert (Decimal(exported["pagu"]), Decimal(exported["rupiah_berlokasi"])) == (sum(PAGU.values()), LOCATED)

    # the same lines again, in the other order: a corrected recap replacing the first
    write_xlsx(inbox / f"anggaran_{KAB}_{PERIODE} revisi.xlsx", {"Sub Kegiatan": (HEADER, _rows(PARTS))})
    assert ingest_once(settings, options=options)["by_status"] == {"accepted": 1}
    konvergensi(PERIODE, settings)
    again = publish_period(settings, PERIODE, disetujui_oleh="walidata", cara_persetujuan="cli")
    forward = _figures(warehouse_url)
    for name, frame in backward.items():
        pd.testing.assert_frame_equal(forward[name], frame, check_exact=True, obj=name)
    assert not again["berubah"] and again["publikasi_id"] == first["publikasi_id"], "same figures, same publication"
