"""The period a step works on: the one asked for, else the newest its input holds.

    periode = choose_period(settings.warehouse_url, None, harmonised_periods)   # '2026-11', or None

Every stage asks the same way and names only its input (a function listing the periods present, oldest
first): harmonisation the staged registries, convergence the harmonised periods, publication the computed
indicators.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from satudata.warehouse.engine import make_engine


def choose_period(url: str, periode: str | None, periods: Callable[[Connection], list[str]]) -> str | None:
    """`periode` when given, else the newest of `periods(conn)` (None when the input holds none)."""
    if periode:
        return periode
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = periods(conn)
    finally:
        engine.dispose()
    return found[-1] if found else None


__all__ = ["choose_period"]
