"""Who may read and write what, on PostgreSQL: roles, grants and row-level security.

| role | may |
|---|---|
| `satudata_pipeline` | read and write every schema (the DAGs connect as it) |
| `satudata_forum` | read `mart` and the data dictionary `meta.kamus_data`, nothing else |
| `satudata_operator` (group) | read the reference tables and, in `core`, only the rows of its own regencies |

A regency operator logs in as a role of its own, member of `satudata_operator`, mapped to one or more
regencies in `meta.operator_kabupaten` (`create_operator_role`). Every `core` table with a `kode_kab`
column has row-level security: an operator sees only its regencies' rows. Anything not granted is an
error (`permission denied`), never an empty result.

Migration 0006 applies this; `init_warehouse` applies it again after every upgrade, so tables added by
later migrations are covered. The embedded DuckDB has no users: there the forum reads the file
read-only, the exports and the report, and personal data never leaves the machine.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

PIPELINE = "satudata_pipeline"
FORUM = "satudata_forum"
OPERATOR = "satudata_operator"
SCHEMAS = ("staging", "core", "mart", "meta")
REFERENCE_TABLES = ("wilayah", "program", "penduduk_kabupaten")
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ensure_role(conn: Connection, name: str, login: bool) -> None:
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).scalar()
    if not exists:
        # Roles are cluster-wide: another database of the cluster may have created it already.
        conn.execute(sa.text(f"CREATE ROLE {name} {'LOGIN' if login else 'NOLOGIN'}"))


def _rls_tables(conn: Connection) -> list[str]:
    return list(conn.execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'core' AND column_name = 'kode_kab' "
        "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' "
        "AND table_type = 'BASE TABLE') ORDER BY table_name")).scalars().all())


def access_in_place(conn: Connection) -> bool:
    """True when every role, grant, function and policy `apply_access_control` makes is already there.

    Checked first because re-applying takes ACCESS EXCLUSIVE locks (ALTER TABLE, CREATE POLICY) on every
    core table at the start of every DAG run: beside a running ANALYZE or another run's start that
    deadlocks or fails with "tuple concurrently updated".
    """
    roles = set(conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname IN (:a, :b, :c)"),
                             {"a": PIPELINE, "b": FORUM, "c": OPERATOR}).scalars())
    if roles != {PIPELINE, FORUM, OPERATOR}:
        return False
    if not conn.execute(sa.text("SELECT to_regprocedure('meta.kabupaten_operator()') IS NOT NULL")).scalar():
        return False
    missing = conn.execute(sa.text("""
        SELECT count(*) FROM pg_tables t
        WHERE t.schemaname IN ('staging', 'core', 'mart', 'meta')
          AND (NOT has_table_privilege(:pipeline, quote_ident(t.schemaname) || '.' || quote_ident(t.tablename),
                                       'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
               OR (t.schemaname = 'mart' AND NOT has_table_privilege(
                       :forum, quote_ident(t.schemaname) || '.' || quote_ident(t.tablename), 'SELECT')))
    """), {"pipeline": PIPELINE, "forum": FORUM}).scalar()
    if missing:
        return False
    rls = _rls_tables(conn)
    in_place = conn.execute(sa.text("""
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'core' AND c.relname = ANY(:tables) AND c.relrowsecurity
          AND has_table_privilege(:operator, c.oid, 'SELECT')
          AND (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'core' AND p.tablename = c.relname
               AND p.policyname IN ('operator_kabupaten', 'pipeline_semua')) = 2
    """), {"tables": rls, "operator": OPERATOR}).scalar()
    return in_place == len(rls)


def apply_access_control(conn: Connection, *, force: bool = False) -> dict:
    """Create the roles and (re)apply grants and policies; idempotent. No-op on other engines.

    Does nothing when everything is already in place (`access_in_place`), unless `force`.
    """
    if conn.dialect.name != "postgresql":
        return {"applied": False, "reason": f"{conn.dialect.name} has no roles"}
    if not force and access_in_place(conn):
        return {"applied": False, "reason": "already in place", "rls_tables": _rls_tables(conn)}
    for name, login in ((PIPELINE, True), (FORUM, True), (OPERATOR, False)):
        _ensure_role(conn, name, login)

    def run(sql: str) -> None:
        conn.execute(sa.text(sql))

    for schema in SCHEMAS:
        run(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
        run(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {PIPELINE}")
        run(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {PIPELINE}")
        run(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {PIPELINE}")
        run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT ALL ON TABLES TO {PIPELINE}")
        run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT ALL ON SEQUENCES TO {PIPELINE}")

    # The forum: published tables and their dictionary.
    run(f"GRANT USAGE ON SCHEMA mart TO {FORUM}")
    run(f"GRANT SELECT ON ALL TABLES IN SCHEMA mart TO {FORUM}")
    run(f"ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT SELECT ON TABLES TO {FORUM}")
    run(f"GRANT USAGE ON SCHEMA meta TO {FORUM}")
    run(f"GRANT SELECT ON meta.kamus_data TO {FORUM}")

    # Operators: reference tables, and their own regencies' rows of core.
    run(f"GRANT USAGE ON SCHEMA core TO {OPERATOR}")
    for table in REFERENCE_TABLES:
        run(f"GRANT SELECT ON core.{table} TO {OPERATOR}")
    # The mapping is read through a SECURITY DEFINER function, so operators never see meta itself.
    run("""
        CREATE OR REPLACE FUNCTION meta.kabupaten_operator() RETURNS SETOF varchar
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, meta AS
        $$ SELECT kode_kab FROM meta.operator_kabupaten WHERE nama_role = session_user $$
    """)
    run("REVOKE ALL ON FUNCTION meta.kabupaten_operator() FROM PUBLIC")
    run(f"GRANT EXECUTE ON FUNCTION meta.kabupaten_operator() TO {OPERATOR}")
    run(f"GRANT USAGE ON SCHEMA meta TO {OPERATOR}")
    tables = _rls_tables(conn)
    for table in tables:
        run(f"ALTER TABLE core.{table} ENABLE ROW LEVEL SECURITY")
        run(f"GRANT SELECT ON core.{table} TO {OPERATOR}")
        run(f"DROP POLICY IF EXISTS operator_kabupaten ON core.{table}")
        run(f"CREATE POLICY operator_kabupaten ON core.{table} FOR SELECT TO {OPERATOR} "
            "USING (kode_kab IN (SELECT meta.kabupaten_operator()))")
        run(f"DROP POLICY IF EXISTS pipeline_semua ON core.{table}")
        run(f"CREATE POLICY pipeline_semua ON core.{table} FOR ALL TO {PIPELINE} USING (true) WITH CHECK (true)")
    log.info("access control applied: roles %s, %s, %s; row-level security on %d core tables",
             PIPELINE, FORUM, OPERATOR, len(tables))
    return {"applied": True, "rls_tables": list(tables)}


def create_operator_role(conn: Connection, role: str, kode_kab: list[str] | str) -> None:
    """A login role for a regency operator, allowed to read its regencies' rows of `core`.

    The password is set outside this repository (`ALTER ROLE ... PASSWORD` by the DBA, or a secret store).
    """
    if conn.dialect.name != "postgresql":
        raise ValueError("operator roles exist on PostgreSQL only")
    if not _ROLE_NAME.match(role) or role.startswith("satudata_"):
        raise ValueError(f"role name must be lower-case letters, digits and _, not starting with satudata_: {role!r}")
    kabs = [kode_kab] if isinstance(kode_kab, str) else list(kode_kab)
    for kab in kabs:
        if not re.fullmatch(r"[0-9]{4}", kab):
            raise ValueError(f"kode_kab must be 4 digits, not {kab!r}")
    _ensure_role(conn, role, login=True)
    conn.execute(sa.text(f"GRANT {OPERATOR} TO {role}"))
    conn.execute(sa.text("DELETE FROM meta.operator_kabupaten WHERE nama_role = :r"), {"r": role})
    for kab in kabs:
        conn.execute(sa.text("INSERT INTO meta.operator_kabupaten (nama_role, kode_kab) VALUES (:r, :k)"),
                     {"r": role, "k": kab})
