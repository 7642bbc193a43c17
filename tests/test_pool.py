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
