"""The inbox watcher: fires for settled files it has not announced, never touches a file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from satudata.intake.scan import find_candidates
from satudata.triggers import InboxTrigger, InboxWatcher

from tests.builders import DTKS_HEADER, aged, dtks_rows, write_csv


def _drop(inbox: Path, name: str = "dtks_5205_2026-11.csv", kab: str = "5205") -> Path:
    return aged(write_csv(inbox / kab / "dtks" / name, DTKS_HEADER, dtks_rows(3)))


def test_watcher_announces_new_changed_and_long_waiting_files_once(tmp_path):
    inbox = tmp_path / "inbox"
    watcher = InboxWatcher(renotify_seconds=600)
    assert watcher.event_for(find_candidates(inbox, stable_seconds=0), 1000.0) is None, "empty: nothing"
    path = _drop(inbox)
    event = watcher.event_for(find_candidates(inbox, stable_seconds=0), 1000.0)
    assert event == {"berkas_siap": 1, "berkas_baru": 1, "regencies": ["5205"]}
    assert "dtks_5205" not in str(event), "counts only: no file names in Airflow's database"
    assert watcher.event_for(find_candidates(inbox, stable_seconds=0), 1005.0) is None, "announced already"
    _drop(inbox, "kedua.csv", kab="5206")
    assert watcher.event_for(find_candidates(inbox, stable_seconds=0), 1010.0)["berkas_baru"] == 1
    aged(path, seconds=10)  # rewritten by the operator: news again
    assert watcher.event_for(find_candidates(inbox, stable_seconds=0), 1020.0)["berkas_baru"] == 1
    # Still waiting ten minutes later (its run failed, the scheduler was down): announced again.
    assert watcher.event_for(find_candidates(inbox, stable_seconds=0), 1700.0)["berkas_baru"] == 2
    path.unlink()
    assert watcher.event_for(find_candidates(inbox, stable_seconds=0), 1710.0) is None


def test_trigger_round_trips_through_its_serialisation():
    trigger = InboxTrigger(inbox="/data/inbox", stable_seconds=3, poke_interval=2, renotify_seconds=60)
    classpath, kwargs = trigger.serialize()
    module, name = classpath.rsplit(".", 1)
    again = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert again.serialize() == (classpath, kwargs)


async def _events(trigger: InboxTrigger, seconds: float) -> list[dict]:
    events = []

    async def collect():
        async for event in trigger.run():
            events.append(event.payload)

    task = asyncio.create_task(collect())
    await asyncio.sleep(seconds)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return events


def test_the_running_trigger_waits_for_a_settled_file_and_leaves_it_in_place(tmp_path):
    inbox = tmp_path / "inbox"
    trigger = InboxTrigger(inbox=str(inbox), stable_seconds=2, poke_interval=0.05)
    assert asyncio.run(_events(trigger, 0.3)) == [], "an empty (even missing) inbox fires nothing"
    fresh = write_csv(inbox / "5205" / "dtks" / "masih disalin.csv", DTKS_HEADER, dtks_rows(3))
    fresh.touch()  # just written
    assert asyncio.run(_events(trigger, 0.3)) == [], "a file still being copied waits"
    aged(fresh)
    started = time.monotonic()
    events = asyncio.run(_events(trigger, 0.5))
    assert events and events[0]["berkas_baru"] == 1 and len(events) == 1, "one event, not one per poll"
    assert time.monotonic() - started < 5
    assert fresh.exists() and fresh.stat().st_size > 0, "the watcher never deletes or moves a submission"


@pytest.mark.parametrize("env_dir", [True, False])
def test_trigger_without_a_folder_watches_the_triggerers_own_inbox(tmp_path, monkeypatch, env_dir):
    monkeypatch.setenv("SATUDATA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SATUDATA_STABLE_SECONDS", "0")
    trigger = InboxTrigger(poke_interval=0.05) if env_dir else InboxTrigger(inbox=str(tmp_path / "x"),
                                                                            poke_interval=0.05)
    _drop(tmp_path / "data" / "inbox")
    assert bool(asyncio.run(_events(trigger, 0.3))) is env_dir
