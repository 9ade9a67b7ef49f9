"""Regencies on every core: computed in spawned workers that read a DuckDB file read-only while the calling
process writes each result, in order. DuckDB lets no process open a file another holds read-write, and no
process write a file another reads: both sides must wait for the other, never fail and never hang."""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.warehouse import workers
from satudata.warehouse.engine import make_engine
from satudata.warehouse.workers import each_regency, reading_engine

ITEMS = ["1", "2", "3", "4", "5"]
WRITTEN: list[str] = []  # the order `_write` ran in (it runs in the test's own process)


def _compute(settings: Settings, item: str, hold: float) -> tuple:
    """Reads its row; odd items keep the file open `hold` seconds, so that the writer has to wait for them."""
    engine = reading_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT v FROM t WHERE k = :k"), {"k": item}).scalar_one()
            if int(item) % 2:
                time.sleep(hold)
    finally:
        engine.dispose()
    if item == "4" and os.environ.get("TEST_WORKERS_FAIL"):
        raise RuntimeError("regency 4 failed")
    return item, value * 10, os.getpid(), workers._in_worker


def _write(settings: Settings, result: tuple) -> tuple:
    """Writes one result, keeping the file read-write a while: the workers' reads have to wait for it."""
    item, value, pid, in_worker = result
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO hasil VALUES (:k, :v)"), {"k": item, "v": value})
            time.sleep(0.3)
    finally:
        engine.dispose()
    WRITTEN.append(item)
    return pid, in_worker


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (k VARCHAR, v INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES " + ", ".join(f"('{k}', {k})" for k in ITEMS)))
        conn.execute(sa.text("CREATE TABLE hasil (k VARCHAR, v INTEGER)"))
    engine.dispose()
    # A regression must fail, not hang: workers (spawned, they read the environment) give up after 60 s.
    monkeypatch.setenv("SATUDATA_DUCKDB_LOCK_WAIT", "60")
    monkeypatch.setenv("SATUDATA_WORKERS", "2")
    WRITTEN.clear()
    return Settings(data_dir=tmp_path / "data", warehouse_url=url)


def _written(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT k, v FROM hasil")).all())
    finally:
        engine.dispose()


def test_workers_read_while_this_process_writes_in_order(settings, monkeypatch):
    monkeypatch.setattr(workers, "MIN_ROWS", 10)
    started = time.perf_counter()
    results = each_regency(_compute, ITEMS, _write, settings, 1.0, rows=100)
    assert list(results) == ITEMS, "returned in the order given"
    assert sorted(WRITTEN) == ITEMS and WRITTEN.index("2") < WRITTEN.index("1"), "written as they finished"
    pids = {pid for pid, _ in results.values()}
    assert os.getpid() not in pids and len(pids) == 2, "computed in two worker processes"
    assert all(in_worker for _, in_worker in results.values()), "workers open the file read-only"
    assert _written(settings) == {k: int(k) * 10 for k in ITEMS}
    assert time.perf_counter() - started < 60, "nobody waited out the lock timeout"


def test_a_failing_regency_stops_the_run_and_what_came_before_stays_written(settings, monkeypatch):
    monkeypatch.setattr(workers, "MIN_ROWS", 10)
    monkeypatch.setenv("TEST_WORKERS_FAIL", "1")
    with pytest.raises(RuntimeError, match="regency 4 failed"):
        each_regency(_compute, ITEMS, _write, settings, 0.2, rows=100)
    # what computed before or beside 4 is written (5 too, if it started before 4's failure came back)
    assert {"1", "2", "3"} <= set(WRITTEN) and "4" not in WRITTEN
    assert set(_written(settings)) == set(WRITTEN)


def test_small_runs_and_one_worker_stay_in_this_process(settings, monkeypatch):
    results = each_regency(_compute, ITEMS, _write, settings, 0.0, rows=workers.MIN_ROWS - 1)
    assert {pid for pid, _ in results.values()} == {os.getpid()}
    assert not any(in_worker for _, in_worker in results.values())
    monkeypatch.setenv("SATUDATA_WORKERS", "1")
    results = each_regency(_compute, ITEMS, _write, settings, 0.0)
    assert {pid for pid, _ in results.values()} == {os.getpid()}


def test_a_file_this_process_holds_open_is_computed_here_instead_of_waiting_forever(settings, monkeypatch, caplog):
    monkeypatch.setattr(workers, "MIN_ROWS", 10)
    holder = make_engine(settings.warehouse_url)
    with holder.connect() as conn:  # the pooled connection keeps the file open read-write after the block
        conn.execute(sa.text("SELECT 1"))
    try:
        with caplog.at_level(logging.WARNING, logger="satudata.warehouse.workers"):
            results = each_regency(_compute, ITEMS, _write, settings, 0.0, rows=100)
    finally:
        holder.dispose()
    assert {pid for pid, _ in results.values()} == {os.getpid()}
    assert "held open by this process" in caplog.text
    assert _written(settings) == {k: int(k) * 10 for k in ITEMS}


def test_worker_count_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SATUDATA_WORKERS", "3")
    assert workers.worker_count() == 3
    monkeypatch.delenv("SATUDATA_WORKERS")
    assert workers.worker_count() == min(2, os.cpu_count() or 1)
    monkeypatch.setenv("SATUDATA_WORKERS", "0")
    with pytest.raises(ValueError, match="SATUDATA_WORKERS"):
        workers.worker_count()


def test_an_in_memory_warehouse_is_never_shared():
    assert not workers._shareable("duckdb:///:memory:")
    assert workers._shareable("postgresql+psycopg://x@localhost/db")


def _group(settings: Settings, group: str) -> str:
    """A group of work that writes nothing; group "die" ends its worker process the way the OOM killer does."""
    if group == "die":
        time.sleep(0.5)
        os._exit(9)
    return f"{group} done in {os.getpid()}"


def test_a_worker_that_dies_is_said_with_what_had_finished(settings):
    with pytest.raises(workers.WorkerDied) as died:
        workers.each_group_writing(_group, ["a", "die", "b", "c"], settings, workers=2)
    finished = died.value.finished
    assert len(finished) == 4 and finished[1] is None, "the group whose worker died has no result"
    assert all(r is None or r.startswith(g) for g, r in zip("a?bc", finished, strict=True))
    assert "a worker process died" in str(died.value)


# ------------------------------------------------------------------------------------- scheduling by memory

NEED = {"a": 80, "b": 60, "c": 15, "d": 10, "e": 150}  # bytes one item holds while computed; the bound is 100


def _in_threads(order: list[str], work, workers_: int = 2) -> tuple[dict, list[set]]:
    """`_schedule` over a thread pool: what each start saw running beside it."""
    running, seen, lock = set(), [], threading.Lock()

    def run(item: str) -> str:
        with lock:
            running.add(item)
            seen.append(set(running))
        try:
            return work(item)
        finally:
            with lock:
                running.discard(item)

    with ThreadPoolExecutor(workers_) as pool:
        written = workers._schedule(order, NEED, workers_, lambda item: pool.submit(run, item), lambda r: r)
    return written, seen


def test_items_run_side_by_side_only_while_their_memory_fits_the_bound(monkeypatch):
    monkeypatch.setenv("SATUDATA_WORKER_MEMORY", "100B")
    order = sorted(NEED, key=lambda k: -NEED[k])  # e, a, b, c, d: largest first
    written, seen = _in_threads(order, lambda item: (time.sleep(0.05 + NEED[item] / 250), item)[1])
    assert written == {k: k for k in NEED}, "all of them written"
    assert seen[0] == {"e"}, "the largest first, and alone: it is larger than the bound"
    for together in seen:
        assert len(together) == 1 or sum(NEED[i] for i in together) <= 100, together
    assert any(len(together) == 2 for together in seen), "small items run beside a large one where they fit"


def test_after_a_failure_nothing_new_starts_and_what_was_computing_is_written(monkeypatch):
    monkeypatch.setenv("SATUDATA_WORKER_MEMORY", "1KB")
    order, written, futures = ["e", "a", "b", "c", "d"], [], {}

    def work(item: str) -> str:
        if item == "b":
            raise RuntimeError("b failed")
        if item == "a":  # a is still computing when b fails, and ends only once b's failure is known
            while "b" not in futures or not futures["b"].done():
                time.sleep(0.01)
        return item

    def write(result: str) -> str:
        written.append(result)
        return result

    def submit(pool, item: str):
        futures[item] = pool.submit(work, item)
        return futures[item]

    with ThreadPoolExecutor(2) as pool, pytest.raises(RuntimeError, match="b failed"):
        workers._schedule(order, NEED, 2, lambda item: submit(pool, item), write)
    assert written == ["e", "a"], "a, computing when b failed, is written; c and d never start"


def test_worker_memory_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SATUDATA_WORKER_MEMORY", "2.5GiB")
    assert workers.worker_memory() == int(2.5 * 2**30)
    monkeypatch.setenv("SATUDATA_WORKER_MEMORY", "1500MB")
    assert workers.worker_memory() == 1_500_000_000
    monkeypatch.delenv("SATUDATA_WORKER_MEMORY")
    assert workers.worker_memory() is None, "no bound unless one is set"
    for wrong in ("lots", "3 parsecs", "-1GB", "0"):
        monkeypatch.setenv("SATUDATA_WORKER_MEMORY", wrong)
        with pytest.raises(ValueError, match="SATUDATA_WORKER_MEMORY"):
            workers.worker_memory()


def test_workers_within_a_memory_bound_compute_and_write_every_regency(settings, monkeypatch):
    monkeypatch.setattr(workers, "MIN_ROWS", 10)
    monkeypatch.setenv("SATUDATA_WORKER_MEMORY", "100B")
    sizes = {"1": 10, "2": 90, "3": 30, "4": 50, "5": 5}
    results = each_regency(_compute, ITEMS, _write, settings, 0.0, sizes=sizes, row_bytes=1)
    assert list(results) == ITEMS and sorted(WRITTEN) == ITEMS, "returned in the order given"
    assert len({pid for pid, _ in results.values()} - {os.getpid()}) == 2
    assert _written(settings) == {k: int(k) * 10 for k in ITEMS}


def test_sizes_are_summed_over_their_tables_and_the_largest_goes_first(settings):
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE u (kode_kab VARCHAR)"))
            conn.execute(sa.text("INSERT INTO u VALUES ('5201'), ('5202'), ('5202'), ('5203')"))
            conn.execute(sa.text("CREATE TABLE w (kode_kab VARCHAR, p VARCHAR)"))
            conn.execute(sa.text("INSERT INTO w VALUES ('5201', 'a'), ('5201', 'a'), ('5201', 'b'), ('5204', 'a')"))
            sizes = workers.rows_per_regency(conn, ["SELECT kode_kab, count(*) FROM u GROUP BY kode_kab",
                                                    "SELECT kode_kab, count(*) FROM w WHERE p = :p GROUP BY kode_kab"],
                                             {"p": "a"})
    finally:
        engine.dispose()
    assert sizes == {"5201": 3, "5202": 2, "5203": 1, "5204": 1}
    assert workers.largest_first(["5203", "5204", "5202", "5201", "5299"], sizes) == [
        "5201", "5202", "5203", "5204", "5299"]  # equals keep their order; an unknown one counts as empty


def test_the_dags_regency_lists_put_the_largest_first(monkeypatch, tmp_path):
    """Airflow maps link, build and recipients over these lists in their order."""
    from satudata import pipeline
    from satudata.harmonise import run as harmonise_run
    from satudata.konvergensi import run as konvergensi_run

    settings = Settings(data_dir=tmp_path, warehouse_url="duckdb:///:memory:")
    sizes = {"5201": 10, "5202": 300, "5203": 20}
    for module in (harmonise_run, konvergensi_run):
        monkeypatch.setattr(module, "regencies_and_sizes", lambda _s, _p: (sorted(sizes), sizes))
    monkeypatch.setattr(konvergensi_run, "list_regencies", lambda _s, _p, harmonised_only=False: sorted(sizes))
    assert pipeline.harmonise_regencies("2026-11", settings) == ["5202", "5203", "5201"]
    assert pipeline.konvergensi_regencies("2026-11", settings=settings) == ["5202", "5203", "5201"]
