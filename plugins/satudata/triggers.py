"""The inbox watcher: Airflow's triggerer tells the scheduler when a regency's file has settled.

`InboxTrigger` is a `BaseEventTrigger` for Airflow 3's event-driven scheduling: the `inbox` Asset carries it
in an `AssetWatcher` (`dag_support.INBOX`) and `satudata_intake` is scheduled on that Asset. It runs in the
triggerer, lists `inbox/` every `poke_interval` seconds, and fires one event when files are ready to take
in that it has not announced yet (settled: unmodified for `stable_seconds`, the rule intake itself applies
in `intake.scan.find_candidates`). It never deletes, moves or opens anything: the standard provider's file
triggers delete what they see, and here the file is a regency's submission that intake must archive first
(the triggerer mounts the data folder read-only in docker-compose.yaml).

An empty inbox costs the scheduler nothing: no run is created until a file is there. A file announced but
still in the inbox `renotify_seconds` later (its run failed, or the scheduler was down) is announced
again, so nothing waits for a person to notice. The event carries counts only: file names may say who a
list is about, and Airflow's metadata database is no place for that (UU 27/2022).

Light at import: the triggerer loads this module by its classpath; only the standard library,
`airflow.triggers.base` and `intake.scan` (standard library too).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from satudata.intake.scan import Candidate, find_candidates

CLASSPATH = "satudata.triggers.InboxTrigger"


class InboxTrigger(BaseEventTrigger):
    """Fires when settled files wait in the inbox. `inbox`/`stable_seconds` default to the triggerer's own
    settings (`SATUDATA_DATA_DIR`, `SATUDATA_STABLE_SECONDS`): the folder is where the triggerer sees it."""

    def __init__(self, *, inbox: str | None = None, stable_seconds: float | None = None,
                 poke_interval: float = 5.0, renotify_seconds: float = 600.0) -> None:
        super().__init__()
        self.inbox = inbox
        self.stable_seconds = stable_seconds
        self.poke_interval = poke_interval
        self.renotify_seconds = renotify_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return CLASSPATH, {"inbox": self.inbox, "stable_seconds": self.stable_seconds,
                           "poke_interval": self.poke_interval, "renotify_seconds": self.renotify_seconds}

    def _inbox(self) -> Path:
        if self.inbox:
            return Path(self.inbox)
        from satudata.config import Settings

        return Settings.from_env().folder("inbox")

    def _stable_seconds(self) -> float:
        if self.stable_seconds is not None:
            return float(self.stable_seconds)
        return float(os.environ.get("SATUDATA_STABLE_SECONDS", "10"))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        inbox, stable = self._inbox(), self._stable_seconds()
        self.log.info("watching %s for settled files (every %.0f s)", inbox, self.poke_interval)
        watcher = InboxWatcher(renotify_seconds=self.renotify_seconds)
        while True:
            ready = await asyncio.to_thread(find_candidates, inbox, stable_seconds=stable)
            event = watcher.event_for(ready, time.time())
            if event is not None:
                self.log.info("%d file(s) ready in the inbox (%d new)", event["berkas_siap"], event["berkas_baru"])
                yield TriggerEvent(event)
            await asyncio.sleep(self.poke_interval)


class InboxWatcher:
    """What has been announced: a file is news when it is new, changed, or still waiting after
    `renotify_seconds`. Pure, so the rule is tested without a triggerer."""

    def __init__(self, renotify_seconds: float) -> None:
        self.renotify_seconds = renotify_seconds
        self._announced: dict[str, tuple[int, float, float]] = {}  # relative -> (size, mtime, announced at)

    def event_for(self, ready: list[Candidate], now: float) -> dict | None:
        news = []
        seen = {}
        for c in ready:
            size, mtime, when = self._announced.get(c.relative, (-1, -1.0, -1.0))
            if (size, mtime) != (c.size, c.mtime) or now - when >= self.renotify_seconds:
                news.append(c)
                seen[c.relative] = (c.size, c.mtime, now)
            else:
                seen[c.relative] = (size, mtime, when)
        self._announced = seen  # files that left the inbox are forgotten
        if not news:
            return None
        return {"berkas_siap": len(ready), "berkas_baru": len(news),
                "regencies": sorted({c.kode_kab for c in news if c.kode_kab})}


__all__ = ["CLASSPATH", "InboxTrigger", "InboxWatcher"]
