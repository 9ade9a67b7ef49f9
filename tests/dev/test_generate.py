"""The synthetic province generator: sizes, codes, NIK structure, defects and truth against the files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from satudata.reference.wilayah import Wilayah, load_population, normalise_kode
from satudata.schema import P3KE_SHEETS, PEKERJAAN_PEKERJA_MIGRAN
from satudata_dev.generate import DEFAULT_DEFECT_RATES, generate_province
from satudata_dev.generate import names as gnames
from satudata_dev.generate.xlsx import DATE, EMPTY, NUM, STR, Column, Sheet, write_xlsx

# its module fixtures are built once: the module's tests stay on one worker
pytestmark = pytest.mark.xdist_group("dev/test_generate")


PERIOD = "2026-11"
SEED = 11
_EXCEL_EPOCH = date(1899, 12, 30)


@pytest.fixture(scope="module")
def ntb(tmp_path_factory):
    """Province 52 at 1 %: the size `make demo` uses."""
    out = tmp_path_factory.mktemp("ntb")
    Wilayah.load()  # the region lists load once per process; time the generator itself
    started = time.perf_counter()
    summary = generate_province(out, province="52", scale=0.01, seed=SEED, period=PERIOD)
    return {"out": out, "summary": summary, "seconds": time.perf_counter() - started,
            "truth": out / "truth" / PERIOD,
            "manifest": json.loads((out / "truth" / PERIOD / "manifest.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def grids(ntb):
    """Every sheet of every file as rows of text (index 0 = Excel row 1 / CSV line 1)."""
    return {(f["path"], s["name"] or ""): _read_grid(ntb["out"], f, s) for f in ntb["manifest"]["files"]
            for s in f["sheets"]}


@pytest.fixture(scope="module")
def truth(ntb):
    t = ntb["truth"]
    return {
        "individu": pd.read_csv(t / "individu.csv", dtype=str, keep_default_na=False),
        "keluarga": pd.read_csv(t / "keluarga.csv", dtype=str, keep_default_na=False),
        "defects": pd.read_csv(t / "defects.csv", dtype=str, keep_default_na=False),
        "people": pd.read_parquet(t / "people.parquet"),
        "families": pd.read_parquet(t / "families.parquet"),
    }


def _cell_text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return str((value - _EXCEL_EPOCH).days)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_grid(out: Path, info: dict, sheet: dict) -> list[list[str]]:
    path = out / info["path"]
    if info["format"] == "csv":
        text = path.read_bytes().decode(info["encoding"])
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=info["delimiter"])]
    import python_calamine as pc

    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet["name"]).to_python()
    return [[_cell_text(v) for v in row] for row in rows]


def _column(grid: list[list[str]], sheet: dict, canonical: str) -> list[str]:
    """A column's data cells as text, in file order."""
    j = list(sheet["headers"]).index(canonical)
    rows = grid[sheet["header_row"] :]
    return [row[j] if j < len(row) else "" for row in rows]


# ---------------------------------------------------------------------------------------------- run


def test_one_percent_province_is_fast_and_complete(ntb):
    summary, manifest = ntb["summary"], ntb["manifest"]
    assert ntb["seconds"] < 30, f"1 % NTB took {ntb['seconds']:.1f} s"
    regencies = Wilayah.load().children("52")
    assert sorted(summary.counts) == regencies
    # DTKS, P3KE, one list per programme (7 in NTB, JPS_GEMILANG being NTB's own) and the DTSEN extracts
    # of this quarter and the one before, per regency.
    assert summary.totals["files"] == len(regencies) * 11 == len(manifest["files"])
    for path in summary.files:
        assert (ntb["out"] / path).is_file()
    assert manifest["counts"] == summary.counts
    assert json.loads(json.dumps(summary.to_dict()))["totals"] == summary.totals
    p3ke = [f for f in manifest["files"] if f["jenis"] == "p3ke"]
    assert all(f["format"] == "xlsx" and [s["name"] for s in f["sheets"]] == list(P3KE_SHEETS.values())
               for f in p3ke)
    formats = {f["format"] for f in manifest["files"] if f["jenis"] == "dtks"}
    assert formats == {"xlsx", "csv"}
    assert {f["encoding"] for f in manifest["files"] if f["format"] == "csv"} >= {"utf-8", "cp1252"}
    for f in manifest["files"]:
        kab, name = f["kode_kab"], Path(f["path"]).name
        if f["jenis"] == "intervensi":
            assert f["path"] == f"inbox/{kab}/intervensi/{f['kode_program']}_{kab}_{PERIOD}.{f['format']}"
        elif f["jenis"] == "dtsen":
            assert f["path"] in {f"inbox/{kab}/dtsen/dtsen_{kab}_{p}.xlsx" for p in ("2026-08", PERIOD)}, name
        else:
            assert f["path"] == f"inbox/{kab}/{f['jenis']}/{f['jenis']}_{kab}_{PERIOD}.{f['format']}", name


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    def run(folder, seed):
        generate_province(tmp_path / folder, province="52", scale=0.002, seed=seed, period=PERIOD)
        root = tmp_path / folder
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    first, second, other = run("a", 5), run("b", 5), run("c", 6)
    assert first == second
    assert first[f"truth/{PERIOD}/individu.csv"] != other[f"truth/{PERIOD}/individu.csv"]


# ---------------------------------------------------------------------------------------------- sizes


def test_sizes_follow_population_and_registry_proportions(ntb, truth):
    population = load_population()
    for kab, counts in ntb["summary"].counts.items():
        people = population[kab]["total"] * 0.01
        kota = int(kab[2:]) >= 71
        dtks_lo, dtks_hi = (0.26, 0.34) if kota else (0.34, 0.42)
        p3ke_lo, p3ke_hi = (0.18, 0.26) if kota else (0.26, 0.34)
        assert dtks_lo < counts["dtks"] / people < dtks_hi, (kab, counts)
        assert p3ke_lo < counts["p3ke"] / people < p3ke_hi, (kab, counts)
    people, families = truth["people"], truth["families"]
    overlap = (people.in_dtks & people.in_p3ke).sum() / people.in_p3ke.sum()
    assert 0.75 <= overlap <= 0.85
    desil = families.desil.dropna().value_counts(normalize=True)
    assert desil.idxmin() == 1 and 0.14 < desil[1] < 0.22
    assert 3.3 < families.jumlah_anggota.mean() < 3.9
    assert (families.jumlah_anggota == 1).mean() > 0.05
    # Every registered person is in DTKS, P3KE or both; some only in one.
    assert (people.in_dtks & ~people.in_p3ke).any() and (~people.in_dtks & people.in_p3ke).any()


# ---------------------------------------------------------------------------------------------- codes


def test_desa_codes_are_real_and_inside_their_regency(ntb, grids, truth):
    wilayah = Wilayah.load()
    d = truth["defects"]
    stray = d[d.defect == "other_regency_row"]
    foreign = set(zip(stray.file, stray.sheet, stray.excel_row, strict=True))
    checked = 0
    for f in ntb["manifest"]["files"]:
        for s in f["sheets"]:
            if "kode_desa" not in s["headers"]:
                continue
            cells = _column(grids[(f["path"], s["name"] or "")], s, "kode_desa")
            for i, cell in enumerate(cells):
                kode = normalise_kode(cell)
                row = str(s["header_row"] + 1 + i)
                assert kode is not None and len(kode) == 10 and wilayah.exists(kode), (f["path"], row, cell)
                if (f["path"], s["name"] or "", row) in foreign:
                    assert kode[:2] == "52" and kode[:4] != f["kode_kab"]
                else:
                    assert kode[:4] == f["kode_kab"], (f["path"], row, cell)
                checked += 1
    assert checked > 20_000
    assert len(foreign) > 20


def test_nik_and_kk_structure(truth):
    wilayah = Wilayah.load()
    people = truth["people"]
    assert people.nik.is_unique
    assert people.nik.str.fullmatch(r"[1-9]\d{15}").all()
    born = pd.to_datetime(people.tanggal_lahir)
    day = born.dt.day + np.where(people.jenis_kelamin == "P", 40, 0)
    expected = day.map("{:02d}".format) + born.dt.month.map("{:02d}".format) + born.dt.year.mod(100).map(
        "{:02d}".format)
    assert (people.nik.str[6:12] == expected).all()
    assert people.nik.str[:6].map(wilayah.is_known_kecamatan).all()
    serial = people.nik.str[12:].astype(int)
    assert serial.between(1, 9999).all() and serial.nunique() > 100
    assert people.nik.str[-1].nunique() == 10  # the regency does not show in the last digit
    origin = people.nik_asal.value_counts(normalize=True)
    assert origin["kecamatan_sekarang"] > 0.8 and origin["kabupaten_lain"] > 0.01
    same_kec = people.nik.str[:6] == people.kode_desa.str[:6]
    assert same_kec[people.nik_asal == "kecamatan_sekarang"].all()
    kk = pd.concat([truth["families"].no_kk, truth["families"].no_kk_dtks])
    assert kk.str.fullmatch(r"[1-9]\d{15}").all() and kk.str[:6].map(wilayah.is_known_kecamatan).all()
    assert truth["families"].no_kk.is_unique
    assert (truth["families"].no_kk != truth["families"].no_kk_dtks).mean() > 0.02  # KK is a weak key


# ---------------------------------------------------------------------------------------------- defects


def test_defects_present_at_roughly_the_requested_rates(ntb, truth):
    d = truth["defects"]
    dtsen = d.file.str.contains("/dtsen/")
    counts = d[~dtsen].defect.value_counts()  # the regency's own lists; DTSEN extracts below
    totals = ntb["summary"].totals
    rows = totals["dtks"] + totals["p3ke"] + totals["p3ke_keluarga"] + totals["intervensi"]
    nik_cells = rows  # one NIK-like column per sheet (nik or nik_kepala_keluarga)
    for name in ("nik_missing", "nik_transposed", "nik_typo"):
        rate = counts[name] / nik_cells
        assert 0.5 * DEFAULT_DEFECT_RATES[name] < rate < 1.6 * DEFAULT_DEFECT_RATES[name], (name, rate)
    numbers = counts["nik_excel_number"] / (nik_cells + totals["dtks"] + totals["p3ke_keluarga"]
                                            + totals["intervensi"])
    assert 0.6 * DEFAULT_DEFECT_RATES["nik_excel_number"] < numbers < 1.5 * DEFAULT_DEFECT_RATES["nik_excel_number"]
    person_rows = totals["dtks"] + totals["p3ke"] + totals["intervensi"]
    for name in ("name_title", "name_variant"):
        rate = counts[name] / (person_rows + totals["p3ke_keluarga"])
        assert 0.6 * DEFAULT_DEFECT_RATES[name] < rate < 1.5 * DEFAULT_DEFECT_RATES[name], (name, rate)
    dup = counts["duplicate_row"] / rows
    assert 0.5 * DEFAULT_DEFECT_RATES["duplicate_row"] < dup < 1.6 * DEFAULT_DEFECT_RATES["duplicate_row"]
    for name in ("date_day_month_swapped", "placeholder_birth_date", "other_regency_row", "title_rows",
                 "header_variant", "kode_dotted_row", "csv_dialect_variant", "date_format_variant"):
        assert counts.get(name, 0) > 0, name
    # DTSEN is matched to Dukcapil on NIK: its NIK cells are damaged ten times less often.
    in_dtsen = d[dtsen].defect.value_counts()
    dtsen_rows = 2 * (totals["dtsen"] + totals["dtsen_keluarga"])  # two quarterly extracts
    nik_rate = sum(in_dtsen.get(n, 0) for n in ("nik_missing", "nik_transposed", "nik_typo")) / dtsen_rows
    own_rate = sum(counts[n] for n in ("nik_missing", "nik_transposed", "nik_typo")) / nik_cells
    assert nik_rate < 0.25 * own_rate, (nik_rate, own_rate)


def _assert_cell_defects_in_files(manifest: dict, grids: dict, d: pd.DataFrame) -> int:
    cells = d[(d.excel_row != "") & (d.column != "") & (d.defect != "header_variant")]
    files = {f["path"]: f for f in manifest["files"]}
    for row in cells.itertuples():
        info = files[row.file]
        sheet = next(s for s in info["sheets"] if (s["name"] or "") == row.sheet)
        grid = grids[(row.file, row.sheet)]
        line = grid[int(row.excel_row) - 1]
        j = list(sheet["headers"]).index(row.column)
        assert sheet["headers"][row.column] == row.header
        cell = line[j] if j < len(line) else ""
        assert cell == row.written, (row.file, row.excel_row, row.column, row.defect, cell, row.written)
        # An xlsx number cell may show the same digits (16th digit already 0): its type is the defect.
        if row.defect != "other_regency_row" and not (row.defect == "nik_excel_number" and info["format"] == "xlsx"):
            assert row.original != row.written
    return len(cells)


def test_every_recorded_cell_defect_is_in_the_file(ntb, grids, truth):
    d = truth["defects"]
    assert _assert_cell_defects_in_files(ntb["manifest"], grids, d) > 3000
    # Excel-number NIKs: a NUMERIC cell in xlsx (16th digit lost), 9.17...E+15 or ...0 in CSV.
    numbers = d[d.defect == "nik_excel_number"]
    assert numbers.written.str.fullmatch(r"\d{15}0|\d\.\d{14}E\+15").all()
    assert (numbers.original.str[:15] == numbers.written.str.replace(".", "").str[:15]).all()
    xlsx_numbers = numbers[numbers.file.str.endswith(".xlsx")]
    assert len(xlsx_numbers) and xlsx_numbers.written.str.fullmatch(r"\d{15}0").all()
    swapped = d[d.defect == "nik_transposed"]
    assert len(swapped) and (swapped.original.map(sorted) == swapped.written.map(sorted)).all()
    dups = d[d.defect == "duplicate_row"]
    for row in dups.head(200).itertuples():
        grid = grids[(row.file, row.sheet)]
        assert grid[int(row.excel_row) - 1] == grid[int(row.original) - 1]


def test_truth_rows_point_at_the_right_records(ntb, grids, truth):
    ind, people, d = truth["individu"], truth["people"], truth["defects"]
    nik_of = dict(zip(people.person_id.astype(str), people.nik, strict=True))
    damaged = set(zip(d.file, d.excel_row, d.column))
    files = {f["path"]: f for f in ntb["manifest"]["files"]}
    id_column = {"dtks": "id_dtks", "p3ke": "id_individu_p3ke", "dtsen": "id_individu_dtsen"}
    checked = 0
    for (path, sheet_name), group in ind.groupby(["file", "sheet"]):
        info = files[path]
        sheet = next(s for s in info["sheets"] if (s["name"] or "") == sheet_name)
        grid = grids[(path, sheet_name)]
        assert len(group) == sheet["rows"] == len(grid) - sheet["header_row"]
        niks = _column(grid, sheet, "nik")
        ids = _column(grid, sheet, id_column[info["jenis"]]) if info["jenis"] in id_column else None
        first = sheet["header_row"] + 1
        for row in group.itertuples():
            i = int(row.excel_row) - first
            if (path, row.excel_row, "nik") not in damaged and row.person_id in nik_of:  # an earlier extract
                assert niks[i] == nik_of[row.person_id], (path, row.excel_row)
                checked += 1
            if ids is not None:
                assert ids[i] == row.record_id
            else:
                assert row.record_id == f"{Path(path).name}:{row.excel_row}" and row.kode_program
    assert checked > 0.95 * len(ind)
    # P3KE family rows and DTKS family cards.
    kel = truth["keluarga"]
    head_nik = dict(zip(people.family_id[people.hubungan_keluarga == "Kepala Keluarga"].astype(str),
                        people.nik[people.hubungan_keluarga == "Kepala Keluarga"], strict=True))
    for path, group in kel[kel.source == "p3ke"].groupby("file"):
        sheet = files[path]["sheets"][0]
        grid = grids[(path, sheet["name"])]
        ids, heads = _column(grid, sheet, "id_keluarga_p3ke"), _column(grid, sheet, "nik_kepala_keluarga")
        for row in group.itertuples():
            i = int(row.excel_row) - sheet["header_row"] - 1
            assert ids[i] == row.family_key
            if (path, row.excel_row, "nik_kepala_keluarga") not in damaged:
                assert heads[i] == head_nik[row.family_id]
    dtks_fam = kel[kel.source == "dtks"]
    assert dtks_fam.family_id.nunique() == len(dtks_fam)
    assert set(ind[ind.source == "dtks"].family_id) == set(dtks_fam.family_id)


def test_files_open_with_pandas_and_openpyxl(ntb):
    import openpyxl

    for f in ntb["manifest"]["files"]:
        path = ntb["out"] / f["path"]
        for s in f["sheets"]:
            if f["format"] == "csv":
                frame = pd.read_csv(path, sep=f["delimiter"], encoding=f["encoding"], skiprows=s["header_row"] - 1,
                                    dtype=str, keep_default_na=False)
            else:  # openpyxl for the smaller regencies (it is slow), calamine for all
                engine = "openpyxl" if f["kode_kab"] in ("5205", "5207", "5272") else "calamine"
                frame = pd.read_excel(path, sheet_name=s["name"], header=s["header_row"] - 1, dtype=str,
                                      engine=engine)
            assert list(frame.columns) == list(s["headers"].values()), f["path"]
            assert len(frame) == s["rows"], f["path"]
    book = openpyxl.load_workbook(ntb["out"] / next(f["path"] for f in ntb["manifest"]["files"]
                                                    if f["jenis"] == "p3ke"), read_only=True)
    assert book.sheetnames == list(P3KE_SHEETS.values())


def test_fast_xlsx_writer_matches_xlsxwriter(tmp_path):
    import openpyxl

    kinds = np.array([STR, NUM, EMPTY, DATE, STR], dtype=np.int8)
    text = np.array(["A & <B>", "9171012345678900", "", "45000", "Ma’ruf André"], dtype=object)
    sheets = [Sheet("Anggota Keluarga", ["NIK", "x"], [Column(text, kinds), Column(text.copy())],
                    ["JUDUL", ""]), Sheet("Keluarga", ["n"], [Column(np.array(["1", "2"], dtype=object), NUM)])]
    values = {}
    for engine in ("fast", "xlsxwriter"):
        write_xlsx(tmp_path / f"{engine}.xlsx", sheets, engine=engine)
        book = openpyxl.load_workbook(tmp_path / f"{engine}.xlsx")
        values[engine] = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}
    assert values["fast"] == values["xlsxwriter"]
    assert values["fast"]["Anggota Keluarga"][4][0] == 9171012345678900  # row 5: a NUMERIC cell


def test_generator_files_identical_with_the_xlsxwriter_engine(tmp_path):
    import openpyxl

    for engine in ("fast", "xlsxwriter"):
        generate_province(tmp_path / engine, province="52", scale=0.001, seed=3, period=PERIOD, xlsx_engine=engine)
    paths = sorted(p.relative_to(tmp_path / "fast") for p in (tmp_path / "fast" / "inbox").rglob("*.xlsx"))
    assert paths
    for rel in paths[:6]:
        a = openpyxl.load_workbook(tmp_path / "fast" / rel)
        b = openpyxl.load_workbook(tmp_path / "xlsxwriter" / rel)
        assert a.sheetnames == b.sheetnames
        for name in a.sheetnames:
            assert list(a[name].iter_rows(values_only=True)) == list(b[name].iter_rows(values_only=True))


def test_sheets_beyond_the_excel_row_limit(tmp_path, monkeypatch):
    from satudata_dev.generate import params

    monkeypatch.setattr(params, "EXCEL_MAX_ROWS", 300)
    generate_province(tmp_path, province="52", scale=0.002, seed=2, period=PERIOD)
    t = tmp_path / "truth" / PERIOD
    manifest = json.loads((t / "manifest.json").read_text(encoding="utf-8"))
    big = [f for f in manifest["files"] if f["jenis"] == "p3ke" and len(f["sheets"]) > 2]
    assert big and big[0]["sheets"][2]["name"] == "Anggota Keluarga 2"
    assert all(s["header_row"] + s["rows"] <= 300 for f in big for s in f["sheets"])
    dtks = {f["kode_kab"]: f for f in manifest["files"] if f["jenis"] == "dtks"}
    assert all(f["format"] == "csv" for f in dtks.values() if f["sheets"][0]["rows"] > 290)
    grids = {(f["path"], s["name"] or ""): _read_grid(tmp_path, f, s) for f in big for s in f["sheets"]}
    d = pd.read_csv(t / "defects.csv", dtype=str, keep_default_na=False)
    assert _assert_cell_defects_in_files(manifest, grids, d[d.file.isin([f["path"] for f in big])]) > 0
    ind = pd.read_csv(t / "individu.csv", dtype=str, keep_default_na=False)
    part2 = ind[ind.sheet == "Anggota Keluarga 2"]
    assert len(part2) and part2.excel_row.astype(int).min() == big[0]["sheets"][2]["header_row"] + 1


def test_zero_rates_give_clean_canonical_files(tmp_path):
    rates = dict.fromkeys(DEFAULT_DEFECT_RATES, 0.0)
    generate_province(tmp_path, province="52", scale=0.002, seed=4, period=PERIOD, defect_rates=rates)
    t = tmp_path / "truth" / PERIOD
    assert pd.read_csv(t / "defects.csv").empty
    manifest = json.loads((t / "manifest.json").read_text(encoding="utf-8"))
    people = pd.read_parquet(t / "people.parquet")
    nik_of = dict(zip(people.person_id.astype(str), people.nik, strict=True))
    ind = pd.read_csv(t / "individu.csv", dtype=str, keep_default_na=False)
    for f in manifest["files"]:
        assert not f["title_lines"] and f["date_format"] == "YYYY-MM-DD" and f["kode_format"] == "plain"
        assert f["encoding"] in (None, "utf-8") and f["delimiter"] in (None, ",")
        for s in f["sheets"]:
            assert all(k == v for k, v in s["headers"].items())
            grid = _read_grid(tmp_path, f, s)
            if "nik" in s["headers"]:
                rows = ind[(ind.file == f["path"]) & (ind.sheet == (s["name"] or ""))]
                niks = _column(grid, s, "nik")
                assert [nik_of[p] for p in rows.person_id] == niks
            if "kode_desa" in s["headers"]:
                assert all(c.startswith(f["kode_kab"]) for c in _column(grid, s, "kode_desa"))
    with pytest.raises(ValueError, match="unknown defect"):
        generate_province(tmp_path, scale=0.001, period=PERIOD, defect_rates={"nik_typos": 0.1})


# ---------------------------------------------------------------------------------------------- content


def test_priority_groups_and_programmes(ntb, grids, truth):
    people, families, ind = truth["people"], truth["families"], truth["individu"]
    assert people.lansia_tunggal.sum() > 100 and people.kepala_keluarga_perempuan.sum() > 500
    assert people.disabilitas.sum() > 100 and people.pekerja_migran.sum() > 100
    alone = people[people.lansia_tunggal]
    assert (alone.hubungan_keluarga == "Kepala Keluarga").all()
    dtks = next(f for f in ntb["manifest"]["files"] if f["jenis"] == "dtks")
    sheet = dtks["sheets"][0]
    grid = grids[(dtks["path"], sheet["name"] or "")]
    assert PEKERJAAN_PEKERJA_MIGRAN in _column(grid, sheet, "pekerjaan")
    assert {"Ya", "Tidak"} == set(_column(grid, sheet, "disabilitas"))
    # Targeting errors: desil 1 with nothing, desil 4 and unregistered recipients, BLT DD overlap.
    d1 = families[families.desil == 1]
    assert 0.04 < (d1.programmes == "").mean() < 0.3
    pkh = families[families.programmes.str.contains("PKH")]
    assert (pkh.desil == 4).any() and (pkh.kategori == "tidak_terdaftar").any()
    blt = families.programmes.str.contains("BLT_DD")
    assert (blt & families.programmes.str.contains("PKH|BPNT")).any()
    # Family programmes name the head; PBI JK names every person.
    rec = ind[ind.source == "intervensi"].merge(people[["person_id", "hubungan_keluarga"]].astype(str),
                                               on="person_id", how="left")
    assert (rec[rec.kode_program == "PKH"].hubungan_keluarga == "Kepala Keluarga").all()
    assert (rec[rec.kode_program == "PBI_JK"].hubungan_keluarga != "Kepala Keluarga").any()
    assert rec.hubungan_keluarga.notna().all()
    # Distribution dates inside the period month.
    for f in ntb["manifest"]["files"]:
        if f["jenis"] == "intervensi" and f["date_format"] == "DD-MM-YYYY":
            s = f["sheets"][0]
            dates = set(_column(grids[(f["path"], s["name"] or "")], s, "tanggal_salur"))
            assert all(x.endswith("-11-2026") for x in dates)


def test_names_have_regional_character(truth):
    people = truth["people"]
    lombok = people[people.kode_kab.isin(["5201", "5202", "5203", "5208"])].nama
    bima = people[people.kode_kab.isin(["5205", "5206", "5272"])].nama
    assert lombok.str.startswith(("Lalu ", "Baiq ")).mean() > 0.01
    assert lombok.str.startswith(("Amaq ", "Inaq ")).mean() > 0.01
    assert bima.str.startswith(("Lalu ", "Amaq ")).mean() < 0.01
    assert people.nama.str.split().str.len().between(1, 4).all()
    assert people[people.kode_kab == "5271"].nama.str.startswith(("I ", "Ni ")).mean() > 0.05
    for pool in gnames._POOLS.values():
        for name in pool:
            name.encode("cp1252")  # CSV files in cp1252 must be able to hold every name


def test_period_drift_shows_graduation(tmp_path):
    a = generate_province(tmp_path, province="52", scale=0.005, seed=8, period="2026-01")
    b = generate_province(tmp_path, province="52", scale=0.005, seed=8, period="2027-06")
    assert a.totals["files"] == b.totals["files"]
    fa = pd.read_parquet(tmp_path / "truth" / "2026-01" / "families.parquet").set_index("family_id")
    fb = pd.read_parquet(tmp_path / "truth" / "2027-06" / "families.parquet").set_index("family_id")
    common = fa.index.intersection(fb.index)
    left = fa.in_p3ke & ~fb.in_p3ke.reindex(fa.index, fill_value=False)
    assert left.sum() > 5  # graduated or left P3KE
    both = common[fa.loc[common].in_p3ke & fb.loc[common].in_p3ke]
    assert (fa.loc[both].desil != fb.loc[both].desil).sum() > 5
    assert len(fb.index.difference(fa.index)) > 5  # new families
    pa_, pb = (pd.read_parquet(tmp_path / "truth" / p / "people.parquet").set_index("person_id")
               for p in ("2026-01", "2027-06"))
    same = pa_.index.intersection(pb.index)
    assert (pa_.loc[same].nik == pb.loc[same].nik).all() and len(same) > 0.9 * len(pa_)
    assert (tmp_path / "inbox" / "5201" / "p3ke" / "p3ke_5201_2026-01.xlsx").is_file()


def test_province_with_retired_codes_and_without_local_programme(tmp_path):
    # Papua (91) lost kecamatan to the 2022 split: older people's NIKs may carry retired codes.
    summary = generate_province(tmp_path, province="91", scale=0.02, seed=1, period=PERIOD)
    people = pd.read_parquet(tmp_path / "truth" / PERIOD / "people.parquet")
    wilayah = Wilayah.load()
    old = people[people.nik_asal == "kode_lama"]
    assert len(old) > 0
    assert not old.nik.str[:6].map(lambda k: wilayah.exists(k)).any()
    assert old.nik.str[:6].map(wilayah.is_known_kecamatan).all()
    programmes = {f.split("/")[-1].split("_9")[0] for f in summary.files if "/intervensi/" in f}
    assert "JPS_GEMILANG" not in programmes and "PKH" in programmes


def test_bad_arguments():
    with pytest.raises(ValueError, match="YYYY-MM"):
        generate_province("unused", period="2026-13")
    with pytest.raises(ValueError, match="province"):
        generate_province("unused", province="99", period=PERIOD)


def test_a_subset_of_regencies_gets_the_same_files_as_in_the_whole_province(tmp_path):
    """`make demo` generates a few regencies of NTB: each of them must be what the whole province's run writes
    for it (the same bytes), and a code that is no regency of the province is refused by name."""
    def files(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((root / "inbox").rglob("*")) if p.is_file()}

    generate_province(tmp_path / "all", province="52", scale=0.002, seed=7, period=PERIOD)
    summary = generate_province(tmp_path / "some", province="52", scale=0.002, seed=7, period=PERIOD,
                                regencies=["5202", "5272"])
    some, whole = files(tmp_path / "some"), files(tmp_path / "all")
    assert {path.split("/")[1] for path in some} == {"5202", "5272"} == set(summary.counts)
    assert some == {path: digest for path, digest in whole.items() if path.split("/")[1] in {"5202", "5272"}}
    with pytest.raises(ValueError, match="3201"):
        generate_province(tmp_path / "other", province="52", scale=0.002, seed=7, period=PERIOD, regencies=["3201"])
