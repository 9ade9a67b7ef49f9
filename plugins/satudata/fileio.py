"""Files written whole or not at all: readers (operators, the forum, the next task) never see half a file;
and a lock file for what two processes must not do at once."""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomically(path: str | Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`.

    Created with mode "x" rather than mkstemp, whose 0600 permissions would survive the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextmanager
def file_lock(path: str | Path, *, wait: bool = True, timeout: float = 3600.0) -> Iterator[bool]:
    """An exclusive `flock` on `path` for the block, shared by every process on this host: yields False at
    once when `wait` is off and another process holds it. Released when the block ends or the process dies."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        deadline = time.monotonic() + timeout
        held = False
        while not held:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                if not wait:
                    break
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"waited {timeout:.0f} s for {path}") from None
                time.sleep(0.1)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(handle, fcntl.LOCK_UN)
