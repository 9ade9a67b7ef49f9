"""Backups a Diskominfo can restore: the warehouse and the archive, with a manifest of what they hold.

    satudata backup --out /backup/satudata/2026-12-05     # writes the three files below
    satudata restore --from /backup/satudata/2026-12-05 --warehouse <empty warehouse URL> [--archive DIR]

| file | what | restored with |
|---|---|---|
| `warehouse.dump` (PostgreSQL) | `pg_dump --format=custom` of the warehouse database | `pg_restore --no-owner --dbname …` (what `satudata restore` runs) |
| `warehouse.duckdb` (DuckDB) | the database file, copied after a CHECKPOINT | copy it back, with the pipeline stopped |
| `archive.tar` | the archive: original bytes and the ledger's copy (`archive/ledger/`) | `tar -xf` (what `satudata restore --archive` does) |
| `manifest.json` | the warehouse's fingerprint (rows and content hash per table), sha256 of each file | `satudata fingerprint --compare` after restoring |

The archive alone can also rebuild the warehouse (`satudata rebuild`), which is the answer when the
backup of the warehouse is older than the archive or itself damaged. Roles and grants of PostgreSQL are
cluster-wide: `pg_dump` does not carry them; `satudata init-db` recreates the pipeline's on the restored
database (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import sqlalchemy as sa

from satudata.config import Settings

log = logging.getLogger(__name__)


class BackupError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments for a SQLAlchemy URL; the password goes in the environment."""
    parsed = sa.make_url(url)
    args = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432),
            "--username", parsed.username or "postgres", "--dbname", parsed.database or "postgres"]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _duckdb_path(url: str) -> Path:
    return Path(sa.make_url(url).database)


def backup(settings: Settings, out: Path) -> dict:
    """Dump the warehouse and pack the archive into `out` (a new folder); returns the manifest."""
    from satudata.warehouse.engine import make_engine
    from satudata.warehouse.fingerprint import fingerprint

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=False)
    url = settings.warehouse_url
    files = {}
    if url.startswith("duckdb"):
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("CHECKPOINT"))  # everything in the file itself, nothing in the WAL
        finally:
            engine.dispose()
        target = out / "warehouse.duckdb"
        shutil.copyfile(_duckdb_path(url), target)
    else:
        target = out / "warehouse.dump"
        args, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
    files[target.name] = _sha256(target)
    archive = settings.folder("archive")
    with tarfile.open(out / "archive.tar", "w") as tar:
        tar.add(archive, arcname="archive")
    files["archive.tar"] = _sha256(out / "archive.tar")
    manifest = {"dibuat_pada": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "mesin": "duckdb" if url.startswith("duckdb")
                else "postgresql", "berkas": files, "sidik_jari": fingerprint(url),
                "detik": round(time.perf_counter() - started, 1)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    log.info("backup of %s in %s: %s", url.split("@")[-1], out, {k: v[:12] for k, v in files.items()})
    return manifest


def restore(source: Path, warehouse_url: str, archive: Path | None = None) -> dict:
    """Restore a backup into an empty warehouse (and the archive into an empty folder); check it is whole."""
    from satudata.warehouse.fingerprint import differences, fingerprint

    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["berkas"].items():
        if _sha256(source / name) != digest:
            raise BackupError(f"{source / name} does not match its sha256 in the manifest: damaged copy")
    if warehouse_url.startswith("duckdb"):
        if manifest["mesin"] != "duckdb":
            raise BackupError("a PostgreSQL dump restores into PostgreSQL")
        target = _duckdb_path(warehouse_url)
        if target.exists():
            raise BackupError(f"{target} exists: restore into a new file, then swap it in with the pipeline stopped")
        shutil.copyfile(source / "warehouse.duckdb", target)
    else:
        if manifest["mesin"] != "postgresql":
            raise BackupError("a DuckDB file is copied back, not restored into PostgreSQL")
        args, env = _libpq(warehouse_url)
        _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", *args, str(source / "warehouse.dump")], env)
    if archive is not None:
        if archive.exists() and any(archive.iterdir()):
            raise BackupError(f"{archive} is not empty: restore the archive into a new folder")
        archive.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / "archive.tar") as tar:
            tar.extractall(archive.parent / f".{archive.name}.restore", filter="data")
        staged = archive.parent / f".{archive.name}.restore" / "archive"
        for item in staged.iterdir():
            item.rename(archive / item.name)
        shutil.rmtree(archive.parent / f".{archive.name}.restore")
    diff = differences(manifest["sidik_jari"], fingerprint(warehouse_url))
    if diff:
        raise BackupError(f"the restored warehouse differs from the one backed up: {diff}")
    return {"tabel": len(manifest["sidik_jari"]), "berbeda": diff}
