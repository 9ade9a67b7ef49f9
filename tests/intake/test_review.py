"""Clerical review of uncertain pairs: the workbook sent to a regency, its answers read back through the inbox,
the decisions kept with who/when, the newest one winning. Real files, real DuckDB and PostgreSQL, no mocks."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.harmonise.decisions import latest_decisions
from satudata.harmonise.review_workbook import SHEET_PETUNJUK, SHEET_REVIEW, write_review_workbook
from satudata.intake.review import ReviewFileError, read_review_decisions, store_decisions
from satudata.intake.run import IntakeOptions, list_submissions, staged_in_run
from satudata.pipeline import ingest_once
from satudata.warehouse.engine import bulk_insert

from tests.builders import KAB, aged, nik, query_rows

OPTIONS = IntakeOptions(stable_seconds=0)
PERIODE = "2026-11"
HEADER_ROW = 5  # Excel row of the machine header in the workbook we write


@pytest.fixture
def settings(tmp_path, warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=warehouse_url)
    settings.ensure_folders()
    return settings


def queue(settings: Settings, count: int, *, kab: str = KAB) -> pd.DataFrame:
    """`count` pairs D1/P1 ... in core.antrian_review (as the linker leaves them) and the frame it would pass."""
    ids = range(1, count + 1)
    queued = pd.DataFrame({
        "periode": PERIODE, "kode_kab": kab,
        "id_dtks": [f"DTKS{i:07d}" for i in ids], "id_individu_p3ke": [f"P3KE-I{i:05d}" for i in ids],
        "match_probability": [0.5 + i / 100 for i in ids], "match_weight": [1.0 * i for i in ids],
        "match_reason": ["nama mirip, tanggal lahir sama, NIK berbeda 1 angka"] * count,
        "berkas": f"{kab}/review_padanan_{PERIODE}.xlsx",
    })
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            bulk_insert(conn, "core.antrian_review", queued)
    finally:
        engine.dispose()
    pairs = queued[["id_dtks", "id_individu_p3ke", "match_probability", "match_reason"]].copy()
    pairs["nik_dtks"] = [nik(i, 5, 1980, i, False) for i in ids]
    pairs["nik_p3ke"] = [nik(i, 5, 1980, i + 1, False) for i in ids]
    pairs["no_kk_dtks"] = [f"52050101012000{i:02d}" for i in ids]
    pairs["nama_dtks"] = [f"Lalu Ahmad {i}" for i in ids]
    pairs["nama_p3ke"] = [f"L. Ahmad {i}" for i in ids]
    pairs["tanggal_lahir_dtks"] = pd.to_datetime([f"1980-05-{i:02d}" for i in ids])
    pairs["tanggal_lahir_p3ke"] = pd.NaT
    pairs["kode_desa_p3ke"] = "5205011001"
    return pairs


def review_path(settings: Settings, name: str = f"review_padanan_{PERIODE}.xlsx", kab: str = KAB) -> Path:
    return settings.folder("inbox") / kab / "review" / name


def fill(source: Path, target: Path, answers: dict[str, tuple], extra_rows: list[tuple] = ()) -> Path:
    """Open the workbook as an operator's Excel would and type answers: {id_dtks: (keputusan, oleh, catatan)}."""
    book = openpyxl.load_workbook(source)
    sheet = book[SHEET_REVIEW]
    header = [c.value for c in sheet[HEADER_ROW]]
    col = {name: header.index(name) + 1 for name in ("id_dtks", "id_individu_p3ke", "keputusan", "diperiksa_oleh",
                                                      "catatan")}
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        answer = answers.get(sheet.cell(row, col["id_dtks"]).value)
        if answer:
            for name, value in zip(("keputusan", "diperiksa_oleh", "catatan"), answer, strict=False):
                sheet.cell(row, col[name]).value = value
    for extra in extra_rows:
        row = sheet.max_row + 1
        for name, value in zip(("id_dtks", "id_individu_p3ke", "keputusan"), extra, strict=True):
            sheet.cell(row, col[name]).value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return aged(target)


def rows_of(settings: Settings, sql: str, **params) -> list[tuple]:
    return query_rows(settings.warehouse_url, sql, **params)


def latest(settings: Settings, kab: str | None = KAB) -> pd.DataFrame:
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return latest_decisions(conn, kab)
    finally:
        engine.dispose()


def only_review(settings: Settings) -> list[dict]:
    return [s for s in list_submissions(settings) if s["jenis"] == "review"]


def sheet_values(path: Path, name: str) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


# --------------------------------------------------------------------------------------------- end to end


def test_review_round_trip_through_the_inbox(settings):
    pairs = queue(settings, 5)
    sent = write_review_workbook(settings.folder("outbox") / KAB / f"review_padanan_{PERIODE}.xlsx", pairs,
                                 kode_kab=KAB, periode=PERIODE)
    returned = fill(sent, review_path(settings), {
        "DTKS0000001": ("sama", "Baiq Rahmawati", "dicek ke KK"),
        "DTKS0000002": ("Tidak",),
        "DTKS0000003": (None, "Baiq Rahmawati"),  # not decided yet: neither a decision nor a problem
        "DTKS0000004": ("mungkin",),
        "DTKS0000005": (" SAMA ",),
    }, extra_rows=[("DTKS9999999", "P3KE-I99999", "BEDA")])
    assert returned.exists()

    summary = ingest_once(settings, run_id="scan-1", options=OPTIONS)
    assert summary["by_status"] == {"partial": 1}
    (sub,) = only_review(settings)
    for jenis in ("dtks", "p3ke", "intervensi"):  # what the ingest DAG's announce_<jenis> tasks read
        assert staged_in_run(settings, jenis, "scan-1") == [], "a review file announces no staged rows"
    assert (sub["status"], sub["periode"], sub["rows_total"], sub["rows_accepted"], sub["rows_rejected"]) == (
        "partial", PERIODE, 5, 3, 2)
    assert not any(settings.folder("inbox").rglob("*.xlsx")), "the file left the inbox"
    assert list(settings.folder("archive").rglob(f"*review_padanan_{PERIODE}.xlsx")), "the original is archived"

    stored = rows_of(settings, "SELECT kode_kab, id_dtks, id_individu_p3ke, keputusan, diputuskan_oleh, "
                               "periode_review, submission_id, catatan FROM core.keputusan_review ORDER BY id_dtks")
    assert stored == [
        (KAB, "DTKS0000001", "P3KE-I00001", "sama", "Baiq Rahmawati", PERIODE, sub["submission_id"], "dicek ke KK"),
        (KAB, "DTKS0000002", "P3KE-I00002", "beda", f"operator {KAB}", PERIODE, sub["submission_id"], None),
        (KAB, "DTKS0000005", "P3KE-I00005", "sama", f"operator {KAB}", PERIODE, sub["submission_id"], None),
    ]
    when = {pd.Timestamp(w).tz_convert(UTC) for (w,) in rows_of(settings, "SELECT diputuskan_pada FROM "
                                                                          "core.keputusan_review")}
    assert when == {pd.Timestamp(sub["received_at"]).tz_convert(UTC)}, "decided when the regency returned it"

    newest = latest(settings)
    assert list(newest.columns) == ["kode_kab", "id_dtks", "id_individu_p3ke", "keputusan", "diputuskan_oleh",
                                    "diputuskan_pada", "submission_id", "catatan"]
    assert newest["keputusan"].tolist() == ["sama", "beda", "sama"]

    report = settings.folder("outbox") / sub["report"]
    assert report.exists() and report.parent.name == KAB
    assert report.name == f"{sub['submission_id']}-review-review_padanan_{PERIODE}.xlsx.laporan.xlsx"
    ringkasan = [c for row in sheet_values(report, "Ringkasan") for c in row if c is not None]
    assert "DITERIMA SEBAGIAN" in ringkasan
    masalah = sheet_values(report, "Masalah")
    by_row = {r[0]: r for r in masalah[1:]}
    problem_rows = sorted(by_row)
    assert len(problem_rows) == 2
    garbage, unknown = (by_row[r] for r in problem_rows)
    assert garbage[1:5] == ("DTKS0000004", "P3KE-I00004", "keputusan", "mungkin") and "SAMA" in garbage[5]
    assert unknown[1] == "DTKS9999999" and "tidak ada dalam antrian review" in unknown[5]
    assert unknown[0] == HEADER_ROW + 6, "the Excel row the operator sees (5 pairs, then the added row)"


def test_a_newer_file_changes_a_decision_and_history_is_kept(settings):
    pairs = queue(settings, 2)
    sent = write_review_workbook(settings.data_dir / "kirim.xlsx", pairs, kode_kab=KAB, periode=PERIODE)
    fill(sent, review_path(settings), {"DTKS0000001": ("SAMA",), "DTKS0000002": ("SAMA", "Amaq Sahnan")})
    assert ingest_once(settings, options=OPTIONS)["by_status"] == {"accepted": 1}
    fill(sent, review_path(settings, f"review_padanan_{PERIODE} revisi.xlsx"),
         {"DTKS0000001": ("BEDA", "Baiq Rahmawati", "beda ibu kandung")})
    assert ingest_once(settings, options=OPTIONS)["by_status"] == {"accepted": 1}
    first, second = only_review(settings)

    newest = latest(settings)
    picked = newest[["id_dtks", "keputusan", "diputuskan_oleh", "submission_id", "catatan"]].astype(object)
    assert picked.where(picked.notna(), None).values.tolist() == [
        ["DTKS0000001", "beda", "Baiq Rahmawati", second["submission_id"], "beda ibu kandung"],
        ["DTKS0000002", "sama", "Amaq Sahnan", first["submission_id"], None],
    ]
    assert latest(settings, None)["keputusan"].tolist() == ["beda", "sama"]
    assert latest(settings, "5201").empty
    assert rows_of(settings, "SELECT count(*) FROM core.keputusan_review") == [(3,)], "history is appended"


def test_store_decisions_keeps_only_queued_pairs_and_names_the_regency(settings):
    queue(settings, 1)
    decisions = pd.DataFrame({"baris": [6, 7], "id_dtks": ["DTKS0000001", "DTKS0000002"],
                              "id_individu_p3ke": ["P3KE-I00001", "P3KE-I00002"], "keputusan": ["sama", "beda"],
                              "diperiksa_oleh": [None, None], "catatan": [None, None]})
    engine = sa.create_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            written = store_decisions(conn, decisions, kode_kab=KAB, submission_id=41,
                                      decided_at=datetime(2026, 11, 20, 3, 0), periode_review=None)
        with engine.begin() as conn:
            assert store_decisions(conn, decisions, kode_kab="5201", submission_id=42,
                                   decided_at=datetime(2026, 11, 21, tzinfo=UTC), periode_review=None) == 0
            newest = latest_decisions(conn)
    finally:
        engine.dispose()
    assert written == 1
    assert newest[["kode_kab", "id_dtks", "keputusan", "diputuskan_oleh", "submission_id"]].values.tolist() == [
        [KAB, "DTKS0000001", "sama", f"operator {KAB}", 41]]
    assert pd.Timestamp(newest["diputuskan_pada"][0]).tz_convert(UTC) == pd.Timestamp("2026-11-20 03:00", tz=UTC)


@pytest.mark.parametrize(("case", "reason"), [("missing_columns", "review_missing_columns"),
                                               ("nothing_decided", "review_no_decisions"),
                                               ("nothing_usable", "review_no_usable_decisions")])
def test_unusable_review_files_are_rejected_with_a_reason(settings, tmp_path, case, reason):
    pairs = queue(settings, 2)
    path = review_path(settings)
    if case == "missing_columns":
        book = openpyxl.Workbook()
        book.active.append(["ID DTKS", "Nama", "Keputusan"])
        book.active.append(["DTKS0000001", "Lalu Ahmad 1", "SAMA"])
        path.parent.mkdir(parents=True)
        book.save(path)
        aged(path)
    else:
        sent = write_review_workbook(tmp_path / "kirim.xlsx", pairs, kode_kab=KAB, periode=PERIODE)
        answers = {} if case == "nothing_decided" else {"DTKS0000001": ("barangkali",)}
        fill(sent, path, answers)
    assert ingest_once(settings, options=OPTIONS)["by_status"] == {"rejected": 1}
    (sub,) = only_review(settings)
    assert (sub["status"], sub["reason"]) == ("rejected", reason)
    assert (settings.folder("outbox") / sub["report"]).exists(), "a refused file is answered too"
    assert rows_of(settings, "SELECT count(*) FROM core.keputusan_review") == [(0,)]


# --------------------------------------------------------------------------------------------- workbook


def test_workbook_keeps_nik_as_text_sorted_with_instructions(tmp_path):
    pairs = pd.DataFrame({
        "id_dtks": ["3", "1", "2"], "id_individu_p3ke": ["c", "a", "b"], "match_probability": [0.55, 0.91, 0.7],
        "match_reason": ["x", "y", "z"],
        "nik_dtks": [nik(5, 7, 1960, 1, False), None, nik(9, 9, 1965, 4, True)],
        "nik_p3ke": [nik(5, 7, 1960, 1, False), nik(6, 8, 1970, 2, True), pd.NA],
        "no_kk_p3ke": ["5205010101200001", "5205010101200002", None],
        "tanggal_lahir_dtks": pd.to_datetime(["1960-07-05", None, "1965-09-09"]),
    })  # most side columns missing: written empty
    path = write_review_workbook(tmp_path / "outbox" / KAB / f"review_padanan_{PERIODE}.xlsx", pairs,
                                 kode_kab=KAB, periode=PERIODE)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no temporary file left"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [SHEET_REVIEW, SHEET_PETUNJUK]
    sheet = book[SHEET_REVIEW]
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header[:2] == ["id_dtks", "id_individu_p3ke"] and header[-3:] == ["keputusan", "diperiksa_oleh", "catatan"]
    assert header.index("nama_dtks") < header.index("nik_p3ke") < header.index("kemiripan")
    col = {name: i + 1 for i, name in enumerate(header)}
    first = HEADER_ROW + 1
    assert [sheet.cell(r, col["id_dtks"]).value for r in range(first, first + 3)] == ["1", "2", "3"]
    for r in range(first, first + 3):
        for name in ("id_dtks", "nik_dtks", "nik_p3ke", "no_kk_p3ke"):
            cell = sheet.cell(r, col[name])
            assert cell.value is None or (cell.data_type == "s" and len(cell.value) in (1, 16)), (name, r)
    assert sheet.cell(first, col["nik_p3ke"]).value == nik(6, 8, 1970, 2, True)
    assert sheet.cell(first, col["nik_p3ke"]).data_type == "s"
    assert sheet.cell(first, col["kemiripan"]).value == pytest.approx(0.91)
    assert "%" in sheet.cell(first, col["kemiripan"]).number_format
    assert sheet.freeze_panes == f"C{first}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}")
    groups = {str(r) for r in sheet.merged_cells.ranges}
    assert {"C4:K4", "L4:T4"} <= groups and sheet["C4"].value == "DTKS" and sheet["L4"].value == "P3KE"
    validations = sheet.data_validations.dataValidation
    assert any('"SAMA,BEDA"' in (v.formula1 or "") and "W" in str(v.sqref) for v in validations)
    petunjuk = " ".join(str(c) for row in book[SHEET_PETUNJUK].iter_rows(values_only=True) for c in row if c)
    for words in ("SAMA", "BEDA", "id_dtks", "inbox/5205/review/", ".xlsx", "harmonisasi berikutnya"):
        assert words in petunjuk, words
    decisions, problems = read_review_decisions(path)
    assert decisions.empty and problems.empty


def test_workbook_without_pairs_says_so_and_reads_back_empty(tmp_path):
    path = write_review_workbook(tmp_path / "kosong.xlsx", pd.DataFrame(), kode_kab=KAB, periode=PERIODE)
    texts = [c for row in sheet_values(path, SHEET_REVIEW) for c in row if c]
    assert any("Tidak ada pasangan" in str(t) for t in texts)
    decisions, problems = read_review_decisions(path)
    assert decisions.empty and problems.empty and decisions.attrs["periode_review"] == PERIODE


# --------------------------------------------------------------------------------------------- reading


def write_csv(path: Path, rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1252", ";"), ("utf-8-sig", ","), ("utf-16", "\t")])
def test_csv_resave_with_operator_headers_is_read(tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "review_padanan_2026-11.csv", [
        ["REVIEW PADANAN DTKS – P3KE · Kabupaten Dompu (5205) · Periode: 2026-11"],
        [],
        ["ID DTKS", "ID Individu P3KE", "NIK", "Keputusan (SAMA/BEDA)", "Diperiksa  Oleh", "Catatan"],
        ["D1", "P1", "5205014708850003", "Ya", "André Ñaím", ""],
        ["D2", "P2", "", "tdk.", "", "beda orang tua"],
        ["D3", "P3", "", "", "", ""],
        ["D4", "P4", "", "Sama orang", "", ""],
    ], encoding=encoding, delimiter=delimiter)
    decisions, problems = read_review_decisions(path)
    assert problems.empty
    assert decisions.values.tolist() == [
        [4, "D1", "P1", "sama", "André Ñaím", None],
        [5, "D2", "P2", "beda", None, "beda orang tua"],
        [7, "D4", "P4", "sama", None, None],
    ]
    assert decisions.attrs["periode_review"] == "2026-11"


SPELLINGS = {
    "sama": ["SAMA", "sama", "S", "s.", "YA", "y", "Cocok", "BENAR", "Sama Orang", "1", "TRUE", " sama! "],
    "beda": ["BEDA", "b", "TIDAK", "Tidak", "T", "TDK", "Tidak Cocok", "tidak-cocok", "BUKAN", "Salah", "0",
             "FALSE"],
}


def test_decision_spellings_blanks_and_problems(tmp_path):
    rows = [["id_dtks", "id_individu_p3ke", "keputusan", "diperiksa_oleh", "catatan"]]
    expected = {}
    for answer, words in SPELLINGS.items():
        for i, word in enumerate(words):
            rows.append([f"{answer}{i}", f"p{answer}{i}", word, "", ""])
            expected[f"{answer}{i}"] = answer
    rows += [
        ["blank1", "pb1", "", "", ""],  # undecided
        ["blank2", "pb2", "  ", "Budi", "nanti"],  # undecided, even with a reviewer named
        ["odd", "podd", "mungkin", "", ""],  # not readable
        ["", "pnoid", "SAMA", "", ""],  # id missing
        ["twice", "ptwice", "SAMA", "", ""], ["twice", "ptwice", "BEDA", "", ""],  # contradicts itself
        ["again", "pagain", "SAMA", "A", ""], ["again", "pagain", "ya", "B", ""],  # same answer twice: kept once
    ]
    decisions, problems = read_review_decisions(write_csv(tmp_path / "ejaan.csv", rows))
    got = dict(zip(decisions["id_dtks"], decisions["keputusan"], strict=True))
    assert {k: got[k] for k in expected} == expected
    assert got["again"] == "sama" and decisions.loc[decisions["id_dtks"] == "again", "diperiksa_oleh"].item() == "A"
    assert not {"blank1", "blank2", "odd", "twice"} & set(got)
    n = len(rows)
    assert problems[["baris", "kolom", "nilai", "aturan"]].values.tolist() == [
        [n - 5, "keputusan", "mungkin", "keputusan_tidak_dikenal"],
        [n - 4, "id_dtks", None, "id_pasangan_kosong"],
        [n - 3, "keputusan", "SAMA", "keputusan_bertentangan"],
        [n - 2, "keputusan", "BEDA", "keputusan_bertentangan"],
    ]
    assert all(isinstance(p, str) and p for p in problems["pesan"])


def test_ids_that_excel_turned_into_numbers_are_problems(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id_dtks", "id_individu_p3ke", "keputusan"])
    sheet.append([3201012345678901, "P1", "SAMA"])  # 16 digits as a number: the last ones are lost
    sheet.append([123456, "P2", 1])  # a short numeric id is exact; 1 reads as SAMA
    sheet.append(["D3", "P3", True])
    book.save(tmp_path / "angka.xlsx")
    decisions, problems = read_review_decisions(tmp_path / "angka.xlsx")
    assert decisions[["baris", "id_dtks", "keputusan"]].values.tolist() == [[3, "123456", "sama"], [4, "D3", "sama"]]
    assert problems[["baris", "kolom", "aturan"]].values.tolist() == [[2, "id_dtks", "id_angka_excel"]]


def test_file_without_the_review_columns_raises(tmp_path):
    path = write_csv(tmp_path / "lain.csv", [["NIK", "Nama", "Keputusan"], ["5205014708850003", "A", "SAMA"]])
    with pytest.raises(ReviewFileError) as raised:
        read_review_decisions(path)
    assert raised.value.code == "review_missing_columns"
    assert raised.value.detail["kolom"] == ["id_dtks", "id_individu_p3ke"]
    pdf = tmp_path / "review.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    with pytest.raises(ReviewFileError) as raised:
        read_review_decisions(pdf)
    assert raised.value.code == "not_a_spreadsheet"
