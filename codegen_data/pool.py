"""Worker processes for generation: start, feed index ranges, read outcomes, replace the dead.

Each worker is ``python -s -m codegen_data.worker`` with a clean environment (see :mod:`codegen_data.worker`). The parent
enforces a deadline per item; a worker that dies or misses it is killed and replaced, the item it was
on becomes a reject (``executor_crashed`` / ``executor_timeout``), and the run goes on from the next
index, so the outcome is the same whatever the number of workers.

Each worker holds a second chunk in its queue (on its stdin) while it works on the first, so it goes
straight on when it finishes one, instead of waiting for the parent to hear ``done`` and answer.
"""

from __future__ import annotations

import selectors
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ._processes import HelperProcess, close_all, cpu_slots

__all__ = ["WorkerPool", "Chunk"]

_KEPT_BATCH = 10_000  # groups per "kept" message of announce_earlier


@dataclass
class Chunk:
    task: str
    start: int
    stop: int


class _Worker(HelperProcess):
    close_timeout = 5.0

    def __init__(self, init_message: dict[str, Any], cpu: int | None):
        super().__init__("codegen_data.worker", cpu=cpu)
        self.cpu = cpu
        self.chunk: Chunk | None = None  # the chunk it works on
        self.queued: Chunk | None = None  # the one it goes on with, already sent
        self.next_index = 0
        self.last_heard = time.monotonic()
        self.allowance = 1  # items the worker may be silent for: a whole batch after {"op": "batch"}
        self.news: dict[str, list[str]] = {}  # groups kept since it was last told, by task
        self.send(init_message)

    def start(self, chunk: Chunk) -> None:
        """Send ``chunk``: it works on it now if idle, else once the chunk it works on is done; the
        groups kept since its last chunk go first."""
        if self.chunk is None:
            self._begin(chunk)
        else:
            self.queued = chunk
        self.tell(self.news)
        self.news.clear()
        self.send({"op": "run", "task": chunk.task, "start": chunk.start, "stop": chunk.stop})

    def tell(self, groups: dict[str, list[str]]) -> None:
        """Groups the run kept, by task: one ``kept`` message per task (the worker answers none)."""
        for task, names in groups.items():
            self.send({"op": "kept", "task": task, "groups": names})

    def finished_chunk(self) -> None:
        """It said ``done``: it is on its queued chunk now, if it has one."""
        self.chunk, queued, self.queued = None, self.queued, None
        if queued is not None:
            self._begin(queued)

    def _begin(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self.next_index = chunk.start
        self.last_heard = time.monotonic()
        self.allowance = 1


class WorkerPool:
    """``workers`` generation processes sharing one queue of chunks."""

    def __init__(self, workers: int, init_message: dict[str, Any], *, item_deadline: float):
        self.init_message = init_message
        self.item_deadline = item_deadline
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        for cpu in cpu_slots(workers):
            self._spawn(cpu)

    def announce(self, task: str, group: str) -> None:
        """The run kept a record of ``group``: each worker hears it with its next chunk, and skips
        candidates of that group instead of running them (a fresh worker hears only later groups)."""
        for worker in self.workers:
            worker.news.setdefault(task, []).append(group)

    def announce_earlier(self, groups: Iterable[tuple[str, str]]) -> None:
        """``(task, group)`` pairs the run kept before these workers started (a resumed run's): sent
        to each worker now, before any chunk, a batch at a time, so that none is held here."""
        batch: dict[str, list[str]] = {}
        for n, (task, group) in enumerate(groups, 1):
            batch.setdefault(task, []).append(group)
            if n % _KEPT_BATCH == 0:
                self._tell(batch)
                batch = {}
        self._tell(batch)

    def _tell(self, groups: dict[str, list[str]]) -> None:
        for worker in self.workers:
            try:
                worker.tell(groups)
            except OSError:  # it died: run() replaces it
                pass

    def _spawn(self, cpu: int | None) -> _Worker:
        worker = _Worker(self.init_message, cpu)
        self.workers.append(worker)
        self.selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)  # type: ignore[arg-type]
        return worker

    def _retire(self, worker: _Worker) -> None:
        self.selector.unregister(worker.proc.stdout)  # type: ignore[arg-type]
        self.workers.remove(worker)
        worker.kill()

    def run(self, next_chunk: Callable[[], Chunk | None]) -> Iterator[dict[str, Any]]:
        """Yield outcome messages until ``next_chunk`` returns None and every chunk has finished."""
        for worker in self.workers:
            self._fill(worker, next_chunk)
        while any(w.chunk is not None for w in self.workers):
            events = self.selector.select(timeout=1.0)
            for key, _ in events:
                worker: _Worker = key.data
                messages = worker.read_messages()
                if messages is None:
                    yield from self._replace(worker, "executor_crashed", f"worker exited with {worker.proc.poll()}", next_chunk)
                    continue
                worker.last_heard = time.monotonic()
                for message in messages:
                    if message.get("op") == "batch":  # the next n items come at once
                        worker.allowance = max(1, int(message["n"]))
                        continue
                    if message.get("op") == "done":
                        worker.finished_chunk()
                        self._fill(worker, next_chunk)
                        continue
                    worker.next_index = message["i"] + 1
                    worker.allowance = 1
                    yield message
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.chunk is not None and now - worker.last_heard > self.item_deadline * worker.allowance:
                    yield from self._replace(worker, "executor_timeout", f"no answer in {self.item_deadline:.0f}s per item", next_chunk)

    @staticmethod
    def _fill(worker: _Worker, next_chunk: Callable[[], Chunk | None]) -> None:
        """Give ``worker`` chunks until it has one to work on and one queued (or there are no more)."""
        while worker.queued is None:
            chunk = next_chunk()
            if chunk is None:
                return
            worker.start(chunk)

    def _replace(self, worker: _Worker, reason: str, detail: str, next_chunk: Callable[[], Chunk | None]):
        chunk, index, queued = worker.chunk, worker.next_index, worker.queued
        self._retire(worker)
        fresh = self._spawn(worker.cpu)
        if chunk is None:
            return
        yield {"task": chunk.task, "i": index, "reject": {"reason": reason, "detail": detail}}
        if index + 1 < chunk.stop:
            fresh.start(Chunk(chunk.task, index + 1, chunk.stop))
        if queued is not None:
            fresh.start(queued)
        self._fill(fresh, next_chunk)

    def close(self) -> None:
        """Stop every worker, side by side; one still on a chunk (the run stopped before needing it)
        is interrupted rather than left to finish it."""
        close_all(self.workers, interrupt=tuple(w for w in self.workers if w.chunk is not None))
        self.workers.clear()
        self.selector.close()

    def kill(self) -> None:
        for worker in list(self.workers):
            worker.kill()
        self.workers.clear()
