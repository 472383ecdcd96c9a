"""Every table in one `MetaData`, for whoever needs the whole schema (Alembic, test clean-up).

Each table module registers its tables on `Base.metadata` when imported; importing them all here
means no table module has to import another just to keep the schema complete.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from comptoir.records import attempts, payments, refunds, shop
from comptoir.records.base import Base

TABLE_MODULES = (shop, payments, refunds, attempts)
metadata: MetaData = Base.metadata
