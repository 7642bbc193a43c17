"""Generation on a Ray cluster (``generate --engine ray``): the same shards as the local engine, run as
Ray tasks, with byte-identical output.

Each Ray task takes one shard, candidates ``[start, stop)`` of one task, runs it through a
:class:`~codegen_data.pool.WorkerPool` of one ``codegen_data.worker`` subprocess that lives as long as
the Ray worker process (so the candidates run exactly as they do locally: a clean environment, a
fixed hash seed, per-item deadlines, a crash costing one candidate), and writes the raw outcomes to
``OUT/.partial/raw/<task>/<start>.jsonl`` itself, through a temporary file and a rename. The driver
reads the shards back in index order and applies the duplicate filter and quotas as the local engine
does; on a cluster, ``OUT`` must be on storage every node can write (NFS, a shared volume).

As locally, a candidate whose structure the run has already kept is not run: the driver appends each
group it keeps to ``OUT/.partial/raw/kept-<run>.jsonl`` (flushed before each shard is submitted), and
a shard tells its worker the groups added since that worker last read the file. A shard that has
not heard of a group yet runs its candidates in vain, never wrongly: the driver decides every
outcome. A Ray worker process keeps one worker subprocess, for the run it last served. A resumed run
reuses an interrupted one's shard files, unless their worker skipped candidates (for groups that
run kept, which this one may not keep again): such a shard runs anew.

Ray is an optional dependency: ``pip install 'codegen-data[ray]'``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ._files import write_atomic
from .pool import Chunk
from .task import DUPLICATE_STRUCTURE, ConfigError

__all__ = ["RayPool", "connect", "shard_path"]

@dataclass
class _Served:
    """What a Ray worker process keeps for the run it last served: that run's worker subprocess, and
    how much of the run's kept-groups file the worker has been told (bytes)."""

    key: str
    pool: Any
    heard: int = 0


_SERVED: _Served | None = None


def connect(address: str | None) -> Any:
    """Import Ray and join ``address`` (``None``: start a local instance with every CPU)."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'codegen-data[ray]'") from None
    if not ray.is_initialized():
        _check_reachable(address)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Ray cluster at {address or 'a new local instance'}: {exc}".splitlines()[0]) from None
    return ray


def _check_reachable(address: str | None) -> None:
    """Fail in seconds on a host:port nobody listens on (Ray itself retries for minutes)."""
    import socket

    if address in (None, "", "auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}; "
                          "check the address (ray://HEAD:10001 or HEAD:6379) and that the cluster is up") from None


def shard_path(raw_dir: Path, chunk: Chunk) -> Path:
    return raw_dir / chunk.task / f"{chunk.start:09d}.jsonl"


def _run_shard(init: dict[str, Any], deadline: float, task: str, start: int, stop: int, path: str, kept: str) -> str:
    """Inside a Ray worker: run one shard through this process's worker subprocess, write its file.
    ``kept`` is the run's kept-groups file (one JSON ``[task, group]`` line per group the driver kept)."""
    global _SERVED
    from .pool import WorkerPool

    key = json.dumps([init, deadline, kept], sort_keys=True)
    if _SERVED is None or _SERVED.key != key:  # a new run: the last one's worker (and what it heard) goes
        if _SERVED is not None:
            _SERVED.pool.close()
        _SERVED = _Served(key, WorkerPool(1, init, item_deadline=deadline))
    _tell_kept(_SERVED, kept)
    chunks = iter([Chunk(task, start, stop)])
    lines = sorted(_SERVED.pool.run(lambda: next(chunks, None)), key=lambda message: message["i"])
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, "".join(json.dumps(message, ensure_ascii=False) + "\n" for message in lines).encode("utf-8"))
    return path


def _tell_kept(served: _Served, kept: str) -> None:
    """Tell ``served``'s worker the groups appended to ``kept`` since it was last told, streamed (a
    resumed run's file may hold millions). Only what reads as whole lines counts; the rest (a line
    still being written, or on shared storage, a stretch not yet visible from this node) is read
    again by the next shard: hearing less only costs time."""
    try:
        f = open(kept, "rb")
    except OSError:
        return

    def groups() -> Iterator[tuple[str, str]]:
        for line in f:
            try:
                task, group = json.loads(line) if line.endswith(b"\n") else (None, None)
            except (ValueError, TypeError):
                return
            if not isinstance(task, str) or not isinstance(group, str):
                return
            yield task, group
            served.heard += len(line)

    with f:
        f.seek(served.heard)
        served.pool.announce_earlier(groups())


def _skipped_by_a_worker(message: dict[str, Any]) -> bool:
    """A worker's own duplicate reject: it skipped the candidate for a group it heard the run kept."""
    return message.get("reject", {}).get("reason") == DUPLICATE_STRUCTURE


class RayPool:
    """The :class:`~codegen_data.pool.WorkerPool` interface over Ray tasks, one shard per task."""

    def __init__(self, init_message: dict[str, Any], *, item_deadline: float, raw_dir: Path, address: str | None = None,
                 chunk_size: int):
        self.ray = connect(address)
        self.init_message = init_message
        self.item_deadline = item_deadline
        self.raw_dir = Path(raw_dir).resolve()
        self.chunk_size = chunk_size
        self._remote = self.ray.remote(_run_shard).options(
            num_cpus=1, max_retries=2, runtime_env={"env_vars": {"PYTHONHASHSEED": "0"}},
        )
        self.capacity = max(2, 2 * int(self.ray.cluster_resources().get("CPU", 1)))
        self._in_flight: dict[Any, Chunk] = {}
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.raw_dir.glob("kept-*.jsonl"):  # an interrupted run's, never closed
            stale.unlink(missing_ok=True)
        self.kept_path = self.raw_dir / f"kept-{uuid.uuid4().hex}.jsonl"  # this run's alone
        self._kept = self.kept_path.open("w", encoding="utf-8")

    def announce(self, task: str, group: str) -> None:
        """The run kept a record of ``group``: shards submitted from now on skip its candidates."""
        self._kept.write(json.dumps([task, group], ensure_ascii=False) + "\n")

    def announce_earlier(self, groups: Iterable[tuple[str, str]]) -> None:
        """``(task, group)`` pairs a resumed run kept before: every shard hears them."""
        for task, group in groups:
            self.announce(task, group)

    def run(self, next_chunk: Callable[[], Chunk | None]) -> Iterator[dict[str, Any]]:
        """Yield outcome messages until ``next_chunk`` returns None and every shard has been read."""
        ray = self.ray
        while True:
            while len(self._in_flight) < self.capacity:
                chunk = next_chunk()
                if chunk is None:
                    break
                path = shard_path(self.raw_dir, chunk)
                if path.exists():  # written by an earlier, interrupted run of the same plan
                    reused = self._read(path)
                    if not any(map(_skipped_by_a_worker, reused)):
                        yield from reused
                        continue
                    # Its skips stand for groups that run kept, which this one may not keep again
                    # (a candidate that timed out there may pass here): the shard runs anew.
                self._kept.flush()  # the groups kept so far reach this shard
                ref = self._remote.remote(self.init_message, self.item_deadline, chunk.task, chunk.start, chunk.stop, str(path),
                                          str(self.kept_path))
                self._in_flight[ref] = chunk
            if not self._in_flight:
                return
            done, _ = ray.wait(list(self._in_flight), num_returns=1)
            for ref in done:
                chunk = self._in_flight.pop(ref)
                try:
                    path = Path(ray.get(ref))
                except Exception as exc:  # noqa: BLE001  # the shard's worker could not run it at all
                    raise RuntimeError(f"Ray task for {chunk.task} [{chunk.start}, {chunk.stop}) failed: {exc}".splitlines()[0]) from None
                yield from self._read(path)

    @staticmethod
    def _read(path: Path) -> list[dict[str, Any]]:
        with path.open(encoding="utf-8") as f:
            messages = [json.loads(line) for line in f]
        path.unlink()  # its outcomes now belong to the driver (and reach a committed shard)
        return messages

    def kill(self) -> None:
        for ref in self._in_flight:
            self.ray.cancel(ref, force=True)
        self._in_flight.clear()
        self._forget_kept()

    def close(self) -> None:
        """Shards still running (the run stopped before needing them) finish, and their files go."""
        refs = list(self._in_flight)
        if refs:
            self.ray.wait(refs, num_returns=len(refs))
        for chunk in self._in_flight.values():
            shard_path(self.raw_dir, chunk).unlink(missing_ok=True)
        self._in_flight.clear()
        self._forget_kept()

    def _forget_kept(self) -> None:
        """The kept-groups file is this run's alone: a resumed run announces its groups afresh."""
        try:
            self._kept.close()
        finally:
            self.kept_path.unlink(missing_ok=True)


# --- evaluation --------------------------------------------------------------------------------------

def _judge_group(batches: list[list[tuple[int, int, str]]], records: dict[int, dict[str, Any]], timeout: float) -> list[list[Any]]:
    """Inside a Ray worker: judge the units through one local scoring process (the sandbox as usual)."""
    from .evaluate import _run, _Unit

    queue = [[_Unit(key, sample, raw) for key, sample, raw in batch] for batch in batches]
    queue.reverse()  # popped from the end
    verdicts: list[list[Any]] = []
    _run(queue, records, 1, timeout, lambda unit, v: verdicts.append([unit.key, unit.sample, v.passed, v.failure, v.error]))
    return verdicts


def judge_on_ray(batches: list[list[Any]], records: Any, timeout: float, done: Callable[[Any, Any], None], *,
                 address: str | None = None) -> None:
    """Judge ``batches`` of units as Ray tasks, calling ``done(unit, verdict)`` for each as it arrives."""
    from .evaluate import _Verdict

    ray = connect(address)
    remote = ray.remote(_judge_group).options(num_cpus=1, max_retries=2, runtime_env={"env_vars": {"PYTHONHASHSEED": "0"}})
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    per_task = max(1, -(-len(batches) // (4 * cpus)))  # about 4 tasks per CPU: balance vs. process starts
    refs = []
    for i in range(0, len(batches), per_task):
        group = batches[i : i + per_task]
        keys = {unit.key for batch in group for unit in batch}
        refs.append(remote.remote([[(u.key, u.sample, u.raw) for u in batch] for batch in group],
                                  {k: records[k] for k in keys}, timeout))
    units = {(u.key, u.sample): u for batch in batches for u in batch}
    try:
        while refs:
            ready, refs = ray.wait(refs, num_returns=1)
            for key, sample, passed, failure, error in ray.get(ready[0]):
                done(units[(key, sample)], _Verdict(passed, failure, error))
    except BaseException:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
