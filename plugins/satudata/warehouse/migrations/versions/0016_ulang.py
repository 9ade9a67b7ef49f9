"""Retrying after a failure of the machine: `meta.submission.gangguan` and `coba_lagi_pada`.

A full disk, the database gone or memory exhausted is never a submission's fault: it stays `received`,
`gangguan` counts such failures (they are not `attempts`, which only a defect of ours or an unexplained end
uses up) and `coba_lagi_pada` is the earliest moment a scan tries it again (exponential back-off,
`intake.gangguan`). Rows written before this revision have had no such failure recorded.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = {"ix_submission_sha256": ["sha256"]}  # DuckDB cannot alter a table an index depends on


def upgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    with without_indexes("submission", "meta", INDEXES):
        op.add_column("submission", sa.Column("gangguan", sa.Integer, nullable=False, server_default=sa.text("0"),
                                              comment="failures of the machine met while processing it"),
                      schema="meta")
        op.add_column("submission", sa.Column("coba_lagi_pada", sa.DateTime(timezone=True),
                                              comment="a scan does not try it again before this moment"),
                      schema="meta")


def downgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    with without_indexes("submission", "meta", INDEXES):
        op.drop_column("submission", "coba_lagi_pada", schema="meta")
        op.drop_column("submission", "gangguan", schema="meta")
