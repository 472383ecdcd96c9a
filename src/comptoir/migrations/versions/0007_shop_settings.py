"""shop settings: time zone, address, opening hours, pickup slots; the shop's name fixed on each attempt

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='Europe/Paris', nullable=False))
        batch_op.add_column(sa.Column('address', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('opening_hours', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('pickup_slot_minutes', sa.Integer(), server_default='15', nullable=False))
        batch_op.add_column(sa.Column('pickup_slot_capacity', sa.Integer(), server_default='4', nullable=False))
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_column('display_name')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('pickup_slot_capacity')
        batch_op.drop_column('pickup_slot_minutes')
        batch_op.drop_column('opening_hours')
        batch_op.drop_column('address')
        batch_op.drop_column('time_zone')
