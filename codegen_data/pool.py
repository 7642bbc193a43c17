"""Worker processes for generation: start, feed index ranges, read outcomes, replace the dead.

Each worker is ``python -s -m codegen_data.worker`` with a clean environment (see :mod:`codegen_data.worker`). The parent
enforces a deadline per item; a worker that dies or misses it is killed and replaced, the item it was
on becomes a reject (``executor_crashed`` / ``executor_timeout``), and the run goes on from the next
index, so the outcome is the same whatever the number of workers.
"""

from __future__ import annotations

import selectors
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ._processes import HelperProcess

__all__ = ["WorkerPool", "Chunk"]


@dataclass
class Chunk:
    task: str
    start: int
    stop: int


class _Worker(HelperProcess):
    close_timeout = 5.0

    def __init__(self, init_message: dict[str, Any]):
        super().__init__("codegen_data.worker")
        self.chunk: Chunk | None = None
        self.next_index = 0
        self.last_heard = time.monotonic()
        self.allowance = 1  # items the worker may be silent for: a whole batch after {"op": "batch"}
        self.send(init_message)

    def start(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self.next_index = chunk.start
        self.last_heard = time.monotonic()
        self.allowance = 1
        self.send({"op": "run", "task": chunk.task, "start": chunk.start, "stop": chunk.stop})


class WorkerPool:
    """``workers`` generation processes sharing one queue of chunks."""

    def __init__(self, workers: int, init_message: dict[str, Any], *, item_deadline: float):
        self.init_message = init_message
        self.item_deadline = item_deadline
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        for _ in range(workers):
            self._spawn()

    def _spawn(self) -> _Worker:
        worker = _Worker(self.init_message)
        self.workers.append(worker)
        self.selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)  # type: ignore[arg-type]
        return worker

    def _retire(self, worker: _Worker) -> None:
        self.selector.unregister(worker.proc.stdout)  # type: ignore[arg-type]
        self.workers.remove(worker)
        worker.kill()

    def run(self, next_chunk: Callable[[], Chunk | None]) -> Iterator[dict[str, Any]]:
        """Yield outcome messages until ``next_chunk`` returns None and every chunk has finished."""
        idle = [w for w in self.workers if w.chunk is None]
        for worker in idle:
            chunk = next_chunk()
            if chunk is not None:
                worker.start(chunk)
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
                        chunk = next_chunk()
                        worker.chunk = None
                        if chunk is not None:
                            worker.start(chunk)
                        continue
                    worker.next_index = message["i"] + 1
                    worker.allowance = 1
                    yield message
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.chunk is not None and now - worker.last_heard > self.item_deadline * worker.allowance:
                    yield from self._replace(worker, "executor_timeout", f"no answer in {self.item_deadline:.0f}s per item", next_chunk)

    def _replace(self, worker: _Worker, reason: str, detail: str, next_chunk: Callable[[], Chunk | None]):
        chunk, index = worker.chunk, worker.next_index
        self._retire(worker)
        fresh = self._spawn()
        if chunk is None:
            return
        yield {"task": chunk.task, "i": index, "reject": {"reason": reason, "detail": detail}}
        if index + 1 < chunk.stop:
            fresh.start(Chunk(chunk.task, index + 1, chunk.stop))
        else:
            following = next_chunk()
            if following is not None:
                fresh.start(following)

    def close(self) -> None:
        for worker in list(self.workers):
            worker.close()
        self.workers.clear()
        self.selector.close()

    def kill(self) -> None:
        for worker in list(self.workers):
            worker.kill()
        self.workers.clear()
