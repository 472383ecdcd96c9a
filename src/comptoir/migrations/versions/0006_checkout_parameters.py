"""checkout parameters on the attempt: a retry under its key sends what the first request sent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('success_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cancel_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('customer_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('capture_manually', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_column('capture_manually')
        batch_op.drop_column('customer_email')
        batch_op.drop_column('cancel_url')
        batch_op.drop_column('success_url')
