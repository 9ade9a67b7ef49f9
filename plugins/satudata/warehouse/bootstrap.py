"""`satudata init-db`: migrate the warehouse to the newest schema and load the reference data."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from satudata.warehouse.engine import make_engine
from satudata.warehouse.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InitResult:
    warehouse: str
    dialect: str
    revision: str
    reference_rows: dict[str, int]

    def to_dict(self) -> dict:
        return asdict(self)


def init_warehouse(url: str) -> InitResult:
    """Idempotent: safe to run on every deploy and at the start of every ingest run."""
    from satudata.reference.load import load_reference
    from satudata.warehouse.access import apply_access_control

    engine = make_engine(url)
    try:
        revision = upgrade(engine)
        with engine.begin() as conn:
            rows = load_reference(conn)
            apply_access_control(conn)  # tables of newer migrations get the same grants and policies
        return InitResult(
            warehouse=engine.url.render_as_string(hide_password=True),
            dialect=engine.dialect.name,
            revision=revision,
            reference_rows=rows,
        )
    finally:
        engine.dispose()
