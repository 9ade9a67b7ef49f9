"""The fitted linkage model of each run, kept in `meta.model_padanan` (one row per period, regency and scope).

    store_model(conn, model, periode=..., kode_kab=..., lingkup="kabupaten", run_id=...)
    stored_models(conn, periode=None, kode_kab=None)   # what `satudata link-model show --period` reads

Below the linker on purpose: a model is stored as its version, parameters and fit report, so the warehouse needs
nothing of `satudata.linkage`, and the linker nothing of the warehouse (`LinkModel(*stored)` rebuilds one).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import pandas as pd

from satudata.warehouse.engine import read_frame, replace_rows


class FittedModel(Protocol):
    """What is stored of a model (`linkage.model.LinkModel` has it)."""

    version: str
    settings: dict
    fit: dict | None


class StoredModel(NamedTuple):
    """A stored model, field for field in `LinkModel`'s order: `trained_on` names the run that fitted it."""

    version: str
    trained_at: str
    trained_on: dict
    settings: dict
    fit: dict[str, Any]


COLUMNS = ["periode", "kode_kab", "lingkup", "versi_model", "parameter", "laporan", "dibuat_pada", "run_id"]


def store_model(conn, model: FittedModel, *, periode: str, kode_kab: str, lingkup: str,
                run_id: str | None = None) -> None:
    """Replace the stored model of (periode, kode_kab, lingkup) by `model` in the caller's transaction."""
    row = pd.DataFrame([{
        "periode": periode, "kode_kab": kode_kab, "lingkup": lingkup, "versi_model": model.version,
        "parameter": json.dumps(model.settings, ensure_ascii=False, default=str),
        "laporan": json.dumps(model.fit or {}, ensure_ascii=False, default=str),
        "dibuat_pada": pd.Timestamp(datetime.now(UTC)), "run_id": run_id,
    }])
    row["dibuat_pada"] = row["dibuat_pada"].astype(f"datetime64[us, {UTC}]")
    replace_rows(conn, "meta.model_padanan", row, "periode = :p AND kode_kab = :k AND lingkup = :l",
                 {"p": periode, "k": kode_kab, "l": lingkup})


def stored_models(conn, periode: str | None = None, kode_kab: str | None = None) -> list[StoredModel]:
    """The stored models (newest period first)."""
    where, params = [], {}
    if periode:
        where.append("periode = :p")
        params["p"] = periode
    if kode_kab:
        where.append("kode_kab = :k")
        params["k"] = kode_kab
    sql = (f"SELECT {', '.join(COLUMNS)} FROM meta.model_padanan "
           f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY periode DESC, kode_kab, lingkup")
    frame = read_frame(conn, sql, params or None)
    return [StoredModel(r.versi_model, str(r.dibuat_pada), {"periode": r.periode, "kode_kab": r.kode_kab,
                                                             "lingkup": r.lingkup, "run_id": r.run_id},
                        json.loads(r.parameter), json.loads(r.laporan)) for r in frame.itertuples(index=False)]


__all__ = ["FittedModel", "StoredModel", "store_model", "stored_models"]
