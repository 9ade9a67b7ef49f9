"""Development tooling of Satu Data Kemiskinan, outside the product package (`satudata`).

- `generate`: the synthetic province (registries, programme lists, truth) the demo, tests and benchmarks use;
- `demo`: `make demo`, the generated province through the real DAGs;
- `airflow_local`, `airflow_ui`: the embedded Airflow of the demo and tests, and `make airflow-ui`;
- `celery_local`: a real Airflow CeleryExecutor deployment on this machine, for the scale-out test and benchmark;
- `browser`: the system Chromium, for the browser tests and screenshots;
- `cli`: `satudata-dev generate`.

Installed in the development environment only (uv's dev group); the production image ships `satudata` alone.
"""
