#!/usr/bin/env bash
# First start of warehouse-db only (postgres image, /docker-entrypoint-initdb.d/): create the
# pipeline's login role and the `satudata` database it owns. Schemas staging/core/mart/meta, tables
# and reference data come afterwards from `satudata init-db` (Alembic), run by airflow-init.
#
# The password comes from SATUDATA_WAREHOUSE_PASSWORD and reaches SQL as a psql variable (:'pw'),
# so it is quoted by psql, never by the shell. Changing it later: ALTER ROLE ... PASSWORD (docs/deploy.md).
set -euo pipefail

if [ -z "${SATUDATA_WAREHOUSE_PASSWORD:-}" ]; then
    echo "10-satudata-roles.sh: SATUDATA_WAREHOUSE_PASSWORD is not set" >&2
    false
fi

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=pw="$SATUDATA_WAREHOUSE_PASSWORD" <<'SQL'
CREATE ROLE satudata_pipeline LOGIN PASSWORD :'pw';
CREATE DATABASE satudata OWNER satudata_pipeline ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE satudata FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE satudata TO satudata_pipeline;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname satudata <<'SQL'
-- Only the pipeline creates objects; other roles get grants on mart.* explicitly.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO satudata_pipeline;
SQL

echo "10-satudata-roles.sh: role satudata_pipeline and database satudata created"
