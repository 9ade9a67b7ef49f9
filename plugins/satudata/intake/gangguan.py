"""Failures of the machine (gangguan), told apart from defects of ours and from bad files.

A full disk, a database that went away, exhausted memory: none is the submission's fault. Such a failure
leaves the submission pending (`received`), retried by a later scan after an exponential back-off (the next
try time is recorded in `meta.submission.coba_lagi_pada`), without using up its attempts, and raises an
alert: an ERROR line `SATUDATA ALERT …` on the `satudata.alerts` logger, as the DAGs' failure callback
writes it, and the same facts posted to `SATUDATA_ALERT_WEBHOOK` when one is set. Past a number of failures
(`SATUDATA_RETRY_ALERT_AFTER`) the submission still waits, and the alert is CRITICAL.

Anything else that goes wrong while processing is a defect of ours: it counts as an attempt and, after
MAX_ATTEMPTS, ends in `internal_error` (`intake.run`).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import urllib.request
from datetime import datetime, timedelta

log = logging.getLogger("satudata.alerts")

# errno values that say the machine, not the file, failed: disk full or gone, memory, file table, network.
MACHINE_ERRNOS = frozenset(getattr(errno, name) for name in (
    "ENOSPC", "EDQUOT", "EIO", "EROFS", "ENOMEM", "ENFILE", "EMFILE", "ESTALE", "ENOTCONN", "ECONNRESET",
    "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH", "ENETDOWN", "ENETUNREACH", "EHOSTDOWN",
) if hasattr(errno, name))
# Libraries that wrap an OSError without chaining it still name it (GX's scaffolding, DuckDB's IO errors).
_MACHINE_WORDS = ("no space left on device", "disk quota exceeded", "input/output error", "out of memory",
                  "read-only file system")


class MachineFault(RuntimeError):
    """A submission could not be processed because the machine failed; it stays pending (see module doc)."""

    def __init__(self, submission_id: int, cause: BaseException):
        super().__init__(f"submission {submission_id}: {one_line(cause)}")
        self.submission_id = submission_id


def one_line(error: BaseException) -> str:
    """The exception's type and the first line of its message (what an alert shows)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:500]


def _database_gone(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection (SQLAlchemy's and the drivers' errors)."""
    import sqlalchemy.exc as sa_exc

    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                          sa_exc.TimeoutError)):
        return True
    module = type(error).__module__.split(".", 1)[0]
    return module in ("psycopg", "psycopg2", "duckdb") and type(error).__name__ in (
        "OperationalError", "InterfaceError", "IOException", "OutOfMemoryException", "ConnectionException")


def is_machine_fault(error: BaseException) -> bool:
    """Whether the error, or one it was raised from, is a failure of the machine rather than of our code."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MachineFault | MemoryError):
            return True
        if isinstance(current, OSError) and current.errno in MACHINE_ERRNOS:
            return True
        if _database_gone(current) or any(w in str(current).lower() for w in _MACHINE_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def next_try(faults: int, now: datetime, base_seconds: float, max_seconds: float) -> datetime:
    """Exponential back-off: base, 2·base, 4·base … capped, after the n-th failure (n >= 1)."""
    wait = min(base_seconds * 2 ** max(faults - 1, 0), max_seconds)
    return now + timedelta(seconds=wait)


def alert(summary: str, *, loud: bool = False, webhook: bool = True, **facts) -> None:
    """Tell the data engineer: a log line first (what a log-based alert rule watches), then the webhook
    (`webhook=False` where one alert per scan follows: `intake.run.ingest_once`, or the DAG's callback).

    A webhook that cannot be reached is logged, never raised: an alert must not fail the scan a second time."""
    level = logging.CRITICAL if loud else logging.ERROR
    log.log(level, "SATUDATA ALERT %s %s", summary, " ".join(f"{k}={v}" for k, v in facts.items()))
    url = os.environ.get("SATUDATA_ALERT_WEBHOOK", "").strip() if webhook else ""
    if not url:
        return
    body = json.dumps({"text": f"Satu Data: {summary}", "dag": "satudata_intake", **facts}, default=str)
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except OSError as exc:
        log.error("SATUDATA ALERT webhook %s unreachable: %s", url.split("?")[0], exc)
