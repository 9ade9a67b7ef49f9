"""What every DAG shares: Assets, default arguments, tags, alerts.

Imported by the DAG files at parse time, so it must stay light: only the standard library and
`airflow.sdk`. Nothing here touches pandas, GX, DuckDB or the warehouse.
"""

from __future__ import annotations

import enum
import logging
import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, AssetWatcher

from satudata.triggers import InboxTrigger

log = logging.getLogger("satudata.alerts")

OWNER = "satudata"
START_DATE = pendulum.datetime(2026, 1, 1, tz="Asia/Makassar")  # WITA: NTB's time zone
# One slot: the embedded DuckDB warehouse takes one writer at a time. Production on PostgreSQL may
# raise the pool's size (`airflow pools set satudata_warehouse 8 ...`).
WAREHOUSE_POOL = "satudata_warehouse"
# satudata_ingest runs when the triggerer sees a settled file in the inbox (`triggers.InboxTrigger`);
# SATUDATA_INGEST_SCHEDULE (cron) adds time-based sweeps. Both read when the DAG file is parsed.
INGEST_SCHEDULE = os.environ.get("SATUDATA_INGEST_SCHEDULE", "").strip()
INBOX_POLL_SECONDS = float(os.environ.get("SATUDATA_INBOX_POLL_SECONDS", "5"))


class Tag(enum.StrEnum):
    """The only tags DAGs may carry (checked by the DAG integrity test)."""

    SATUDATA = "satudata"
    INTAKE = "intake"
    HARMONISATION = "harmonisation"
    CONVERGENCE = "konvergensi"
    PUBLICATION = "publikasi"


# Assets chain the stages: a stage runs when the tables it reads have changed.
STAGING_DTKS = Asset(name="staging_dtks", uri="satudata://warehouse/staging/dtks", group="staging")
STAGING_P3KE = Asset(name="staging_p3ke", uri="satudata://warehouse/staging/p3ke", group="staging")
STAGING_INTERVENSI = Asset(
    name="staging_intervensi", uri="satudata://warehouse/staging/intervensi", group="staging"
)
STAGING_DTSEN = Asset(name="staging_dtsen", uri="satudata://warehouse/staging/dtsen", group="staging")
STAGING_ANGGARAN = Asset(name="staging_anggaran", uri="satudata://warehouse/staging/anggaran", group="staging")
STAGING_BY_JENIS = {"dtks": STAGING_DTKS, "p3ke": STAGING_P3KE, "dtsen": STAGING_DTSEN,
                    "intervensi": STAGING_INTERVENSI, "anggaran": STAGING_ANGGARAN}
CORE_TERPADU = Asset(name="core_terpadu", uri="satudata://warehouse/core/terpadu", group="core")
# The exact indicators (restricted, in core); publication puts them in mart.
INDIKATOR_KONVERGENSI = Asset(name="indikator_konvergensi", uri="satudata://warehouse/core/indikator_konvergensi",
                              group="core")
MART_PUBLIKASI = Asset(name="mart_publikasi", uri="satudata://warehouse/mart/publikasi", group="mart")
# Files waiting in inbox/: updated by the triggerer's watcher, which never touches the files.
INBOX = Asset(name="inbox", uri="satudata://inbox", group="intake",
              watchers=[AssetWatcher(name="inbox_watcher", trigger=InboxTrigger(poke_interval=INBOX_POLL_SECONDS))])


def ingest_schedule():
    """The inbox Asset, or the Asset or a cron (SATUDATA_INGEST_SCHEDULE) when one is set."""
    if not INGEST_SCHEDULE:
        return [INBOX]
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    return AssetOrTimeSchedule(timetable=CronTriggerTimetable(INGEST_SCHEDULE, timezone=START_DATE.tz),
                               assets=[INBOX])


def alert_on_failure(context) -> None:
    """Failure callback: one structured log line an engineer (or a log-based alert rule) can act on.

    Set `SATUDATA_ALERT_EMAIL` to also receive mail through Airflow's SMTP settings.
    """
    ti = context.get("ti") or context.get("task_instance")
    log.error(
        "SATUDATA ALERT dag=%s task=%s run=%s try=%s error=%s",
        getattr(ti, "dag_id", "?"),
        getattr(ti, "task_id", "?"),
        context.get("run_id", "?"),
        getattr(ti, "try_number", "?"),
        context.get("exception"),
    )


def default_args(**overrides) -> dict:
    args = {
        "owner": OWNER,
        "retries": int(os.environ.get("SATUDATA_TASK_RETRIES", "2")),
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": alert_on_failure,
    }
    email = os.environ.get("SATUDATA_ALERT_EMAIL")
    if email:
        args.update(email=[e.strip() for e in email.split(",") if e.strip()], email_on_failure=True)
    args.update(overrides)
    return args
