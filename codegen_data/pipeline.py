"""The generation run as one chain: generate -> execute -> verify (in worker processes) -> export.

Parallelism is added from outside by sharding index ranges over workers; outcomes are put back in
index order, so the kept records are "the first N candidates of each task that pass", the same bytes
for any number of workers.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ._keyset import KeySet
from .export.dataset import PARTIAL, SHARD, DatasetWriter
from .groups import split_of
from .pool import Chunk, WorkerPool
from .registry import get_task
from .task import DUPLICATE_STRUCTURE, INTERNAL_ERROR, ConfigError, Task, TaskConfig

__all__ = ["TaskPlan", "GenerationPlan", "GenerationSummary", "plan_generation", "run_generation", "parse_splits", "ordered_outcomes", "Outcome"]

CHUNK = 16  # indices per request: small enough to balance workers, large enough to batch programs in one sandbox child
MAX_CANDIDATES_PER_SAMPLE = 50  # give up on a task that keeps less than 1 candidate in 50
BROKEN_AFTER = 200  # give up on a task whose first this many candidates all failed with an internal error


@dataclass
class TaskPlan:
    name: str
    config: TaskConfig
    quota: int


DEFAULT_SPLITS = {"test": 1.0}


@dataclass
class GenerationPlan:
    tasks: list[TaskPlan]
    n: int
    seed: int
    difficulty: str
    config_file: str | None = None
    splits: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPLITS))
    keep_duplicates: bool = False

    def command(self) -> str:
        parts = ["codegen-data generate", ",".join(t.name for t in self.tasks), f"-n {self.n}", f"--seed {self.seed}"]
        if self.difficulty != "mixed":
            parts.append(f"--difficulty {self.difficulty}")
        if self.splits != DEFAULT_SPLITS:
            parts.append("--splits " + ",".join(f"{k}={v:g}" for k, v in self.splits.items()))
        if self.keep_duplicates:
            parts.append("--keep-duplicates")
        if self.config_file:
            parts.append(f"--config {self.config_file}")
        return " ".join(parts)


def parse_splits(text: str) -> dict[str, float]:
    """``"train=0.9,validation=0.05,test=0.05"`` -> ordered ratios; errors are :class:`ConfigError`."""
    splits: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--splits: expected NAME=RATIO, got {part.strip()!r}")
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"--splits: split name {name!r} may hold only letters, digits, '-' and '_'")
        if name in splits:
            raise ConfigError(f"--splits: split {name!r} is named twice")
        try:
            ratio = float(value)
        except ValueError:
            raise ConfigError(f"--splits: ratio of {name!r} is not a number: {value!r}") from None
        if not 0 < ratio <= 1:
            raise ConfigError(f"--splits: ratio of {name!r} must be in (0, 1], got {value}")
        splits[name] = ratio
    if abs(sum(splits.values()) - 1.0) > 1e-6:
        raise ConfigError(f"--splits: ratios must add up to 1, they add up to {sum(splits.values()):g}")
    return splits


def split_quota(n: int, weights: list[float]) -> list[int]:
    """Share n by weights with the largest-remainder method (ties to the earlier task). Weights whose
    sum, or a share of n by them, is not a finite number (such as 1e308 twice) are a :class:`ConfigError`."""
    total = sum(weights)
    exact = [n * w / total for w in weights]
    if not all(math.isfinite(x) and x >= 0 for x in exact) or not math.isfinite(total) or total <= 0:
        raise ConfigError(f"the tasks' weights ({', '.join(f'{w:g}' for w in weights)}) are too large to share -n by; "
                          "give smaller ones (only their ratios matter, e.g. 1 and 2)")
    quotas = [int(x) for x in exact]
    missing = n - sum(quotas)
    if not 0 <= missing <= len(weights):  # rounding gone wild: never with weights of sane magnitudes
        raise ConfigError(f"the tasks' weights ({', '.join(f'{w:g}' for w in weights)}) cannot share -n {n}; "
                          "give weights of similar magnitudes (only their ratios matter, e.g. 1 and 2)")
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - quotas[i]), i))
    for i in order[:missing]:
        quotas[i] += 1
    return quotas


def plan_generation(
    task_names: list[str], *, n: int, seed: int, difficulty: str = "mixed",
    config: dict[str, Any] | None = None, config_file: str | None = None,
    splits: dict[str, float] | None = None, keep_duplicates: bool = False,
) -> GenerationPlan:
    """Resolve and validate everything before any process starts; errors are :class:`ConfigError`."""
    if n < 1:
        raise ConfigError(f"-n must be at least 1, got {n}")
    if seed < 0:
        raise ConfigError(f"--seed must be >= 0, got {seed}")
    if len(set(task_names)) != len(task_names):
        raise ConfigError("a task is named twice")
    config = config or {}
    unknown = sorted(set(config) - set(task_names))
    if unknown:
        raise ConfigError(f"config has tables for tasks not being generated: {', '.join(unknown)}")
    configs = []
    for name in task_names:
        cls = get_task(name)
        table = config.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"config: [{name}] must be a table")
        configs.append(cls.config_class.from_dict(name, table))
        cls(configs[-1], seed=seed, difficulty=difficulty)  # difficulty errors surface here
    quotas = split_quota(n, [c.weight for c in configs])
    return GenerationPlan(
        tasks=[TaskPlan(name, c, q) for name, c, q in zip(task_names, configs, quotas)],
        n=n, seed=seed, difficulty=difficulty, config_file=config_file,
        splits=dict(splits or DEFAULT_SPLITS), keep_duplicates=keep_duplicates,
    )


@dataclass
class _TaskProgress:
    plan: TaskPlan
    next_index: int = 0
    emitted: int = 0  # outcomes passed on in index order
    kept: int = 0
    internal_errors: int = 0  # of the first BROKEN_AFTER outcomes, those that were a bug raising
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.kept >= self.plan.quota

    @property
    def broken(self) -> bool:
        """Every one of the first :data:`BROKEN_AFTER` candidates (by index) raised: a bug, or a
        dependency version the task does not work with, not a hard quota; going on would only repeat
        it. Decided on exactly those outcomes, so however many workers (or chunks in flight), the
        task's outcomes are indices 0 to BROKEN_AFTER - 1 and nothing after."""
        return self.emitted >= BROKEN_AFTER and self.internal_errors == BROKEN_AFTER

    @property
    def finished(self) -> bool:
        """It passes on no more outcomes: it has its quota, or it gave up (:attr:`broken`)."""
        return self.done or self.broken

    def count_reject(self, index: int, reject: dict[str, Any]) -> None:
        """Note a reject passed on (live or replayed from a resumed run's shards) for :attr:`broken`."""
        if reject.get("reason") == INTERNAL_ERROR and index < BROKEN_AFTER:
            self.internal_errors += 1

    @property
    def exhausted(self) -> bool:
        return self.broken or self.next_index >= max(1000, self.plan.quota * MAX_CANDIDATES_PER_SAMPLE)


@dataclass
class GenerationSummary:
    kept: Counter
    rejected: Counter
    candidates: int
    seconds: float
    complete: bool
    out_dir: Path
    agreement: dict[str, float]
    resumed_records: int = 0  # records taken from the committed shards of an interrupted run
    given_up: tuple[str, ...] = ()  # tasks whose first BROKEN_AFTER candidates all raised

    @property
    def samples_per_second(self) -> float:
        """Records made by this run per second (resumed ones are not counted)."""
        made = sum(self.kept.values()) - self.resumed_records
        return made / self.seconds if self.seconds else 0.0


@dataclass
class Outcome:
    """One candidate's fate, in index order: a kept ``record`` (with its ``split``) or a ``reject``."""

    task: str
    index: int
    record: dict[str, Any] | None = None
    split: str | None = None
    reject: dict[str, Any] | None = None


class _Deduplicator:
    """Exact duplicates (same id: same prompt and answer) and structural ones (same group key in the
    same task, hence the same split) are dropped unless the plan keeps them.

    A group is checked first, and for every outcome that names one (a task's :meth:`~Task.group_of`),
    whatever its verdict: so a worker that has heard of the group may skip the candidate, and the
    outcome is the same as if it had run it. The keys live in two :class:`KeySet` objects: memory stays flat
    however many records a run keeps."""

    def __init__(self, keep: bool):
        self.keep = keep
        self._ids = KeySet()
        self._groups = KeySet()

    def group_kept(self, task: str, group: str) -> bool:
        return not self.keep and _group_key(task, group) in self._groups

    def reason(self, record: dict[str, Any]) -> str | None:
        """Why a record is a duplicate (None: it is not, and is remembered as kept). A record that
        names its ``group`` has had :meth:`group_kept` asked already; one that does not is its own group."""
        if self.keep:
            return None
        if record["id"] in self._ids:
            return "duplicate_exact"
        if "group" not in record and self.group_kept(record["task"], record["id"]):
            return DUPLICATE_STRUCTURE
        self.remember(record)
        return None

    def kept_groups(self) -> Iterator[tuple[str, str]]:
        """``(task, group)`` of every record remembered so far, streamed from disk."""
        for key in self._groups:
            task, _, group = key.partition("\x00")
            yield task, group

    def remember(self, record: dict[str, Any]) -> None:
        """A record kept earlier (e.g. by the run being resumed)."""
        self._ids.add(record["id"])
        self._groups.add(_group_key(*_group(record)))

    def close(self) -> None:
        self._ids.close()
        self._groups.close()


def _group(record: dict[str, Any]) -> tuple[str, str]:
    return record["task"], record.get("group", record["id"])


def _group_key(task: str, group: str) -> str:
    return f"{task}\x00{group}"


def _structure_duplicate(group: str) -> dict[str, Any]:
    """The reject of a candidate of a kept group, the same whether or not a worker skipped it."""
    reject = Task.duplicate(group).as_message()
    del reject["group"]  # named in its candidate already
    return reject


PoolFactory = Callable[[dict[str, Any], float], Any]
"""(init message, per-item deadline) -> a pool with ``run(next_chunk)``, ``kill()``, ``close()`` and
``chunk_size``, such as :class:`~codegen_data.ray_engine.RayPool`; the default is local worker processes."""


def ordered_outcomes(
    plan: GenerationPlan, *, workers: int = 1, states: dict[str, "_TaskProgress"] | None = None,
    dedup: _Deduplicator | None = None, pool_factory: PoolFactory | None = None,
) -> Iterator[Outcome]:
    """Run the plan on ``workers`` worker processes (or the pool ``pool_factory`` makes) and yield every
    outcome in (task, index) order per task, until each task has its quota of kept records (or gives
    up). Closing the iterator stops the workers. ``states`` and ``dedup`` given with earlier progress
    (a resumed run) go on from there."""
    states = states if states is not None else {}
    for t in plan.tasks:
        states.setdefault(t.name, _TaskProgress(t))
    order = [t.name for t in plan.tasks]
    if all(s.done or s.exhausted for s in states.values()):
        return
    if dedup is None:  # ours: closed when we end
        own = _Deduplicator(plan.keep_duplicates)
        try:
            yield from ordered_outcomes(plan, workers=workers, states=states, dedup=own, pool_factory=pool_factory)
        finally:
            own.close()
        return
    turn = 0

    def next_chunk() -> Chunk | None:
        nonlocal turn
        for k in range(len(order)):
            state = states[order[(turn + k) % len(order)]]
            if not state.done and not state.exhausted:
                turn = (turn + k + 1) % len(order)
                start = state.next_index
                state.next_index += size
                return Chunk(state.plan.name, start, start + size)
        return None

    def in_order(message: dict[str, Any]) -> Iterator[Outcome]:
        state = states[message["task"]]
        if state.finished:
            return
        state.pending[message["i"]] = message
        while not state.finished and state.emitted in state.pending:
            raw = state.pending.pop(state.emitted)
            state.emitted += 1
            record = raw.get("record")
            group = record.get("group") if record is not None else raw["reject"].get("group")
            if group is not None and dedup.group_kept(raw["task"], group):
                yield Outcome(raw["task"], raw["i"], reject=_structure_duplicate(group))
                continue
            if record is None:
                state.count_reject(raw["i"], raw["reject"])
                yield Outcome(raw["task"], raw["i"], reject=raw["reject"])
                continue
            reason = dedup.reason(record)
            if reason is None:
                state.kept += 1
                if announce is not None and "group" in record:
                    announce(raw["task"], record["group"])
                yield Outcome(raw["task"], raw["i"], record=record, split=split_of(_group(record)[1], plan.splits))
            elif reason == DUPLICATE_STRUCTURE:
                yield Outcome(raw["task"], raw["i"], reject=_structure_duplicate(_group(record)[1]))
            else:
                yield Outcome(raw["task"], raw["i"], reject={
                    "reason": reason, "detail": "same id as a kept record",
                    "candidate": {"id": record["id"], "group": record.get("group")},
                })
        if state.finished:
            state.pending.clear()

    init = {
        "op": "init",
        "tasks": [
            {"name": t.name, "config": t.config.to_dict(), "seed": plan.seed, "difficulty": plan.difficulty}
            for t in plan.tasks
        ],
    }
    deadline = max(30.0, max(getattr(t.config, "query_timeout", 2.0) for t in plan.tasks) * 40)
    pool = pool_factory(init, deadline) if pool_factory else WorkerPool(
        workers, init, item_deadline=deadline, locality=_locality(plan) if workers > 1 else None
    )
    size = getattr(pool, "chunk_size", CHUNK)
    announce = None if plan.keep_duplicates else getattr(pool, "announce", None)
    earlier = getattr(pool, "announce_earlier", None)
    messages = pool.run(next_chunk)  # a generator: nothing starts before the first message is asked for
    try:
        if announce is not None and earlier is not None:
            earlier(dedup.kept_groups())  # a resumed run's workers skip the groups it kept before, too
        for message in messages:
            yield from in_order(message)
            if all(s.finished or s.exhausted and s.emitted >= s.next_index for s in states.values()):
                break  # every task has what it needs: chunks still running are not waited for
    except BaseException:
        pool.kill()
        raise
    finally:
        messages.close()
    pool.close()


def _locality(plan: GenerationPlan) -> Callable[[str, int], int | None]:
    """``(task, index) -> Task.locality(index)``, from tasks of the plan's own (the workers' twins)."""
    tasks = {t.name: get_task(t.name)(t.config, seed=plan.seed, difficulty=plan.difficulty) for t in plan.tasks}
    return lambda task, index: tasks[task].locality(index)


def _replay(writer: DatasetWriter, plan: GenerationPlan, states: dict[str, _TaskProgress], dedup: _Deduplicator) -> int:
    """Restore each task's progress and the duplicate filter from the committed shards of a resumed run."""
    kept = 0
    for t in plan.tasks:
        state = states[t.name] = _TaskProgress(t)
        for line in writer.committed(t.name):
            state.emitted = state.next_index = line["i"] + 1
            if "record" in line:
                state.kept += 1
                kept += 1
                dedup.remember(line["record"])
            else:
                state.count_reject(line["i"], line["reject"])
    return kept


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While the run goes, SIGTERM (a plain ``kill``) stops it as Ctrl-C does: a KeyboardInterrupt, so
    the workers are stopped and the committed shards stay for --resume (by default SIGTERM ended the
    process at once, and its orphaned workers died on their closed pipes). Only where SIGTERM has its
    default action, in the main thread; the previous action comes back afterwards."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_generation(
    plan: GenerationPlan, out_dir: Path, *, workers: int = 1, progress: Callable[[int], None] | None = None,
    mode: str = "new", engine: str = "local", ray_address: str | None = None,
) -> GenerationSummary:
    """Generate ``plan`` into ``out_dir``. ``mode`` is ``new`` (refuse a directory that holds a dataset
    or an interrupted run), ``overwrite`` or ``resume`` (continue an interrupted run from its committed
    shards; the result is byte-identical to an uninterrupted run). Interrupted (Ctrl-C, or SIGTERM, which
    raises KeyboardInterrupt too), the committed shards stay in ``out_dir/.partial`` and the exception
    propagates. ``engine`` is ``local`` (``workers`` processes) or ``ray`` (shards as Ray tasks on the
    cluster at ``ray_address``, or a local instance); both write the same bytes."""
    with _sigterm_interrupts():
        return _run_generation(plan, out_dir, workers=workers, progress=progress, mode=mode, engine=engine,
                               ray_address=ray_address)


def _run_generation(
    plan: GenerationPlan, out_dir: Path, *, workers: int, progress: Callable[[int], None] | None,
    mode: str, engine: str, ray_address: str | None,
) -> GenerationSummary:
    started = time.perf_counter()
    pool_factory: PoolFactory | None = None
    if engine == "ray":
        from .ray_engine import RayPool, connect

        connect(ray_address)  # fail before anything is written

        def ray_pool(init: dict[str, Any], deadline: float) -> Any:
            return RayPool(init, item_deadline=deadline, raw_dir=Path(out_dir) / PARTIAL / "raw", address=ray_address,
                           chunk_size=SHARD)

        pool_factory = ray_pool
    elif engine != "local":
        raise ConfigError(f"engine must be local or ray, got {engine!r}")
    tasks: dict[str, Task] = {
        t.name: get_task(t.name)(t.config, seed=plan.seed, difficulty=plan.difficulty) for t in plan.tasks
    }
    writer = DatasetWriter(out_dir, plan, tasks, mode=mode)
    if writer.state == "finished":
        manifest = writer.finished_manifest()
        return GenerationSummary(
            kept=Counter(dict(writer.kept)), rejected=writer.reject_counts,
            candidates=sum(writer.kept.values()) + sum(writer.reject_counts.values()),
            seconds=time.perf_counter() - started, complete=bool(manifest.get("complete")), out_dir=out_dir,
            agreement=writer.agreement(), resumed_records=sum(writer.kept.values()),
        )
    states: dict[str, _TaskProgress] = {}
    dedup = _Deduplicator(plan.keep_duplicates)
    try:
        resumed = _replay(writer, plan, states, dedup) if writer.state == "resumed" else 0
        if progress and resumed:
            progress(resumed)
        for outcome in ordered_outcomes(plan, workers=workers, states=states, dedup=dedup, pool_factory=pool_factory):
            if outcome.record is not None:
                writer.add_record(outcome.task, outcome.index, outcome.split, outcome.record)
                if progress:
                    progress(1)
            else:
                writer.add_reject(outcome.task, outcome.index, outcome.reject)
    except BaseException:
        writer.interrupted()
        raise
    finally:
        dedup.close()
    complete = all(s.done for s in states.values())
    seconds = time.perf_counter() - started
    writer.finish(complete=complete)
    return GenerationSummary(
        kept=Counter({name: s.kept for name, s in states.items()}),
        rejected=writer.reject_counts,
        candidates=sum(s.emitted for s in states.values()),
        seconds=seconds,
        complete=complete,
        out_dir=out_dir,
        agreement=writer.agreement(),
        resumed_records=resumed,
        given_up=tuple(name for name, s in states.items() if s.broken),
    )
