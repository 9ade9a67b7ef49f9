"""Stages of a benchmark run: wall time, rows in and the peak resident memory of each, with its worker
processes'. Shared by the benchmarks that time the pipeline stage by stage."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Stage:
    name: str
    periode: str
    seconds: float = 0.0
    rows_in: int = 0
    what: str = ""
    start_rss_mb: float = 0.0  # resident when the stage began: the peak cannot be below it
    peak_rss_mb: float = 0.0


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux >= 4.0), so a stage's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _status_mb(key: str) -> float | None:
    """VmRSS / VmHWM of this process from /proc (None where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_rss_mb(per_stage: bool) -> float:
    peak = _status_mb("VmHWM") if per_stage else None
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _TreeSampler(threading.Thread):
    """The largest RSS of this process and its children together (worker processes of a stage), sampled:
    the kernel's high-water mark is per process, and a stage on two workers uses the memory of three."""

    def __init__(self, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.every, self.peak_mb, self._done = every, 0.0, threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.wait(self.every):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:  # a worker that ended between listing and reading
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak_mb


@contextmanager
def measure(stages: list[Stage], name: str, periode: str) -> Iterator[Stage]:
    """Time a stage and take its peak RSS (with its worker processes'); the body fills in `rows_in` and `what`."""
    stage = Stage(name, periode)
    per_stage = _reset_peak_rss()
    stage.start_rss_mb = round(_status_mb("VmRSS") or 0.0)
    sampler = _TreeSampler()
    sampler.start()
    started = time.perf_counter()
    yield stage
    stage.seconds = round(time.perf_counter() - started, 1)
    stage.peak_rss_mb = round(max(_peak_rss_mb(per_stage), sampler.stop()))
    stages.append(stage)
