"""`satudata link LEFT RIGHT`: two hand-made lists whose truth is known, real files, real Splink, no mocks.

The left list is a DTKS-like CSV (`;`, Windows-1252, headers "No", "NIK", "No. KK", "Nama Lengkap",
"Tgl Lahir", "JK", "Kode Desa", "Alamat"); the right one a programme list, written twice with the same
people: an XLSX with title rows above the header (other header spellings, Excel date cells) and a Parquet
file with the canonical names. Both sides number their rows 1, 2, 3 ... so equal ids name different people.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from satudata.cli import main
from satudata.linkage.files import PersonListError, load_person_list, read_person_list
from satudata.linkage.pairs import OUTPUT_COLUMNS, link_lists

# its module fixtures are built once: the module's tests stay on one worker
pytestmark = pytest.mark.xdist_group("harmonise/test_files")


REPO = Path(__file__).resolve().parents[2]
DESA_A, DESA_B, DESA_C = "5201012001", "5201012002", "5201022003"
KK1, KK2, KK3, KK4 = "5201010101100001", "5201010101100002", "5201010202110003", "5201010303120004"
KK5, KK6, KK7, KK8 = "5201020404130005", "5201020505140006", "5201010606150007", "5201010707160008"


def nik(kec: str, born: str, sex: str, serial: int) -> str:
    """A well-formed NIK: kecamatan, birth date (day + 40 for women), serial."""
    day, month, year = int(born[8:10]), born[5:7], born[2:4]
    return f"{kec}{day + (40 if sex == 'P' else 0):02d}{month}{year}{serial:04d}"


# key, name, birth date, sex, KK, desa, NIK -- the people behind both lists.
PEOPLE = {
    "P01": ("Ahmad Fauzi", "1975-08-17", "L", KK1, DESA_A, 1),
    "P02": ("Siti Aminah", "1978-02-05", "P", KK1, DESA_A, 2),
    "P03": ("Nur Aini", "2001-05-12", "P", KK1, DESA_A, 3),
    "P04": ("Nur Aina", "2002-05-21", "P", KK1, DESA_A, 4),
    "P05": ("Rizki Ramadhan", "2010-09-01", "L", KK1, DESA_A, 5),
    "P06": ("Made Sudarsana", "1968-12-30", "L", KK2, DESA_A, 6),
    "P07": ("Ni Luh Putu Ariani", "1970-06-14", "P", KK2, DESA_A, 7),
    "P08": ("Lalu Muhammad Zainuddin", "1960-03-03", "L", KK3, DESA_B, 8),
    "P09": ("Baiq Sri Wahyuni", "1985-10-25", "P", KK3, DESA_B, 9),
    "P10": ("Muhammad Yusuf", "1982-04-09", "L", KK4, DESA_B, 10),
    "P11": ("Siti Rahmawati", "1988-03-07", "P", KK4, DESA_B, 11),
    "P12": ("Ketut Wirawan", "1990-11-11", "L", KK5, DESA_C, 12),
    "P13": ("Wayan Sukerta", "1955-07-01", "L", KK6, DESA_C, 13),
    "P14": ("Fatimah Zahra", "1972-09-19", "P", KK6, DESA_C, 14),
    "P15": ("Ma\u2019ruf Hidayat", "1980-01-23", "L", KK5, DESA_C, 15),
    "P16": ("Rizal Ramadhan", "2011-08-20", "L", KK1, DESA_A, 16),
    "P17": ("Sumarni", "1965-05-05", "P", KK7, DESA_A, 17),
    "P18": ("Hendra Gunawan", "1993-09-09", "L", KK8, DESA_B, 18),
    "P19": ("I Gede Arya Putra", "1999-01-01", "L", KK2, DESA_A, 19),
    "P20": ("Rahmat Hidayat", "1987-06-30", "L", KK7, DESA_A, 20),
    "P21": ("Sri Mulyani", "1991-12-03", "P", KK8, DESA_B, 21),
    "P22": ("Abdul Karim", "1958-02-28", "L", KK3, DESA_B, 22),
    "P23": ("Nengah Sudiarta", "1976-04-16", "L", KK6, DESA_C, 23),
    "P24": ("Dewi Sartika", "1994-08-08", "P", KK8, DESA_B, 24),
}
KEC = {DESA_A: "520101", DESA_B: "520101", DESA_C: "520102"}


def person(key: str, **changes) -> dict:
    name, born, sex, kk, desa, serial = PEOPLE[key]
    row = {"key": key, "nik": nik(KEC[desa], born, sex, serial), "no_kk": kk, "nama": name,
           "tanggal_lahir": born, "jenis_kelamin": sex, "kode_desa": desa, "alamat": f"Dusun {desa[-1]}"}
    row.update(changes)
    return row


# Left: a DTKS-like register. P03/P04 are sisters (KK1, a year apart, "Nur Aini"/"Nur Aina");
# P05 has a brother (P16) who is only on the right.
LEFT = [
    person("P01"), person("P02"), person("P03"), person("P04"), person("P05"), person("P06"), person("P07"),
    person("P08"), person("P09"), person("P10"), person("P11"), person("P12"), person("P13"),
    person("P14"), person("P15"), person("P17"), person("P19"), person("P20"), person("P21"),
    person("P22"), person("P23"), person("P24", nik=""),
]
# Right: a programme list. Spelled and filled the way another office would.
RIGHT = [
    person("P18"),                                                            # only on the right
    person("P01", nama="AHMAD FAUZI", jenis_kelamin="Laki-laki"),
    person("P02", no_kk="", jenis_kelamin="Perempuan"),
    person("P04", nik=""),                                                    # sister: no NIK here
    person("P06"), person("P07", nama="Ni Luh Ariani"),
    person("P08", nama="L. M. Zainuddin"), person("P09"),
    person("P10", nik="", nama="H. Muhamad Yusup"),                           # title + variant spelling
    person("P11", nik="", tanggal_lahir="1988-07-03"),                        # day and month swapped
    person("P12", nik=nik("520102", "1990-11-11", "L", 21)),                  # NIK typo (serial 0012 -> 0021)
    person("P13"), person("P14", nama="Hj. Fatimah Zahrah"), person("P15", nama="Maruf Hidayat"),
    person("P16", nik=""),                                                    # P05's brother, no NIK
    person("P19", nama="I Gd Arya Putra"), person("P20"), person("P21"), person("P22"), person("P23"),
    person("P24"),                                                            # NIK only on this side
]
LEFT_ID = {row["key"]: str(i) for i, row in enumerate(LEFT, start=1)}
RIGHT_ID = {row["key"]: str(i) for i, row in enumerate(RIGHT, start=1)}
PROBABILISTIC = {"P04", "P10", "P11", "P12", "P24"}
TRUTH = sorted(set(LEFT_ID) & set(RIGHT_ID))  # the people on both lists, each a pair
NEVER = [("P03", "P04"), ("P05", "P16")]  # siblings: left key, right key


def _dmy(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def write_left_csv(path: Path) -> Path:
    lines = ["No;NIK;No. KK;Nama Lengkap;Tgl Lahir;JK;Kode Desa;Alamat"]
    for i, r in enumerate(LEFT, start=1):
        desa = f"{r['kode_desa'][:2]}.{r['kode_desa'][2:4]}.{r['kode_desa'][4:6]}.{r['kode_desa'][6:]}"
        lines.append(";".join([str(i), r["nik"], r["no_kk"], r["nama"], _dmy(r["tanggal_lahir"]),
                               r["jenis_kelamin"], desa, r["alamat"]]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def write_right_xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Penerima")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "DAFTAR PENERIMA BLT DANA DESA TAHUN 2026")
    sheet.write(1, 0, "Desa Contoh, Kecamatan Contoh")
    header = ["ID Penerima", "Nomor Induk Kependudukan", "Nomor KK", "Nama Penerima", "Tanggal Lahir", "L/P",
              "Kode Wilayah", "Alamat Lengkap", "Keterangan"]
    sheet.write_row(3, 0, header)
    for i, r in enumerate(RIGHT, start=1):
        row = 3 + i
        sheet.write_number(row, 0, i)
        if r["nik"]:
            sheet.write_string(row, 1, r["nik"])
        if r["no_kk"]:
            sheet.write_string(row, 2, r["no_kk"])
        sheet.write_string(row, 3, r["nama"])
        if i % 4:  # most dates are real Excel dates, some typed as text
            sheet.write_datetime(row, 4, dt.datetime.fromisoformat(r["tanggal_lahir"]), date)
        else:
            sheet.write_string(row, 4, _dmy(r["tanggal_lahir"]))
        sheet.write_string(row, 5, r["jenis_kelamin"])
        sheet.write_number(row, 6, int(r["kode_desa"]))
        sheet.write_string(row, 7, r["alamat"])
        sheet.write_string(row, 8, "")
    sheet.write(4 + len(RIGHT) + 1, 3, f"Jumlah penerima: {len(RIGHT)}")
    book.close()
    return path


def write_right_parquet(path: Path) -> Path:
    table = pa.table({
        "id": [RIGHT_ID[r["key"]] for r in RIGHT],
        "nik": [r["nik"] or None for r in RIGHT],
        "no_kk": [r["no_kk"] or None for r in RIGHT],
        "nama": [r["nama"] for r in RIGHT],
        "tanggal_lahir": pa.array([dt.date.fromisoformat(r["tanggal_lahir"]) for r in RIGHT], pa.date32()),
        "jenis_kelamin": [r["jenis_kelamin"] for r in RIGHT],
        "kode_desa": [r["kode_desa"] for r in RIGHT],
    })
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module")
def lists(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("link")
    return {"left": write_left_csv(folder / "dtks.csv"), "xlsx": write_right_xlsx(folder / "penerima.xlsx"),
            "parquet": write_right_parquet(folder / "penerima.parquet"), "folder": folder}


def expected_pairs() -> set[tuple[str, str]]:
    return {(LEFT_ID[k], RIGHT_ID[k]) for k in TRUTH}


def check_pairs(pairs: pd.DataFrame) -> None:
    assert list(pairs.columns) == list(OUTPUT_COLUMNS)
    assert pairs["left_id"].is_unique and pairs["right_id"].is_unique  # one-to-one
    found = set(zip(pairs["left_id"], pairs["right_id"], strict=True))
    by_key = {v: k for k, v in LEFT_ID.items()}
    wrong = {(by_key[a], b) for a, b in found - expected_pairs()}
    missed = {k for k in TRUTH if (LEFT_ID[k], RIGHT_ID[k]) not in found}
    assert not wrong and not missed, f"wrong pairs {wrong}, missed {missed}\n{pairs.to_string()}"
    for left_key, right_key in NEVER:
        assert (LEFT_ID[left_key], RIGHT_ID[right_key]) not in found
    methods = dict(zip(pairs["left_id"], pairs["match_method"], strict=True))
    for key in TRUTH:
        assert methods[LEFT_ID[key]] == ("probabilistic" if key in PROBABILISTIC else "nik"), key
    assert pairs["match_probability"].between(0, 1).all()
    assert pairs["match_reason"].str.len().gt(0).all()
    assert [int(i) for i in pairs["left_id"]] == sorted(int(i) for i in pairs["left_id"])


def read_pairs(path: Path) -> pd.DataFrame:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return pd.read_csv(path, dtype={"left_id": str, "right_id": str}, encoding="utf-8-sig")


# ---------------------------------------------------------------------------------------------- reading


def test_reads_csv_with_aliases_semicolon_and_cp1252(lists):
    people = load_person_list(lists["left"])
    assert (people.format, people.delimiter, people.encoding, people.header_row) == ("csv", ";", "cp1252", 1)
    frame = people.frame
    assert list(frame.columns) == ["id", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa",
                                   "alamat"]
    assert frame["id"].tolist() == [str(i) for i in range(1, len(LEFT) + 1)]
    assert frame.loc[0, "nik"] == LEFT[0]["nik"] and frame.loc[0, "tanggal_lahir"] == "17/08/1975"
    assert frame.loc[LEFT.index(person("P15")), "nama"] == "Ma\u2019ruf Hidayat"  # cp1252 byte 0x92
    assert frame.loc[0, "kode_desa"] == DESA_A  # "52.01.01.2001" written with dots
    assert pd.isna(frame.loc[len(LEFT) - 1, "nik"])  # P24 has no NIK on the left
    assert not people.nik_flagged.any()


def test_reads_xlsx_below_title_rows_with_excel_dates(lists):
    people = load_person_list(lists["xlsx"])
    assert (people.format, people.sheet, people.header_row) == ("xlsx", "Penerima", 4)
    assert people.column_map["ID Penerima"] == "id" and people.column_map["L/P"] == "jenis_kelamin"
    assert people.unmapped_columns == ["Keterangan"]
    frame = people.frame
    assert len(frame) == len(RIGHT) and people.skipped_rows == 2  # a blank row, then "Jumlah penerima: 21"
    assert frame["id"].tolist() == [str(i) for i in range(1, len(RIGHT) + 1)]
    assert frame.loc[0, "tanggal_lahir"] == "1993-09-09"  # an Excel date cell, as ISO text
    assert frame.loc[3, "tanggal_lahir"] == _dmy(RIGHT[3]["tanggal_lahir"])  # typed text stays as typed
    assert frame.loc[0, "kode_desa"] == DESA_B and frame.loc[0, "nik"] == RIGHT[0]["nik"]
    assert all(isinstance(v, str) for v in frame["nik"].dropna())


def test_reads_parquet(lists):
    frame = read_person_list(lists["parquet"])
    assert list(frame.columns) == ["id", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa"]
    assert frame.loc[0, "tanggal_lahir"] == "1993-09-09" and frame.loc[0, "nik"] == RIGHT[0]["nik"]


def test_nik_stored_as_excel_number_is_kept_but_untrusted(tmp_path):
    path = tmp_path / "angka.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["ID", "NIK", "Nama", "No KK"])
    sheet.write_row(1, 0, ["a1", 5201011708750001, "Ahmad", 5201010101100001])
    sheet.write_row(2, 0, ["a2", "5201014502780002", "Siti", "5201010101100001"])
    sheet.write_row(3, 0, ["a3", "5.20101E+15", "Budi", ""])
    book.close()
    people = load_person_list(path)
    assert people.frame["nik"].tolist()[:2] == ["5201011708750001", "5201014502780002"]
    assert pd.isna(people.frame.loc[2, "nik"])  # scientific notation: digits are gone
    assert people.nik_flagged.tolist() == [True, False, True]
    assert pd.isna(people.frame.loc[0, "no_kk"]) and people.frame.loc[1, "no_kk"] == KK1


def test_id_column_choice(tmp_path):
    path = tmp_path / "dua_id.csv"
    path.write_text("No,ID DTKS,NIK,Nama\n1,D-9,5201011708750001,Ahmad\n", encoding="utf-8")
    assert read_person_list(path)["id"].tolist() == ["D-9"]  # a real id beats the row number
    path.write_text("ID DTKS,ID Penerima,Nama\nD-9,B-1,Ahmad\n", encoding="utf-8")
    with pytest.raises(PersonListError) as err:
        read_person_list(path)
    assert err.value.code == "id_ambigu" and "'ID DTKS'" in str(err.value) and "'ID Penerima'" in str(err.value)


def test_duplicate_ids_are_named_with_their_rows(tmp_path):
    path = tmp_path / "ganda.csv"
    path.write_text("id,nik,nama\n7,,Ahmad\n8,,Siti\n7,,Budi\n9,,Dewi\n8,,Rina\n", encoding="utf-8")
    with pytest.raises(PersonListError) as err:
        read_person_list(path)
    assert err.value.code == "id_ganda"
    assert "'7' (baris 2, 4)" in str(err.value) and "'8' (baris 3, 6)" in str(err.value)


# ---------------------------------------------------------------------------------------------- linking


def test_link_command_finds_exactly_the_true_pairs(lists, capsys):
    out, review = lists["folder"] / "hasil" / "pasangan.csv", lists["folder"] / "hasil" / "ragu.csv"
    code = main(["link", str(lists["left"]), str(lists["xlsx"]), "--out", str(out), "--review", str(review)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    pairs = read_pairs(out)
    check_pairs(pairs)
    assert summary["left"]["rows"] == len(LEFT) and summary["right"]["rows"] == len(RIGHT)
    assert summary["links"] == len(TRUTH) and summary["threshold"] == 0.9
    assert summary["links_by_method"] == {"nik": len(TRUTH) - len(PROBABILISTIC),
                                          "probabilistic": len(PROBABILISTIC)}
    assert summary["left_unlinked"] == 3 and summary["right_unlinked"] == 2
    assert summary["seconds"] > 0 and summary["out"] == str(out)
    reasons = dict(zip(pairs["left_id"], pairs["match_reason"], strict=True))
    assert "tertukar" in reasons[LEFT_ID["P11"]]  # swapped day/month is named as such
    assert reasons[LEFT_ID["P12"]].startswith("NIK ") and "nama sama; tanggal lahir sama" in reasons[LEFT_ID["P12"]]
    assert list(read_pairs(review).columns) == list(OUTPUT_COLUMNS)
    # No temp files left; the model the run fitted is kept beside the pairs, to explain them later.
    assert sorted(p.name for p in out.parent.iterdir()) == ["pasangan.csv", "pasangan.csv.model.json", "ragu.csv"]
    fitted = json.loads((out.parent / "pasangan.csv.model.json").read_text(encoding="utf-8"))
    assert fitted["splink_settings"]["comparisons"] and "perbandingan_tidak_ada" in fitted["fit"]
    assert summary["model_out"] == str(out.parent / "pasangan.csv.model.json")


def test_link_as_a_subprocess_on_parquet(lists):
    out = lists["folder"] / "pasangan_parquet.csv"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "satudata.cli", "link", str(lists["left"]), str(lists["parquet"]),
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["right"]["format"] == "parquet"
    check_pairs(read_pairs(out))


def test_link_lists_threshold_one_keeps_only_nik_links(lists):
    pairs = link_lists(lists["left"], lists["parquet"], threshold=1.0)
    assert list(pairs.columns) == list(OUTPUT_COLUMNS)
    assert set(pairs["match_method"]) == {"nik"}
    assert len(pairs) == len(TRUTH) - len(PROBABILISTIC)


# ---------------------------------------------------------------------------------------------- refusals


def test_list_without_id_is_refused(lists, tmp_path, capsys):
    no_id = tmp_path / "tanpa_id.csv"
    no_id.write_text("NIK,Nama Lengkap,Tgl Lahir\n5201011708750001,Ahmad Fauzi,17-08-1975\n", encoding="utf-8")
    out = tmp_path / "pasangan.csv"
    assert main(["link", str(lists["left"]), str(no_id), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "tanpa_id.csv tidak memiliki kolom id" in err and "'Nama Lengkap'" in err
    assert not out.exists()


def test_missing_file_and_duplicate_ids_are_refused(lists, tmp_path, capsys):
    out = tmp_path / "pasangan.csv"
    assert main(["link", str(tmp_path / "tidak_ada.csv"), str(lists["left"]), "--out", str(out)]) == 1
    assert "tidak ditemukan" in capsys.readouterr().err
    twice = tmp_path / "ganda.xlsx"
    book = xlsxwriter.Workbook(str(twice))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["id", "Nama"])
    for r, (i, name) in enumerate([("A1", "Ahmad"), ("A2", "Siti"), ("A1", "Budi")], start=1):
        sheet.write_row(r, 0, [i, name])
    book.close()
    assert main(["link", str(lists["left"]), str(twice), "--out", str(out)]) == 1
    assert "'A1' (baris 2, 4)" in capsys.readouterr().err
    assert main(["link", str(lists["left"]), str(lists["xlsx"]), "--out", str(lists["left"])]) == 2
    assert not out.exists()


@pytest.mark.parametrize("value", ["0", "1.5", "-0.2", "abc", "nan"])
def test_threshold_out_of_range_is_an_error(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["link", "a.csv", "b.csv", "--out", "c.csv", "--threshold", value])
    assert exit_info.value.code == 2
    assert "ambang harus lebih dari 0 dan paling besar 1" in capsys.readouterr().err
