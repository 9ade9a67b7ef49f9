"""Every proportion, rate and amount the generator uses, in one place (documented in docs/generator.md).

Shares are of a regency's *real* population (`penduduk_kab_kota_2025.csv`) times `scale`.
"""

from __future__ import annotations

GENERATOR_VERSION = "1.0.0"

# ---------------------------------------------------------------------------------------------- sizes
# Share of the population in person rows: kabupaten vs kota (cities have fewer registered poor).
DTKS_SHARE = {"kabupaten": 0.38, "kota": 0.30}
P3KE_SHARE = {"kabupaten": 0.30, "kota": 0.22}
# Share of P3KE families also in DTKS; members missing from one registry bring the person overlap to ~80 %.
P3KE_IN_DTKS = 0.85
# People in no registry who still appear in recipient lists (inclusion errors), share of the population.
OUTSIDER_SHARE = 0.006
# Families that are not registered at the drift epoch but enter in later periods, share of registry people.
RESERVE_SHARE = 0.05

# Family types: 0 single elderly, 1 single adult, 2 couple, 3 nuclear, 4 single parent, 5 extended.
FAMILY_TYPES = ("lansia_tunggal", "lajang", "pasangan", "inti", "orang_tua_tunggal", "besar")
FAMILY_TYPE_P = {
    "kabupaten": (0.075, 0.035, 0.10, 0.55, 0.12, 0.12),
    "kota": (0.07, 0.07, 0.10, 0.54, 0.12, 0.10),
}
# Number of children (values 1..len) of nuclear families.
CHILDREN_NUCLEAR_P = {
    "kabupaten": (0.30, 0.34, 0.19, 0.10, 0.04, 0.02, 0.01),
    "kota": (0.36, 0.36, 0.17, 0.07, 0.03, 0.01),
}
CHILDREN_SINGLE_PARENT_P = (0.45, 0.32, 0.14, 0.06, 0.03)  # 1..5
# Extended families: with parent(s) of the head / with grandchildren / with other relatives.
EXTENDED_SUBTYPE_P = (0.55, 0.35, 0.10)
CHILDREN_EXTENDED_P = (0.15, 0.30, 0.30, 0.15, 0.07, 0.03)  # 0..5

# P3KE welfare decile of a P3KE family (1 = poorest); single elderly / single parents are poorer.
DESIL_P = (0.17, 0.24, 0.28, 0.31)
DESIL_P_VULNERABLE = (0.26, 0.27, 0.25, 0.22)

# Differences between DTKS and P3KE in families present in both.
KK_REISSUED = 0.04  # P3KE has a newer KK number, same address
FAMILY_MOVED = 0.03  # P3KE has a newer KK and another desa of the regency; DTKS still the old ones
MEMBER_MISSING_DTKS = 0.02  # a non-head member only in P3KE
NEWBORN_MISSING_DTKS = 0.5  # children under 2 not yet in DTKS
MEMBER_MISSING_P3KE = 0.03  # a non-head member only in DTKS (left the household)

# NIK prefix = kecamatan of first registration.
NIK_PREFIX_OTHER_KEC = 0.09
NIK_PREFIX_OTHER_KAB = 0.04
NIK_PREFIX_OTHER_PROV = 0.005
NIK_PREFIX_OLD_CODE = 0.01  # only people aged 40+, only where the province has codes no longer current

# Migrant workers among adults 18-50 (NTB regencies of Lombok send many; elsewhere fewer).
MIGRANT_RATE_DEFAULT = 0.01
MIGRANT_RATE = {
    "5201": 0.04, "5202": 0.05, "5203": 0.06, "5208": 0.04,
    "5204": 0.02, "5205": 0.02, "5206": 0.02, "5207": 0.02,
    "5271": 0.01, "5272": 0.01,
}

# ---------------------------------------------------------------------------------------------- drift
# The base population is that of EPOCH; a period's drift grows with its distance from it (capped).
EPOCH = (2025, 1)
DRIFT_CAP_MONTHS = 36
DESIL_CHANGE_PER_MONTH = 0.002  # families whose desil changes (70 % improve, 30 % worsen)
DESIL_IMPROVE_SHARE = 0.7
EXIT_PER_MONTH = 0.0015  # families leaving P3KE (graduation) besides desil > 4
PROGRAMME_CHURN = 0.015  # recipients missing from one period's list only (late distribution)

# ---------------------------------------------------------------------------------------------- programmes
UNREACHED_FAMILIES = 0.10  # families the programmes do not reach (exclusion errors), whatever their desil
UNREACHED_FAMILY_FACTOR = 0.02  # their uptake of family programmes, relative to others
UNREACHED_PERSON_FACTOR = 0.10  # their uptake of per-person programmes (PBI JK)
# P(receive) by status: desil 1, 2, 3, 4, DTKS but not P3KE, in no registry (outsider families).
PROGRAMME_UPTAKE = {
    "PKH": (0.55, 0.35, 0.15, 0.06, 0.04, 0.05),
    "BPNT": (0.60, 0.50, 0.22, 0.10, 0.08, 0.10),
    "PBI_JK": (0.85, 0.80, 0.70, 0.60, 0.55, 0.30),
    "BLT_DD": (0.35, 0.20, 0.08, 0.03, 0.03, 0.20),
    "BANTUAN_BERAS": (0.70, 0.60, 0.35, 0.20, 0.15, 0.15),
    "RTLH": (0.03, 0.02, 0.008, 0.004, 0.003, 0.01),
    "JPS_GEMILANG": (0.20, 0.15, 0.07, 0.03, 0.02, 0.10),
}
BLT_DD_WITH_PKH_BPNT = 0.12  # BLT DD should not go to PKH/BPNT families; it sometimes does
# Programmes whose lists are drawn from DTKS: their rows carry the DTKS family card and address.
DTKS_BASED = frozenset({"PKH", "BPNT", "PBI_JK", "BANTUAN_BERAS"})
# Rupiah per period (monthly equivalent); PKH varies with the family's components.
NILAI_BANTUAN = {
    "PKH": (225_000, 300_000, 375_000, 450_000, 600_000, 750_000),
    "BPNT": (200_000,),
    "PBI_JK": (42_000,),
    "BLT_DD": (300_000,),
    "BANTUAN_BERAS": (150_000,),
    "RTLH": (20_000_000,),
    "JPS_GEMILANG": (250_000,),
}
NILAI_BANTUAN_DEFAULT = (100_000,)

# ---------------------------------------------------------------------------------------------- files
CSV_SHARE_DTKS = 0.30  # regencies sending DTKS as CSV (the rest xlsx); P3KE is always xlsx
CSV_SHARE_INTERVENSI = 0.30  # per recipient list
EXCEL_MAX_ROWS = 1_048_576

# ---------------------------------------------------------------------------------------------- defects
# Cell / row defects: probability per eligible cell or row. File defects: probability per file.
DEFAULT_DEFECT_RATES: dict[str, float] = {
    # NIK / KK cells
    "nik_excel_number": 0.02,  # nik, nik_kepala_keluarga, no_kk typed as a number (16th digit lost)
    "nik_transposed": 0.005,  # two adjacent digits swapped
    "nik_typo": 0.005,  # one digit changed
    "nik_missing": 0.01,  # empty
    # rows
    "duplicate_row": 0.005,  # exact copy right below the original
    "other_regency_row": 0.005,  # families/recipients living in another regency of the province
    # dates and names
    "date_day_month_swapped": 0.01,  # tanggal_lahir with day <= 12 written as month/day
    "placeholder_birth_date": 0.01,  # tanggal_lahir written 01-01-YYYY or 31-12-YYYY
    "name_title": 0.02,  # H., Hj., Drs., S.Pd, A.Md ... added
    "name_variant": 0.03,  # Muhammad/Moh., Zainal/Jainal, Saprudin/Safrudin, oe/u, dj/j ...
    "name_short": 0.0,  # only the first word ("Hamzah" for "Hamzah Wulandari"), or a middle word dropped
    "name_nickname": 0.0,  # the first word replaced by a listed short form (Wawan for Hermawan)
    "date_shifted": 0.0,  # tanggal_lahir off by 1-14 days or 1-3 months
    "kode_dotted_row": 0.10,  # in files of the "mixed" code format: rows whose kode_desa is dotted
    # files
    "title_rows": 0.40,  # title lines above the header
    "header_variant": 0.90,  # headers spelled as regencies do (else canonical snake_case)
    "kode_format_variant": 0.50,  # kode_desa dotted / mixed / Excel number instead of plain digits
    "csv_dialect_variant": 0.50,  # CSV in cp1252 with ';' (Excel, Windows) or UTF-8 with BOM
    "date_format_variant": 0.85,  # dates DD-MM-YYYY, DD/MM/YYYY or Excel date cells instead of ISO
    "missing_kode_program": 0.20,  # recipient list without a kode_program column
}
CELL_DEFECTS = (
    "nik_excel_number", "nik_transposed", "nik_typo", "nik_missing", "date_day_month_swapped",
    "placeholder_birth_date", "name_title", "name_variant", "name_short", "name_nickname", "date_shifted",
    "kode_dotted_row",
)
# Defect profiles a benchmark or a developer names (`satudata-dev generate --defect-profile berat`):
# "biasa" is DEFAULT_DEFECT_RATES; "berat" is what a harder held-out set looked like (rounded NIKs on one
# side, names written short or by a nickname, missing NIKs with birth dates off by days or months).
DEFECT_PROFILES: dict[str, dict[str, float]] = {
    "biasa": {},
    "berat": {
        "nik_excel_number": 0.05, "nik_transposed": 0.015, "nik_typo": 0.015, "nik_missing": 0.10,
        "date_day_month_swapped": 0.03, "placeholder_birth_date": 0.03, "date_shifted": 0.06,
        "name_title": 0.05, "name_variant": 0.08, "name_short": 0.05, "name_nickname": 0.03,
    },
}
ROW_DEFECTS = ("duplicate_row", "other_regency_row")
FILE_DEFECTS = (
    "title_rows", "header_variant", "kode_format_variant", "csv_dialect_variant", "date_format_variant",
    "missing_kode_program",
)

# DTSEN (Inpres 4/2025): BPS's registry of the whole population, desil 1-10, refreshed every quarter.
# The generator's population is the poor and vulnerable it models (DTKS, P3KE and unregistered families);
# DTSEN holds every one of them, bar a few families the first handover missed.
DTSEN_FROM = (2025, 4)  # first extract handed to the regions (periods before have none)
DTSEN_QUARTERS = 2  # extracts written per run: the period's quarter and the ones before it
DTSEN_FAMILY_MISSING = 0.04  # families of DTKS/P3KE absent from DTSEN
DTSEN_MEMBER_MISSING = 0.01  # members of a DTSEN family absent from it (not yet on the KK)
# DTSEN national desil of a P3KE family, as an offset from its P3KE desil (P3KE ranked the poor in 1-4; the
# national ranking spreads them out): -1, 0, +1, +2, +4.
DTSEN_OFFSET = (-1, 0, 1, 2, 4)
DTSEN_OFFSET_P = (0.10, 0.52, 0.20, 0.10, 0.08)
DTSEN_DESIL_DTKS_ONLY = (2, 8)  # DTKS families outside P3KE: uniform desil in [lo, hi)
DTSEN_DESIL_OUTSIDER = (3, 11)  # families in no registry
DTSEN_CHANGE_PER_QUARTER = 0.06  # families whose DTSEN desil moves by one between quarters (55 % up)
DTSEN_UP_SHARE = 0.55
