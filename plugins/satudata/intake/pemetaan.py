"""Column mappings an operator confirmed: asked once, kept per regency, jenis and header signature.

    known_for(conn, "5205", "anggaran")  -> {signature: {position: column or None}}   (read uses them)
    answer = read_answer(path)           # the returned answer workbook, "Pemetaan Kolom" filled in
    store(conn, ...)                     # meta.pemetaan_kolom, one row per table of the held file
    list_mappings / get_mapping / delete_mapping   # `satudata pemetaan list/show/hapus`

The answer workbook of a held file (`intake.report`, sheet `SHEET_PEMETAAN`) lists every header of each table
with the system's suggestion and a drop-down of the columns it may be; hidden columns keep the header's
signature and the cell's position. The operator fills "Kolom yang dimaksud" (every row marked "Ya" must be
answered; "(abaikan kolom ini)" leaves a column out), writes a name under "Diisi oleh", and drops the workbook
back in the inbox (any folder of the regency; `inbox/<kode>/pemetaan/` is the documented one). A held file
whose totals did not add up is answered the same way, on the sheet `SHEET_TOTAL`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from satudata.intake.messages import COLUMN_LABELS
from satudata.sheets import sniff
from satudata.sheets.headers import compact_key
from satudata.sheets.workbook import FileRejected, cell_to_text, open_workbook, xlsx_sheet_names

SHEET_PEMETAAN = "Pemetaan Kolom"
SHEET_TOTAL = "Konfirmasi Total"
ABAIKAN = "(abaikan kolom ini)"
KEPUTUSAN_TOTAL = {"rincian": "Pakai baris rincian: total di berkas keliru",
                   "kirim_ulang": "Berkas akan saya perbaiki dan kirim ulang"}
# The answer table's columns, in order (the last three hidden).
PEMETAAN_COLUMNS = ("Lembar", "Kolom", "Judul kolom di berkas", "Contoh isi", "Usulan sistem", "Keyakinan",
                    "Perlu dijawab", "Kolom yang dimaksud", "tanda_header", "posisi", "peran_lembar")
KODE_JAWABAN = re.compile(r"kode jawaban\s*:?\s*([0-9]+)-([0-9a-f]{8})", re.IGNORECASE)
DIISI_OLEH = "Diisi oleh"


def answer_code(submission_id: int, sha256: str) -> str:
    """What identifies the held file on its answer: its submission and the start of its hash (a typo in the
    number cannot answer another file)."""
    return f"{submission_id}-{sha256[:8]}"


@dataclass
class Answer:
    submission_id: int
    sha_prefix: str
    diisi_oleh: str | None
    # signature -> {"lembar": role, "header": {position: text}, "pemetaan": {position (text): column or None}}
    tables: dict[str, dict] = field(default_factory=dict)
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # (baris, kolom, aturan, nilai)
    keputusan_total: str | None = None  # "rincian" | "kirim_ulang" | None

    @property
    def kind(self) -> str:
        return "total" if self.keputusan_total is not None and not self.tables else "pemetaan"


class AnswerError(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


def label_to_column() -> dict[str, str | None]:
    """The drop-down's labels (and the column names themselves) -> the canonical column; "(abaikan ...)" -> None."""
    out: dict[str, str | None] = {compact_key(ABAIKAN): None}
    for column, label in COLUMN_LABELS.items():
        out.setdefault(compact_key(label), column)
        out.setdefault(compact_key(column), column)
    return out


# --------------------------------------------------------------------------------------------- reading


def is_answer(path: Path) -> bool:
    """Whether a file is one of our answer workbooks (by its sheets and its answer code), cheaply."""
    try:
        return _open_answer(path) is not None
    except (FileRejected, OSError, AnswerError):
        return False


def _is_answer_sheet(name: str) -> bool:
    return compact_key(name) in (compact_key(SHEET_PEMETAAN), compact_key(SHEET_TOTAL))


def _open_answer(path: Path) -> dict[str, list[list[str]]] | None:
    with open(path, "rb") as handle:
        size = path.stat().st_size
        sniffed = sniff.sniff(handle, size)
        if sniffed.format not in ("xlsx", "xls", "ods"):
            return None
        if sniffed.format == "xlsx":  # a registry file is not opened (and scanned) twice to find it is no answer
            names = xlsx_sheet_names(handle)
            if names is not None and not any(_is_answer_sheet(n) for n in names):
                return None
        visible, load, close = open_workbook(handle, sniffed.format)
        try:
            wanted = [n for n in visible if _is_answer_sheet(n)]
            if not wanted:
                return None
            sheets = {name: [[cell_to_text(v) for v in row] for row in load(name).rows()] for name in wanted}
        finally:
            close()
    found = any(KODE_JAWABAN.search(" ".join(row)) for rows in sheets.values() for row in rows[:6])
    return sheets if found else None


def read_answer(path: Path) -> Answer:
    sheets = _open_answer(path)
    if sheets is None:
        raise AnswerError("jawaban_tidak_dikenal", "no answer sheet with an answer code")
    code = next(m for rows in sheets.values() for row in rows[:6] if (m := KODE_JAWABAN.search(" ".join(row))))
    answer = Answer(int(code.group(1)), code.group(2).lower(), _filled_by(sheets))
    for name, rows in sheets.items():
        if compact_key(name) == compact_key(SHEET_PEMETAAN):
            _read_mappings(rows, answer)
        else:
            answer.keputusan_total = _read_decision(rows, answer)
    return answer


def _filled_by(sheets: dict[str, list[list[str]]]) -> str | None:
    for rows in sheets.values():
        for row in rows[:8]:
            for i, cell in enumerate(row):
                if compact_key(cell).startswith(compact_key(DIISI_OLEH)):
                    name = next((c.strip() for c in row[i + 1:] if c.strip()), "")
                    return name[:120] or None
    return None


def _read_mappings(rows: list[list[str]], answer: Answer) -> None:
    header = next((r for r, row in enumerate(rows) if any(compact_key(c) == compact_key(PEMETAAN_COLUMNS[7])
                                                           for c in row)), None)
    if header is None:
        raise AnswerError("jawaban_tanpa_tabel", f"no '{PEMETAAN_COLUMNS[7]}' column on {SHEET_PEMETAAN}")
    position = {compact_key(c): i for i, c in enumerate(rows[header])}
    col = {name: position.get(compact_key(name)) for name in PEMETAAN_COLUMNS}
    labels = label_to_column()
    seen: dict[tuple[str, str], int] = {}
    for r in range(header + 1, len(rows)):
        row = rows[r]

        def cell(name: str, row=row) -> str:
            i = col[name]
            return row[i].strip() if i is not None and i < len(row) else ""

        signature, judul, posisi = cell("tanda_header"), cell("Judul kolom di berkas"), cell("posisi")
        if not signature or not judul or not posisi.isdigit():
            continue
        table = answer.tables.setdefault(signature, {"lembar": cell("peran_lembar") or "utama", "header": {},
                                                     "pemetaan": {}})
        table["header"][int(posisi)] = judul
        chosen = cell("Kolom yang dimaksud")
        excel_row = r + 1
        if not chosen:
            if cell("Perlu dijawab").lower().startswith("ya"):
                answer.problems.append((excel_row, "Kolom yang dimaksud", "pemetaan_belum_dijawab", judul))
            table["pemetaan"][posisi] = None
            continue
        key = compact_key(chosen)
        if key not in labels:
            answer.problems.append((excel_row, "Kolom yang dimaksud", "pemetaan_kolom_tidak_dikenal", chosen))
            continue
        column = labels[key]
        table["pemetaan"][posisi] = column
        if column is not None:
            if (signature, column) in seen:
                answer.problems.append((excel_row, "Kolom yang dimaksud", "pemetaan_kolom_ganda", chosen))
            seen[(signature, column)] = excel_row


def _read_decision(rows: list[list[str]], answer: Answer) -> str | None:
    wanted = {compact_key(text): code for code, text in KEPUTUSAN_TOTAL.items()}
    for row in rows:
        for cell in row:
            code = wanted.get(compact_key(cell))
            if code is not None:
                return code
    return None


# --------------------------------------------------------------------------------------------- storage

_COLUMNS = ("pemetaan_id, kode_kab, jenis, lembar, tanda_header, header, pemetaan, submission_tanya, submission_jawab, "
            "dikonfirmasi_oleh, dikonfirmasi_pada, aktif, dihapus_oleh, dihapus_pada")


def known_for(conn: Connection, kode_kab: str, jenis: str) -> dict[str, dict[str, str | None]]:
    """The regency's confirmed mappings of a jenis: signature -> {position of the cell: column or None}."""
    rows = conn.execute(sa.text("SELECT tanda_header, pemetaan FROM meta.pemetaan_kolom WHERE kode_kab = :k "
                                "AND jenis = :j AND aktif ORDER BY pemetaan_id"), {"k": kode_kab, "j": jenis}).all()
    return {signature: json.loads(mapping) for signature, mapping in rows}


def store(conn: Connection, *, kode_kab: str, jenis: str, signature: str, lembar: str, header: list[str],
          mapping: dict[str, str | None], asked: int | None, answered: int | None, by: str) -> int:
    """Keep a confirmed mapping (the newest per regency, jenis and signature is the one in force)."""
    now = datetime.now(UTC)
    conn.execute(sa.text("UPDATE meta.pemetaan_kolom SET aktif = false, dihapus_oleh = :by, dihapus_pada = :now "
                         "WHERE kode_kab = :k AND jenis = :j AND tanda_header = :s AND aktif"),
                 {"by": f"diganti: {by}", "now": now, "k": kode_kab, "j": jenis, "s": signature})
    return conn.execute(sa.text(
        "INSERT INTO meta.pemetaan_kolom (kode_kab, jenis, lembar, tanda_header, header, pemetaan, submission_tanya, "
        "submission_jawab, dikonfirmasi_oleh, dikonfirmasi_pada, aktif) VALUES (:k, :j, :l, :s, :h, :m, :q, :a, :by, "
        ":now, true) RETURNING pemetaan_id"),
        {"k": kode_kab, "j": jenis, "l": lembar, "s": signature, "h": json.dumps(header, ensure_ascii=False),
         "m": json.dumps(mapping, ensure_ascii=False, sort_keys=True), "q": asked, "a": answered, "by": by,
         "now": now}).scalar_one()


def list_mappings(conn: Connection, *, kode_kab: str | None = None, jenis: str | None = None,
                  all_versions: bool = False) -> list[dict]:
    where, params = ["1 = 1"], {}
    if kode_kab:
        where.append("kode_kab = :k")
        params["k"] = kode_kab
    if jenis:
        where.append("jenis = :j")
        params["j"] = jenis
    if not all_versions:
        where.append("aktif")
    rows = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM meta.pemetaan_kolom WHERE {' AND '.join(where)} "
                                "ORDER BY pemetaan_id"), params).mappings().all()
    return [_as_dict(row) for row in rows]


def get_mapping(conn: Connection, pemetaan_id: int) -> dict | None:
    row = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM meta.pemetaan_kolom WHERE pemetaan_id = :i"),
                       {"i": pemetaan_id}).mappings().first()
    return _as_dict(row) if row is not None else None


def delete_mapping(conn: Connection, pemetaan_id: int, by: str) -> bool:
    """Switch a mapping off (kept as history): the regency's next file with that header is asked again."""
    done = conn.execute(sa.text("UPDATE meta.pemetaan_kolom SET aktif = false, dihapus_oleh = :by, "
                                "dihapus_pada = :now WHERE pemetaan_id = :i AND aktif"),
                        {"by": by, "now": datetime.now(UTC), "i": pemetaan_id})
    return bool(done.rowcount)


def _as_dict(row) -> dict:
    out = dict(row)
    out["header"] = json.loads(out["header"])
    out["pemetaan"] = json.loads(out["pemetaan"])
    return out


__all__ = ["ABAIKAN", "DIISI_OLEH", "KEPUTUSAN_TOTAL", "PEMETAAN_COLUMNS", "SHEET_PEMETAAN", "SHEET_TOTAL", "Answer",
           "AnswerError", "answer_code", "delete_mapping", "get_mapping", "is_answer", "known_for", "label_to_column",
           "list_mappings", "read_answer", "store"]
