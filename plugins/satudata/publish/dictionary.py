"""The data dictionary of the published tables: `include/dictionary/kamus_data.yaml` -> `meta.kamus_data`.

The file documents, in Bahasa Indonesia and after Satu Data Indonesia/BPS metadata practice, every
`mart` table and every column of it (judul, definisi, konsep, satuan, tipe data, sumber, periode,
aturan validasi, tingkat akses). It is checked when read: a key written twice, an unknown key, an empty
judul/definisi/satuan, an unknown tipe_data or tingkat_akses are refused with the entry's name.
`missing_entries` compares it with the live `mart` columns; publication loads it into `meta.kamus_data`
in its own transaction (`load_into_warehouse`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from satudata.config import PROJECT_ROOT

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

TABLE = "meta.kamus_data"
COLUMNS = ("tabel", "kolom", "judul", "definisi", "konsep", "satuan", "tipe_data", "sumber", "periode",
           "aturan_validasi", "tingkat_akses", "urutan")
ACCESS_LEVELS = ("terbuka", "terbatas")
DATA_TYPES = ("teks", "bilangan bulat", "desimal", "boolean", "tanggal")
REQUIRED = ("judul", "definisi", "satuan", "tingkat_akses")
_FIELDS = ("judul", "definisi", "konsep", "satuan", "sumber", "periode", "aturan_validasi", "tingkat_akses")
TABLE_KEYS = frozenset((*_FIELDS, "kolom"))
COLUMN_KEYS = frozenset((*_FIELDS, "tipe_data"))
TOP_KEYS = frozenset(("versi", "tabel"))
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class DictionaryError(ValueError):
    """The dictionary file is malformed; the message names the file, the entry and the key."""


def dictionary_path() -> Path:
    return PROJECT_ROOT / "include" / "dictionary" / "kamus_data.yaml"


def _check_duplicates(node: yaml.Node, where: str, name: str, seen: set[int]) -> None:
    """Refuse a mapping key written twice anywhere (PyYAML would silently keep the last one)."""
    if id(node) in seen:  # an alias of a node already checked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = str(key_node.value)
            if key in keys:
                raise DictionaryError(f"{name}: {where or 'top level'}: key {key!r} is written twice "
                                      f"(line {key_node.start_mark.line + 1})")
            keys.add(key)
            _check_duplicates(value_node, f"{where}.{key}" if where else key, name, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, f"{where}[{i}]", name, seen)


def _read(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _check_duplicates(root, "", path.name, set())
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DictionaryError(f"{path.name}: expected a mapping with `versi` and `tabel` at the top level")
    return data


def _entry(raw: object, where: str, allowed: frozenset[str], is_column: bool) -> dict:
    if not isinstance(raw, dict):
        raise DictionaryError(f"{where}: expected a mapping of {sorted(allowed)}, not {raw!r}")
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise DictionaryError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    entry: dict[str, str | None] = {}
    for key in (*_FIELDS, "tipe_data"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise DictionaryError(f"{where}: `{key}` must be text, not {value!r}")
        entry[key] = (value.strip() or None) if isinstance(value, str) else None
    for key in (*REQUIRED, *(("tipe_data",) if is_column else ())):
        if not entry[key]:
            raise DictionaryError(f"{where}: `{key}` is missing or empty")
    if entry["tingkat_akses"] not in ACCESS_LEVELS:
        raise DictionaryError(f"{where}: `tingkat_akses` must be one of {ACCESS_LEVELS}, "
                              f"not {entry['tingkat_akses']!r}")
    if is_column and entry["tipe_data"] not in DATA_TYPES:
        raise DictionaryError(f"{where}: `tipe_data` must be one of {DATA_TYPES}, not {entry['tipe_data']!r}")
    return entry


def load_dictionary(path: Path | str | None = None) -> pd.DataFrame:
    """The checked dictionary as rows of `meta.kamus_data`: each table (kolom '') then its columns.

    `urutan` follows the file. The file's `versi` is in `frame.attrs["versi"]`.
    """
    path = Path(path) if path is not None else dictionary_path()
    data = _read(path)
    name = path.name
    unknown = sorted(str(k) for k in data if k not in TOP_KEYS)
    if unknown:
        raise DictionaryError(f"{name}: unknown top-level key(s) {unknown}; allowed: {sorted(TOP_KEYS)}")
    version = data.get("versi")
    if not isinstance(version, str) or not version.strip():
        raise DictionaryError(f"{name}: `versi` must be non-empty text, e.g. \"2026.12-1\"")
    tables = data.get("tabel")
    if not isinstance(tables, dict) or not tables:
        raise DictionaryError(f"{name}: `tabel` must map each published table to its entry")
    rows: list[dict] = []
    for table, raw in tables.items():
        where = f"{name}: tabel {table}"
        if not isinstance(table, str) or not _NAME.match(table):
            raise DictionaryError(f"{where}: not a plain table name")
        rows.append({"tabel": table, "kolom": "", **_entry(raw, where, TABLE_KEYS, is_column=False)})
        columns = raw.get("kolom")
        if not isinstance(columns, dict) or not columns:
            raise DictionaryError(f"{where}: `kolom` must map every column of the table to its entry")
        for column, entry in columns.items():
            where = f"{name}: {table}.{column}"
            if not isinstance(column, str) or not _NAME.match(column):
                raise DictionaryError(f"{where}: not a plain column name")
            rows.append({"tabel": table, "kolom": column, **_entry(entry, where, COLUMN_KEYS, is_column=True)})
    frame = pd.DataFrame(rows)
    frame["urutan"] = range(1, len(frame) + 1)
    frame = frame[list(COLUMNS)]
    frame.attrs["versi"] = version.strip()
    return frame


def missing_entries(conn: Connection, dictionary: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Columns of the live `mart` tables the dictionary lacks, and entries for columns `mart` lacks.

    Returns `{'tidak_didokumentasikan': ['tabel.kolom', ...], 'tidak_ada_di_mart': [...]}`, each sorted.
    """
    from satudata.warehouse.engine import read_frame

    dictionary = load_dictionary() if dictionary is None else dictionary
    live = read_frame(conn, "SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = 'mart' AND table_catalog = current_database()")
    in_mart = {f"{t}.{c}" for t, c in zip(live["table_name"], live["column_name"], strict=True)}
    columns = dictionary[dictionary["kolom"] != ""]
    documented = {f"{t}.{c}" for t, c in zip(columns["tabel"], columns["kolom"], strict=True)}
    return {"tidak_didokumentasikan": sorted(in_mart - documented), "tidak_ada_di_mart": sorted(documented - in_mart)}


def load_into_warehouse(conn: Connection, path: Path | str | None = None) -> int:
    """Replace every row of `meta.kamus_data` with the dictionary, in the caller's transaction.

    A mismatch with the live `mart` columns is logged, not fatal: the tests keep the two in step.
    Returns the number of rows written.
    """
    from satudata.warehouse.engine import replace_rows

    dictionary = load_dictionary(path)
    gaps = missing_entries(conn, dictionary)
    if any(gaps.values()):
        log.warning("data dictionary %s and mart differ: %s", dictionary.attrs.get("versi"), gaps)
    written = replace_rows(conn, TABLE, dictionary)
    log.info("data dictionary %s loaded into %s: %d rows", dictionary.attrs.get("versi"), TABLE, written)
    return written
