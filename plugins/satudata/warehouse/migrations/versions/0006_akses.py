"""Access control on PostgreSQL: the pipeline, forum and regency-operator roles, grants, row-level security.

The statements live in `satudata.warehouse.access.apply_access_control`, because `init_warehouse`
re-applies them after every upgrade so that tables created by later migrations are covered too. On
DuckDB only the operator mapping table is created (the embedded warehouse has no users).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from satudata.warehouse.access import apply_access_control

    op.create_table(
        "operator_kabupaten",
        sa.Column("nama_role", sa.String(63), nullable=False, comment="PostgreSQL login role of the operator"),
        sa.Column("kode_kab", sa.String(4), nullable=False),
        sa.PrimaryKeyConstraint("nama_role", "kode_kab"),
        schema="meta",
    )
    apply_access_control(op.get_bind(), force=True)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        tables = bind.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'core' AND rowsecurity")).scalars().all()
        for table in tables:
            bind.execute(sa.text(f"DROP POLICY IF EXISTS operator_kabupaten ON core.{table}"))
            bind.execute(sa.text(f"DROP POLICY IF EXISTS pipeline_semua ON core.{table}"))
            bind.execute(sa.text(f"ALTER TABLE core.{table} DISABLE ROW LEVEL SECURITY"))
        bind.execute(sa.text("DROP FUNCTION IF EXISTS meta.kabupaten_operator()"))  # after the policies using it
    op.drop_table("operator_kabupaten", schema="meta")
