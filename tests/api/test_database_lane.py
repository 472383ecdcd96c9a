"""The lane async routes hand their blocking database work to: one at a time on SQLite, side by side otherwise."""

from __future__ import annotations

import asyncio
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


class _Recorder:
    """A `run_many` that records the groups it was given and answers each item with item * 10;
    its first group blocks until `release` is set, so that others can queue behind it."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, items: list[int]) -> list[int | Exception]:
        self.groups.append(list(items))
        self.entered.set()
        assert self.release.wait(timeout=10), "the test never released the first group"
        return [ValueError(f"item {i} failed") if i < 0 else i * 10 for i in items]


async def _submit_behind_a_running_group(lane: DatabaseLane, run_many: _Recorder, later: list[int]) -> list[object]:
    """Start item 1; once its group is running, submit `later`; then let everything finish."""
    first = asyncio.create_task(lane.run_grouped("hooks", run_many, 1))
    await anyio.to_thread.run_sync(run_many.entered.wait, 10)
    others = [asyncio.create_task(lane.run_grouped("hooks", run_many, item)) for item in later]
    await asyncio.sleep(0)  # one loop turn: each task queues its item before its first real wait
    run_many.release.set()
    return await asyncio.gather(first, *others, return_exceptions=True)


def test_items_that_arrive_while_a_group_runs_go_together_as_the_next_group() -> None:
    # given a serialised lane busy with a group
    lane, run_many = DatabaseLane(serialised=True), _Recorder()
    # when three more items arrive meanwhile
    outcomes = asyncio.run(_submit_behind_a_running_group(lane, run_many, [2, 3, 4]))
    # then they ran as one group after it, and each caller got its own item's outcome
    assert run_many.groups == [[1], [2, 3, 4]]
    assert outcomes == [10, 20, 30, 40]


def test_a_group_is_at_most_max_group_items() -> None:
    lane, run_many = DatabaseLane(serialised=True, max_group=2), _Recorder()
    outcomes = asyncio.run(_submit_behind_a_running_group(lane, run_many, [2, 3, 4, 5, 6]))
    assert run_many.groups == [[1], [2, 3], [4, 5], [6]]
    assert outcomes == [10, 20, 30, 40, 50, 60]


def test_an_item_whose_outcome_is_an_error_raises_it_to_its_own_caller_only() -> None:
    lane, run_many = DatabaseLane(serialised=True), _Recorder()
    outcomes = asyncio.run(_submit_behind_a_running_group(lane, run_many, [2, -3, 4]))
    assert outcomes[:2] == [10, 20] and outcomes[3] == 40
    assert isinstance(outcomes[2], ValueError) and str(outcomes[2]) == "item -3 failed"


def test_when_run_many_itself_fails_every_caller_of_that_group_gets_the_error() -> None:
    lane = DatabaseLane(serialised=True)

    def broken(items: list[int]) -> list[int | Exception]:
        raise RuntimeError("database gone")

    async def main() -> list[object]:
        return await asyncio.gather(*(lane.run_grouped("hooks", broken, i) for i in range(3)), return_exceptions=True)

    outcomes = asyncio.run(main())
    assert [str(o) for o in outcomes] == ["database gone"] * 3


def test_a_caller_that_goes_away_does_not_stop_the_others() -> None:
    # given a caller whose request is cancelled (client hung up) while its group runs
    lane, run_many = DatabaseLane(serialised=True), _Recorder()

    async def main() -> list[object]:
        first = asyncio.create_task(lane.run_grouped("hooks", run_many, 1))
        await anyio.to_thread.run_sync(run_many.entered.wait, 10)
        second = asyncio.create_task(lane.run_grouped("hooks", run_many, 2))
        await asyncio.sleep(0)
        first.cancel()
        run_many.release.set()
        return await asyncio.gather(first, second, return_exceptions=True)

    outcomes = asyncio.run(main())
    # then its item was still run, and the next caller is answered
    assert run_many.groups == [[1], [2]]
    assert isinstance(outcomes[0], asyncio.CancelledError) and outcomes[1] == 20


def test_an_open_lane_runs_each_item_alone_and_side_by_side() -> None:
    # given a lane for PostgreSQL, where transactions run side by side
    lane = DatabaseLane(serialised=False)
    both_in = threading.Barrier(2, timeout=10)

    def run_many(items: list[int]) -> list[int | Exception]:
        both_in.wait()  # returns only if the two groups are running at the same time
        return [i * 10 for i in items]

    async def main() -> list[int]:
        return list(
            await asyncio.gather(lane.run_grouped("hooks", run_many, 1), lane.run_grouped("hooks", run_many, 2))
        )

    assert asyncio.run(main()) == [10, 20]
