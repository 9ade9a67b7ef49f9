"""Settings from the environment, with defaults that work on a fresh clone.

| variable | default | meaning |
|---|---|---|
| `SATUDATA_DATA_DIR` | `./data` | root of the regencies' shared folders (inbox, outbox, archive, quarantine, templates) |
| `SATUDATA_WAREHOUSE_URL` | DuckDB file `<data>/warehouse.duckdb` | SQLAlchemy URL of the warehouse (`postgresql+psycopg://...` in production) |
| `SATUDATA_REFERENCE_DIR` | `include/reference` of this project | reference data (region codes, population, programmes) |

In a deployment, an Airflow Connection `satudata_warehouse` overrides the warehouse URL (see
`satudata.airflow_support.warehouse_url_from_airflow`); secrets never live in this repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# `publikasi` holds what the forum may take away: exports and reports of each publication.
DATA_SUBDIRS = ("inbox", "outbox", "archive", "quarantine", "templates", "publikasi")


def reference_dir() -> Path:
    return Path(os.environ.get("SATUDATA_REFERENCE_DIR", PROJECT_ROOT / "include" / "reference"))


def sql_dir() -> Path:
    return PROJECT_ROOT / "include" / "sql"


def kolom_dir() -> Path:
    """The header matcher's data: the lexicon and the spellings of each canonical column (`sheets.headers`)."""
    return PROJECT_ROOT / "include" / "kolom"


def expectations_dir() -> Path:
    return PROJECT_ROOT / "expectations"


def default_warehouse_url(data_dir: Path) -> str:
    return f"duckdb:///{(data_dir / 'warehouse.duckdb').resolve()}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse_url: str

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, warehouse_url: str | None = None) -> Settings:
        """Explicit arguments (CLI flags) win over the environment, which wins over the defaults."""
        root = Path(data_dir or os.environ.get("SATUDATA_DATA_DIR") or "data").resolve()
        url = warehouse_url or os.environ.get("SATUDATA_WAREHOUSE_URL") or default_warehouse_url(root)
        return cls(data_dir=root, warehouse_url=url)

    def folder(self, name: str) -> Path:
        if name not in DATA_SUBDIRS:
            raise ValueError(f"unknown data folder {name!r}; expected one of {DATA_SUBDIRS}")
        return self.data_dir / name

    def ensure_folders(self) -> None:
        for name in DATA_SUBDIRS:
            self.folder(name).mkdir(parents=True, exist_ok=True)
