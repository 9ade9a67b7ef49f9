"""The regency files of one period: per-file style, tables, defects, writing, and the truth of every row.

Row numbers (`excel_row`) are the 1-based physical row numbers an operator sees: the row header in Excel,
the line number of a CSV in a text editor. Title lines and the header line count; the first data row is
`header_row + 1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.dtypes import StringDType

from satudata_dev.generate import defects as D
from satudata_dev.generate import headers as H
from satudata_dev.generate import params as P
from satudata_dev.generate.codes import STATUS_KAWIN
from satudata_dev.generate.population import (
    PeriodState,
    RegencyContext,
    Universe,
    crc,
    months_from_epoch,
)
from satudata_dev.generate.programmes import Recipients
from satudata_dev.generate.xlsx import DATE, EMPTY, NUM, STR, Column, Sheet, write_csv, write_xlsx

NIK_COLUMNS = frozenset({"nik", "nik_kepala_keluarga"})
NAME_COLUMNS = frozenset({"nama", "nama_kepala_keluarga"})
NUMBER_COLUMNS = frozenset({"desil", "desil_nasional", "desil_provinsi", "desil_kabupaten_kota", "jumlah_anggota",
                            "nilai_bantuan"})
DATE_COLUMNS = frozenset({"tanggal_lahir", "tanggal_salur"})
DATE_FORMATS = {"iso": "YYYY-MM-DD", "dmy-": "DD-MM-YYYY", "dmy/": "DD/MM/YYYY", "excel": "Excel date cell"}
KODE_FORMATS = ("plain", "dotted", "mixed", "number")
_TWO = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


# ---------------------------------------------------------------------------------------------- styles


@dataclass
class FileStyle:
    format: str  # xlsx | csv
    encoding: str = "utf-8"
    delimiter: str = ","
    newline: str = "\n"
    pad_titles: bool = False
    title: bool = False
    title_u: np.ndarray = field(default_factory=lambda: np.zeros(4))
    headers_enabled: bool = False
    header_u: np.ndarray = field(default_factory=lambda: np.zeros(60))
    kode_format: str = "plain"
    date_format: str = "iso"
    name_case: str = "upper"
    alamat_style: int = 0
    kode_program_column: bool = True
    sheet_name: str = "Sheet1"


def draw_style(ctx: RegencyContext, key: str, jenis: str, rates: dict[str, float], csv_share: float,
               force: dict | None = None) -> FileStyle:
    """A file's style from its own stream: the same file keeps its style from one period to the next."""
    u = ctx.rng(2, crc(key)).random(64)
    force = force or {}
    fmt = force.get("format") or ("csv" if u[0] < csv_share else "xlsx")
    style = FileStyle(format=fmt)
    if fmt == "csv" and (u[1] < rates["csv_dialect_variant"] or force.get("dialect")):
        dialect = force.get("dialect") or ("cp1252" if u[2] < 0.7 else "utf-8-sig")
        if dialect == "cp1252":  # Excel's "CSV" on an Indonesian Windows: ';' and CRLF
            style.encoding, style.delimiter, style.newline, style.pad_titles = "cp1252", ";", "\r\n", True
        else:
            style.encoding = "utf-8-sig"
    style.title = bool(u[3] < rates["title_rows"])
    style.title_u = u[4:8]
    style.headers_enabled = bool(u[8] < rates["header_variant"])
    style.header_u = u[9:50]
    if u[50] < rates["kode_format_variant"]:
        options = ["dotted", "mixed"] + (["number"] if fmt == "xlsx" else [])
        style.kode_format = options[int(u[51] * len(options))]
    if u[52] < rates["date_format_variant"]:
        options = ["dmy-", "dmy/"] + (["excel", "excel"] if fmt == "xlsx" else [])
        style.date_format = options[int(u[53] * len(options))]
    style.name_case = "upper" if u[54] < 0.7 else "title"
    style.alamat_style = int(u[55] < 0.35)
    style.kode_program_column = not (jenis == "intervensi" and u[56] < rates["missing_kode_program"])
    style.sheet_name = "Sheet1" if u[57] < 0.4 else ""
    return style


# ---------------------------------------------------------------------------------------------- tables


@dataclass
class Table:
    """Clean rows of one sheet before defects: values by canonical column plus what the truth needs."""

    columns: dict[str, np.ndarray]  # object text, datetime64[D] for dates, int for numbers
    person: np.ndarray  # universe person position per row (-1 for family rows)
    family: np.ndarray  # universe family position per row
    record_id: np.ndarray | None  # registry id per row (None for recipient lists)
    female: np.ndarray  # sex of the person named (titles Hj./H.)
    stray: np.ndarray  # the family lives in another regency


def _desa_order(desa: np.ndarray, tiebreak: np.ndarray, stray: np.ndarray) -> np.ndarray:
    """Rows by desa; rows of families living in another regency last, as if pasted at the end."""
    return np.lexsort((tiebreak, desa.astype(np.int64), stray))


def dtks_table(u: Universe, state: PeriodState) -> Table:
    per, fam = u.per, u.fam
    rows = np.flatnonzero(state.in_dtks)
    f = per["fam"][rows]
    rows = rows[_desa_order(fam["kode_desa_dtks"][f], rows, fam["stray"][f])]
    f = per["fam"][rows]
    return Table(
        columns={
            "id_dtks": per["id_dtks"][rows], "kode_desa": fam["kode_desa_dtks"][f], "alamat": fam["alamat_dtks"][f],
            "no_kk": fam["no_kk_dtks"][f], "nik": per["nik"][rows], "nama": per["nama"][rows],
            "jenis_kelamin": np.where(per["female"][rows], "P", "L").astype(object),
            "tempat_lahir": per["tempat_lahir"][rows], "tanggal_lahir": per["birth"][rows],
            "hubungan_keluarga": per["hubungan"][rows], "status_kawin": _status_kawin(per["status_kawin"][rows]),
            "pekerjaan": per["pekerjaan"][rows], "disabilitas": _ya(per["disabilitas"][rows]),
        },
        person=rows, family=f, record_id=per["id_dtks"][rows], female=per["female"][rows],
        stray=fam["stray"][f],
    )


def _family_tables(u: Universe, fams: np.ndarray, members: np.ndarray, ids: tuple[str, str],
                   family_extra: dict[str, np.ndarray]) -> tuple[Table, Table]:
    """A family registry's two sheets: families (in desa order) with `family_extra` columns after the head's,
    then their members, grouped by family. `ids`: the registry's family and person id columns."""
    per, fam = u.per, u.fam
    fam_id, person_id = ids
    order = _desa_order(fam["kode_desa"][fams], fams, fam["stray"][fams])
    fams = fams[order]
    rank = np.full(u.n_families, -1)
    rank[fams] = np.arange(len(fams))
    members = members[np.lexsort((members, rank[per["fam"][members]]))]
    mf = per["fam"][members]
    count = np.bincount(mf, minlength=u.n_families)
    head = fam["start"][fams]
    keluarga = Table(
        columns={
            fam_id: fam[fam_id][fams], "kode_desa": fam["kode_desa"][fams],
            "alamat": fam["alamat"][fams], "no_kk": fam["no_kk"][fams], "nik_kepala_keluarga": per["nik"][head],
            "nama_kepala_keluarga": per["nama"][head],
            "jenis_kelamin_kepala_keluarga": np.where(per["female"][head], "P", "L").astype(object),
            **{k: v[order] for k, v in family_extra.items()}, "jumlah_anggota": count[fams].astype(np.int64),
        },
        person=head, family=fams, record_id=fam[fam_id][fams], female=per["female"][head],
        stray=fam["stray"][fams],
    )
    anggota = Table(
        columns={
            fam_id: fam[fam_id][mf], person_id: per[person_id][members],
            "nik": per["nik"][members], "nama": per["nama"][members],
            "jenis_kelamin": np.where(per["female"][members], "P", "L").astype(object),
            "tempat_lahir": per["tempat_lahir"][members], "tanggal_lahir": per["birth"][members],
            "hubungan_keluarga": per["hubungan"][members],
            "status_kawin": _status_kawin(per["status_kawin"][members]), "pekerjaan": per["pekerjaan"][members],
            "disabilitas": _ya(per["disabilitas"][members]),
        },
        person=members, family=mf, record_id=per[person_id][members], female=per["female"][members],
        stray=fam["stray"][mf],
    )
    return keluarga, anggota


def p3ke_tables(u: Universe, state: PeriodState) -> tuple[Table, Table]:
    fams = np.flatnonzero(state.fam_in_p3ke)
    return _family_tables(u, fams, np.flatnonzero(state.in_p3ke), ("id_keluarga_p3ke", "id_individu_p3ke"),
                          {"desil": state.desil[fams].astype(np.int64)})


def dtsen_tables(u: Universe, dtsen) -> tuple[Table, Table]:
    """DTSEN families and members as an extract writes them (`population.DtsenState`)."""
    fams = np.flatnonzero(dtsen.fam_in)
    return _family_tables(u, fams, np.flatnonzero(dtsen.person_in), ("id_keluarga_dtsen", "id_individu_dtsen"), {
        "desil_nasional": dtsen.desil[fams].astype(np.int64),
        "desil_provinsi": dtsen.desil_provinsi[fams].astype(np.int64),
        "desil_kabupaten_kota": dtsen.desil_kabupaten[fams].astype(np.int64),
    })


def intervensi_table(u: Universe, state: PeriodState, rec: Recipients, period: tuple[int, int],
                     rng: np.random.Generator) -> Table:
    per, fam = u.per, u.fam
    dtks_based = rec.programme.kode in P.DTKS_BASED
    f = rec.family
    use_dtks = state.fam_in_dtks[f] if dtks_based else np.zeros(len(f), bool)
    desa = np.where(use_dtks, fam["kode_desa_dtks"][f], fam["kode_desa"][f])
    order = _desa_order(desa, rec.person, fam["stray"][f])
    person, f, desa, use_dtks = rec.person[order], f[order], desa[order], use_dtks[order]
    # One distribution day per desa in the period month.
    month = np.datetime64(f"{period[0]:04d}-{period[1]:02d}", "M")
    days = int(((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64))
    uniq, inverse = np.unique(desa.astype(np.int64), return_inverse=True)
    day = rng.integers(0, days, len(uniq))[inverse] if len(uniq) else np.zeros(0, np.int64)
    return Table(
        columns={
            "kode_program": np.full(len(person), rec.programme.kode, dtype=object),
            "nik": per["nik"][person],
            "no_kk": np.where(use_dtks, fam["no_kk_dtks"][f], fam["no_kk"][f]),
            "nama": per["nama"][person], "tanggal_lahir": per["birth"][person], "kode_desa": desa,
            "alamat": np.where(use_dtks, fam["alamat_dtks"][f], fam["alamat"][f]),
            "nilai_bantuan": rec.nilai[order], "tanggal_salur": month.astype("datetime64[D]") + day,
        },
        person=person, family=f, record_id=None, female=per["female"][person], stray=fam["stray"][f],
    )


def _status_kawin(codes: np.ndarray) -> np.ndarray:
    return STATUS_KAWIN[codes]


def _ya(flags: np.ndarray) -> np.ndarray:
    return np.where(flags, "Ya", "Tidak").astype(object)


# ---------------------------------------------------------------------------------------------- rendering


def _upper(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    return np.strings.upper(values.astype(StringDType())).astype(object)


def format_dates(dates: np.ndarray, fmt: str) -> tuple[np.ndarray, int]:
    """Dates as text in a file's format, or Excel serials (kind DATE)."""
    d = dates.astype("datetime64[D]")
    if fmt == "excel":
        return (d - _EXCEL_EPOCH).astype(np.int64).astype(str).astype(object), DATE
    y = (d.astype("datetime64[Y]").astype(np.int64) + 1970).astype(str).astype(object)
    m = _TWO[d.astype("datetime64[M]").astype(np.int64) % 12 + 1]
    day = _TWO[(d - d.astype("datetime64[M]")).astype(np.int64) + 1]
    if fmt == "iso":
        return y + "-" + m + "-" + day, STR
    sep = "-" if fmt == "dmy-" else "/"
    return day + sep + m + sep + y, STR


_FOUR = np.array([f"{i:04d}" for i in range(10_000)], dtype=object)


def _dotted(codes: np.ndarray) -> np.ndarray:
    """10-digit desa codes dotted: 5205012001 -> 52.05.01.2001."""
    if not len(codes):
        return codes
    v = codes.astype(np.int64)
    return (_TWO[v // 10**8] + "." + _TWO[v // 10**6 % 100] + "." + _TWO[v // 10**4 % 100] + "."
            + _FOUR[v % 10**4])


def _scientific(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Which Excel-number cells a CSV shows as 9.17...E+15: half, and all whose 16th digit is already 0
    (written plainly they would look untouched)."""
    sci = rng.random(len(values)) < 0.5
    if len(values):
        sci |= np.strings.endswith(values.astype(StringDType()), "0")
    return sci


@dataclass
class Rendered:
    """One sheet as written: cells, the source row of every physical row, and its defects."""

    headers: dict[str, str]  # canonical -> header as written (columns in file order)
    columns: list[Column]
    source_row: np.ndarray  # table row index of each physical data row
    duplicate: np.ndarray  # the physical row is an inserted copy
    defects: dict[str, np.ndarray]  # with physical "position" (-1 = file level) and fixed excel_row
    title_lines: list[str]

    @property
    def header_row(self) -> int:
        return len(self.title_lines) + 1


def _render_nik(c: str, values: np.ndarray, rng: np.random.Generator, rates: dict[str, float], log: D.DefectLog,
                csv: bool) -> tuple[np.ndarray, np.ndarray]:
    """NIK cells: missing, transposed or mistyped digits, or an Excel number (9.17E+15 in a CSV)."""
    n = len(values)
    u = rng.random(n)
    missing, transposed, typo, number = D.partition(
        u, [rates["nik_missing"], rates["nik_transposed"], rates["nik_typo"], rates["nik_excel_number"]])
    out = values.copy()
    k = np.full(n, STR, dtype=np.int8)
    out[missing], k[missing] = "", EMPTY
    pos = rng.integers(1, 15, n)
    delta = rng.integers(1, 10, n)
    out[transposed] = D.transpose_digits(values[transposed], pos[transposed])
    out[typo] = D.typo_digit(values[typo], pos[typo], delta[typo])
    sci = _scientific(rng, values)
    out[number] = D.excel_number(values[number], sci[number] if csv else None)
    if not csv:
        k[number] = NUM
    for mask, defect in ((missing, "nik_missing"), (transposed, "nik_transposed"), (typo, "nik_typo"),
                         (number, "nik_excel_number")):
        idx = np.flatnonzero(mask)
        log.add(idx, c, defect, values[idx], out[idx])
    return out, k


def _render_no_kk(c: str, values: np.ndarray, rng: np.random.Generator, rates: dict[str, float],
                  log: D.DefectLog, csv: bool) -> tuple[np.ndarray, np.ndarray]:
    """KK numbers: only the Excel-number defect."""
    n = len(values)
    number = rng.random(n) < rates["nik_excel_number"]
    sci = _scientific(rng, values)
    out = values.copy()
    out[number] = D.excel_number(values[number], sci[number] if csv else None)
    k = np.full(n, STR, dtype=np.int8)
    if not csv:
        k[number] = NUM
    idx = np.flatnonzero(number)
    log.add(idx, c, "nik_excel_number", values[idx], out[idx])
    return out, k


def _render_birth_dates(c: str, values: np.ndarray, rng: np.random.Generator, rates: dict[str, float],
                        log: D.DefectLog, date_format: str) -> tuple[np.ndarray, int]:
    """Birth dates: day and month swapped, a placeholder date, or shifted; then written in the file's format."""
    n = len(values)
    u = rng.random(n)
    swap, holder, shift = D.partition(
        u, [rates["date_day_month_swapped"], rates["placeholder_birth_date"], rates["date_shifted"]])
    d = values.astype("datetime64[D]")
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    mm = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    swap &= (dd <= 12) & (dd != mm)
    written = d.copy()
    written[swap] = D.swap_day_month(d[swap])
    written[holder] = D.placeholder_dates(d[holder], rng.random(int(holder.sum())) < 0.3)
    holder &= written != d
    # Off by days (half) or by one to three months (the other half), either way.
    days = np.where(rng.random(n) < 0.5, rng.integers(1, 15, n), rng.integers(28, 95, n))
    days = np.where(rng.random(n) < 0.5, days, -days)
    written[shift] = D.shift_dates(d[shift], days[shift])
    clean_text, k = format_dates(d, date_format)
    out_text, _ = format_dates(written, date_format)
    for mask, defect in ((swap, "date_day_month_swapped"), (holder, "placeholder_birth_date"),
                         (shift, "date_shifted")):
        idx = np.flatnonzero(mask)
        log.add(idx, c, defect, clean_text[idx], out_text[idx])
    return out_text, k


def _render_kode_desa(c: str, values: np.ndarray, rng: np.random.Generator, rates: dict[str, float],
                      log: D.DefectLog, kode_format: str) -> tuple[np.ndarray, int]:
    """Desa codes in the file's format; "mixed" dots some rows only (each one a defect)."""
    if kode_format == "dotted":
        return _dotted(values), STR
    if kode_format == "number":
        return values.copy(), NUM
    out = values.copy()
    if kode_format == "mixed":
        hit = rng.random(len(values)) < rates["kode_dotted_row"]
        out[hit] = _dotted(values[hit])
        idx = np.flatnonzero(hit)
        log.add(idx, c, "kode_dotted_row", values[idx], out[idx])
    return out, STR


def _render_alamat(values: np.ndarray, alamat_style: int) -> np.ndarray:
    """Addresses, abbreviated in the short style (Dsn. / Ling. / RT. / RW.)."""
    out = values
    if alamat_style == 1 and len(values):
        out = values.astype(StringDType())
        for old, new in (("Dusun ", "Dsn. "), ("Lingkungan ", "Ling. "), (" RT ", " RT."), ("/RW ", " RW.")):
            out = np.strings.replace(out, old, new)
        out = out.astype(object)
    return out


def _render_column(c: str, table: Table, style: FileStyle, rates: dict[str, float], rng: np.random.Generator,
                   log: D.DefectLog, case) -> tuple[np.ndarray, np.ndarray | int]:
    """One column's cells as written and their kind (one kind for the column, or one per row)."""
    values = table.columns[c]
    csv = style.format == "csv"
    if c in NIK_COLUMNS:
        return _render_nik(c, values, rng, rates, log, csv)
    if c == "no_kk":
        return _render_no_kk(c, values, rng, rates, log, csv)
    if c == "tanggal_lahir":
        return _render_birth_dates(c, values, rng, rates, log, style.date_format)
    if c == "tanggal_salur":
        return format_dates(values, style.date_format)
    if c in NAME_COLUMNS:
        return D.name_defects(rng, values, table.female, rates, log, c, case), STR
    if c == "kode_desa":
        return _render_kode_desa(c, values, rng, rates, log, style.kode_format)
    if c in NUMBER_COLUMNS:
        return values.astype(np.int64).astype(str).astype(object), (STR if csv else NUM)
    if c == "tempat_lahir":
        return case(values), STR
    if c == "alamat":
        return case(_render_alamat(values, style.alamat_style)), STR
    return values, STR


def _place_defects(log: D.DefectLog, dup: np.ndarray, first_pos: np.ndarray, header_row: int) -> dict:
    """The cell defects at their physical rows (a duplicated row's copy carries its original's defects),
    plus one `duplicate_row` defect per copy, its original being the excel row it copies."""
    arrays = log.arrays()
    rows = arrays.pop("row")
    cell = rows >= 0
    pos = np.where(cell, first_pos[np.maximum(rows, 0)], -1)
    again = cell & dup[np.maximum(rows, 0)]  # the copy carries the same defective cell
    defects = {k: np.r_[v, v[again]] for k, v in arrays.items()}
    defects["position"] = np.r_[pos, pos[again] + 1]
    dup_idx = np.flatnonzero(dup)
    copies = first_pos[dup_idx] + 1
    n_copies = len(copies)
    defects["position"] = np.r_[defects["position"], copies]
    defects["excel_row"] = np.r_[defects["excel_row"], np.zeros(n_copies, np.int64)]
    defects["column"] = np.r_[defects["column"], np.full(n_copies, "", object)]
    defects["defect"] = np.r_[defects["defect"], np.full(n_copies, "duplicate_row", object)]
    defects["original"] = np.r_[defects["original"], (header_row + 1 + first_pos[dup_idx]).astype(str).astype(object)]
    defects["written"] = np.r_[defects["written"], np.full(n_copies, "", object)]
    return defects


def render(table: Table, canonical: tuple[str, ...], style: FileStyle, rates: dict[str, float],
           rng: np.random.Generator, title_lines: list[str], kode_program: str | None = None) -> Rendered:
    """Apply the file's style and defects to a clean table."""
    n = len(table.person)
    log = D.DefectLog()
    case = _upper if style.name_case == "upper" else (lambda v: v)
    cols = [c for c in canonical if c != "kode_program" or style.kode_program_column]
    text: dict[str, np.ndarray] = {}
    kind: dict[str, np.ndarray | int] = {}
    for c in cols:  # column by column, in file order: each draws from rng in turn
        text[c], kind[c] = _render_column(c, table, style, rates, rng, log, case)
    stray = np.flatnonzero(table.stray)
    if "kode_desa" in text:
        log.add(stray, "kode_desa", "other_regency_row", np.full(len(stray), "", object), text["kode_desa"][stray])
    else:  # P3KE members: the family's row carries the code; the member rows are still foreign
        log.add(stray, "", "other_regency_row", np.full(len(stray), "", object), np.full(len(stray), "", object))

    # Exact duplicates, each right below its original.
    dup = rng.random(n) < rates["duplicate_row"]
    reps = 1 + dup.astype(np.int64)
    source_row = np.repeat(np.arange(n), reps)
    first_pos = np.cumsum(reps) - reps
    is_copy = np.zeros(len(source_row), bool)
    is_copy[first_pos[dup] + 1] = True
    defects = _place_defects(log, dup, first_pos, header_row=len(title_lines) + 1)

    header_names = H.choose_headers(cols, style.header_u, style.headers_enabled)
    columns = []
    for c in cols:
        k = kind[c]
        columns.append(Column(text[c][source_row], k[source_row] if isinstance(k, np.ndarray) else k))
    return Rendered(header_names, columns, source_row, is_copy, defects, title_lines)


# ---------------------------------------------------------------------------------------------- writing


@dataclass
class WrittenFile:
    """A written file, its manifest entry and its truth rows."""

    info: dict
    individu: dict[str, np.ndarray] | None = None
    keluarga: dict[str, np.ndarray] | None = None
    defects: dict[str, np.ndarray] | None = None


def file_level_defects(style: FileStyle, rendered: Rendered, kode_program: str | None) -> dict[str, list]:
    """Title lines, header spellings, code/date formats, CSV dialect, a missing kode_program column."""
    out: dict[str, list] = {k: [] for k in ("excel_row", "column", "defect", "original", "written")}

    def add(excel_row, column, defect, original, written):
        for key, value in zip(out, (excel_row, column, defect, original, written), strict=True):
            out[key].append(value)

    for r, line in enumerate(rendered.title_lines, start=1):
        if line:
            add(r, "", "title_rows", "", line)
    for c, header in rendered.headers.items():
        if header != c:
            add(rendered.header_row, c, "header_variant", c, header)
    if style.kode_format != "plain" and "kode_desa" in rendered.headers:
        add(0, "kode_desa", "kode_format_variant", "plain", style.kode_format)
    if style.date_format != "iso" and ("tanggal_lahir" in rendered.headers or "tanggal_salur" in rendered.headers):
        add(0, "tanggal_lahir", "date_format_variant", DATE_FORMATS["iso"], DATE_FORMATS[style.date_format])
    if style.format == "csv" and (style.encoding != "utf-8" or style.delimiter != ","):
        add(0, "", "csv_dialect_variant", "utf-8 ,", f"{style.encoding} {style.delimiter}")
    if kode_program and not style.kode_program_column:
        add(0, "kode_program", "missing_kode_program", kode_program, "")
    return out


def write_sheets(path: Path, style: FileStyle, sheets: list[tuple[str, Rendered]], engine: str) -> None:
    if style.format == "csv":
        (_, r), = sheets
        write_csv(path, list(r.headers.values()), r.columns, title_lines=r.title_lines,
                  delimiter=style.delimiter, encoding=style.encoding, newline=style.newline,
                  pad_titles=style.pad_titles)
    else:
        write_xlsx(path, [Sheet(name, list(r.headers.values()), r.columns, r.title_lines) for name, r in sheets],
                   engine=engine)


def period_index(period: tuple[int, int]) -> int:
    return months_from_epoch(period) + 100_000  # non-negative seed material


def make_title(ctx: RegencyContext, jenis: str, style: FileStyle, period: tuple[int, int], **fmt) -> list[str]:
    if not style.title:
        return []
    return H.title_lines(jenis, ctx.nama_kab, period, style.title_u, **fmt)
