"""Harmonisation against the warehouse: staged DTKS, P3KE and DTSEN in, `core` tables out.

Three steps, each idempotent for a period (it replaces exactly the rows it owns, in one transaction):

1. `link_regency` (`harmonise.regency`) — one regency's DTKS people against its P3KE people:
   `core.padanan_individu` (`lingkup = 'kabupaten'`), `core.antrian_review`, NIK conflicts.
2. `link_province` (`harmonise.province`) — people left unlinked in their own regency, across the regencies of
   a province (`lingkup = 'provinsi'`): families who moved, rows sent by the wrong regency.
3. `build_regency` (`harmonise.build`) — `core.individu_terpadu`, `core.keluarga_terpadu`,
   `core.konflik_padanan` and `meta.harmonisasi` of one regency from the pairs of steps 1-2, DTSEN linked to
   them, and the regency's review workbook.

`satudata.pipeline` is the one entry path: its Airflow tasks run each step per regency, and its `harmonise` runs
all three in one process for the CLI, the demo and rebuilds (steps 1 and 3 computed on every core by
`warehouse.workers`, written by that process). This module keeps what both need: the period, the regencies
and the period's summary. A regency's staged registries are read and prepared once (`harmonise.sources`).
"""

from __future__ import annotations

import json

import pandas as pd

from satudata.config import Settings
from satudata.harmonise.build import assemble, build_regency
from satudata.harmonise.province import link_province
from satudata.harmonise.regency import link_regency
from satudata.harmonise.sources import Sources, periods, prepared_sources, regencies
from satudata.linkage.model import load_model
from satudata.warehouse.engine import make_engine, read_frame
from satudata.warehouse.periods import choose_period as periods_choice
from satudata.warehouse.workers import rows_per_regency


def choose_period(settings: Settings, periode: str | None = None) -> str | None:
    """The period asked for, else the newest with staged registries (None when nothing is staged)."""
    return periods_choice(settings.warehouse_url, periode, periods)


def regencies_and_sizes(settings: Settings, periode: str) -> tuple[list[str], dict[str, int]]:
    """The period's regencies with staged registries, and per regency how many DTKS and P3KE people a run reads
    (each registry's newest period not after `periode`): what decides whether worker processes are worth
    starting, and how many regencies fit in memory side by side. The engine is disposed before returning:
    DuckDB workers open the file read-only after this."""
    newest = "periode = (SELECT max(periode) FROM {t} WHERE aktif AND periode <= :p)"
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            sizes = rows_per_regency(conn, [f"SELECT kode_kab, count(*) FROM {t} WHERE aktif AND "
                                            f"{newest.format(t=t)} GROUP BY kode_kab"
                                            for t in ("staging.dtks", "staging.p3ke_anggota")], {"p": periode})
            kabs = regencies(conn, periode)
            return kabs, {kab: sizes.get(kab, 0) for kab in kabs}
    finally:
        engine.dispose()


def period_summary(settings: Settings, periode: str) -> dict:
    """Province-wide counts of a harmonised period, from `meta.harmonisasi` and `core.konflik_padanan`."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            rows = read_frame(conn, "SELECT kode_kab, ringkasan FROM meta.harmonisasi WHERE periode = :p "
                                    "ORDER BY kode_kab", {"p": periode})
            links = read_frame(conn, "SELECT match_method, lingkup, count(*) AS n FROM core.padanan_individu "
                                     "WHERE periode = :p GROUP BY match_method, lingkup", {"p": periode})
            conflicts = read_frame(conn, "SELECT jenis_konflik, count(*) AS n FROM core.konflik_padanan "
                                         "WHERE periode = :p GROUP BY jenis_konflik ORDER BY jenis_konflik",
                                   {"p": periode})
    finally:
        engine.dispose()
    totals: dict[str, int] = {}
    for text in rows["ringkasan"]:
        for key, value in json.loads(text).items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    return {
        "periode": periode, "kabupaten": list(rows["kode_kab"]),
        "padanan": {f"{m}/{lk}": int(n) for m, lk, n in links.itertuples(index=False)},
        "konflik": {k: int(n) for k, n in conflicts.itertuples(index=False)}, **totals,
    }


def train_from_warehouse(settings: Settings, periode: str | None = None, *, version: str,
                         out_path=None, max_pairs: float = 5e6) -> dict:
    """Retrain the model on the staged registries of a period (`satudata link-model train`).

    Deliberate and rare: the file it writes is reviewed and committed like code, and scheduled runs
    only ever load it.
    """
    from satudata.linkage.fitting import train_model
    from satudata.linkage.model import model_path

    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            periode = periode or (periods(conn) or [None])[-1]
            if periode is None:
                raise ValueError("nothing staged: stage DTKS and P3KE before training")
            kabs = regencies(conn, periode)
            sources = [prepared_sources(settings, conn, k, periode) for k in kabs]
    finally:
        engine.dispose()
    # Ids are unique within a regency's list: prefix the regency for the province-wide training set.
    left = pd.concat([s.dtks.assign(unique_id=s.kode_kab + "|" + s.dtks["unique_id"]) for s in sources],
                     ignore_index=True)
    right = pd.concat([s.p3ke.assign(unique_id=s.kode_kab + "|" + s.p3ke["unique_id"]) for s in sources],
                      ignore_index=True)
    out_path = out_path or model_path()
    model = train_model(left, right, version=version, out_path=out_path, u_max_pairs=max_pairs,
                        start=load_model(), trained_on={"periode": periode, "regencies": kabs})
    return {"version": model.version, "path": str(out_path), **model.trained_on}


# Other modules import these from here (the CLI, `pipeline.py`, benchmarks): the steps live in their modules.
__all__ = ["Sources", "assemble", "build_regency", "link_province", "link_regency", "period_summary", "periods",
           "prepared_sources", "regencies", "regencies_and_sizes", "train_from_warehouse"]
