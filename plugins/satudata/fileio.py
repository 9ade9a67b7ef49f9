"""Files written whole or not at all: readers (operators, the forum, the next task) never see half a file;
a lock file for what two processes must not do at once; and CSV cells that can never run as formulas."""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


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


# A cell starting with one of these is run as a formula by Excel and LibreOffice when a CSV is opened (OWASP
# "CSV injection"); tab, CR and LF lead some of them to strip the whitespace and read what follows.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell that a spreadsheet would run as a formula prefixed with a single quote
    (OWASP): for every CSV we write. Numeric columns are left alone, and so are text cells that are plain
    numbers ("-5000000" stays a negative number); the quote shows in the cell, so the value is never hidden."""
    import pandas as pd

    out = frame
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        risky = values.map(_is_formula, na_action="ignore").fillna(False).astype(bool)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out[column] = values.astype(object).where(~risky, "'" + values[risky].astype(str)).astype(values.dtype)
    return out


def _is_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)
