#!/usr/bin/env python3
"""CPU and SQL cost of `webhooks.ingest` in process (no HTTP, no signature), for bench/webhook_ingest.py.

    .venv/bin/python bench/webhook_inprocess.py [--events 300] [--db sqlite|postgresql] [--rounds 3]
        [--cprofile FILE] [--sql] [--group N]

Seeds a fresh database exactly as bench/webhook_ingest.py does (N pending orders, each with an open
checkout attempt), then calls `webhooks.ingest` for each `checkout.session.completed` event (new), then
once more for each (duplicates), in one thread. Prints, per new event and per duplicate: CPU ms
(time.process_time), SQL statements and ORM flushes; the medians of --rounds fresh databases. CPU time
per event is far steadier than HTTP throughput on a shared machine. Statements and flushes are counted
on the first max(8, N) events of each pass through an engine of their own, and the rest is timed on one
with no event listener (a listener makes SQLAlchemy dispatch events around every statement). --sql
prints the counted statements (SQLite's BEGIN IMMEDIATE is the dialect's, not a statement). --group N
applies the events N at a time with `webhooks.ingest_many`, one transaction per group, as the SQLite
lane does under load (per event figures are still per event).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# --src DIR measures another checkout's code (e.g. `git archive HEAD~1 src | tar -x -C /tmp/base`)
_SRC = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else str(ROOT / "src")
sys.path.insert(0, _SRC)
sys.path.insert(0, str(ROOT / "bench"))


def one_round(args: argparse.Namespace, tmp: Path, show_sql: bool) -> dict[str, float]:
    import webhook_ingest as wi
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from comptoir.adapters.db.engine import make_engine
    from comptoir.adapters.db.uow import sql_unit_of_work_factory
    from comptoir.services.payments import webhooks
    from comptoir.services.payments.provider import WebhookEvent

    url, pg_name = wi.make_database(args.db, tmp, args.postgres_url)
    try:
        seeded = wi.seed(url, args.events)
        created = int(time.time())
        events = []
        for s in seeded:
            raw = json.loads(wi.event_body(s, created))
            events.append(WebhookEvent(raw["id"], raw["type"], raw["created"], raw["data"]["object"], raw))
        # Statements are counted on an engine of their own: any engine-level connection event makes
        # SQLAlchemy dispatch events around every statement, which would be timed too.
        counted, engine = make_engine(url), make_engine(url)
        counted_uows, uows = sql_unit_of_work_factory(counted), sql_unit_of_work_factory(engine)
        counts = {"sql": 0, "flush": 0}
        statements: list[str] = []

        @event.listens_for(counted, "before_cursor_execute")
        def _count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
            counts["sql"] += 1
            if show_sql:
                statements.append(" ".join(statement.split())[:160])

        def _flush(_session, _ctx, _instances):  # type: ignore[no-untyped-def]
            counts["flush"] += 1

        gateway = None
        # warm-up: first call compiles statements and fills caches
        webhooks.ingest(uows(), gateway, events[0], now=datetime.now(UTC))  # type: ignore[arg-type]
        rest = events[1:]
        sample = max(args.group, 8)  # events whose statements and flushes are counted (not timed)
        profiler = None
        if args.cprofile:
            import cProfile

            profiler = cProfile.Profile()
        results: dict[str, float] = {}
        for label, batch in (("new", rest), ("duplicate", rest)):
            expected = "processed" if label == "new" else "duplicate"
            counts.update(sql=0, flush=0)
            event.listen(Session, "before_flush", _flush)
            apply(counted_uows, gateway, batch[:sample], args.group, expected)
            event.remove(Session, "before_flush", _flush)
            if show_sql and label == "new":
                print(f"SQL of the first {sample} new events, groups of {args.group} ({len(statements)} statements):")
                for statement in statements:
                    print("   ", statement)
            results[f"{label} sql"] = counts["sql"] / sample
            results[f"{label} flushes"] = counts["flush"] / sample
            timed = batch[sample:]
            if profiler and label == "new":
                profiler.enable()
            cpu0 = time.process_time()
            apply(uows, gateway, timed, args.group, expected)
            cpu = time.process_time() - cpu0
            if profiler and label == "new":
                profiler.disable()
                profiler.dump_stats(args.cprofile)
            results[f"{label} cpu ms"] = 1000 * cpu / len(timed)
        engine.dispose()
        counted.dispose()
        checks = wi.check_database(url, seeded)
        bad = [c for c in checks if not c[1]]
        if bad:
            raise SystemExit(f"database checks failed: {bad}")
        return results
    finally:
        if pg_name and args.postgres_url:
            wi.drop_database(args.postgres_url, pg_name)


def apply(uows: Any, gateway: Any, batch: list[Any], group: int, expected: str) -> None:
    """Ingest `batch` one event per transaction (group 1) or `group` per transaction, as the SQLite lane."""
    from comptoir.services.payments import webhooks

    if group == 1:
        for ev in batch:
            result = webhooks.ingest(uows(), gateway, ev, now=datetime.now(UTC))
            assert result.status == expected, result
        return
    for start in range(0, len(batch), group):
        now = datetime.now(UTC)
        outcomes = webhooks.ingest_many(uows(), gateway, [(ev, now) for ev in batch[start : start + group]])
        assert all(getattr(o, "status", None) == expected for o in outcomes), outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("COMPTOIR_TEST_POSTGRES_URL"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cprofile", help="write a cProfile of the new events here (last round)")
    parser.add_argument("--sql", action="store_true", help="print the statements of one new event")
    parser.add_argument("--src", help="import comptoir from this folder instead of ./src (A/B comparisons)")
    parser.add_argument(
        "--group",
        type=int,
        default=1,
        help="events per transaction: 1 = webhooks.ingest each, N > 1 = webhooks.ingest_many (as the SQLite lane)",
    )
    args = parser.parse_args(argv)
    import comptoir

    print(f"comptoir from {Path(comptoir.__file__).parent}")
    rounds = []
    for i in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="comptoir-webhook-inproc-") as tmp:
            rounds.append(one_round(args, Path(tmp), show_sql=args.sql and i == 0))
        print(f"round {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in rounds[-1].items()), flush=True)
    grouping = f", groups of {args.group}" if args.group > 1 else ""
    print(f"webhooks.ingest in process: {args.db}, {args.events} events{grouping}, median of {args.rounds} rounds")
    for key in rounds[0]:
        print(f"  {key:<18} {statistics.median(r[key] for r in rounds):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
