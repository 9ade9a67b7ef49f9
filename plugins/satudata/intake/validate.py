"""Validate a submission with the Great Expectations suites in `expectations/`.

Structure checks that GX cannot express directly (the date inside a NIK, whether a desa lies in the
submitting regency, duplicates across chunks of a streamed file) are computed here as plain, vectorised
columns (`nik_tanggal_ok`, `kode_desa_kab`, `nik_kemunculan` ...); the *rules* over them live in the
suites, reviewed like code. Each expectation's `meta.aturan` names the rule in `intake.messages`, which
says whether a failing row is rejected (`galat`) or kept with a warning (`peringatan`).

GX runs in a file-backed context under `<data>/gx/`, so every validation is kept as a GX result and
`build_data_docs()` renders them as HTML for engineers.
"""

from __future__ import annotations

import json
import logging
import numbers
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from satudata.config import expectations_dir
from satudata.fileio import file_lock
from satudata.intake.rows import EXCEL_NIK
from satudata.normalise.angka import parse_desil, parse_rupiah
from satudata.normalise.dates import parse_dates
from satudata.normalise.nik import clean_nik_cells, parse_nik
from satudata.normalise.periode import MONTHS
from satudata.reference.program import ProgrammeMatcher
from satudata.reference.wilayah import Wilayah, normalise_kode
from satudata.schema import FAMILY_REGISTRIES, HUBUNGAN_KELUARGA

log = logging.getLogger(__name__)

SUITE_BY_SHEET = {
    ("dtks", "utama"): "dtks",
    **{(jenis, role): f"{jenis}_{role}" for jenis in FAMILY_REGISTRIES for role in ("keluarga", "anggota")},
    ("intervensi", "utama"): "intervensi",
    ("anggaran", "sub_kegiatan"): "anggaran",
    ("anggaran", "realisasi"): "anggaran",
}
STAGING_TABLE = {suite: f"staging.{suite}" for suite in SUITE_BY_SHEET.values()}
# suite -> (its family registry, "keluarga" | "anggota")
FAMILY_SUITES = {f"{jenis}_{role}": (registry, role) for jenis, registry in FAMILY_REGISTRIES.items()
                 for role in ("keluarga", "anggota")}
NIK_COLUMNS = ("nik", "nik_kepala_keluarga")
PERSON_ID_OF_SUITE = {"dtks": "id_dtks", "p3ke_anggota": "id_individu_p3ke", "dtsen_anggota": "id_individu_dtsen"}
# Rules that hold only where another does, as (check, where): the suites check `<check>_jika_<where>`, the
# check where `where` holds and empty elsewhere, which GX leaves out of a value-set check. That is what a GX
# `row_condition` says, without its cost: a pandas query per metric, ~90 ms per expectation and validation
# whatever the rows (most of a small file's validation).
CHECKED_WHERE = (
    *((f"{nik}_{check}", f"{nik}_{where}") for nik in NIK_COLUMNS
      for check, where in (("format_ok", "16digit"), ("kecamatan_dikenal", "format_ok"), ("tanggal_ok", "format_ok"))),
    ("kode_desa_dikenal", "kode_desa_ada"),
    ("tanggal_lahir_terbaca", "tanggal_lahir_ada"),
    ("tanggal_salur_terbaca", "tanggal_salur_ada"),
    ("opd_ada", "baris_pagu"),
    ("pagu_ada", "baris_pagu"),
    ("realisasi_anggaran_ada", "baris_realisasi"),
    ("bulan_ada", "baris_realisasi"),
    ("tahun_anggaran_ok", "tahun_anggaran_ada"),
    ("realisasi_fisik_ok", "realisasi_fisik_ada"),
)
_JENIS_KELAMIN = {
    "l": "L", "lk": "L", "laki": "L", "laki laki": "L", "lakilaki": "L", "pria": "L", "1": "L", "m": "L",
    "male": "L", "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "2": "P", "f": "P", "female": "P",
}  # fmt: skip
_HUBUNGAN = {h.lower(): h for h in HUBUNGAN_KELUARGA} | {
    "kepala rumah tangga": "Kepala Keluarga", "krt": "Kepala Keluarga", "kk": "Kepala Keluarga",
    "kepala": "Kepala Keluarga", "istri suami": "Istri", "istri/suami": "Istri", "suami/istri": "Istri",
    "anak kandung": "Anak", "anak tiri": "Anak", "anak angkat": "Anak", "famili": "Famili Lain",
    "orangtua": "Orang Tua", "orang tua/mertua": "Orang Tua", "pembantu": "Lainnya", "lain": "Lainnya",
}  # fmt: skip


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame:
        return frame[column].astype("string")
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _lower_key(values: pd.Series) -> pd.Series:
    return values.str.lower().str.replace(r"[^a-z0-9/]+", " ", regex=True).str.strip()


def normalise_sex(values: pd.Series) -> pd.Series:
    """L/P from the many ways files write it; unrecognised text stays as written (and is reported)."""
    mapped = _lower_key(values).map(_JENIS_KELAMIN)
    return mapped.astype("string").fillna(values.astype("string"))


def normalise_hubungan(values: pd.Series) -> pd.Series:
    mapped = _lower_key(values).map({k.lower(): v for k, v in _HUBUNGAN.items()})
    return mapped.astype("string").fillna(values.astype("string"))


def map_distinct(values: pd.Series, function) -> pd.Series:
    """Apply a per-value Python function once per distinct value (codes and names repeat a lot)."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(function, distinct), strict=True))).astype("string")


def isin_lookup(values: pd.Series, lookup: frozenset | set) -> pd.Series:
    """`values.isin(lookup)` for a big lookup set: only the distinct values present are looked up
    (pandas' Arrow-backed isin converts the whole lookup set on every call)."""
    present = {v for v in values.dropna().unique() if v in lookup}
    return values.isin(present).fillna(False).astype(bool)


def iso_dates(parsed: pd.Series, fmt: str) -> pd.Series:
    """strftime once per distinct date."""
    codes, uniques = pd.factorize(parsed, use_na_sentinel=True)
    texts = pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object)
    out = np.where(codes >= 0, texts[np.maximum(codes, 0)] if len(texts) else None, None)
    return pd.Series(out, index=parsed.index, dtype="string")


def _row_hash(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    if not columns:
        return np.zeros(len(frame), dtype="uint64")
    return pd.util.hash_pandas_object(frame[columns].astype("string"), index=False).to_numpy()


@dataclass
class FileState:
    """What must be remembered across the chunks of one file (and between the P3KE sheets)."""

    seen_keys: dict[str, set] = field(default_factory=dict)
    seen_rows: dict[str, set] = field(default_factory=dict)
    family_ids: set[str] = field(default_factory=set)
    family_kks: set[str] = field(default_factory=set)
    refused_families: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (baris, rule)

    def occurrence(self, name: str, keys: pd.Series) -> pd.Series:
        """1 for the first time a key is seen in this file, 2+ after (null keys count as first)."""
        seen = self.seen_keys.setdefault(name, set())
        counts = keys.groupby(keys, dropna=True).cumcount() + 1
        before = isin_lookup(keys, seen)
        result = pd.Series(1, index=keys.index, dtype="int64")
        result.loc[counts.index] = counts + before.loc[counts.index].astype("int64")
        seen.update(keys.dropna().tolist())
        return result

    def repeated_rows(self, name: str, hashes: np.ndarray, index: pd.Index) -> pd.Series:
        seen = self.seen_rows.setdefault(name, set())
        series = pd.Series(hashes, index=index)
        repeated = series.duplicated(keep="first") | series.isin(seen)
        seen.update(series.tolist())
        return repeated


@dataclass
class ReferenceParameters:
    """Run-time parameters of the suites, from the reference data."""

    kode_kab: str
    today: pd.Timestamp
    wilayah: Wilayah
    programmes: ProgrammeMatcher

    @property
    def kecamatan_set(self) -> frozenset[str]:
        return self.wilayah.kecamatan_codes

    @property
    def desa_current(self) -> frozenset[str]:
        return self.wilayah.current_desa_codes

    def for_suite(self) -> dict:
        # Big reference sets (8k kecamatan, 84k desa) are checked as derived booleans, never passed to
        # GX as value sets: GX copies its expectation configurations many times per validation.
        return {
            "kode_kab": [self.kode_kab],
            "program": sorted(self.programmes.codes),
            "hubungan_keluarga": list(HUBUNGAN_KELUARGA),
            "tanggal_lahir_min": (self.today - pd.DateOffset(years=120)).strftime("%Y-%m-%d"),
            "hari_ini": self.today.strftime("%Y-%m-%d"),
            "tanggal_salur_min": "2015-01-01",
            "tanggal_salur_maks": (self.today + pd.DateOffset(days=31)).strftime("%Y-%m-%d"),
        }


def read_amounts(out: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Rupiah as offices write them ("Rp 2,5 M", "1.250.000.000,00", "-" for zero) -> exact digits; a value
    that cannot be read stays as written (and fails the suite's format check); one with two readings
    ("1.500": 1500 or 1,5) is marked `<column>_ambigu`, for its own rule (`normalise.angka.parse_rupiah`)."""
    for column in columns:
        if column not in out:
            continue
        parsed = parse_rupiah(out[column].astype("string"))
        out[column] = parsed["nilai"].astype("string").fillna(out[column].astype("string"))
        out[f"{column}_jelas"] = ~parsed["ambigu"].astype(bool)


BUDGET_CODE = re.compile(r"\s+")

def _derive_budget(out: pd.DataFrame, params: ReferenceParameters, state: FileState, sheet: str | None) -> None:
    """Budget rows: codes without spaces, rupiah as digits, month as 1..12, the checks of `anggaran.json`."""
    for column in BUDGET_TEXT_COLUMNS:
        if column not in out:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
    for column in ("kode_skpd", "kode_sub_giat", "kode_giat", "kode_program_apbd"):
        out[column] = out[column].str.replace(BUDGET_CODE, "", regex=True).str.upper().replace("", pd.NA)
    read_amounts(out, ("pagu", "realisasi_anggaran", "rak"))
    pagu = pd.to_numeric(out["pagu"], errors="coerce")
    realisasi = pd.to_numeric(out["realisasi_anggaran"], errors="coerce")
    out["baris_pagu"] = pd.Series(sheet != "realisasi", index=out.index, dtype=bool)
    out["baris_realisasi"] = ~out["baris_pagu"]
    out["sub_kegiatan_ada"] = (out["kode_sub_giat"].notna() | out["nama_sub_giat"].notna()).astype(bool)
    out["opd_ada"] = (out["kode_skpd"].notna() | out["nama_skpd"].notna()).astype(bool)
    out["realisasi_melebihi_pagu"] = (realisasi > pagu).fillna(False).astype(bool)
    month = _lower_key(out["bulan"]).str.replace(r"^bulan\s*", "", regex=True)
    by_name = month.map({name: str(number) for name, number in MONTHS.items()})
    digits = month.str.replace(r"^0*([0-9]{1,2})(\.0+)?$", r"\1", regex=True)
    out["bulan"] = by_name.fillna(digits).astype("string")
    year = out["tahun_anggaran"].str.replace(r"^(?:ta\s*)?([0-9]{4})(\.0+)?$", r"\1", regex=True, case=False)
    out["tahun_anggaran"] = year
    number = pd.to_numeric(year, errors="coerce")
    out["tahun_anggaran_ada"] = year.notna().astype(bool)
    out["tahun_anggaran_ok"] = number.between(2015, params.today.year + 1).fillna(False).astype(bool)
    fisik = pd.to_numeric(out["realisasi_fisik"].str.replace("%", "").str.replace(",", ".").str.strip(),
                          errors="coerce")
    out["realisasi_fisik_ada"] = out["realisasi_fisik"].notna().astype(bool)
    out["realisasi_fisik_ok"] = fisik.between(0, 100).fillna(False).astype(bool)
    out["realisasi_fisik"] = fisik.astype("string").where(out["realisasi_fisik_ok"], out["realisasi_fisik"])
    for column in ("pagu", "realisasi_anggaran", "bulan"):
        out[f"{column}_ada"] = out[column].notna().astype(bool)
    from_cell = out["kode_program"]
    out["kode_program"] = map_distinct(from_cell, params.programmes.code_for).fillna(from_cell.str.upper())


BUDGET_TEXT_COLUMNS = ("tahun_anggaran", "kode_skpd", "nama_skpd", "kode_program_apbd", "nama_program_apbd", "kode_giat",
                       "nama_giat", "rak", "kode_sub_giat",
                       "nama_sub_giat", "nama_dana", "pagu", "realisasi_anggaran", "kelompok_teks", "strategi_teks",
                       "kode_program", "bulan", "realisasi_fisik")


def derive(sheet_suite: str, frame: pd.DataFrame, params: ReferenceParameters, state: FileState,
           file_programmes: list[str] | None = None, sheet: str | None = None) -> pd.DataFrame:
    """The canonical columns, cleaned, plus the derived columns the suite checks. Same index."""
    registry, role = FAMILY_SUITES.get(sheet_suite, (None, None))
    out = pd.DataFrame(index=frame.index)
    canonical = [c for c in frame.columns if not c.startswith("_")]
    for column in canonical:
        out[column] = _text(frame, column).str.strip().replace("", pd.NA)

    for column in NIK_COLUMNS:
        if column not in out:
            continue
        parsed = parse_nik(out[column])
        parsed["kecamatan_dikenal"] = isin_lookup(parsed["kecamatan"], params.kecamatan_set)
        parsed["valid"] = parsed["valid"] & parsed["kecamatan_dikenal"]
        out[column] = parsed["nik"]
        out[f"{column}_16digit"] = parsed["nik"].str.fullmatch(r"[0-9]{16}").fillna(False).astype(bool)
        out[f"{column}_format_ok"] = parsed["format_ok"]
        out[f"{column}_kecamatan"] = parsed["kecamatan"]
        out[f"{column}_kecamatan_dikenal"] = parsed["kecamatan_dikenal"]
        out[f"{column}_tanggal_ok"] = parsed["tanggal_ok"]
        out[f"{column}_jenis_kelamin"] = parsed["jenis_kelamin"].where(parsed["tanggal_ok"])
        ddmmyy = (
            parsed["hari"].astype("Int64").astype("string").str.zfill(2)
            + parsed["bulan"].astype("Int64").astype("string").str.zfill(2)
            + parsed["tahun2"].astype("Int64").astype("string").str.zfill(2)
        )
        out[f"{column}_ddmmyy"] = ddmmyy.where(parsed["tanggal_ok"])
        out[f"{column}_valid"] = parsed["valid"]
        key = out[column].where(parsed["format_ok"])
        if column == "nik" and EXCEL_NIK in frame:  # a NIK Excel may have rounded is no key: twins share one
            key = key.where(~frame[EXCEL_NIK].reindex(out.index).fillna(False).astype(bool))
        if sheet_suite == "intervensi":  # the same person may receive two programmes
            key = (out.get("kode_program", pd.Series("", index=out.index)).fillna("") + ":" + key).where(key.notna())
        out[f"{column}_kemunculan"] = state.occurrence(f"{sheet_suite}:{column}", key)

    if "no_kk" in out:
        out["no_kk"] = clean_nik_cells(out["no_kk"])[0]
    # a person's id is one person's: an id shared by several rows is no person id (a household's "IDBDT")
    if sheet_suite in PERSON_ID_OF_SUITE:
        column = PERSON_ID_OF_SUITE[sheet_suite]
        out["id_orang_kemunculan"] = state.occurrence(f"{sheet_suite}:{column}", _text(out, column))

    out["nama_desa_jelas"] = True  # the desa by name rules hold unless a name was read (`_desa_from_names`)
    out["nama_desa_dikenal"] = True
    if "nama_desa" in out:
        _desa_from_names(out, params)
    if "kode_desa" in out:
        raw = out["kode_desa"]
        codes = map_distinct(raw, normalise_kode)
        out["kode_desa"] = codes.fillna(raw)
        out["kode_desa_ada"] = raw.notna()
        # a desa given by name is written too: an unknown name is its own problem, not an empty code
        out["kode_desa_diisi"] = raw.notna() | (out["nama_desa"].notna() if "nama_desa" in out else False)
        out["kode_desa_dikenal"] = isin_lookup(out["kode_desa"], params.desa_current)
        # the folder's own code: a regency (4 digits) or, for a province's budget, the province (2)
        out["kode_desa_kab"] = out["kode_desa"].str[:len(params.kode_kab)].where(out["kode_desa_dikenal"])

    if "jenis_kelamin" in out:
        out["jenis_kelamin"] = normalise_sex(out["jenis_kelamin"])
    elif role != "keluarga":
        out["jenis_kelamin"] = pd.Series(pd.NA, index=out.index, dtype="string")
    if "jenis_kelamin_kepala_keluarga" in out:
        out["jenis_kelamin_kepala_keluarga"] = normalise_sex(out["jenis_kelamin_kepala_keluarga"])
    if "hubungan_keluarga" in out or sheet_suite == "dtks" or role == "anggota":
        out["hubungan_keluarga"] = normalise_hubungan(_text(out, "hubungan_keluarga"))

    for column in ("tanggal_lahir", "tanggal_salur"):
        if column in out or (column == "tanggal_lahir" and role != "keluarga") or (
            column == "tanggal_salur" and sheet_suite == "intervensi"
        ):
            text = _text(out, column)
            parsed = parse_dates(text, today=params.today)["tanggal"]
            out[f"{column}_ada"] = text.notna()
            out[f"{column}_iso"] = iso_dates(parsed, "%Y-%m-%d")
            out[f"{column}_terbaca"] = out[f"{column}_iso"].notna()
            out[f"{column}_ddmmyy"] = iso_dates(parsed, "%d%m%y")

    if role == "keluarga":
        for column in registry.desil_columns:  # "Desil 3", "D3", "III", "3.0" -> "3"; unreadable stays as written
            written = _text(out, column)
            parsed = parse_desil(written, registry.desil_max)
            out[column] = parsed["desil"].astype("string").where(parsed["ok"], written)
        family = out[registry.family_id] if registry.family_id in out else out.get("no_kk")
        out["id_keluarga_kemunculan"] = (state.occurrence(f"{registry.jenis}:id_keluarga", family)
                                         if family is not None else 1)
        if family is not None:
            state.family_ids.update(family.dropna().tolist())
        if "no_kk" in out:
            state.family_kks.update(out["no_kk"].dropna().tolist())
    if role == "anggota":
        key = out[registry.family_id] if registry.family_id in out else _text(out, "no_kk")
        out["id_keluarga_ada"] = isin_lookup(key, state.family_ids if registry.family_id in out else state.family_kks)
        # a member of a family the family sheet refused is refused with it: no member without its family
        out["keluarga_diterima"] = ~isin_lookup(key, set(state.refused_families))

    if sheet_suite == "anggaran":
        _derive_budget(out, params, state, sheet)
        if "kode_desa" in out:  # a desa code is optional on a budget row
            out["kode_desa_ada"] = out["kode_desa_ada"] & out["kode_desa"].notna()

    if sheet_suite == "intervensi":
        from_cell = _text(out, "kode_program")
        mapped = map_distinct(from_cell, params.programmes.code_for)
        code = mapped.fillna(from_cell.str.upper())
        if file_programmes and len(file_programmes) == 1:  # the programme named by the file name
            code = code.fillna(file_programmes[0])
        out["kode_program"] = code
        out["nilai_bantuan"] = _text(out, "nilai_bantuan")
        read_amounts(out, ("nilai_bantuan",))

    row_columns = [c for c in canonical if c in out]
    out["baris_ganda"] = state.repeated_rows(sheet_suite, _row_hash(out, row_columns), out.index)
    for check, where in CHECKED_WHERE:
        if check in out and where in out:
            applies = out[where].fillna(False).astype(bool)
            out[f"{check}_jika_{where}"] = out[check].astype("boolean").where(applies)
    return out


def _desa_from_names(out: pd.DataFrame, params: ReferenceParameters) -> None:
    """Rows without a desa code but with its name (and the kecamatan's) get the code of the reference, within
    the regency; a name that fits several desa is never chosen (`nama_desa_jelas`, with the candidates)."""
    names = out["nama_desa"]
    code = out["kode_desa"] if "kode_desa" in out else pd.Series(pd.NA, index=out.index, dtype="string")
    todo = code.isna() & names.notna()
    if not todo.any() or len(params.kode_kab) != 4:
        out["kode_desa"] = code
        return
    kecamatan = out["nama_kecamatan"][todo] if "nama_kecamatan" in out else None
    found = params.wilayah.resolve_names(params.kode_kab, kecamatan, names[todo])
    out["kode_desa"] = code.astype("string")
    out.loc[todo, "kode_desa"] = found["kode_desa"].astype("string")
    out.loc[todo, "nama_desa_jelas"] = found["status"].ne("ambigu").fillna(True).to_numpy()
    out.loc[todo, "nama_desa_dikenal"] = found["status"].ne("tidak_dikenal").fillna(True).to_numpy()
    out["nama_desa_kandidat"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[todo, "nama_desa_kandidat"] = found["kandidat"].astype("string").to_numpy()
    out["kode_desa_dari_nama"] = todo & out["kode_desa"].notna()


def _suite_content(suite) -> dict:
    """A suite without its ids (GX gives each stored expectation one): what it checks."""
    data = suite.to_json_dict()
    data.pop("id", None)
    data["expectations"] = [{k: v for k, v in e.items() if k != "id"} for e in data["expectations"]]
    return data


class SuiteRunner:
    """Runs the suites through a file-backed GX context (one per process and data folder)."""

    _instances: ClassVar[dict[Path, SuiteRunner]] = {}

    def __init__(self, gx_root: Path):
        self.gx_root = gx_root

    @classmethod
    def for_folder(cls, gx_root: Path) -> SuiteRunner:
        """The process's runner for a folder: the context and suites are set up once, not per file."""
        key = gx_root.resolve()
        if key not in cls._instances:
            cls._instances[key] = cls(key)
        return cls._instances[key]

    @cached_property
    def context(self):
        with self._setup_lock():  # two processes must not scaffold the project at once
            return self._open_context()

    def _open_context(self):
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx_root.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(self.gx_root))
        if getattr(context.variables.progress_bars, "globally", None) is not False:  # saved once, not per process
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            context.variables.save()
        return context

    def _setup_lock(self):
        return file_lock(self.gx_root / ".satudata-setup.lock")

    @cached_property
    def _checkpoints(self) -> dict:
        """The suites of `expectations/` with their checkpoints. Another process (a second scan, a worker) shares
        the GX project: what it stored already is taken as it is, and the context is read under the same lock,
        so nothing this process holds goes stale behind its back (GX refuses to run a checkpoint whose suite
        changed since it was loaded)."""
        import great_expectations as gx
        from great_expectations.exceptions import DataContextError

        checkpoints = {}
        with self._setup_lock():
            context = self.__dict__["context"] = self._open_context()
            try:
                source = context.data_sources.get("satudata_intake")
            except (KeyError, LookupError, DataContextError):
                source = context.data_sources.add_pandas("satudata_intake")
            for path in sorted(expectations_dir().glob("*.json")):
                wanted = gx.ExpectationSuite(**json.loads(path.read_text()))
                try:
                    suite = context.suites.get(wanted.name)
                    unchanged = _suite_content(suite) == _suite_content(wanted)
                except DataContextError:
                    unchanged = False
                if unchanged:
                    try:
                        checkpoints[wanted.name] = context.checkpoints.get(f"satudata_{wanted.name}")
                        continue
                    except DataContextError:
                        pass
                suite = context.suites.add_or_update(wanted)
                try:
                    asset = source.get_asset(suite.name)
                except LookupError:
                    asset = source.add_dataframe_asset(suite.name)
                try:
                    batch = asset.get_batch_definition("whole")
                except (KeyError, LookupError):
                    batch = asset.add_batch_definition_whole_dataframe("whole")
                definition = context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=suite.name, data=batch, suite=suite)
                )
                checkpoints[suite.name] = context.checkpoints.add_or_update(
                    gx.Checkpoint(
                        name=f"satudata_{suite.name}",
                        validation_definitions=[definition],
                        actions=[],
                        result_format={"result_format": "COMPLETE"},
                    )
                )
        return checkpoints

    @cached_property
    def _columns(self) -> dict[str, frozenset[str]]:
        """The columns each suite names: GX gets only those (it copies the whole frame for many metrics)."""
        named = {}
        for path in expectations_dir().glob("*.json"):
            spec = json.loads(path.read_text())
            named[spec["name"]] = frozenset(e["kwargs"][k] for e in spec["expectations"]
                                            for k in ("column", "column_A", "column_B") if k in e["kwargs"])
        return named

    def run(self, suite: str, frame: pd.DataFrame, parameters: dict, run_name: str):
        from great_expectations.core.run_identifier import RunIdentifier

        named = self._columns.get(suite)
        if named is not None:
            frame = frame[[c for c in frame.columns if c in named]]
        # GX takes the rows of every column of the frame for each metric: Python strings take faster than
        # Arrow-backed ones (a fifth of a 5,000-row validation), the conversion once is cheaper
        frame = frame.astype({c: object for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)})
        for attempt in (1, 2):
            try:
                # The checkpoint's one validation definition, run directly (it stores its result all the
                # same): the checkpoint has no actions, and its own freshness checks and result wrapping were
                # a tenth of a small file's validation.
                checkpoint = self._checkpoints[suite]
                return checkpoint.validation_definitions[0].run(
                    checkpoint_id=checkpoint.id,
                    batch_parameters={"dataframe": frame},
                    expectation_parameters=parameters,
                    result_format=checkpoint.result_format,
                    run_id=RunIdentifier(run_name=run_name),
                )
            except Exception as exc:
                # Another process changed the shared GX project under us (a newer release's suites, a first
                # setup racing ours): read it again, once. A second failure is a real one.
                if attempt == 2:
                    raise
                log.warning("GX project changed in another process (%s); reading it again", type(exc).__name__)
                self.__dict__.pop("_checkpoints", None)
        raise AssertionError("unreachable")

    def build_data_docs(self) -> Path:
        """The HTML pages of the validations that have none yet (and of the suites), and the index: a scan
        renders its own files, not again every file validated before it."""
        context = self.context  # (takes the lock itself the first time: not inside it)
        site = self.gx_root / "gx" / "uncommitted" / "data_docs" / "local_site"
        with self._setup_lock():  # one writer of the HTML site at a time
            pages = site / "validations"
            new = [key for key in context.validation_results_store.list_keys()
                   if not Path(pages.joinpath(*map(str, key.to_tuple())).as_posix() + ".html").exists()]
            if new or not (site / "index.html").exists():
                # never an empty list: GX takes it as "everything"
                context.build_data_docs(resource_identifiers=[*context.expectations_store.list_keys(), *new])
        return site / "index.html"


@dataclass
class ChunkVerdict:
    checked: pd.DataFrame  # derived frame (index = baris)
    issues: pd.DataFrame  # baris, kolom, aturan, tingkat, nilai
    rejected_mask: pd.Series
    warning_mask: pd.Series
    results: list[dict]


ISSUE_COLUMNS = ["baris", "kolom", "aturan", "tingkat", "nilai"]


def issues_from_result(validation, checked: pd.DataFrame, original: pd.DataFrame, tingkat_of) -> tuple[
    pd.DataFrame, list[dict]
]:
    """Per-row issues and per-expectation summaries from one GX validation result."""
    frames, results = [], []
    now = datetime.now(UTC)
    for item in validation.results:
        config = item.expectation_config
        meta = config.meta or {}
        aturan = meta.get("aturan", config.type)
        kolom = meta.get("kolom")
        details = item.result or {}
        rows = details.get("unexpected_index_list") or []
        # counts and percentages only: GX's lists and counts of unexpected values (partial_unexpected_list,
        # partial_unexpected_counts, details ...) hold the very NIKs and names meta must never keep
        summary = {k: v for k, v in details.items() if v is None or isinstance(v, numbers.Real)}
        results.append(
            {
                "expectation": config.type,
                "kolom": kolom,
                "aturan": aturan,
                "success": bool(item.success),
                "element_count": details.get("element_count"),
                "unexpected_count": details.get("unexpected_count"),
                "result": json.dumps(summary, default=str, ensure_ascii=False)[:20_000],
                "validated_at": now,
                "exception": (item.exception_info or {}).get("exception_message") if not item.success else None,
            }
        )
        if not rows or aturan == "missing_columns":
            continue
        index = pd.Index(rows)
        source = kolom if kolom in original.columns else None
        values = original.loc[index, source].astype("string") if source else pd.Series(pd.NA, index=index)
        frames.append(
            pd.DataFrame(
                {"baris": index.astype("int64"), "kolom": kolom, "aturan": aturan, "tingkat": tingkat_of(aturan),
                 "nilai": values.to_numpy()}
            )
        )
    issues = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ISSUE_COLUMNS)
    return issues, results


