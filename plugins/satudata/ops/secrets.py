"""Rotating the warehouse login of the pipeline without stopping anything.

    satudata rotate-password --admin-url postgresql+psycopg://postgres:…@warehouse-db:5432/satudata

1. A new password (random, URL-safe) is set on the PostgreSQL role (`ALTER ROLE … PASSWORD`, as the
   warehouse's admin). Sessions already open stay open: PostgreSQL checks a password only at login.
2. The Airflow Connection `satudata_warehouse` in Airflow's metadata database gets the new password. Tasks
   read it when they start (through the API server), so the next task logs in with it; no service restarts.
3. The new password is printed once, for `.env` (`SATUDATA_WAREHOUSE_PASSWORD`, read by `airflow-init`
   and BI tools); nothing else keeps it.

A task that opens its connection in the instant between steps 1 and 2 fails to log in and is retried
(`retries`, default 2). The role's password verifier is SCRAM-SHA-256 (PostgreSQL's default since 14).
"""

from __future__ import annotations

import logging
import re
import secrets

import sqlalchemy as sa

log = logging.getLogger(__name__)

CONN_ID = "satudata_warehouse"
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def new_password() -> str:
    return secrets.token_hex(32)  # URL-safe: it goes inside connection URLs


def set_role_password(admin_url: str, role: str, password: str) -> None:
    from satudata.warehouse.engine import make_engine

    if not re.fullmatch(r"[A-Za-z0-9._~-]{16,}", password):
        raise ValueError("use a URL-safe password of at least 16 characters (e.g. openssl rand -hex 32)")
    if not _ROLE.match(role):
        raise ValueError(f"not a role name: {role!r}")
    engine = make_engine(admin_url)
    try:
        with engine.begin() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                raise ValueError(f"role {role} does not exist in {admin_url.split('@')[-1]}")
            conn.execute(sa.text("SET LOCAL password_encryption = 'scram-sha-256'"))
            # ALTER ROLE takes no bind parameters: the role matched _ROLE and the password is URL-safe (rotate)
            conn.execute(sa.text(f"ALTER ROLE {role} PASSWORD '{password}'"))
    finally:
        engine.dispose()


def set_airflow_connection_password(password: str, conn_id: str = CONN_ID) -> bool:
    """Update the connection in Airflow's metadata database; False when there is none to update."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        connection = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        if connection is None:
            return False
        connection.set_password(password)
        session.merge(connection)
    return True


def rotate(admin_url: str, role: str = "satudata_pipeline", *, password: str | None = None,
           conn_id: str | None = CONN_ID) -> dict:
    password = password or new_password()
    set_role_password(admin_url, role, password)
    log.info("password of role %s changed", role)
    updated = set_airflow_connection_password(password, conn_id) if conn_id else False
    if conn_id and not updated:
        log.warning("no Airflow connection %s to update: set it (or SATUDATA_WAREHOUSE_PASSWORD) by hand", conn_id)
    return {"peran": role, "koneksi_airflow": conn_id if updated else None, "kata_sandi": password}
