#!/usr/bin/env python3
"""Cancel and pay at the same instant, many times: a cancelled order must take no money.

    .venv/bin/python bench/cancel_races.py [--runs 200] [--db sqlite postgresql] [--scenario NAME ...]

For each database: a fresh migrated database (PostgreSQL on --postgres-url, dropped at the end),
the sandbox and the shop as real servers (the test suite's stack), and then, per scenario, --runs
rounds of the race the suite runs a few times (tests/e2e/cards/cancel_races.py): a fresh order,
a payment path opened, then paying and cancelling (or refusing, or the hold-expiry sweep)
released together by a barrier. After the webhooks and the worker's refund job, each round is
one of: paid-live (confirmed, paid, the ledger and the sandbox both hold its price),
cancelled-net-zero (cancelled, nothing kept in the ledger nor at the sandbox), or a violation
(anything else, a leaked stock unit, or a 5xx). Prints per scenario: runs, paid-live,
cancelled-net-zero, violations, and each violation's facts. Exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scenarios and the stack are the test suite's own

from webhook_ingest import drop_database, make_database  # noqa: E402

from comptoir.domain.actors import Role  # noqa: E402
from tests.e2e.cards.cancel_races import CANCELLED_NET_ZERO, PAID_LIVE, SCENARIOS, VIOLATION, CancelRaces  # noqa: E402
from tests.e2e.cards.conftest import PRICE, STOCK, Cards  # noqa: E402
from tests.e2e.checkout.stack import running_stack  # noqa: E402
from tests.factories import add_product, add_shop, add_user  # noqa: E402
from tests.servers import Buyer  # noqa: E402


def run_database(kind: str, runs: int, scenarios: list[str], postgres_url: str | None) -> int:
    """Run every scenario on one database; return the number of violations."""
    violations = 0
    _quiet()
    with tempfile.TemporaryDirectory(prefix="cancel-races-") as tmp:
        url, name = make_database(kind, Path(tmp), postgres_url)
        try:
            with running_stack(url, Path(tmp) / "shop") as stack:
                _quiet()
                shop = add_shop(stack.uows)
                add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
                cards = Cards(stack, shop, add_product(stack.uows, shop, unit_price=PRICE, stock=STOCK))
                buyer = Buyer()
                try:
                    races = CancelRaces(cards, buyer)
                    for scenario in scenarios:
                        verdicts = [races.run(scenario) for _ in range(runs)]
                        counts = Counter(v.kind for v in verdicts)
                        violations += counts[VIOLATION]
                        print(
                            f"{kind:<10} {scenario:<22} runs {runs:>4}  paid-live {counts[PAID_LIVE]:>4}  "
                            f"cancelled-net-zero {counts[CANCELLED_NET_ZERO]:>4}  violations {counts[VIOLATION]:>3}",
                            flush=True,
                        )
                        for verdict in verdicts:
                            if verdict.kind == VIOLATION:
                                print(f"    VIOLATION {verdict.order_id}: {verdict.detail}", flush=True)
                finally:
                    buyer.close()
        finally:
            if name is not None and postgres_url:
                drop_database(postgres_url, name)
    return violations


def _quiet() -> None:
    """Every request is logged at INFO by the shop, the SDK and httpx: thousands per scenario."""
    for logger in ("alembic", "comptoir", "stripe", "httpx", "uvicorn", "uvicorn.access"):
        logging.getLogger(logger).setLevel(logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="rounds per scenario and database")
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--postgres-url", default=os.environ.get("COMPTOIR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    violations = sum(run_database(kind, args.runs, args.scenario, args.postgres_url) for kind in args.db)
    print(f"violations in total: {violations}")
    raise SystemExit(1 if violations else 0)


if __name__ == "__main__":
    main()
