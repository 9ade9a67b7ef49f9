"""The NIK's damage flag travels in staging: `nik_angka_excel`.

Intake parses a NIK once. Where Excel stored it as a number (15 significant digits: the last digit is lost),
the row is kept with a warning, `nik` is empty and `nik_valid` false, and now the flag says why: later stages
read the flags instead of parsing again. Rows staged before the flag existed read false.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("dtks", "p3ke_anggota", "intervensi")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column(
            "nik_angka_excel", sa.Boolean, server_default=sa.false(),
            comment="the NIK cell was a number in Excel: its digits were lost, nik is empty"),
            schema="staging")


def downgrade() -> None:
    from satudata.warehouse.migrate import without_indexes

    for table in TABLES:
        with without_indexes(table, "staging", {f"ix_{table}_submission": ["submission_id"]}):
            op.drop_column(table, "nik_angka_excel", schema="staging")
