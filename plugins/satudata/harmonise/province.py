"""Pairs across the regencies of a province: decided by the province, never shown to a neighbour.

    kept, held = hold_new_links(links, earlier)     # cross-regency links a regency's new rows made wait
    frame = review_frame(review, sources)           # a review workbook's rows, both sides (province only)
    lintas = own_side_rows(review, kab, sources)    # a regency's own people with a candidate elsewhere

A regency's review workbook holds its own pairs only. A pair across two regencies goes to the province's
review (`outbox/<kode_prov>/review_padanan_<periode>.xlsx`, for the data engineer or the province's walidata,
answered in `inbox/<kode_prov>/review/`); each regency sees its own person and the fact that a candidate
exists in another regency, never the other person. A cross-regency link the model or a shared NIK would make
is held for that review too unless the same pair was linked in an earlier period or the province decided it
SAMA: rows a regency invents to resemble a neighbour's residents cannot pull them into its data.
"""

from __future__ import annotations

import pandas as pd

# What a review workbook shows of each side: the prepared sources' raw column -> the workbook's field.
SHOW = {"nik_asli": "nik", "no_kk_asli": "no_kk", "nama": "nama", "jenis_kelamin_asli": "jenis_kelamin",
        "tempat_lahir_asli": "tempat_lahir", "tanggal_lahir": "tanggal_lahir", "hubungan_keluarga": "hubungan_keluarga",
        "kode_desa_asli": "kode_desa", "alamat": "alamat"}
KEY = ("id_dtks", "id_individu_p3ke", "kode_kab", "kode_kab_p3ke")


def hold_new_links(pairs: pd.DataFrame, earlier: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-regency links (`_pairs_rows` of the province pass) split into the kept and the held: kept when
    decided by a review (`match_method = 'review'`) or linked in an earlier period (`earlier`: the same
    KEY columns); every other link waits for the province's review."""
    if pairs.empty:
        return pairs, pairs
    known = set(map(tuple, earlier[list(KEY)].astype(str).to_numpy())) if len(earlier) else set()
    keys = [tuple(k) for k in pairs[list(KEY)].astype(str).to_numpy()]
    keep = pairs["match_method"].eq("review").to_numpy() | pd.Series([k in known for k in keys]).to_numpy()
    return pairs.loc[keep].reset_index(drop=True), pairs.loc[~keep].reset_index(drop=True)


def held_as_review(held: pd.DataFrame) -> pd.DataFrame:
    """Held links as review-queue rows, saying why they wait."""
    columns = ["periode", "kode_kab", "id_dtks", "id_individu_p3ke", "kode_kab_p3ke", "match_probability",
               "match_weight", "match_reason", "lingkup"]
    if held.empty:
        return pd.DataFrame(columns=columns)
    out = held[columns[:-2]].copy()
    out["match_reason"] = "lintas kabupaten/kota, menunggu keputusan provinsi: " + held["match_reason"].astype(str)
    out["lingkup"] = "provinsi"
    return out[columns]


def _side(frame: pd.DataFrame, sources: dict, kab_column: str, id_column: str, side: str) -> pd.DataFrame:
    """The shown fields of one side of each pair, from the sources of the regency that side belongs to."""
    out = pd.DataFrame(index=frame.index)
    for kab, group in frame.groupby(kab_column, sort=True):
        src = sources.get(kab)
        if src is None:
            continue
        rows = (src.dtks if side == "dtks" else src.p3ke).set_index("id")
        for column, name in SHOW.items():
            if column in rows:
                out.loc[group.index, f"{name}_{side}"] = group[id_column].map(rows[column]).to_numpy()
    return out


def review_frame(review: pd.DataFrame, sources: dict) -> pd.DataFrame:
    """The rows of a review workbook: both sides of each pair, each from its own regency's sources."""
    frame = review[["id_dtks", "id_individu_p3ke", "match_probability", "match_reason"]].copy()
    sides = [_side(review, sources, "kode_kab", "id_dtks", "dtks"),
             _side(review, sources, "kode_kab_p3ke", "id_individu_p3ke", "p3ke")]
    return pd.concat([frame, *sides], axis=1)


def own_side_rows(review: pd.DataFrame, kab: str, sources: dict) -> pd.DataFrame:
    """A regency's own people in cross-regency pairs (either side), with where the candidate is; nothing of
    the other regency's person."""
    from satudata.reference.wilayah import Wilayah

    wilayah = Wilayah.load()
    rows = []
    for side, mine, other, id_column in (("dtks", "kode_kab", "kode_kab_p3ke", "id_dtks"),
                                         ("p3ke", "kode_kab_p3ke", "kode_kab", "id_individu_p3ke")):
        part = review.loc[review[mine].eq(kab) & review[other].ne(kab)]
        if part.empty:
            continue
        shown = _side(part, sources, mine, id_column, side)
        shown.columns = [c.rsplit("_", 1)[0] for c in shown.columns]
        rows.append(shown.assign(sumber=side.upper(), id=part[id_column].to_numpy(),
                                 kandidat_di=[f"{wilayah.label(k)}" for k in part[other]]))
    if not rows:
        return pd.DataFrame(columns=["sumber", "id", "kandidat_di"])
    return pd.concat(rows, ignore_index=True).drop_duplicates(["sumber", "id", "kandidat_di"])


__all__ = ["KEY", "SHOW", "held_as_review", "hold_new_links", "own_side_rows", "review_frame"]
