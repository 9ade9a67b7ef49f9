"""A warehouse's content, table by table: row count and a hash of the rows, the same on both engines.

    fingerprint(url)  ->  {"core.keluarga_terpadu": {"baris": 6899, "sha256": "…"}, ...}

Used to show that a rebuilt, restored or upgraded warehouse holds what the original held. The hash is over
the rows sorted by every column, each value in one text form (numbers as the shortest exact decimal, NULL
as `\\N`), so the physical order and the engine do not matter. Columns that say *when or by which run* a
row was written (timestamp columns, `run_id`) differ between two runs that computed the same thing and are
left out; what they hold is listed in `IGNORED` of the result.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from satudata.warehouse.engine import make_engine, quote_table, read_frame

SCHEMAS = ("staging", "core", "mart")
RUN_COLUMNS = {"run_id"}
_NAME = "table_schema || '.' || table_name"


def tables(conn: Connection, schemas: Iterable[str] = SCHEMAS) -> list[str]:
    wanted = list(schemas)
    rows = conn.execute(sa.text(
        f"SELECT DISTINCT {_NAME} FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        f"AND table_schema IN ({', '.join(f':s{i}' for i in range(len(wanted)))}) ORDER BY 1"),
        {f"s{i}": s for i, s in enumerate(wanted)}).scalars().all()
    return list(rows)


def _columns(conn: Connection, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    return [(c, t.lower()) for c, t in conn.execute(sa.text(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = :s AND table_name = :t "
        "ORDER BY ordinal_position"), {"s": schema, "t": name}).all()]


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    return str(value)


def table_fingerprint(conn: Connection, table: str) -> dict:
    columns = _columns(conn, table)
    kept = [c for c, t in columns if "timestamp" not in t and c not in RUN_COLUMNS]
    ignored = [c for c, _ in columns if c not in kept]
    if not kept:
        count = conn.execute(sa.text(f"SELECT count(*) FROM {quote_table(table)}")).scalar_one()
        return {"baris": int(count), "sha256": hashlib.sha256(str(count).encode()).hexdigest(), "diabaikan": ignored}
    frame = read_frame(conn, f"SELECT {', '.join(kept)} FROM {quote_table(table)}")
    lines = sorted("\t".join(_text(v) for v in row) for row in frame.astype(object).itertuples(index=False))
    digest = hashlib.sha256()
    digest.update(("\t".join(kept) + "\n").encode())
    for line in lines:
        digest.update(line.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return {"baris": len(lines), "sha256": digest.hexdigest(), "diabaikan": ignored}


def fingerprint(url: str, schemas: Iterable[str] = SCHEMAS) -> dict[str, dict]:
    """Row count and content hash of every table of the schemas (sorted by table name)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t: table_fingerprint(conn, t) for t in tables(conn, schemas)}
    finally:
        engine.dispose()


def differences(left: dict[str, dict], right: dict[str, dict]) -> dict[str, str]:
    """Tables whose rows differ between two fingerprints, with what differs."""
    out = {}
    for table in sorted(set(left) | set(right)):
        a, b = left.get(table), right.get(table)
        if a is None or b is None:
            out[table] = "hanya di " + ("kedua" if a is None else "pertama")
        elif a["baris"] != b["baris"]:
            out[table] = f"{a['baris']} != {b['baris']} baris"
        elif a["sha256"] != b["sha256"]:
            out[table] = "isi berbeda"
    return out
