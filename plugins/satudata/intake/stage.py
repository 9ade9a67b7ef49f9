"""Validate the chunks of one submission and stage its good rows, all in one transaction.

Readers of `staging` see either the previous state or the whole new submission, never part of it:
the rows are inserted in the caller's transaction, and what the submission covers of older ones (its
kecamatan, or the whole regency; for recipient lists also programme and tranche: `intake.cakupan`) is
switched off (`aktif = false`) in the same one.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from satudata.config import Settings
from satudata.intake import cakupan
from satudata.intake.cakupan import normalise_tahap, tahap_from_name
from satudata.intake.plans import TABLE_ROLES
from satudata.intake.rows import EXCEL_NIK
from satudata.intake.totals import Reconciler
from satudata.intake.validate import (
    FAMILY_SUITES,
    ISSUE_COLUMNS,
    STAGING_TABLE,
    SUITE_BY_SHEET,
    FileState,
    ReferenceParameters,
    SuiteRunner,
    derive,
    issues_from_result,
)
from satudata.normalise.periode import understand_periode
from satudata.schema import FAMILY_REGISTRIES
from satudata.warehouse import ledger
from satudata.warehouse.engine import bulk_insert

log = logging.getLogger(__name__)

SHEET_LABEL = {"utama": "Data", "keluarga": "Keluarga", "anggota": "Anggota Keluarga",
               "sub_kegiatan": "Sub Kegiatan", "realisasi": "Realisasi"}
_PERSON = ["nik", "nik_valid", "nik_angka_excel", "nama", "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "tanggal_lahir_teks",
           "hubungan_keluarga", "status_kawin", "pekerjaan", "disabilitas"]
STAGING_COLUMNS = {
    "dtks": ["id_dtks", "kode_desa", "kode_kecamatan", "alamat", "no_kk", *_PERSON],
    "p3ke_keluarga": ["id_keluarga_p3ke", "kode_desa", "kode_kecamatan", "alamat", "no_kk", "nik_kepala_keluarga",
                      "nik_kepala_keluarga_valid", "nama_kepala_keluarga", "jenis_kelamin_kepala_keluarga", "desil",
                      "jumlah_anggota"],
    "p3ke_anggota": ["id_keluarga_p3ke", "id_individu_p3ke", "no_kk", *_PERSON],  # desa: the family's
    "dtsen_keluarga": ["id_keluarga_dtsen", "kode_desa", "kode_kecamatan", "alamat", "no_kk", "nik_kepala_keluarga",
                       "nik_kepala_keluarga_valid", "nama_kepala_keluarga", "jenis_kelamin_kepala_keluarga",
                       "desil_nasional", "desil_provinsi", "desil_kabupaten_kota", "jumlah_anggota"],
    "dtsen_anggota": ["id_keluarga_dtsen", "id_individu_dtsen", "no_kk", *_PERSON],
    "intervensi": ["kode_program", "tahap", "nik", "nik_valid", "nik_angka_excel", "no_kk", "nama", "tanggal_lahir",
                   "tanggal_lahir_teks", "kode_desa", "kode_kecamatan", "alamat", "nilai_bantuan", "tanggal_salur"],
    "anggaran": ["lembar", "tahun_anggaran", "kode_skpd", "nama_skpd", "kode_program_apbd", "nama_program_apbd",
                 "kode_giat", "nama_giat", "kode_sub_giat", "nama_sub_giat", "nama_dana", "pagu", "rak", "bulan",
                 "realisasi_anggaran", "realisasi_fisik", "kelompok_teks", "strategi_teks", "kode_program", "kode_desa",
                 "kode_kecamatan"],
}
_NUMBERS = {"realisasi_fisik": "Float64", "bulan": "Int64", "tahun_anggaran": "Int64"}
# Rupiah go to their NUMERIC columns as the exact digits intake read (normalise.angka), never as a float.
_RUPIAH = ("pagu", "rak", "realisasi_anggaran", "nilai_bantuan")


def _exact_rupiah(value: object) -> str | None:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return format(amount, "f") if amount.is_finite() else None


_TITLE_OPD = re.compile(r"(?i)\b(?:skpd|opd|perangkat daerah|unit skpd|sub unit)\s*[:=]\s*"
                        r"(?P<kode>[0-9X]{1,2}(?:\.[0-9X]{1,4}){1,8})?\s*(?P<nama>[^:]{3,120})?$")


class PeriodConflict(Exception):
    """The file name and the title rows name different periods."""

    def __init__(self, found):
        super().__init__(f"{found.periode} vs {', '.join(found.lain)}")
        self.found = found


def _row_ranges(rows: list[int]) -> str:
    """[3, 4, 5, 9] -> '3–5, 9' (at most ten ranges, then '…')."""
    ranges: list[str] = []
    start = previous = None
    for row in sorted(set(rows)):
        if start is None:
            start = previous = row
        elif row == previous + 1:
            previous = row
        else:
            ranges.append(f"{start}" if start == previous else f"{start}–{previous}")
            start = previous = row
    if start is not None:
        ranges.append(f"{start}" if start == previous else f"{start}–{previous}")
    return ", ".join(ranges[:10]) + (", …" if len(ranges) > 10 else "")


def _mismatch_detail(mismatches) -> dict:
    """The totals that do not add up, for the answer: where, the file's figure, ours and the difference."""
    return {"total_tidak_cocok": [
        {"lembar": SHEET_LABEL.get(c.sheet, c.sheet), "baris": c.baris, "label": c.label, "kolom": c.kolom,
         "nilai_berkas": str(c.nilai_berkas), "nilai_rincian": str(c.nilai_rincian), "selisih": str(c.selisih),
         "baris_rincian": c.baris_rincian} for c in mismatches[:50]],
        "jumlah": len(mismatches)}


def tingkat_of(aturan: str) -> str:
    from satudata.intake.messages import RULES

    rule = RULES.get(aturan)
    return rule.tingkat if rule is not None else "galat"


@dataclass
class Verdict:
    status: str  # accepted | partial | rejected
    refused: bool
    reason_code: str | None
    reason_detail: dict
    counts: tuple[int, int, int, int]  # total, accepted, rejected, warning

    def counts_rejected_file(self) -> tuple[int, int, int, int]:
        return self.counts


class SubmissionStager:
    def __init__(self, settings: Settings, submission: ledger.Submission, options) -> None:
        from satudata.reference.program import ProgrammeMatcher
        from satudata.reference.wilayah import Wilayah

        self.settings = settings
        self.submission = submission
        self.options = options
        self.params = ReferenceParameters(
            kode_kab=submission.kode_kab, today=pd.Timestamp.now(tz="UTC").tz_localize(None).normalize(),
            wilayah=Wilayah.load(), programmes=ProgrammeMatcher.load(),
        )
        self.state = FileState()
        self.runner = SuiteRunner.for_folder(settings.data_dir / "gx")
        self.periode: str | None = submission.periode
        self.periode_sumber: str | None = None
        self.periode_found = None  # normalise.periode.PeriodeFound: what the period was read from
        self.file_programmes: list[str] = []
        self.tahap_in_name: str | None = None
        self.penggantian: dict | None = None
        self.staged_tables: list[str] = []
        self._issues: list[pd.DataFrame] = []
        # Good rows wait here until `write_staged`: the reading and checking hold no warehouse connection, so
        # another process (a second worker, a mapped task) can write its file meanwhile.
        self._staged: list[tuple[str, pd.DataFrame]] = []
        self._rejected: list[pd.DataFrame] = []
        self._results: list[dict] = []
        self._programmes_seen: set[str] = set()
        self._pending_members: list = []
        self._families_done = False
        self._budget_chunks: dict[str, list] = {}  # a budget's tables are read whole: parents need their children
        self.reconciler = Reconciler(submission.jenis)
        self.skipped: list[tuple[str, int, str]] = []  # (sheet, baris, why): rows read as not data
        self.accept_totals = False  # the operator confirmed the lines stand although a total differs
        self._total = self._rejected_rows = self._warning_rows = 0
        self._desa_present = self._desa_known = self._desa_outside = self._desa_unknown = self._bps_like = 0
        self._outside_regencies: Counter[str] = Counter()
        self._desa_from_names = 0
        self._opd_from_title_rows = 0

    # -- setup ---------------------------------------------------------------------------------

    def set_meta(self, meta) -> None:
        """The period: the file name's, else the title rows' (a quarter is its first month), else the month it
        arrived, which the answer says. Name and title naming different periods: refused, never chosen."""
        self.meta = meta
        found = understand_periode(self.submission.file_name, list(getattr(meta, "title_lines", []) or []))
        if found is not None and found.lain:
            raise PeriodConflict(found)
        if found is not None:
            self.periode, self.periode_sumber, self.periode_found = found.periode, found.sumber, found
        else:
            self.periode, self.periode_sumber = self.submission.received_at.strftime("%Y-%m"), "tanggal_terima"
        if self.submission.jenis == "intervensi":
            self.file_programmes = self.params.programmes.codes_in_file_name(self.submission.file_name)
            self.tahap_in_name = tahap_from_name(self.submission.file_name)

    def _with_title_opd(self, frame: pd.DataFrame) -> pd.DataFrame:
        kode, nama = self._opd_from_title()
        if kode is None and nama is None:
            return frame
        frame = frame.copy()
        for column, value in (("kode_skpd", kode), ("nama_skpd", nama)):
            if value is None:
                continue
            present = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
            empty = present.isna()
            if empty.any():
                frame[column] = present.astype("string").mask(empty, value)
                self._opd_from_title_rows += int(empty.sum())
        return frame

    def _opd_from_title(self) -> tuple[str | None, str | None]:
        """A budget file of one OPD names it in its title rows ("SKPD : 1.06.0.00.0.00.01.0000 Dinas Sosial",
        an LRA export): its lines take it when they have no OPD of their own."""
        for line in getattr(self.meta, "title_lines", []) or []:
            found = _TITLE_OPD.search(line)
            if found:
                kode, nama = found.group("kode"), (found.group("nama") or "").strip(" -:")
                return kode, nama or None
        return None, None

    def notes(self) -> list[str]:
        """What the answer must say the file's reading assumed or left out (`catatan_*` of the catalogue)."""
        from satudata.intake.messages import format_message
        from satudata.normalise.periode import periode_text

        notes = []
        if self.periode_sumber == "tanggal_terima":
            notes.append(format_message("catatan_periode_terima", periode=periode_text(self.periode)))
        elif self.periode_found is not None and self.periode_found.bentuk != "bulan":
            where = "nama berkas" if self.periode_found.sumber == "nama_berkas" else "judul lembar"
            notes.append(format_message("catatan_periode_triwulan", teks=self.periode_found.teks, tempat=where,
                                        periode=periode_text(self.periode)))
        for sheet in sorted({s for s, _, _ in self.skipped}):
            rows = [b for s, b, _ in self.skipped if s == sheet]
            notes.append(format_message("catatan_baris_dilewati", jumlah=len(rows), baris=_row_ranges(rows),
                                        lembar=SHEET_LABEL.get(sheet, sheet)))
        if self._opd_from_title_rows:
            kode, nama = self._opd_from_title()
            notes.append(format_message("catatan_opd_judul", jumlah=self._opd_from_title_rows,
                                        opd=" ".join(v for v in (kode, nama) if v)))
        if self._desa_from_names:
            notes.append(format_message("catatan_desa_dari_nama", jumlah=self._desa_from_names))
        if self.reconciler.filled:
            notes.append(format_message("catatan_rincian_rekening", jumlah=len(self.reconciler.filled)))
        checks = self.reconciler.checks()
        if checks and all(c.cocok for c in checks):
            notes.append(format_message("catatan_total_cocok", jumlah=len(checks)))
        elif checks and self.accept_totals:
            notes.append(format_message("catatan_total_diterima", jumlah=sum(not c.cocok for c in checks)))
        return notes

    def clear_previous(self, conn: Connection) -> None:
        """A retry replaces whatever an earlier attempt of this submission wrote."""
        sid = {"s": self.submission.submission_id}
        for table in (*STAGING_TABLE.values(), "staging.baris_ditolak", "meta.validation_issue",
                      "meta.validation_result", "meta.cakupan_kiriman", "meta.total_kendali"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE submission_id = :s"), sid)

    # -- chunks --------------------------------------------------------------------------------

    def add_chunk(self, chunk) -> None:
        suite = SUITE_BY_SHEET.get((self.submission.jenis, chunk.sheet))
        if suite is None:
            raise ValueError(f"no suite for jenis {self.submission.jenis!r} sheet {chunk.sheet!r}")
        self.skipped.extend((chunk.sheet, baris, why) for baris, why in chunk.skipped)
        if self.submission.jenis in TABLE_ROLES:
            self._budget_chunks.setdefault(chunk.sheet, []).append(chunk)
            return
        # A registry's members are checked against its family sheet: families first, whatever the file's order.
        if suite in FAMILY_SUITES and FAMILY_SUITES[suite][1] == "anggota" and not self._families_done:
            self._pending_members.append(chunk)
            return
        self.reconciler.observe(chunk.sheet, chunk.frame, chunk.control_rows)
        self._validate_and_stage(suite, chunk)

    def _flush_members(self) -> None:
        self._families_done = True
        pending, self._pending_members = self._pending_members, []
        for chunk in pending:
            self.reconciler.observe(chunk.sheet, chunk.frame, chunk.control_rows)
            self._validate_and_stage(SUITE_BY_SHEET[(self.submission.jenis, "anggota")], chunk)

    def _flush_budget(self) -> None:
        """Each budget table whole: parent and account rows out (checked against their lines), then staged."""
        budget, self._budget_chunks = self._budget_chunks, {}
        for sheet, chunks in budget.items():
            frame = pd.concat([c.frame for c in chunks])
            lines = self.reconciler.budget_lines(sheet, frame)
            self.reconciler.observe(sheet, lines, [r for c in chunks for r in c.control_rows])
            issues = pd.concat([c.cell_issues for c in chunks], ignore_index=True)
            issues = issues[issues["baris"].isin(lines.index)]
            merged = type(chunks[0])(sheet, lines, issues.reset_index(drop=True))
            self._validate_and_stage(SUITE_BY_SHEET[(self.submission.jenis, sheet)], merged)

    def _validate_and_stage(self, suite: str, chunk) -> None:
        frame = chunk.frame
        if frame.empty and chunk.cell_issues.empty:
            return
        if suite == "anggaran":
            frame = self._with_title_opd(frame)
        checked = derive(suite, frame, self.params, self.state, self.file_programmes, sheet=chunk.sheet)
        run_name = f"submission-{self.submission.submission_id}-{chunk.sheet}-{int(frame.index.min() or 0)}"
        validation = self.runner.run(suite, checked, self.params.for_suite(), run_name)
        issues, results = issues_from_result(validation, checked, frame, tingkat_of)
        for item in results:
            if item["aturan"] == "missing_columns" and not item["success"]:
                from satudata.intake.read import FileRejected

                raise FileRejected("missing_columns", f"suite {suite}: column {item['kolom']} missing",
                                   missing_columns=[item["kolom"]])
        issues = self._explain(issues, checked)
        cell = chunk.cell_issues
        if cell is not None and not cell.empty:
            cell = cell.assign(tingkat=cell["aturan"].map(tingkat_of))
            issues = pd.concat([issues, cell[ISSUE_COLUMNS]], ignore_index=True)
        issues = issues.assign(sheet=chunk.sheet)

        bad_rows = pd.Index(issues.loc[issues["tingkat"] == "galat", "baris"].unique())
        if suite in FAMILY_SUITES and FAMILY_SUITES[suite][1] == "keluarga":
            self._remember_refused_families(suite, checked, issues, bad_rows)
        warn_rows = pd.Index(issues.loc[issues["tingkat"] != "galat", "baris"].unique()).difference(bad_rows)
        rejected_mask = checked.index.isin(bad_rows)
        self._total += len(checked)
        self._rejected_rows += int(rejected_mask.sum())
        self._warning_rows += int(checked.index.isin(warn_rows).sum())
        self._count_regions(checked)

        good = checked.loc[~rejected_mask]
        if not good.empty:
            table = STAGING_TABLE[suite]
            self._staged.append((table, self._staging_frame(suite, good, frame)))
            if table not in self.staged_tables:
                self.staged_tables.append(table)
            if suite == "intervensi":
                self._programmes_seen.update(good["kode_program"].dropna().unique().tolist())
        if rejected_mask.any():
            original = frame.loc[rejected_mask, [c for c in frame.columns if not c.startswith("_")]].copy()
            original.insert(0, "baris", original.index.astype("int64"))
            self._rejected.append(original.assign(lembar=SHEET_LABEL.get(chunk.sheet, chunk.sheet)))
        if not issues.empty:
            self._issues.append(issues)
        for item in results:
            item.update(sheet=chunk.sheet, suite=suite)
        self._results.extend(results)

    def _explain(self, issues: pd.DataFrame, checked: pd.DataFrame) -> pd.DataFrame:
        """The value of a row problem that needs more than the cell: the refused family's row and reason, the
        desa a name could be."""
        from satudata.intake.messages import rule_label

        if "kode_desa_dari_nama" in checked:
            self._desa_from_names += int(checked["kode_desa_dari_nama"].sum())
        if issues.empty:
            return issues
        issues = issues.copy()
        family = issues["aturan"].eq("keluarga_ditolak")
        if family.any():
            refused = self.state.refused_families
            issues.loc[family, "nilai"] = [
                f"{v} — baris {refused[str(v)][0]}: {rule_label(refused[str(v)][1])}" if str(v) in refused else v
                for v in issues.loc[family, "nilai"]]
        places = issues["aturan"].isin(["nama_desa_ambigu", "nama_desa_tidak_dikenal"])
        if places.any() and "nama_desa_kandidat" in checked:
            kandidat = checked["nama_desa_kandidat"].reindex(issues.loc[places, "baris"]).to_numpy()
            issues.loc[places, "nilai"] = [f"{v} — {k}" if isinstance(k, str) and k else v
                                           for v, k in zip(issues.loc[places, "nilai"], kandidat, strict=True)]
        return issues

    def _remember_refused_families(self, suite: str, checked: pd.DataFrame, issues: pd.DataFrame,
                                   bad_rows: pd.Index) -> None:
        """The families refused here: their members are refused with the family's reason (`keluarga_ditolak`)."""
        registry = FAMILY_SUITES[suite][0]
        key_column = registry.family_id if registry.family_id in checked else "no_kk"
        if key_column not in checked or not len(bad_rows):
            return
        first_rule = (issues[issues["tingkat"] == "galat"].drop_duplicates("baris").set_index("baris")["aturan"])
        keys = checked.loc[checked.index.isin(bad_rows), key_column].dropna()
        for baris, key in keys.items():
            self.state.refused_families.setdefault(str(key), (int(baris), str(first_rule.get(baris, ""))))

    def _count_regions(self, checked: pd.DataFrame) -> None:
        if "kode_desa_ada" not in checked:
            return
        present = checked["kode_desa_ada"]
        known = checked["kode_desa_dikenal"]
        self._desa_present += int(present.sum())
        self._desa_known += int(known.sum())
        outside = known & checked["kode_desa_kab"].ne(self.submission.kode_kab)
        self._desa_outside += int(outside.sum())
        self._outside_regencies.update(checked.loc[outside, "kode_desa_kab"].tolist())
        unknown = present & ~known
        self._desa_unknown += int(unknown.sum())
        codes = checked.loc[unknown, "kode_desa"].astype("string")
        # BPS desa codes are 2+2+3+3 digits: the 7th digit closes a 3-digit kecamatan code (010, 020 ...),
        # where a Kemendagri desa code has 1, 2 or 3 (kelurahan / desa / desa adat).
        self._bps_like += int(codes.str.fullmatch(r"[0-9]{6}0[0-9]{3}").fillna(False).sum())

    def _staging_frame(self, suite: str, good: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=good.index)
        out["submission_id"] = self.submission.submission_id
        out["kode_kab"] = self.submission.kode_kab
        out["periode"] = self.periode
        out["baris"] = good.index.astype("int64")
        out["aktif"] = True
        for column in STAGING_COLUMNS[suite]:
            if column == "lembar":
                out[column] = "realisasi" if bool(good["baris_realisasi"].any()) else "sub_kegiatan"
            elif column in _RUPIAH:
                values = good[column] if column in good else pd.Series(pd.NA, index=good.index, dtype="string")
                out[column] = values.map(_exact_rupiah, na_action="ignore").astype("string")
            elif column in _NUMBERS:
                values = pd.to_numeric(good.get(column), errors="coerce") if column in good else None
                out[column] = values.astype(_NUMBERS[column]) if values is not None else None
            elif column in ("nik_valid", "nik_kepala_keluarga_valid"):
                valid = good.get(column, pd.Series(False, index=good.index)).fillna(False).astype(bool)
                if column == "nik_valid" and EXCEL_NIK in frame:  # a NIK Excel may have rounded is never trusted
                    valid &= ~frame[EXCEL_NIK].reindex(good.index).fillna(False).astype(bool)
                out[column] = valid
            elif column == "nik_angka_excel":  # Excel damaged it: emptied (digits lost) or kept untrusted (rounded)
                flag = frame[EXCEL_NIK].reindex(good.index) if EXCEL_NIK in frame else None
                out[column] = flag.fillna(False).astype(bool) if flag is not None else False
            elif column == "kode_kecamatan":  # the scope a kecamatan file replaces (intake.cakupan)
                out[column] = good["kode_desa"].astype("string").str[:6] if "kode_desa" in good else None
            elif column == "tahap":
                tahap = good.get("tahap")
                values = (tahap.map(normalise_tahap, na_action="ignore") if tahap is not None
                          else pd.Series(None, index=good.index, dtype=object))
                out[column] = values.where(values.notna(), self.tahap_in_name)
            elif column in ("tanggal_lahir", "tanggal_salur"):
                out[column] = good.get(f"{column}_iso")
            elif column == "tanggal_lahir_teks":
                out[column] = good.get("tanggal_lahir")
            elif column in ("jenis_kelamin", "jenis_kelamin_kepala_keluarga"):
                sex = good.get(column)
                out[column] = sex.where(sex.isin(["L", "P"])) if sex is not None else None
            elif column == "desil":
                out[column] = pd.to_numeric(good["desil"], errors="coerce").astype("Int64")
            elif column == "jumlah_anggota":
                out[column] = pd.to_numeric(good.get(column), errors="coerce").astype("Int64") if column in good \
                    else pd.array([pd.NA] * len(good), dtype="Int64")
            else:
                out[column] = good.get(column)
        return out.reset_index(drop=True).astype(
            {c: "string" for c in out.columns if out[c].dtype == object}
        )

    # -- verdict -------------------------------------------------------------------------------

    def verdict(self) -> Verdict:
        if self._pending_members and not self._families_done:
            raise RuntimeError("P3KE member rows are waiting for the family sheet; call finish_chunks first")
        total, rejected, warning = self._total, self._rejected_rows, self._warning_rows
        counts = (total, total - rejected, rejected, warning)
        threshold = self.options.max_rejected_share
        if total == 0:
            return Verdict("rejected", True, "empty_file", {"detail": "tidak ada baris data"}, counts)
        if self._desa_unknown and self._desa_unknown >= 0.5 * max(self._desa_present, 1) \
                and self._bps_like >= 0.8 * self._desa_unknown:
            return Verdict("rejected", True, "bps_coding",
                           {"baris_kode_bps": self._bps_like, "baris_berkode": self._desa_present}, counts)
        if self._desa_known and self._desa_outside >= 0.5 * self._desa_known:
            regency, _ = self._outside_regencies.most_common(1)[0]
            from satudata.reference.wilayah import Wilayah

            return Verdict("rejected", True, "wrong_regency",
                           {"kode_kab_isi": regency, "nama_kab_isi": Wilayah.load().name(regency),
                            "kode_kab_folder": self.submission.kode_kab, "baris": self._desa_outside}, counts)
        mismatches = self.reconciler.mismatches()
        if mismatches and not self.accept_totals:
            return Verdict("ditahan", True, "total_tidak_cocok", _mismatch_detail(mismatches), counts)
        if rejected / total > threshold:
            return Verdict("rejected", True, "too_many_bad_rows",
                           {"batas": f"{threshold:.0%}", "ditolak": rejected, "total": total,
                            "porsi": f"{rejected / total:.1%}"}, counts)
        return Verdict("accepted" if rejected == 0 else "partial", False, None, {}, counts)

    def finish_chunks(self) -> None:
        if self._budget_chunks:
            self._flush_budget()
        if self._pending_members:
            self._flush_members()

    def write_staged(self, conn: Connection) -> None:
        """The good rows into `staging`, in the caller's transaction (after `clear_previous`)."""
        staged, self._staged = self._staged, []
        for table, frame in staged:
            bulk_insert(conn, table, frame)

    # -- results -------------------------------------------------------------------------------

    def issues(self) -> pd.DataFrame:
        if not self._issues:
            return pd.DataFrame(columns=[*ISSUE_COLUMNS, "sheet"])
        return pd.concat(self._issues, ignore_index=True).sort_values(["sheet", "baris"], kind="stable")

    def rejected_rows(self) -> pd.DataFrame | None:
        return pd.concat(self._rejected, ignore_index=True) if self._rejected else None

    def all_rows_for_rejection(self) -> pd.DataFrame | None:
        return self.rejected_rows()

    def _write_issue_tables(self, conn: Connection) -> None:
        sid = self.submission.submission_id
        issues = self.issues()
        if not issues.empty:
            from satudata.intake.masking import masked_values
            from satudata.intake.messages import format_message

            frame = issues.assign(submission_id=sid)
            frame["pesan"] = frame["aturan"].map(lambda code: format_message(code))
            # meta keeps no NIK, KK or name (intake.masking); the answer workbook was written from `issues`
            frame["nilai"] = masked_values(frame["kolom"], frame["nilai"].astype("string")).str.slice(0, 500)
            bulk_insert(conn, "meta.validation_issue",
                        frame[["submission_id", "sheet", "baris", "kolom", "aturan", "tingkat", "nilai", "pesan"]])
        if self._results:
            results = pd.DataFrame(self._results).assign(submission_id=sid)
            # Missing counts make pandas use floats; the columns are integers.
            results = results.astype({"element_count": "Int64", "unexpected_count": "Int64"})
            bulk_insert(conn, "meta.validation_result",
                        results[["submission_id", "sheet", "suite", "expectation", "kolom", "aturan", "success",
                                 "element_count", "unexpected_count", "result", "validated_at"]])
        checks = self.reconciler.checks()
        if checks:
            bulk_insert(conn, "meta.total_kendali", pd.DataFrame([c.as_row(sid) for c in checks]))
        rejected = self.rejected_rows()
        if rejected is not None:
            data = rejected.drop(columns=["baris", "lembar"]).astype("string")
            payload = pd.DataFrame({
                "submission_id": sid,
                "sheet": rejected["lembar"].to_numpy(),
                "baris": rejected["baris"].to_numpy(),
                "data": [json.dumps({k: v for k, v in row.items() if v is not None and not pd.isna(v)}, ensure_ascii=False)
                         for row in data.to_dict("records")],
            })
            bulk_insert(conn, "staging.baris_ditolak", payload)

    def commit_staged(self, conn: Connection, verdict: Verdict) -> None:
        """Replace what this submission covers of the older ones (`intake.cakupan`), keep issues/results: in
        this transaction, so readers see the old rows or the new ones, never a mix."""
        sub = self.submission
        sid, jenis = sub.submission_id, sub.jenis
        registry = FAMILY_REGISTRIES.get(jenis)
        members = f"staging.{jenis}_anggota"
        if registry is not None and members in self.staged_tables:  # members are in their family's kecamatan
            fid = registry.family_id
            conn.execute(sa.text(
                f"UPDATE {members} SET kode_desa = (SELECT min(k.kode_desa) FROM staging.{jenis}_keluarga k "
                f"WHERE k.submission_id = {members}.submission_id AND k.{fid} = {members}.{fid}) "
                "WHERE submission_id = :s"), {"s": sid})
            conn.execute(sa.text(f"UPDATE {members} SET kode_kecamatan = substr(kode_desa, 1, 6) "
                                 "WHERE submission_id = :s"), {"s": sid})
        scope = cakupan.scope_of(conn, submission_id=sid, kode_kab=sub.kode_kab, jenis=jenis,
                                 inbox_path=sub.inbox_path, wilayah=self.params.wilayah)
        where = {"submission_id": sid, "kode_kab": sub.kode_kab, "jenis": jenis, "periode": self.periode}
        cakupan.record_scope(conn, scope, **where)
        replaced = cakupan.replaced_rows(conn, **where)
        scoped = {k: v for k, v in where.items() if k != "submission_id"}
        cakupan.refresh_active(conn, **scoped)
        staying = cakupan.still_active(conn, **where)
        cakupan.mark_superseded(conn, **scoped)
        self.penggantian = cakupan.summary(scope, replaced, staying, verdict.counts[1])
        log.info("submission %d taken as %s (%s): replaces %d row(s) of %d older submission(s), %d stay active",
                 sid, scope.cara, scope.sebab, int(replaced["baris"].sum()) if len(replaced) else 0,
                 replaced["submission_id"].nunique() if len(replaced) else 0, staying)
        self._write_issue_tables(conn)

    def record(self, conn: Connection, verdict: Verdict, report: str) -> None:
        total, accepted, rejected, warning = verdict.counts
        ledger.update(
            conn, self.submission.submission_id, status=verdict.status, reason_code=None, reason_detail=None,
            periode=self.periode, periode_sumber=self.periode_sumber,
            program=",".join(sorted(self._programmes_seen)) or None,
            rows_total=total, rows_accepted=accepted, rows_rejected=rejected, rows_warning=warning,
            processed_at=datetime.now(UTC), report_path=report,
            cara_kirim=(self.penggantian or {}).get("cara_kirim"),
            penggantian=cakupan.ledger_json(self.penggantian) if self.penggantian else None,
        )

    def record_rejected_file(self, conn: Connection) -> None:
        """For a refused or held file: nothing of it was staged (its rows wait in memory until the file is
        accepted); what an earlier attempt staged goes, its issues and GX results are kept."""
        self.clear_previous(conn)
        conn.execute(sa.text("DELETE FROM meta.cakupan_kiriman WHERE submission_id = :s"),
                     {"s": self.submission.submission_id})
        self._write_issue_tables(conn)
        ledger.update(conn, self.submission.submission_id, periode=self.periode,
                      periode_sumber=self.periode_sumber)

    def looks_like_bps(self, exc) -> bool:
        return "bps" in f"{getattr(exc, 'detail', '')}".lower()
