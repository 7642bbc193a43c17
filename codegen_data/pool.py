"""Worker processes for generation: start, feed index ranges, read outcomes, replace the dead.

Each worker is ``python -s -m codegen_data.worker`` with a clean environment (see :mod:`codegen_data.worker`). The parent
enforces a deadline per item; a worker that dies or misses it is killed and replaced, the item it was
on becomes a reject (``executor_crashed`` / ``executor_timeout``), and the run goes on from the next
index, so the outcome is the same whatever the number of workers.

Each worker holds a second chunk in its queue (on its stdin) while it works on the first, so it goes
straight on when it finishes one, instead of waiting for the parent to hear ``done`` and answer.

With several workers and a task whose items say which costly state they need (``Task.locality``: an
SQL task's database), each index range is split by locality, one part per worker slot, so each worker
loads only its share of the databases (:class:`_Schedule`). A worker that runs out of parts of its own
takes the oldest part waiting for another slot once several wait, so a slower worker's parts do not
pile up. Where an item runs never changes what it gives.
"""

from __future__ import annotations

import operator
import selectors
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ._processes import HelperProcess, close_all, cpu_slots

__all__ = ["WorkerPool", "Chunk"]

_KEPT_BATCH = 10_000  # groups per "kept" message of announce_earlier


@dataclass
class Chunk:
    """Candidates ``[start, stop)`` of ``task``, or only ``indices`` of them (in order) when given."""

    task: str
    start: int
    stop: int
    indices: tuple[int, ...] | None = None

    def items(self) -> Sequence[int]:
        return range(self.start, self.stop) if self.indices is None else self.indices

    def message(self) -> dict[str, Any]:
        """The worker's ``run`` message for it."""
        message: dict[str, Any] = {"op": "run", "task": self.task, "start": self.start, "stop": self.stop}
        if self.indices is not None:
            message["indices"] = list(self.indices)
        return message

    def after(self, index: int) -> Chunk | None:
        """What is left of it after ``index``, or None when nothing is."""
        if self.indices is None:
            return Chunk(self.task, index + 1, self.stop) if index + 1 < self.stop else None
        rest = tuple(i for i in self.indices if i > index)
        return Chunk(self.task, self.start, self.stop, rest) if rest else None


MAX_WAITING_PER_SLOT = 8
"""Parts that may wait per slot before a slot with none of its own takes another's (see :class:`_Schedule`).
Parts differ in size (8 of a range of 16 items on average), so which slot is ahead drifts; at 2 per
slot that drift made a worker take another's part in most 1,000-item runs (each part brings about
8 databases the worker had not loaded: 40 to 57 of 64 instead of 32). At 8 per slot the parent holds
at most about 100 more outcomes, and in three 1,000-item runs 4 of the 6 workers opened only their
own 32 (the others 40 and 48, taking parts as the run ended)."""

Locality = Callable[[str, int], "int | None"]
"""``(task, index) -> number or None``: :meth:`codegen_data.task.Task.locality` of the task named."""


class _Schedule:
    """Which chunk each worker slot gets next: its own parts of the index ranges first.

    Each range from ``next_chunk`` is split into one part per slot by ``locality(task, index) % slots``
    (a range whose first item has no locality goes whole to whoever is free). Parts wait here until
    their slot asks; a slot with none pulls the next range, unless :attr:`max_waiting` parts already
    wait, in which case it takes the oldest part waiting for another slot instead: the parts waiting
    (and the outcomes the parent holds until the slot behind catches up) stay few, and the parts of a
    finished run too. A worker that stalls holds the run up as before: the parts already sent to it
    are its own until its item deadline replaces it."""

    def __init__(self, slots: int, locality: Locality | None):
        self.slots = slots
        self.locality = locality if slots > 1 else None
        self.waiting: list[deque[tuple[int, Chunk]]] = [deque() for _ in range(slots)]  # (age, part) by slot
        self.anyone: deque[tuple[int, Chunk]] = deque()  # ranges without locality
        self.max_waiting = MAX_WAITING_PER_SLOT * slots
        self._age = 0

    def next_for(self, slot: int, next_chunk: Callable[[], Chunk | None]) -> Chunk | None:
        while True:
            own = self.waiting[slot]
            if own or self.anyone:
                queue = own if not self.anyone or (own and own[0][0] < self.anyone[0][0]) else self.anyone
                return queue.popleft()[1]
            if sum(map(len, self.waiting)) < self.max_waiting:
                chunk = next_chunk()
                if chunk is not None:
                    self._split(chunk)
                    continue
            oldest = min((q for q in self.waiting if q), key=lambda q: q[0][0], default=None)
            return oldest.popleft()[1] if oldest is not None else None

    def _split(self, chunk: Chunk) -> None:
        self._age += 1
        places = [self._place(chunk.task, index) for index in chunk.items()]
        if not places or places[0] is None:
            self.anyone.append((self._age, chunk))
            return
        parts: list[list[int]] = [[] for _ in range(self.slots)]
        for index, place in zip(chunk.items(), places):
            parts[place or 0].append(index)
        for slot, part in enumerate(parts):
            if part:
                self.waiting[slot].append((self._age, Chunk(chunk.task, chunk.start, chunk.stop, tuple(part))))

    def _place(self, task: str, index: int) -> int | None:
        if self.locality is None:
            return None
        try:
            key = self.locality(task, index)
            return None if key is None else operator.index(key) % self.slots
        except Exception:  # noqa: BLE001  # a hint only: the worker meets (and reports) the task's bug
            return None


class _Worker(HelperProcess):
    close_timeout = 5.0

    def __init__(self, init_message: dict[str, Any], cpu: int | None, slot: int = 0):
        super().__init__("codegen_data.worker", cpu=cpu)
        self.cpu = cpu
        self.slot = slot
        self.chunk: Chunk | None = None  # the chunk it works on
        self.queued: Chunk | None = None  # the one it goes on with, already sent
        self.todo: Sequence[int] = ()  # the chunk's indices; todo[done] is the one it is on
        self.done = 0
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
        self.send(chunk.message())

    def tell(self, groups: dict[str, list[str]]) -> None:
        """Groups the run kept, by task: one ``kept`` message per task (the worker answers none)."""
        for task, names in groups.items():
            self.send({"op": "kept", "task": task, "groups": names})

    def answered(self, index: int) -> None:
        """It sent the outcome of ``index`` (they come in the chunk's order)."""
        todo = self.todo
        while self.done < len(todo) and todo[self.done] != index:
            self.done += 1
        self.done += 1

    @property
    def on(self) -> int | None:
        """The index it is working on (None: it answered for its whole chunk)."""
        return self.todo[self.done] if self.done < len(self.todo) else None

    def finished_chunk(self) -> None:
        """It said ``done``: it is on its queued chunk now, if it has one."""
        self.chunk, queued, self.queued = None, self.queued, None
        if queued is not None:
            self._begin(queued)

    def _begin(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self.todo = chunk.items()
        self.done = 0
        self.last_heard = time.monotonic()
        self.allowance = 1


class WorkerPool:
    """``workers`` generation processes sharing the chunks of one run; with ``locality``, the items of
    one locality go to one worker where they can (see :class:`_Schedule`)."""

    def __init__(self, workers: int, init_message: dict[str, Any], *, item_deadline: float,
                 locality: Locality | None = None):
        self.init_message = init_message
        self.item_deadline = item_deadline
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.schedule = _Schedule(workers, locality)
        for slot, cpu in enumerate(cpu_slots(workers)):
            self._spawn(cpu, slot)

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

    def _spawn(self, cpu: int | None, slot: int) -> _Worker:
        worker = _Worker(self.init_message, cpu, slot)
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
                    worker.answered(message["i"])
                    worker.allowance = 1
                    yield message
            now = time.monotonic()
            for worker in list(self.workers):
                if worker.chunk is not None and now - worker.last_heard > self.item_deadline * worker.allowance:
                    yield from self._replace(worker, "executor_timeout", f"no answer in {self.item_deadline:.0f}s per item", next_chunk)

    def _fill(self, worker: _Worker, next_chunk: Callable[[], Chunk | None]) -> None:
        """Give ``worker`` chunks until it has one to work on and one queued (or there are no more)."""
        while worker.queued is None:
            chunk = self.schedule.next_for(worker.slot, next_chunk)
            if chunk is None:
                return
            worker.start(chunk)

    def _replace(self, worker: _Worker, reason: str, detail: str, next_chunk: Callable[[], Chunk | None]):
        chunk, index, queued = worker.chunk, worker.on, worker.queued
        self._retire(worker)
        fresh = self._spawn(worker.cpu, worker.slot)
        if chunk is not None and index is not None:  # (None: it had answered for all of its chunk)
            yield {"task": chunk.task, "i": index, "reject": {"reason": reason, "detail": detail}}
            rest = chunk.after(index)
            if rest is not None:
                fresh.start(rest)
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
