"""A lost warehouse rebuilt from the archive alone, on both engines, equals the original table by table.

The original is made the way a deployment makes it: generated regency files dropped in the inbox and
ingested, harmonised, a clerical-review answer read back, converged, published with a named approver; then
a second period the same way, and a corrected recipient list that replaces the first. The rebuild sees only
the archive (original bytes and the ledger's copy in `archive/ledger/`).

The replay reads the exact indicators in another row order than the original did (as another engine, plan or
physical layout would): small-cell suppression must hide the same cells, so `mart` is equal too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from satudata.config import Settings
from satudata.intake.run import IntakeOptions
from satudata.ops.rebuild import RebuildError, rebuild
from satudata.pipeline import harmonise, ingest_once, konvergensi
from satudata.publish import publication as publication_module
from satudata.publish.publication import publish_period
from satudata.schema import INDICATOR_TABLES
from satudata.warehouse import journal
from satudata.warehouse.fingerprint import differences, fingerprint

from tests.builders import query_rows

REGENCIES = ("5272",)
OPTIONS = IntakeOptions(stable_seconds=0)
APPROVER = "Siti Rahma (walidata)"

pytestmark = pytest.mark.timeout(900)


def _drop(generated: Path, settings: Settings, period: str) -> None:
    for kab in REGENCIES:
        for path in sorted((generated / "inbox" / kab).rglob(f"*_{period}.*")):
            target = settings.folder("inbox") / path.relative_to(generated / "inbox")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def _answer_review(settings: Settings) -> int:
    """An operator answers the first pairs of the review workbook (`sama` / `beda`) and drops it back."""
    import openpyxl
    from satudata.harmonise.review_workbook import SHEET_REVIEW, write_review_workbook

    answered = 0
    workbooks = sorted(settings.folder("outbox").glob("*/review_padanan_*.xlsx"))
    if not workbooks:  # no uncertain pair at this size: the regency still sends its (empty) answer back
        workbooks = [write_review_workbook(settings.folder("outbox") / REGENCIES[0] / "review_padanan_2026-10.xlsx",
                                           pd.DataFrame(), kode_kab=REGENCIES[0], periode="2026-10")]
    for workbook in workbooks:
        book = openpyxl.load_workbook(workbook)
        sheet = book[SHEET_REVIEW]
        header_row = next(r for r in range(1, 15) if sheet.cell(r, 1).value == "id_dtks"
                          or "keputusan" in [c.value for c in sheet[r]])
        header = [c.value for c in sheet[header_row]]
        column = header.index("keputusan") + 1
        for i, row in enumerate(range(header_row + 1, sheet.max_row + 1)):
            if sheet.cell(row, 1).value:
                sheet.cell(row, column).value = "sama" if i % 2 == 0 else "beda"
                answered += 1
        target = settings.folder("inbox") / workbook.parent.name / "review" / workbook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        book.save(target)
    return answered


def _publish(settings: Settings, periode: str) -> None:
    publish_period(settings, periode, disetujui_oleh=APPROVER, cara_persetujuan="hitl", run_id="uji")


@pytest.fixture
def original(tmp_path, warehouse_url):
    from satudata_dev.generate import generate_province

    generated = tmp_path / "gen"
    settings = Settings(data_dir=tmp_path / "asli", warehouse_url=warehouse_url)
    settings.ensure_folders()
    summary = {}
    for period in ("2026-10", "2026-11"):
        generate_province(generated, province="52", scale=0.001, seed=17, period=period)
        _drop(generated, settings, period)
        ingest_once(settings, options=OPTIONS)
        harmonise(period, settings)
        if period == "2026-10":
            # the regency's answer goes back through the inbox, even with no pair to answer at this size
            summary["review"] = _answer_review(settings)
            ingest_once(settings, options=OPTIONS)
        konvergensi(period, settings)
        _publish(settings, period)
    # a corrected recipient list for 2026-11 (its last row struck out) replaces the first; a new version
    first = next(settings.folder("archive").rglob("*-PBI_JK_5272_2026-11.*"))
    fixed = settings.folder("inbox") / "5272" / "intervensi" / f"PBI_JK_5272_2026-11 revisi{first.suffix}"
    if first.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(first)
        book.active.delete_rows(book.active.max_row)
        book.save(fixed)
    else:
        fixed.write_bytes(b"\n".join(first.read_bytes().rstrip(b"\r\n").split(b"\n")[:-1]) + b"\n")
    ingest_once(settings, options=OPTIONS)
    konvergensi("2026-11", settings)
    _publish(settings, "2026-11")
    return settings, summary


@pytest.fixture
def empty_target(request, warehouse_url, tmp_path) -> str:
    """An empty warehouse on the original's engine (a new DuckDB file, a new PostgreSQL database)."""
    if warehouse_url.startswith("duckdb"):
        return f"duckdb:///{tmp_path / 'dibangun_ulang.duckdb'}"
    return request.getfixturevalue("fresh_pg_url")


def _rows_reversed(monkeypatch) -> None:
    """The replay's publications read every exact indicator table in the reverse of the warehouse's order."""
    real = publication_module._exact

    def reversed_rows(conn, periode):
        return {t: frame.iloc[::-1].reset_index(drop=True) for t, frame in real(conn, periode).items()}

    monkeypatch.setattr(publication_module, "_exact", reversed_rows)


def test_the_rebuilt_warehouse_equals_the_original(original, tmp_path, empty_target, monkeypatch, capsys):
    from satudata.cli import main

    empty_warehouse_url = empty_target
    settings, _ = original
    archive = settings.folder("archive")
    submissions = journal.submissions(archive)
    assert len(submissions) == len(query_rows(settings.warehouse_url, "SELECT 1 FROM meta.submission"))
    assert {s["jenis"] for s in submissions} >= {"dtks", "p3ke", "dtsen", "intervensi", "anggaran"}
    assert len(journal.publications(archive)) == 3  # 2026-10, 2026-11 and its corrected version

    _rows_reversed(monkeypatch)
    result = rebuild(archive, empty_warehouse_url, tmp_path / "ulang")
    monkeypatch.undo()
    assert result["kiriman"] == len(submissions)

    before, after = fingerprint(settings.warehouse_url), fingerprint(empty_warehouse_url)
    assert differences(before, after) == {}
    assert {t.split(".")[0] for t in before} == {"staging", "core", "mart"}
    # mart is compared like the rest: every published table, suppressed cells included (`sel_disensor`)
    assert {t for t in before if t.startswith("mart.")} == {f"mart.{t}" for t in INDICATOR_TABLES}
    assert min(before[f"mart.{t}"]["baris"] for t in ("cakupan_program", "konvergensi_desa", "anggaran_ringkasan")) > 0
    published = "SELECT periode, publikasi_id, sel_disensor FROM mart.cakupan_program"
    assert sorted(query_rows(empty_warehouse_url, published), key=repr) == sorted(
        query_rows(settings.warehouse_url, published), key=repr)
    # and as the operator does it: `satudata fingerprint --compare`
    capsys.readouterr()
    assert main(["fingerprint", "--warehouse", settings.warehouse_url, "--compare", empty_warehouse_url]) == 0, (
        capsys.readouterr().out)
    assert sum(v["baris"] for v in after.values()) > 3_000
    # the ledger and the approvals on record, number for number
    ledger = "SELECT submission_id, inbox_path, sha256, status, periode, rows_accepted FROM meta.submission ORDER BY 1"
    assert query_rows(empty_warehouse_url, ledger) == query_rows(settings.warehouse_url, ledger)
    approvals = "SELECT publikasi_id, periode, status, disetujui_oleh, cara_persetujuan, sidik_jari FROM meta.publikasi"
    assert sorted(query_rows(empty_warehouse_url, approvals)) == sorted(query_rows(settings.warehouse_url, approvals))
    assert "review" in {s["jenis"] for s in submissions}
    decisions = "SELECT count(*) FROM core.keputusan_review"
    assert query_rows(empty_warehouse_url, decisions) == query_rows(settings.warehouse_url, decisions)

    # the original archive is untouched (the replay wrote its answers under its own folder)
    assert not (tmp_path / "ulang" / "outbox").samefile(settings.folder("outbox"))
    with pytest.raises(RebuildError, match="not empty|already holds"):
        rebuild(archive, empty_warehouse_url, tmp_path / "lagi")

    # and the comparison is not blind: one value changed in one table is seen there
    import sqlalchemy as sa

    engine = sa.create_engine(empty_warehouse_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE core.keluarga_terpadu SET kode_desa = '5272011001' WHERE id_keluarga = "
                             "(SELECT min(id_keluarga) FROM core.keluarga_terpadu WHERE kode_desa <> '5272011001')"))
    engine.dispose()
    assert differences(before, fingerprint(empty_warehouse_url)) == {"core.keluarga_terpadu": "isi berbeda"}

