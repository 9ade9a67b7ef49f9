"""Families: DTKS family-card groups and P3KE families, linked through the people they share.

A KK number is a weak key: it is re-issued when a family moves, splits or loses its head, and in the
files it is as damaged as any NIK (Excel-rounded, missing on a row). So the DTKS family key is repaired
from the file's own order before grouping, and families are linked by their *members'* links, with the
KK only as a fallback for families none of whose members could be linked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from satudata.linkage.link import mutual_best
from satudata.linkage.lookup import isin

HEAD = "Kepala Keluarga"


def dtks_family_keys(rows: pd.DataFrame) -> pd.Series:
    """The family each DTKS row belongs to, from `no_kk` repaired by the file's order.

    `rows` in file order with `no_kk` (cleaned 16 digits or NA), `kode_desa`, `hubungan_keluarga`.
    DTKS lists a family's members together, so:
    - a row without a usable KK belongs to the family of the row above when it is not a head and lives in
      the same desa (else it is a family of its own, keyed by its row);
    - a KK seen on one row only, ending in 0 and within 10 of its neighbour's KK, is that neighbour's KK
      rounded by Excel to 15 significant digits.
    """
    n = len(rows)
    if n == 0:
        return pd.Series([], dtype="string")
    kk = rows["no_kk"].astype("string").reset_index(drop=True)
    desa = rows["kode_desa"].astype("string").reset_index(drop=True)
    head = rows["hubungan_keluarga"].astype("string").reset_index(drop=True).str.strip().str.lower().eq(HEAD.lower())
    head = head.fillna(False).astype(bool).to_numpy()
    counts = kk.value_counts()
    lonely = counts.index[(counts.to_numpy() == 1) & counts.index.str.endswith("0")]
    same_desa_above = desa.eq(desa.shift(1)).fillna(False).astype(bool).to_numpy()

    def unround(kk: pd.Series) -> pd.Series:
        """A lone KK ending in 0 within 10 of its neighbour's in the same desa is that KK, Excel-rounded."""
        number = pd.to_numeric(kk, errors="coerce").astype("float64")  # 16 digits: exact to ±2 in float64
        found = []
        for shift in (1, -1):  # the neighbour above first: it wins where both are close
            neighbour = kk.shift(shift)
            close = (isin(kk, lonely) & neighbour.notna().to_numpy()
                     & kk.ne(neighbour).fillna(False).to_numpy()
                     & (number - number.shift(shift)).abs().le(10).fillna(False).to_numpy()
                     & desa.eq(desa.shift(shift)).fillna(False).astype(bool).to_numpy())
            at = np.flatnonzero(close)
            found.append(pd.DataFrame({"kk": kk.to_numpy()[at], "to": neighbour.to_numpy()[at]}))
        mapping = pd.concat(found, ignore_index=True).drop_duplicates("kk")
        if mapping.empty:
            return kk
        # Every row holding a rounded KK takes its neighbour's, in one lookup (`Series.replace` with a dict
        # compared the whole column once per entry: 90 s of NTB's link at full scale).
        where = pd.Index(mapping["kk"].astype("string")).get_indexer(kk)
        hit = where >= 0
        fixed = kk.to_numpy(dtype=object, na_value=None)
        fixed[hit] = mapping["to"].to_numpy(dtype=object)[where[hit]]
        return pd.Series(fixed, dtype="string")

    kk = unround(kk)
    # A row without a usable KK joins the family above it (same desa, not a head) or stands alone.
    missing = kk.isna().to_numpy()
    if missing.any():
        row_number = pd.Series(rows["baris"].to_numpy() if "baris" in rows else np.arange(1, n + 1))
        follows = missing & ~head & same_desa_above  # takes the key of the row above, filled or not
        values = kk.astype(object).where(~missing, "baris-" + row_number.astype(str).astype(object))
        values = values.where(~follows, None).ffill()
        kk = unround(pd.Series(values.to_numpy(), dtype="string"))  # rows that inherited a rounded KK follow it
    key = kk
    return key.set_axis(rows.index)


def link_families(members: pd.DataFrame, kk_left: pd.DataFrame | None = None,
                  kk_right: pd.DataFrame | None = None) -> pd.DataFrame:
    """One-to-one family links from member links.

    `members`: one row per linked person pair with `keluarga_l`, `keluarga_r` (family keys of both sides)
    and `kepala` (True when the pair is a head on either side). A family pair's strength is the number of
    its linked members (a linked head breaks ties); each family links to at most one on the other side,
    best first. Families left without a partner whose KK numbers agree link by `kk`
    (`kk_left`/`kk_right`: `keluarga`, `no_kk`).

    Returns `keluarga_l, keluarga_r, anggota_terpadan, match_method, match_reason`.
    """
    columns = ["keluarga_l", "keluarga_r", "anggota_terpadan", "match_method", "match_reason"]
    if members.empty:
        linked = pd.DataFrame(columns=columns)
    else:
        strength = (members.groupby(["keluarga_l", "keluarga_r"], sort=False)
                    .agg(anggota_terpadan=("kepala", "size"), kepala=("kepala", "any")).reset_index())
        strength = strength.sort_values(["anggota_terpadan", "kepala", "keluarga_l", "keluarga_r"],
                                        ascending=[False, False, True, True], kind="mergesort")
        linked = mutual_best(strength, "keluarga_l", "keluarga_r")
        linked["match_method"] = "anggota"
        linked["match_reason"] = (linked["anggota_terpadan"].astype(str) + " anggota terpadan"
                                  + np.where(linked["kepala"], ", termasuk kepala keluarga", ""))
        linked = linked[columns]
    if kk_left is not None and kk_right is not None and not kk_left.empty and not kk_right.empty:
        free_l = kk_left[~isin(kk_left["keluarga"], linked["keluarga_l"]) & kk_left["no_kk"].notna().to_numpy()]
        free_r = kk_right[~isin(kk_right["keluarga"], linked["keluarga_r"]) & kk_right["no_kk"].notna().to_numpy()]
        free_l = free_l.drop_duplicates("no_kk", keep=False)
        free_r = free_r.drop_duplicates("no_kk", keep=False)
        by_kk = free_l.merge(free_r, on="no_kk", suffixes=("_l", "_r"))
        if not by_kk.empty:
            linked = pd.concat([linked, pd.DataFrame({
                "keluarga_l": by_kk["keluarga_l"], "keluarga_r": by_kk["keluarga_r"], "anggota_terpadan": 0,
                "match_method": "kk", "match_reason": "nomor KK sama, tidak ada anggota yang terpadan",
            })], ignore_index=True)
    return linked.reset_index(drop=True)
