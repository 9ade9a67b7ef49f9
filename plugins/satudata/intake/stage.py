"""Validate the chunks of one submission and stage its good rows, all in one transaction.

Readers of `staging` see either the previous state or the whole new submission, never part of it:
the rows are inserted in the caller's transaction, and what the submission covers of older ones (its
kecamatan, or the whole regency; for recipient lists also programme and tranche: `intake.cakupan`) is
switched off (`aktif = false`) in the same one.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from satudata.config import Settings
from satudata.intake import cakupan, ledger
from satudata.intake.cakupan import normalise_tahap, tahap_from_name
from satudata.intake.rows import EXCEL_NIK
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
from satudata.schema import FAMILY_REGISTRIES
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
    "anggaran": ["lembar", "tahun_anggaran", "kode_skpd", "nama_skpd", "kode_program_apbd", "kode_giat", "kode_sub_giat",
                 "nama_sub_giat", "nama_dana", "pagu", "bulan", "realisasi_anggaran", "realisasi_fisik", "kelompok_teks",
                 "strategi_teks", "kode_program", "kode_desa", "kode_kecamatan"],
}
_NUMBERS = {"pagu": "Float64", "realisasi_anggaran": "Float64", "realisasi_fisik": "Float64", "bulan": "Int64",
            "tahun_anggaran": "Int64"}


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
        self.file_programmes: list[str] = []
        self.tahap_in_name: str | None = None
        self.penggantian: dict | None = None
        self.staged_tables: list[str] = []
        self._issues: list[pd.DataFrame] = []
        self._rejected: list[pd.DataFrame] = []
        self._results: list[dict] = []
        self._programmes_seen: set[str] = set()
        self._pending_members: list = []
        self._families_done = False
        self._total = self._rejected_rows = self._warning_rows = 0
        self._desa_present = self._desa_known = self._desa_outside = self._desa_unknown = self._bps_like = 0
        self._outside_regencies: Counter[str] = Counter()

    # -- setup ---------------------------------------------------------------------------------

    def set_meta(self, meta, period_in_name: str | None) -> None:
        self.meta = meta
        if period_in_name:
            self.periode, self.periode_sumber = period_in_name, "nama_berkas"
        elif getattr(meta, "periode", None):
            self.periode, self.periode_sumber = meta.periode, "isi_berkas"
        else:
            self.periode, self.periode_sumber = self.submission.received_at.strftime("%Y-%m"), "tanggal_terima"
        if self.submission.jenis == "intervensi":
            self.file_programmes = self.params.programmes.codes_in_file_name(self.submission.file_name)
            self.tahap_in_name = tahap_from_name(self.submission.file_name)

    def clear_previous(self, conn: Connection) -> None:
        """A retry replaces whatever an earlier attempt of this submission wrote."""
        sid = {"s": self.submission.submission_id}
        for table in (*STAGING_TABLE.values(), "staging.baris_ditolak", "meta.validation_issue",
                      "meta.validation_result", "meta.cakupan_kiriman"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE submission_id = :s"), sid)

    # -- chunks --------------------------------------------------------------------------------

    def add_chunk(self, conn: Connection, chunk) -> None:
        suite = SUITE_BY_SHEET.get((self.submission.jenis, chunk.sheet))
        if suite is None:
            raise ValueError(f"no suite for jenis {self.submission.jenis!r} sheet {chunk.sheet!r}")
        # A registry's members are checked against its family sheet: families first, whatever the file's order.
        if suite in FAMILY_SUITES and FAMILY_SUITES[suite][1] == "anggota" and not self._families_done:
            self._pending_members.append(chunk)
            return
        self._validate_and_stage(conn, suite, chunk)

    def _flush_members(self, conn: Connection) -> None:
        self._families_done = True
        pending, self._pending_members = self._pending_members, []
        for chunk in pending:
            self._validate_and_stage(conn, SUITE_BY_SHEET[(self.submission.jenis, "anggota")], chunk)

    def _validate_and_stage(self, conn: Connection, suite: str, chunk) -> None:
        frame = chunk.frame
        if frame.empty and chunk.cell_issues.empty:
            return
        checked = derive(suite, frame, self.params, self.state, self.file_programmes, sheet=chunk.sheet)
        run_name = f"submission-{self.submission.submission_id}-{chunk.sheet}-{int(frame.index.min() or 0)}"
        validation = self.runner.run(suite, checked, self.params.for_suite(), run_name)
        issues, results = issues_from_result(validation, checked, frame, tingkat_of)
        for item in results:
            if item["aturan"] == "missing_columns" and not item["success"]:
                from satudata.intake.read import FileRejected

                raise FileRejected("missing_columns", f"suite {suite}: column {item['kolom']} missing",
                                   missing_columns=[item["kolom"]])
        cell = chunk.cell_issues
        if cell is not None and not cell.empty:
            cell = cell.assign(tingkat=cell["aturan"].map(tingkat_of))
            issues = pd.concat([issues, cell[ISSUE_COLUMNS]], ignore_index=True)
        issues = issues.assign(sheet=chunk.sheet)

        bad_rows = pd.Index(issues.loc[issues["tingkat"] == "galat", "baris"].unique())
        warn_rows = pd.Index(issues.loc[issues["tingkat"] != "galat", "baris"].unique()).difference(bad_rows)
        rejected_mask = checked.index.isin(bad_rows)
        self._total += len(checked)
        self._rejected_rows += int(rejected_mask.sum())
        self._warning_rows += int(checked.index.isin(warn_rows).sum())
        self._count_regions(checked)

        good = checked.loc[~rejected_mask]
        if not good.empty:
            table = STAGING_TABLE[suite]
            bulk_insert(conn, table, self._staging_frame(suite, good, frame))
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
            elif column in _NUMBERS:
                values = pd.to_numeric(good.get(column), errors="coerce") if column in good else None
                out[column] = values.astype(_NUMBERS[column]) if values is not None else None
            elif column in ("nik_valid", "nik_kepala_keluarga_valid"):
                out[column] = good.get(column, pd.Series(False, index=good.index)).fillna(False).astype(bool)
            elif column == "nik_angka_excel":  # the damage flag (the NIK itself was emptied at reading)
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
            elif column == "nilai_bantuan":
                out[column] = pd.to_numeric(good.get(column), errors="coerce") if column in good else None
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
        if rejected / total > threshold:
            return Verdict("rejected", True, "too_many_bad_rows",
                           {"batas": f"{threshold:.0%}", "ditolak": rejected, "total": total,
                            "porsi": f"{rejected / total:.1%}"}, counts)
        return Verdict("accepted" if rejected == 0 else "partial", False, None, {}, counts)

    def finish_chunks(self, conn: Connection) -> None:
        if self._pending_members:
            self._flush_members(conn)

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
            from satudata.intake.messages import format_message

            frame = issues.assign(submission_id=sid)
            frame["pesan"] = frame["aturan"].map(lambda code: format_message(code))
            frame["nilai"] = frame["nilai"].astype("string").str.slice(0, 500)
            bulk_insert(conn, "meta.validation_issue",
                        frame[["submission_id", "sheet", "baris", "kolom", "aturan", "tingkat", "nilai", "pesan"]])
        if self._results:
            results = pd.DataFrame(self._results).assign(submission_id=sid)
            # Missing counts make pandas use floats; the columns are integers.
            results = results.astype({"element_count": "Int64", "unexpected_count": "Int64"})
            bulk_insert(conn, "meta.validation_result",
                        results[["submission_id", "sheet", "suite", "expectation", "kolom", "aturan", "success",
                                 "element_count", "unexpected_count", "result", "validated_at"]])
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
        """For a refused file: the staged rows were rolled back; its issues and GX results are kept."""
        self.clear_previous(conn)
        conn.execute(sa.text("DELETE FROM meta.cakupan_kiriman WHERE submission_id = :s"),
                     {"s": self.submission.submission_id})
        self._write_issue_tables(conn)
        ledger.update(conn, self.submission.submission_id, periode=self.periode,
                      periode_sumber=self.periode_sumber)

    def looks_like_bps(self, exc) -> bool:
        return "bps" in f"{getattr(exc, 'detail', '')}".lower()
