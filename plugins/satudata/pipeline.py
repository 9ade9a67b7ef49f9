"""The steps the DAG tasks run, one function each; the CLI calls the same functions.

Each step reads its settings from the environment (`satudata.config.Settings`), so a task is
`from satudata.pipeline import step; step(...)` and nothing more.
"""

from __future__ import annotations

import logging

from satudata.config import Settings

log = logging.getLogger(__name__)


def prepare_warehouse(settings: Settings | None = None) -> dict:
    """Create the data folders, migrate the warehouse and load reference data."""
    from satudata.warehouse.bootstrap import init_warehouse

    settings = settings or Settings.from_env()
    settings.ensure_folders()
    result = init_warehouse(settings.warehouse_url).to_dict()
    log.info("warehouse ready: %s", result)
    return result
