"""A moment as the regency reads it: in its own time zone (WIB, WITA or WIT), with UTC beside it.

    format_when(submission.received_at, "5205")  ->  "07-11-2026 14:05 WITA (07-11-2026 06:05 UTC)"

The answers to a regency (`intake.report`, `intake.review_answer`) say when a file was received and when
the answer was made; the ledger keeps UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# Indonesian time zones by province (first two digits of the Kemendagri code).
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})
_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})


def local_zone(kode_kab: str | None) -> timezone:
    province = (kode_kab or "")[:2]
    if province in _WIT_PROVINCES:
        return timezone(timedelta(hours=9), "WIT")
    if province in _WITA_PROVINCES:
        return timezone(timedelta(hours=8), "WITA")
    return timezone(timedelta(hours=7), "WIB")


def format_when(moment: datetime | None, kode_kab: str | None) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the ledger keeps UTC
    zone = local_zone(kode_kab)
    local = moment.astimezone(zone)
    utc = moment.astimezone(UTC)
    return f"{local:%d-%m-%Y %H:%M} {zone.tzname(None)} ({utc:%d-%m-%Y %H:%M} UTC)"


__all__ = ["format_when", "local_zone"]
