"""One regency, one period: population -> state -> recipients -> files written -> truth rows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from satudata.schema import (
    DTKS_COLUMNS,
    DTSEN_ANGGOTA_COLUMNS,
    DTSEN_KELUARGA_COLUMNS,
    INTERVENSI_COLUMNS,
    P3KE_ANGGOTA_COLUMNS,
    P3KE_KELUARGA_COLUMNS,
    P3KE_SHEETS,
    PEKERJAAN_PEKERJA_MIGRAN,
)

from satudata_dev.generate import files as F
from satudata_dev.generate import params as P
from satudata_dev.generate.budget import write_budget
from satudata_dev.generate.codes import CATEGORY_NAMES, HEAD, NIK_ORIGINS, OUTSIDER
from satudata_dev.generate.population import (
    PeriodState,
    RegencyContext,
    Universe,
    build_universe,
    crc,
    dtsen_periods,
    dtsen_state,
    period_state,
)
from satudata_dev.generate.programmes import Recipients, draw_recipients


@dataclass
class RegencyResult:
    kode_kab: str
    files: list[dict] = field(default_factory=list)  # manifest entries
    counts: dict[str, int] = field(default_factory=dict)
    individu: list[dict] = field(default_factory=list)
    keluarga: list[dict] = field(default_factory=list)
    defects: list[dict] = field(default_factory=list)
    people: dict | None = None
    families: dict | None = None
    budget: dict | None = None  # the budget workbook's manifest entry
    budget_truth: pd.DataFrame | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class RegencyJob:
    ctx: RegencyContext
    out_dir: str
    period: tuple[int, int]
    rates: dict[str, float]
    force: dict  # per-file style overrides, e.g. {"dtks": {"format": "csv", "dialect": "cp1252"}}
    xlsx_engine: str = "fast"


def _truth_rows(source: str, sheet: str, path_rel: str, kode_kab: str, table: F.Table, rendered: F.Rendered,
                u, kode_program: str = "") -> dict:
    rows = rendered.source_row
    n = len(rows)
    excel_row = rendered.header_row + 1 + np.arange(n)
    if table.record_id is not None:
        record_id = table.record_id[rows]
    else:
        name = Path(path_rel).name
        record_id = name + ":" + excel_row.astype(str).astype(object)
    return {
        "person_id": u.per["person_id"][table.person[rows]], "family_id": u.fam["family_id"][table.family[rows]],
        "source": np.full(n, source, object), "record_id": record_id, "kode_kab": np.full(n, kode_kab, object),
        "file": np.full(n, path_rel, object), "sheet": np.full(n, sheet, object), "excel_row": excel_row,
        "kode_program": np.full(n, kode_program, object),
    }


def _defect_rows(path_rel: str, sheet: str, table: F.Table, rendered: F.Rendered, file_level: dict, u) -> dict:
    d = rendered.defects
    pos = d["position"]
    cell = pos >= 0
    excel_row = np.where(cell, rendered.header_row + 1 + pos, d["excel_row"])
    person = np.full(len(pos), -1, dtype=np.int64)
    if cell.any():
        person[cell] = u.per["person_id"][table.person[rendered.source_row[pos[cell]]]]
    headers = rendered.headers
    k = len(file_level["defect"])
    column = np.r_[d["column"], np.array(file_level["column"], dtype=object)]
    return {
        "file": np.full(len(pos) + k, path_rel, object), "sheet": np.full(len(pos) + k, sheet, object),
        "excel_row": np.r_[excel_row, np.array(file_level["excel_row"], dtype=np.int64)],
        "column": column,
        "header": np.array([headers.get(c, "") for c in column], dtype=object),
        "defect": np.r_[d["defect"], np.array(file_level["defect"], dtype=object)],
        "original": np.r_[d["original"], np.array(file_level["original"], dtype=object)],
        "written": np.r_[d["written"], np.array(file_level["written"], dtype=object)],
        "person_id": np.r_[person, np.full(k, -1, dtype=np.int64)],
    }


def _info(path_rel: str, jenis: str, kode_kab: str, style: F.FileStyle, sheets: list[tuple[str, F.Rendered]],
          kode_program: str | None) -> dict:
    return {
        "path": path_rel, "jenis": jenis, "kode_kab": kode_kab, "kode_program": kode_program,
        "format": style.format,
        "encoding": style.encoding if style.format == "csv" else None,
        "delimiter": style.delimiter if style.format == "csv" else None,
        "newline": {"\n": "LF", "\r\n": "CRLF"}[style.newline] if style.format == "csv" else None,
        "date_format": F.DATE_FORMATS[style.date_format], "kode_format": style.kode_format,
        "name_case": style.name_case,
        "title_lines": sheets[0][1].title_lines,
        "sheets": [
            {"name": name if style.format == "xlsx" else None, "header_row": r.header_row,
             "first_data_row": r.header_row + 1, "rows": len(r.source_row), "headers": r.headers}
            for name, r in sheets
        ],
    }


@dataclass
class _Regency:
    """One regency's generation under way: its population this period, and the truth collected so far."""

    job: RegencyJob
    u: Universe
    state: PeriodState
    pidx: int  # period as seed material
    result: RegencyResult

    @property
    def out(self) -> Path:
        return Path(self.job.out_dir)

    @property
    def period_text(self) -> str:
        return f"{self.job.period[0]:04d}-{self.job.period[1]:02d}"

    def rng_for(self, key: str) -> np.random.Generator:
        """A file's own stream: its defects do not depend on the files written before it."""
        return self.job.ctx.rng(4, self.pidx, crc(key))

    def emit(self, jenis: str, path: Path, style: F.FileStyle, parts: list[tuple[str, str, F.Table, F.Rendered]],
             kode_program: str | None = None) -> None:
        """Write a file's sheets; collect its manifest entry, defects and truth rows."""
        kab, u, result = self.job.ctx.kode_kab, self.u, self.result
        rel = path.relative_to(self.out).as_posix()
        path.parent.mkdir(parents=True, exist_ok=True)
        F.write_sheets(path, style, [(name, r) for name, _, _, r in parts], self.job.xlsx_engine)
        result.files.append(_info(rel, jenis, kab, style, [(name, r) for name, _, _, r in parts], kode_program))
        for name, role, table, rendered in parts:
            sheet = name if style.format == "xlsx" else ""
            level = F.file_level_defects(style, rendered, kode_program)
            result.defects.append(_defect_rows(rel, sheet, table, rendered, level, u))
            if role == "keluarga":
                rows = rendered.source_row
                result.keluarga.append({
                    "family_id": u.fam["family_id"][table.family[rows]],
                    "source": np.full(len(rows), jenis, object), "kode_kab": np.full(len(rows), kab, object),
                    "file": np.full(len(rows), rel, object), "sheet": np.full(len(rows), sheet, object),
                    "excel_row": rendered.header_row + 1 + np.arange(len(rows)),
                    "family_key": table.record_id[rows], "no_kk": table.columns["no_kk"][rows],
                })
            else:
                source = {"dtks": "dtks", "anggota": jenis, "intervensi": "intervensi"}[role]
                result.individu.append(_truth_rows(source, sheet, rel, kab, table, rendered, u, kode_program or ""))


def run_regency(job: RegencyJob) -> RegencyResult:
    """Generate and write every file of one regency for one period, with its truth."""
    started = time.perf_counter()
    ctx, period, rates = job.ctx, job.period, job.rates
    pidx = F.period_index(period)
    u = build_universe(ctx, rates["other_regency_row"])
    state = period_state(u, period)
    recipients = draw_recipients(ctx, u, state, pidx)
    reg = _Regency(job, u, state, pidx, RegencyResult(ctx.kode_kab))
    _write_dtks(reg)
    _write_p3ke(reg)
    dtsen_now = _write_dtsen(reg)
    _write_intervensi(reg, recipients)
    _write_budget(reg, recipients)
    result = reg.result
    result.people, result.families = _people_truth(ctx, u, state, recipients, period, dtsen_now)
    result.counts["people"] = len(result.people["person_id"])
    result.counts["families"] = len(result.families["family_id"])
    result.seconds = time.perf_counter() - started
    return result


def _write_dtks(reg: _Regency) -> None:
    """The DTKS list (one sheet, CSV beyond Excel's row limit), and its families: each card's first row."""
    ctx, kab, out, result = reg.job.ctx, reg.job.ctx.kode_kab, reg.out, reg.result
    table = F.dtks_table(reg.u, reg.state)
    force = reg.job.force.get("dtks", {})
    if len(table.person) + 10 >= P.EXCEL_MAX_ROWS:
        force = {**force, "format": "csv"}
    style = F.draw_style(ctx, "dtks", "dtks", reg.job.rates, P.CSV_SHARE_DTKS, force)
    titles = F.make_title(ctx, "dtks", style, reg.job.period)
    rendered = F.render(table, DTKS_COLUMNS, style, reg.job.rates, reg.rng_for("dtks"), titles)
    ext = style.format
    path = out / "inbox" / kab / "dtks" / f"dtks_{kab}_{reg.period_text}.{ext}"
    reg.emit("dtks", path, style, [(style.sheet_name or "DTKS", "dtks", table, rendered)])
    # DTKS families: the first row of each family card as written.
    rows = rendered.source_row
    first = np.r_[True, table.family[rows][1:] != table.family[rows][:-1]] if len(rows) else np.zeros(0, bool)
    fam_rows = rows[first]
    rel = path.relative_to(out).as_posix()
    sheet = (style.sheet_name or "DTKS") if style.format == "xlsx" else ""
    result.keluarga.append({
        "family_id": reg.u.fam["family_id"][table.family[fam_rows]], "source": np.full(len(fam_rows), "dtks", object),
        "kode_kab": np.full(len(fam_rows), kab, object), "file": np.full(len(fam_rows), rel, object),
        "sheet": np.full(len(fam_rows), sheet, object),
        "excel_row": rendered.header_row + 1 + np.flatnonzero(first),
        "family_key": table.columns["no_kk"][fam_rows], "no_kk": table.columns["no_kk"][fam_rows],
    })
    result.counts["dtks"] = len(rows)


def _write_p3ke(reg: _Regency) -> None:
    """P3KE: always xlsx, two sheets (members split over extra sheets beyond Excel's row limit)."""
    ctx, kab, rates = reg.job.ctx, reg.job.ctx.kode_kab, reg.job.rates
    keluarga, anggota = F.p3ke_tables(reg.u, reg.state)
    style = F.draw_style(ctx, "p3ke", "p3ke", rates, 0.0, {"format": "xlsx"})
    titles = F.make_title(ctx, "p3ke", style, reg.job.period)
    rk = F.render(keluarga, P3KE_KELUARGA_COLUMNS, style, rates, reg.rng_for("p3ke/keluarga"), titles)
    ra = F.render(anggota, P3KE_ANGGOTA_COLUMNS, style, rates, reg.rng_for("p3ke/anggota"), titles)
    parts = [(P3KE_SHEETS["keluarga"], "keluarga", keluarga, rk)]
    parts += [(name, "anggota", anggota, r) for name, r in _split_rows(P3KE_SHEETS["anggota"], ra)]
    path = reg.out / "inbox" / kab / "p3ke" / f"p3ke_{kab}_{reg.period_text}.xlsx"
    reg.emit("p3ke", path, style, parts)
    reg.result.counts["p3ke_keluarga"] = len(rk.source_row)
    reg.result.counts["p3ke"] = len(ra.source_row)


def _write_dtsen(reg: _Regency):
    """DTSEN: the quarterly extracts the regency holds at this period (two sheets, xlsx). Returns the
    period's own extract (None before DTSEN existed)."""
    ctx, kab, rates, period, u = reg.job.ctx, reg.job.ctx.kode_kab, reg.job.rates, reg.job.period, reg.u
    dtsen_now = None
    for when in dtsen_periods(period):
        dtsen = dtsen_state(u, period_state(u, when), when)
        if when == period:
            dtsen_now = dtsen
        when_text = f"{when[0]:04d}-{when[1]:02d}"
        keluarga, anggota = F.dtsen_tables(u, dtsen)
        style = F.draw_style(ctx, "dtsen", "dtsen", rates, 0.0, {"format": "xlsx"})
        titles = F.make_title(ctx, "dtsen", style, when)
        rk = F.render(keluarga, DTSEN_KELUARGA_COLUMNS, style, _dtsen_rates(rates),
                      reg.rng_for(f"dtsen/k/{when_text}"), titles)
        ra = F.render(anggota, DTSEN_ANGGOTA_COLUMNS, style, _dtsen_rates(rates),
                      reg.rng_for(f"dtsen/a/{when_text}"), titles)
        for rendered in (rk, ra):  # the names public DTSEN extracts use, unless headers are to stay canonical
            for canonical, extract_name in (("nik", "nomor_induk_kependudukan"), ("no_kk", "nomor_kartu_keluarga")):
                if rates.get("header_variant", 0) > 0 and rendered.headers.get(canonical) == canonical:
                    rendered.headers[canonical] = extract_name
        parts = [(P3KE_SHEETS["keluarga"], "keluarga", keluarga, rk)]
        parts += [(name, "anggota", anggota, r) for name, r in _split_rows(P3KE_SHEETS["anggota"], ra)]
        path = reg.out / "inbox" / kab / "dtsen" / f"dtsen_{kab}_{when_text}.xlsx"
        reg.emit("dtsen", path, style, parts)
        reg.result.counts[f"dtsen_keluarga_{when_text}"] = len(rk.source_row)
        reg.result.counts["dtsen_keluarga"] = len(rk.source_row)
        reg.result.counts["dtsen"] = len(ra.source_row)
    return dtsen_now


def _write_intervensi(reg: _Regency, recipients: list[Recipients]) -> None:
    """One recipient list per programme (CSV beyond Excel's row limit)."""
    ctx, kab, rates, period = reg.job.ctx, reg.job.ctx.kode_kab, reg.job.rates, reg.job.period
    total = 0
    for rec in recipients:
        code = rec.programme.kode
        table = F.intervensi_table(reg.u, reg.state, rec, period, ctx.rng(9, reg.pidx, crc(code)))
        force = reg.job.force.get(f"intervensi/{code}", {})
        if len(table.person) + 10 >= P.EXCEL_MAX_ROWS:
            force = {**force, "format": "csv"}
        style = F.draw_style(ctx, f"intervensi/{code}", "intervensi", rates, P.CSV_SHARE_INTERVENSI, force)
        titles = F.make_title(ctx, "intervensi", style, period, nama_program=rec.programme.nama.upper(),
                              kode_program=code)
        rendered = F.render(table, INTERVENSI_COLUMNS, style, rates, reg.rng_for(f"intervensi/{code}"), titles)
        path = reg.out / "inbox" / kab / "intervensi" / f"{code}_{kab}_{reg.period_text}.{style.format}"
        reg.emit("intervensi", path, style, [(style.sheet_name or code, "intervensi", table, rendered)], code)
        reg.result.counts[f"intervensi_{code}"] = len(rendered.source_row)
        total += len(rendered.source_row)
    reg.result.counts["intervensi"] = total


def _write_budget(reg: _Regency, recipients: list[Recipients]) -> None:
    """The poverty budget (APBD): its programme lines follow the lists the regency runs."""
    ctx, result = reg.job.ctx, reg.result
    rel, rows, budget_truth = write_budget(reg.out, ctx.kode_kab, reg.job.period,
                                           {rec.programme.kode for rec in recipients},
                                           np.array(ctx.desa, dtype=object), reg.rng_for("anggaran"), ctx.scale)
    result.budget = {"path": rel, "jenis": "anggaran", "kode_kab": ctx.kode_kab, "rows": rows,
                     "lines": len(budget_truth)}
    result.budget_truth = budget_truth
    result.counts["anggaran"] = rows


def _split_rows(name: str, rendered: F.Rendered) -> list[tuple[str, F.Rendered]]:
    """Split a sheet that would exceed Excel's row limit into `name`, `name 2`, ... (same header)."""
    limit = P.EXCEL_MAX_ROWS - rendered.header_row
    n = len(rendered.source_row)
    if n <= limit:
        return [(name, rendered)]
    parts = []
    for i, lo in enumerate(range(0, n, limit)):
        hi = min(lo + limit, n)
        pos = rendered.defects["position"]
        keep = (pos < 0) & (i == 0) | (pos >= lo) & (pos < hi)
        defects = {k: v[keep] for k, v in rendered.defects.items()}
        defects["position"] = np.where(defects["position"] >= 0, defects["position"] - lo, -1)
        columns = [F.Column(c.text[lo:hi], c.kind[lo:hi] if isinstance(c.kind, np.ndarray) else c.kind)
                   for c in rendered.columns]
        parts.append((name if i == 0 else f"{name} {i + 1}",
                      F.Rendered(rendered.headers, columns, rendered.source_row[lo:hi], rendered.duplicate[lo:hi],
                                 defects, rendered.title_lines)))
    return parts


def _dtsen_rates(rates: dict[str, float]) -> dict[str, float]:
    """DTSEN is matched to Dukcapil on NIK: its NIK and KK cells are far cleaner than a regency's own lists."""
    return {k: (v * 0.1 if k.startswith("nik") else v) for k, v in rates.items()}


def _people_truth(ctx: RegencyContext, u, state, recipients, period, dtsen=None) -> tuple[dict, dict]:
    per, fam = u.per, u.fam
    f = per["fam"]
    # Everyone in a file of the period: registered families, and (DTSEN covering them) families no longer
    # registered elsewhere.
    in_any = state.fam_active | (dtsen.fam_in if dtsen is not None else False)
    keep = in_any[f] & state.born
    idx = np.flatnonzero(keep)
    end = np.datetime64(f"{period[0]:04d}-{period[1]:02d}", "M").astype("datetime64[D]")
    age = (end - per["birth"]).astype(np.int64) / 365.25
    # Programmes named on a list (person) and received by the family.
    named = np.full(u.n_people, "", dtype=object)
    fam_prog = np.full(u.n_families, "", dtype=object)
    for rec in recipients:  # a handful of programmes: the loop is over lists, not rows
        code = rec.programme.kode
        people = np.unique(rec.person)
        named[people] = np.where(named[people] == "", code, named[people] + ";" + code)
        fams = np.unique(rec.family)
        fam_prog[fams] = np.where(fam_prog[fams] == "", code, fam_prog[fams] + ";" + code)
    # Living alone: the true family has one member (who is 60+).
    lansia_tunggal = (fam["size"][f] == 1) & (age >= 60)
    head_f = (per["role"] == HEAD) & per["female"]
    people = {
        "person_id": per["person_id"][idx], "nik": per["nik"][idx], "nama": per["nama"][idx],
        "tanggal_lahir": per["birth"][idx], "jenis_kelamin": np.where(per["female"][idx], "P", "L").astype(object),
        "family_id": per["family_id"][idx], "hubungan_keluarga": per["hubungan"][idx],
        "kode_desa": fam["kode_desa"][f][idx], "kode_kab": np.full(len(idx), ctx.kode_kab, object),
        "desil": state.desil[f][idx], "in_dtks": state.in_dtks[idx], "in_p3ke": state.in_p3ke[idx],
        "programmes": named[idx], "programmes_keluarga": fam_prog[f][idx],
        "lansia_tunggal": lansia_tunggal[idx], "disabilitas": per["disabilitas"][idx],
        "kepala_keluarga_perempuan": head_f[idx], "pekerja_migran": (per["pekerjaan"] == PEKERJAAN_PEKERJA_MIGRAN)[idx],
        "tinggal_di_kabupaten_lain": fam["stray"][f][idx], "tidak_terdaftar": (fam["category"] == OUTSIDER)[f][idx],
        "nik_asal": np.array(NIK_ORIGINS, dtype=object)[per["nik_origin"][idx]],
        "in_dtsen": dtsen.person_in[idx] if dtsen is not None else np.zeros(len(idx), bool),
    }
    fidx = np.flatnonzero(in_any)
    families = {
        "family_id": fam["family_id"][fidx], "kode_kab": np.full(len(fidx), ctx.kode_kab, object),
        "kode_desa": fam["kode_desa"][fidx], "kode_desa_dtks": fam["kode_desa_dtks"][fidx],
        "no_kk": fam["no_kk"][fidx], "no_kk_dtks": fam["no_kk_dtks"][fidx],
        "id_keluarga_p3ke": fam["id_keluarga_p3ke"][fidx],
        "kategori": np.array(CATEGORY_NAMES, dtype=object)[fam["category"][fidx]],
        "desil": state.desil[fidx], "in_dtks": state.fam_in_dtks[fidx], "in_p3ke": state.fam_in_p3ke[fidx],
        "jumlah_anggota": fam["size"][fidx], "kk_terbit_ulang": fam["kk_reissued"][fidx],
        "pindah": fam["moved"][fidx], "tinggal_di_kabupaten_lain": fam["stray"][fidx],
        "tidak_terjangkau": fam["unreached"][fidx], "programmes": fam_prog[fidx],
        "in_dtsen": dtsen.fam_in[fidx] if dtsen is not None else np.zeros(len(fidx), bool),
        "desil_dtsen": dtsen.desil[fidx] if dtsen is not None else np.zeros(len(fidx), np.int8),
    }
    return people, families
