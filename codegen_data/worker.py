"""A generation worker: ``python -s -m codegen_data.worker``, driven by JSON lines on stdin.

The parent never runs generated code: it starts these processes (fork+exec, so nothing of the
parent's state is inherited), sends them index ranges, and reads back one JSON line per item::

    -> {"op": "init", "tasks": [{"name": ..., "config": {...}, "seed": 0, "difficulty": "mixed"}]}
    -> {"op": "kept", "task": "py_output", "groups": [...]}  (groups kept so far; no answer)
    -> {"op": "run", "task": "text_to_sql", "start": 0, "stop": 16}
       (or only some of them, in order: ..., "indices": [0, 3, 4, ...])
    <- {"task": "text_to_sql", "i": 0, "record": {...}}      (or "reject": {"reason": ..., "detail": ...})
    <- ... one line per index, flushed at once so a crash is blamed on the right item ...
    <- (a task that does a chunk at once, such as the program tasks, first says
        {"op": "batch", "n": 16}: the pool then allows a silence of n items' deadlines)
    <- {"op": "done"}
    -> {"op": "exit"} (or SIGTERM, to stop in the middle of a chunk): it stops its sandbox servers and exits 0

A worker whose parent is gone (its pipes closed) stops its sandbox servers and exits 0, silently.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any, Callable, Iterator, TextIO

from . import _deadlines
from ._keyset import KeySet
from ._processes import protocol_stream
from .registry import get_task
from .task import INTERNAL_ERROR, Reject, Task


RETRIES_AFTER_A_MISSED_DEADLINE = 2
"""How many more times an item is processed on its own while its attempts miss a deadline (see
:mod:`codegen_data._deadlines`): up to three attempts on its own, after its chunk's for a task that
does chunks. A stall would have to outlast them all to change the data; an item that really is slow
pays its deadlines at every attempt."""


def _outcomes(task: Task, indices: Sequence[int]) -> Iterator[list[dict[str, Any]]]:
    """One message per index, in groups the worker writes at once. A task with ``process_many`` does
    the chunk at once (the same results as one by one), and its messages go in one write (one wake-up
    of the parent, not one per item); if that raises, or misses a deadline, each index is redone alone,
    so the bug or the miss is put down to its own item. Other tasks yield each message as soon as it
    is known (a crash is then blamed on its own item)."""
    process_many = getattr(task, "process_many", None)
    if process_many is not None:
        yield [{"op": "batch", "n": len(indices)}]  # the pool allows a silence of the whole batch
        missed = _deadlines.missed()
        try:
            results = process_many(indices)
        except Exception:  # noqa: BLE001  # redone one by one below, where the bug gets its own reject
            results = None
        if results is not None and _deadlines.missed() == missed:
            yield [_message(task, index, result) for index, result in zip(indices, results)]
            return
    for index in indices:
        yield [_outcome(task, index)]


def _outcome(task: Task, index: int) -> dict[str, Any]:
    """``task.process(index)``'s message, processed again (up to ``RETRIES_AFTER_A_MISSED_DEADLINE``
    times) while a deadline was missed on the way: the last attempt's outcome stands."""
    for _ in range(1 + RETRIES_AFTER_A_MISSED_DEADLINE):
        missed = _deadlines.missed()
        result = _processed(task, index)
        if _deadlines.missed() == missed:
            break
    return _message(task, index, result)


def _processed(task: Task, index: int) -> dict[str, Any] | Reject:
    try:
        return task.process(index)
    except Exception as exc:  # a bug of ours: counted and reported, the run goes on
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc} ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
        return Reject(INTERNAL_ERROR, detail[:500])


def _message(task: Task, index: int, result: dict[str, Any] | Reject) -> dict[str, Any]:
    if isinstance(result, Reject):
        return {"task": task.name, "i": index, "reject": result.as_message()}
    return {"task": task.name, "i": index, "record": result}


_STOPPING = threading.Event()


def _stop_soon(_signum: int, _frame: Any) -> None:
    """SIGTERM from the parent: the run has what it needs, so stop after the item (or batch) at hand
    instead of finishing the chunk. (A handler that raised would interrupt a DuckDB statement, which
    DuckDB turns into its own InterruptException, a verdict, and the chunk would go on.)"""
    _STOPPING.set()


GC_THRESHOLD = 10_000
"""Allocations between two collections of the collector's young generation in a worker (Python's
default is 700). An item allocates thousands of container objects (a program's modeled values,
sqlglot's trees), nearly all freed by their reference counts: at 700 the young generation was
collected every few items, 3% of a program worker's CPU; at 10,000, a tenth of that. Cycles
(sqlglot's parent links) still go, a few MB later. The other thresholds stay Python's own."""


def _settle_gc() -> None:
    """After start-up: what the worker keeps for its whole life (modules, grammars, tasks) moves out of
    the collector's sight (``gc.freeze``), and the young generation is collected less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def serve(stdin: TextIO, stdout: TextIO, *, ready: Callable[[], None] | None = None) -> None:
    """Answer the protocol's messages on ``stdin`` until ``exit`` or its end.

    ``ready()`` is called once the tasks are built, before the ``{"op": "ready"}`` answer: the worker's
    :func:`main` settles its collector there (:func:`_settle_gc`). A caller serving in its own process,
    such as a test, passes nothing and keeps its collector as it was (frozen there, every object then
    alive would stay out of the collector's sight for the rest of that process; DuckDB's bindings
    reported the ones they held as leaks at exit)."""
    tasks: dict[str, Task] = {}
    for line in stdin:
        if not line.endswith("\n"):
            return  # cut short: the parent died while writing it, and nobody is left to answer
        message = json.loads(line)
        op = message["op"]
        if op == "init":
            for spec in message["tasks"]:
                cls = get_task(spec["name"])
                config = cls.config_class.from_dict(spec["name"], spec["config"])
                tasks[spec["name"]] = cls(config, seed=spec["seed"], difficulty=spec["difficulty"])
            if ready is not None:
                ready()
            stdout.write('{"op": "ready"}\n')
        elif op == "kept":  # groups the run has kept: candidates in them need not run
            task = tasks[message["task"]]
            if not isinstance(task.known_groups, KeySet):
                task.known_groups = KeySet()
            task.known_groups.update(message["groups"])
            continue  # no answer
        elif op == "run":
            task = tasks[message["task"]]
            indices = message.get("indices")
            for outcomes in _outcomes(task, range(message["start"], message["stop"]) if indices is None else indices):
                stdout.write("".join(json.dumps(outcome, ensure_ascii=False) + "\n" for outcome in outcomes))
                stdout.flush()
                if _STOPPING.is_set():
                    return
            stdout.write('{"op": "done"}\n')
        elif op == "exit":
            return
        stdout.flush()


def main() -> None:
    protocol = protocol_stream()
    signal.signal(signal.SIGTERM, _stop_soon)
    try:
        serve(sys.stdin, protocol, ready=_settle_gc)
        protocol.flush()
    except BrokenPipeError:
        pass  # the parent is gone (killed, or its run interrupted): nobody to answer, nothing to report
    # Stop what the tasks started (their sandbox servers, by their exit hooks), then leave without the
    # interpreter's teardown of every module and connection, which took 60-150 ms per worker while the
    # parent waited. Nothing is left unwritten: the protocol stream is flushed after each message.
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(0)


if __name__ == "__main__":
    main()
