"""Static checks of the production deployment: docker-compose.yaml, Dockerfile, .dockerignore, deploy/.

No Docker engine is needed. When the `docker-compose` binary (Debian's 1.29) or the Compose v2 plugin is
on PATH, the compose file is also validated by it (`config -q`); otherwise only that test is skipped.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / "deploy" / "airflow.env.example"
WAREHOUSE_INIT = ROOT / "deploy" / "warehouse-db" / "10-satudata-roles.sh"

IMAGE = "satudata-airflow:${SATUDATA_VERSION:-latest}"
DATA_MOUNT = "${SATUDATA_SHARED_DIR:-./data}:/data"
AIRFLOW_SERVICES = {
    "airflow-init": None,  # a bash script, checked on its own
    "airflow-apiserver": ["airflow", "api-server"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
    "airflow-worker": ["airflow", "celery", "worker"],
    "flower": ["airflow", "celery", "flower"],
}
LONG_RUNNING_AIRFLOW = [s for s in AIRFLOW_SERVICES if s != "airflow-init"]
CELERY_SERVICES = {"redis", "airflow-worker", "flower"}
DATABASES = {"airflow-db", "warehouse-db"}
SECRET_KEY = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$")
REF = r"\$\{[A-Z0-9_]+(?::?[-?][^}]*)?\}"  # ${VAR}, ${VAR:-default}, ${VAR:?message}
REQUIRED_REF = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]+\}")
DUMMY_ENV = {
    "AIRFLOW_DB_PASSWORD": "dummy-airflow-db",
    "WAREHOUSE_DB_ADMIN_PASSWORD": "dummy-warehouse-admin",
    "SATUDATA_WAREHOUSE_PASSWORD": "dummy-warehouse",
    "AIRFLOW_FERNET_KEY": "ZHVtbXktZHVtbXktZHVtbXktZHVtbXktZHVtbXktZHU=",
    "AIRFLOW_JWT_SECRET": "dummy-jwt",
    "AIRFLOW_API_SECRET_KEY": "dummy-api",
    "AIRFLOW_ADMIN_PASSWORD": "dummy-admin",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping (merged from x-airflow-common-env)"
    return {k: str(v) for k, v in env.items()}


def _command(service: dict) -> list[str]:
    cmd = service.get("command")
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd or [])


def _volumes(service: dict) -> list[str]:
    return [v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in service.get("volumes", [])]


def _split_volume(volume: str) -> tuple[str, str, str]:
    """`source:target[:mode]`, where source may be `${VAR:-default}` (which holds a colon)."""
    m = re.fullmatch(r"(\$\{[^}]*\}[^:]*|[^:]+):([^:]+)(?::(ro|rw))?", volume)
    assert m, f"cannot parse volume {volume!r}"
    return m.group(1), m.group(2), m.group(3) or "rw"


def _healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def _default(value: str) -> str:
    """`${VAR:-x}` -> x; a plain value stays as it is."""
    m = re.fullmatch(r"\$\{[A-Z0-9_]+:-([^}]*)\}", value)
    return m.group(1) if m else value


# --- services and commands ------------------------------------------------------------------------


def test_required_services_exist(services):
    expected = set(AIRFLOW_SERVICES) | DATABASES | {"redis"}
    assert expected <= set(services), f"missing services: {sorted(expected - set(services))}"


@pytest.mark.parametrize("name", [s for s, cmd in AIRFLOW_SERVICES.items() if cmd])
def test_airflow_service_commands(services, name):
    assert _command(services[name]) == AIRFLOW_SERVICES[name]


def test_airflow_init_migrates_creates_admin_pool_and_warehouse(services, compose):
    init = services["airflow-init"]
    script = "\n".join(_command(init))
    for step in ("airflow db migrate", "airflow pools set satudata_warehouse", "satudata init-db"):
        assert step in script, f"airflow-init does not run {step!r}"
    assert script.index("airflow db migrate") < script.index("airflow pools set")
    # Personal accounts (FAB): the roles are kept by `satudata airflow-roles`, the first admin comes from .env,
    # and the warehouse connection is created once in the metadata database (rotated later without restart).
    env = _env(init)
    assert re.fullmatch(REQUIRED_REF, env["AIRFLOW_ADMIN_PASSWORD"])
    assert script.index("airflow db migrate") < script.index("satudata airflow-roles") < script.index(
        "airflow users create --role Admin")
    assert "AIRFLOW_ADMIN_PASSWORD" in script and "airflow connections add satudata_warehouse" in script
    assert "airflow connections get satudata_warehouse" in script, "created once, never overwritten by a restart"
    assert env["SATUDATA_WAREHOUSE_URL"].startswith("postgresql+psycopg://satudata_pipeline:${SATUDATA_WAREHOUSE_PASSWORD")
    for name in ("airflow-init", "airflow-apiserver"):
        assert "./deploy/webserver_config.py:/opt/airflow/webserver_config.py:ro" in _volumes(services[name])
    assert init.get("restart") in ("no", None), "a one-shot init must not restart"


def test_warehouse_pool_name_matches_the_dags():
    tree = ast.parse((ROOT / "plugins" / "satudata" / "dag_support.py").read_text())
    pools = [
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "WAREHOUSE_POOL" for t in node.targets)
    ]
    assert pools == ["satudata_warehouse"], "airflow-init creates pool 'satudata_warehouse'"


def test_airflow_services_share_one_image_built_from_the_dockerfile(services):
    for name in AIRFLOW_SERVICES:
        svc = services[name]
        assert svc.get("image") == IMAGE, name
        build = svc.get("build")
        assert build, f"{name} has no build section"
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (ROOT / context / dockerfile).resolve() == DOCKERFILE


def test_apiserver_publishes_8080(services):
    ports = [str(p) for p in services["airflow-apiserver"]["ports"]]
    assert any(p.split(":")[-1].split("/")[0] == "8080" for p in ports), ports


# --- environment ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(AIRFLOW_SERVICES))
def test_airflow_environment(services, name):
    env = _env(services[name])
    services_env = env
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert services[name]["environment"]["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", "quote it: a string"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/airflow/plugins"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert 1 <= int(_default(env["AIRFLOW__CORE__PARALLELISM"])) <= 32
    assert re.fullmatch(
        rf"postgresql\+psycopg2://airflow:{REF}@airflow-db:5432/airflow",
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
    )
    for key in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        assert REQUIRED_REF.fullmatch(env[key]), f"{key} must be a required ${{VAR:?...}} reference"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
    assert re.fullmatch(
        rf"db\+postgresql://airflow:{REF}@airflow-db:5432/airflow", env["AIRFLOW__CELERY__RESULT_BACKEND"]
    )
    assert env["SATUDATA_DATA_DIR"] == "/data"
    # Tasks read the warehouse from the Airflow Connection in the metadata database (rotatable without a
    # restart): neither an AIRFLOW_CONN_ variable nor a URL with the password in the services' environment.
    assert "AIRFLOW_CONN_SATUDATA_WAREHOUSE" not in env
    assert ("SATUDATA_WAREHOUSE_URL" in env) == (name == "airflow-init")
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    assert not any(k.startswith("AIRFLOW__CORE__SIMPLE_AUTH") for k in services_env)
    assert env["AIRFLOW__METRICS__STATSD_ON"] == "true" and env["AIRFLOW__METRICS__STATSD_HOST"] == "statsd-exporter"
    assert env["AIRFLOW__METRICS__STATSD_PORT"] == "9125" and env["AIRFLOW__METRICS__STATSD_PREFIX"] == "airflow"


def _all_environments(services):
    for name, svc in services.items():
        for key, value in _env(svc).items():
            yield name, key, value


def test_no_literal_secrets(services):
    checked = 0
    for name, key, value in _all_environments(services):
        if SECRET_KEY.search(key) and not key.endswith("_FILE"):
            checked += 1
            assert REQUIRED_REF.fullmatch(value), f"{name}: {key}={value!r} must be ${{VAR:?message}}"
        # Credentials inside URLs: user:password@host -> the password must be a reference.
        for password in re.findall(r"://[^:/@\s]+:(\$\{[^}]*\}|[^@/\s]*)@", value):
            checked += 1
            assert re.fullmatch(REF, password) and ":-" not in password, f"{name}: {key} embeds {password!r}"
    assert checked >= 10


def test_every_required_variable_is_in_the_env_example():
    lines = [line for line in COMPOSE_FILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    required = set(REQUIRED_REF.findall("\n".join(lines)))
    assert required == set(DUMMY_ENV), "keep DUMMY_ENV in this test in step with the compose file"
    example = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    assert required <= set(example), f"not in {ENV_EXAMPLE.name}: {sorted(required - set(example))}"
    assert all(example[k] == "" for k in required), "the example must not ship secret values"


# --- databases and volumes -------------------------------------------------------------------------


def test_two_separate_postgres_databases_with_named_volumes(services, compose):
    named = set(compose.get("volumes") or {})
    data_volumes = {}
    for name in DATABASES:
        svc = services[name]
        assert svc["image"] == "postgres:16"
        vols = [_split_volume(v) for v in _volumes(svc)]
        vols = [v for v in vols if v[1] == "/var/lib/postgresql/data"]
        assert len(vols) == 1, f"{name} needs one data volume"
        source = vols[0][0]
        assert source in named, f"{name}: {source} is not a named volume"
        data_volumes[name] = source
        assert "pg_isready" in _healthcheck_text(svc)
        assert svc.get("restart") in ("always", "unless-stopped")
        assert re.fullmatch(REQUIRED_REF, str(svc["environment"]["POSTGRES_PASSWORD"]))
    assert data_volumes["airflow-db"] != data_volumes["warehouse-db"]
    assert services["airflow-db"]["environment"]["POSTGRES_DB"] == "airflow"


def test_warehouse_init_script_creates_the_pipeline_role(services):
    mounts = [v for v in _volumes(services["warehouse-db"]) if "/docker-entrypoint-initdb.d/" in v]
    assert mounts, "warehouse-db must mount the init script"
    source, _, mode = _split_volume(mounts[0])
    assert mode == "ro"
    assert (ROOT / source).resolve() == WAREHOUSE_INIT
    text = WAREHOUSE_INIT.read_text()
    assert "CREATE ROLE satudata_pipeline LOGIN PASSWORD :'pw'" in text
    assert "CREATE DATABASE satudata OWNER satudata_pipeline" in text
    assert "SATUDATA_WAREHOUSE_PASSWORD" in services["warehouse-db"]["environment"]
    assert "SUPERUSER" not in text.upper().replace("NOSUPERUSER", "")


@pytest.mark.parametrize(
    "name, mode",
    [
        ("airflow-init", "rw"),
        ("airflow-scheduler", "rw"),
        ("airflow-worker", "rw"),
        ("airflow-triggerer", "ro"),
        ("airflow-apiserver", None),
        ("airflow-dag-processor", None),
        ("flower", None),
    ],
)
def test_shared_data_folder_mounts(services, name, mode):
    mounts = [v for v in _volumes(services[name]) if v.startswith(DATA_MOUNT)]
    if mode is None:
        assert not mounts, f"{name} does not need the regencies' data"
        assert not any(_split_volume(v)[1] == "/data" for v in _volumes(services[name]))
    else:
        assert len(mounts) == 1, f"{name} needs {DATA_MOUNT}"
        assert mounts[0] == (DATA_MOUNT + ":ro" if mode == "ro" else DATA_MOUNT)


@pytest.mark.parametrize("name", list(AIRFLOW_SERVICES))
def test_airflow_logs_volume(services, name):
    assert "airflow-logs:/opt/airflow/logs" in _volumes(services[name])


# --- ordering, health, restart, profiles --------------------------------------------------------------


def test_depends_on(services):
    init_deps = services["airflow-init"]["depends_on"]
    for db in DATABASES:
        assert init_deps[db]["condition"] == "service_healthy"
    for name in LONG_RUNNING_AIRFLOW:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    for name in ("airflow-scheduler", "airflow-triggerer", "airflow-worker"):
        assert services[name]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert services["airflow-worker"]["depends_on"]["redis"]["condition"] == "service_healthy"
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert spec["condition"] in ("service_healthy", "service_completed_successfully")
            if dep in CELERY_SERVICES:
                assert name in CELERY_SERVICES, f"{name} would need --profile celery to start"


def test_profiles(services):
    for name, svc in services.items():
        if name in CELERY_SERVICES:
            assert svc.get("profiles") == ["celery"], name
        elif name == "proxy":
            assert svc.get("profiles") == ["tls"], name
        else:
            assert "profiles" not in svc, f"{name} must start without a profile"
    assert services["redis"]["image"] == "redis:7"


def test_healthchecks_and_restart_policies(services):
    for name, svc in services.items():
        if name == "airflow-init":
            assert "healthcheck" not in svc
            continue
        assert _healthcheck_text(svc), f"{name} has no healthcheck"
        assert svc.get("restart") in ("always", "unless-stopped"), name
    assert "/api/v2/monitor/health" in _healthcheck_text(services["airflow-apiserver"])
    assert "8974/health" in _healthcheck_text(services["airflow-scheduler"])
    assert _env(services["airflow-scheduler"])["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_compose_avoids_features_docker_compose_1_29_rejects(compose):
    assert "include" not in compose and "name" not in compose
    for name, svc in compose["services"].items():
        assert "develop" not in svc, name


# --- Dockerfile ---------------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _dockerignore_patterns() -> list[str]:
    return [
        p.strip().rstrip("/")
        for p in DOCKERIGNORE.read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(Path(p).name, pattern) for p in prefixes):
            ignored = not negate
    return ignored


def test_dockerfile_base_image_and_python_match_the_project():
    instructions = _dockerfile_instructions()
    froms = [rest for word, rest in instructions if word == "FROM"]
    assert froms == ["python:3.11-slim-bookworm"], "one stage from the pinned python slim image"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert ">=3.11" in requires and "<3.12" in requires


def test_dockerfile_installs_exactly_the_lock():
    instructions = _dockerfile_instructions()
    runs = [rest for word, rest in instructions if word == "RUN"]
    pip_uv = [r for r in runs if re.search(r"pip install .*uv==\$\{UV_VERSION\}|pip install .*uv==\d", r)]
    assert pip_uv, "uv must be installed with pip at a pinned version"
    uv_arg = [rest for word, rest in instructions if word == "ARG" and rest.startswith("UV_VERSION=")]
    assert uv_arg and re.fullmatch(r"UV_VERSION=\d+\.\d+\.\d+", uv_arg[0])
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs and all("--frozen" in r and "--no-dev" in r for r in syncs)
    assert not any("--no-editable" in r for r in syncs), "satudata.config needs the editable install"
    assert not any(re.search(r"\buv (pip install|lock)\b", r) for r in runs)
    env = " ".join(rest for word, rest in instructions if word == "ENV")
    assert "AIRFLOW_HOME=/opt/airflow" in env
    assert re.search(r"PATH=/opt/venv/bin:", env) and "UV_PROJECT_ENVIRONMENT=/opt/venv" in env


def test_dockerfile_uv_matches_the_makefile():
    makefile = ROOT / "Makefile"
    pinned = (
        re.search(r"^UV_VERSION\s*:?=\s*(\S+)", makefile.read_text(), re.MULTILINE)
        if makefile.exists()
        else None
    )
    if not pinned:
        pytest.skip("the Makefile pins no UV_VERSION")
    arg = next(r for w, r in _dockerfile_instructions() if w == "ARG" and r.startswith("UV_VERSION="))
    assert arg == f"UV_VERSION={pinned.group(1)}", "the image and developers must use the same uv"


def test_dockerfile_layers_dependencies_before_sources():
    instructions = _dockerfile_instructions()
    index = {i: (w, r) for i, (w, r) in enumerate(instructions)}
    lock_copy = next(i for i, (w, r) in index.items() if w == "COPY" and "uv.lock" in r)
    assert all(f in index[lock_copy][1] for f in ("pyproject.toml", "uv.lock", "README.md"))
    first_sync = next(i for i, (w, r) in index.items() if w == "RUN" and "uv sync" in r)
    assert "--no-install-project" in index[first_sync][1]
    source_copies = [i for i, (w, r) in index.items() if w == "COPY" and i != lock_copy]
    assert lock_copy < first_sync < min(source_copies)
    copied = " ".join(index[i][1] for i in source_copies)
    for folder in ("plugins/", "dags/", "include/", "expectations/"):
        assert folder in copied


def test_dockerfile_copy_sources_exist_and_reach_the_context():
    patterns = _dockerignore_patterns()
    sources = []
    for word, rest in _dockerfile_instructions():
        if word in ("COPY", "ADD"):
            args = [a for a in shlex.split(rest) if not a.startswith("--")]
            sources += args[:-1]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source.rstrip("/"), patterns), f"COPY {source}: excluded by .dockerignore"
    for secret_like in (".env", ".venv", "data", ".git"):
        assert _ignored(secret_like, patterns), f".dockerignore must exclude {secret_like}"


def test_dockerfile_runs_as_non_root():
    instructions = _dockerfile_instructions()
    users = [rest for word, rest in instructions if word == "USER"]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(w == "RUN" and "useradd" in r and "--uid 50000" in r for w, r in instructions)


def test_celery_provider_is_locked():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    names = {p["name"] for p in lock["package"]}
    assert {"apache-airflow-providers-celery", "celery", "redis", "flower"} <= names


# --- the real compose parser ---------------------------------------------------------------------------


def _compose_binaries() -> list[list[str]]:
    found = []
    if shutil.which("docker-compose"):
        found.append(["docker-compose"])
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], check=False, capture_output=True, timeout=30)
        if probe.returncode == 0:
            found.append(["docker", "compose"])
    return found


def _run_compose(binary: list[str], env_file: Path, extra_env: dict, *args: str):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **extra_env}
    cmd = [*binary, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args]
    return subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(
    not _compose_binaries(),
    reason="neither docker-compose nor `docker compose` on PATH "
    "(CI: apt-get install -y --no-install-recommends docker-compose)",
)
def test_compose_config_is_valid(tmp_path):
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in DUMMY_ENV.items()))
    for binary in _compose_binaries():
        for profile in ([], ["--profile", "celery"], ["--profile", "tls"]):
            result = _run_compose(binary, env_file, {}, *profile, "config", "-q")
            assert result.returncode == 0, f"{binary} {profile}: {result.stderr}"
        result = _run_compose(
            binary, env_file, {"AIRFLOW_EXECUTOR": "CeleryExecutor"}, "--profile", "celery", "config"
        )
        assert result.returncode == 0, result.stderr
        rendered = yaml.safe_load(result.stdout)["services"]
        assert {"redis", "airflow-worker"} <= set(rendered)
        assert rendered["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert rendered["airflow-init"]["environment"]["SATUDATA_WAREHOUSE_URL"] == (
            "postgresql+psycopg://satudata_pipeline:dummy-warehouse@warehouse-db:5432/satudata"
        )
        result = _run_compose(binary, env_file, {"SATUDATA_DOMAIN": "satudata.contoh.go.id"}, "--profile", "tls",
                              "config")
        assert result.returncode == 0, result.stderr
        assert yaml.safe_load(result.stdout)["services"]["proxy"]["environment"]["SATUDATA_DOMAIN"] == (
            "satudata.contoh.go.id")
        # A missing secret stops compose instead of starting with an empty password.
        partial = tmp_path / "partial.env"
        partial.write_text("".join(f"{k}={v}\n" for k, v in DUMMY_ENV.items() if k != "AIRFLOW_FERNET_KEY"))
        result = _run_compose(binary, partial, {}, "config", "-q")
        assert result.returncode != 0
        assert "AIRFLOW_FERNET_KEY" in result.stderr


def test_production_image_ships_no_development_tooling():
    """The generator, demo and local harnesses (dev/) never reach the image: .dockerignore drops dev/, the
    Dockerfile copies only the product, and `uv sync --no-dev` leaves out the dev group's satudata-dev."""
    assert _ignored("dev", _dockerignore_patterns())
    copied = " ".join(rest for word, rest in _dockerfile_instructions() if word in ("COPY", "ADD"))
    assert "dev/" not in copied.split()
    syncs = [rest for word, rest in _dockerfile_instructions() if word == "RUN" and "uv sync" in rest]
    assert syncs and all("--no-dev" in rest for rest in syncs)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = " ".join(project["project"]["dependencies"])
    assert "satudata-dev" not in runtime and "psutil" not in runtime and "redis" not in runtime
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["plugins/satudata"]


def test_tls_proxy_sample_forwards_to_the_api_server_and_hides_the_execution_api(services):
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "{$SATUDATA_DOMAIN}" in caddyfile and "reverse_proxy airflow-apiserver:8080" in caddyfile
    assert "Strict-Transport-Security" in caddyfile and "respond @execution 404" in caddyfile
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:") and "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in _volumes(proxy)
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert all(p.startswith("127.0.0.1:") for p in services["statsd-exporter"]["ports"])


def test_webserver_config_is_valid_python_with_database_logins_by_default():
    import runpy

    from flask_appbuilder.const import AUTH_DB

    namespace = runpy.run_path(str(ROOT / "deploy" / "webserver_config.py"))
    assert namespace["AUTH_TYPE"] == AUTH_DB and namespace["AUTH_USER_REGISTRATION"] is False
