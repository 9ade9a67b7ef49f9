#!/usr/bin/env bash
# First start of warehouse-db only (postgres image, /docker-entrypoint-initdb.d/), as the server's admin
# (POSTGRES_USER): everything that needs more than the pipeline may do.
#
# - satudata_pipeline: the pipeline's login (no CREATEROLE, no CREATEDB); it owns the database `satudata`
#   and migrates it (`satudata init-db`, run by airflow-init: schemas, tables, grants, row-level security);
# - satudata_forum: the Satu Data forum's login (reads mart and meta.kamus_data once init-db has run);
# - satudata_operator: the group of the regency operators' logins (`satudata operator-role --admin-url ...`);
# - CONNECT on `satudata` for these three only (revoked from PUBLIC).
#
# Passwords come from the environment and reach SQL as psql variables (:'pw'), so they are quoted by psql,
# never by the shell: SATUDATA_WAREHOUSE_PASSWORD (required) for the pipeline, SATUDATA_FORUM_PASSWORD
# (optional) for the forum. Without the latter the forum cannot log in until the admin gives it one:
# `satudata rotate-password --role satudata_forum --no-airflow --admin-url ...` (docs/deploy.md).
#
# Safe to run again by hand on an existing server (it only adds what is missing and never changes a
# password): docker compose exec warehouse-db bash /docker-entrypoint-initdb.d/10-satudata-roles.sh
set -euo pipefail

if [ -z "${SATUDATA_WAREHOUSE_PASSWORD:-}" ]; then
    echo "10-satudata-roles.sh: SATUDATA_WAREHOUSE_PASSWORD is not set" >&2
    false
fi
forum_pw=()
if [ -n "${SATUDATA_FORUM_PASSWORD:-}" ]; then
    forum_pw=(--set=forum_pw="$SATUDATA_FORUM_PASSWORD")
fi

psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=pw="$SATUDATA_WAREHOUSE_PASSWORD" "${forum_pw[@]}" <<'SQL'
SET password_encryption = 'scram-sha-256';
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'satudata_pipeline') AS new_pipeline,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'satudata_forum') AS new_forum,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'satudata_operator') AS new_operator,
       NOT EXISTS (SELECT FROM pg_database WHERE datname = 'satudata') AS new_database
\gset
\if :new_pipeline
CREATE ROLE satudata_pipeline LOGIN PASSWORD :'pw';
\endif
-- Least privilege, also where an earlier work-around gave it more: roles are made here, by the admin.
ALTER ROLE satudata_pipeline NOCREATEROLE NOCREATEDB;
\if :new_forum
\if :{?forum_pw}
CREATE ROLE satudata_forum LOGIN PASSWORD :'forum_pw';
\else
CREATE ROLE satudata_forum LOGIN;
\endif
\endif
\if :new_operator
CREATE ROLE satudata_operator NOLOGIN;
\endif
\if :new_database
CREATE DATABASE satudata OWNER satudata_pipeline ENCODING 'UTF8' TEMPLATE template0;
\endif
REVOKE ALL ON DATABASE satudata FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE satudata TO satudata_pipeline;
GRANT CONNECT ON DATABASE satudata TO satudata_forum, satudata_operator;
SQL

psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname satudata <<'SQL'
-- Only the pipeline creates objects; other roles get grants on mart.* explicitly (satudata init-db).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO satudata_pipeline;
SQL

echo "10-satudata-roles.sh: roles satudata_pipeline, satudata_forum, satudata_operator and database satudata ready"
