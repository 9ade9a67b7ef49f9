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

from satudata_dev.generate import params as P
from satudata_dev.generate.codes import BOTH, DTKS_ONLY, HEAD, OUTSIDER, P3KE_ONLY
from satudata_dev.generate.context import Programme, RegencyContext
from satudata_dev.generate.members import block

# The generator's modules import these from here (Programme, RegencyContext: context.py; OUTSIDER: codes.py).
__all__ = ["OUTSIDER", "DtsenState", "PeriodState", "Programme", "RegencyContext", "Universe", "build_universe", "crc",
           "dtsen_periods", "dtsen_state", "months_from_epoch", "period_state", "quarter_index"]


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
    main = block(ctx, rng, fams, stray=False)

    blocks = [main]
    if stray_rate > 0 and ctx.other_desa_province:
        rng_s = ctx.rng(5)
        sf = _families_for(rng_s, registered * stray_rate, ctx.kind)
        shares = np.array([both, dtks_only, p3ke_only]) / registered
        sf["category"] = rng_s.choice(3, len(sf["size"]), p=shares).astype(np.int8)
        sf["reserve"] = np.zeros(len(sf["size"]), bool)
        sf["stray"] = np.ones(len(sf["size"]), bool)
        if len(sf["size"]):
            blocks.append(block(ctx, rng_s, sf, stray=True))
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
