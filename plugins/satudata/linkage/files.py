"""Read any person list a regency has (CSV, XLSX/XLS, Parquet) into the canonical person frame.

    frame = read_person_list(Path("penerima_blt.xlsx"))   # id, nik, no_kk, nama, tanggal_lahir, ...

The format is decided from the bytes, not the extension: Parquet by its `PAR1` magic, everything else
by `sheets.sniff` (xlsx, xls, delimited text). Headers are recognised with the registries' aliases
(`sheets.headers`: "NIK", "No. KK", "Nama Lengkap", "Tgl Lahir", "JK", "Kode Desa" ...); the `id`
column has its own list (`ID_ALIASES`) because every programme names its record number differently.

Every cell is read as text: a NIK never passes through a float, dates stay as written (Excel date cells
become `YYYY-MM-DD`) and `records.prepare_people` parses them. A NIK that Excel stored as a *number*
(15 significant digits: the last digit is often lost) is kept but marked untrusted (`nik_flagged`), so
it never links on its own; a KK number stored as a number is dropped.

Problems with the file as a whole raise `PersonListError`, whose message is written in Bahasa Indonesia
for the regency operator (the command prints it as is); logs stay in English.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from satudata.linkage.records import OPTIONAL_COLUMNS, PERSON_COLUMNS
from satudata.normalise.nik import clean_nik_cells
from satudata.reference.wilayah import normalise_kode
from satudata.sheets import sniff as _sniff
from satudata.sheets.delimited import (
    LINE,
    RecordError,
    choose_delimiter,
    decode_text,
    parse_records,
    record_starts,
)
from satudata.sheets.headers import ALIASES, REGISTRY, Vocabulary, compact_key, exact_canonical
from satudata.sheets.workbook import WORKBOOK_FORMATS, FileRejected, cell_to_text, open_workbook

log = logging.getLogger(__name__)

LIST_COLUMNS: tuple[str, ...] = (*PERSON_COLUMNS, *OPTIONAL_COLUMNS)
_DATA_COLUMNS = tuple(c for c in LIST_COLUMNS if c != "id")
_PERSON_DATA = ("nik", "no_kk", "nama", "tanggal_lahir")  # a row with none of these has no person to link

# Headers naming the record id, best first. A list may carry several (a row number "No" and an
# "ID DTKS"): the most specific tier present wins, and within it exactly one column must be there.
ID_ALIASES: tuple[tuple[str, ...], ...] = (
    ("id", "id record", "record id", "record_id", "id data", "id baris", "row id", "uid", "unique id"),
    (
        "id_dtks", "iddtks", "id dtks", "id individu", "id_individu_p3ke", "id individu p3ke", "id art",
        "idsemesta", "id semesta", "id penerima", "id kpm", "id peserta", "id penduduk", "id warga",
        "id anggota", "id pm", "id penerima manfaat", "id bdt", "idartbdt", "kode penerima", "kode kpm",
        "kode peserta", "no peserta", "nomor peserta", "no registrasi", "nomor registrasi", "no reg",
    ),
    ("kode", "no", "nomor", "no urut", "nomor urut", "no.", "nr", "urut", "nourut", "no_urut"),
)  # fmt: skip
HEADER_SEARCH_ROWS = 30
PARQUET_MAGIC = b"PAR1"


class PersonListError(ValueError):
    """A list that cannot be used. `code` is stable; the message is for the operator (Bahasa Indonesia)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class PersonList:
    """A person list as read: the canonical frame, which NIKs not to trust, and how the file was read."""

    frame: pd.DataFrame  # canonical columns present, dtype "string" (<NA> for empty), index 0..n-1
    nik_flagged: pd.Series  # bool, aligned with frame: NIK stored by Excel as a number / float text
    rows: pd.Series  # int, aligned with frame: the row number the operator sees (Excel row, CSV line)
    path: Path
    format: str  # "csv" | "xlsx" | "xls" | "parquet"
    header_row: int  # 1-based; 0 for Parquet (column names)
    column_map: dict[str, str] = field(default_factory=dict)  # original header -> canonical column
    unmapped_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    skipped_rows: int = 0  # rows without any person data (empty, numbering, footers)

    def summary(self) -> dict:
        return {
            "file": str(self.path), "format": self.format, "sheet": self.sheet, "encoding": self.encoding,
            "delimiter": self.delimiter, "header_row": self.header_row, "rows": len(self.frame),
            "skipped_rows": self.skipped_rows, "columns": self.column_map,
            "unmapped_columns": self.unmapped_columns, "nik_untrusted": int(self.nik_flagged.sum()),
        }


# ---------------------------------------------------------------------------------------------- headers


# The person list's own vocabulary: every id header (any tier) names the column `id`; the person columns
# are the regency files' (`sheets.headers.ALIASES`), so "NIK", "No. KK", "Tgl Lahir" ... read the same.
PERSON_VOCABULARY = Vocabulary({
    "id": [*(alias for tier in ID_ALIASES for alias in tier), *ALIASES["id_dtks"], *ALIASES["id_individu_p3ke"]],
    **{column: ALIASES[column] for column in _DATA_COLUMNS if column in ALIASES},
    # Registries do not stage it, but a list may carry it: evidence the linker uses when both lists have it.
    "nama_ibu_kandung": ["Nama Ibu Kandung", "Ibu Kandung", "Nama Ibu", "NAMA_IBU_KANDUNG", "Mother's Name",
                         "Mother Name", "Nama Ibu Kandung ART"],
})
_ID_TIER: dict[str, int] = {}
for _tier, _aliases in enumerate(ID_ALIASES):
    for _alias in _aliases:
        _ID_TIER.setdefault(compact_key(_alias), _tier)


def id_tier(text: object) -> int | None:
    """How specific an id header is (0 best), or None when the header does not name a record id."""
    key = compact_key(text)
    if not key:
        return None
    if key in _ID_TIER:
        return _ID_TIER[key]
    # A header the regency files' vocabulary reads as a person record id ("ID DTKS", "ID Individu").
    return 1 if exact_canonical(text) in ("id_dtks", "id_individu_p3ke") else None


@dataclass
class _Header:
    row: int  # 0-based index into the rows examined
    id_pos: int | None
    id_candidates: list[int]  # positions of the best id tier (more than one: ambiguous)
    columns: dict[int, str]  # position -> canonical person column (id excluded)
    texts: dict[int, str]


def _person_header(rows: list[list[str]]) -> _Header | None:
    """The row, among the first rows, that names an id column and the most person columns (one- or
    two-row headers, as `sheets.headers` finds them); the id is the most specific id header in it."""
    match = PERSON_VOCABULARY.find_header(rows, HEADER_SEARCH_ROWS, required=("id",), min_score=1)
    if match is None:
        return None
    named = [p for p, c in match.columns.items() if c == "id"] + match.repeated.get("id", [])
    tiers = {p: t for p in named if (t := id_tier(match.texts[p])) is not None}
    best = min(tiers.values(), default=None)
    candidates = sorted(p for p, t in tiers.items() if t == best)
    columns = {p: c for p, c in match.columns.items() if c != "id"}
    return _Header(match.row, candidates[0] if len(candidates) == 1 else None, candidates, columns, match.texts)


def _header_texts(rows: list[list[str]]) -> list[str]:
    """The header the operator probably meant (the row naming the most known columns), for messages."""
    match = REGISTRY.best_effort(rows, HEADER_SEARCH_ROWS)
    return [t for _, t in sorted(match.texts.items())]


# ---------------------------------------------------------------------------------------------- grids


def _numbering_row(cells: list[str]) -> bool:
    """A row of column numbers under the header: "1 2 3 4 ..." or "(1) (2) (3) ...". """
    values = [c for c in cells if c]
    if len(values) < 3 or not all(re.fullmatch(r"\(?[0-9]{1,3}\)?", v) for v in values):
        return False
    numbers = [int(v.strip("()")) for v in values]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _frame_from_grid(texts: list[list[str]], numeric: list[list[bool]] | None, row_numbers: list[int],
                     header: _Header) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[int], int]:
    """Canonical frame from data rows (cells as text): the frame, which NIK / KK cells were numbers
    (`numeric` None: none were), the row number of each kept row, how many rows were skipped."""
    positions = {"id": header.id_pos, **{c: p for p, c in header.columns.items()}}
    grid = pd.DataFrame(texts, dtype=object).fillna("") if texts else pd.DataFrame()
    empty = pd.Series("", index=grid.index, dtype=object)

    def column(frame: pd.DataFrame, pos: int | None, default: pd.Series) -> pd.Series:
        return frame[pos] if pos is not None and pos in frame.columns else default

    cells = {c: column(grid, p, empty) for c, p in positions.items()}
    keep = np.zeros(len(grid), dtype=bool)
    for c in _PERSON_DATA:  # a row without any of these (empty, totals, signatures) has no person to link
        if c in cells:
            keep |= cells[c].ne("").to_numpy(dtype=bool)
    # One line of text without an id ("Jumlah penerima: 21", "Mengetahui,") is a note, not a person.
    filled = grid.ne("").sum(axis=1).to_numpy() if len(grid) else np.zeros(0, dtype=int)
    keep &= ~(cells["id"].eq("").to_numpy(dtype=bool) & (filled <= 1))
    if len(grid) and _numbering_row(texts[0]):
        keep[0] = False
    if numeric is not None and len(grid):
        kinds = pd.DataFrame(numeric, dtype=object).fillna(False)
        false = pd.Series(False, index=kinds.index, dtype=object)
        nik_numeric = column(kinds, positions.get("nik"), false).to_numpy(dtype=bool)
        kk_numeric = column(kinds, positions.get("no_kk"), false).to_numpy(dtype=bool)
    else:
        nik_numeric = kk_numeric = np.zeros(len(grid), dtype=bool)
    frame = pd.DataFrame({c: pd.Series(cells[c].to_numpy()[keep], dtype="string")
                          for c in LIST_COLUMNS if c in cells})
    kept_rows = np.asarray(row_numbers, dtype="int64")[keep].tolist() if len(grid) else []
    return frame, nik_numeric[keep], kk_numeric[keep], kept_rows, int((~keep).sum())


def _clean(frame: pd.DataFrame, nik_numeric: np.ndarray,
           kk_numeric: np.ndarray) -> tuple[pd.DataFrame, pd.Series]:
    """Strip cells, empty -> <NA>; NIK/KK float renderings out; NIKs that were numbers kept but flagged."""
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        values = frame[column].astype("string").str.strip()
        frame[column] = values.where(values.str.len() > 0)
    flagged = pd.Series(nik_numeric, index=frame.index, dtype=bool)
    if "nik" in frame:
        cleaned, text_flagged = clean_nik_cells(frame["nik"])
        # A number cell keeps its digits (the linker compares them loosely); float text is unreadable.
        frame["nik"] = cleaned.where(~flagged, frame["nik"]).astype("string")
        flagged = flagged | text_flagged.to_numpy()
    if "no_kk" in frame:
        frame["no_kk"] = clean_nik_cells(frame["no_kk"], kk_numeric)[0].astype("string")
    if "kode_desa" in frame:
        codes, uniques = pd.factorize(frame["kode_desa"], use_na_sentinel=True)
        normalised = pd.array([normalise_kode(v) for v in uniques] + [None], dtype="string")
        kode = pd.Series(normalised.take(codes), index=frame.index)  # -1 (missing) takes the last: None
        frame["kode_desa"] = kode.fillna(frame["kode_desa"])  # not a code: as written (the linker ignores it)
    return frame, flagged


# ---------------------------------------------------------------------------------------------- formats


def _read_text(path: Path, sniffed: _sniff.Sniffed) -> tuple[list[list[str]], list[int], str]:
    """All records of a delimited text file (cells stripped), their line numbers, the delimiter."""
    lines = LINE.findall(decode_text(path.read_bytes(), sniffed))
    choice = choose_delimiter(
        lines, lambda cells: PERSON_VOCABULARY.find_header(cells, HEADER_SEARCH_ROWS, required=("id",), min_score=1),
        HEADER_SEARCH_ROWS + 60)
    try:
        records, ends = parse_records(lines, choice.delimiter, strict=True)
    except RecordError as exc:
        raise PersonListError("tidak_terbaca", f"Berkas {path.name} tidak dapat dibaca sebagai CSV "
                              f"(baris {exc.line}): {exc.message}.") from exc
    cells = [[c.strip() for c in record] for record in records]
    if choice.declared and cells:
        cells[0] = []
    return cells, record_starts(ends), choice.delimiter


def _grid_person_list(path: Path, rows: list[list[Any]], row_numbers: list[int], *, typed: bool = True,
                      **meta: Any) -> PersonList | None:
    """The person list of a grid of cells (a worksheet, CSV records), or None when no row names an id."""
    if typed:
        texts = [[cell_to_text(v).strip() if v is not None else "" for v in row] for row in rows]
    else:
        texts = rows  # CSV records: already stripped text
    header = _person_header(texts)
    if header is None:
        return None
    _check_id(path, header)
    body = slice(header.row + 1, None)
    numeric = ([[isinstance(v, float | int) and not isinstance(v, bool) for v in row] for row in rows[body]]
               if typed else None)
    frame, nik_numeric, kk_numeric, kept, skipped = _frame_from_grid(texts[body], numeric, row_numbers[body],
                                                                      header)
    frame, flagged = _clean(frame, nik_numeric, kk_numeric)
    column_map = {header.texts[header.id_pos]: "id"} if header.id_pos is not None else {}
    column_map.update({header.texts[p]: c for p, c in header.columns.items()})
    used = {header.id_pos, *header.columns}
    unmapped = [t for p, t in header.texts.items() if p not in used]
    return PersonList(frame, flagged, pd.Series(kept, dtype="int64"), path,
                      header_row=row_numbers[header.row], column_map=column_map, unmapped_columns=unmapped,
                      skipped_rows=skipped, **meta)


def _check_id(path: Path, header: _Header) -> None:
    if len(header.id_candidates) > 1:
        names = ", ".join(f"'{header.texts[p]}'" for p in header.id_candidates)
        raise PersonListError(
            "id_ambigu",
            f"Berkas {path.name}: lebih dari satu kolom dapat menjadi id ({names}). Ganti judul kolom yang "
            "menjadi id setiap orang menjadi 'id', lalu jalankan lagi.")


def _no_id_error(path: Path, rows: list[list[str]]) -> PersonListError:
    seen = _header_texts(rows)
    shown = ", ".join(f"'{t}'" for t in seen[:12]) or "tidak ada"
    return PersonListError(
        "tanpa_kolom_id",
        f"Berkas {path.name} tidak memiliki kolom id (judul kolom yang terbaca: {shown}). Tambahkan kolom "
        "berjudul 'id' berisi kode unik setiap orang (misalnya nomor urut), lalu jalankan lagi.")


def _read_excel(path: Path, fmt: str) -> PersonList:
    """The first visible sheet with an id header, opened like intake opens a regency workbook (zip-bomb
    checks, xlsx/xlsm/xls/ods)."""
    try:
        with path.open("rb") as handle:
            visible, load, close = open_workbook(handle, fmt)
            try:
                first_rows: list[list[str]] = []
                for name in visible:
                    try:
                        rows = [list(r) for r in load(name).rows()]
                    except FileRejected as exc:  # one unreadable sheet must not hide the others
                        log.warning("%s: sheet %r cannot be read: %s", path, name, exc)
                        continue
                    if not rows:
                        continue
                    found = _grid_person_list(path, rows, list(range(1, len(rows) + 1)), format=fmt, sheet=name)
                    if found is not None:
                        return found
                    if not first_rows:
                        first_rows = [[cell_to_text(v).strip() for v in r] for r in rows[:HEADER_SEARCH_ROWS]]
            finally:
                close()
    except FileRejected as exc:
        if exc.code == "encrypted":
            raise PersonListError("terkunci", f"Berkas {path.name} dilindungi kata sandi; simpan tanpa kata "
                                  "sandi lalu jalankan lagi.") from exc
        raise PersonListError("tidak_terbaca", f"Berkas {path.name} rusak atau tidak dapat dibuka "
                              f"({exc.detail or exc.code}).") from exc
    raise _no_id_error(path, first_rows)


def _read_parquet(path: Path) -> PersonList:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise PersonListError("tidak_terbaca", f"Berkas Parquet {path.name} rusak atau tidak dapat dibaca "
                              f"({exc}).") from exc
    names = [str(n) for n in table.column_names]
    header = _person_header([names])
    if header is None:
        raise _no_id_error(path, [names])
    _check_id(path, header)
    positions = {"id": header.id_pos, **{c: p for p, c in header.columns.items()}}
    data: dict[str, pd.Series] = {}
    nik_numeric = np.zeros(table.num_rows, dtype=bool)
    kk_numeric = np.zeros(table.num_rows, dtype=bool)
    for column in LIST_COLUMNS:
        pos = positions.get(column)
        if pos is None:
            continue
        chunked = table.column(pos)
        values = chunked.to_pylist()
        data[column] = pd.Series([cell_to_text(v) for v in values], dtype="string")
        is_float = pa.types.is_floating(chunked.type)
        if column == "nik" and is_float:
            nik_numeric = np.array([v is not None for v in values], dtype=bool)
        if column == "no_kk" and is_float:
            kk_numeric = np.array([v is not None for v in values], dtype=bool)
    frame = pd.DataFrame(data)
    has_person = np.zeros(len(frame), dtype=bool)
    for column in _PERSON_DATA:
        if column in frame:
            has_person |= frame[column].fillna("").str.strip().ne("").to_numpy(dtype=bool)
    numbers = np.arange(1, len(frame) + 1)
    skipped = int((~has_person).sum())
    frame, nik_numeric, kk_numeric = frame[has_person], nik_numeric[has_person], kk_numeric[has_person]
    frame, flagged = _clean(frame, nik_numeric, kk_numeric)
    column_map = {names[p]: c for c, p in positions.items() if p is not None}
    unmapped = [n for i, n in enumerate(names) if i not in positions.values()]
    return PersonList(frame, flagged, pd.Series(numbers[has_person], dtype="int64"), path, "parquet", 0,
                      column_map, unmapped, skipped_rows=skipped)


def _read_csv(path: Path, sniffed: _sniff.Sniffed) -> PersonList:
    records, numbers, delimiter = _read_text(path, sniffed)
    found = _grid_person_list(path, records, numbers, typed=False, format="csv", encoding=sniffed.encoding,
                              delimiter=delimiter)
    if found is None:
        raise _no_id_error(path, records)
    return found


# ---------------------------------------------------------------------------------------------- entry points

_SNIFF_MESSAGES = {
    "empty_file": "kosong",
    "encrypted": "dilindungi kata sandi; simpan tanpa kata sandi",
    "unsupported_format": "berformat yang tidak didukung ({detail}); simpan sebagai .xlsx, .ods atau .csv",
    "not_a_spreadsheet": "bukan tabel Excel, CSV atau Parquet ({detail})",
    "corrupt_xlsx": "rusak dan tidak dapat dibuka sebagai Excel ({detail})",
    "unreadable": "tidak dapat dibaca ({detail})",
}


def _open_checked(path: Path) -> int:
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise PersonListError("tidak_ada", f"Berkas {path} tidak ditemukan.") from exc
    except OSError as exc:
        raise PersonListError("tidak_terbaca", f"Berkas {path} tidak dapat dibuka ({exc.strerror}).") from exc
    if not stat.S_ISREG(info.st_mode):
        raise PersonListError("bukan_berkas", f"{path} bukan berkas biasa (misalnya sebuah folder).")
    return info.st_size


def load_person_list(path: Path | str) -> PersonList:
    """Read a person list (see the module docstring); raise `PersonListError` when it cannot be used."""
    path = Path(path)
    size = _open_checked(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
            if head == PARQUET_MAGIC:
                sniffed = _sniff.Sniffed("parquet")
            else:
                sniffed = _sniff.sniff(handle, size)
    except OSError as exc:
        raise PersonListError("tidak_terbaca", f"Berkas {path} tidak dapat dibuka ({exc.strerror}).") from exc
    if sniffed.format is None:
        reason = _SNIFF_MESSAGES.get(sniffed.code or "", "tidak dapat dibaca ({detail})")
        raise PersonListError(sniffed.code or "tidak_terbaca",
                              f"Berkas {path.name} {reason.format(detail=sniffed.detail)}.")
    if sniffed.format == "parquet":
        people = _read_parquet(path)
    elif sniffed.format in WORKBOOK_FORMATS:
        people = _read_excel(path, sniffed.format)
    else:
        people = _read_csv(path, sniffed)
    _check_ids(people)
    log.info("%s: %s, header at row %s%s: %d people (%d rows skipped), columns %s, %d NIKs untrusted",
             path, people.format, people.header_row, f" of sheet {people.sheet!r}" if people.sheet else "",
             len(people.frame), people.skipped_rows, people.column_map, int(people.nik_flagged.sum()))
    return people


def _check_ids(people: PersonList) -> None:
    ids, rows, name = people.frame["id"], people.rows.reset_index(drop=True), people.path.name
    missing = ids.isna().to_numpy(dtype=bool)
    if missing.any():
        shown = ", ".join(str(r) for r in rows[missing].head(8))
        more = f" dan {int(missing.sum()) - 8} lainnya" if missing.sum() > 8 else ""
        raise PersonListError(
            "id_kosong", f"Berkas {name}: {int(missing.sum())} baris berisi data orang tetapi kolom id-nya "
            f"kosong (baris {shown}{more}). Isi id setiap orang, lalu jalankan lagi.")
    repeated = ids.duplicated(keep=False).to_numpy(dtype=bool)
    if repeated.any():
        groups = pd.DataFrame({"id": ids[repeated].to_numpy(), "baris": rows[repeated].to_numpy()})
        by_id = groups.groupby("id", sort=False)["baris"].apply(list)
        shown = "; ".join(f"'{i}' (baris {', '.join(str(r) for r in rs[:5])})"
                          for i, rs in by_id.head(5).items())
        more = f"; dan {len(by_id) - 5} id lainnya" if len(by_id) > 5 else ""
        raise PersonListError(
            "id_ganda", f"Berkas {name}: id harus unik, tetapi {len(by_id)} id muncul lebih dari sekali: "
            f"{shown}{more}. Perbaiki id yang ganda, lalu jalankan lagi.")


def read_person_list(path: Path | str) -> pd.DataFrame:
    """The canonical person columns present in the file, as strings (<NA> for empty), fresh index."""
    return load_person_list(path).frame


__all__ = ["ID_ALIASES", "LIST_COLUMNS", "PersonList", "PersonListError", "id_tier", "load_person_list",
           "read_person_list"]
