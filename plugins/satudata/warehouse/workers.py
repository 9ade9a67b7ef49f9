"""Independent regencies on every core: computed in worker processes, written by this one.

    results = each_regency(compute, kabs, write, settings, periode)   # {kab: write(settings, compute(...))}

A DuckDB file takes one writing process at a time, and a task that writes PostgreSQL is easier to reason
about when one process writes: so workers only read the warehouse (a read-only connection where it is
DuckDB, `reading_engine`) and compute, and every result comes back to the calling process, which writes
it as soon as it comes (each result replaces only its own regency's rows: the warehouse holds the same rows
whatever finished first).
The Airflow tasks run the same two functions one after the other for their regency
(`write(settings, compute(...))`): one code path, with Airflow's mapped tasks as the parallelism there.

Results travel between our own processes through the pool's pipe, never through a file. Workers are
started fresh (`spawn`): the calling process may hold DuckDB or Splink threads, which a fork would copy
mid-flight.

`SATUDATA_WORKERS` sets the number of processes (default: `min(2, cores)`); 1 runs everything in this
process, in order. A step that gives each item's size runs the largest first (the longest regency never starts
last, with one core idle behind it). `SATUDATA_WORKER_MEMORY` (unset: no bound) bounds what the workers may hold
together: another item starts beside a running one only while their needs (`sizes` x `row_bytes`, measured per
step) fit; an item larger than the bound runs alone. It trades time for memory: at NTB's full scale, 3GiB took
the pipeline's peak from 6.5 to 5.5 GiB and its time from 21.6 to 27.5 min (`docs/benchmarks.md`), because a
worker's own memory (about 0.6 GB with pandas, DuckDB and Splink) and the writing process's are outside it.
Below `MIN_ROWS` rows of work the pool is not started at all: a worker takes a few
seconds to start (importing pandas, DuckDB and Splink), more than such a run saves.

DuckDB: a file opened read-write by one process cannot be opened by another, not even read-only, and a file
a worker reads cannot be opened read-write until it lets go (DuckDB 2.0, "Could not set lock on file").
Both sides wait for each other rather than fail (`engine.make_engine`), and both hold the file only for
their queries: a worker reads, lets go, then computes; this process opens it for one transaction per
result. What would never end is a worker waiting for a file this process keeps open (an engine somebody
still holds, a pooled connection): the pool is then not started and everything is computed here, in order
(`_shareable`). An in-memory warehouse cannot be shared at all. Results are written as they come, so none
waits in this process behind a slow regency.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import sqlalchemy as sa

from satudata.warehouse.engine import make_engine

log = logging.getLogger(__name__)

MIN_ROWS = 20_000  # below this many rows (people, families) of work a pool costs more than it saves
_in_worker = False  # set in pool workers: they open the warehouse read-only


def worker_count() -> int:
    """`SATUDATA_WORKERS`, else one process per core up to two (the machines we size for have two)."""
    value = os.environ.get("SATUDATA_WORKERS", "").strip()
    if value:
        count = int(value)
        if count < 1:
            raise ValueError(f"SATUDATA_WORKERS must be 1 or more, not {value!r}")
        return count
    return min(2, os.cpu_count() or 1)


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def worker_memory() -> int | None:
    """`SATUDATA_WORKER_MEMORY` in bytes (3GiB, 2500MB, 4GB ...); None when it is not set: no bound."""
    value = os.environ.get("SATUDATA_WORKER_MEMORY", "").strip()
    if not value:
        return None
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", value)
    if not found or found.group(2).lower() not in _UNITS or float(found.group(1)) <= 0:
        raise ValueError(f"SATUDATA_WORKER_MEMORY must be a size such as 3GiB or 2500MB, not {value!r}")
    return int(float(found.group(1)) * _UNITS[found.group(2).lower()])


def let_go_of_memory() -> None:
    """Give the memory this process freed back to the system: a large step done here (the province pass, a
    regency's result written) leaves its freed pages with Python's allocator (glibc) and Arrow's pool, where the
    next step's workers cannot have them (1.2 GB after NTB's province pass)."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): the pages stay with the allocator
        pass


def reading_engine(url: str):
    """An engine for the compute half of a step: read-only on DuckDB inside a worker (several workers read
    the file at once, the writing process waits for them), an ordinary engine everywhere else."""
    if _in_worker and url.startswith("duckdb"):
        return make_engine(url, connect_args={"read_only": True})
    return make_engine(url)


def _shareable(url: str | None) -> bool:
    """Whether worker processes can read the warehouse while this process waits for them: not an in-memory
    DuckDB, nor a DuckDB file this process has open read-write (DuckDB refuses a second configuration of a
    file within one process, which is how this is seen without touching the file)."""
    if not url or not url.startswith("duckdb"):
        return True  # PostgreSQL: every process has its own connections
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        return False
    import duckdb

    try:
        duckdb.connect(database, read_only=True).close()
    except duckdb.ConnectionException:  # "different configuration than existing connections": open here
        return False
    except duckdb.IOException:  # another process writes it: workers wait for it like any reader
        return True
    return True


def _start_worker(level: int, reading: bool) -> None:
    global _in_worker
    from satudata.quiet import quiet_third_party

    _in_worker = reading
    quiet_third_party()
    logging.basicConfig(level=level)


def _processes(workers: int, items: int, settings: Any) -> int:
    """How many worker processes to start: at most one per item; one (this process) when the warehouse
    cannot be shared with them."""
    workers = min(workers, items)
    if workers > 1 and not _shareable(getattr(settings, "warehouse_url", None)):
        log.warning("the warehouse is held open by this process (or in memory): the work is done here, in turn")
        return 1
    return workers


def _spawn_pool(workers: int, *, reading: bool) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker,
                               initargs=(logging.getLogger().getEffectiveLevel(), reading))


def each_group_writing(function: Callable[..., Any], groups: Sequence[Any], settings: Any, *args: Any,
                       workers: int) -> list:
    """`function(settings, group, *args)` for every group on up to `workers` fresh processes that write their
    own results (intake: each regency's files, `intake.run`), unlike `each_regency`; the results in the order
    of `groups`. Give the largest groups first: a worker takes the next group when it is done with one.
    On a DuckDB file the workers take turns for their writes: each must let go of the file while it
    computes (`engine.let_go_of_the_file`), and this process must not hold it (then everything runs here).
    """
    workers = _processes(workers, len(groups), settings)
    if workers <= 1:
        return [function(settings, group, *args) for group in groups]
    log.info("%d groups on %d worker processes", len(groups), workers)
    with _spawn_pool(workers, reading=False) as pool:
        futures = [pool.submit(function, settings, group, *args) for group in groups]
        try:
            return [future.result() for future in futures]
        except BrokenProcessPool as exc:
            finished = [f.result() if f.done() and not f.cancelled() and f.exception() is None else None
                        for f in futures]
            raise WorkerDied(finished) from exc
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


class WorkerDied(RuntimeError):
    """A worker process died (the OOM killer, a crash in native code), and the pool with it: `finished` holds
    the results of the groups done before, None for the others."""

    def __init__(self, finished: list):
        super().__init__(f"a worker process died; {sum(r is not None for r in finished)} of {len(finished)} "
                         "groups had finished")
        self.finished = finished


def rows_per_regency(conn: Any, counts: Sequence[str], params: Mapping[str, Any]) -> dict[str, int]:
    """Rows per regency summed over `counts`, each a `SELECT kode_kab, count(*) ... GROUP BY kode_kab`: the
    sizes `each_regency` orders and bounds its work by."""
    sizes: dict[str, int] = {}
    for sql in counts:
        for kab, n in conn.execute(sa.text(sql), dict(params)):
            sizes[kab] = sizes.get(kab, 0) + int(n)
    return sizes


def largest_first(items: Sequence[str], sizes: Mapping[str, int]) -> list[str]:
    """The items, largest first (the order given among equals): on two workers the largest regency starts at
    once instead of last, beside nothing."""
    return sorted(items, key=lambda item: -sizes.get(item, 0))


def each_regency(compute: Callable[..., Any], items: Sequence[str], write: Callable[[Any, Any], Any],
                 settings: Any, *args: Any, workers: int | None = None, rows: int | None = None,
                 sizes: Mapping[str, int] | None = None, row_bytes: int = 0) -> dict:
    """`write(settings, compute(settings, item, *args))` for every item, the computing in up to `workers`
    processes; the results of `write`, by item, in the order of `items` (written as they come).

    `compute` must be a module-level function (a worker imports it by name); `rows` is the size of the
    whole job, to leave small ones in this process (default: the sum of `sizes`). `sizes` (rows per item) and
    `row_bytes` (the memory one row of an item takes while it is computed) schedule the largest first, side
    by side only within `SATUDATA_WORKER_MEMORY` when it is set.
    """
    workers = worker_count() if workers is None else workers
    if rows is None and sizes is not None:
        rows = sum(sizes.values())
    if rows is not None and rows < MIN_ROWS:
        workers = 1
    workers = _processes(workers, len(items), settings)
    if workers <= 1:
        return {item: write(settings, compute(settings, item, *args)) for item in items}
    order = largest_first(items, sizes) if sizes else list(items)
    need = {item: (sizes or {}).get(item, 0) * row_bytes for item in items}
    bound = worker_memory()
    log.info("%d items on %d worker processes%s", len(items), workers,
             f", within {bound / 2**30:.1f} GiB together" if bound and row_bytes else "")
    with _spawn_pool(workers, reading=True) as pool:
        try:
            written = _schedule(order, need, workers,
                                lambda item: pool.submit(_computed, compute, settings, item, *args),
                                lambda result: write(settings, result))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # one failure stops the run: the rest is not started
            raise
    return {item: written[item] for item in items}


def _computed(compute: Callable[..., Any], settings: Any, item: str, *args: Any) -> Any:
    """`compute` in a worker, which gives back what the item freed as soon as it is done: an idle worker kept
    the 1.2 GB a regency had freed while the other linked the next (NTB at full scale), outside the bound."""
    let_go_of_memory()
    try:
        return compute(settings, item, *args)
    finally:
        let_go_of_memory()


def _schedule(order: list[str], need: dict[str, int], workers: int, submit: Callable[[str], Future],
              write: Callable[[Any], Any]) -> dict:
    """Compute the items of `order` on the pool, within the memory bound, writing each result as soon as it
    comes (the others compute meanwhile). After a failure nothing new starts; what is computing is finished and
    written, then the failure is raised."""
    budget = worker_memory()
    waiting, running, written = list(order), {}, {}
    failure: BaseException | None = None

    def next_item() -> str | None:
        if budget is None or not running:
            return waiting[0]  # the largest waiting; alone if it is larger than the bound
        free = budget - sum(need[item] for item in running.values())
        return next((item for item in waiting if need[item] <= free), None)

    while running or (waiting and failure is None):
        while waiting and failure is None and len(running) < workers and (item := next_item()) is not None:
            waiting.remove(item)
            running[submit(item)] = item
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=lambda f: order.index(running[f])):
            item = running.pop(future)
            if future.exception() is not None:
                failure = failure or future.exception()
                continue
            written[item] = write(future.result())
            let_go_of_memory()
    if failure is not None:
        raise failure
    return written


__all__ = ["MIN_ROWS", "WorkerDied", "each_group_writing", "each_regency",
           "let_go_of_memory", "reading_engine", "worker_count", "worker_memory"]
