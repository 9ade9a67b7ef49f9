"""Intake's tunable limits (`IntakeOptions.from_env`), shared by registration and processing."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class IntakeOptions:
    """Tunable by environment: SATUDATA_STABLE_SECONDS, SATUDATA_MAX_REJECTED_SHARE, SATUDATA_CHUNK_ROWS,
    SATUDATA_MAX_UNCOMPRESSED_BYTES, SATUDATA_ARCHIVE_QUOTA_BYTES (0: none) and the retry policy after a
    failure of the machine: SATUDATA_RETRY_BASE_SECONDS, SATUDATA_RETRY_MAX_SECONDS, SATUDATA_RETRY_ALERT_AFTER; SATUDATA_INTAKE_POOL_BYTES."""

    stable_seconds: float = 10.0
    max_rejected_share: float = 0.3  # above this share of rejected rows the whole file is refused
    chunk_rows: int = 200_000
    max_uncompressed_bytes: int = 1_000_000_000
    archive_quota_bytes: int | None = 20 << 30  # per regency folder of the archive
    retry_base_seconds: float = 120.0  # the wait after the first failure of the machine, doubled each time
    retry_max_seconds: float = 3600.0
    retry_alert_after: int = 6  # failures after which the alert is CRITICAL (the submission still waits)
    # From this many bytes of files waiting, regencies are processed on every core (SATUDATA_WORKERS): below
    # it a worker's start (importing pandas and GX, seconds) costs more than it saves.
    pool_min_bytes: int = 8 << 20

    @classmethod
    def from_env(cls) -> IntakeOptions:
        env = os.environ.get
        quota = int(env("SATUDATA_ARCHIVE_QUOTA_BYTES", cls.archive_quota_bytes))
        return cls(
            stable_seconds=float(env("SATUDATA_STABLE_SECONDS", cls.stable_seconds)),
            max_rejected_share=float(env("SATUDATA_MAX_REJECTED_SHARE", cls.max_rejected_share)),
            chunk_rows=int(env("SATUDATA_CHUNK_ROWS", cls.chunk_rows)),
            max_uncompressed_bytes=int(env("SATUDATA_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed_bytes)),
            archive_quota_bytes=quota or None,
            retry_base_seconds=float(env("SATUDATA_RETRY_BASE_SECONDS", cls.retry_base_seconds)),
            retry_max_seconds=float(env("SATUDATA_RETRY_MAX_SECONDS", cls.retry_max_seconds)),
            retry_alert_after=int(env("SATUDATA_RETRY_ALERT_AFTER", cls.retry_alert_after)),
            pool_min_bytes=int(env("SATUDATA_INTAKE_POOL_BYTES", cls.pool_min_bytes)),
        )
