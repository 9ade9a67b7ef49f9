"""A moment as the regency reads it (`intake.waktu`): its own zone, with UTC beside it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from satudata.intake.waktu import format_when, local_zone


@pytest.mark.parametrize(("kode_kab", "zone", "hours"), [("5205", "WITA", 8), ("9471", "WIT", 9), ("3201", "WIB", 7),
                                                         (None, "WIB", 7)])
def test_the_zone_follows_the_province(kode_kab, zone, hours):
    tz = local_zone(kode_kab)
    assert tz.tzname(None) == zone
    assert tz.utcoffset(None).total_seconds() == hours * 3600


def test_a_moment_in_local_time_and_utc():
    moment = datetime(2026, 11, 7, 23, 5, tzinfo=UTC)
    assert format_when(moment, "9471") == "08-11-2026 08:05 WIT (07-11-2026 23:05 UTC)"
    assert format_when(moment.replace(tzinfo=None), "5205") == "08-11-2026 07:05 WITA (07-11-2026 23:05 UTC)"
    assert format_when(None, "5205") == "-"
