"""The per-regency mapped stages on a real Celery worker: 1 worker process against 2.

    python -m benchmarks.bench_celery [--scale 0.05] [--province 52] [--concurrency 1 2] [--keep]
    python -m benchmarks.bench_celery nik-pass [--rows 10000000]

Setup (not timed by the comparison): a generated province in a fresh PostgreSQL warehouse, ingested
in this process (`ingest_once`). Then the Airflow deployment of the `celery` profile of
docker-compose.yaml runs as local subprocesses (`satudata_dev.celery_local`): api-server, scheduler,
dag-processor, a PostgreSQL metadata database and result backend, a Redis database of its own as the
broker. For each concurrency N, one `airflow celery worker --concurrency N` is started, and
`satudata_harmonise` then `satudata_konvergensi` are triggered for the period through the REST API.
The warehouse pool has max(N) slots, so the pool never is what limits the workers.

For every mapped per-regency task (`link_regency`, `build_regency`, `match_recipients`,
`write_action_list`) the times come from Airflow's own task instances: stage wall time = first start to
last end of its mapped instances, the sum of their durations, and the most that ran at once. The
one-task stages between them (`link_province`, `build_indicators`) are shown too: more worker processes
cannot make them faster. The DAG
run's wall time is beside them. Every run replaces the rows it owns for the period, so the runs with
1 and 2 processes see the same data. Figures are printed; nothing is asserted.

The machine's cores are shared by the worker's processes and by the scheduler, api-server,
dag-processor, PostgreSQL and Redis; DuckDB inside a linkage task uses several threads of its own.
Beside each run the machine's busy CPU share (from /proc/stat) shows whether anything else ran.

`build_indicators` ANALYZEs the tables the mapped tasks have just filled before its SQL runs (with
stale statistics PostgreSQL chose nested loops: over 10 minutes instead of seconds at 5 %), and the
development PostgreSQL runs with `autovacuum = off`, so nothing else is needed. `--analyze-every S`
adds what autovacuum's autoanalyze would do, an `ANALYZE` of the warehouse every S seconds that gives
way to locks (`lock_timeout` 100 ms), to show the runs are not disturbed by it.

`nik-pass` times the country-wide NIK pass of docs/scaling.md on synthetic rows in a scratch PostgreSQL
database: people spread over the 38 provinces, one row in 199 sharing its NIK with a person of another
province. It loads them, builds the partial index on (periode, nik), then finds the NIKs held in two
provinces twice: as a self-join (pairs) and as a GROUP BY (one row per NIK); then only the people of
one province, and of one regency, against the rest of the country (the index serves the small one).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ADMIN_URL = os.environ.get("SATUDATA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PERIODE = "2026-11"
STAGES = {  # the mapped per-regency tasks, and the one-task stages between them (for comparison)
    "satudata_harmonise": ("link_regency", "link_province", "build_regency"),
    "satudata_konvergensi": ("match_recipients", "build_indicators", "write_action_list"),
}


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in ("splink", "great_expectations", "alembic", "satudata"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    running = best = 0
    for _, step in events:
        running += step
        best = max(best, running)
    return best


def stage_figures(tis: list[dict], task_id: str) -> dict:
    mapped = [t for t in tis if t["task_id"] == task_id and t["start_date"] and t["end_date"]]
    spans = [(_ts(t["start_date"]), _ts(t["end_date"])) for t in mapped]
    if not spans:
        return {"task": task_id, "instances": 0}
    return {
        "task": task_id,
        "instances": len(mapped),
        "states": sorted({t["state"] for t in mapped}),
        "wall_s": round((max(e for _, e in spans) - min(s for s, _ in spans)).total_seconds(), 1),
        "sum_s": round(sum((e - s).total_seconds() for s, e in spans), 1),
        "longest_s": round(max((e - s).total_seconds() for s, e in spans), 1),
        "most_at_once": most_at_once(spans),
        "workers": sorted({t["hostname"] for t in mapped}),
    }


def cpu_counters() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class Analyzer(threading.Thread):
    """`ANALYZE` of the warehouse every few seconds: autovacuum's autoanalyze, where the server has it off."""

    def __init__(self, url: str, every: float):
        super().__init__(daemon=True)
        self.url, self.every, self.done, self.count, self.gave_way = url, every, threading.Event(), 0, 0

    def run(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            while not self.done.wait(self.every):
                try:
                    with engine.connect() as conn:
                        # Give way to DDL as autovacuum does; never be the other side of a deadlock.
                        conn.execute(sa.text("SET lock_timeout = '100ms'"))
                        conn.execute(sa.text("ANALYZE"))
                    self.count += 1
                except sa.exc.OperationalError as exc:
                    self.gave_way += 1
                    logging.getLogger(__name__).info("ANALYZE gave way: %s", str(exc).splitlines()[0])
        finally:
            engine.dispose()

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=60)


def autovacuum_on(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SHOW autovacuum")).scalar_one() == "on"
    finally:
        engine.dispose()


def prepare_warehouse(workdir: Path, scale: float, province: str) -> tuple[str, Path, dict]:
    """Generate, then ingest into a fresh PostgreSQL warehouse; the data size of the period."""
    from satudata.config import Settings
    from satudata.intake.run import IntakeOptions, ingest_once
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata_dev.celery_local import create_database
    from satudata_dev.generate import generate_province

    from benchmarks.bench_konvergensi import _count

    url = create_database(ADMIN_URL, "satudata_bench_celery")
    settings = Settings(data_dir=workdir / "data", warehouse_url=url)
    settings.ensure_folders()
    init_warehouse(url)
    t0 = time.perf_counter()
    generate_province(settings.data_dir, province=province, scale=scale, seed=2026, period=PERIODE, workers=2)
    t1 = time.perf_counter()
    ingest_once(settings, options=IntakeOptions(stable_seconds=0))
    t2 = time.perf_counter()
    size = {
        "dtks_people": _count(url, "SELECT count(*) FROM staging.dtks WHERE aktif AND periode = :p", PERIODE),
        "p3ke_people": _count(url, "SELECT count(*) FROM staging.p3ke_anggota WHERE aktif AND periode = :p", PERIODE),
        "recipient_rows": _count(url, "SELECT count(*) FROM staging.intervensi WHERE aktif AND periode = :p", PERIODE),
        "regencies": _count(url, "SELECT count(DISTINCT kode_kab) FROM staging.dtks WHERE aktif AND periode = :p",
                            PERIODE),
        "seconds_generate": round(t1 - t0, 1),
        "seconds_ingest": round(t2 - t1, 1),
    }
    return url, settings.data_dir, size


def run_dag(cluster, dag_id: str, timeout: float) -> dict:
    """Unpause, trigger for the period, wait, pause again (so that no Asset event starts another run)."""
    cluster.unpause(dag_id)
    busy0, total0 = cpu_counters()
    load = os.getloadavg()[0]
    run_id = cluster.trigger(dag_id, {"periode": PERIODE})
    state = cluster.wait_run(dag_id, run_id, timeout=timeout)
    busy1, total1 = cpu_counters()
    cluster.pause(dag_id)
    run = cluster.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
    tis = cluster.task_instances(dag_id, run_id)
    wall = (_ts(run["end_date"]) - _ts(run["start_date"])).total_seconds()
    return {"dag_id": dag_id, "run_id": run_id, "state": state, "run_wall_s": round(wall, 1),
            "machine_busy_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1)), "load1_before": round(load, 1),
            "stages": [stage_figures(tis, task) for task in STAGES[dag_id]]}


def benchmark(scale: float, province: str, concurrencies: list[int], keep: bool, timeout: float,
              analyze_every: float) -> dict:
    from satudata_dev.celery_local import (
        CeleryCluster,
        claim_redis_db,
        create_database,
        drop_database,
        release_redis_db,
        with_driver,
    )

    workdir = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    warehouse_url, data_dir, size = prepare_warehouse(workdir, scale, province)
    metadata_url = create_database(ADMIN_URL, "satudata_bench_airflow")
    _, broker_url = claim_redis_db()
    cluster = CeleryCluster.create(
        workdir / "airflow",
        metadata_url=with_driver(metadata_url, "psycopg2"),
        broker_url=broker_url,
        extra_env={"SATUDATA_WAREHOUSE_URL": warehouse_url, "SATUDATA_DATA_DIR": str(data_dir),
                   "SATUDATA_TASK_RETRIES": "0"},
    )
    runs = []
    autovacuum = autovacuum_on(warehouse_url)
    analyzer = Analyzer(warehouse_url, analyze_every) if analyze_every > 0 else None
    try:
        if analyzer:
            analyzer.start()
        t0 = time.perf_counter()
        cluster.migrate(pool_slots=max(concurrencies))
        cluster.start_core()
        for dag_id in STAGES:
            cluster.wait_dag(dag_id)
        startup = round(time.perf_counter() - t0, 1)
        for n in concurrencies:
            name = f"bench-worker-c{n}"
            cluster.start_worker(name, concurrency=n)
            for dag_id in STAGES:
                result = run_dag(cluster, dag_id, timeout)
                result["concurrency"] = n
                runs.append(result)
                print(f"  concurrency {n}: {dag_id} {result['state']} in {result['run_wall_s']} s", file=sys.stderr,
                      flush=True)
                if result["state"] != "success":
                    raise RuntimeError(f"{dag_id} failed with concurrency {n}:\n{cluster.tails(60)}\n"
                                       f"{cluster.failed_task_logs(dag_id, result['run_id'])}")
            cluster.stop(name)
    finally:
        if analyzer:
            analyzer.stop()
        cluster.stop_all()
        release_redis_db(broker_url)
        if not keep:
            drop_database(ADMIN_URL, metadata_url)
            drop_database(ADMIN_URL, warehouse_url)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: {workdir}, warehouse {warehouse_url}, metadata {metadata_url}", file=sys.stderr)
    return {"scale": scale, "province": province, "size": size, "cluster_startup_s": startup, "runs": runs,
            "autovacuum": autovacuum, "analyze_every_s": analyze_every, "analyzes": analyzer.count if analyzer else 0,
            "analyzes_gave_way": analyzer.gave_way if analyzer else 0,
            "cpus": os.cpu_count()}


def report(result: dict) -> str:
    size = result["size"]
    people = size["dtks_people"] + size["p3ke_people"]
    analyze = f"PostgreSQL warehouse (autovacuum {'on' if result['autovacuum'] else 'off'}"
    if result["analyze_every_s"]:
        analyze += (f": ANALYZE every {result['analyze_every_s']:g} s, {result['analyzes']} times, "
                    f"gave way {result['analyzes_gave_way']} times")
    analyze += ")"
    lines = [
        (f"province {result['province']} at scale {result['scale']}: {size['regencies']} regencies, "
        f"{size['dtks_people']:,} DTKS + {size['p3ke_people']:,} P3KE people ({people:,}), "
        f"{size['recipient_rows']:,} recipient-list rows"),
        (f"  setup (not compared): generate {size['seconds_generate']} s, ingest {size['seconds_ingest']} s; "
        f"Airflow migrate + api-server/scheduler/dag-processor up and DAGs parsed {result['cluster_startup_s']} s"),
        f"  one Celery worker, `--concurrency N` processes, on {result['cpus']} cores; {analyze}; broker Redis",
        "",
        (f"  {'N':>2}  {'DAG / mapped task':<34} {'inst':>4} {'wall s':>7} {'sum s':>7} {'longest':>7} "
        f"{'at once':>7}  {'rows/s (wall)':>13}"),
    ]
    rows_for = {"link_regency": people, "link_province": people, "build_regency": people,
                "match_recipients": size["recipient_rows"], "build_indicators": None, "write_action_list": None}
    for run in result["runs"]:
        lines.append(f"  {run['concurrency']:>2}  {run['dag_id'] + ' (whole run)':<34} {'':>4} {run['run_wall_s']:>7}"
                     f"   machine busy {run['machine_busy_pct']} %, load {run['load1_before']} before")
        for st in run["stages"]:
            if not st.get("instances"):
                continue
            rows = rows_for.get(st["task"])
            rate = f"{rows / st['wall_s']:,.0f}" if rows and st["wall_s"] else "-"
            lines.append(f"  {run['concurrency']:>2}    {st['task']:<32} {st['instances']:>4} {st['wall_s']:>7} "
                         f"{st['sum_s']:>7} {st['longest_s']:>7} {st['most_at_once']:>7}  {rate:>13}")
    by = {(r["concurrency"], s["task"]): s for r in result["runs"] for s in r["stages"] if s.get("instances")}
    ns = sorted({r["concurrency"] for r in result["runs"]})
    if len(ns) >= 2:
        lines.append("")
        base = ns[0]
        for n in ns[1:]:
            parts = []
            for task in [t for tasks in STAGES.values() for t in tasks]:
                if (base, task) in by and (n, task) in by and by[(n, task)]["wall_s"]:
                    parts.append(f"{task} x{by[(base, task)]['wall_s'] / by[(n, task)]['wall_s']:.2f}")
            lines.append(f"  speed-up of the stage wall time, {n} processes vs {base}: " + ", ".join(parts))
    lines.append("")
    lines.append(json.dumps(result, default=str))
    return "\n".join(lines)


NIK_PASS_JOIN = """
SELECT a.nik, a.kode_kab AS kode_kab_a, a.id_individu AS id_a, b.kode_kab AS kode_kab_b, b.id_individu AS id_b
FROM core.individu_terpadu a
JOIN core.individu_terpadu b
  ON b.periode = a.periode AND b.nik = a.nik AND left(b.kode_kab, 2) > left(a.kode_kab, 2)
WHERE a.periode = :p AND a.nik_dipercaya AND b.nik_dipercaya
"""
# When one province's (or one regency's) run has finished: only its people, against the rest of the country.
NIK_PASS_INCREMENTAL = """
SELECT a.nik, a.kode_kab AS kode_kab_a, a.id_individu AS id_a, b.kode_kab AS kode_kab_b, b.id_individu AS id_b
FROM core.individu_terpadu a
JOIN core.individu_terpadu b
  ON b.periode = a.periode AND b.nik = a.nik AND b.nik_dipercaya AND left(b.kode_kab, 2) <> left(:wilayah, 2)
WHERE a.periode = :p AND a.nik_dipercaya AND a.kode_kab LIKE :wilayah || '%'
"""
NIK_PASS_GROUP = """
SELECT nik, array_agg(kode_kab || ':' || id_individu ORDER BY kode_kab) AS records
FROM core.individu_terpadu
WHERE periode = :p AND nik_dipercaya
GROUP BY nik
HAVING count(DISTINCT left(kode_kab, 2)) > 1
"""


def nik_pass(rows: int) -> dict:
    """The country-wide NIK pass on `rows` synthetic people in a scratch database (dropped afterwards)."""
    import sqlalchemy as sa
    from satudata.config import reference_dir
    from satudata_dev.celery_local import create_database, drop_database

    with (reference_dir() / "penduduk_kab_kota_2025.csv").open(encoding="utf-8") as handle:
        provinces = sorted({line.split(",")[0] for line in handle.readlines()[1:] if len(line.split(",")[0]) == 2})
    url = create_database(ADMIN_URL, "satudata_bench_nik")
    engine = sa.create_engine(url)
    timings: dict = {"rows": rows, "provinces": len(provinces)}
    try:
        with engine.begin() as conn:
            settings = {k: conn.execute(sa.text(f"SHOW {k}")).scalar_one()
                        for k in ("shared_buffers", "work_mem", "maintenance_work_mem",
                                  "max_parallel_workers_per_gather")}
            timings["postgresql"] = {"version": conn.execute(sa.text("SHOW server_version")).scalar_one(), **settings}
            conn.execute(sa.text("CREATE SCHEMA core"))
            conn.execute(sa.text("CREATE TABLE core.individu_terpadu (periode varchar(7) NOT NULL, "
                                 "kode_kab varchar(4) NOT NULL, id_individu text NOT NULL, nik text, "
                                 "nik_dipercaya boolean NOT NULL)"))
        t0 = time.perf_counter()
        with engine.begin() as conn:
            # Row g lives in province provinces[g % 38]; every 199th row takes the NIK of row g - 1,
            # which is always in another province.
            conn.execute(sa.text(
                "INSERT INTO core.individu_terpadu "
                "SELECT '2026-11', (CAST(:provs AS text[]))[1 + g % :n] || lpad((1 + (g / :n) % 20)::text, 2, '0'), 'dtks:' || g, "
                "       lpad((CASE WHEN g % 199 = 0 THEN g - 1 ELSE g END)::text, 16, '0'), true "
                "FROM generate_series(1, :rows) AS g"), {"provs": provinces, "n": len(provinces), "rows": rows})
        t1 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
            conn.execute(sa.text("CREATE INDEX ix_individu_terpadu_nik ON core.individu_terpadu (periode, nik) "
                                 "WHERE nik_dipercaya"))
            conn.execute(sa.text("ANALYZE core.individu_terpadu"))
        t2 = time.perf_counter()
        with engine.begin() as conn:
            pairs = conn.execute(sa.text(f"SELECT count(*) FROM ({NIK_PASS_JOIN}) x"), {"p": "2026-11"}).scalar_one()
            plan = conn.execute(sa.text(f"EXPLAIN {NIK_PASS_JOIN}"), {"p": "2026-11"}).scalars().all()
        t3 = time.perf_counter()
        with engine.begin() as conn:
            niks = conn.execute(sa.text(f"SELECT count(*) FROM ({NIK_PASS_GROUP}) x"), {"p": "2026-11"}).scalar_one()
        t4 = time.perf_counter()
        for wilayah, label in (("52", "province"), ("5201", "regency")):
            t = time.perf_counter()
            with engine.begin() as conn:
                found = conn.execute(sa.text(f"SELECT count(*) FROM ({NIK_PASS_INCREMENTAL}) x"),
                                     {"p": "2026-11", "wilayah": wilayah}).scalar_one()
                plan_one = conn.execute(sa.text(f"EXPLAIN {NIK_PASS_INCREMENTAL}"),
                                        {"p": "2026-11", "wilayah": wilayah}).scalars().all()
            timings[f"one_{label}"] = {"wilayah": wilayah, "seconds": round(time.perf_counter() - t, 2),
                                       "pairs": found, "plan": [line.strip() for line in plan_one[:4]]}
        timings.update({
            "seconds_load": round(t1 - t0, 1), "seconds_index": round(t2 - t1, 1),
            "seconds_join": round(t3 - t2, 1), "pairs": pairs, "join_plan": [p.strip() for p in plan[:6]],
            "seconds_group_by": round(t4 - t3, 1), "niks_in_two_provinces": niks,
        })
    finally:
        engine.dispose()
        drop_database(ADMIN_URL, url)
    return timings


def report_nik_pass(r: dict) -> str:
    per_m = 1_000_000 / r["rows"]
    pg = r["postgresql"]
    return "\n".join([
        (f"country-wide NIK pass, {r['rows']:,} synthetic people in {r['provinces']} provinces "
        f"(PostgreSQL {pg['version']}, shared_buffers {pg['shared_buffers']}, work_mem {pg['work_mem']}, "
        f"{pg['max_parallel_workers_per_gather']} parallel workers per gather)"),
        f"  load (INSERT ... generate_series)   {r['seconds_load']:>7} s",
        f"  index (periode, nik) + ANALYZE       {r['seconds_index']:>7} s",
        (f"  self-join, whole period -> pairs     {r['seconds_join']:>7} s   {r['pairs']:,} pairs "
        f"({r['seconds_join'] * per_m:.2f} s per million people)"),
        (f"  GROUP BY nik HAVING 2+ provinces     {r['seconds_group_by']:>7} s   {r['niks_in_two_provinces']:,} NIKs "
        f"({r['seconds_group_by'] * per_m:.2f} s per million people)"),
        *[f"  {label + ' ' + r[key]['wilayah'] + ' against the rest':<36}{r[key]['seconds']:>7} s   "
          f"{r[key]['pairs']:,} pairs; plan: " + " | ".join(r[key]["plan"][:3])
          for key, label in (("one_province", "province"), ("one_regency", "regency"))],
        "  plan of the full join: " + " | ".join(r["join_plan"][:4]),
        "",
        json.dumps(r),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", choices=["celery", "nik-pass"], default="celery")
    parser.add_argument("--rows", type=int, default=10_000_000, help="nik-pass: synthetic people")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--province", default="52")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per DAG run")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the work folder")
    parser.add_argument("--analyze-every", type=float, default=0,
                        help="seconds between ANALYZEs of the whole warehouse, as autoanalyze (default: none)")
    args = parser.parse_args(argv)
    _quiet()
    if args.mode == "nik-pass":
        print(report_nik_pass(nik_pass(args.rows)))
        return 0
    result = benchmark(args.scale, args.province, args.concurrency, args.keep, args.timeout, args.analyze_every)
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
