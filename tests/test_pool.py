"""A worker that dies is replaced, the item it was on is rejected with a reason, and the run goes on."""

import gc
import os
import signal

from codegen_data.pool import Chunk, WorkerPool

from .conftest import alive, children


def _init():
    return {"op": "init", "tasks": [{"name": "text_to_sql", "config": {}, "seed": 0, "difficulty": "easy"}]}


def test_killed_worker_is_replaced_and_no_index_is_lost():
    pool = WorkerPool(1, _init(), item_deadline=60)
    chunks = iter([Chunk("text_to_sql", 0, 4), Chunk("text_to_sql", 4, 8)])
    seen = {}
    killed = False
    try:
        for message in pool.run(lambda: next(chunks, None)):
            seen[message["i"]] = message
            if message["i"] == 1 and not killed:
                killed = True
                os.killpg(pool.workers[0].proc.pid, signal.SIGKILL)
    finally:
        pool.close()
    assert sorted(seen) == list(range(8))
    crashed = [m for m in seen.values() if "reject" in m and m["reject"]["reason"] == "executor_crashed"]
    assert len(crashed) == 1 and crashed[0]["i"] >= 2


def test_a_worker_holds_its_next_chunk_while_it_works():
    pool = WorkerPool(1, _init(), item_deadline=60)
    chunks = iter([Chunk("text_to_sql", 0, 2), Chunk("text_to_sql", 2, 4), Chunk("text_to_sql", 4, 6)])
    queued_at_first = None
    seen = []
    try:
        for message in pool.run(lambda: next(chunks, None)):
            if queued_at_first is None:
                queued_at_first = pool.workers[0].queued
            seen.append(message["i"])
    finally:
        pool.close()
    assert queued_at_first == Chunk("text_to_sql", 2, 4)  # sent before the first chunk was done
    assert seen == list(range(6))


def test_silent_worker_is_killed_at_the_deadline():
    pool = WorkerPool(1, _init(), item_deadline=60)  # start-up is not what this test times
    worker = pool.workers[0]
    chunks = iter([Chunk("text_to_sql", 0, 2)])
    stopped = False
    messages = []
    try:
        for message in pool.run(lambda: next(chunks, None)):
            messages.append(message)
            if not stopped:
                stopped = True
                pool.item_deadline = 1.0  # read at every check
                os.killpg(worker.proc.pid, signal.SIGSTOP)  # hangs without dying
    finally:
        pool.close()
    reasons = [m["reject"]["reason"] for m in messages if "reject" in m]
    assert "executor_timeout" in reasons
    assert sorted(m["i"] for m in messages) == [0, 1]
    assert worker.proc.poll() is not None


def _served(task: str, start: int, stop: int) -> list[dict]:
    import io
    import json

    from codegen_data.worker import serve

    init = {"op": "init", "tasks": [{"name": task, "config": {}, "seed": 0, "difficulty": "easy"}]}
    run = {"op": "run", "task": task, "start": start, "stop": stop}
    out = io.StringIO()
    serve(io.StringIO(json.dumps(init) + "\n" + json.dumps(run) + "\n" + '{"op": "exit"}\n'), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_only_a_batching_task_asks_for_a_chunk_long_silence():
    """The pool's silence deadline is per item; a task that answers a chunk at once says so first,
    and no other task gets a longer deadline."""
    programs = _served("py_output", 0, 8)
    assert programs[1] == {"op": "batch", "n": 8} and [m["i"] for m in programs[2:-1]] == list(range(8))
    queries = _served("text_to_sql", 0, 3)
    assert all(m.get("op") != "batch" for m in queries) and [m["i"] for m in queries[1:-1]] == [0, 1, 2]


def test_serving_in_a_process_of_ones_own_leaves_its_collector_alone():
    """Only the worker's main freezes and retunes the collector; serving in this process (as the test
    above does) must not: frozen, every object of the test session would stay out of its sight."""
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    _served("py_output", 0, 2)
    assert (gc.get_freeze_count(), gc.get_threshold()) == (frozen, thresholds)


def test_close_lets_every_worker_exit_by_itself_and_stop_its_sandbox_servers():
    init = {"op": "init", "tasks": [{"name": "py_output", "config": {}, "seed": 0, "difficulty": "easy"}]}
    pool = WorkerPool(2, init, item_deadline=60)
    chunks = iter([Chunk("py_output", 0, 4), Chunk("py_output", 4, 8)])
    servers = set()
    for _ in pool.run(lambda: next(chunks, None)):
        for worker in pool.workers:
            servers.update(children(worker.proc.pid))  # its sandbox servers
    procs = [w.proc for w in pool.workers]
    pool.close()
    assert [p.returncode for p in procs] == [0, 0]  # each exited on its own, none was killed
    assert servers and not any(alive(pid) for pid in servers)


def test_close_interrupts_a_worker_still_on_a_chunk_and_it_still_exits_cleanly():
    pool = WorkerPool(1, _init(), item_deadline=60)  # text_to_sql answers item by item
    chunks = iter([Chunk("text_to_sql", 0, 4), Chunk("text_to_sql", 4, 100_000)])
    for message in pool.run(lambda: next(chunks, None)):
        if message["i"] >= 6:  # inside the long chunk (hours of work): stop here
            break
    worker = pool.workers[0]
    assert worker.chunk == Chunk("text_to_sql", 4, 100_000)
    pool.close()
    assert worker.proc.returncode == 0  # it stopped mid-chunk on SIGTERM, by itself, not killed


# Locality: which worker slot an item goes to (the schedule alone, then real workers).

from codegen_data.pool import _Schedule  # noqa: E402


def _ranges(*starts, size=8, task="t"):
    chunks = iter([Chunk(task, s, s + size) for s in starts])
    return lambda: next(chunks, None)


def _drain(schedule, next_chunk, turns):
    """Ask slots in the order ``turns`` (repeated) until nothing is left: [(slot, chunk)]."""
    given = []
    idle = set()
    while len(idle) < schedule.slots:
        for slot in turns:
            chunk = schedule.next_for(slot, next_chunk)
            if chunk is None:
                idle.add(slot)
            else:
                given.append((slot, chunk))
    return given


def test_each_slot_gets_the_items_of_its_locality_and_every_item_goes_out_once():
    schedule = _Schedule(2, lambda task, i: i // 3)  # localities 0, 0, 0, 1, 1, 1, 2, ...
    given = _drain(schedule, _ranges(0, 8, 16, 24), turns=[0, 1])
    items = sorted(i for _, chunk in given for i in chunk.items())
    assert items == list(range(32))
    for slot, chunk in given:
        assert chunk.indices is not None and {i // 3 % 2 for i in chunk.indices} == {slot}
    assert [c.start for s, c in given if s == 0] == sorted(c.start for s, c in given if s == 0)  # oldest first


def test_a_slot_that_runs_ahead_takes_the_oldest_part_of_another_instead_of_piling_them_up():
    schedule = _Schedule(2, lambda task, i: i % 2)
    limit = schedule.max_waiting
    next_chunk = _ranges(*range(0, 8 * (limit + 2), 8))
    mine = [schedule.next_for(0, next_chunk) for _ in range(limit + 1)]  # slot 1 never asks
    assert [c.indices for c in mine[:limit]] == [tuple(range(8 * k, 8 * k + 8, 2)) for k in range(limit)]
    assert mine[limit].indices == (1, 3, 5, 7)  # `limit` parts wait for slot 1: the oldest, not another range
    assert sum(map(len, schedule.waiting)) == limit - 1


def test_ranges_without_locality_go_whole_to_whoever_asks():
    # none, none said, a broken hint, a hint that is no whole number
    for locality in (None, lambda task, i: None, lambda task, i: 1 // 0, lambda task, i: 1.5, lambda task, i: "3"):
        schedule = _Schedule(2, locality)
        given = _drain(schedule, _ranges(0, 8, 16), turns=[1, 0])
        assert [(s, c) for s, c in given] == [(1, Chunk("t", 0, 8)), (0, Chunk("t", 8, 16)), (1, Chunk("t", 16, 24))]
    one = _Schedule(1, lambda task, i: i)  # one worker: nothing to split
    assert _drain(one, _ranges(0), turns=[0]) == [(0, Chunk("t", 0, 8))]


def test_what_is_left_of_a_part_after_an_item():
    part = Chunk("t", 0, 8, (1, 4, 6))
    assert part.after(1) == Chunk("t", 0, 8, (4, 6)) and part.after(6) is None
    assert Chunk("t", 0, 8).after(2) == Chunk("t", 3, 8)
    assert part.message() == {"op": "run", "task": "t", "start": 0, "stop": 8, "indices": [1, 4, 6]}
    assert "indices" not in Chunk("t", 0, 8).message()


def test_a_worker_killed_on_a_part_is_blamed_for_its_own_item_and_the_rest_of_its_part_goes_on():
    pool = WorkerPool(2, _init(), item_deadline=60, locality=lambda task, i: i % 2)
    chunks = iter([Chunk("text_to_sql", 0, 8), Chunk("text_to_sql", 8, 16)])
    seen: dict[int, dict] = {}
    killed = None
    try:
        for message in pool.run(lambda: next(chunks, None)):
            assert message["i"] not in seen
            seen[message["i"]] = message
            if message["i"] == 3 and killed is None:  # slot 1 answers the odd items
                killed = next(w for w in pool.workers if w.slot == 1)
                assert killed.on == 5
                os.killpg(killed.proc.pid, signal.SIGKILL)
    finally:
        pool.close()
    assert sorted(seen) == list(range(16))
    crashed = [i for i, m in seen.items() if m.get("reject", {}).get("reason") == "executor_crashed"]
    assert len(crashed) == 1 and crashed[0] % 2 == 1 and crashed[0] >= 5
