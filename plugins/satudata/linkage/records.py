"""Person records ready for linkage: one frame shape for DTKS, P3KE, recipient lists and any CLI file.

Input is the canonical person frame (`id, nik, no_kk, nama, tanggal_lahir, jenis_kelamin, kode_desa,
alamat`, optionally `tempat_lahir`, `nama_ibu_kandung`); every column but `id` may be missing or empty, and
a column a list lacks is simply empty here (the linker then drops the comparisons that need it). Output
adds what the linker compares and blocks on. Nothing here decides a link; it only says what each value is
worth:

- `nik` is kept when it is 16 digits (typos and transpositions are still useful to the probabilistic
  pass), `nik_dipercaya` only when it is also well formed (embedded date real) and the caller did not
  flag it (Excel rounding, for instance). Only trusted NIKs may link on their own.
- the sex embedded in the NIK fills a missing `jenis_kelamin`;
- birth dates that are placeholders (1 January, 31 December, 1 July) are marked, so that agreeing on one
  is worth less than agreeing on a real date;
- names get their last word (`nama_belakang`) and the short forms their first given name may be called by
  (`nama_panggilan`: WAWAN for HERMAWAN, `normalise.names.short_forms`);
- the address is taken apart (`normalise.alamat`): its words, RT/RW, house number and postcode.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from satudata.normalise.alamat import parse_alamat
from satudata.normalise.dates import parse_dates, placeholder_dates
from satudata.normalise.names import normalise_names, short_forms
from satudata.normalise.nik import clean_nik_cells, embedded_sex, kk_or_none, nik_format_ok, parse_nik

PERSON_COLUMNS = ("id", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa", "alamat")
OPTIONAL_COLUMNS = ("tempat_lahir", "nama_ibu_kandung")

# What the Splink model reads (the order is the order of the registered tables' columns).
LINK_COLUMNS = (
    "unique_id", "nik", "nik_dipercaya", "no_kk", "nama_bersih", "nama_fonetik", "nama_depan", "nama_urut",
    "nama_belakang", "nama_panggilan", "tanggal_lahir", "tahun_lahir", "tanggal_placeholder", "jenis_kelamin",
    "kode_desa", "kode_kec", "kode_kab", "tempat_lahir", "alamat_kata", "rt_rw", "nomor_rumah", "kode_pos",
    "nama_ibu",
)  # fmt: skip
# Derived from both lists at once (the rarity of an address word depends on both): `with_address_weights`.
ADDRESS_COLUMNS = ("alamat_bobot", "alamat_total", "alamat_kunci")

_SEX = {"L": "L", "LK": "L", "LAKI": "L", "LAKI-LAKI": "L", "LAKILAKI": "L", "PRIA": "L", "M": "L", "1": "L",
        "P": "P", "PR": "P", "PEREMPUAN": "P", "WANITA": "P", "F": "P", "W": "P", "2": "P"}


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[column].astype("string").str.strip()
    return values.where(values.str.len() > 0)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return frame[column].astype("boolean").fillna(False).astype(bool)


def _sex(values: pd.Series) -> pd.Series:
    key = values.str.upper().str.replace(r"[\s.]", "", regex=True)
    return key.map(_SEX).astype("string")


def _birth_dates(frame: pd.DataFrame) -> pd.Series:
    if "tanggal_lahir" not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    values = frame["tanggal_lahir"]
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    # Millions of rows hold a few tens of thousands of distinct dates: convert each distinct value once.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=object)
    converted = pd.to_datetime(distinct.where(distinct.map(lambda v: hasattr(v, "year"))), errors="coerce")
    as_text = parse_dates(distinct.where(converted.isna()).astype("string"))["tanggal"]
    by_code = converted.fillna(as_text).astype("datetime64[ns]").to_numpy()
    out = by_code.take(codes, mode="clip") if len(by_code) else np.full(len(codes), np.datetime64("NaT"), "M8[ns]")
    out[codes < 0] = np.datetime64("NaT")
    return pd.Series(out, index=frame.index, dtype="datetime64[ns]")


def _place(values: pd.Series) -> pd.Series:
    text = values.str.upper().str.replace(r"^(KAB(UPATEN)?|KOTA)\b\.?", "", regex=True)
    text = text.str.replace(r"[^A-Z ]+", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    return text.where(text.str.len() > 0)


def prepare_people(frame: pd.DataFrame, *, id_prefix: str = "", nik_flagged: pd.Series | None = None) -> pd.DataFrame:
    """Linkage features of a canonical person frame; one row per input row, same order, fresh index.

    `id_prefix` keeps the two sides' ids apart when they may collide (`dtks:` / `p3ke:`).
    A frame of staged rows carries intake's flags (`nik_valid`, `nik_angka_excel`), which decide trust; any
    other frame's NIKs are parsed here by `normalise.nik`. `nik_flagged`, aligned with `frame`, marks NIKs the
    caller distrusts besides (a person list's cells that Excel stored as numbers).
    """
    frame = frame.reset_index(drop=True)
    if "id" not in frame:
        raise ValueError("a person list needs an `id` column")
    ids = frame["id"].astype("string").str.strip()
    if ids.isna().any() or ids.eq("").any():
        raise ValueError("every person row needs an `id`")
    out = pd.DataFrame(index=frame.index)
    out["unique_id"] = (id_prefix + ids).astype(str)
    out["id"] = ids.astype(str)

    raw_nik = _text(frame, "nik")
    kk = _text(frame, "no_kk")
    if "nik_valid" in frame:
        # Staged rows: intake parsed each NIK once and its flags travel with it (`nik_valid`; a NIK Excel
        # damaged was emptied and `nik_angka_excel` says so); nothing is parsed again here.
        nik = raw_nik.where(nik_format_ok(raw_nik))
        trusted = _flag(frame, "nik_valid") & nik.notna()
        nik_sex = embedded_sex(nik)
        kk = kk_or_none(kk)
    else:  # a list that did not come through intake (`satudata link`, tests): parse it here, the same way
        parsed = parse_nik(raw_nik.fillna(""))
        nik = parsed["nik"].where(parsed["format_ok"])
        trusted = parsed["valid"].astype(bool)
        nik_sex = parsed["jenis_kelamin"].where(parsed["valid"])
        kk = kk_or_none(clean_nik_cells(kk.fillna(""))[0])
    if nik_flagged is not None:
        trusted &= ~pd.Series(nik_flagged, dtype="boolean").reset_index(drop=True).fillna(False).astype(bool)
    out["nik"] = nik.astype("string")
    out["nik_dipercaya"] = trusted
    out["no_kk"] = kk.astype("string")

    names = normalise_names(_text(frame, "nama"))
    for column in ("nama_bersih", "nama_fonetik", "nama_depan", "nama_urut"):
        out[column] = names[column].astype("string")
    out["nama_belakang"] = _last_word(names["nama_fonetik"])
    out["nama_panggilan"] = _as_lists(short_forms(names["nama_bersih"]))

    born = _birth_dates(frame)
    out["tanggal_lahir"] = born.dt.normalize()
    out["tahun_lahir"] = born.dt.year.astype("Int64")
    out["tanggal_placeholder"] = placeholder_dates(born).astype(bool)

    sex = _sex(_text(frame, "jenis_kelamin"))
    out["jenis_kelamin"] = sex.fillna(nik_sex).astype("string")

    desa = _text(frame, "kode_desa").str.replace(r"[.\s]", "", regex=True)
    desa = desa.where(desa.str.fullmatch(r"[0-9]{10}").fillna(False).astype(bool))
    out["kode_desa"] = desa.astype("string")
    out["kode_kec"] = desa.str[:6].astype("string")
    out["kode_kab"] = desa.str[:4].astype("string")
    out["tempat_lahir"] = _place(_text(frame, "tempat_lahir")).astype("string")

    alamat = parse_alamat(_text(frame, "alamat"))
    out["alamat_kata"] = _as_lists(alamat["alamat_kata"])
    for column in ("rt_rw", "nomor_rumah", "kode_pos"):
        out[column] = alamat[column].reset_index(drop=True)
    out["nama_ibu"] = normalise_names(_text(frame, "nama_ibu_kandung"))["nama_fonetik"].astype("string")
    return out


def _last_word(values: pd.Series) -> pd.Series:
    """What follows the last space (`.str.split(" ").str[-1]`), in Arrow: pandas splits object text in Python."""
    text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    last = pc.struct_field(pc.extract_regex(text, r"(?s)(?P<w>[^ ]*)$"), "w")
    return pd.Series(last.to_numpy(zero_copy_only=False), index=values.index, dtype="string")


def _as_lists(values: pd.Series) -> pd.Series:
    """Tuples (or None) as lists of text in an Arrow-backed column, which DuckDB reads as a LIST. Each distinct
    tuple is converted once (a list's records share a few thousand addresses and short forms)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pa.array([list(v) if v else None for v in uniques], type=pa.list_(pa.string()))
    array = distinct.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=values.index)


# The rarest address word is a blocking key only while it is rare: a dusun name hundreds share would make
# blocks of hundreds squared (the village code blocks those records already).
ADDRESS_KEY_MAX_RECORDS = 30


def with_address_weights(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both lists with each address word's weight (its rarity over both lists), the weight of the whole
    address, and its rarest word when at most `ADDRESS_KEY_MAX_RECORDS` records of both lists carry it
    (`alamat_kunci`, a blocking key). Column-wise in Arrow and NumPy."""
    lists = [_word_lists(side["alamat_kata"]) for side in (left, right)]
    tokens = pc.dictionary_encode(pa.concat_arrays([pc.list_flatten(a) for a in lists]).cast(pa.string()))
    vocabulary = tokens.dictionary.to_pylist()
    token_of = tokens.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(token_of, minlength=len(vocabulary))
    documents = sum(int(a.is_valid().to_numpy(zero_copy_only=False).sum()) for a in lists)
    # weight = log((documents + 1) / count), the inverse document frequency (`normalise.alamat.token_weights`);
    # math.log on each distinct count, so that every weight is the float that function gives
    log_of = {c: math.log((documents + 1) / c) for c in np.unique(counts).tolist()}
    weight = np.array([log_of[c] for c in counts.tolist()], dtype=np.float64)
    # the rarest word is a key while count <= the cap
    key_weight = math.log((documents + 1) / ADDRESS_KEY_MAX_RECORDS) if documents else 0.0
    rank = np.empty(len(vocabulary), dtype=np.int64)  # ties of weight: the greater word, as Python orders text
    rank[sorted(range(len(vocabulary)), key=vocabulary.__getitem__)] = np.arange(len(vocabulary))
    vocabulary_array = np.array(vocabulary, dtype=object)

    def derive(side: pd.DataFrame, words: pa.Array, token: np.ndarray) -> pd.DataFrame:
        n = len(side)
        lengths = pc.list_value_length(words).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        has = lengths > 0  # an empty list counts as no address, as a missing one
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if n else np.zeros(0, np.int64)
        w = weight[token]
        total = np.zeros(n, dtype=np.float64)
        for k in range(int(lengths.max()) if n else 0):  # word by word: the sum in the list's own order
            at = lengths > k
            total[at] += w[starts[at] + k]
        parent = np.repeat(np.arange(n), lengths)
        order = np.lexsort((rank[token], w, parent))  # within a record: by weight, then word; the last wins
        last = order[np.flatnonzero(np.r_[parent[order][1:] != parent[order][:-1], True])] if len(order) else order
        kunci = np.full(n, None, dtype=object)
        keep = w[last] >= key_weight
        kunci[parent[last][keep]] = vocabulary_array[token[last][keep]]
        offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
        bobot = pa.ListArray.from_arrays(offsets, pa.array(w, type=pa.float64()), mask=pa.array(~has))
        return side.assign(
            alamat_bobot=pd.Series(pd.arrays.ArrowExtensionArray(bobot), index=side.index),
            alamat_total=pd.Series(np.where(has, total, np.nan), index=side.index, dtype="Float64"),
            alamat_kunci=pd.Series(kunci, index=side.index, dtype="string"))

    split = len(pc.list_flatten(lists[0]))
    return (derive(left, lists[0], token_of[:split]), derive(right, lists[1], token_of[split:]))


def _word_lists(words: pd.Series) -> pa.ListArray:
    """A column of word lists (Arrow-backed, or Python sequences) as one Arrow list array."""
    if isinstance(words.dtype, pd.ArrowDtype) and pa.types.is_list(words.dtype.pyarrow_dtype):
        array = pa.array(words.array)
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    values = [None if w is None or isinstance(w, float | str) or w is pd.NA else list(w) for w in words.tolist()]
    return pa.array(values, type=pa.list_(pa.string()))
