"""Every run's fitted linkage model, kept with the run: `meta.model_padanan`.

Linkage fits the shipped model to the lists in hand on every run (`linkage.fitting`). The parameters it
used and how it got them (comparisons used and absent, the EM sessions, the expected true pairs, every
fallback with its reason) are stored per period, regency and scope, so any link of `core.padanan_individu`
can be explained later with the weights that made it, and `satudata link-model show` can set them beside the
shipped file. Aggregates only (no personal data): a `meta` table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_padanan",
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(4), nullable=False, comment="regency; the province code for the province pass"),
        sa.Column("lingkup", sa.String(20), nullable=False, comment="kabupaten | provinsi | penerima"),
        sa.Column("versi_model", sa.Text, nullable=False, comment="the shipped model fitted (+data when fitted)"),
        sa.Column("parameter", sa.Text, nullable=False, comment="the Splink settings used, as JSON"),
        sa.Column("laporan", sa.Text, nullable=False, comment="the fitting report, as JSON"),
        sa.Column("dibuat_pada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Text),
        sa.PrimaryKeyConstraint("periode", "kode_kab", "lingkup"),
        schema="meta",
        comment="the linkage model each run used, to explain its links later",
    )


def downgrade() -> None:
    op.drop_table("model_padanan", schema="meta")
