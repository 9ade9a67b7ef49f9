# Satu Data Kemiskinan: one image for every Airflow component (api-server, scheduler, dag-processor,
# triggerer, celery worker) and for the `satudata` CLI.
#
# Not based on apache/airflow on purpose: the image holds exactly the dependencies locked in uv.lock.
# Build:  docker compose build          (or: docker build -t satudata-airflow:latest .)
FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    AIRFLOW_HOME=/opt/airflow \
    HOME=/opt/airflow \
    PATH=/opt/venv/bin:$PATH

# DejaVu fonts for the text of the forum's report (Typst and Vega ship their own fallbacks; no browser).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN pip install "uv==${UV_VERSION}"

# Group 0 owns the writable folders, so the image also runs under another uid (compose's AIRFLOW_UID).
RUN useradd --uid 50000 --gid 0 --home-dir /opt/airflow --no-create-home --shell /bin/bash airflow \
    && mkdir -p /opt/airflow /opt/airflow/logs /opt/airflow/auth /data \
    && chown -R airflow:0 /opt/airflow /data \
    && chmod -R g+rwX /opt/airflow /data

WORKDIR /opt/airflow

# 1. Third-party dependencies only: this layer is rebuilt when the lock changes, not when code does.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

# 2. The satudata package itself. Kept editable (uv's default; never --no-editable): satudata.config
#    finds include/, expectations/ and the reference data relative to /opt/airflow/plugins/satudata.
#    satudata/ is an installed package, not a set of Airflow plugin modules: without an ignore file
#    Airflow would import every .py under plugins/ as a top-level module (the Alembic env.py fails).
COPY --chown=airflow:0 plugins/ plugins/
RUN uv sync --frozen --no-dev \
    && { test -f plugins/.airflowignore || printf 'satudata/\n' > plugins/.airflowignore; }

# 3. DAGs, SQL, reference data and Great Expectations suites change most often: last.
COPY --chown=airflow:0 dags/ dags/
COPY --chown=airflow:0 include/ include/
COPY --chown=airflow:0 expectations/ expectations/

# Smoke test of the finished image: CLI on PATH, project root resolved, Celery provider present.
RUN satudata --help > /dev/null \
    && AIRFLOW_HOME=/tmp/airflow-smoke python -c "import airflow.providers.celery, satudata.config as c; \
assert str(c.PROJECT_ROOT) == '/opt/airflow', c.PROJECT_ROOT; \
assert (c.reference_dir() / 'program.csv').is_file()" \
    && rm -rf /tmp/airflow-smoke

USER 50000
EXPOSE 8080
CMD ["airflow", "version"]
