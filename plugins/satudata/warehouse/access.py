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

Who creates what (least privilege): the warehouse's admin (the server's superuser) creates the three
roles and the database (`deploy/warehouse-db/10-satudata-roles.sh`, the first start of `warehouse-db`);
the pipeline owns the database and migrates it, without CREATEROLE. Here the roles are only granted to:
a missing role is created only when the session may create roles (a superuser's development
warehouse), otherwise `AccessControlError` names it and the fix. The database owner grants CONNECT to
the three roles and revokes it from PUBLIC. Operator login roles are an admin task as well
(`satudata operator-role --admin-url ...`).

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


ROLE_SCRIPT = "deploy/warehouse-db/10-satudata-roles.sh"


class AccessControlError(RuntimeError):
    """The warehouse's roles or database privileges are not as the deployment makes them; says the fix."""


def _may_create_roles(conn: Connection) -> bool:
    return bool(conn.execute(sa.text(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar())


def _create_role(conn: Connection, name: str, login: bool, password: str | None = None) -> None:
    """CREATE ROLE; `password` must be URL-safe (we generate it), it is inlined: CREATE ROLE takes no binds."""
    clause = ""
    if password is not None:
        if not re.fullmatch(r"[A-Za-z0-9._~-]{16,}", password):
            raise ValueError("use a URL-safe password of at least 16 characters")
        conn.execute(sa.text("SET LOCAL password_encryption = 'scram-sha-256'"))
        clause = f" PASSWORD '{password}'"
    conn.execute(sa.text(f"CREATE ROLE {name} {'LOGIN' if login else 'NOLOGIN'}{clause}"))


def ensure_roles(conn: Connection) -> None:
    """The pipeline, forum and operator roles exist, or `AccessControlError` says who must create them.

    Roles are cluster-wide and creating them needs CREATEROLE, which the pipeline does not have: the admin
    creates them (`deploy/warehouse-db/10-satudata-roles.sh`). Only a session that may create roles anyway
    (a superuser's development or test warehouse) creates the missing ones here.
    """
    wanted = ((PIPELINE, True), (FORUM, True), (OPERATOR, False))
    present = set(conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname IN (:a, :b, :c)"),
                               {"a": PIPELINE, "b": FORUM, "c": OPERATOR}).scalars())
    missing = [(name, login) for name, login in wanted if name not in present]
    if not missing:
        return
    if not _may_create_roles(conn):
        user = conn.execute(sa.text("SELECT current_user")).scalar()
        names = ", ".join(name for name, _ in missing)
        statements = " ".join(f"CREATE ROLE {name} {'LOGIN' if login else 'NOLOGIN'};" for name, login in missing)
        raise AccessControlError(
            f"role(s) {names} do not exist, and {user} may not create roles (it has no CREATEROLE, by design). "
            f"The warehouse admin creates them: run {ROLE_SCRIPT} again as the server's superuser "
            f"(`docker compose exec warehouse-db bash /docker-entrypoint-initdb.d/10-satudata-roles.sh`; it only "
            f"adds what is missing), or in psql as the superuser: {statements} Then run `satudata init-db` again.")
    for name, login in missing:
        # Roles are cluster-wide: another database of the cluster may have created it already.
        _create_role(conn, name, login)


def _database(conn: Connection) -> str:
    return conn.execute(sa.text("SELECT quote_ident(current_database())")).scalar()


def _may_grant_on_database(conn: Connection) -> bool:
    """The session owns the current database (or is a superuser): it may grant and revoke CONNECT on it."""
    return bool(conn.execute(sa.text(
        "SELECT r.rolsuper OR pg_has_role(current_user, d.datdba, 'USAGE') FROM pg_database d, pg_roles r "
        "WHERE d.datname = current_database() AND r.rolname = current_user")).scalar())


def _connect_lacking(conn: Connection) -> list[str]:
    """Roles that should and may not connect to the current database, and `public` when it still may."""
    lacking = [role for role in (PIPELINE, FORUM, OPERATOR) if not conn.execute(sa.text(
        "SELECT has_database_privilege(:r, current_database(), 'CONNECT')"), {"r": role}).scalar()]
    if conn.execute(sa.text("SELECT has_database_privilege('public', current_database(), 'CONNECT')")).scalar():
        lacking.append("public")
    return lacking


def _database_access(conn: Connection) -> None:
    """CONNECT for the pipeline, the forum and the operators; nobody else (PUBLIC has it by default).

    Cheap (one row of pg_database, no lock on any table), so it runs even when the rest is in place: a
    database made with `createdb` and initialised by an earlier release still lets PUBLIC connect.
    """
    lacking = _connect_lacking(conn)
    if not lacking:
        return
    database = _database(conn)
    if _may_grant_on_database(conn):
        conn.execute(sa.text(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {PIPELINE}"))
        conn.execute(sa.text(f"GRANT CONNECT ON DATABASE {database} TO {FORUM}, {OPERATOR}"))
        conn.execute(sa.text(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC"))
        log.info("CONNECT on database %s: %s, %s, %s; not PUBLIC", database, PIPELINE, FORUM, OPERATOR)
        return
    roles = [role for role in lacking if role != "public"]
    if roles:
        raise AccessControlError(
            f"{', '.join(roles)} may not connect to database {database}, and only its owner or the admin may "
            f"grant that: as the admin, GRANT CONNECT ON DATABASE {database} TO {', '.join(roles)} "
            f"(or create the database owned by {PIPELINE}: CREATE DATABASE ... OWNER {PIPELINE})")
    log.warning("PUBLIC may connect to database %s and %s may not revoke that (not its owner): the admin "
                "may, REVOKE CONNECT ON DATABASE %s FROM PUBLIC", database, conn.execute(
                    sa.text("SELECT current_user")).scalar(), database)


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
    if [role for role in _connect_lacking(conn) if role != "public"]:
        return False  # (PUBLIC's CONNECT alone is taken away by apply_access_control without the rest)
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
    """(Re)apply CONNECT, grants and policies to the existing roles; idempotent. No-op on other engines.

    Does nothing when everything is already in place (`access_in_place`), unless `force`. Raises
    `AccessControlError` when a role is missing and this session may not create it (`ensure_roles`).
    """
    if conn.dialect.name != "postgresql":
        return {"applied": False, "reason": f"{conn.dialect.name} has no roles"}
    if not force and access_in_place(conn):
        _database_access(conn)
        return {"applied": False, "reason": "already in place", "rls_tables": _rls_tables(conn)}
    ensure_roles(conn)
    _database_access(conn)

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


def create_operator_role(conn: Connection, role: str, kode_kab: list[str] | str,
                         password: str | None = None) -> bool:
    """A login role for a regency operator, allowed to read its regencies' rows of `core`; True if created.

    An admin task: `conn` must be the warehouse admin's (CREATEROLE, and the superuser to write
    `meta.operator_kabupaten`), never the pipeline's. A new role gets `password` (SCRAM); an existing one keeps
    its password and only gets its regencies replaced (passwords change with `satudata rotate-password`).
    """
    if conn.dialect.name != "postgresql":
        raise ValueError("operator roles exist on PostgreSQL only")
    if not _ROLE_NAME.match(role) or role.startswith("satudata_"):
        raise ValueError(f"role name must be lower-case letters, digits and _, not starting with satudata_: {role!r}")
    kabs = [kode_kab] if isinstance(kode_kab, str) else list(kode_kab)
    for kab in kabs:
        if not re.fullmatch(r"[0-9]{4}", kab):
            raise ValueError(f"kode_kab must be 4 digits, not {kab!r}")
    if not _may_create_roles(conn):
        user = conn.execute(sa.text("SELECT current_user")).scalar()
        raise AccessControlError(
            f"{user} may not create or grant roles: operator roles are made by the warehouse admin, "
            "e.g. satudata operator-role --admin-url postgresql+psycopg://postgres:<WAREHOUSE_DB_ADMIN_PASSWORD>"
            "@warehouse-db:5432/satudata ...")
    if not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": OPERATOR}).scalar():
        raise AccessControlError(f"role {OPERATOR} does not exist: run `satudata init-db` first "
                                 f"(and {ROLE_SCRIPT} as the admin)")
    created = not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if created:
        _create_role(conn, role, login=True, password=password)
    conn.execute(sa.text(f"GRANT {OPERATOR} TO {role}"))
    conn.execute(sa.text("DELETE FROM meta.operator_kabupaten WHERE nama_role = :r"), {"r": role})
    for kab in kabs:
        conn.execute(sa.text("INSERT INTO meta.operator_kabupaten (nama_role, kode_kab) VALUES (:r, :k)"),
                     {"r": role, "k": kab})
    return created
