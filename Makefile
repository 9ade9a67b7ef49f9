# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
# The interpreter itself, not a pyenv shim: uv judges a venv made from another path as wrong and replaces
# it whole (under everybody using it) on the next sync.
PYTHON ?= $(shell $$(command -v python3.11 || command -v python3) -c 'import sys; print(sys.executable)')
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(VENV)/bin
# Never let uv fetch its own interpreter: we run on the machine's Python 3.11.
export UV_PYTHON_DOWNLOADS := never
export SATUDATA_DATA_DIR ?= $(CURDIR)/data

PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help env demo test bench lint airflow-ui screenshots clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (many machines and images set it) no
# process writes a .pyc, and each one (every Airflow task, CLI call and worker) compiled Airflow, GX and
# pandas from source again: 12.5 s to import GX, the Airflow SDK and Splink, 5.3 s compiled.
$(VENV)/.synced: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q -j 0 plugins dev dags > /dev/null
	@touch $@

env: $(VENV)/.synced  ## create .venv with exactly the locked dependencies

demo: env  ## generate a synthetic province and run it through the real DAGs (embedded Airflow + DuckDB)
	$(RUN)/python -m satudata_dev.demo

test: env  ## the whole suite, including the PostgreSQL and Airflow tests
	$(RUN)/python -m pytest $(PYTEST_ARGS)

bench: env  ## benchmarks (figures printed and written to docs/benchmarks.md)
	$(RUN)/python -m benchmarks.run $(BENCH_ARGS)

lint: env  ## ruff
	$(RUN)/ruff check plugins dev dags tests benchmarks docs

airflow-ui: env  ## the Airflow UI on http://localhost:8080 with this project's DAGs (prints the login)
	$(RUN)/python -m satudata_dev.airflow_ui

screenshots: env  ## refresh the README's pictures in docs/img/ (after `make demo`; needs Chromium)
	$(RUN)/python docs/screenshots.py

clean:  ## remove generated data, the embedded Airflow home and the environments
	rm -rf data .airflow .airflow.env test-artifacts $(VENV) $(TOOLS)
