"""The columns the suites check, derived from a chunk's canonical columns: `derive`.

Structure checks that GX cannot express directly (the date inside a NIK, whether a desa lies in the
submitting regency, duplicates across chunks of a streamed file) are computed here as plain, vectorised
columns (`nik_tanggal_ok`, `kode_desa_kab`, `nik_kemunculan` ...); the *rules* over them live in the
suites of `expectations/`, which `intake.validate` runs. What must be remembered across the chunks of a
file is in `FileState`, the run-time reference data in `ReferenceParameters`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from satudata.intake.rows import EXCEL_NIK
from satudata.normalise.angka import parse_desil, parse_rupiah
from satudata.normalise.dates import parse_dates
from satudata.normalise.nik import clean_nik_cells, parse_nik
from satudata.normalise.periode import MONTHS
from satudata.reference.program import ProgrammeMatcher
from satudata.reference.wilayah import Wilayah, normalise_kode
from satudata.schema import FAMILY_REGISTRIES, HUBUNGAN_KELUARGA, FamilyRegistry

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
    """`values.isin(lookup)` for a big lookup set: only the distinct values present are looked up (pandas'
    Arrow-backed isin converts the whole lookup set on every call, one Python object at a time)."""
    present = lookup.intersection(values.dropna().unique().tolist())
    arrow = getattr(values.array, "_pa_array", None)  # text in Arrow: Arrow's own hash lookup
    if arrow is None or not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return values.isin(present).fillna(False).astype(bool)
    members = pa.array(list(present), type=arrow.type)  # the column's own values: text
    found = pc.is_in(arrow, value_set=members).to_numpy(zero_copy_only=False)
    return pd.Series(found, index=values.index, dtype=bool)


def iso_dates(parsed: pd.Series, fmt: str) -> pd.Series:
    """strftime once per distinct date: pandas' own path for ISO, Arrow's for any other layout (pandas formats
    those one date at a time in Python: 10x slower for `%d%m%y`)."""
    codes, uniques = pd.factorize(parsed, use_na_sentinel=True)
    uniques = pd.DatetimeIndex(uniques)
    if fmt == "%Y-%m-%d":
        texts = uniques.strftime(fmt).to_numpy(dtype=object)
    else:
        texts = pc.strftime(pa.array(uniques), format=fmt).to_numpy(zero_copy_only=False)
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
        if column in out:
            _derive_nik(out, column, frame, params, state, sheet_suite)
    if "no_kk" in out:
        out["no_kk"] = clean_nik_cells(out["no_kk"])[0]
    # a person's id is one person's: an id shared by several rows is no person id (a household's "IDBDT")
    if sheet_suite in PERSON_ID_OF_SUITE:
        column = PERSON_ID_OF_SUITE[sheet_suite]
        out["id_orang_kemunculan"] = state.occurrence(f"{sheet_suite}:{column}", _text(out, column))
    _derive_desa(out, params)
    _derive_person(out, sheet_suite, role, params)
    if role == "keluarga":
        _derive_family(out, registry, state)
    if role == "anggota":
        _derive_member(out, registry, state)

    if sheet_suite == "anggaran":
        _derive_budget(out, params, state, sheet)
        if "kode_desa" in out:  # a desa code is optional on a budget row
            out["kode_desa_ada"] = out["kode_desa_ada"] & out["kode_desa"].notna()
    if sheet_suite == "intervensi":
        _derive_intervention(out, params, file_programmes)

    row_columns = [c for c in canonical if c in out]
    out["baris_ganda"] = state.repeated_rows(sheet_suite, _row_hash(out, row_columns), out.index)
    for check, where in CHECKED_WHERE:
        if check in out and where in out:
            applies = out[where].fillna(False).astype(bool)
            out[f"{check}_jika_{where}"] = out[check].astype("boolean").where(applies)
    return out


def _derive_nik(out: pd.DataFrame, column: str, frame: pd.DataFrame, params: ReferenceParameters,
                state: FileState, sheet_suite: str) -> None:
    """A NIK column: its parts (kecamatan, birth date, sex), their checks, and how often the NIK occurs."""
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


def _derive_desa(out: pd.DataFrame, params: ReferenceParameters) -> None:
    """The desa code (from the name where only that is given), whether it is known and in which regency."""
    out["nama_desa_jelas"] = True  # the desa by name rules hold unless a name was read (`_desa_from_names`)
    out["nama_desa_dikenal"] = True
    if "nama_desa" in out:
        _desa_from_names(out, params)
    if "kode_desa" not in out:
        return
    raw = out["kode_desa"]
    codes = map_distinct(raw, normalise_kode)
    out["kode_desa"] = codes.fillna(raw)
    out["kode_desa_ada"] = raw.notna()
    # a desa given by name is written too: an unknown name is its own problem, not an empty code
    out["kode_desa_diisi"] = raw.notna() | (out["nama_desa"].notna() if "nama_desa" in out else False)
    out["kode_desa_dikenal"] = isin_lookup(out["kode_desa"], params.desa_current)
    # the folder's own code: a regency (4 digits) or, for a province's budget, the province (2)
    out["kode_desa_kab"] = out["kode_desa"].str[:len(params.kode_kab)].where(out["kode_desa_dikenal"])


def _derive_person(out: pd.DataFrame, sheet_suite: str, role: str | None, params: ReferenceParameters) -> None:
    """Sex and family relation as the suites spell them; birth and payment dates read."""
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


def _derive_family(out: pd.DataFrame, registry: FamilyRegistry, state: FileState) -> None:
    """A family sheet: desil read, how often each family occurs, and the families remembered for the members."""
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


def _derive_member(out: pd.DataFrame, registry: FamilyRegistry, state: FileState) -> None:
    """A member sheet: whether the member's family is on the family sheet, and was accepted there."""
    key = out[registry.family_id] if registry.family_id in out else _text(out, "no_kk")
    out["id_keluarga_ada"] = isin_lookup(key, state.family_ids if registry.family_id in out else state.family_kks)
    # a member of a family the family sheet refused is refused with it: no member without its family
    out["keluarga_diterima"] = ~isin_lookup(key, set(state.refused_families))


def _derive_intervention(out: pd.DataFrame, params: ReferenceParameters, file_programmes: list[str] | None) -> None:
    """A recipient list: the programme code (from the file name when the rows name none) and the amount."""
    from_cell = _text(out, "kode_program")
    mapped = map_distinct(from_cell, params.programmes.code_for)
    code = mapped.fillna(from_cell.str.upper())
    if file_programmes and len(file_programmes) == 1:  # the programme named by the file name
        code = code.fillna(file_programmes[0])
    out["kode_program"] = code
    out["nilai_bantuan"] = _text(out, "nilai_bantuan")
    read_amounts(out, ("nilai_bantuan",))

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
