"""The true people and families of one regency, and their state in a given period. All vectorised.

A regency's *universe* holds every family that is in DTKS and/or P3KE at the drift epoch, the families
that enter later (reserve), families in no registry who still receive programmes (outsiders) and a few
families living in another regency of the province whose rows end up in this regency's files (strays,
the `other_regency_row` defect). Each family is drawn as a structure (type, spouse, children, parents,
in-laws, grandchildren), expanded into members with ages, sexes, names, NIK and KK.

Random streams (numpy `default_rng` seeded with `[seed, province, regency, purpose, ...]`) keep regencies
independent and the base population independent of the period, of the defect rates and of the files.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from satudata.schema import PEKERJAAN_PEKERJA_MIGRAN

from satudata_dev.generate import names as _names
from satudata_dev.generate import params as P

EPOCH_DAY = np.datetime64("2025-01-01", "D")  # ages of the base population are ages on this day
_DAY0 = np.datetime64("1970-01-01", "D")
_YEAR = 365.25

# Family categories.
BOTH, DTKS_ONLY, P3KE_ONLY, OUTSIDER = 0, 1, 2, 3
CATEGORY_NAMES = ("dtks_p3ke", "dtks", "p3ke", "tidak_terdaftar")
# Member roles (order inside a family).
HEAD, SPOUSE, CHILD, PARENT, MENANTU, CUCU, OTHER = range(7)
STATUS_KAWIN = np.array(["Belum Kawin", "Kawin", "Cerai Hidup", "Cerai Mati"], dtype=object)
NIK_ORIGINS = ("kecamatan_sekarang", "kecamatan_lain", "kabupaten_lain", "provinsi_lain", "kode_lama")

_PEKERJAAN_ADULT = {
    # (values, p) by (sex, kota)
    ("L", False): (
        ("Petani/Pekebun", "Buruh Tani/Perkebunan", "Buruh Harian Lepas", "Nelayan/Perikanan", "Peternak",
         "Wiraswasta", "Pedagang", "Karyawan Swasta", "Sopir", "Tukang Batu", "Belum/Tidak Bekerja"),
        (0.30, 0.16, 0.18, 0.05, 0.04, 0.07, 0.05, 0.04, 0.03, 0.03, 0.05),
    ),
    ("L", True): (
        ("Buruh Harian Lepas", "Wiraswasta", "Pedagang", "Karyawan Swasta", "Sopir", "Tukang Batu",
         "Nelayan/Perikanan", "Petani/Pekebun", "Belum/Tidak Bekerja"),
        (0.28, 0.15, 0.12, 0.12, 0.08, 0.08, 0.04, 0.05, 0.08),
    ),
    ("P", False): (
        ("Mengurus Rumah Tangga", "Petani/Pekebun", "Buruh Tani/Perkebunan", "Pedagang", "Buruh Harian Lepas",
         "Wiraswasta", "Belum/Tidak Bekerja"),
        (0.50, 0.10, 0.11, 0.09, 0.09, 0.04, 0.07),
    ),
    ("P", True): (
        ("Mengurus Rumah Tangga", "Pedagang", "Buruh Harian Lepas", "Wiraswasta", "Karyawan Swasta",
         "Belum/Tidak Bekerja"),
        (0.50, 0.14, 0.12, 0.08, 0.07, 0.09),
    ),
}


@dataclass(frozen=True)
class Programme:
    kode: str
    unit: str  # "keluarga" | "individu"
    nama: str
    desil_maks: int | None


@dataclass(frozen=True)
class RegencyContext:
    """Everything one regency's generation needs (picklable: workers do not reload the region lists)."""

    seed: int
    scale: float
    province: str
    kode_kab: str
    nama_kab: str
    slot: int  # index of the regency in its province: makes NIK/KK serials unique across regencies
    n_slots: int
    population: int
    kota: bool
    desa: tuple[str, ...]  # current desa/kelurahan of the regency
    other_kec_province: tuple[str, ...]  # current kecamatan of the province's other regencies
    other_desa_province: tuple[str, ...]  # their desa (homes of stray families)
    old_kec: tuple[str, ...]  # kecamatan codes of the province only in the 2019/2022 lists
    other_province_kec: tuple[str, ...]  # a sample of other provinces' kecamatan
    place_names: dict[str, str]  # kecamatan / regency code -> name for tempat_lahir
    programmes: tuple[Programme, ...]

    @property
    def kind(self) -> str:
        return "kota" if self.kota else "kabupaten"

    def rng(self, *purpose: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(self.province), int(self.kode_kab), *purpose])


def crc(text: str) -> int:
    """A stable small integer for a text (seed material; Python's hash() is salted per process)."""
    return zlib.crc32(text.encode())


# ---------------------------------------------------------------------------------------------- structure


def _draw_structures(rng: np.random.Generator, n: int, kind: str) -> dict[str, np.ndarray]:
    ftype = rng.choice(6, n, p=P.FAMILY_TYPE_P[kind])
    sub = rng.choice(3, n, p=P.EXTENDED_SUBTYPE_P)
    u = rng.random((n, 4))
    has_spouse = np.isin(ftype, (2, 3)) | ((ftype == 5) & (u[:, 0] < 0.8))
    nuclear_p = P.CHILDREN_NUCLEAR_P[kind]
    n_child = np.zeros(n, dtype=np.int64)
    n_child = np.where(ftype == 3, 1 + rng.choice(len(nuclear_p), n, p=nuclear_p), n_child)
    n_child = np.where(ftype == 4, 1 + rng.choice(len(P.CHILDREN_SINGLE_PARENT_P), n,
                                                  p=P.CHILDREN_SINGLE_PARENT_P), n_child)
    ext_children = rng.choice(len(P.CHILDREN_EXTENDED_P), n, p=P.CHILDREN_EXTENDED_P)
    ext = ftype == 5
    n_child = np.where(ext, ext_children, n_child)
    n_parent = np.where(ext & (sub == 0), 1 + (u[:, 1] < 0.25), 0)
    n_cucu = np.where(ext & (sub == 1), 1 + rng.choice(3, n, p=(0.5, 0.35, 0.15)), 0)
    n_child = np.where(ext & (sub == 1), np.maximum(n_child, 1), n_child)
    n_menantu = np.where(ext & (sub == 1), u[:, 2] < 0.5, 0)
    n_other = np.where(ext & (sub == 2), 1 + (u[:, 3] < 0.2), 0)
    size = 1 + has_spouse + n_child + n_parent + n_menantu + n_cucu + n_other
    return {
        "type": ftype, "sub": sub, "has_spouse": has_spouse, "n_child": n_child, "n_parent": n_parent,
        "n_menantu": n_menantu.astype(np.int64), "n_cucu": n_cucu, "n_other": n_other, "size": size,
    }


def _families_for(rng: np.random.Generator, people: float, kind: str) -> dict[str, np.ndarray]:
    """Draw families until their members reach `people` (the last family may overshoot)."""
    target = max(round(people), 0)
    if target == 0:
        return {k: v[:0] for k, v in _draw_structures(rng, 1, kind).items()}
    n = int(target / 2.5) + 20
    while True:
        fams = _draw_structures(rng, n, kind)
        total = np.cumsum(fams["size"])
        if total[-1] >= target:
            k = int(np.searchsorted(total, target)) + 1
            return {key: v[:k] for key, v in fams.items()}
        n *= 2


# ---------------------------------------------------------------------------------------------- universe


@dataclass
class Universe:
    """True families (arrays prefixed fam_) and people (per_) of one regency; index = position."""

    fam: dict[str, np.ndarray]
    per: dict[str, np.ndarray]

    @property
    def n_families(self) -> int:
        return len(self.fam["family_id"])

    @property
    def n_people(self) -> int:
        return len(self.per["person_id"])


def _concat(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = blocks[0].keys()
    return {k: np.concatenate([b[k] for b in blocks]) for k in keys}


def build_universe(ctx: RegencyContext, stray_rate: float) -> Universe:
    """The base population of one regency (independent of the period)."""
    s = ctx.population * ctx.scale
    both = s * P.P3KE_SHARE[ctx.kind] * P.P3KE_IN_DTKS
    p3ke_only = s * P.P3KE_SHARE[ctx.kind] - both
    dtks_only = s * P.DTKS_SHARE[ctx.kind] - both
    outsider = s * P.OUTSIDER_SHARE
    registered = both + p3ke_only + dtks_only
    reserve = registered * P.RESERVE_SHARE

    rng = ctx.rng(1)
    fams = _families_for(rng, registered + outsider + reserve, ctx.kind)
    # Families are i.i.d., so cutting the cumulative members into consecutive runs is a fair split.
    cum = np.cumsum(fams["size"]) - fams["size"]
    bounds = np.cumsum([both, dtks_only, p3ke_only, outsider])
    category = np.searchsorted(bounds, cum, side="right").astype(np.int8)
    is_reserve = category == 4
    category[is_reserve] = rng.choice(3, int(is_reserve.sum()), p=np.array([both, dtks_only, p3ke_only]) / registered)
    fams["category"], fams["reserve"], fams["stray"] = category, is_reserve, np.zeros(len(category), bool)
    main = _block(ctx, rng, fams, stray=False)

    blocks = [main]
    if stray_rate > 0 and ctx.other_desa_province:
        rng_s = ctx.rng(5)
        sf = _families_for(rng_s, registered * stray_rate, ctx.kind)
        shares = np.array([both, dtks_only, p3ke_only]) / registered
        sf["category"] = rng_s.choice(3, len(sf["size"]), p=shares).astype(np.int8)
        sf["reserve"] = np.zeros(len(sf["size"]), bool)
        sf["stray"] = np.ones(len(sf["size"]), bool)
        if len(sf["size"]):
            blocks.append(_block(ctx, rng_s, sf, stray=True))
    fam = _concat([b["fam"] for b in blocks])
    per = _concat([b["per"] for b in blocks])
    _dtsen_draws(ctx, fam, per)
    # Positions are block-local: shift person -> family and family -> first member into the concatenation.
    fam_offset = np.cumsum([0] + [len(b["fam"]["size"]) for b in blocks[:-1]])
    per_offset = np.cumsum([0] + [len(b["per"]["fam"]) for b in blocks[:-1]])
    per["fam"] = np.concatenate([b["per"]["fam"] + o for b, o in zip(blocks, fam_offset, strict=True)])
    fam["start"] = np.concatenate([b["fam"]["start"] + o for b, o in zip(blocks, per_offset, strict=True)])
    _assign_ids(ctx, fam, per)
    return Universe(fam, per)


def _dtsen_draws(ctx: RegencyContext, fam: dict, per: dict) -> None:
    """DTSEN's base desil and coverage, from a stream of their own (earlier draws stay as they were)."""
    rng = ctx.rng(11)
    F, Pn = len(fam["size"]), len(per["fam"])
    offset = np.array(P.DTSEN_OFFSET)[rng.choice(len(P.DTSEN_OFFSET), F, p=P.DTSEN_OFFSET_P)]
    p3ke = np.clip(fam["desil"] + offset, 1, 10)
    dtks_only = rng.integers(*P.DTSEN_DESIL_DTKS_ONLY, F)
    outsider = rng.integers(*P.DTSEN_DESIL_OUTSIDER, F)
    cat = fam["category"]
    fam["desil_dtsen"] = np.select([fam["desil"] > 0, cat == DTKS_ONLY], [p3ke, dtks_only], outsider).astype(np.int8)
    # The province and regency rankings: the national one moved a little by where the family lives.
    fam["desil_dtsen_provinsi"] = np.clip(fam["desil_dtsen"] + rng.choice((-1, 0, 0, 1), F), 1, 10).astype(np.int8)
    fam["desil_dtsen_kabupaten"] = np.clip(fam["desil_dtsen"] + rng.choice((-1, 0, 0, 1), F), 1, 10).astype(np.int8)
    fam["dtsen_missing"] = rng.random(F) < P.DTSEN_FAMILY_MISSING
    fam["u_dtsen"] = rng.random((F, 2))
    per["miss_dtsen"] = (rng.random(Pn) < P.DTSEN_MEMBER_MISSING) & (per["role"] != HEAD)
    kab = int(ctx.kode_kab)
    fam["id_keluarga_dtsen"] = "D" + (kab * 10**7 + 1 + rng.permutation(F)).astype(str).astype(object)
    per["id_individu_dtsen"] = "S" + (kab * 10**8 + 1 + rng.permutation(Pn)).astype(str).astype(object)


def quarter_index(period: tuple[int, int]) -> int:
    return months_from_epoch(period) // 3


def dtsen_periods(period: tuple[int, int]) -> list[tuple[int, int]]:
    """The DTSEN extracts a regency holds at `period`: the period's own and the quarters before it (oldest
    first), none before DTSEN existed."""
    out = []
    for back in range(P.DTSEN_QUARTERS - 1, -1, -1):
        month = period[0] * 12 + period[1] - 1 - 3 * back
        candidate = (month // 12, month % 12 + 1)
        if candidate >= P.DTSEN_FROM:
            out.append(candidate)
    return out


@dataclass
class DtsenState:
    """One DTSEN extract (arrays aligned with the universe)."""

    fam_in: np.ndarray
    desil: np.ndarray  # national desil, 0 where not in DTSEN
    desil_provinsi: np.ndarray
    desil_kabupaten: np.ndarray
    person_in: np.ndarray


def dtsen_state(u: Universe, state: PeriodState, period: tuple[int, int]) -> DtsenState:
    """DTSEN as of `period`: every family the universe has then (registered or not), bar those the handover
    missed; its desil drifts by quarter."""
    fam, per = u.fam, u.per
    q = max(quarter_index(period), 0)
    moves = fam["u_dtsen"][:, 0] < min(q * P.DTSEN_CHANGE_PER_QUARTER, 0.9)
    # The direction changes with the quarter, so two quarters differ in both directions.
    up = ((fam["u_dtsen"][:, 1] * 997 + q * 0.37) % 1.0) < P.DTSEN_UP_SHARE
    shift = np.where(moves, np.where(up, 1, -1), 0)
    present = (state.fam_active | (fam["category"] == P3KE_ONLY) | (fam["category"] == BOTH)) & ~fam["dtsen_missing"]
    present &= (~fam["reserve"] | state.fam_active) & ~fam["stray"]  # strays are in DTSEN where they live
    desil = np.clip(fam["desil_dtsen"] + shift, 1, 10)
    return DtsenState(
        fam_in=present, desil=np.where(present, desil, 0).astype(np.int8),
        desil_provinsi=np.clip(fam["desil_dtsen_provinsi"] + shift, 1, 10).astype(np.int8),
        desil_kabupaten=np.clip(fam["desil_dtsen_kabupaten"] + shift, 1, 10).astype(np.int8),
        person_in=present[per["fam"]] & ~per["miss_dtsen"] & state.born,
    )


def _block(ctx: RegencyContext, rng: np.random.Generator, fams: dict, stray: bool) -> dict:
    """Members, ages, names, NIK prefixes ... of a block of families (main or stray)."""
    F = len(fams["size"])
    size = fams["size"]
    ftype, sub = fams["type"], fams["sub"]
    start = np.cumsum(size) - size
    Pn = int(size.sum())
    f_of = np.repeat(np.arange(F), size)
    pos = np.arange(Pn) - start[f_of]
    c_sp = 1 + fams["has_spouse"].astype(np.int64)
    c_ch = c_sp + fams["n_child"]
    c_pa = c_ch + fams["n_parent"]
    c_me = c_pa + fams["n_menantu"]
    c_cu = c_me + fams["n_cucu"]
    role = ((pos >= 1).astype(np.int8) + (pos >= c_sp[f_of]) + (pos >= c_ch[f_of]) + (pos >= c_pa[f_of])
            + (pos >= c_me[f_of]) + (pos >= c_cu[f_of])).astype(np.int8)
    child_rank = np.where(role == CHILD, pos - c_sp[f_of], -1)

    # --- where families live
    if stray:
        desa_pool = np.array(ctx.other_desa_province, dtype=object)
        desa = desa_pool[rng.integers(0, len(desa_pool), F)]
        desa_idx = np.zeros(F, dtype=np.int64)
    else:
        desa_pool = np.array(ctx.desa, dtype=object)
        weight = rng.lognormal(0.0, 0.6, len(desa_pool))
        weight *= np.where(np.array([d[6] == "1" for d in ctx.desa]), 1.3, 1.0)  # kelurahan are larger
        desa_idx = rng.choice(len(desa_pool), F, p=weight / weight.sum())
        desa = desa_pool[desa_idx]
    mix = _names.culture_mix(ctx.kode_kab)
    cultures = np.array([_names.CULTURES.index(c) for c in mix])
    culture = cultures[rng.choice(len(cultures), F, p=np.array(list(mix.values())) / sum(mix.values()))]
    main_culture = max(mix, key=mix.get)

    # --- heads: age and sex by family type
    u = rng.random((F, 6))
    head_age = np.select(
        [ftype == 0, ftype == 1, ftype == 2, ftype == 3, ftype == 4, (ftype == 5) & (sub == 0),
         (ftype == 5) & (sub == 1)],
        [np.minimum(60 + rng.gamma(2.0, 5.0, F), 98), 18 + u[:, 0] * 42,
         np.where(u[:, 1] < 0.45, 19 + u[:, 0] * 12, 50 + u[:, 0] * 36),
         np.minimum(22 + rng.gamma(4.0, 4.5, F), 75), np.minimum(25 + rng.gamma(4.0, 5.0, F), 85),
         25 + u[:, 0] * 31, 48 + u[:, 0] * 33],
        default=np.minimum(22 + rng.gamma(4.0, 4.5, F), 75),
    )
    p_female_head = np.select(
        [ftype == 0, ftype == 1, ftype == 4, fams["has_spouse"]], [0.70, 0.40, 0.85, 0.03], default=0.70
    )
    head_female = u[:, 2] < p_female_head

    # --- members' ages and sexes
    up = rng.random((Pn, 6))
    hf = head_female[f_of]
    ha = head_age[f_of]
    female = np.select(
        [role == HEAD, role == SPOUSE, role == PARENT, role == MENANTU],
        [hf, ~hf, up[:, 0] < 0.65, up[:, 0] < 0.6], default=up[:, 0] < 0.49,
    )
    spouse_age_f = np.where(head_female, head_age + rng.normal(3, 4, F), head_age - rng.normal(4, 4, F))
    spouse_age_f = np.clip(spouse_age_f, 16, head_age + 12)
    mother_age = np.where(head_female, head_age, np.where(fams["has_spouse"], spouse_age_f, head_age - 4))
    eldest = np.maximum(mother_age - (17 + u[:, 3] * 13), 0)
    spacing = np.where((role == CHILD) & (child_rank > 0), 1 + rng.poisson(1.8, Pn) + up[:, 1], 0.0)
    cs = np.cumsum(spacing)
    first_child = np.minimum(start + c_sp, max(Pn - 1, 0))
    child_age = np.maximum(eldest[f_of] - (cs - cs[first_child][f_of]), up[:, 2] * 0.9)
    eldest_child_age = eldest
    age = np.select(
        [role == HEAD, role == SPOUSE, role == CHILD, role == PARENT, role == MENANTU, role == CUCU],
        [ha, spouse_age_f[f_of], child_age, np.minimum(ha + 20 + up[:, 1] * 15, 100),
         np.maximum(eldest_child_age[f_of] + (up[:, 1] - 0.5) * 6, 17),
         up[:, 1] * np.minimum(np.maximum(eldest_child_age[f_of] - 18, 0) + 1, 15)],
        default=5 + up[:, 1] * 65,
    )
    birth = EPOCH_DAY - (age * _YEAR).astype(np.int64)
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970

    # --- marital status, occupation, disability
    status = np.zeros(Pn, dtype=np.int8)  # Belum Kawin
    alone_head = (role == HEAD) & ~fams["has_spouse"][f_of]
    t = ftype[f_of]
    alone_status = np.select(
        [t == 0, t == 1, t == 4],
        [np.where(up[:, 3] < 0.8, 3, np.where(up[:, 3] < 0.9, 2, 0)),
         np.where(up[:, 3] < 0.6, 0, np.where(up[:, 3] < 0.9, 2, 3)),
         np.where(up[:, 3] < 0.55, 3, 2)],
        default=np.where(up[:, 3] < 0.7, 3, 2),
    )
    status = np.where(alone_head, alone_status, status)
    status = np.where((role == HEAD) & fams["has_spouse"][f_of], 1, status)
    status = np.where((role == SPOUSE) | (role == MENANTU), 1, status)
    married_child = (role == CHILD) & (child_rank == 0) & (fams["n_menantu"][f_of] > 0)
    status = np.where(married_child, 1, status)
    status = np.where(role == PARENT, np.where(up[:, 3] < 0.7, 3, 1), status)
    other_adult = (role == OTHER) & (age >= 17)
    status = np.where(other_adult, np.where(up[:, 3] < 0.5, 1, np.where(up[:, 3] < 0.8, 0, 3)), status)

    pekerjaan = _occupations(ctx, rng, age, female, up[:, 4])
    disab_p = 0.012 + 0.06 * (age >= 60) + 0.08 * (age >= 75)
    disabilitas = up[:, 5] < disab_p

    # --- names: culture of the family, Sasak nobility and teknonyms
    pc = culture[f_of]
    nama = _names.make_names(rng, pc, female, birth_year, child_rank)
    sasak = pc == _names.CULTURES.index("sasak")
    uf = rng.random((F, 2))
    noble = (sasak & (uf[:, 0] < 0.06)[f_of] & ~head_female[f_of])
    blood = noble & np.isin(role, (HEAD, CHILD, CUCU))
    lalu = blood & ~female
    baiq = (blood & female) | (noble & (role == SPOUSE) & (uf[:, 1] < 0.5)[f_of])
    nama[lalu] = "Lalu " + nama[lalu]
    nama[baiq] = "Baiq " + nama[baiq]
    has_child = fams["n_child"] > 0
    eldest_name = np.full(F, "", dtype=object)
    if has_child.any():
        eldest_name[has_child] = _names.call_name(nama[start[has_child] + c_sp[has_child]])
    ut = rng.random(Pn)
    tekno = (sasak & ~noble & np.isin(role, (HEAD, SPOUSE)) & (age >= 50) & has_child[f_of] & (ut < 0.35)
             & (not ctx.kota))
    nama[tekno] = np.where(female[tekno], "Inaq ", "Amaq ") + eldest_name[f_of][tekno]
    tekno_old = sasak & ~noble & (role == PARENT) & (ut < 0.4)
    given = _names.make_names(rng, pc[tekno_old], female[tekno_old], np.full(int(tekno_old.sum()), 1950),
                              np.full(int(tekno_old.sum()), -1))
    nama[tekno_old] = np.where(female[tekno_old], "Inaq ", "Amaq ") + _names.call_name(given)

    # --- kecamatan of first registration (NIK prefix)
    kec = np.array([d[:6] for d in desa], dtype=object)
    own_kecs = np.array(sorted({d[:6] for d in (ctx.other_desa_province if stray else ctx.desa)}), dtype=object)
    nik_kec = kec[f_of].copy()
    origin = np.zeros(Pn, dtype=np.int8)
    minor = np.where(age < 17, 0.3, 1.0)  # children are mostly registered where the family lives now
    un = rng.random(Pn) / minor
    old_ok = len(ctx.old_kec) > 0
    thresholds = [
        (4, P.NIK_PREFIX_OLD_CODE if old_ok else 0.0, np.array(ctx.old_kec, dtype=object), age >= 40),
        (3, P.NIK_PREFIX_OTHER_PROV, np.array(ctx.other_province_kec, dtype=object), None),
        (2, P.NIK_PREFIX_OTHER_KAB, np.array(ctx.other_kec_province, dtype=object), None),
        (1, P.NIK_PREFIX_OTHER_KEC, own_kecs, None),
    ]
    lo = 0.0
    for code, share, pool, extra in thresholds:
        if share <= 0 or len(pool) == 0:
            continue
        hit = (un >= lo) & (un < lo + share)
        if extra is not None:
            hit &= extra
        lo += share
        if hit.any():
            nik_kec[hit] = pool[rng.integers(0, len(pool), int(hit.sum()))]
            origin[hit] = code
    origin[(origin == 1) & (nik_kec == kec[f_of])] = 0  # drew its own kecamatan after all

    # --- KK: current card, and the older card DTKS still shows for re-issued / moved families
    uk = rng.random((F, 4))
    head_birth = birth[start]
    earliest = np.maximum(head_birth + int(17 * _YEAR), np.datetime64("2004-01-01"))
    latest = np.datetime64("2024-12-31")
    span = np.maximum((latest - earliest).astype(np.int64), 1)
    kk_issue = earliest + (uk[:, 0] * span).astype(np.int64)
    both = fams["category"] == BOTH
    reissued = both & (uk[:, 1] < P.KK_REISSUED) & (not stray)
    moved = both & (uk[:, 1] >= P.KK_REISSUED) & (uk[:, 1] < P.KK_REISSUED + P.FAMILY_MOVED) & (not stray)
    old_issue = np.maximum(kk_issue - (200 + uk[:, 2] * 2800).astype(np.int64), np.datetime64("1995-01-01"))
    desa_dtks = desa.copy()
    if moved.any() and not stray:
        old_idx = rng.integers(0, len(desa_pool), int(moved.sum()))
        desa_dtks[moved] = desa_pool[old_idx]
    kec_dtks = np.array([d[:6] for d in desa_dtks], dtype=object)

    # --- addresses: a few dusun / lingkungan per desa, RT / RW
    alamat = _addresses(rng, main_culture, desa, desa_idx if not stray else None, len(desa_pool), F)
    alamat_dtks = alamat.copy()
    if moved.any():
        alamat_dtks[moved] = _addresses(rng, main_culture, desa_dtks[moved], None, 0, int(moved.sum()))

    # --- registry differences inside families present in both
    um = rng.random((Pn, 3))
    in_both = both[f_of] & (role != HEAD)
    miss_dtks = in_both & ((um[:, 0] < P.MEMBER_MISSING_DTKS) | ((age < 2) & (um[:, 1] < P.NEWBORN_MISSING_DTKS)))
    miss_p3ke = in_both & ~miss_dtks & (um[:, 2] < P.MEMBER_MISSING_P3KE)

    # --- P3KE desil, drift and programme draws
    vulnerable = np.isin(ftype, (0, 4))
    desil = np.where(vulnerable, rng.choice(4, F, p=P.DESIL_P_VULNERABLE), rng.choice(4, F, p=P.DESIL_P)) + 1
    desil = np.where(np.isin(fams["category"], (BOTH, P3KE_ONLY)), desil, 0).astype(np.int8)
    ud = rng.random((F, 5))

    place = _birthplaces(ctx, rng, nik_kec)
    fam = {
        "category": fams["category"], "reserve": fams["reserve"], "stray": fams["stray"], "type": ftype,
        "size": size, "start": start, "kode_desa": desa, "kode_desa_dtks": desa_dtks, "alamat": alamat,
        "alamat_dtks": alamat_dtks, "kk_kec": kec, "kk_issue": kk_issue, "kk_kec_dtks": kec_dtks,
        "kk_issue_dtks": np.where(reissued | moved, old_issue, kk_issue), "kk_reissued": reissued,
        "moved": moved, "desil": desil, "u_entry": ud[:, 0], "u_exit": ud[:, 1], "u_desil": ud[:, 2],
        "u_dir": ud[:, 3], "unreached": ud[:, 4] < P.UNREACHED_FAMILIES, "culture": culture,
    }
    per = {
        "fam": f_of, "role": role, "child_rank": child_rank, "female": female, "birth": birth,
        "nama": nama, "status_kawin": status, "pekerjaan": pekerjaan, "disabilitas": disabilitas,
        "nik_kec": nik_kec, "nik_origin": origin, "tempat_lahir": place,
        "miss_dtks": miss_dtks, "miss_p3ke": miss_p3ke, "hubungan": _hubungan(rng, role, female, fams, f_of),
    }
    return {"fam": fam, "per": per}


def _occupations(ctx: RegencyContext, rng: np.random.Generator, age: np.ndarray, female: np.ndarray,
                 u: np.ndarray) -> np.ndarray:
    n = len(age)
    out = np.full(n, "Belum/Tidak Bekerja", dtype=object)
    pupil = (age >= 5) & (age < 19) & (u < 0.85)
    out[pupil] = "Pelajar/Mahasiswa"
    for sex, is_f in (("L", False), ("P", True)):
        adult = (age >= 19) & (female == is_f) & ~((age >= 65) & (u < 0.55))
        values, p = _PEKERJAAN_ADULT[(sex, ctx.kota)]
        out[adult] = np.array(values, dtype=object)[rng.choice(len(values), int(adult.sum()), p=np.array(p) / sum(p))]
    rate = P.MIGRANT_RATE.get(ctx.kode_kab, P.MIGRANT_RATE_DEFAULT)
    migrant = (age >= 18) & (age <= 50) & (rng.random(n) < rate)
    out[migrant] = PEKERJAAN_PEKERJA_MIGRAN
    return out


def _hubungan(rng, role, female, fams, f_of) -> np.ndarray:
    n = len(role)
    out = np.full(n, "Famili Lain", dtype=object)
    out[role == HEAD] = "Kepala Keluarga"
    out[(role == SPOUSE) & female] = "Istri"
    out[(role == SPOUSE) & ~female] = "Suami"
    out[role == CHILD] = "Anak"
    u = rng.random(n)
    parent = role == PARENT
    out[parent] = np.where(fams["has_spouse"][f_of][parent] & (u[parent] < 0.5), "Mertua", "Orang Tua")
    out[role == MENANTU] = "Menantu"
    out[role == CUCU] = "Cucu"
    out[(role == OTHER) & (u < 0.05)] = "Lainnya"
    return out


def _addresses(rng, culture: str, desa: np.ndarray, desa_idx: np.ndarray | None, n_desa: int, n: int):
    if desa_idx is not None and n_desa:
        per_desa = 9
        table = _names.dusun_names(rng, culture, n_desa * per_desa)
        n_dusun = rng.integers(3, per_desa + 1, n_desa)
        dusun = table[desa_idx * per_desa + (rng.random(n) * n_dusun[desa_idx]).astype(np.int64)]
    else:
        dusun = _names.dusun_names(rng, culture, n)
    rt = rng.integers(1, 16, n)
    rw = rng.integers(1, 7, n)
    kelurahan = np.array([d[6] == "1" for d in desa], dtype=bool) if n else np.zeros(0, bool)
    unit = np.where(kelurahan, "Lingkungan ", "Dusun ")
    return unit + dusun + " RT " + _pad(rt, 3) + "/RW " + _pad(rw, 3)


def _pad(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(values.astype(str), width).astype(object)


def _birthplaces(ctx: RegencyContext, rng, nik_kec: np.ndarray) -> np.ndarray:
    """Kecamatan of first registration or its regency, by name (what people write as tempat lahir)."""
    names = ctx.place_names
    kec_name = np.array([names.get(k, "") for k in nik_kec], dtype=object) if len(nik_kec) else nik_kec
    kab_name = np.array([names.get(k[:4], "") for k in nik_kec], dtype=object) if len(nik_kec) else nik_kec
    use_kab = (rng.random(len(nik_kec)) < 0.5) | (kec_name == "")
    out = np.where(use_kab, kab_name, kec_name)
    out[out == ""] = ctx.place_names.get(ctx.kode_kab, ctx.nama_kab)
    return out


# ---------------------------------------------------------------------------------------------- NIK / KK


def _group_offset(key: np.ndarray, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """A pseudo-random start and slot rotation per (prefix, date) group, the same in every regency.

    (splitmix64 of the key.)

    Real serials are not all 0001: registrations of a kecamatan and date continue from earlier ones.
    """
    span = max(1, min(80, 2000 // max(n_slots, 1)))
    with np.errstate(over="ignore"):
        z = key.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(span)).astype(np.int64), (z >> np.uint64(32)).astype(np.int64)


def _serials(prefix: np.ndarray, date_part: np.ndarray, slot: int, n_slots: int, what: str) -> np.ndarray:
    """4-digit serials unique per (prefix, date) in the whole province.

    serial = 1 + rotated slot + n_slots * (group offset + rank in group): distinct ranks inside a
    regency, distinct (rotated) slots across regencies.
    """
    key = prefix.astype(np.int64) * 1_000_000 + date_part
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1] if len(key) else np.zeros(0, np.int64)
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - group_start
    offset, mix = _group_offset(key, n_slots)
    # The slot is rotated per group (a bijection of slots) so the last digit does not betray the regency.
    serial = 1 + (slot + mix) % n_slots + n_slots * (offset + rank)
    if len(serial) and serial.max() > 9999:
        raise ValueError(f"{what} serials overflow 9999: too many people share a kecamatan and date")
    return serial


def _dmy(dates: np.ndarray, female: np.ndarray | None = None) -> np.ndarray:
    d = dates.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    if female is not None:
        day = day + 40 * female
    return day * 10_000 + m * 100 + (y % 100)


def _assign_ids(ctx: RegencyContext, fam: dict, per: dict) -> None:
    kab = int(ctx.kode_kab)
    F, Pn = len(fam["size"]), len(per["fam"])
    fam["family_id"] = kab * 10**8 + np.arange(1, F + 1)
    per["person_id"] = kab * 10**8 + np.arange(1, Pn + 1)
    per["family_id"] = fam["family_id"][per["fam"]]
    # NIK: kecamatan of first registration + DDMMYY (+40 on the day for women) + serial.
    dmy = _dmy(per["birth"], per["female"])
    nik_kec = per["nik_kec"].astype(np.int64)
    serial = _serials(nik_kec, dmy, ctx.slot, ctx.n_slots, "NIK")
    per["nik"] = (nik_kec * 10**10 + dmy * 10**4 + serial).astype(str).astype(object)
    # KK numbers (current and the older DTKS ones) share one serial space.
    both_prefix = np.r_[fam["kk_kec"].astype(np.int64), fam["kk_kec_dtks"].astype(np.int64)]
    both_dmy = np.r_[_dmy(fam["kk_issue"]), _dmy(fam["kk_issue_dtks"])]
    changed = np.r_[np.ones(F, bool), fam["kk_reissued"] | fam["moved"]]
    serial = np.zeros(2 * F, dtype=np.int64)
    serial[changed] = _serials(both_prefix[changed], both_dmy[changed], ctx.slot, ctx.n_slots, "KK")
    kk = (both_prefix * 10**10 + both_dmy * 10**4 + serial).astype(str).astype(object)
    fam["no_kk"] = kk[:F]
    fam["no_kk_dtks"] = np.where(changed[F:], kk[F:], kk[:F])
    # Registry ids: shuffled so that they do not follow the family order.
    rng = ctx.rng(7)
    per["id_dtks"] = (kab * 10**9 + 10**8 + rng.permutation(Pn)).astype(str).astype(object)
    per["id_individu_p3ke"] = "P" + (kab * 10**8 + 1 + rng.permutation(Pn)).astype(str).astype(object)
    fam["id_keluarga_p3ke"] = "K" + (kab * 10**7 + 1 + rng.permutation(F)).astype(str).astype(object)


# ---------------------------------------------------------------------------------------------- periods


def months_from_epoch(period: tuple[int, int]) -> int:
    return (period[0] - P.EPOCH[0]) * 12 + (period[1] - P.EPOCH[1])


@dataclass
class PeriodState:
    """Who is where in one period (arrays aligned with the universe)."""

    fam_active: np.ndarray  # registered this period, or an outsider family
    fam_in_dtks: np.ndarray
    fam_in_p3ke: np.ndarray
    desil: np.ndarray  # 1..4 in P3KE this period, 0 otherwise
    in_dtks: np.ndarray  # person rows
    in_p3ke: np.ndarray
    born: np.ndarray


def period_state(u: Universe, period: tuple[int, int]) -> PeriodState:
    """Apply the deterministic drift of a period to the base population."""
    fam, per = u.fam, u.per
    delta = min(abs(months_from_epoch(period)), P.DRIFT_CAP_MONTHS)
    entered = ~fam["reserve"] | (fam["u_entry"] < delta / P.DRIFT_CAP_MONTHS)
    changed = fam["u_desil"] < delta * P.DESIL_CHANGE_PER_MONTH
    shift = np.where(fam["u_dir"] < P.DESIL_IMPROVE_SHARE, 1, -1)
    desil = np.where(changed & (fam["desil"] > 0), np.clip(fam["desil"] + shift, 1, 5), fam["desil"])
    exited = fam["u_exit"] < delta * P.EXIT_PER_MONTH
    cat = fam["category"]
    in_p3ke = entered & np.isin(cat, (BOTH, P3KE_ONLY)) & (desil <= 4) & ~exited
    in_dtks = entered & np.isin(cat, (BOTH, DTKS_ONLY))
    desil = np.where(in_p3ke, desil, 0).astype(np.int8)
    active = in_p3ke | in_dtks | (cat == OUTSIDER)
    year, month = period
    end = np.datetime64(f"{year:04d}-{month:02d}", "M") + 1
    born = per["birth"] < end.astype("datetime64[D]")
    f = per["fam"]
    return PeriodState(
        fam_active=active, fam_in_dtks=in_dtks, fam_in_p3ke=in_p3ke, desil=desil,
        in_dtks=in_dtks[f] & ~per["miss_dtks"] & born, in_p3ke=in_p3ke[f] & ~per["miss_p3ke"] & born,
        born=born,
    )
