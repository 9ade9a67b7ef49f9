"""Clerical review answers: a regency's decisions on uncertain pairs come in through the inbox like any file.

    decisions, problems = read_review_decisions(path)
    store_decisions(conn, decisions, kode_kab=..., submission_id=..., decided_at=..., periode_review=...)

Harmonisation writes the workbook (`harmonise.review_workbook`) and queues its pairs (`core.antrian_review`);
intake reads the answers and stores them (`core.keputusan_review`); harmonisation applies the newest
decision per pair on its next run (`harmonise.decisions.latest_decisions`). The stages meet only in those
tables and in the workbook's layout (`schema.SHEET_REVIEW`, `schema.REVIEW_ID_COLUMNS`).

The reader finds the header row by its names (`REVIEW_VOCABULARY`: the machine names and the variants
operators type, found by `sheets.headers` like every header), in xlsx/xls (opened by `sheets.workbook`,
zip-bomb checks included) and in CSV re-saves (`sheets.delimited`: UTF-8, UTF-8 with BOM, Windows-1252,
UTF-16; `,` `;` tab `|`). Row numbers (`baris`) are the ones the operator sees in Excel. A blank decision is
no decision; an unreadable one, a row without its ids, and a pair decided both ways in one file are problems
(rule codes of `intake.messages.RULES`). A file without the id/decision columns raises `ReviewFileError`.

History is append-only (`core.keputusan_review`); the newest decision per (kode_kab, pair) wins. Only
pairs queued for that regency (`core.antrian_review`, any periode) are stored.

Orchestration hands every file of `inbox/<kode_kab>/review/` to `process_review_submission` (intake's run
receives it as a handler, so that `run` and this module do not import each other), which stores the
usable decisions and records the ledger status in one transaction, and answers the regency in
`outbox/<kode_kab>/<id>-review-<file>.laporan.xlsx`.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from satudata.intake.messages import RULES, format_message
from satudata.intake.review_answer import write_review_answer
from satudata.intake.run import ProcessResult, finish_rejected, result_of
from satudata.intake.scan import safe_name
from satudata.normalise.nik import clean_id_cells
from satudata.normalise.periode import parse_periode, period_from_name
from satudata.schema import REVIEW_ID_COLUMNS as ID_COLUMNS
from satudata.schema import SHEET_REVIEW
from satudata.sheets import sniff
from satudata.sheets.delimited import LINE, choose_delimiter, decode_text, parse_records
from satudata.sheets.headers import Vocabulary, compact_key, title_lines
from satudata.sheets.workbook import FileRejected, cell_to_text, open_workbook
from satudata.sheets.writer import display, is_missing
from satudata.warehouse import ledger
from satudata.warehouse.engine import bulk_insert, read_frame
from satudata.warehouse.ledger import Submission

if TYPE_CHECKING:
    from satudata.config import Settings

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id_dtks", "id_individu_p3ke", "keputusan")
SAMA, BEDA = "sama", "beda"
HEADER_SEARCH_ROWS = 30
DECISION_COLUMNS = ["baris", "id_dtks", "id_individu_p3ke", "keputusan", "diperiksa_oleh", "catatan"]
PROBLEM_COLUMNS = ["baris", "kolom", "nilai", "aturan", "pesan", "id_dtks", "id_individu_p3ke"]

# Spellings of a decision, compared after upper-casing and dropping everything but letters and digits.
SAMA_WORDS = frozenset({"SAMA", "S", "YA", "Y", "IYA", "COCOK", "BENAR", "SAMAORANG", "ORANGSAMA", "1", "TRUE"})
BEDA_WORDS = frozenset({"BEDA", "B", "BERBEDA", "TIDAK", "T", "TDK", "TIDAKCOCOK", "TIDAKSAMA", "BUKAN", "SALAH",
                        "BEDAORANG", "ORANGBEDA", "0", "FALSE"})

# canonical column -> header variants operators produce (normalised like every header, `sheets.headers`).
ALIASES: dict[str, tuple[str, ...]] = {
    "id_dtks": ("id_dtks", "ID DTKS", "IDDTKS", "ID Individu DTKS", "ID ART DTKS"),
    "id_individu_p3ke": ("id_individu_p3ke", "ID Individu P3KE", "ID P3KE", "ID Individu", "ID ART P3KE",
                         "ID Anggota P3KE"),
    "keputusan": ("keputusan", "Keputusan (SAMA/BEDA)", "Keputusan Review", "Keputusan Operator", "Hasil Review",
                  "Hasil Pemeriksaan", "Putusan"),
    "diperiksa_oleh": ("diperiksa_oleh", "Diperiksa Oleh", "Pemeriksa", "Nama Pemeriksa", "Petugas",
                       "Nama Petugas", "Verifikator", "Diputuskan Oleh", "Reviewer"),
    "catatan": ("catatan", "Catatan", "Keterangan", "Ket", "Catatan Pemeriksa", "Catatan Operator"),
}

class ReviewFileError(Exception):
    """The file cannot be used at all. `code` is a file reason of `intake.messages.FILE_REASONS`; `detail`
    fills its placeholders (`kolom`) and carries an English `detail` for the logs."""

    def __init__(self, code: str, detail: dict | str | None = None):
        detail = {"detail": detail} if isinstance(detail, str) else dict(detail or {})
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --------------------------------------------------------------------------------------------- helpers


REVIEW_VOCABULARY = Vocabulary(ALIASES)


def _decision_key(value) -> str:
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^A-Z0-9]+", "", text.upper())


def _decision(value) -> str | None:
    """'sama', 'beda', None (blank: not decided) or '?' (not readable)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return SAMA if value else BEDA
    if isinstance(value, (int, float)):
        return SAMA if value == 1 else BEDA if value == 0 else "?"
    key = _decision_key(value)
    if not key:
        return None  # blank, or only '-' / '.': nothing decided
    if key in SAMA_WORDS:
        return SAMA
    if key in BEDA_WORDS:
        return BEDA
    return "?"


def _optional_text(value) -> str | None:
    text = display(value)
    return text[:2000] if text else None


def _problem(baris: int, kolom: str | None, nilai, aturan: str, id_dtks=None, id_p3ke=None) -> dict:
    rule = RULES.get(aturan)
    return {"baris": baris, "kolom": kolom, "nilai": nilai, "aturan": aturan,
            "pesan": rule.pesan if rule else format_message(aturan), "id_dtks": id_dtks, "id_individu_p3ke": id_p3ke}


def _problems_frame(items: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(items, columns=PROBLEM_COLUMNS, dtype=object)
    frame["baris"] = frame["baris"].astype("int64")
    return frame.sort_values(["baris", "kolom"], kind="stable", na_position="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Parsed:
    decisions: pd.DataFrame
    problems: pd.DataFrame
    answered_rows: int  # rows carrying a decision (usable or not)
    undecided: int  # pairs left blank
    header_row: int  # Excel row / CSV record (1-based)
    periode: str | None  # from the title rows ("Periode: 2026-11")
    sheet: str | None  # worksheet read (None for CSV)


def _review_header(rows: list[list]):
    """The review header: every required column named; a ReviewFileError naming the missing ones otherwise."""
    match = REVIEW_VOCABULARY.find_header(rows, HEADER_SEARCH_ROWS, required=REQUIRED_COLUMNS, min_score=1)
    return match


def _csv_rows(raw: bytes, sniffed) -> list[list]:
    """Records of a CSV (row i = record i + 1, as Excel numbers them when it opens the file)."""
    lines = LINE.findall(decode_text(raw, sniffed))

    def find(cells):
        return _review_header(cells) or REVIEW_VOCABULARY.find_header(cells, HEADER_SEARCH_ROWS, min_score=1)

    choice = choose_delimiter(lines, find, HEADER_SEARCH_ROWS + 30)
    rows, _ = parse_records(lines, choice.delimiter)
    if choice.declared and rows:
        rows[0] = []  # the sep= line stays row 1
    return rows


def _read(path: Path) -> _Parsed:
    """Sniff and open the file as intake does, and parse the first sheet holding the review header
    ("Review Padanan" is tried first)."""

    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the workbook reader is done with it
    except OSError as exc:
        raise ReviewFileError("unreadable", f"cannot open file: {exc}") from exc
    try:
        sniffed = sniff.sniff(handle, os.fstat(handle.fileno()).st_size)
        if sniffed.format is None:
            raise ReviewFileError(sniffed.code or "unreadable", sniffed.detail)
        if sniffed.format == "csv":
            handle.seek(0)
            return _parse(_csv_rows(handle.read(), sniffed), None)
        # Opened like intake opens a regency workbook: zip-bomb checks, encrypted/corrupt files recognised.
        visible, load, close = open_workbook(handle, sniffed.format)
        try:
            if not visible:
                raise ReviewFileError("empty_file", "workbook without a visible worksheet")
            first_error: ReviewFileError | None = None
            for name in sorted(visible, key=lambda name: compact_key(name) != compact_key(SHEET_REVIEW)):
                try:
                    return _parse(list(load(name).rows()), name)
                except ReviewFileError as exc:
                    first_error = first_error or exc
            raise first_error
        finally:
            close()
    except FileRejected as exc:
        raise ReviewFileError(exc.code, exc.detail) from exc
    finally:
        handle.close()


def _parse(rows: list[list], sheet: str | None) -> _Parsed:
    match = _review_header(rows)
    if match is None:
        found = REVIEW_VOCABULARY.best_effort(rows, HEADER_SEARCH_ROWS).canonicals
        missing = [c for c in REQUIRED_COLUMNS if c not in found]
        raise ReviewFileError("review_missing_columns", {"kolom": missing, "detail": f"sheet {sheet!r}"})
    index = match.row
    positions = {c: p for p, c in match.columns.items()}
    periode = parse_periode(title_lines(rows, match.first_row))
    body = rows[index + 1 :]

    def column(name: str) -> list:
        pos = positions.get(name)
        return [cells[pos] if pos is not None and pos < len(cells) else None for cells in body]

    ids = {}
    for name in ID_COLUMNS:  # one cleaner for ids: a 16-digit id Excel stored as a number has lost digits
        values = column(name)
        text = pd.Series([None if is_missing(v) else cell_to_text(v) for v in values], dtype="string")
        numeric = np.fromiter((isinstance(v, int | float) and not isinstance(v, bool) for v in values), dtype=bool,
                              count=len(values))
        cleaned, damaged = clean_id_cells(text, numeric)
        ids[name] = (text.str.strip().where(text.str.strip().str.len() > 0).tolist(), cleaned.tolist(),
                     damaged.tolist())
    decisions_raw, reviewers, notes = column("keputusan"), column("diperiksa_oleh"), column("catatan")

    candidates: list[dict] = []
    problems: list[dict] = []
    answered: set[int] = set()
    undecided = 0
    for offset in range(len(body)):
        baris = index + 2 + offset
        raw_decision = decisions_raw[offset]
        shown_d, clean_d, damaged_d = (part[offset] for part in ids["id_dtks"])
        shown_p, clean_p, damaged_p = (part[offset] for part in ids["id_individu_p3ke"])
        id_dtks = shown_d if damaged_d else None if is_missing(clean_d) else clean_d
        id_p3ke = shown_p if damaged_p else None if is_missing(clean_p) else clean_p
        decision = _decision(raw_decision)
        if decision is None:
            if id_dtks or id_p3ke:
                undecided += 1
            continue
        answered.add(baris)
        row_problems = []
        for name, value, damaged in (("id_dtks", id_dtks, damaged_d), ("id_individu_p3ke", id_p3ke, damaged_p)):
            if value is None:
                row_problems.append(_problem(baris, name, None, "id_pasangan_kosong", id_dtks, id_p3ke))
            elif damaged:
                row_problems.append(_problem(baris, name, value, "id_angka_excel", id_dtks, id_p3ke))
        if decision == "?":
            row_problems.append(_problem(baris, "keputusan", display(raw_decision), "keputusan_tidak_dikenal",
                                         id_dtks, id_p3ke))
        if row_problems:
            problems += row_problems
            continue
        candidates.append({"baris": baris, "id_dtks": id_dtks, "id_individu_p3ke": id_p3ke, "keputusan": decision,
                           "diperiksa_oleh": _optional_text(reviewers[offset]),
                           "catatan": _optional_text(notes[offset]), "nilai_asli": display(raw_decision)})
    frame = pd.DataFrame(candidates, columns=[*DECISION_COLUMNS, "nilai_asli"], dtype=object)
    if len(frame):
        answers = frame.groupby(["id_dtks", "id_individu_p3ke"])["keputusan"].transform("nunique")
        conflicting = frame.loc[(answers > 1).to_numpy()]
        problems += [_problem(r.baris, "keputusan", r.nilai_asli, "keputusan_bertentangan", r.id_dtks,
                              r.id_individu_p3ke) for r in conflicting.itertuples(index=False)]
        frame = frame.loc[(answers <= 1).to_numpy()]
        frame = frame.drop_duplicates(["id_dtks", "id_individu_p3ke"], keep="first")
    decisions = frame[DECISION_COLUMNS].reset_index(drop=True)
    decisions["baris"] = decisions["baris"].astype("int64")
    decisions.attrs["periode_review"] = periode
    return _Parsed(decisions, _problems_frame(problems), len(answered), undecided, index + 1, periode, sheet)


def read_review_decisions(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decisions of a returned review file, and the rows that could not be used.

    decisions: baris, id_dtks, id_individu_p3ke, keputusan ('sama' | 'beda'), diperiksa_oleh, catatan (None when
    blank) — one row per pair; `decisions.attrs["periode_review"]` holds the period named in the title rows.
    problems: baris, kolom, nilai, aturan (rule code of `intake.messages.RULES`), pesan (Bahasa Indonesia),
    id_dtks, id_individu_p3ke. Blank decisions are neither. Raises `ReviewFileError` when the file is unusable.
    """
    parsed = _read(path)
    return parsed.decisions, parsed.problems


# --------------------------------------------------------------------------------------------- warehouse


def check_decisions(conn: Connection, decisions: pd.DataFrame, kode_kab: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(decisions about pairs queued for this regency, problems for the others). A regency decides its own
    pairs; a pair across two regencies is the province's (`kode_kab` of two digits) to decide."""
    if decisions.empty:
        return decisions, _problems_frame([])
    if len(kode_kab) == 2:
        where = "lingkup = 'provinsi' AND substr(kode_kab, 1, 2) = :k"
    else:
        where = "kode_kab = :k AND lingkup = 'kabupaten'"
    queued = read_frame(conn, f"SELECT DISTINCT id_dtks, id_individu_p3ke FROM core.antrian_review WHERE {where}",
                        {"k": kode_kab})
    keys = set(zip(queued["id_dtks"].astype(str), queued["id_individu_p3ke"].astype(str), strict=True))
    known = np.array([(a, b) in keys for a, b in zip(decisions["id_dtks"], decisions["id_individu_p3ke"],
                                                         strict=True)], dtype=bool)
    unknown = decisions.loc[~known]
    problems = [_problem(int(r.baris) if "baris" in decisions else 0, None, f"{r.id_dtks} / {r.id_individu_p3ke}",
                         "pasangan_tidak_dalam_antrian", r.id_dtks, r.id_individu_p3ke)
                for r in unknown.itertuples(index=False)]
    return decisions.loc[known].reset_index(drop=True), _problems_frame(problems)


def store_decisions(conn: Connection, decisions: pd.DataFrame, *, kode_kab: str, submission_id: int,
                    decided_at: datetime, periode_review: str | None) -> int:
    """Append the decisions about pairs queued for `kode_kab` to `core.keputusan_review`; returns rows written.

    Who: `diperiksa_oleh`, else "operator <kode_kab>". When: `decided_at` (timezone-aware; naive means UTC).
    Decisions about pairs that are not in `core.antrian_review` for this regency are not stored
    (`check_decisions` names them).
    """
    usable, _ = check_decisions(conn, decisions, kode_kab)
    if usable.empty:
        return 0
    when = pd.Timestamp(decided_at)
    when = when.tz_localize(UTC) if when.tzinfo is None else when.tz_convert(UTC)
    who = [w if isinstance(w, str) and w.strip() else f"operator {kode_kab}"
           for w in (usable["diperiksa_oleh"] if "diperiksa_oleh" in usable else [None] * len(usable))]
    n = len(usable)
    frame = pd.DataFrame({
        "kode_kab": pd.Series([kode_kab] * n, dtype=object),
        "id_dtks": usable["id_dtks"].astype(str).to_numpy(dtype=object),
        "id_individu_p3ke": usable["id_individu_p3ke"].astype(str).to_numpy(dtype=object),
        "keputusan": usable["keputusan"].astype(str).str.lower().to_numpy(dtype=object),
        "diputuskan_oleh": pd.Series(who, dtype=object),
        "diputuskan_pada": pd.Series([when] * n, dtype=f"datetime64[us, {UTC}]"),
        "periode_review": pd.Series([periode_review] * n, dtype=object),
        "submission_id": pd.Series([int(submission_id)] * n, dtype="int64"),
        "catatan": pd.Series(usable["catatan"].tolist() if "catatan" in usable else [None] * n, dtype=object),
    })
    bad = ~frame["keputusan"].isin([SAMA, BEDA])
    if bad.any():
        raise ValueError(f"keputusan must be 'sama' or 'beda': {sorted(frame.loc[bad, 'keputusan'].unique())}")
    return bulk_insert(conn, "core.keputusan_review", frame)


# --------------------------------------------------------------------------------------------- intake


def process_review_submission(settings: Settings, engine: Engine, submission: Submission) -> ProcessResult:
    """Intake of a file from `inbox/<kode_kab>/review/`: store its usable decisions, record the ledger status,
    answer the regency. `accepted`: every filled decision was stored; `partial`: some rows had problems;
    `rejected`: the file is unusable or holds no usable decision (nothing stored)."""

    path = settings.folder("archive") / submission.archive_path
    periode = period_from_name(submission.file_name)
    try:
        parsed = _read(path)
    except ReviewFileError as exc:
        return finish_rejected(settings, engine, submission, exc.code, exc.detail, None, None, (0, 0, 0, 0),
                                periode=periode)
    periode = periode or parsed.periode
    target = settings.folder("outbox") / submission.kode_kab / f"{submission.submission_id}-{safe_name(submission.jenis)}-{safe_name(submission.file_name)}.laporan.xlsx"
    with engine.begin() as conn:
        usable, unknown = check_decisions(conn, parsed.decisions, submission.kode_kab)
        problems = _problems_frame([*parsed.problems.to_dict("records"), *unknown.to_dict("records")])
        # Processing a submission again replaces what it stored before (append-only across submissions).
        conn.execute(sa.text("DELETE FROM core.keputusan_review WHERE submission_id = :s"),
                     {"s": submission.submission_id})
        stored = store_decisions(conn, usable, kode_kab=submission.kode_kab, submission_id=submission.submission_id,
                                 decided_at=submission.received_at, periode_review=periode)
        bad_rows = int(problems["baris"].nunique())
        counts = {"keputusan_dicatat": stored, "sama": int((usable["keputusan"] == SAMA).sum()),
                  "beda": int((usable["keputusan"] == BEDA).sum()), "belum_diputuskan": parsed.undecided,
                  "ditolak": bad_rows}  # `ditolak` also fills the file reason's placeholder
        if stored == 0:
            status = "rejected"
            code = "review_no_usable_decisions" if bad_rows else "review_no_decisions"
        else:
            status, code = ("partial", None) if bad_rows else ("accepted", None)
        write_review_answer(target, submission, status=status, reason_code=code, counts=counts, periode=periode,
                      problems=problems, decisions=usable)
        ledger.update(
            conn, submission.submission_id, status=status, reason_code=code, reason_detail=counts,
            processed_at=datetime.now(UTC), report_path=target.relative_to(settings.folder("outbox")).as_posix(),
            periode=periode or submission.periode, rows_total=parsed.answered_rows,
            rows_accepted=parsed.answered_rows - bad_rows, rows_rejected=bad_rows, rows_warning=0,
        )
        final = ledger.get(conn, submission.submission_id)
    log.info("review submission %d (%s, sheet %r, header row %d): %s, %d decision(s) stored, %d problem row(s), "
             "%d undecided", submission.submission_id, submission.inbox_path, parsed.sheet, parsed.header_row, status,
             stored, bad_rows, parsed.undecided)
    return result_of(final, ["core.keputusan_review"] if stored else [])


__all__ = [
    "ALIASES", "BEDA", "BEDA_WORDS", "REQUIRED_COLUMNS", "REVIEW_VOCABULARY", "SAMA", "SAMA_WORDS", "ReviewFileError",
    "check_decisions", "process_review_submission", "read_review_decisions", "store_decisions",
]
