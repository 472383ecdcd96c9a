"""counted attempts: failed logins and registrations, when the database counts them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 03:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('counted_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('limit_name', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('counted_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_counted_attempts_limit_key_at', ['limit_name', 'key', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('counted_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_counted_attempts_limit_key_at')

    op.drop_table('counted_attempts')
