"""The members of a block of families (a regency's own or its strays): roles, homes, ages, sexes, names,
NIK prefixes, KK cards and addresses. All vectorised.

`block` draws from one random stream in a fixed order (homes, cultures, heads, members, occupations, names,
NIK prefixes, KK cards, addresses, registry gaps, desil, birthplaces, relationships): the steps below keep
that order, so the same seed gives the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from satudata.schema import PEKERJAAN_PEKERJA_MIGRAN

from satudata_dev.generate import names as _names
from satudata_dev.generate import params as P
from satudata_dev.generate.codes import BOTH, CHILD, CUCU, HEAD, MENANTU, OTHER, P3KE_ONLY, PARENT, SPOUSE
from satudata_dev.generate.context import RegencyContext

EPOCH_DAY = np.datetime64("2025-01-01", "D")  # ages of the base population are ages on this day
_YEAR = 365.25

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
class _Layout:
    """Where each member sits: family index, position and role inside the family."""

    F: int  # families
    Pn: int  # people
    start: np.ndarray  # family -> position of its head
    f_of: np.ndarray  # person -> family
    c_sp: np.ndarray  # family -> position of its first child (1 + has spouse)
    role: np.ndarray
    child_rank: np.ndarray  # 0 = eldest child, -1 = not a child


def _layout(fams: dict) -> _Layout:
    size = fams["size"]
    F = len(size)
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
    return _Layout(F, Pn, start, f_of, c_sp, role, child_rank)


def _homes(ctx: RegencyContext, rng: np.random.Generator, F: int, stray: bool):
    """Desa pool, each family's desa and its index in the pool (strays: anywhere else in the province)."""
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
    return desa_pool, desa, desa_idx


def _cultures(ctx: RegencyContext, rng: np.random.Generator, F: int) -> tuple[np.ndarray, str]:
    """Each family's culture (index into names.CULTURES) and the regency's main one."""
    mix = _names.culture_mix(ctx.kode_kab)
    cultures = np.array([_names.CULTURES.index(c) for c in mix])
    culture = cultures[rng.choice(len(cultures), F, p=np.array(list(mix.values())) / sum(mix.values()))]
    return culture, max(mix, key=mix.get)


def _heads(rng: np.random.Generator, fams: dict, F: int):
    """Heads' age and sex by family type, with the uniforms the members' ages reuse."""
    ftype, sub = fams["type"], fams["sub"]
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
    return u, head_age, head_female


def _ages_and_sexes(rng: np.random.Generator, fams: dict, lay: _Layout, head_age: np.ndarray,
                    head_female: np.ndarray, u_eldest: np.ndarray):
    """Members' uniforms, sexes and ages (children spaced from the eldest, born when the mother was 17-30)."""
    F, Pn, f_of, role = lay.F, lay.Pn, lay.f_of, lay.role
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
    eldest = np.maximum(mother_age - (17 + u_eldest * 13), 0)
    spacing = np.where((role == CHILD) & (lay.child_rank > 0), 1 + rng.poisson(1.8, Pn) + up[:, 1], 0.0)
    cs = np.cumsum(spacing)
    first_child = np.minimum(lay.start + lay.c_sp, max(Pn - 1, 0))
    child_age = np.maximum(eldest[f_of] - (cs - cs[first_child][f_of]), up[:, 2] * 0.9)
    eldest_child_age = eldest
    age = np.select(
        [role == HEAD, role == SPOUSE, role == CHILD, role == PARENT, role == MENANTU, role == CUCU],
        [ha, spouse_age_f[f_of], child_age, np.minimum(ha + 20 + up[:, 1] * 15, 100),
         np.maximum(eldest_child_age[f_of] + (up[:, 1] - 0.5) * 6, 17),
         up[:, 1] * np.minimum(np.maximum(eldest_child_age[f_of] - 18, 0) + 1, 15)],
        default=5 + up[:, 1] * 65,
    )
    return up, female, age


def _marital_status(fams: dict, lay: _Layout, age: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Codes into codes.STATUS_KAWIN, from the role and the family type (no draw of its own)."""
    f_of, role = lay.f_of, lay.role
    status = np.zeros(lay.Pn, dtype=np.int8)  # Belum Kawin
    alone_head = (role == HEAD) & ~fams["has_spouse"][f_of]
    t = fams["type"][f_of]
    alone_status = np.select(
        [t == 0, t == 1, t == 4],
        [np.where(u < 0.8, 3, np.where(u < 0.9, 2, 0)),
         np.where(u < 0.6, 0, np.where(u < 0.9, 2, 3)),
         np.where(u < 0.55, 3, 2)],
        default=np.where(u < 0.7, 3, 2),
    )
    status = np.where(alone_head, alone_status, status)
    status = np.where((role == HEAD) & fams["has_spouse"][f_of], 1, status)
    status = np.where((role == SPOUSE) | (role == MENANTU), 1, status)
    married_child = (role == CHILD) & (lay.child_rank == 0) & (fams["n_menantu"][f_of] > 0)
    status = np.where(married_child, 1, status)
    status = np.where(role == PARENT, np.where(u < 0.7, 3, 1), status)
    other_adult = (role == OTHER) & (age >= 17)
    return np.where(other_adult, np.where(u < 0.5, 1, np.where(u < 0.8, 0, 3)), status)


def _member_names(ctx: RegencyContext, rng: np.random.Generator, fams: dict, lay: _Layout, pc: np.ndarray,
                  female: np.ndarray, age: np.ndarray, birth_year: np.ndarray,
                  head_female: np.ndarray) -> np.ndarray:
    """Names by the family's culture (pc, per person), with Sasak nobility and teknonyms."""
    F, Pn, f_of, role, start, c_sp = lay.F, lay.Pn, lay.f_of, lay.role, lay.start, lay.c_sp
    nama = _names.make_names(rng, pc, female, birth_year, lay.child_rank)
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
    return nama


def _nik_prefixes(ctx: RegencyContext, rng: np.random.Generator, desa: np.ndarray, lay: _Layout,
                  age: np.ndarray, stray: bool):
    """Kecamatan of each family's KK, and of each member's first registration (NIK prefix) with its origin
    code (codes.NIK_ORIGINS)."""
    Pn, f_of = lay.Pn, lay.f_of
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
    return kec, nik_kec, origin


@dataclass(frozen=True)
class _Cards:
    """The current KK and the older card DTKS still shows for re-issued / moved families."""

    kk_issue: np.ndarray
    reissued: np.ndarray
    moved: np.ndarray
    old_issue: np.ndarray
    desa_dtks: np.ndarray
    kec_dtks: np.ndarray


def _kk_cards(rng: np.random.Generator, head_birth: np.ndarray, both: np.ndarray, desa: np.ndarray,
              desa_pool: np.ndarray, stray: bool) -> _Cards:
    uk = rng.random((len(both), 4))
    earliest = np.maximum(head_birth + int(17 * _YEAR), np.datetime64("2004-01-01"))
    latest = np.datetime64("2024-12-31")
    span = np.maximum((latest - earliest).astype(np.int64), 1)
    kk_issue = earliest + (uk[:, 0] * span).astype(np.int64)
    reissued = both & (uk[:, 1] < P.KK_REISSUED) & (not stray)
    moved = both & (uk[:, 1] >= P.KK_REISSUED) & (uk[:, 1] < P.KK_REISSUED + P.FAMILY_MOVED) & (not stray)
    old_issue = np.maximum(kk_issue - (200 + uk[:, 2] * 2800).astype(np.int64), np.datetime64("1995-01-01"))
    desa_dtks = desa.copy()
    if moved.any() and not stray:
        old_idx = rng.integers(0, len(desa_pool), int(moved.sum()))
        desa_dtks[moved] = desa_pool[old_idx]
    kec_dtks = np.array([d[:6] for d in desa_dtks], dtype=object)
    return _Cards(kk_issue, reissued, moved, old_issue, desa_dtks, kec_dtks)


def block(ctx: RegencyContext, rng: np.random.Generator, fams: dict, stray: bool) -> dict:
    """Members, ages, names, NIK prefixes ... of a block of families (main or stray)."""
    lay = _layout(fams)
    F, Pn, f_of, role = lay.F, lay.Pn, lay.f_of, lay.role
    desa_pool, desa, desa_idx = _homes(ctx, rng, F, stray)
    culture, main_culture = _cultures(ctx, rng, F)
    u, head_age, head_female = _heads(rng, fams, F)
    up, female, age = _ages_and_sexes(rng, fams, lay, head_age, head_female, u[:, 3])
    birth = EPOCH_DAY - (age * _YEAR).astype(np.int64)
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    status = _marital_status(fams, lay, age, up[:, 3])
    pekerjaan = _occupations(ctx, rng, age, female, up[:, 4])
    disab_p = 0.012 + 0.06 * (age >= 60) + 0.08 * (age >= 75)
    disabilitas = up[:, 5] < disab_p
    nama = _member_names(ctx, rng, fams, lay, culture[f_of], female, age, birth_year, head_female)
    kec, nik_kec, origin = _nik_prefixes(ctx, rng, desa, lay, age, stray)
    both = fams["category"] == BOTH
    kk = _kk_cards(rng, birth[lay.start], both, desa, desa_pool, stray)

    # --- addresses: a few dusun / lingkungan per desa, RT / RW
    alamat = _addresses(rng, main_culture, desa, desa_idx if not stray else None, len(desa_pool), F)
    alamat_dtks = alamat.copy()
    if kk.moved.any():
        alamat_dtks[kk.moved] = _addresses(rng, main_culture, kk.desa_dtks[kk.moved], None, 0, int(kk.moved.sum()))

    # --- registry differences inside families present in both
    um = rng.random((Pn, 3))
    in_both = both[f_of] & (role != HEAD)
    miss_dtks = in_both & ((um[:, 0] < P.MEMBER_MISSING_DTKS) | ((age < 2) & (um[:, 1] < P.NEWBORN_MISSING_DTKS)))
    miss_p3ke = in_both & ~miss_dtks & (um[:, 2] < P.MEMBER_MISSING_P3KE)

    # --- P3KE desil, drift and programme draws
    vulnerable = np.isin(fams["type"], (0, 4))
    desil = np.where(vulnerable, rng.choice(4, F, p=P.DESIL_P_VULNERABLE), rng.choice(4, F, p=P.DESIL_P)) + 1
    desil = np.where(np.isin(fams["category"], (BOTH, P3KE_ONLY)), desil, 0).astype(np.int8)
    ud = rng.random((F, 5))

    place = _birthplaces(ctx, rng, nik_kec)
    fam = {
        "category": fams["category"], "reserve": fams["reserve"], "stray": fams["stray"], "type": fams["type"],
        "size": fams["size"], "start": lay.start, "kode_desa": desa, "kode_desa_dtks": kk.desa_dtks,
        "alamat": alamat, "alamat_dtks": alamat_dtks, "kk_kec": kec, "kk_issue": kk.kk_issue,
        "kk_kec_dtks": kk.kec_dtks, "kk_issue_dtks": np.where(kk.reissued | kk.moved, kk.old_issue, kk.kk_issue),
        "kk_reissued": kk.reissued, "moved": kk.moved, "desil": desil, "u_entry": ud[:, 0], "u_exit": ud[:, 1],
        "u_desil": ud[:, 2], "u_dir": ud[:, 3], "unreached": ud[:, 4] < P.UNREACHED_FAMILIES, "culture": culture,
    }
    per = {
        "fam": f_of, "role": role, "child_rank": lay.child_rank, "female": female, "birth": birth,
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
