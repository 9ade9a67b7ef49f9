"""The system Chromium (Debian's `chromium`), for the report's browser tests and the README screenshots."""

from __future__ import annotations

import shutil

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Its path, or None where no browser is installed (a newcomer's machine)."""
    return next((found for found in map(shutil.which, NAMES) if found), None)
