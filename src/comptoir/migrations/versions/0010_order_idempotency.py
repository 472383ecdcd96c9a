"""orders placed once per idempotency key: a customer's retry of `POST /api/orders` (a double tap,
a lost answer) with the same `Idempotency-Key` finds the order the first request made

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('request_fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_orders_customer_idempotency_key', ['customer_id', 'idempotency_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('uq_orders_customer_idempotency_key')
        batch_op.drop_column('request_fingerprint')
        batch_op.drop_column('idempotency_key')
