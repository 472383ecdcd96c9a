"""The lane async routes hand their blocking database work to: one at a time on SQLite, side by side otherwise."""

from __future__ import annotations

import threading

import anyio
import pytest

from comptoir.api.lanes import DatabaseLane

WAIT = 1.0  # seconds a job waits for the other one to start: ample when both can run


def _overlap_seen(lane: DatabaseLane) -> bool:
    """Run two blocking jobs at once through the lane; True if both were ever running together.

    Each job, while running, waits (bounded) for the other to start: side by side, both are in
    at once; one at a time, the first one's wait runs out alone and it ends before the next."""
    started = [threading.Event(), threading.Event()]
    lock = threading.Lock()
    running = 0
    most = 0

    def job(me: int) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        started[me].set()
        started[1 - me].wait(timeout=WAIT)
        with lock:
            running -= 1

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lane.run, job, 0)
            tg.start_soon(lane.run, job, 1)

    anyio.run(main)
    assert all(event.is_set() for event in started), "both jobs ran"
    return most == 2


def test_a_serialised_lane_never_runs_two_jobs_at_once() -> None:
    # given a lane for a database that runs one transaction at a time (SQLite)
    lane = DatabaseLane(serialised=True)
    # when two jobs are started together
    # then they never overlap
    assert not _overlap_seen(lane)


def test_an_open_lane_runs_jobs_side_by_side() -> None:
    # given a lane for a database with concurrent transactions (PostgreSQL)
    lane = DatabaseLane(serialised=False)
    # when two jobs are started together, then both run at the same time
    assert _overlap_seen(lane)


def test_the_lane_returns_the_result_and_raises_the_error() -> None:
    lane = DatabaseLane(serialised=True)

    def boom() -> None:
        raise ValueError("no")

    async def main() -> int:
        with pytest.raises(ValueError, match="no"):
            await lane.run(boom)
        return await lane.run(lambda a, *, b: a + b, 2, b=3)

    # a failed job does not keep the lane taken: the next one runs and returns
    assert anyio.run(main) == 5


def test_one_lane_serves_several_event_loops() -> None:
    # given one lane (one app) used from two successive event loops, as the test clients do
    lane = DatabaseLane(serialised=True)

    async def main() -> str:
        return await lane.run(str.upper, "ok")

    # then each loop gets its own limiter and both calls complete
    assert anyio.run(main) == "OK"
    assert anyio.run(main) == "OK"
