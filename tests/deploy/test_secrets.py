"""`satudata rotate-password`: the warehouse role and the Airflow connection get the new password together.

Real PostgreSQL (the role's SCRAM verifier is checked against the new password) and a real Airflow metadata
database (the connection the tasks read)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from satudata.config import PROJECT_ROOT

from tests.conftest import PG_ADMIN_URL


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether a PostgreSQL SCRAM-SHA-256 verifier was made from `password` (RFC 5802 / 7677)."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


@pytest.fixture
def role():
    name = f"rotasi_uji_{secrets.token_hex(4)}"
    engine = sa.create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {name} LOGIN PASSWORD 'sandi-lama-0123456789'"))
    yield name
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {name}"))
    engine.dispose()


def _verifier(role: str) -> str:
    engine = sa.create_engine(PG_ADMIN_URL)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}).scalar_one()
    engine.dispose()
    return found


def test_rotation_changes_the_role_and_the_airflow_connection_together(role, tmp_path):
    assert _scram_matches(_verifier(role), "sandi-lama-0123456789")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
           "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}

    def run(*command: str) -> str:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run("airflow", "db", "migrate")
    run("airflow", "connections", "add", "satudata_warehouse",
        "--conn-uri", f"postgresql://{role}:sandi-lama-0123456789@127.0.0.1:5432/test")
    result = json.loads(run(sys.executable, "-m", "satudata.cli", "rotate-password", "--admin-url", PG_ADMIN_URL,
                            "--role", role))
    new = result["kata_sandi"]
    assert len(new) == 64 and result["koneksi_airflow"] == "satudata_warehouse"
    verifier = _verifier(role)
    assert _scram_matches(verifier, new) and not _scram_matches(verifier, "sandi-lama-0123456789")
    stored = run(sys.executable, "-c", "from airflow.models import Connection\n"
                                       "print(Connection.get_connection_from_secrets('satudata_warehouse').password)")
    assert stored.strip().splitlines()[-1] == new

    # a password that could break out of the SQL literal or a URL is refused before anything changes
    from satudata.ops.secrets import set_role_password

    with pytest.raises(ValueError, match="URL-safe"):
        set_role_password(PG_ADMIN_URL, role, "x' ; DROP ROLE postgres; --aaaaaaaa")
    assert _verifier(role) == verifier
