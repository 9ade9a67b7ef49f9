"""Step 2 of harmonisation, the province pass: pairs across the regencies of a province, decided by the
province and never shown to a neighbour.

    summary = link_province(settings, "2026-11")    # people left unlinked in their regency, across regencies
    kept, held = hold_new_links(links, earlier)     # cross-regency links a regency's new rows made wait
    frame = review_frame(review, sources)           # a review workbook's rows, both sides (province only)
    lintas = own_side_rows(review, kab, sources)    # a regency's own people with a candidate elsewhere

Only the people a regency's own pass left unlinked are compared, and only across regencies (families who
moved, rows sent by the wrong regency). They are read regency by regency, only the columns the linker
reads, from each regency's stored preparation (`sources.columns_by_regency`: the stored bytes in one query,
each regency's let go of once read), and the NIKs shared by two regencies are found in Arrow: the
province's people are never all in memory at once.

A regency's review workbook holds its own pairs only. A pair across two regencies goes to the province's
review (`outbox/<kode_prov>/review_padanan_<periode>.xlsx`, for the data engineer or the province's walidata,
answered in `inbox/<kode_prov>/review/`); each regency sees its own person and the fact that a candidate
exists in another regency, never the other person. A cross-regency link the model or a shared NIK would make
is held for that review too unless the same pair was linked in an earlier period or the province decided it
SAMA: rows a regency invents to resemble a neighbour's residents cannot pull them into its data.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from satudata.config import Settings
from satudata.harmonise.regency import decisions, in_list, pairs_rows, review_rows, strip_prefix
from satudata.harmonise.sources import columns_by_regency, regencies, to_frame
from satudata.linkage.fitting import FitOptions
from satudata.linkage.link import LinkOptions, link_people
from satudata.linkage.model import LinkModel, load_model
from satudata.linkage.records import LINK_COLUMNS
from satudata.warehouse.engine import make_engine, read_frame, replace_rows
from satudata.warehouse.model_store import store_model
from satudata.warehouse.workers import let_go_of_memory

log = logging.getLogger(__name__)

PROVINCE_COMPARISONS_PER_RECORD = 10  # the province pass's budget of candidate pairs (`linkage.blocking`)
PROVINCE_CONFLICTS = ("individu_dua_kabupaten", "nik_dua_kabupaten")
# What a review workbook shows of each side: the prepared sources' raw column -> the workbook's field.
SHOW = {"nik_asli": "nik", "no_kk_asli": "no_kk", "nama": "nama", "jenis_kelamin_asli": "jenis_kelamin",
        "tempat_lahir_asli": "tempat_lahir", "tanggal_lahir": "tanggal_lahir", "hubungan_keluarga": "hubungan_keluarga",
        "kode_desa_asli": "kode_desa", "alamat": "alamat"}
KEY = ("id_dtks", "id_individu_p3ke", "kode_kab", "kode_kab_p3ke")
# Each registry's side of a pair: its part of the preparation, and the pair columns naming its regency and id.
SIDES = {"dtks": ("kode_kab", "id_dtks"), "p3ke": ("kode_kab_p3ke", "id_individu_p3ke")}


@dataclass
class Shown:
    """What review workbooks show of a regency's people (`SHOW` columns by `id`): a `Sources` will do."""

    dtks: pd.DataFrame
    p3ke: pd.DataFrame


# ---------------------------------------------------------------------------------------------- the pass


def link_province(settings: Settings, periode: str, *, provinsi: str | None = None,
                  options: LinkOptions | None = None, model: LinkModel | None = None) -> dict:
    """People left unlinked in their own regency, linked across the regencies of each province."""
    started = time.perf_counter()
    model = model or load_model()
    engine = make_engine(settings.warehouse_url)
    summary: dict = {"periode": periode, "provinsi": {}}
    try:
        with engine.connect() as conn:
            kabs = [k for k in regencies(conn, periode) if provinsi is None or k.startswith(provinsi)]
            found = decisions(conn, None)
        for prov in sorted({k[:2] for k in kabs}):
            prov_kabs = [k for k in kabs if k[:2] == prov]
            summary["provinsi"][prov] = _link_one_province(settings, engine, periode, prov_kabs, found, options,
                                                           model)
    finally:
        engine.dispose()
        let_go_of_memory()  # the pass runs in the calling process: the regencies' builds need what it held
    summary["seconds_total"] = round(time.perf_counter() - started, 2)
    log.info("province pass %s: %s", periode, summary)
    return summary


def _unlinked(conn, kab: str, periode: str,
              tables: dict[str, pa.Table]) -> tuple[dict[str, pd.DataFrame], list[pa.Table]]:
    """A regency's people its own pass left unlinked (the linker's columns, ids prefixed by the regency), per
    side, and the trusted NIKs of all its people; `tables`: its preparation's `LINK_COLUMNS` per side."""
    sides, niks = {}, []
    for part, (kab_column, id_column) in SIDES.items():
        done = conn.execute(sa.text(f"SELECT {id_column} FROM core.padanan_individu WHERE periode = :p AND "
                                    f"lingkup = 'kabupaten' AND {kab_column} = :k"), {"p": periode, "k": kab}).scalars()
        done = pa.array([f"{part}:{i}" for i in done], type=pa.string())
        table = tables[part]
        trusted = table.filter(table["nik_dipercaya"]).select(["nik", "unique_id"])
        niks.append(trusted.append_column("kab_berkas", pa.repeat(kab, trusted.num_rows).cast(pa.string()))
                    .append_column("sumber", pa.repeat(part, trusted.num_rows).cast(pa.string())))
        frame = to_frame(table.filter(pc.invert(pc.is_in(table["unique_id"], value_set=done))))
        # Ids are unique within a regency's list, not across regencies: make them so for this pass.
        sides[part] = frame.assign(kab_berkas=kab, unique_id=kab + "|" + frame["unique_id"])
    return sides, niks


def _regency_of(ids: pd.Series) -> pd.Series:
    """`5201|dtks:D001` -> `5201`."""
    return ids.str.split("|", n=1).str[0]


def _without_regency(ids: pd.Series) -> pd.Series:
    return ids.str.split("|", n=1).str[1]


def _decisions_here(found: pd.DataFrame, left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Reviewers' decisions name ids without the regency prefix of this pass: prefixed, where the person is here."""
    if found.empty:
        return found.copy()
    by_l = pd.Series(left["unique_id"].values, index=_without_regency(left["unique_id"]).values)
    by_r = pd.Series(right["unique_id"].values, index=_without_regency(right["unique_id"]).values)
    here = found.assign(unique_id_l=found["unique_id_l"].map(by_l[~by_l.index.duplicated()]),
                        unique_id_r=found["unique_id_r"].map(by_r[~by_r.index.duplicated()]))
    return here.dropna(subset=["unique_id_l", "unique_id_r"])


def _link_one_province(settings, engine, periode, kabs, found, options, model) -> dict:
    lefts, rights, niks = [], [], []
    with engine.connect() as conn:
        for kab, tables in columns_by_regency(conn, kabs, periode, tuple(SIDES), list(LINK_COLUMNS)):
            sides, trusted = _unlinked(conn, kab, periode, tables)
            lefts.append(sides["dtks"])
            rights.append(sides["p3ke"])
            niks += trusted
    left = pd.concat(lefts, ignore_index=True)
    right = pd.concat(rights, ignore_index=True)
    del lefts, rights

    def across(pairs: pd.DataFrame) -> pd.Series:
        return _regency_of(pairs["unique_id_l"]) != _regency_of(pairs["unique_id_r"])

    # The leftovers of every regency's pass hold few true pairs by construction: EM would learn little from
    # them, so this pass takes the shipped (province) model as it is, on the comparisons the lists can feed.
    # Across a province the broad blocking rules grow with the square of its size: a budget of pairs per record
    # keeps the rules that find movers (NIK, birth date and name) and says which it skipped.
    options = replace(options or LinkOptions(), fit=FitOptions(fit=False),
                      comparisons_per_record=PROVINCE_COMPARISONS_PER_RECORD)
    result = link_people(left, right, options=options, model=model, decisions=_decisions_here(found, left, right),
                         pair_filter=across, only_pairs_where=("kab_berkas", 'l."kab_berkas" <> r."kab_berkas"'))
    sizes = {"left": len(left), "right": len(right)}
    del left, right

    def unprefixed(pairs: pd.DataFrame) -> pd.DataFrame:
        return pairs.assign(unique_id_l=_without_regency(pairs["unique_id_l"]),
                            unique_id_r=_without_regency(pairs["unique_id_r"]))

    links, queue = result.links, result.review
    pairs = pairs_rows(unprefixed(links), periode, _regency_of(links["unique_id_l"]),
                       _regency_of(links["unique_id_r"]), "provinsi")
    review = review_rows(unprefixed(queue), periode, _regency_of(queue["unique_id_l"]),
                         _regency_of(queue["unique_id_r"]), "provinsi")
    params = {"p": periode}
    kab_list = in_list("kode_kab", tuple(kabs))
    with engine.connect() as conn:
        earlier = read_frame(conn, "SELECT DISTINCT id_dtks, id_individu_p3ke, kode_kab, kode_kab_p3ke FROM "
                                   f"core.padanan_individu WHERE lingkup = 'provinsi' AND periode < :p AND {kab_list}",
                             params)
    pairs, held = hold_new_links(pairs, earlier)
    review = pd.concat([r for r in (review, held_as_review(held)) if len(r)] or [review], ignore_index=True)
    conflicts = _province_conflicts(pairs, niks, periode)
    workbook = _write_province_review(settings, engine, review, kabs[0][:2], periode)
    with engine.begin() as conn:
        store_model(conn, result.model, periode=periode, kode_kab=kabs[0][:2], lingkup="provinsi")
        replace_rows(conn, "core.padanan_individu", pairs, f"periode = :p AND lingkup = 'provinsi' AND {kab_list}",
                     params)
        replace_rows(conn, "core.antrian_review", review, f"periode = :p AND lingkup = 'provinsi' AND {kab_list}",
                     params)
        replace_rows(conn, "core.konflik_padanan", conflicts,
                     f"periode = :p AND {kab_list} AND {in_list('jenis_konflik', PROVINCE_CONFLICTS)}", params)
        if workbook:
            conn.execute(sa.text(f"UPDATE core.antrian_review SET berkas = :b WHERE periode = :p AND "
                                 f"lingkup = 'provinsi' AND {kab_list}"), {**params, "b": workbook})
    return {"regencies": len(kabs), **sizes, "links": len(pairs), "links_held": len(held),
            "review_queue": len(review), "conflicts": len(conflicts), "review_workbook": workbook,
            **{k: v for k, v in result.stats.items() if k.startswith(("seconds", "comparisons", "nik_", "aturan_blok"))}}


def _shared_niks(niks: list[pa.Table]) -> pd.DataFrame:
    """The trusted-NIK rows (nik, unique_id, kab_berkas, sumber) whose NIK occurs in two regencies or more;
    found in Arrow, so that only those rows become a frame."""
    if not niks:
        return pd.DataFrame(columns=["nik", "unique_id", "kab_berkas", "sumber"])
    table = pa.concat_tables(niks)
    spread = table.group_by("nik").aggregate([("kab_berkas", "count_distinct")])
    shared = spread.filter(pc.greater(spread["kab_berkas_count_distinct"], 1))["nik"]
    return to_frame(table.filter(pc.is_in(table["nik"], value_set=shared)))


def _province_conflicts(pairs: pd.DataFrame, niks: list[pa.Table], periode: str) -> pd.DataFrame:
    """A person linked across regencies, and a trusted NIK held by records of two or more regencies."""
    rows = []
    for own, other, own_id, other_id, sumber in (("kode_kab", "kode_kab_p3ke", "id_dtks", "id_individu_p3ke", "dtks"),
                                                  ("kode_kab_p3ke", "kode_kab", "id_individu_p3ke", "id_dtks", "p3ke")):
        rows.append(pd.DataFrame({
            "periode": periode, "kode_kab": pairs[own].values, "jenis_konflik": "individu_dua_kabupaten",
            "sumber": sumber, "id_record": pairs[own_id].values, "id_terkait": pairs[other_id].values, "nik": None,
            "keterangan": ("terdaftar di " + ("DTKS" if sumber == "dtks" else "P3KE") + " kabupaten/kota ini dan di "
                           + ("P3KE" if sumber == "dtks" else "DTKS") + " kabupaten/kota " + pairs[other].astype(str)
                           ).values,
        }))
    shared = _shared_niks(niks)
    if not shared.empty:
        kabs_of = shared.groupby("nik")["kab_berkas"].agg(lambda k: ", ".join(sorted(set(k))))
        rows.append(pd.DataFrame({
            "periode": periode, "kode_kab": shared["kab_berkas"].values, "jenis_konflik": "nik_dua_kabupaten",
            "sumber": shared["sumber"].values, "id_record": strip_prefix(shared["unique_id"]).values,
            "id_terkait": None, "nik": shared["nik"].values,
            "keterangan": ("NIK yang sama ada di data kabupaten/kota " + shared["nik"].map(kabs_of)).values,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# ---------------------------------------------------------------------------------------------- review


def hold_new_links(pairs: pd.DataFrame, earlier: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-regency links (`pairs_rows` of the province pass) split into the kept and the held: kept when
    decided by a review (`match_method = 'review'`) or linked in an earlier period (`earlier`: the same
    KEY columns); every other link waits for the province's review."""
    if pairs.empty:
        return pairs, pairs
    keys = pd.MultiIndex.from_frame(pairs[list(KEY)].astype(str))
    known = (keys.isin(pd.MultiIndex.from_frame(earlier[list(KEY)].astype(str))) if len(earlier)
             else pd.Series(False, index=pairs.index).to_numpy())
    keep = pairs["match_method"].eq("review").to_numpy() | known
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
        labels = {k: f"{wilayah.label(k)}" for k in part[other].unique()}
        rows.append(shown.assign(sumber=side.upper(), id=part[id_column].to_numpy(),
                                 kandidat_di=part[other].map(labels).to_numpy()))
    if not rows:
        return pd.DataFrame(columns=["sumber", "id", "kandidat_di"])
    return pd.concat(rows, ignore_index=True).drop_duplicates(["sumber", "id", "kandidat_di"])


def shown_people(conn, review: pd.DataFrame, periode: str) -> dict[str, Shown]:
    """What review workbooks show of the people in `review`, per regency: the `SHOW` columns of those people
    only, read from each regency's preparation."""
    out = {}
    kabs = sorted(set(review["kode_kab"].dropna()) | set(review["kode_kab_p3ke"].dropna()))
    for kab, tables in columns_by_regency(conn, kabs, periode, tuple(SIDES), ["id", *SHOW]):
        frames = {}
        for part, (kab_column, id_column) in SIDES.items():
            table = tables[part]
            wanted = pa.array(review.loc[review[kab_column].eq(kab), id_column].astype(str).unique(), type=pa.string())
            frames[part] = to_frame(table.filter(pc.is_in(table["id"], value_set=wanted)))
        out[kab] = Shown(**frames)
    return out


def _write_province_review(settings: Settings, engine, review: pd.DataFrame, prov: str, periode: str) -> str | None:
    """The province's review workbook of cross-regency pairs, both sides shown: for the data engineer or the
    province's walidata, answered in `inbox/<kode_prov>/review/`."""
    if review.empty:
        return None
    from satudata.harmonise.review_workbook import write_review_workbook

    with engine.connect() as conn:
        sources = shown_people(conn, review, periode)
    path = settings.folder("outbox") / prov / f"review_padanan_{periode}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_review_workbook(path, review_frame(review, sources), kode_kab=prov, periode=periode)
    return str(path.relative_to(settings.folder("outbox")))


__all__ = ["KEY", "PROVINCE_CONFLICTS", "SHOW", "Shown", "held_as_review", "hold_new_links", "link_province",
           "own_side_rows", "review_frame", "shown_people"]
