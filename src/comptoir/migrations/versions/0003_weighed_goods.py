"""weighed goods: manual capture setting, attempt amount

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:58:35.974275
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capture_manually', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('capture_margin_percent', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('capture_margin_percent')
        batch_op.drop_column('capture_manually')

    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_column('amount')
