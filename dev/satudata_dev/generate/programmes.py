"""Who receives which programme in a period: targeting by desil with exclusion, inclusion and overlap.

Each family (and, for per-person programmes, each person) has a base uniform per programme, so lists are
stable from one period to the next; they change through the population's drift and a small per-period
churn. Unreached families (`params.UNREACHED_FAMILIES`) get almost nothing whatever their desil
(exclusion errors); desil 4, DTKS-only and unregistered families receive at lower rates (inclusion errors);
BLT DD goes to some PKH/BPNT families although it should not (overlap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from satudata_dev.generate import params as P
from satudata_dev.generate.population import OUTSIDER, PeriodState, Programme, RegencyContext, Universe, crc


@dataclass
class Recipients:
    """Rows of one programme's list: the person named and the family it stands for."""

    programme: Programme
    person: np.ndarray  # person positions in the universe
    family: np.ndarray  # family positions
    nilai: np.ndarray  # rupiah per row


def _uptake(programme: Programme) -> tuple[float, ...]:
    if programme.kode in P.PROGRAMME_UPTAKE:
        return P.PROGRAMME_UPTAKE[programme.kode]
    top = programme.desil_maks or 2
    return tuple(0.3 if d <= top else 0.05 for d in (1, 2, 3, 4)) + (0.03, 0.05)


def _status(u: Universe, state: PeriodState) -> np.ndarray:
    """0..3 = desil 1..4, 4 = DTKS only, 5 = outsider, -1 = not present this period."""
    status = np.full(u.n_families, -1, dtype=np.int8)
    status[state.fam_in_dtks] = 4
    p3ke = state.desil > 0
    status[p3ke] = state.desil[p3ke] - 1
    status[(u.fam["category"] == OUTSIDER) & state.fam_active] = 5
    return status


def draw_recipients(ctx: RegencyContext, u: Universe, state: PeriodState, period_index: int) -> list[Recipients]:
    """Recipient lists of every programme of the province for one period."""
    status = _status(u, state)
    present = status >= 0
    unreached = u.fam["unreached"]
    head = u.fam["start"]
    per_fam = u.per["fam"]
    received: dict[str, np.ndarray] = {}
    out = []
    # PKH and BPNT first: BLT DD depends on them.
    order = sorted(ctx.programmes, key=lambda p: (p.kode not in ("PKH", "BPNT"), p.kode))
    for prog in order:
        table = np.array(_uptake(prog))
        base = ctx.rng(6, crc(prog.kode))  # base draws: stable across periods
        churn = ctx.rng(8, crc(prog.kode), period_index)  # this period only
        if prog.unit == "individu":
            fam_status = status[per_fam]
            p = np.where(fam_status >= 0, table[np.maximum(fam_status, 0)], 0.0)
            p = np.where(unreached[per_fam], p * P.UNREACHED_PERSON_FACTOR, p)
            ub = base.random(u.n_people)
            person_present = (state.in_dtks | state.in_p3ke | ((u.fam["category"] == OUTSIDER)[per_fam]
                                                                 & state.born)) & (fam_status >= 0)
            hit = person_present & (ub < p) & (churn.random(u.n_people) >= P.PROGRAMME_CHURN)
            person = np.flatnonzero(hit)
            family = per_fam[person]
        else:
            p = np.where(present, table[np.maximum(status, 0)], 0.0)
            p = np.where(unreached, p * P.UNREACHED_FAMILY_FACTOR, p)
            if prog.kode == "BLT_DD":
                gets = np.zeros(u.n_families, bool)
                for k in ("PKH", "BPNT"):
                    if k in received:
                        gets |= received[k]
                p = np.where(gets, p * P.BLT_DD_WITH_PKH_BPNT, p)
            ub = base.random(u.n_families)
            hit = present & (ub < p) & (churn.random(u.n_families) >= P.PROGRAMME_CHURN)
            received[prog.kode] = hit
            family = np.flatnonzero(hit)
            person = head[family]
        values = np.array(P.NILAI_BANTUAN.get(prog.kode, P.NILAI_BANTUAN_DEFAULT), dtype=np.int64)
        # The amount depends on the family (PKH components), not on the period.
        pick = (base.random(u.n_families)[family] * len(values)).astype(np.int64)
        out.append(Recipients(prog, person, family, values[pick]))
    return sorted(out, key=lambda r: r.programme.kode)
