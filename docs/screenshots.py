"""Refresh the README's pictures of what each user sees: `make screenshots` (after `make demo`).

- docs/img/laporan.png: the forum's report of the demo's newest publication, as Chromium shows it;
- docs/img/airflow_grid.png: the Airflow grid of the demo's `satudata_intake` run, in the local UI
  started as `make airflow-ui` starts it (with every user an admin, so no login page is in the way).

Needs the system Chromium (`apt-get install chromium`), driven through Playwright.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"


def _browser() -> str:
    from satudata_dev.browser import find_chromium

    path = find_chromium()
    if path is None:
        sys.exit("Chromium is needed for the screenshots: apt-get install chromium")
    return path


def _newest_report(data_dir: Path) -> Path:
    reports = sorted(data_dir.glob("publikasi/*/publikasi_*/laporan_*.html"), key=lambda p: p.stat().st_mtime)
    if not reports:
        sys.exit(f"no report under {data_dir}/publikasi: run `make demo` first")
    return reports[-1]


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def main() -> int:
    from playwright.sync_api import sync_playwright
    from satudata_dev.airflow_ui import started
    from satudata_dev.celery_local import free_port

    data_dir = Path(os.environ.get("SATUDATA_DATA_DIR", ROOT / "data"))
    report = _newest_report(data_dir)
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
    with started(port, env=env), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser(), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 1500})
        page.goto(report.resolve().as_uri())
        page.wait_for_function("document.querySelectorAll('.grafik.interaktif').length === "
                               "document.querySelectorAll('.grafik').length", timeout=30_000)
        page.screenshot(path=str(OUT / "laporan.png"))
        print(f"{OUT / 'laporan.png'}  <- {report}")

        _wait_http(f"http://127.0.0.1:{port}/api/v2/monitor/health", 180)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/dags/satudata_intake")
        page.wait_for_selector("text=satudata_intake", timeout=60_000)
        page.wait_for_timeout(4000)  # the grid loads its task instances after the page
        page.screenshot(path=str(OUT / "airflow_grid.png"))
        print(OUT / "airflow_grid.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
