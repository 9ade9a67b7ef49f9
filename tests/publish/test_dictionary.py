"""The data dictionary: the committed file is complete and matches the live `mart` tables on both engines,
it round-trips through `meta.kamus_data`, and malformed files are refused with the entry's name."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from satudata.config import PROJECT_ROOT
from satudata.publish.dictionary import (
    ACCESS_LEVELS,
    COLUMNS,
    DATA_TYPES,
    DictionaryError,
    dictionary_path,
    load_dictionary,
    load_into_warehouse,
    missing_entries,
)
from satudata.schema import INDICATOR_TABLES
from satudata.warehouse.engine import make_engine, read_frame

FIELDS = ("judul", "definisi", "konsep", "satuan", "sumber", "periode", "aturan_validasi", "tingkat_akses")
# information_schema.columns.data_type on DuckDB and PostgreSQL -> the dictionary's tipe_data
SQL_TYPES = {
    "bigint": "bilangan bulat", "integer": "bilangan bulat", "smallint": "bilangan bulat",
    "double": "desimal", "double precision": "desimal", "real": "desimal", "numeric": "desimal", "decimal": "desimal",
    "boolean": "boolean", "date": "tanggal", "varchar": "teks", "character varying": "teks", "text": "teks",
}


def _mart_columns(url: str) -> pd.DataFrame:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return read_frame(conn, "SELECT table_name, column_name, data_type, ordinal_position "
                                    "FROM information_schema.columns WHERE table_schema = 'mart' "
                                    "ORDER BY table_name, ordinal_position")
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- the file


def test_the_committed_dictionary_loads_complete_and_in_order():
    assert dictionary_path() == PROJECT_ROOT / "include" / "dictionary" / "kamus_data.yaml"
    frame = load_dictionary()
    assert tuple(frame.columns) == COLUMNS
    assert frame.attrs["versi"]
    assert list(frame["urutan"]) == list(range(1, len(frame) + 1))
    assert not frame.duplicated(["tabel", "kolom"]).any()
    tables = frame[frame["kolom"] == ""]
    assert tuple(tables["tabel"]) == INDICATOR_TABLES
    # Each table's own entry comes first, then its columns, before the next table.
    assert (frame["tabel"] != frame["tabel"].shift()).sum() == len(INDICATOR_TABLES)
    assert (frame.groupby("tabel", sort=False)["kolom"].first() == "").all()
    # Every entry has every field of the Satu Data metadata (the file is held to more than the loader asks).
    for row in frame.to_dict("records"):
        name = f"{row['tabel']}.{row['kolom']}"
        for field in FIELDS:
            assert isinstance(row[field], str) and row[field].strip(), f"{name}: {field} is empty"
        assert row["tingkat_akses"] == "terbuka", f"{name}: everything in mart is open data"
        if row["kolom"]:
            assert row["tipe_data"] in DATA_TYPES, name
        else:
            assert pd.isna(row["tipe_data"]), name
    columns = frame[frame["kolom"] != ""].set_index(["tabel", "kolom"])
    # Counts are in families or people, percentages in percent; suppressed cells are explained.
    assert columns.loc[("konvergensi_desa", "keluarga_desil1"), "satuan"] == "keluarga"
    assert columns.loc[("konvergensi_desa", "penerima_tidak_ditemukan"), "satuan"] == "orang"
    assert columns.loc[("cakupan_program", "persen_cakupan"), "satuan"] == "persen"
    assert "disensor" in columns.loc[("graduasi", "jumlah_keluarga"), "aturan_validasi"]
    assert "10 digit" in columns.loc[("konvergensi_desa", "kode_desa"), "aturan_validasi"]


def test_shared_entries_are_identical_across_the_four_levels():
    columns = load_dictionary().set_index(["tabel", "kolom"])
    for column in ("keluarga_desil1", "persen_inklusi", "publikasi_id", "sel_disensor"):
        entries = {tuple(columns.loc[(t, column)].drop("urutan")) for t in INDICATOR_TABLES[:4]}
        assert len(entries) == 1, column
    # ... but each level names its own region.
    titles = {columns.loc[(t, "nama_wilayah"), "judul"] for t in INDICATOR_TABLES[:4]}
    assert len(titles) == 4


# ---------------------------------------------------------------------------------------------- the warehouse


def test_every_mart_column_is_documented_and_nothing_else(warehouse_url):
    """On a freshly migrated warehouse, DuckDB and PostgreSQL: same columns, same order, matching types."""
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            assert missing_entries(conn) == {"tidak_didokumentasikan": [], "tidak_ada_di_mart": []}
    finally:
        engine.dispose()
    live = _mart_columns(warehouse_url)
    assert set(live["table_name"]) == set(INDICATOR_TABLES)
    entries = load_dictionary()
    entries = entries[entries["kolom"] != ""]
    for table in INDICATOR_TABLES:
        assert list(entries.loc[entries["tabel"] == table, "kolom"]) == \
            list(live.loc[live["table_name"] == table, "column_name"]), f"{table}: columns in table order"
    declared = entries.set_index(["tabel", "kolom"])["tipe_data"]
    for row in live.itertuples():
        sql_type = re.sub(r"\(.*\)$", "", row.data_type.lower()).strip()
        assert SQL_TYPES[sql_type] == declared[(row.table_name, row.column_name)], \
            f"{row.table_name}.{row.column_name} is {row.data_type}"


def test_missing_entries_names_the_gaps(tmp_path, duckdb_warehouse_url):
    extra = tmp_path / "kamus_extra.yaml"
    data = yaml.safe_load(dictionary_path().read_text(encoding="utf-8"))
    data["tabel"]["graduasi"]["kolom"]["kolom_lama"] = {
        "judul": "Kolom lama", "definisi": "Sudah dihapus dari mart.", "satuan": "keluarga",
        "tipe_data": "bilangan bulat", "tingkat_akses": "terbuka"}
    extra.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    engine = make_engine(duckdb_warehouse_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE mart.tumpang_tindih ADD COLUMN catatan VARCHAR"))
            assert missing_entries(conn, load_dictionary(extra)) == {
                "tidak_didokumentasikan": ["tumpang_tindih.catatan"], "tidak_ada_di_mart": ["graduasi.kolom_lama"]}
    finally:
        engine.dispose()


def test_load_into_warehouse_round_trips(warehouse_url):
    expected = load_dictionary()
    engine = make_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO meta.kamus_data (tabel, kolom, judul, definisi, tingkat_akses, urutan) "
                "VALUES ('tabel_lama', '', 'Lama', 'Dihapus', 'terbuka', 1)"))
            assert load_into_warehouse(conn) == len(expected)
        with engine.begin() as conn:  # a second load replaces, never appends
            assert load_into_warehouse(conn) == len(expected)
        with engine.connect() as conn:
            stored = read_frame(conn, "SELECT * FROM meta.kamus_data ORDER BY urutan")
    finally:
        engine.dispose()
    assert list(stored.columns) == list(COLUMNS)
    assert len(stored) == len(expected) and "tabel_lama" not in set(stored["tabel"])
    # The table entries keep kolom '' (not NULL) and no tipe_data; all else as in the file.
    assert stored.loc[stored["kolom"] == "", "tabel"].tolist() == list(INDICATOR_TABLES)
    assert stored.loc[stored["kolom"] == "", "tipe_data"].isna().all()
    pd.testing.assert_frame_equal(stored.astype(object).where(stored.notna(), None),
                                  expected.astype(object).where(expected.notna(), None),
                                  check_dtype=False)


# ---------------------------------------------------------------------------------------------- malformed


def _committed() -> dict:
    return yaml.safe_load(dictionary_path().read_text(encoding="utf-8"))


def _drop(table: str, column: str, key: str) -> Callable[[dict], None]:
    return lambda d: d["tabel"][table]["kolom"][column].pop(key)


def _set(table: str, column: str | None, key: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        entry = d["tabel"][table] if column is None else d["tabel"][table]["kolom"][column]
        entry[key] = value
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_drop("graduasi", "status", "definisi"), r"graduasi\.status: `definisi` is missing"),
    (_set("cakupan_program", "unit", "definisi", "  "), r"cakupan_program\.unit: `definisi` is missing"),
    (_drop("kantong_kemiskinan", "kantong", "judul"), r"kantong_kemiskinan\.kantong: `judul` is missing"),
    (_drop("tumpang_tindih", "kode_aturan", "satuan"), r"tumpang_tindih\.kode_aturan: `satuan` is missing"),
    (_drop("graduasi", "status", "tipe_data"), r"graduasi\.status: `tipe_data` is missing"),
    (_set("graduasi", "status", "tingkat_akses", "publik"), r"graduasi\.status: `tingkat_akses` must be one of"),
    (_set("graduasi", None, "tingkat_akses", "rahasia"), r"tabel graduasi: `tingkat_akses` must be one of"),
    (_set("graduasi", "status", "tipe_data", "angka"), r"graduasi\.status: `tipe_data` must be one of"),
    (_set("graduasi", "status", "definsi", "salah ketik"), r"graduasi\.status: unknown key\(s\) \['definsi'\]"),
    (_set("graduasi", None, "pemilik", "BPS"), r"tabel graduasi: unknown key\(s\) \['pemilik'\]"),
    (_set("graduasi", None, "tipe_data", "teks"), r"tabel graduasi: unknown key\(s\) \['tipe_data'\]"),
    (_set("graduasi", "status", "satuan", 100), r"graduasi\.status: `satuan` must be text"),
    (_set("graduasi", None, "kolom", {}), r"tabel graduasi: `kolom` must map"),
    (lambda d: d["tabel"]["graduasi"]["kolom"].update({"Status Baru": d["tabel"]["graduasi"]["kolom"]["status"]}),
     r"graduasi\.Status Baru: not a plain column name"),
    (lambda d: d.update(catatan="x"), r"unknown top-level key\(s\) \['catatan'\]"),
    (lambda d: d.pop("versi"), r"`versi` must be non-empty text"),
])
def test_a_malformed_dictionary_is_refused_with_the_entry(tmp_path, change, message):
    data = _committed()
    change(data)
    path = tmp_path / "kamus_data.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(DictionaryError, match=message) as error:
        load_dictionary(path)
    assert str(error.value).startswith("kamus_data.yaml: ")


@pytest.mark.parametrize(("old", "new", "message"), [
    # A key written twice inside a column entry (here one shared by the four levels through an anchor).
    ("      keluarga_p3ke: &kolom_keluarga_p3ke\n        judul: Keluarga terdata di P3KE\n",
     "      keluarga_p3ke: &kolom_keluarga_p3ke\n        judul: Keluarga terdata di P3KE\n        judul: Lagi\n",
     r"tabel\.konvergensi_desa\.kolom\.keluarga_p3ke: key 'judul' is written twice \(line \d+\)"),
    # A column written twice in one table.
    ("      tingkat_aturan:\n", "      jumlah_keluarga: {}\n      tingkat_aturan:\n",
     r"tabel\.tumpang_tindih\.kolom: key 'jumlah_keluarga' is written twice"),
    # A table written twice.
    ("  graduasi:\n", "  tumpang_tindih: {}\n  graduasi:\n", r"tabel: key 'tumpang_tindih' is written twice"),
    ("versi: \"2026.12-1\"\n", "versi: [\n", "not valid YAML"),
])
def test_a_key_written_twice_or_broken_yaml_is_refused(tmp_path, old, new, message):
    text = dictionary_path().read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "kamus_data.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(DictionaryError, match=message):
        load_dictionary(path)


def test_the_loader_accepts_a_minimal_entry(tmp_path):
    """Only judul, definisi, satuan, tingkat_akses (and tipe_data for a column) are required."""
    path = tmp_path / "kamus.yaml"
    path.write_text(
        "versi: '1'\ntabel:\n  contoh:\n    judul: Contoh\n    definisi: Tabel contoh.\n    satuan: desa\n"
        "    tingkat_akses: terbatas\n    kolom:\n      jumlah:\n        judul: Jumlah\n        definisi: Banyaknya.\n"
        "        satuan: keluarga\n        tipe_data: bilangan bulat\n        tingkat_akses: terbuka\n",
        encoding="utf-8")
    frame = load_dictionary(path)
    assert frame[["tabel", "kolom", "tingkat_akses", "urutan"]].values.tolist() == [
        ["contoh", "", "terbatas", 1], ["contoh", "jumlah", "terbuka", 2]]
    assert frame["konsep"].isna().all() and set(frame["tingkat_akses"]) <= set(ACCESS_LEVELS)
