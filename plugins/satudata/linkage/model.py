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
from pathlib import Path

from satudata.config import reference_dir

log = logging.getLogger(__name__)

MODEL_FILE = "padanan_individu.json"
MODEL_FORMAT = 1


def model_path() -> Path:
    return reference_dir().parent / "models" / MODEL_FILE


def _level(sql: str, label: str, **extra) -> dict:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(columns: str, *, also: str = "") -> dict:
    cols = columns.split()
    sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)
    return _level(f"{sql} OR ({also})" if also else sql, "kosong", is_null_level=True)


# Where both records have a village code and the codes differ, the `wilayah` comparison has said the two
# live apart; their street, RT/RW, house number and postcode then say nothing new, and counting them again
# would count one move four times (a family that moved has another desa, address and RT/RW at once).
_OTHER_DESA = '"kode_desa_l" <> "kode_desa_r"'

_ELSE = "ELSE"


def _within_one_edit(left: str, right: str) -> str:
    """`damerau_levenshtein(left, right) <= 1`, behind a cheap test every such pair passes: one edit (DuckDB counts
    bytes) changes at most two bytes of two texts of one length (a transposition) and a length by at most one.
    The distance costs some thirty times the test, and most candidate pairs fail the test (another person's NIK
    or birth date). DuckDB's `hamming` refuses empty texts: two empty ones take the length test."""
    return (f"(CASE WHEN strlen({left}) = strlen({right}) AND strlen({left}) > 0 THEN hamming({left}, {right}) <= 2 "
            f"ELSE abs(strlen({left}) - strlen({right})) <= 1 END) AND damerau_levenshtein({left}, {right}) <= 1")


_NAMES_ALIKE = ('"nama_fonetik_l" = "nama_fonetik_r" OR "nama_urut_l" = "nama_urut_r" OR '
                'jaro_winkler_similarity("nama_fonetik_l", "nama_fonetik_r") >= 0.87')
# Address words shared, weighted by rarity (inverse frequency over both lists: the term-frequency
# adjustment of a token set), over the weight of all words of both: 1 = the same words.
_ALAMAT_SHARED = ('list_sum(list_transform(list_intersect("alamat_kata_l", "alamat_kata_r"), '
                  'lambda t: list_extract("alamat_bobot_l", list_position("alamat_kata_l", t))))')
# The shared weight is bound once (a one-element list's lambda): written twice in the ratio, DuckDB computed the
# intersection twice, and the similarity is asked up to three times per pair in the comparison's CASE.
_ALAMAT_SIM = (f'list_transform([coalesce({_ALAMAT_SHARED}, 0)], '
               'lambda s: s / ("alamat_total_l" + "alamat_total_r" - s))[1]')
# One given name the short form of the other: listed (WAWAN / HERMAWAN), a prefix (BUDI / BUDIMAN) or a
# suffix (YANTI / SURYANTI) of at least four letters.
_SHORT_FORM = ('list_contains("nama_panggilan_l", "nama_depan_r") OR list_contains("nama_panggilan_r", "nama_depan_l") '
               'OR (length("nama_depan_l") >= 4 AND length("nama_depan_r") > length("nama_depan_l") AND '
               '(starts_with("nama_depan_r", "nama_depan_l") OR ends_with("nama_depan_r", "nama_depan_l"))) '
               'OR (length("nama_depan_r") >= 4 AND length("nama_depan_l") > length("nama_depan_r") AND '
               '(starts_with("nama_depan_l", "nama_depan_r") OR ends_with("nama_depan_l", "nama_depan_r")))')
# "HAMZAH" / "HAMZAH WULANDARI", "SITI AMINAH" / "SITI NUR AMINAH": every word of one in the other. Behind the
# cheap test every such pair passes: the first word of one is among the other's (a name's word list has one).
_ONE_NAME_IN_OTHER = ('(list_contains("nama_kata_r", "nama_kata_l"[1]) OR list_contains("nama_kata_l", "nama_kata_r"[1])) '
                      'AND (list_has_all("nama_kata_l", "nama_kata_r") OR list_has_all("nama_kata_r", "nama_kata_l"))')
# What a level would otherwise compute for both records of every candidate pair (18 M pairs in NTB's largest
# regency), computed once per record in the view a linker reads (`session.register_lists`): the same values, so
# the same levels. Column: (the column it is made of, its SQL).
PER_RECORD = {
    "tanggal_digit": ("tanggal_lahir", "strftime(\"tanggal_lahir\", '%Y%m%d')"),
    "alamat_teks": ("alamat_kata", "array_to_string(\"alamat_kata\", ' ')"),
    "nama_kata": ("nama_fonetik", "string_split(\"nama_fonetik\", ' ')"),
}

# fmt: off
COMPARISONS: list[dict] = [
    {
        "output_column_name": "nik",
        "comparison_description": "NIK",
        "comparison_levels": [
            _null("nik"),
            _level('"nik_l" = "nik_r"', "NIK sama"),
            # Excel keeps 15 significant digits: the 16th of a NIK typed as a number becomes 0.
            _level('substr("nik_l", 1, 15) = substr("nik_r", 1, 15) AND (right("nik_l", 1) = \'0\' OR '
                   'right("nik_r", 1) = \'0\')', "NIK sama 15 angka pertama (angka terakhir dibulatkan Excel)"),
            # A typo in the kecamatan or birth-date part, serial intact: the serial makes it telling.
            _level(_within_one_edit('"nik_l"', '"nik_r"') + ' AND substr("nik_l", 13, 4) = substr("nik_r", 13, 4)',
                   "NIK beda satu angka (salah ketik/tertukar), nomor urut sama"),
            # Same kecamatan and birth date, another serial: a typo in the serial, or simply another person
            # born that day there (twins). Neither for nor against (FIXED_WEIGHTS).
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
            _level(_ONE_NAME_IN_OTHER, "nama satu memuat yang lain"),
            _level(_SHORT_FORM, "nama panggilan atau bentuk pendek (Wawan/Hermawan, Yanti/Suryanti)"),
            _level('"nama_depan_l" = "nama_depan_r" OR "nama_belakang_l" = "nama_belakang_r" OR '
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
            _level(_within_one_edit('"tanggal_digit_l"', '"tanggal_digit_r"'),
                   "tanggal lahir beda satu angka (salah ketik/tertukar)"),
            _level('("tanggal_placeholder_l" OR "tanggal_placeholder_r") AND '
                   '"tahun_lahir_l" = "tahun_lahir_r"', "tahun lahir sama, satu tanggal pengganti"),
            _level('abs(datediff(\'day\', "tanggal_lahir_l", "tanggal_lahir_r")) <= 7',
                   "tanggal lahir selisih seminggu atau kurang"),
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
    {
        "output_column_name": "alamat",
        "comparison_description": "alamat (kata-kata, ditimbang menurut kelangkaannya)",
        "comparison_levels": [
            # The weights are named here too: Splink selects a comparison's columns from its SQL, and does
            # not look inside the lambda of the similarity.
            _null("alamat_kata alamat_bobot alamat_total", also=_OTHER_DESA),
            _level('"alamat_kata_l" = "alamat_kata_r"', "alamat sama"),
            _level(f"{_ALAMAT_SIM} >= 0.7", "alamat sangat mirip"),
            _level(f"{_ALAMAT_SIM} >= 0.4", "alamat mirip"),
            _level('jaro_winkler_similarity("alamat_teks_l", "alamat_teks_r") >= 0.9', "alamat mirip (salah ketik)"),
            _level(f"{_ALAMAT_SIM} > 0", "alamat sebagian sama"),
            _level(_ELSE, "alamat beda"),
        ],
    },
    {
        "output_column_name": "rt_rw",
        "comparison_description": "RT/RW",
        "comparison_levels": [
            _null("rt_rw", also=_OTHER_DESA),
            _level('"rt_rw_l" = "rt_rw_r"', "RT/RW sama"),
            _level(_ELSE, "RT/RW beda"),
        ],
    },
    {
        "output_column_name": "nomor_rumah",
        "comparison_description": "nomor rumah",
        "comparison_levels": [
            _null("nomor_rumah", also=_OTHER_DESA),
            _level('"nomor_rumah_l" = "nomor_rumah_r"', "nomor rumah sama"),
            _level(_ELSE, "nomor rumah beda"),
        ],
    },
    {
        "output_column_name": "kode_pos",
        "comparison_description": "kode pos",
        "comparison_levels": [
            _null("kode_pos", also=_OTHER_DESA),
            _level('"kode_pos_l" = "kode_pos_r"', "kode pos sama"),
            _level(_ELSE, "kode pos beda"),
        ],
    },
    {
        "output_column_name": "nama_ibu",
        "comparison_description": "nama ibu kandung",
        "comparison_levels": [
            _null("nama_ibu"),
            _level('"nama_ibu_l" = "nama_ibu_r"', "nama ibu sama"),
            _level('jaro_winkler_similarity("nama_ibu_l", "nama_ibu_r") >= 0.9', "nama ibu mirip"),
            _level(_ELSE, "nama ibu beda"),
        ],
    },
]

# Pairs are only scored inside these blocks (their union). Each tolerates a different error: a NIK typo
# keeps one half of the NIK; a wrong or missing NIK still leaves name + birth year, birth date + desa,
# name + kecamatan; a moved family keeps its names, dates and often its KK. Lists with names and dates
# only (no NIK, KK or village code) still meet through a given name or last name and the birth year, the
# birth date and the first letter, and the rarest address word with the birth year or a name.
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
    'l."nama_depan" = r."nama_depan" AND l."tahun_lahir" = r."tahun_lahir"',
    'l."nama_belakang" = r."nama_belakang" AND l."tahun_lahir" = r."tahun_lahir"',
    'l."tanggal_lahir" = r."tanggal_lahir" AND substr(l."nama_fonetik", 1, 1) = substr(r."nama_fonetik", 1, 1)',
    'l."alamat_kunci" = r."alamat_kunci" AND l."tahun_lahir" = r."tahun_lahir"',
    'l."alamat_kunci" = r."alamat_kunci" AND l."nama_depan" = r."nama_depan"',
    'l."alamat_kunci" = r."alamat_kunci" AND l."nama_belakang" = r."nama_belakang"',
    'l."kode_pos" = r."kode_pos" AND l."nomor_rumah" = r."nomor_rumah"',
    'l."alamat_kunci" = r."alamat_kunci" AND l."kode_pos" = r."kode_pos"',
    'l."nama_urut" = r."nama_urut" AND l."tahun_lahir" = r."tahun_lahir"',
    'l."nama_depan" = r."nama_depan" AND l."nomor_rumah" = r."nomor_rumah"',
    'l."nama_belakang" = r."nama_belakang" AND l."nomor_rumah" = r."nomor_rumah"',
    'l."alamat_kunci" = r."alamat_kunci" AND l."nomor_rumah" = r."nomor_rumah"',
    'l."tanggal_lahir" = r."tanggal_lahir" AND l."kode_pos" = r."kode_pos"',
    'l."tanggal_lahir" = r."tanggal_lahir" AND l."nomor_rumah" = r."nomor_rumah"',
    # The same name of two words or more, whatever the birth date (missing, or a typo in the year).
    'l."nama_fonetik" = r."nama_fonetik" AND l."nama_depan" <> l."nama_fonetik"',
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
    "NIK sama 15 angka pertama (angka terakhir dibulatkan Excel)": 0.005,
    "nama panggilan atau bentuk pendek (Wawan/Hermawan, Yanti/Suryanti)": 0.005,
    "tanggal lahir beda satu angka (salah ketik/tertukar)": 0.005,
    "tanggal lahir selisih seminggu atau kurang": 0.005,
    "alamat sangat mirip": 0.02,
    "alamat mirip": 0.02,
    "alamat mirip (salah ketik)": 0.01,
    "alamat sebagian sama": 0.02,
    "alamat beda": 0.03,
    "RT/RW beda": 0.03,
    "nomor rumah beda": 0.03,
    "kode pos beda": 0.02,
    "nama ibu mirip": 0.02,
    "nama ibu beda": 0.01,
}
# Levels whose evidence the data cannot teach: their u from random pairs is tiny, but the pairs that
# reach them already agree on what the level shares with other comparisons (a NIK's first 12 digits
# are its kecamatan and birth date), so counting them again would count the same evidence twice.
FIXED_WEIGHTS: dict[str, float] = {
    "KK sama tetapi nama tidak mirip (anggota keluarga lain?)": 0.0,
    "NIK sama kecuali nomor urut (salah ketik, dibulatkan Excel, atau orang lain)": 0.0,
}
U_FLOOR = 1e-7  # a level random pairs never reached in sampling is rare, not impossible

# Starting parameters (m, u) of levels the training data could not teach (the generated province has no
# postcodes, house numbers or mothers' names): modest values from registry practice, which every run's
# fitting replaces as soon as its own lists carry the column.
DEFAULT_PARAMETERS: dict[str, tuple[float, float]] = {
    "RT/RW sama": (0.75, 0.05), "RT/RW beda": (0.25, 0.95),
    "nomor rumah sama": (0.8, 0.02), "nomor rumah beda": (0.2, 0.98),
    "kode pos sama": (0.85, 0.02), "kode pos beda": (0.15, 0.98),
    "nama ibu sama": (0.75, 0.0005), "nama ibu mirip": (0.12, 0.005), "nama ibu beda": (0.13, 0.9945),
    "alamat sama": (0.55, 0.001), "alamat sangat mirip": (0.15, 0.004), "alamat mirip": (0.1, 0.02),
    "alamat mirip (salah ketik)": (0.05, 0.01), "alamat sebagian sama": (0.08, 0.2), "alamat beda": (0.07, 0.765),
}


def with_defaults(settings: dict) -> dict:
    """Levels without parameters get `DEFAULT_PARAMETERS` (renormalised within their comparison)."""
    settings = copy.deepcopy(settings)
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        if all(lv.get("m_probability") is not None and lv.get("u_probability") is not None for lv in levels):
            continue
        if not all(lv["label_for_charts"] in DEFAULT_PARAMETERS for lv in levels):
            continue
        for lv in levels:
            lv["m_probability"], lv["u_probability"] = DEFAULT_PARAMETERS[lv["label_for_charts"]]
    return settings


def apply_floors(settings: dict) -> dict:
    """Raise m to its floor where EM left it lower (or unset), keep every comparison's m summing to 1.

    Repeated until nothing moves (renormalising may push another level under its floor): idempotent."""
    settings = _floored(settings)
    for _ in range(5):
        again = _floored(settings)
        if again == settings:
            break
        settings = again
    return settings


def _floored(settings: dict) -> dict:
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
    fit: dict | None = None  # a run's fitting report (`linkage.fitting`); None for the shipped file

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
        if self.fit is not None:
            payload["fit"] = self.fit
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def load_model(path: Path | None = None) -> LinkModel:
    """The shipped model: the structure of the code (`COMPARISONS`) with the parameters of the file, level by
    level (by comparison and label). A level the file lacks has none, and fitting learns it."""
    path = path or model_path()
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: model format {payload.get('format')!r}, expected {MODEL_FORMAT}")
    settings = with_parameters(base_settings(), payload["splink_settings"])
    return LinkModel(payload["version"], payload["trained_at"], payload["trained_on"], settings, payload.get("fit"))


def read_model_file(path: Path) -> LinkModel:
    """A model file as written (a run's fitted model holds only the comparisons its lists could feed)."""
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    if payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: model format {payload.get('format')!r}, expected {MODEL_FORMAT}")
    return LinkModel(payload["version"], payload["trained_at"], payload["trained_on"], payload["splink_settings"],
                     payload.get("fit"))


def with_parameters(structure: dict, source: dict) -> dict:
    """`structure` with the m/u (and the prior) of `source` where a comparison and level label match."""
    out = copy.deepcopy(structure)
    known = {(c["output_column_name"], lv.get("label_for_charts")): lv for c in source.get("comparisons", [])
             for lv in c["comparison_levels"]}
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            old = known.get((comparison["output_column_name"], level.get("label_for_charts")))
            if old is not None and not level.get("is_null_level"):
                for key in ("m_probability", "u_probability"):
                    if old.get(key) is not None:
                        level[key] = old[key]
    if source.get("probability_two_random_records_match") is not None:
        out["probability_two_random_records_match"] = source["probability_two_random_records_match"]
    return out


def missing_parameters(model: LinkModel) -> list[str]:
    """Levels of the model without m or u: what the shipped file lacks (a test keeps this empty)."""
    return [f"{c['output_column_name']}: {lv['label_for_charts']}" for c in model.settings["comparisons"]
            for lv in c["comparison_levels"] if not lv.get("is_null_level")
            and (lv.get("m_probability") is None or lv.get("u_probability") is None)]
