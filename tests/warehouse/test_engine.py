"""Warehouse schema by migrations and the native bulk path, on real DuckDB and real PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.warehouse.bootstrap import init_warehouse
from satudata.warehouse.engine import SCHEMAS, bulk_insert, make_engine, read_frame, replace_rows
from satudata.warehouse.migrate import current_revision, downgrade, head_revision, upgrade


def _schemas(engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT schema_name FROM information_schema.schemata")).scalars()
        return set(rows)


def _tables(engine, schema: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
        ).scalars()
        return set(rows)


def test_init_db_builds_schemas_and_loads_reference(empty_warehouse_url):
    result = init_warehouse(empty_warehouse_url)
    assert result.revision == head_revision()
    assert result.reference_rows["wilayah"] > 90_000
    assert result.reference_rows["penduduk_kabupaten"] == 514
    assert result.reference_rows["program"] >= 7

    engine = make_engine(empty_warehouse_url)
    try:
        assert set(SCHEMAS) <= _schemas(engine)
        assert {"wilayah", "penduduk_kabupaten", "program"} <= _tables(engine, "core")
        assert {"alembic_version", "reference_load"} <= _tables(engine, "meta")
        with engine.connect() as conn:
            by_level = dict(
                conn.execute(
                    sa.text(
                        "SELECT tingkat, count(*) FROM core.wilayah WHERE ada_2025 AND kode_provinsi = '52' "
                        "GROUP BY tingkat"
                    )
                ).all()
            )
            dompu = conn.execute(
                sa.text("SELECT nama, kode_bertitik, kode_induk, tingkat FROM core.wilayah WHERE kode = '5205'")
            ).one()
        assert by_level == {"provinsi": 1, "kabupaten": 10, "kecamatan": 117, "desa": 1166}
        assert tuple(dompu) == ("Kabupaten Dompu", "52.05", "52", "kabupaten")
    finally:
        engine.dispose()

    # Idempotent: a second run changes nothing and reloads nothing.
    again = init_warehouse(empty_warehouse_url)
    assert again.revision == result.revision
    assert set(again.reference_rows.values()) == {0}


def test_migrations_downgrade_and_upgrade_again(empty_warehouse_url):
    engine = make_engine(empty_warehouse_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        assert downgrade(engine, "base") is None
        assert "wilayah" not in _tables(engine, "core")
        assert upgrade(engine) == head_revision()
        assert "wilayah" in _tables(engine, "core")
    finally:
        engine.dispose()


def test_bulk_insert_keeps_nulls_empty_strings_and_unicode(empty_warehouse_url):
    engine = make_engine(empty_warehouse_url)
    frame = pd.DataFrame(
        {
            "nik": ["5205014507890001", None, ""],
            "nama": ["Baiq Nurul 'Aini", "Lalu Muhammad, S.Pd", 'Inaq "Rumenah"\nbaris dua'],
            "umur": pd.array([34, None, 70], dtype="Int64"),
        }
    )
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS staging"))
            conn.execute(sa.text("CREATE TABLE staging.t (nik VARCHAR(16), nama TEXT, umur INTEGER)"))
            assert bulk_insert(conn, "staging.t", frame) == 3
        with engine.connect() as conn:
            back = read_frame(conn, "SELECT nik, nama, umur FROM staging.t ORDER BY nama")
        expected = frame.sort_values("nama", ignore_index=True)
        assert back["nama"].tolist() == expected["nama"].tolist()
        assert back["nik"].tolist()[0] == "5205014507890001"
        assert back.loc[back["nama"].str.startswith("Lalu"), "nik"].isna().all()
        assert back.loc[back["nama"].str.startswith("Inaq"), "nik"].tolist() == [""]
        assert back["umur"].isna().sum() == 1

        # replace_rows swaps the content in one transaction.
        with engine.begin() as conn:
            replace_rows(conn, "staging.t", frame.head(1), where="nik = :n", params={"n": "5205014507890001"})
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM staging.t")).scalar_one() == 3
    finally:
        engine.dispose()


@pytest.mark.parametrize("bad", ["staging", "staging.t; DROP TABLE x", "Staging.T", "a.b.c"])
def test_table_names_are_validated(bad, fresh_duckdb_url):
    engine = make_engine(fresh_duckdb_url)
    with engine.begin() as conn, pytest.raises(ValueError):
        bulk_insert(conn, bad, pd.DataFrame({"a": [1]}))
    engine.dispose()


@pytest.mark.postgres
def test_runs_starting_together_prepare_the_warehouse_one_at_a_time(pg_warehouse_url):
    """Every DAG run starts with init_warehouse; runs of several provinces start together, beside ANALYZE.

    Re-applying grants and policies each time took ACCESS EXCLUSIVE locks and failed with "deadlock
    detected" or "tuple concurrently updated"; now an initialised warehouse is left as it is and
    concurrent inits queue on an advisory lock.
    """
    import threading

    from satudata.warehouse.access import access_in_place, apply_access_control

    engine = make_engine(pg_warehouse_url)
    with engine.begin() as conn:
        assert access_in_place(conn)
        assert apply_access_control(conn)["applied"] is False

    errors: list[BaseException] = []
    stop = threading.Event()

    def analyze_loop() -> None:
        with engine.connect() as conn:
            while not stop.is_set():
                conn.execute(sa.text("ANALYZE"))
                conn.commit()

    def init() -> None:
        try:
            init_warehouse(pg_warehouse_url)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    analyzer = threading.Thread(target=analyze_loop)
    analyzer.start()
    try:
        workers = [threading.Thread(target=init) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        stop.set()
        analyzer.join(timeout=60)
    assert not errors, errors

    # A core table added later (as by a new migration) is not "in place" until it gets its policies.
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE core.uji_baru (kode_kab varchar(4), nilai int)"))
        assert not access_in_place(conn)
    init_warehouse(pg_warehouse_url)
    with engine.connect() as conn:
        assert access_in_place(conn)
        policies = conn.execute(sa.text("SELECT count(*) FROM pg_policies WHERE schemaname = 'core' "
                                        "AND tablename = 'uji_baru'")).scalar()
    engine.dispose()
    assert policies == 2


def test_a_failed_statement_does_not_say_its_parameters(empty_warehouse_url):
    """A failed statement's error reaches logs and the failure webhook: the NIK it was given is not in it."""
    engine = make_engine(empty_warehouse_url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as failed, engine.connect() as conn:
            conn.execute(sa.text("SELECT nik FROM no_such_table WHERE nik = :nik"), {"nik": "5205011001200480"})
    finally:
        engine.dispose()
    assert "no_such_table" in str(failed.value)
    assert "5205011001200480" not in str(failed.value) and "hidden" in str(failed.value)
