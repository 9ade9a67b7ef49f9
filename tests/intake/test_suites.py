"""The suites of `expectations/`: checked by GX quietly and without its costliest form, and a rule that holds
only where another does (the NIK's date, where the NIK is well formed) is applied there and only there."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from satudata.config import Settings, expectations_dir
from satudata.intake.run import IntakeOptions, ingest_once
from satudata.intake.validate import CHECKED_WHERE

from tests.builders import DTKS_HEADER, KAB, dtks_rows, nik, query_rows, write_csv


def _expectations() -> list[tuple[str, dict]]:
    return [(path.name, e) for path in sorted(expectations_dir().glob("*.json"))
            for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]]


def test_no_pattern_has_a_capture_group():
    """pandas warns "This pattern is interpreted as a regular expression, and has match groups" on every
    validation of a pattern with a capturing group: the suites write (?:...)."""
    patterns = [(name, e["kwargs"]["regex"]) for name, e in _expectations() if "regex" in e["kwargs"]]
    assert patterns
    assert [(name, p) for name, p in patterns if re.compile(p).groups] == []


def test_no_suite_filters_its_rows_with_a_row_condition():
    """A GX row_condition runs a pandas query per metric (~90 ms per expectation and validation, whatever the
    rows): a conditional rule checks `<check>_jika_<where>` instead, which `validate.derive` makes."""
    assert [(name, e["meta"]["aturan"]) for name, e in _expectations() if "row_condition" in e["kwargs"]] == []
    made = {f"{check}_jika_{where}" for check, where in CHECKED_WHERE}
    named = {e["kwargs"]["column"] for _, e in _expectations() if "_jika_" in e["kwargs"].get("column", "")}
    assert named and named <= made


@pytest.fixture
def settings(tmp_path, duckdb_warehouse_url) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    settings.ensure_folders()
    return settings


def test_conditional_rules_apply_where_they_should_and_only_there(settings):
    data = dtks_rows(10)
    data[0][4] = data[0][4][:15]  # 15 digits: a format problem, nothing said of its kecamatan or date
    data[1][4] = data[1][4][:12] + "0000"  # serial 0000: a format problem too
    data[2][4] = nik(3, 4, 1980, 7, False, kec="520599")  # well formed, of no kecamatan
    data[3][4] = nik(3, 13, 1980, 8, False)  # well formed, month 13
    data[4][7] = "bukan tanggal"  # a birth date written that cannot be read
    data[5][7] = ""  # none written: nothing to read
    data[6][1] = "5205999999"  # a desa code of no desa: unknown, not outside the regency
    data[7][1] = ""  # no desa code: empty, not unknown
    write_csv(settings.folder("inbox") / KAB / "dtks" / "dtks_5205_2026-11.csv", DTKS_HEADER, data)
    ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    found: dict[int, set[str]] = {}
    for baris, aturan in query_rows(settings.warehouse_url, "SELECT baris, aturan FROM meta.validation_issue"):
        found.setdefault(baris - 2, set()).add(aturan)  # the header is line 1
    nik_rules = {"nik_format", "nik_kecamatan_tidak_dikenal", "nik_tanggal_tidak_valid"}
    assert found[0] & nik_rules == {"nik_format"}
    assert found[1] & nik_rules == {"nik_format"}
    assert found[2] & nik_rules == {"nik_kecamatan_tidak_dikenal"}
    assert found[3] & nik_rules == {"nik_tanggal_tidak_valid"}
    assert "tanggal_lahir_tidak_valid" in found[4]
    assert "tanggal_lahir_tidak_valid" not in found.get(5, set())
    desa_rules = {"kode_desa_kosong", "kode_desa_tidak_dikenal", "kode_desa_luar_kabupaten"}
    assert found[6] & desa_rules == {"kode_desa_tidak_dikenal"}
    assert found[7] & desa_rules == {"kode_desa_kosong"}
    assert not any(found.get(row, set()) for row in (8, 9))


def _issues_of(settings, data) -> list[tuple]:
    write_csv(settings.folder("inbox") / KAB / "dtks" / "dtks_5205_2026-11.csv", DTKS_HEADER, data)
    ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    return sorted(query_rows(settings.warehouse_url, "SELECT baris, coalesce(kolom, ''), aturan, tingkat "
                                                     "FROM meta.validation_issue"))


def _rows_with_every_problem() -> list[list[str]]:
    """A DTKS file of 40 rows with a problem of a different kind in each of its first eleven."""
    data = dtks_rows(40)
    data[0][4] = data[0][4][:15]  # NIK format
    data[1][3] = "5205010101200000"  # KK serial 0000
    data[2][5] = "1234"  # a name of digits
    data[3][6] = "P" if data[3][6] == "L" else "L"  # sex other than the NIK's
    data[4][7] = "01-01-1999"  # birth date other than the NIK's
    data[5][1] = "5205999999"  # desa of no desa
    data[6][8] = "Tetangga"  # no such relation
    data[7] = list(data[8])  # a row twice
    data[9][4] = ""  # no NIK
    data[10][6] = "X"  # no such sex
    return data


def test_gx_finds_the_same_rows_when_it_reads_text_as_categoricals(tmp_path, duckdb_warehouse_url, monkeypatch):
    """GX is given the text columns it only tests value by value as categoricals (much faster to copy, as it does
    for every metric): on a file with problems of every kind, the same rows fail the same rules as with plain
    strings, and a column compared with another column or a range is never a categorical."""
    from satudata.intake.validate import SuiteRunner

    data = _rows_with_every_problem()
    categorical = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "categorical", data)
    monkeypatch.setattr(SuiteRunner, "_for_gx", lambda self, suite, frame: frame.astype(
        {c: object for c, t in frame.dtypes.items() if str(t) == "string"}))
    plain = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "plain", data)
    assert len({aturan for _, _, aturan, _ in plain}) >= 8
    assert categorical == plain
    runner = SuiteRunner.for_folder(tmp_path / "gx")
    compared = {e["kwargs"][k] for _, e in _expectations() for k in ("column_A", "column_B") if k in e["kwargs"]}
    ranged = {e["kwargs"]["column"] for _, e in _expectations() if e["type"].endswith("_between")}
    assert compared and ranged
    assert not set().union(*runner._categorical.values()) & (compared | ranged)
    assert "nik" in runner._categorical["dtks"]


def test_gx_finds_the_same_rows_with_the_configurations_kept_for_a_validation(tmp_path, duckdb_warehouse_url,
                                                                              monkeypatch):
    """`gx_speed` keeps each expectation's configuration for the length of one validation: on a file with
    problems of every kind, the same rows fail the same rules as when GX rebuilds them at every read."""
    import contextlib

    from satudata.intake import gx_speed

    data = _rows_with_every_problem()
    kept = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "kept", data)
    monkeypatch.setattr(gx_speed, "one_validation", contextlib.nullcontext)
    rebuilt = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "rebuilt", data)
    assert gx_speed.install(), "the installed GX release is not one gx_speed was checked against"
    assert len({aturan for _, _, aturan, _ in rebuilt}) >= 7
    assert kept == rebuilt


def test_gx_finds_the_same_rows_when_a_column_is_read_without_the_others(tmp_path, duckdb_warehouse_url,
                                                                         monkeypatch):
    """`gx_speed` gives a column's metrics that column alone (GX copied every column of the batch to drop a
    column's empty rows, then to take its failing rows): the same rows fail the same rules as with the whole
    batch."""
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
    from satudata.intake import gx_speed

    assert gx_speed.install(), "the installed GX release is not one gx_speed was checked against"
    data = _rows_with_every_problem()
    installed, widths = PandasExecutionEngine.get_domain_records, []

    def counted(self, domain_kwargs):
        records = installed(self, domain_kwargs)
        widths.append(records.shape[1])
        return records

    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", counted)
    narrowed = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "narrowed", data)
    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", installed.__wrapped__)
    whole = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "whole", data)
    assert widths.count(1) > 20 and max(widths) > 10, "column domains narrowed, table domains whole"
    assert len({aturan for _, _, aturan, _ in whole}) >= 7
    assert narrowed == whole


def _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, form: str, data) -> list[tuple]:
    """The issues of one file in a fresh copy of the test warehouse, in a data folder of its own."""
    template = Path(duckdb_warehouse_url.removeprefix("duckdb:///"))
    warehouse = shutil.copyfile(template, tmp_path / f"{form}.duckdb")
    settings = Settings(data_dir=tmp_path / form / "data", warehouse_url=f"duckdb:///{warehouse}")
    settings.ensure_folders()
    return _issues_of(settings, data)


def test_gx_keeps_no_cell_of_the_file_in_its_results_or_data_docs(tmp_path, duckdb_warehouse_url):
    """GX's stored results and Data Docs (`<data>/gx`, read by engineers) hold counts, percentages and row numbers,
    never a failing cell: a NIK, a KK or a name stays in the archive and the regency's own answer (UU 27/2022 PDP),
    as in `meta`."""
    data = _rows_with_every_problem()
    issues = _issues_in_a_fresh_copy(tmp_path, duckdb_warehouse_url, "pdp", data)
    failing = {aturan for _, _, aturan, _ in issues}
    assert {"nik_format", "no_kk_format", "nama_tidak_wajar"} <= failing
    cells = [data[0][4], data[1][3], f'"{data[2][5]}"']  # 15-digit NIK, KK of serial 0000, a name of digits
    gx = tmp_path / "pdp" / "data" / "gx"
    written = [p for p in gx.rglob("*") if p.suffix in (".json", ".html")]
    assert any("validations" in p.parts for p in written) and any(p.suffix == ".html" for p in written)
    for path in written:
        text = path.read_text(errors="replace")
        assert not [cell for cell in cells if cell in text], path
