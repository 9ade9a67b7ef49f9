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
# satudata_intake runs when the triggerer sees a settled file in the inbox (`triggers.InboxTrigger`);
# SATUDATA_INGEST_SCHEDULE (cron) adds time-based sweeps. Both read when the DAG file is parsed.
INGEST_SCHEDULE = os.environ.get("SATUDATA_INGEST_SCHEDULE", "").strip()
INBOX_POLL_SECONDS = float(os.environ.get("SATUDATA_INBOX_POLL_SECONDS", "5"))


class Tag(enum.StrEnum):
    """The only tags DAGs may carry (checked by the DAG integrity test): a stage's tag is its one name, the
    name of its package and of its DAG (`satudata_<stage>`), as the README's naming rule says."""

    SATUDATA = "satudata"
    INTAKE = "intake"
    HARMONISE = "harmonise"
    KONVERGENSI = "konvergensi"
    PUBLISH = "publish"


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


def _one_line(error) -> str:
    """What went wrong, in one line: the exception's type and the first line of its message."""
    if error is None:
        return "tidak diketahui (lihat log tugas)"
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    line = f"{type(error).__name__}: {first}" if isinstance(error, BaseException) else first
    return line[:500]


def alert_on_failure(context) -> None:
    """Failure callback: one line an engineer (or a log-based alert rule) can act on, and a webhook.

    `SATUDATA_ALERT_WEBHOOK` (an https URL: a chat bot, an incident tool) receives the same facts as JSON;
    `SATUDATA_ALERT_EMAIL` mails them through Airflow's SMTP settings (`default_args`). A webhook that
    cannot be reached is logged, never raised: an alert must not fail the run a second time.
    """
    ti = context.get("ti") or context.get("task_instance")
    facts = {
        "dag": getattr(ti, "dag_id", "?"), "task": getattr(ti, "task_id", "?"),
        "run": context.get("run_id", "?"), "try": getattr(ti, "try_number", "?"),
        "map_index": getattr(ti, "map_index", -1), "error": _one_line(context.get("exception")),
    }
    log.error("SATUDATA ALERT dag=%s task=%s run=%s try=%s error=%s", facts["dag"], facts["task"], facts["run"],
              facts["try"], facts["error"])
    webhook = os.environ.get("SATUDATA_ALERT_WEBHOOK", "").strip()
    if webhook:
        import json
        import urllib.request

        request = urllib.request.Request(webhook, data=json.dumps({"text": f"Satu Data: {facts['dag']}."
                                                                            f"{facts['task']} gagal: {facts['error']}",
                                                                    **facts}, default=str).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except OSError as exc:
            log.error("SATUDATA ALERT webhook %s unreachable: %s", webhook.split("?")[0], exc)


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
