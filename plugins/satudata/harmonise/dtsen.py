"""DTSEN linked to a regency's harmonised people and families (the crosswalk `id_dtsen`).

DTKS and P3KE are linked to each other first (`harmonise.regency`, `harmonise.province`); DTSEN then joins the
result in the build (`harmonise.build`). BPS matches DTSEN to Dukcapil's SIAK on NIK, so its NIKs are the most
trusted of the three registries: the linker's exact pass on trusted NIK decides most pairs, and the
regency-fitted probabilistic model the rest, each link with its probability and reason. Families follow their
members (`families.link_families`, KK as the fallback). People and families only DTSEN knows become harmonised
rows of their own (`dtsen:<id>`): DTSEN covers the whole population, so in the DTSEN regime they are part of the
targeting base.

Conflicts counted here: NIK disagreements between DTSEN and the harmonised side, and families of DTKS or
P3KE that DTSEN does not hold (only when the regency has a DTSEN extract at all: without one, absence
says nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from satudata.linkage.families import HEAD, link_families
from satudata.linkage.link import LinkOptions, link_people
from satudata.linkage.lookup import isin
from satudata.linkage.model import LinkModel
from satudata.linkage.records import LINK_COLUMNS
from satudata.normalise.nik import kk_or_none

CONFLICTS = ("dtsen_nik_beda", "keluarga_tidak_di_dtsen")
CROSSWALK_COLUMNS = ("periode", "kode_kab", "id_individu", "id_individu_dtsen", "id_keluarga_dtsen",
                     "match_probability", "match_weight", "match_method", "match_reason")


@dataclass
class DtsenLinked:
    people: pd.DataFrame  # individu_terpadu with the DTSEN columns and the DTSEN-only people
    families: pd.DataFrame  # keluarga_terpadu likewise
    crosswalk: pd.DataFrame  # core.padanan_dtsen
    conflicts: pd.DataFrame  # core.konflik_padanan rows of `CONFLICTS`
    stats: dict


def _strip(ids: pd.Series) -> pd.Series:
    """`dtsen:S1` -> `S1`; missing stays missing (object dtype, as the warehouse columns take it). In Arrow:
    pandas splits such text one value at a time."""
    ids = pd.Series(ids)
    text = pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    rest = pc.struct_field(pc.extract_regex(text, r"(?s)^[^:]*:(?P<rest>.*)$"), "rest")  # null where no match
    return pd.Series(rest.to_numpy(zero_copy_only=False), index=ids.index, dtype=object)


def attach_dtsen(periode: str, kab: str, people: pd.DataFrame, families: pd.DataFrame, harmonised: pd.DataFrame,
                 dtsen: pd.DataFrame, dtsen_keluarga: pd.DataFrame, *, options: LinkOptions | None = None,
                 model: LinkModel | None = None) -> DtsenLinked:
    """Link DTSEN people (`dtsen`, prepared, `unique_id` = `dtsen:<id>`, `keluarga` = `dtsen:<family id>`) to
    the harmonised `people` whose linkage features are `harmonised` (`unique_id` = their `id_individu`).

    `families`/`people`: keluarga_terpadu / individu_terpadu rows of one regency and period, as
    `harmonise.build.assemble` builds them. Without DTSEN (`dtsen` empty) they come back with the DTSEN
    columns empty. The DTKS-P3KE link of a person keeps its own method; the DTSEN link is in the crosswalk.
    """
    has_extract = len(dtsen_keluarga) > 0
    stats: dict = {"dtsen_individu": len(dtsen), "dtsen_keluarga": len(dtsen_keluarga)}
    links, nik_conflicts = _link_dtsen_people(people, harmonised, dtsen, stats, options, model)
    d_by_id = dtsen.set_index("unique_id") if len(dtsen) else pd.DataFrame()
    people = _mark_people(people, links)

    fam_links, kel = _link_dtsen_families(people, families, links, d_by_id, dtsen_keluarga)
    harmonised_of = pd.Series(fam_links["keluarga_l"].to_numpy(), index=fam_links["keluarga_r"].to_numpy())
    kel = kel.set_index("keluarga")
    families = families.copy()
    dtsen_of = families["id_keluarga"].map(fam_links.set_index("keluarga_l")["keluarga_r"])
    families["id_keluarga_dtsen"] = _strip(dtsen_of)
    families["di_dtsen"] = dtsen_of.notna()

    # DTSEN people linked to nobody: people of their own, in the harmonised family of their DTSEN family.
    rest = dtsen[~isin(dtsen["unique_id"], links["unique_id_r"])] if len(dtsen) else dtsen
    if len(rest):
        people = pd.concat([people, _dtsen_only_people(periode, kab, rest, harmonised_of)], ignore_index=True)
    # DTSEN families linked to no harmonised family: families of their own.
    new_keys = kel.index[~isin(kel.index, harmonised_of.index)].tolist()
    if new_keys:
        extra = _dtsen_only_families(periode, kab, kel.loc[new_keys], new_keys, people)
        families = pd.concat([families, extra], ignore_index=True)
    _add_dtsen_family_columns(families, people, kel, dtsen)

    crosswalk = _crosswalk(periode, kab, links, d_by_id, dtsen)
    conflicts = _conflicts(periode, kab, nik_conflicts, families, has_extract)
    stats.update({
        "dtsen_terpadan": len(links),
        "dtsen_terpadan_per_metode": {str(k): int(v) for k, v in links["match_method"].value_counts().items()},
        "dtsen_individu_baru": len(rest), "dtsen_keluarga_baru": len(new_keys),
        "keluarga_di_dtsen": int(families["di_dtsen"].sum()),
        "keluarga_tidak_di_dtsen": int((~families["di_dtsen"] & (families["di_dtks"] | families["di_p3ke"])).sum())
        if has_extract else 0,
    })
    return DtsenLinked(people, families, crosswalk, conflicts, stats)


def _link_dtsen_people(people: pd.DataFrame, harmonised: pd.DataFrame, dtsen: pd.DataFrame, stats: dict,
                       options: LinkOptions | None, model: LinkModel | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(links, NIK conflicts) of the harmonised people against DTSEN; the linker's counts go into `stats`."""
    left = harmonised.loc[isin(harmonised["unique_id"], people["id_individu"]), list(LINK_COLUMNS)]
    right = dtsen[list(LINK_COLUMNS)] if len(dtsen) else dtsen
    if len(left) and len(right):
        result = link_people(left.reset_index(drop=True), right.reset_index(drop=True), options=options,
                             model=model)
        stats.update({f"dtsen_{k}": v for k, v in result.stats.items()
                      if k.startswith(("nik_", "comparisons")) and isinstance(v, int | float)})
        return result.links, result.nik_conflicts
    links = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight",
                                  "match_method", "match_reason"])
    nik_conflicts = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "nik", "jenis_konflik", "keterangan"])
    return links, nik_conflicts


def _mark_people(people: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """A copy of `people` with their DTSEN partner (`id_individu_dtsen`, `di_dtsen`)."""
    link_of = links.set_index("unique_id_l")
    people = people.copy()
    partner = (people["id_individu"].map(link_of["unique_id_r"]) if len(links)
               else pd.Series(None, index=people.index, dtype=object))
    people["id_individu_dtsen"] = _strip(partner)
    people["di_dtsen"] = partner.notna()
    return people


def _link_dtsen_families(people: pd.DataFrame, families: pd.DataFrame, links: pd.DataFrame,
                         d_by_id: pd.DataFrame, dtsen_keluarga: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(family links, the DTSEN families keyed `dtsen:<id>` in column `keluarga`): the harmonised family of
    each linked person against its DTSEN family, KK as the fallback."""
    kepala = pd.Series(False, index=links.index)
    if len(links):
        kepala = (people.set_index("id_individu")["hubungan_keluarga"].reindex(links["unique_id_l"]).eq(HEAD).values
                  | d_by_id["hubungan_keluarga"].reindex(links["unique_id_r"]).eq(HEAD).values)
    members = pd.DataFrame({
        "keluarga_l": people.set_index("id_individu")["id_keluarga"].reindex(links["unique_id_l"]).values,
        "keluarga_r": d_by_id["keluarga"].reindex(links["unique_id_r"]).values if len(links) else [],
        "kepala": np.asarray(kepala, dtype=bool),
    }).dropna(subset=["keluarga_l", "keluarga_r"])
    kk_l = pd.DataFrame({"keluarga": families["id_keluarga"],
                         "no_kk": _first(families["no_kk_p3ke"], families["no_kk_dtks"])})
    kel = dtsen_keluarga.assign(keluarga="dtsen:" + dtsen_keluarga["id_keluarga_dtsen"].astype(str))
    kk_r = pd.DataFrame({"keluarga": kel["keluarga"], "no_kk": kk_or_none(kel["no_kk"])})
    return link_families(members, kk_l, kk_r), kel


def _dtsen_only_people(periode: str, kab: str, rest: pd.DataFrame, harmonised_of: pd.Series) -> pd.DataFrame:
    """individu_terpadu rows of the DTSEN people `rest` that no harmonised person links to."""
    linked_family = rest["keluarga"].map(harmonised_of)
    own_family = linked_family.where(linked_family.notna(), rest["keluarga"])
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab, "id_individu": rest["unique_id"].values,
        "id_keluarga": own_family.values, "id_dtks": None, "id_individu_p3ke": None, "di_dtks": False,
        "di_p3ke": False, "nik": rest["nik"].where(rest["nik_dipercaya"]).values, "nama": rest["nama"].values,
        "jenis_kelamin": rest["jenis_kelamin"].values,
        "tanggal_lahir": pd.to_datetime(rest["tanggal_lahir"]).dt.date.values,
        "kode_desa": rest["kode_desa"].values, "hubungan_keluarga": rest["hubungan_keluarga"].values,
        "pekerjaan": rest["pekerjaan"].values, "disabilitas": rest["disabilitas"].values,
        "match_probability": np.nan, "match_weight": np.nan, "match_method": None, "match_reason": None,
        "id_individu_dtsen": _strip(rest["unique_id"]).values, "di_dtsen": True,
    })


def _dtsen_only_families(periode: str, kab: str, k: pd.DataFrame, new_keys: list, people: pd.DataFrame
                         ) -> pd.DataFrame:
    """keluarga_terpadu rows of the DTSEN families `k` (keys `new_keys`) that no harmonised family links to;
    `people` already holds their members."""
    size = people.groupby("id_keluarga").size()
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab, "id_keluarga": new_keys, "no_kk_dtks": None,
        "id_keluarga_p3ke": None, "no_kk_p3ke": None, "di_dtks": False, "di_p3ke": False,
        "desil": pd.array([pd.NA] * len(k), dtype="Int64"), "status_dtks": "tidak_terdaftar",
        "jumlah_anggota": pd.Series(new_keys).map(size).fillna(0).astype(int).values,
        "jumlah_anggota_dtks": 0, "jumlah_anggota_p3ke": 0, "anggota_terpadan": 0,
        "kode_desa": k["kode_desa"].values, "nik_kepala_keluarga": k["nik_kepala_keluarga"].values,
        "nama_kepala_keluarga": k["nama_kepala_keluarga"].values,
        "jenis_kelamin_kepala_keluarga": k["jenis_kelamin_kepala_keluarga"].values,
        "match_method": None, "match_reason": None,
        "id_keluarga_dtsen": _strip(pd.Series(new_keys)).values, "di_dtsen": True,
    })


def _add_dtsen_family_columns(families: pd.DataFrame, people: pd.DataFrame, kel: pd.DataFrame,
                              dtsen: pd.DataFrame) -> None:
    """DTSEN's KK, desil and member count on every family (in place), from the DTSEN family it is or is
    linked to (`kel`, keyed `dtsen:<id>`); the member count and village from all sources."""
    d_size = dtsen.groupby("keluarga").size() if len(dtsen) else pd.Series(dtype="int64")
    key = families["id_keluarga"].where(~families["di_dtsen"] | families["id_keluarga"].str.startswith("dtsen:"),
                                        "dtsen:" + families["id_keluarga_dtsen"].astype(str))
    families["no_kk_dtsen"] = kk_or_none(key.map(kel["no_kk"])) if len(kel) else None
    for column, source in (("desil_dtsen", "desil_nasional"), ("desil_dtsen_provinsi", "desil_provinsi"),
                           ("desil_dtsen_kabupaten", "desil_kabupaten_kota")):
        families[column] = (pd.to_numeric(key.map(kel[source]), errors="coerce").astype("Int64") if len(kel)
                            else pd.array([pd.NA] * len(families), dtype="Int64"))
    families["jumlah_anggota_dtsen"] = key.map(d_size).fillna(0).astype(int) if len(d_size) else 0
    families["jumlah_anggota"] = families["id_keluarga"].map(people.groupby("id_keluarga").size()).fillna(
        families["jumlah_anggota"]).astype(int)
    families["kode_desa"] = _first(families["kode_desa"], key.map(kel["kode_desa"]) if len(kel) else families["kode_desa"])


def _crosswalk(periode: str, kab: str, links: pd.DataFrame, d_by_id: pd.DataFrame, dtsen: pd.DataFrame
               ) -> pd.DataFrame:
    """core.padanan_dtsen: one row per harmonised person linked to a DTSEN person."""
    fam_of_dtsen = d_by_id["keluarga"] if len(dtsen) else pd.Series(dtype=object)
    return pd.DataFrame({
        "periode": periode, "kode_kab": kab, "id_individu": links["unique_id_l"].values,
        "id_individu_dtsen": _strip(links["unique_id_r"]).values,
        "id_keluarga_dtsen": _strip(links["unique_id_r"].map(fam_of_dtsen)).values if len(links) else [],
        "match_probability": links["match_probability"].astype(float).values,
        "match_weight": links["match_weight"].astype(float).values,
        "match_method": links["match_method"].values, "match_reason": links["match_reason"].values,
    }, columns=list(CROSSWALK_COLUMNS))


def _first(*candidates: pd.Series) -> pd.Series:
    result = candidates[0].astype(object)
    for other in candidates[1:]:
        result = result.where(result.notna(), other.astype(object))
    return result


def _conflicts(periode, kab, nik_conflicts: pd.DataFrame, families: pd.DataFrame, has_extract: bool) -> pd.DataFrame:
    parts = []
    if len(nik_conflicts):
        parts.append(pd.DataFrame({
            "periode": periode, "kode_kab": kab, "jenis_konflik": "dtsen_nik_beda", "sumber": "dtsen",
            "id_record": _strip(nik_conflicts["unique_id_r"]).values,
            "id_terkait": nik_conflicts["unique_id_l"].values, "nik": nik_conflicts["nik"].values,
            "keterangan": ("DTSEN: " + nik_conflicts["keterangan"].astype(str)).values,
        }))
    if has_extract:
        missing = families[~families["di_dtsen"] & (families["di_dtks"] | families["di_p3ke"])]
        if len(missing):
            which = np.where(missing["di_p3ke"] & missing["di_dtks"], "DTKS dan P3KE",
                             np.where(missing["di_p3ke"], "P3KE", "DTKS"))
            parts.append(pd.DataFrame({
                "periode": periode, "kode_kab": kab, "jenis_konflik": "keluarga_tidak_di_dtsen",
                "sumber": np.where(missing["di_p3ke"], "p3ke", "dtks"), "id_record": missing["id_keluarga"].values,
                "id_terkait": None, "nik": None,
                "keterangan": ("keluarga " + pd.Series(which) + " tidak ditemukan di DTSEN").values,
            }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
