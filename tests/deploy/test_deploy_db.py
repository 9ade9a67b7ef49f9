"""The warehouse deployment as docs/deploy.md describes it, on a real PostgreSQL server of its own.

An empty cluster (initdb, password authentication over TCP as in the postgres image) gets
`deploy/warehouse-db/10-satudata-roles.sh` run by its admin as the image's entrypoint runs it; then the
documented commands: `satudata init-db` as `satudata_pipeline` (no CREATEROLE), `satudata rotate-password`
for the forum and `satudata operator-role` with the admin's URL; then the forum and a regency operator log in
with their passwords and read what they may, and nothing else. Roles are cluster-wide: nothing of this
touches the shared test server.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from satudata.config import PROJECT_ROOT, Settings
from satudata.pipeline import konvergensi
from satudata.publish.publication import publish_period

from tests.conftest import require_tool
from tests.konvergensi.test_run import PERIODE, _frames, _write

# its module fixtures are built once: the module's tests stay on one worker
pytestmark = pytest.mark.xdist_group("deploy/test_deploy_db")


SCRIPT = PROJECT_ROOT / "deploy" / "warehouse-db" / "10-satudata-roles.sh"
PIPELINE_PASSWORD = secrets.token_hex(16)


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    bin: Path
    port: int
    socket_dir: str
    admin_password: str
    data_dir: Path

    def url(self, user: str, password: str | None, database: str = "satudata") -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return self.url("postgres", self.admin_password)


@pytest.fixture(scope="module")
def server():
    """A private PostgreSQL cluster: scram-sha-256 for TCP, trust for the local admin; removed afterwards."""
    bin_dir = require_tool(_bin_dir() and str(_bin_dir()), "PostgreSQL server binaries (initdb)",
                           "apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="satudata-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: the cluster belongs to the postgres OS user
        shutil.chown(root, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    admin_password = secrets.token_hex(16)
    pwfile = root / "pw"
    pwfile.write_text(admin_password)
    if as_owner:
        shutil.chown(pwfile, "postgres", "postgres")
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*as_owner, *command], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    run(f"{bin_dir}/initdb", "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}", "-E", "UTF8",
        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
    run(f"{bin_dir}/pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c password_encryption=scram-sha-256", "start")
    try:
        yield Server(Path(bin_dir), port, str(root), admin_password, data)
    finally:
        subprocess.run([*as_owner, f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _run_script(server: Server, **extra: str) -> subprocess.CompletedProcess:
    """The script as the postgres image's entrypoint runs it: its admin on the local socket, compose's env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "SATUDATA_"))}
    env |= {"PATH": f"{server.bin}{os.pathsep}{env.get('PATH', '')}", "PGHOST": server.socket_dir,
            "PGPORT": str(server.port), "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": server.admin_password,
            "POSTGRES_DB": "postgres", "SATUDATA_WAREHOUSE_PASSWORD": PIPELINE_PASSWORD, **extra}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)


def _satudata_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "SATUDATA_"))}
    env["SATUDATA_DATA_DIR"] = str(tmp / "data")
    return env


def _satudata(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """`satudata ...` in a process of its own, as an operator types it."""
    return subprocess.run([sys.executable, "-m", "satudata.cli", *args], env=_satudata_env(tmp), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def _started(tmp: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "satudata.cli", *args], env=_satudata_env(tmp), cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _ok(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def _cli(capsys, *args: str) -> tuple[int, dict]:
    """`satudata ...` in this process (its parser and command, without a new interpreter's imports)."""
    from satudata.cli import main

    capsys.readouterr()
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


@dataclass(frozen=True)
class Deployment:
    server: Server
    pipeline_url: str
    forum_password: str
    operator_password: str
    tmp: Path


@pytest.fixture(scope="module")
def deployed(server, tmp_path_factory) -> Deployment:
    """From the empty server to the forum's and an operator's logins, by the documented commands only."""
    tmp = tmp_path_factory.mktemp("deploy")
    started = time.monotonic()
    done = _run_script(server)
    assert done.returncode == 0, done.stderr
    pipeline_url = server.url("satudata_pipeline", PIPELINE_PASSWORD)
    _ok(_satudata(tmp, "init-db", "--warehouse", pipeline_url))
    # The admin gives the forum its password and makes an operator's login, while the pipeline computes and
    # publishes a period (with its own login) for the readers to read.
    forum = _started(tmp, "rotate-password", "--admin-url", server.admin_url, "--role", "satudata_forum",
                     "--no-airflow")
    operator = _started(tmp, "operator-role", "--admin-url", server.admin_url, "--role", "operator_dompu",
                        "--kab", "5205")
    settings = Settings(data_dir=tmp / "data", warehouse_url=pipeline_url)
    settings.ensure_folders()
    _write(pipeline_url, _frames(PERIODE, lists=[]))
    konvergensi(PERIODE, settings)
    publish_period(settings, PERIODE, disetujui_oleh="Siti Rahma", cara_persetujuan="konfigurasi", run_id="uji",
                   minimum=5)
    forum, operator = _ok(_finished(forum)), _ok(_finished(operator))
    assert operator["kata_sandi"] and operator["kode_kab"] == ["5205"]
    print(f"deployment ready in {time.monotonic() - started:.1f} s")
    return Deployment(server, pipeline_url, forum["kata_sandi"], operator["kata_sandi"], tmp)


def _login(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _scalar(url: str, sql: str):
    engine = _login(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _denied(url: str, sql: str) -> None:
    engine = _login(url)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _login_fails(url: str, match: str) -> None:
    engine = _login(url)
    try:
        with pytest.raises(sa.exc.OperationalError, match=match):
            engine.connect().close()
    finally:
        engine.dispose()


def test_the_admin_script_makes_the_roles_and_the_pipeline_gets_least_privilege(deployed):
    admin = deployed.server.admin_url
    engine = _login(admin)
    with engine.connect() as conn:
        roles = {r.rolname: r for r in conn.execute(sa.text(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolpassword FROM pg_authid "
            "WHERE rolname IN ('satudata_pipeline', 'satudata_forum', 'satudata_operator', 'operator_dompu')"))}
        assert set(roles) == {"satudata_pipeline", "satudata_forum", "satudata_operator", "operator_dompu"}
        for role in roles.values():
            assert not (role.rolsuper or role.rolcreaterole or role.rolcreatedb), role.rolname
        assert not roles["satudata_operator"].rolcanlogin
        for name in ("satudata_pipeline", "satudata_forum", "operator_dompu"):
            assert roles[name].rolcanlogin and roles[name].rolpassword.startswith("SCRAM-SHA-256$"), name
        assert conn.execute(sa.text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'satudata'")
                            ).scalar() == "satudata_pipeline"
        connect = dict(conn.execute(sa.text(
            "SELECT r, has_database_privilege(r, 'satudata', 'CONNECT') FROM unnest(ARRAY['public', "
            "'satudata_pipeline', 'satudata_forum', 'satudata_operator', 'operator_dompu']) AS r")).all())
        assert connect == {"public": False, "satudata_pipeline": True, "satudata_forum": True,
                           "satudata_operator": True, "operator_dompu": True}
        # the pipeline owns what it migrated
        assert conn.execute(sa.text("SELECT DISTINCT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN "
                                    "('staging', 'core', 'mart', 'meta')")).scalars().all() == ["satudata_pipeline"]
    engine.dispose()
    # password authentication is really in force over TCP
    _login_fails(deployed.server.url("satudata_forum", "bukan-kata-sandinya-0123"), "password authentication failed")
    _login_fails(deployed.server.url("satudata_operator", None), "password|not permitted to log in")


def test_the_forum_logs_in_and_reads_mart_only(deployed):
    forum = deployed.server.url("satudata_forum", deployed.forum_password)
    assert _scalar(forum, "SELECT count(*) FROM mart.konvergensi_kabupaten") == 2
    assert _scalar(forum, "SELECT count(*) FROM meta.kamus_data") > 50
    for sql in ("SELECT count(*) FROM core.individu_terpadu", "SELECT count(*) FROM core.wilayah",
                "SELECT count(*) FROM staging.dtks", "SELECT count(*) FROM meta.publikasi",
                "SELECT count(*) FROM meta.operator_kabupaten", "DELETE FROM mart.konvergensi_desa",
                "CREATE TABLE mart.milik_forum (x int)", "CREATE TABLE public.milik_forum (x int)"):
        _denied(forum, sql)


def test_a_regency_operator_logs_in_and_reads_only_its_rows(deployed):
    operator = deployed.server.url("operator_dompu", deployed.operator_password)
    engine = _login(operator)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT DISTINCT kode_kab FROM core.individu_terpadu")).scalars().all() == ["5205"]
        assert conn.execute(sa.text("SELECT count(*) FROM core.keluarga_terpadu WHERE kode_kab = '5206'")
                            ).scalar() == 0
        assert conn.execute(sa.text("SELECT nama FROM core.wilayah WHERE kode = '5205'")).scalar()
    engine.dispose()
    for sql in ("SELECT count(*) FROM staging.dtks", "SELECT count(*) FROM meta.operator_kabupaten",
                "SELECT count(*) FROM mart.konvergensi_kabupaten", "UPDATE core.keluarga_terpadu SET desil = 1"):
        _denied(operator, sql)
    # the pipeline still sees every regency
    assert _scalar(deployed.pipeline_url, "SELECT count(DISTINCT kode_kab) FROM core.individu_terpadu") == 2


def test_operator_roles_are_an_admin_task(deployed, capsys):
    code, out = _cli(capsys, "operator-role", "--warehouse", deployed.pipeline_url, "--role", "operator_bima",
                     "--kab", "5206")
    assert code == 2 and "satudata_pipeline may not create or grant roles" in out["galat"]
    assert "--admin-url" in out["galat"]
    # again for an existing role: its regencies change, its password does not
    code, out = _cli(capsys, "operator-role", "--admin-url", deployed.server.admin_url, "--role", "operator_dompu",
                     "--kab", "5205")
    assert code == 0 and out["kata_sandi"] is None
    assert _scalar(deployed.server.url("operator_dompu", deployed.operator_password), "SELECT 1") == 1


def test_a_missing_role_stops_init_db_with_the_fix(deployed):
    from satudata.warehouse.access import AccessControlError
    from satudata.warehouse.bootstrap import init_warehouse

    admin = _login(deployed.server.admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text("ALTER ROLE satudata_operator RENAME TO satudata_operator_lama"))
    try:
        with pytest.raises(AccessControlError, match=r"role\(s\) satudata_operator do not exist.*satudata_pipeline "
                                                     r"may not create roles.*10-satudata-roles\.sh"):
            init_warehouse(deployed.pipeline_url)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text("ALTER ROLE satudata_operator_lama RENAME TO satudata_operator"))
        admin.dispose()


def test_an_existing_deployment_converges(deployed):
    """A server set up by the previous release: CONNECT for the pipeline only, roles made by hand (the
    work-around, with CREATEROLE given to the pipeline), and a database made for a restore."""
    from satudata.warehouse.access import access_in_place
    from satudata.warehouse.bootstrap import init_warehouse

    server = deployed.server
    forum = server.url("satudata_forum", deployed.forum_password)
    admin = _login(server.admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text("REVOKE CONNECT ON DATABASE satudata FROM satudata_forum, satudata_operator"))
        conn.execute(sa.text("ALTER ROLE satudata_pipeline CREATEROLE"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CREATE DATABASE satudata_pulih OWNER satudata_pipeline"))  # docs/deploy.md, restore
    _login_fails(forum, "permission denied for database")

    # the script again, by hand: adds what is missing, takes CREATEROLE away, changes no password
    done = _run_script(server, SATUDATA_WAREHOUSE_PASSWORD="ein-anderes-passwort-0123456789")
    assert done.returncode == 0, done.stderr
    assert _scalar(server.admin_url, "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'satudata_pipeline'") is False
    assert _scalar(forum, "SELECT count(*) FROM mart.konvergensi_kabupaten") == 2

    # init-db converges where only the grants are missing, and a second run changes nothing
    with admin.begin() as conn:
        conn.execute(sa.text("REVOKE CONNECT ON DATABASE satudata FROM satudata_forum, satudata_operator"))
    admin.dispose()
    engine = _login(deployed.pipeline_url)
    with engine.connect() as conn:
        assert not access_in_place(conn)
    init_warehouse(deployed.pipeline_url)
    with engine.connect() as conn:
        assert access_in_place(conn)
        acl = conn.execute(sa.text("SELECT datacl::text FROM pg_database WHERE datname = 'satudata'")).scalar()
    init_warehouse(deployed.pipeline_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT datacl::text FROM pg_database WHERE datname = 'satudata'")).scalar() == acl
    # PUBLIC's CONNECT (a database an earlier release initialised) goes without re-applying the rest
    admin = _login(server.admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text("GRANT CONNECT ON DATABASE satudata TO PUBLIC"))
    admin.dispose()
    with engine.connect() as conn:
        assert access_in_place(conn)
    init_warehouse(deployed.pipeline_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT datacl::text FROM pg_database WHERE datname = 'satudata'")).scalar() == acl
    engine.dispose()
    assert _scalar(forum, "SELECT count(*) FROM mart.konvergensi_kabupaten") == 2
    assert _scalar(server.url("operator_dompu", deployed.operator_password),
                   "SELECT count(DISTINCT kode_kab) FROM core.individu_terpadu") == 1

    # a database the admin created for a restore (PUBLIC may connect by default) gets the same rules
    pulih = server.url("satudata_pipeline", PIPELINE_PASSWORD, "satudata_pulih")
    init_warehouse(pulih)
    engine = _login(pulih)
    with engine.connect() as conn:
        assert access_in_place(conn)
        assert conn.execute(sa.text("SELECT has_database_privilege('public', current_database(), 'CONNECT')")
                            ).scalar() is False
    engine.dispose()
    assert _scalar(server.url("satudata_forum", deployed.forum_password, "satudata_pulih"),
                   "SELECT count(*) FROM mart.konvergensi_kabupaten") == 0
