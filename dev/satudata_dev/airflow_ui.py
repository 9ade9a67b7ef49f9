"""`make airflow-ui`: the Airflow UI on this project's DAGs and the demo's runs (`airflow standalone`).

    python -m satudata_dev.airflow_ui [--port 8080] [--home .airflow]

Local use only: the Simple auth manager with one `admin` account, whose password is generated on first
start, kept in `<home>/simple_auth_manager_passwords.json` and printed here. A deployment uses the
compose file and its own accounts instead (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from satudata.config import PROJECT_ROOT

from satudata_dev.airflow_local import airflow_env, stop_process_group

ADMIN_USER = "admin"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def passwords_file(home: Path) -> Path:
    return home / "simple_auth_manager_passwords.json"


def write_admin_password(home: Path, password: str) -> None:
    """The Simple auth manager's passwords file, readable by its owner only."""
    home.mkdir(parents=True, exist_ok=True)
    path = passwords_file(home)
    path.write_text(json.dumps({ADMIN_USER: password}))
    path.chmod(0o600)


def admin_password(home: Path) -> str:
    """The local admin's password: generated once, then kept (mode 600) for the next start."""
    path = passwords_file(home)
    if path.exists():
        known = json.loads(path.read_text() or "{}")
        if known.get(ADMIN_USER):
            return known[ADMIN_USER]
    password = secrets.token_urlsafe(12)
    write_admin_password(home, password)
    return password


def simple_auth_env(home: Path) -> dict[str, str]:
    """Airflow's Simple auth manager with one admin whose password is in `home` (local use only)."""
    return {
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file(home)),
    }


def ui_env(home: Path, port: int = 8080) -> dict[str, str]:
    """The environment of `airflow standalone`: the embedded settings, its port, the local login, and the
    venv's `bin/` first on PATH (standalone starts its components as `airflow …` by name)."""
    env = {**os.environ, **airflow_env(home)}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **simple_auth_env(home),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
    })
    return env


@contextmanager
def started(port: int, *, home: Path | None = None, env: dict[str, str] | None = None,
            log: Path | None = None) -> Iterator[subprocess.Popen]:
    """`make airflow-ui` in the background (the same command), stopped with its whole process group after."""
    command = [sys.executable, "-m", "satudata_dev.airflow_ui", "--port", str(port)]
    if home is not None:
        command += ["--home", str(home)]
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        if log is not None:
            out.close()
    try:
        yield proc
    finally:
        stop_process_group(proc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m satudata_dev.airflow_ui", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SATUDATA_AIRFLOW_UI_PORT", "8080")))
    parser.add_argument("--home", type=Path, default=PROJECT_ROOT / ".airflow")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    password = admin_password(home)
    env = ui_env(home, args.port)
    print(f"Airflow UI:  http://localhost:{args.port}   (Ctrl-C stops it)\n"
          f"Login:       user {ADMIN_USER}, password {password}\n"
          f"             (kept in {passwords_file(home)})\n"
          "Local use only: Airflow's Simple auth manager with one admin account. A deployment has personal\n"
          "accounts and roles instead (docs/deploy.md). The demo's runs show once `make demo` has run.",
          flush=True)
    os.execvpe("airflow", ["airflow", "standalone"], env)
    return 1  # not reached: exec replaces this process


if __name__ == "__main__":
    sys.exit(main())
