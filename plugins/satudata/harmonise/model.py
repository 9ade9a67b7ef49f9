"""The Fellegi-Sunter model of the probabilistic pass: what is compared, how pairs are found, the trained file.

The comparisons and blocking rules are written here as plain Splink settings (SQL on the columns of
`records.LINK_COLUMNS`, DuckDB dialect). Training estimates their m/u parameters once, unsupervised
(random sampling for u, expectation maximisation for m), and writes them to
`include/models/padanan_individu.json` with a version; scheduled runs load that file and never retrain.
`satudata link-model train` is the explicit command that refreshes it.

Every level carries a Bahasa Indonesia label: the linker turns the levels a pair reached into the
human-readable reason reviewers read.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from satudata.config import reference_dir

log = logging.getLogger(__name__)

MODEL_FILE = "padanan_individu.json"
MODEL_FORMAT = 1


def model_path() -> Path:
    return reference_dir().parent / "models" / MODEL_FILE


def _level(sql: str, label: str, **extra) -> dict:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(columns: str) -> dict:
    cols = columns.split()
    sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)
    return _level(sql, "kosong", is_null_level=True)


_ELSE = "ELSE"
_NAMES_ALIKE = ('"nama_fonetik_l" = "nama_fonetik_r" OR "nama_urut_l" = "nama_urut_r" OR '
                'jaro_winkler_similarity("nama_fonetik_l", "nama_fonetik_r") >= 0.87')

# fmt: off
COMPARISONS: list[dict] = [
    {
        "output_column_name": "nik",
        "comparison_description": "NIK",
        "comparison_levels": [
            _null("nik"),
            _level('"nik_l" = "nik_r"', "NIK sama"),
            # A typo in the kecamatan or birth-date part, serial intact: the serial makes it telling.
            _level('damerau_levenshtein("nik_l", "nik_r") <= 1 AND substr("nik_l", 13, 4) = substr("nik_r", 13, 4)',
                   "NIK beda satu angka (salah ketik/tertukar), nomor urut sama"),
            # Same kecamatan and birth date, another serial: a typo in the serial, an Excel-rounded NIK, or
            # simply another person born that day there (twins). Neither for nor against (FIXED_WEIGHTS).
            _level('substr("nik_l", 1, 12) = substr("nik_r", 1, 12)',
                   "NIK sama kecuali nomor urut (salah ketik, dibulatkan Excel, atau orang lain)"),
            _level(_ELSE, "NIK beda"),
        ],
    },
    {
        "output_column_name": "nama",
        "comparison_description": "nama",
        "comparison_levels": [
            _null("nama_fonetik"),
            _level('"nama_bersih_l" = "nama_bersih_r"', "nama sama",
                   tf_adjustment_column="nama_bersih", tf_adjustment_weight=0.5),
            _level('"nama_fonetik_l" = "nama_fonetik_r"', "nama sama (ejaan lain)"),
            _level('"nama_urut_l" = "nama_urut_r"', "nama sama (urutan kata lain)"),
            _level('jaro_winkler_similarity("nama_fonetik_l", "nama_fonetik_r") >= 0.94', "nama sangat mirip"),
            _level('jaro_winkler_similarity("nama_fonetik_l", "nama_fonetik_r") >= 0.87', "nama mirip"),
            _level("""contains(' ' || "nama_fonetik_l" || ' ', ' ' || "nama_fonetik_r" || ' ')
                   OR contains(' ' || "nama_fonetik_r" || ' ', ' ' || "nama_fonetik_l" || ' ')""",
                   "nama satu memuat yang lain"),
            _level('"nama_depan_l" = "nama_depan_r" OR '
                   'jaro_winkler_similarity("nama_fonetik_l", "nama_fonetik_r") >= 0.75', "nama agak mirip"),
            _level(_ELSE, "nama beda"),
        ],
    },
    {
        "output_column_name": "tanggal_lahir",
        "comparison_description": "tanggal lahir",
        "comparison_levels": [
            _null("tanggal_lahir"),
            _level('"tanggal_lahir_l" = "tanggal_lahir_r" AND NOT "tanggal_placeholder_l"', "tanggal lahir sama"),
            _level('"tanggal_lahir_l" = "tanggal_lahir_r"', "tanggal lahir sama (tanggal pengganti)"),
            _level('day("tanggal_lahir_l") = month("tanggal_lahir_r") AND month("tanggal_lahir_l") = '
                   'day("tanggal_lahir_r") AND year("tanggal_lahir_l") = year("tanggal_lahir_r")',
                   "tanggal lahir sama tetapi hari dan bulan tertukar"),
            _level('("tanggal_placeholder_l" OR "tanggal_placeholder_r") AND '
                   '"tahun_lahir_l" = "tahun_lahir_r"', "tahun lahir sama, satu tanggal pengganti"),
            _level('abs(datediff(\'day\', "tanggal_lahir_l", "tanggal_lahir_r")) <= 31',
                   "tanggal lahir selisih sebulan atau kurang"),
            _level('"tahun_lahir_l" = "tahun_lahir_r"', "tahun lahir sama"),
            _level('abs("tahun_lahir_l" - "tahun_lahir_r") <= 2', "tahun lahir selisih 1-2 tahun"),
            _level(_ELSE, "tanggal lahir beda"),
        ],
    },
    {
        "output_column_name": "jenis_kelamin",
        "comparison_description": "jenis kelamin",
        "comparison_levels": [
            _null("jenis_kelamin"),
            _level('"jenis_kelamin_l" = "jenis_kelamin_r"', "jenis kelamin sama"),
            _level(_ELSE, "jenis kelamin beda"),
        ],
    },
    {
        "output_column_name": "wilayah",
        "comparison_description": "desa/kecamatan tempat tinggal",
        "comparison_levels": [
            _null("kode_desa"),
            _level('"kode_desa_l" = "kode_desa_r"', "desa sama"),
            _level('"kode_kec_l" = "kode_kec_r"', "desa beda, kecamatan sama"),
            _level('"kode_kab_l" = "kode_kab_r"', "kecamatan beda, kabupaten sama"),
            _level(_ELSE, "kabupaten beda"),
        ],
    },
    {
        "output_column_name": "no_kk",
        "comparison_description": "nomor KK",
        "comparison_levels": [
            _null("no_kk"),
            _level(f'"no_kk_l" = "no_kk_r" AND ({_NAMES_ALIKE})', "KK sama"),
            # A KK names a family: with unlike names it only says the two are relatives (FIXED_WEIGHTS).
            _level('"no_kk_l" = "no_kk_r"', "KK sama tetapi nama tidak mirip (anggota keluarga lain?)"),
            _level(_ELSE, "KK beda"),
        ],
    },
    {
        "output_column_name": "tempat_lahir",
        "comparison_description": "tempat lahir",
        "comparison_levels": [
            _null("tempat_lahir"),
            _level('jaro_winkler_similarity("tempat_lahir_l", "tempat_lahir_r") >= 0.9', "tempat lahir sama"),
            _level(_ELSE, "tempat lahir beda"),
        ],
    },
]

# Pairs are only scored inside these blocks (their union). Each tolerates a different error: a NIK typo
# keeps one half of the NIK; a wrong or missing NIK still leaves name + birth year, birth date + desa,
# name + kecamatan; a moved family keeps its names, dates and often its KK.
BLOCKING_RULES: list[str] = [
    'l."nik" = r."nik"',
    'substr(l."nik", 1, 8) = substr(r."nik", 1, 8)',
    'substr(l."nik", 9, 8) = substr(r."nik", 9, 8)',
    'l."nama_fonetik" = r."nama_fonetik" AND l."tahun_lahir" = r."tahun_lahir"',
    'l."nama_depan" = r."nama_depan" AND l."tanggal_lahir" = r."tanggal_lahir"',
    'l."tanggal_lahir" = r."tanggal_lahir" AND l."kode_desa" = r."kode_desa"',
    'l."nama_urut" = r."nama_urut" AND l."kode_kec" = r."kode_kec"',
    'l."no_kk" = r."no_kk" AND l."nama_depan" = r."nama_depan"',
    'l."nama_depan" = r."nama_depan" AND l."kode_desa" = r."kode_desa" AND l."jenis_kelamin" = r."jenis_kelamin"',
]
# fmt: on

# Smallest m (share of true matches at a level) the model may hold. EM learns m from the data it is
# trained on; where that data never shows an error (the generator makes no name typos, no wrong birth
# years, no moves across regencies) EM would make the error impossible, and one real typo would then
# veto a true match. These floors are deliberately modest priors from registry practice.
M_FLOORS: dict[str, float] = {
    "NIK beda satu angka (salah ketik/tertukar), nomor urut sama": 0.01,
    "NIK sama kecuali nomor urut (salah ketik, dibulatkan Excel, atau orang lain)": 0.01,
    "NIK beda": 0.01,
    "nama sama (urutan kata lain)": 0.005,
    "nama sangat mirip": 0.03,
    "nama mirip": 0.015,
    "nama satu memuat yang lain": 0.01,
    "nama agak mirip": 0.005,
    "nama beda": 0.003,
    "tanggal lahir sama tetapi hari dan bulan tertukar": 0.005,
    "tahun lahir sama, satu tanggal pengganti": 0.005,
    "tanggal lahir selisih sebulan atau kurang": 0.01,
    "tahun lahir sama": 0.01,
    "tahun lahir selisih 1-2 tahun": 0.005,
    "tanggal lahir beda": 0.005,
    "jenis kelamin beda": 0.01,
    "desa beda, kecamatan sama": 0.02,
    "kecamatan beda, kabupaten sama": 0.02,
    "kabupaten beda": 0.01,
    "KK beda": 0.05,
    "KK sama tetapi nama tidak mirip (anggota keluarga lain?)": 0.002,
    "tempat lahir beda": 0.1,
}
# Levels whose evidence the data cannot teach: their u from random pairs is tiny, but the pairs that
# reach them already agree on what the level shares with other comparisons (a NIK's first 12 digits
# are its kecamatan and birth date), so counting them again would count the same evidence twice.
FIXED_WEIGHTS: dict[str, float] = {
    "KK sama tetapi nama tidak mirip (anggota keluarga lain?)": 0.0,
    "NIK sama kecuali nomor urut (salah ketik, dibulatkan Excel, atau orang lain)": 0.0,
}
U_FLOOR = 1e-7  # a level random pairs never reached in sampling is rare, not impossible


def apply_floors(settings: dict) -> dict:
    """Raise m to its floor where EM left it lower (or unset), keep every comparison's m summing to 1."""
    settings = copy.deepcopy(settings)
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        floored = {}
        for lv in levels:
            floor = M_FLOORS.get(lv["label_for_charts"], 0.0)
            m = lv.get("m_probability")
            if m is None or m < floor:
                floored[id(lv)] = max(floor, 1e-6)
            if lv.get("u_probability") is None or lv["u_probability"] < U_FLOOR:
                lv["u_probability"] = U_FLOOR
        fixed = sum(floored.values())
        rest = [lv for lv in levels if id(lv) not in floored]
        rest_total = sum(lv["m_probability"] for lv in rest)
        for lv in levels:
            if id(lv) in floored:
                lv["m_probability"] = floored[id(lv)]
            elif rest_total > 0:
                lv["m_probability"] = lv["m_probability"] / rest_total * (1 - fixed)
        fixed_u = 0.0
        for lv in levels:
            if lv["label_for_charts"] in FIXED_WEIGHTS:
                lv["u_probability"] = lv["m_probability"] / 2 ** FIXED_WEIGHTS[lv["label_for_charts"]]
                fixed_u += lv["u_probability"]
        free = [lv for lv in levels if lv["label_for_charts"] not in FIXED_WEIGHTS]
        u_total = sum(lv["u_probability"] for lv in free)
        for lv in free:
            lv["u_probability"] = lv["u_probability"] / u_total * (1 - fixed_u)
    return settings


TRAINING_BLOCKS = (
    'l."nik" = r."nik"',
    'l."nama_fonetik" = r."nama_fonetik" AND l."tanggal_lahir" = r."tanggal_lahir"',
)


def base_settings() -> dict:
    """Untrained Splink settings: the structure of the model, before training fills in m and u."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "source_dataset_column_name": "source_dataset",
        "probability_two_random_records_match": 1e-5,
        "comparisons": copy.deepcopy(COMPARISONS),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": r} for r in BLOCKING_RULES],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "sql_dialect": "duckdb",
    }


@dataclass(frozen=True)
class LinkModel:
    version: str
    trained_at: str
    trained_on: dict
    settings: dict  # the Splink settings with trained m/u (what `Linker(..., settings)` takes)

    def splink_settings(self, probability_two_random_records_match: float | None = None) -> dict:
        settings = copy.deepcopy(self.settings)
        # Prediction rules come from the code, so a new rule does not require retraining the parameters.
        settings["blocking_rules_to_generate_predictions"] = [{"blocking_rule": r} for r in BLOCKING_RULES]
        # The per-comparison levels (gamma columns, which Splink 5 only outputs with the matching
        # columns) are what the reason text is made from.
        settings["retain_matching_columns"] = True
        if probability_two_random_records_match is not None:
            settings["probability_two_random_records_match"] = probability_two_random_records_match
        return settings

    def labels(self) -> dict[str, list[str]]:
        """Per comparison, its level labels from the most to the least specific non-null level."""
        return {c["output_column_name"]: [lv["label_for_charts"] for lv in c["comparison_levels"]
                                          if not lv.get("is_null_level")]
                for c in self.settings["comparisons"]}

    def to_json(self) -> str:
        payload = {"format": MODEL_FORMAT, "version": self.version, "trained_at": self.trained_at,
                   "trained_on": self.trained_on, "splink_settings": self.settings}
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def load_model(path: Path | None = None) -> LinkModel:
    path = path or model_path()
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: model format {payload.get('format')!r}, expected {MODEL_FORMAT}")
    return LinkModel(payload["version"], payload["trained_at"], payload["trained_on"], payload["splink_settings"])


def train_model(left, right, *, version: str, trained_on: dict, max_pairs: float = 5e6, seed: int = 2026,
                out_path: Path | None = None) -> LinkModel:
    """Estimate the model's parameters on two prepared person frames and (optionally) save it.

    Unsupervised: u from random pairs, the prior from pairs agreeing on NIK or on name and birth date,
    m by expectation maximisation inside two blocks (each leaves its own fields free to be estimated).
    """
    from splink import DuckDBAPI, Linker

    from satudata.harmonise.records import LINK_COLUMNS

    db_api = DuckDBAPI()
    tables = [db_api.register(left[list(LINK_COLUMNS)], table_name="kiri"),
              db_api.register(right[list(LINK_COLUMNS)], table_name="kanan")]
    linker = Linker(tables, base_settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(list(TRAINING_BLOCKS), recall=0.95)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in TRAINING_BLOCKS:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    settings = apply_floors(linker.misc.save_model_to_json())
    model = LinkModel(version=version, trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      trained_on={**trained_on, "rows_left": len(left), "rows_right": len(right)},
                      settings=settings)
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_suffix(".tmp")
        tmp.write_text(model.to_json(), encoding="utf-8")
        tmp.replace(out_path)
        log.info("model %s written to %s", version, out_path)
    return model
