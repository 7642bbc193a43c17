"""The output directory contract, and how a run writes it so that nothing is lost.

A finished dataset is ``DIR/data/<split>.jsonl`` (verified records), ``DIR/rejects.jsonl`` (rejected
candidates with ``reason``), task side files such as ``DIR/databases/<db_id>.sql``, the dataset card
``DIR/README.md`` and ``DIR/manifest.json``, which is moved into place last: a directory with a
manifest holds a complete dataset.

While a run is going, its outcomes are committed shard by shard: the outcomes of candidates
``[k*SHARD, (k+1)*SHARD)`` of a task, in index order, go to ``DIR/.partial/shards/<task>/<start>.jsonl``
through a temporary file and an atomic rename. A run that is killed (``kill -9``, Ctrl-C, a full disk)
leaves only whole shards and ``DIR/.partial/plan.json``; ``--resume`` replays them and goes on from the
first missing index. Since a candidate's outcome is a function of (plan, task, index), the resumed run
writes the same bytes as an uninterrupted one. The data files are assembled from the shards at the end,
and a previous dataset in ``DIR`` stays intact until the new one is complete.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import importlib
import json
import os
import platform
import re
import shutil
import sys
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .. import __version__
from .._files import fsync_path, sync_tree, write_atomic
from ..grammar import load_grammar
from ..task import ConfigError, Task
from .card import render_card

if TYPE_CHECKING:
    from ..pipeline import GenerationPlan

__all__ = [
    "DatasetWriter", "OutputError", "OutputExists", "WRITE_MODES", "SHARD", "engine_versions", "file_sha256",
    "OUTPUT_ENTRIES", "PARTIAL",
]

OUTPUT_ENTRIES = ("README.md", "data", "rejects.jsonl", "databases", "manifest.json")
"""What a dataset directory holds, in the order a finished run moves them into place (manifest last)."""
PARTIAL = ".partial"
"""The directory of a run in progress (or interrupted), inside the output directory."""
SHARD = 128
"""Candidate indices per committed shard: at most this many candidates per task are redone on resume."""
WRITE_MODES = ("new", "overwrite", "resume")
"""``new`` refuses a directory that holds a dataset or an interrupted run, ``overwrite`` replaces it
(the old dataset stays until the new one is complete), ``resume`` continues an interrupted run."""

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The head of a committed line, as _encode writes it: what follows is the record or reject, then "}".
_RECORD_HEAD = re.compile(r'\{"i":(\d+),"split":"([A-Za-z0-9_.-]+)","record":')
_REJECT_HEAD = re.compile(r'\{"i":(\d+),"reject":')


class OutputError(ConfigError):
    """The output directory cannot be written."""


class OutputExists(OutputError):
    """The output directory holds something this run may not replace (a usage error)."""


def engine_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "sqlglot": _version("sqlglot"),
        "sqlite": sqlite3.sqlite_version,
        "tree-sitter-python": _version("tree-sitter-python"),  # its grammar: program features, levels, groups
    }


def _version(package: str) -> str:
    """The package's ``__version__`` if it is imported already, else its installed version (read from
    its metadata: importing duckdb and sqlglot only to ask took 0.15 s at the end of a program run)."""
    name = package.replace("-", "_")  # the module a distribution installs (tree-sitter-python: tree_sitter_python)
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__version__", None):
        return str(module.__version__)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return str(getattr(importlib.import_module(name), "__version__", "unknown"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _os_error(exc: OSError, path: Path) -> OutputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"no space left on the device of {path}: free some space, then rerun the same command with --resume")
    if exc.errno == errno.EFBIG:
        return OutputError(f"file size limit reached writing {path}: raise it (ulimit -f), then rerun with --resume")
    return OutputError(f"cannot write to {path}: {exc.strerror or exc}")


def _file_above(path: Path) -> Path:
    """The first of ``path``'s ancestors that exists and is not a directory (else its parent)."""
    for parent in reversed(path.parents):
        if str(parent) not in ("", ".", os.sep) and parent.exists() and not parent.is_dir():
            return parent
    return path.parent


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise _os_error(exc, path) from None


class DatasetWriter:
    """Commits a run's outcomes shard by shard and assembles the dataset when the run finishes.

    ``state`` is ``"fresh"`` (nothing to replay), ``"resumed"`` (:meth:`committed` replays the saved
    outcomes) or ``"finished"`` (``resume`` of a run whose dataset is already complete: nothing to do).
    """

    def __init__(self, out_dir: Path, plan: "GenerationPlan", tasks: dict[str, Task], *, mode: str = "new"):
        if mode not in WRITE_MODES:
            raise ValueError(f"mode must be one of {WRITE_MODES}, got {mode!r}")
        self.out_dir = Path(out_dir)
        self.plan = plan
        self.tasks = tasks
        self.mode = mode
        self.partial = self.out_dir / PARTIAL
        self._lock: Any = None
        self._buffers: dict[str, list[str]] = {name: [] for name in tasks}
        self._buffer_start: dict[str, int] = {name: 0 for name in tasks}
        self._reset_counts()
        try:
            self.state = self._prepare()
        except BaseException:
            self._release()
            raise
        # Outcomes from here on are counted as they are added; those of a resumed run's committed
        # shards (below these indices) are counted when the dataset is assembled.
        self._counted_from = dict(self._buffer_start)

    # the directory ----------------------------------------------------------------------------
    def plan_record(self) -> dict[str, Any]:
        """What must be equal for a run to resume another: everything that decides an outcome."""
        grammars = sorted({g for t in self.tasks.values() for g in t.grammars})
        return {
            "command": self.plan.command(),
            "codegen_data_version": __version__,
            "seed": self.plan.seed,
            "n": self.plan.n,
            "difficulty": self.plan.difficulty,
            "splits": self.plan.splits,
            "keep_duplicates": self.plan.keep_duplicates,
            "tasks": {t.name: {"quota": t.quota, "config": t.config.to_dict()} for t in self.plan.tasks},
            "grammars": {g: load_grammar(g).sha256 for g in grammars},
            "shard": SHARD,
        }

    def _acquire(self) -> None:
        self._lock = (self.partial / "lock").open("a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._release()
            raise OutputError(f"another codegen-data run is writing to {self.out_dir}; wait for it to finish or choose another -o") from None

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _prepare(self) -> str:
        out = self.out_dir
        try:
            self._check_path()
            if out.exists() and not out.is_dir():
                raise OutputExists(f"output path {out} exists and is not a directory; choose another -o")
            names = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
            has_dataset = (out / "manifest.json").is_file()
            foreign = [name for name in names if name not in OUTPUT_ENTRIES + (PARTIAL,)]
            if foreign and not has_dataset:
                raise OutputExists(f"output directory {out} is not empty and holds no codegen-data dataset "
                                   f"(it has {foreign[0]!r}); choose another -o")
            if self.partial.is_dir():
                self._acquire()  # before judging the partial run: it may be running now
            # --overwrite replaces whatever is there, so only the other modes need the saved plan.
            saved = self._read_saved(self.partial / "plan.json", "an interrupted run", "start over") if self.mode != "overwrite" else None
            plan = self.plan_record()
            if self.mode == "new":
                if saved is not None:
                    raise OutputExists(f"{out} holds an interrupted run; add --resume to continue it, or --overwrite to start over")
                if has_dataset:
                    raise OutputExists(f"{out} already holds a dataset; add --overwrite to replace it, or choose another -o")
            if self.mode == "resume":
                if saved is not None and saved != plan:
                    raise OutputExists(f"{out} holds an interrupted run of another command ({saved.get('command')}); "
                                       "rerun that command with --resume, or add --overwrite to start over")
                if saved is None and has_dataset:
                    manifest = self._read_saved(out / "manifest.json", "a dataset", "replace it, or choose another -o") or {}
                    if manifest.get("plan") == plan and manifest.get("complete"):
                        if self._lock is not None:  # a finished run killed while it removed its work files
                            shutil.rmtree(self.partial)
                            self._release()
                        return "finished"
                    raise OutputExists(f"{out} holds a finished dataset of another command ({manifest.get('command')}); "
                                       "add --overwrite to replace it, or choose another -o")
            self.partial.mkdir(parents=True, exist_ok=True)
            if self._lock is None:
                self._acquire()
            if self.mode == "resume" and saved is not None:
                for stale in (self.partial / "shards").rglob("*.tmp"):
                    stale.unlink()
                self._buffer_start = {name: sum(data.count(b"\n") for data in self._shard_data(name)) for name in self.tasks}
                return "resumed"
            for child in self.partial.iterdir():  # a fresh start: drop an old partial run, keep the lock
                if child.name != "lock":
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
            (self.partial / "shards").mkdir()
            _write_atomic(self.partial / "plan.json", (json.dumps(plan, indent=2) + "\n").encode())
            return "fresh"
        except OutputError:
            raise
        except OSError as exc:
            raise _os_error(exc, out) from None

    def _check_path(self) -> None:
        """Refuse, in one line, an output path that cannot be a directory: one under a file, a symbolic
        link loop, a dangling symbolic link, a name too long (a usage error, like a path that holds a file)."""
        out = self.out_dir
        try:
            os.stat(out)
        except FileNotFoundError:
            if out.is_symlink():
                raise OutputExists(f"output path {out} is a symbolic link to {os.readlink(out)}, which does not exist; "
                                   "remove the link or create what it points to, or choose another -o") from None
        except NotADirectoryError:
            raise OutputExists(f"output path {out} is under {_file_above(out)}, which is not a directory; "
                               "choose another -o") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputExists(f"output path {out} is a loop of symbolic links; fix the links or choose another -o") from None
            if exc.errno == errno.ENAMETOOLONG:
                raise OutputExists(f"output path {out} is too long a name; choose another -o") from None
            raise

    def _read_saved(self, path: Path, what: str, recover: str) -> dict[str, Any] | None:
        """The JSON object in ``path`` (a saved plan or manifest), or None if there is none; one that
        cannot be read or is not an object is an :class:`OutputExists` saying so and how to recover."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            reason = exc.strerror or str(exc)
        else:
            try:
                value = json.loads(data.decode("utf-8"))
            except ValueError:
                value = None
            if isinstance(value, dict):
                return value
            reason = "damaged: not the JSON object codegen-data writes"
        raise OutputExists(f"{self.out_dir} holds {what} whose {path.relative_to(self.out_dir)} cannot be read ({reason}); "
                           f"add --overwrite to {recover}")

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # unreadable: never equal to a plan, so it is not resumed by mistake
        return value if isinstance(value, dict) else {}

    # committed shards -------------------------------------------------------------------------
    def _shards(self, task: str) -> Iterator[tuple[int, bytes]]:
        """``(start, bytes)`` of each of the task's shards that continue each other from index 0, one
        shard at a time, each file read once (a gap, or a torn or foreign shard, ends them)."""
        folder = self.partial / "shards" / task
        if not folder.is_dir():
            return
        found = {int(p.stem): p for p in folder.glob("*.jsonl") if p.stem.isdigit()}
        at = 0
        while at in found:
            data = found[at].read_bytes()
            count = data.count(b"\n")
            if not count or not data.endswith(b"\n") or not data.startswith(b'{"i":%d,' % at):
                return  # torn or foreign: the run goes on from here and rewrites it
            yield at, data
            at += count

    def _shard_data(self, task: str) -> Iterator[bytes]:
        for _, data in self._shards(task):
            yield data

    def _committed_lines(self, task: str) -> Iterator[str]:
        for data in self._shard_data(task):
            yield from data.decode("utf-8").split("\n")[:-1]  # [:-1]: the nothing after the last newline

    def committed(self, task: str) -> Iterator[dict[str, Any]]:
        """The task's committed outcomes in index order: ``{"i", "split", "record"}`` or ``{"i", "reject"}``.

        Each shard is checked whole before any of its outcomes is given: a damaged one (bytes that are
        not UTF-8, a line that is not an outcome, an index out of sequence) is taken for a torn one: it
        and every shard after it are deleted, and the run goes on from its first index and writes them
        again. So a resumed run reads them all (here) before it adds an outcome."""
        for start, data in self._shards(task):
            outcomes = self._parse_shard(task, start, data)
            if outcomes is None:
                self._drop_shards(task, start)
                return
            yield from outcomes

    def _parse_shard(self, task: str, start: int, data: bytes) -> list[dict[str, Any]] | None:
        """The outcomes of a shard that starts at ``start``, or None if it is damaged."""
        try:
            lines = data.decode("utf-8").split("\n")[:-1]
            outcomes = [json.loads(line) for line in lines]
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return None
        for k, outcome in enumerate(outcomes):
            if not isinstance(outcome, dict) or type(outcome.get("i")) is not int or outcome["i"] != start + k:
                return None
            record, reject = outcome.get("record"), outcome.get("reject")
            if record is not None:
                if (not isinstance(record, dict) or outcome.get("split") not in self.plan.splits
                        or not isinstance(record.get("id"), str) or record.get("task") != task):
                    return None
            elif not isinstance(reject, dict) or not isinstance(reject.get("reason"), str):
                return None
        return outcomes

    def _drop_shards(self, task: str, start: int) -> None:
        """Delete the task's shards from index ``start`` on: the run makes those outcomes again."""
        folder = self.partial / "shards" / task
        try:
            for path in folder.glob("*.jsonl"):
                if path.stem.isdigit() and int(path.stem) >= start:
                    path.unlink()
        except OSError as exc:
            raise _os_error(exc, folder) from None
        self._buffer_start[task] = self._counted_from[task] = start

    # streaming -------------------------------------------------------------------------------
    def add_record(self, task: str, index: int, split: str, record: dict[str, Any]) -> None:
        self._add(task, index, {"i": index, "split": split, "record": record})
        self._count_record(task, split, record)

    def add_reject(self, task: str, index: int, reject: dict[str, Any]) -> None:
        row = {"task": task, "index": index, "reason": reject["reason"], "detail": reject.get("detail", "")}
        if reject.get("candidate"):
            row["candidate"] = reject["candidate"]
        self._add(task, index, {"i": index, "reject": row})
        self._count_reject(task, row)

    def _add(self, task: str, index: int, line: dict[str, Any]) -> None:
        buffer = self._buffers[task]
        if index != self._buffer_start[task] + len(buffer):
            raise ValueError(f"{task}: outcome {index} out of order")
        buffer.append(_encode(line))
        if (index + 1) % SHARD == 0:
            self._commit(task)

    def _commit(self, task: str) -> None:
        buffer = self._buffers[task]
        if not buffer:
            return
        folder = self.partial / "shards" / task
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, folder) from None
        start = self._buffer_start[task]
        _write_atomic(folder / f"{start:09d}.jsonl", ("\n".join(buffer) + "\n").encode("utf-8"))
        self._buffer_start[task] = start + len(buffer)
        buffer.clear()

    def interrupted(self) -> None:
        """The run stops early: committed shards stay for --resume, uncommitted outcomes are redone."""
        self._release()

    # finishing -------------------------------------------------------------------------------
    def _reset_counts(self) -> None:
        self.split_counts: dict[str, Counter] = defaultdict(Counter)
        self.reject_counts: Counter = Counter()
        self.task_rejects: dict[str, Counter] = defaultdict(Counter)
        self.difficulty: dict[str, Counter] = defaultdict(Counter)
        self.features: dict[str, Counter] = defaultdict(Counter)
        self.engines: dict[str, Counter] = defaultdict(Counter)
        self.disagreements: Counter = Counter()
        self.side_keys: dict[str, set[str]] = defaultdict(set)
        self.kept: Counter = Counter()

    def _count_record(self, task: str, split: str, record: dict[str, Any]) -> None:
        self.kept[task] += 1
        self.split_counts[split][task] += 1
        self.difficulty[task][record.get("difficulty", "")] += 1
        for f in record.get("features", []):
            self.features[task][f] += 1
        engines = record.get("verified_engines")
        if engines is not None:
            self.engines[task]["+".join(engines)] += 1
        disagreement = record.get("meta", {}).get("disagreement")
        if disagreement:
            self.disagreements[disagreement] += 1
        if "db_id" in record:
            self.side_keys[task].add(record["db_id"])

    def _count_reject(self, task: str, row: dict[str, Any]) -> None:
        self.reject_counts[row["reason"]] += 1
        self.task_rejects[task][row["reason"]] += 1

    def agreement(self) -> dict[str, float]:
        """Per task with a second engine: the share of kept records both engines agree on."""
        out = {}
        for task, counts in self.engines.items():
            total = sum(counts.values())
            if total:
                out[task] = sum(v for k, v in counts.items() if "+" in k) / total
        return out

    def finish(self, *, complete: bool) -> dict[str, Any]:
        """Commit what is left, assemble the dataset from the shards, and move it into place."""
        try:
            for name in self.tasks:
                self._commit(name)
            staging = self.partial / "final"
            if staging.exists():
                shutil.rmtree(staging)
            (staging / "data").mkdir(parents=True)
            split_files = {split: (staging / "data" / f"{split}.jsonl").open("w", encoding="utf-8") for split in self.plan.splits}
            with (staging / "rejects.jsonl").open("w", encoding="utf-8") as rejects:
                try:
                    for name in self.tasks:
                        self._assemble(name, split_files, rejects)
                finally:
                    for f in split_files.values():
                        f.close()
            for name, task in self.tasks.items():
                for rel, text in task.side_files(sorted(self.side_keys[name])).items():
                    path = staging / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
            manifest = self._manifest(staging, complete)
            (staging / "README.md").write_text(render_card(manifest), encoding="utf-8")
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            # On disk before the shards it was assembled from are deleted: a power cut must not leave
            # empty data files and nothing to resume from (the shards are fsynced as they are written).
            sync_tree(staging)
            self._move_into_place(staging)
        except OutputError:
            raise
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None
        finally:
            self._release()
        return manifest

    def _assemble(self, task: str, split_files: dict[str, Any], rejects: Any) -> None:
        """Copy the task's committed outcomes into the data and reject files, in index order.

        A line's record (or reject) is copied as the text it was committed as, which is what encoding
        it again would give; only lines committed before this run started are decoded, to be counted."""
        counted_from = self._counted_from[task]
        for line in self._committed_lines(task):
            head = _RECORD_HEAD.match(line) or _REJECT_HEAD.match(line)
            if head is not None and int(head.group(1)) >= counted_from:  # counted when it was added
                body = line[head.end():-1] + "\n"
                (split_files[head.group(2)] if head.lastindex == 2 else rejects).write(body)
                continue
            outcome = json.loads(line)
            self._copy_decoded(task, outcome, split_files, rejects, count=outcome["i"] < counted_from)

    def _copy_decoded(self, task: str, line: dict[str, Any], split_files: dict[str, Any], rejects: Any, *, count: bool) -> None:
        if "record" in line:
            if count:
                self._count_record(task, line["split"], line["record"])
            split_files[line["split"]].write(_encode(line["record"]) + "\n")
        else:
            if count:
                self._count_reject(task, line["reject"])
            rejects.write(_encode(line["reject"]) + "\n")

    def finished_manifest(self) -> dict[str, Any]:
        """The manifest of the dataset already in place (state ``finished``), counts loaded from it."""
        self._release()
        manifest = self._read_json(self.out_dir / "manifest.json") or {}
        for name, info in manifest.get("tasks", {}).items():
            self.kept[name] = info.get("kept", 0)
            for reason, count in info.get("rejected", {}).items():
                self.task_rejects[name][reason] += count
                self.reject_counts[reason] += count
            for engines, count in info.get("verified_engines", {}).items():
                self.engines[name][engines] += count
        return manifest

    def _manifest(self, staging: Path, complete: bool) -> dict[str, Any]:
        files = {}
        for path in sorted(x for x in staging.rglob("*") if x.is_file()):
            rel = path.relative_to(staging).as_posix()
            entry: dict[str, Any] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
            if rel.endswith(".jsonl"):
                with path.open("rb") as f:
                    entry["records"] = sum(1 for _ in f)
            files[rel] = entry
        grammars = sorted({g for t in self.tasks.values() for g in t.grammars})
        return {
            "name": self.out_dir.name,
            "codegen_data_version": __version__,
            "command": self.plan.command(),
            "seed": self.plan.seed,
            "n": self.plan.n,
            "difficulty": self.plan.difficulty,
            "complete": complete,
            "engines": engine_versions(),
            "grammars": {g: load_grammar(g).sha256 for g in grammars},
            "tasks": {
                t.name: {
                    "description": self.tasks[t.name].description,
                    "labels": self.tasks[t.name].labels_text,
                    "verification": self.tasks[t.name].verification_text,
                    "quota": t.quota,
                    "kept": self.kept[t.name],
                    "rejected": dict(sorted(self.task_rejects[t.name].items())),
                    "difficulty": dict(sorted(self.difficulty[t.name].items())),
                    "features": dict(sorted(self.features[t.name].items())),
                    "verified_engines": dict(sorted(self.engines[t.name].items())),
                    "config": t.config.to_dict(),
                }
                for t in self.plan.tasks
            },
            "splits": {
                split: {"ratio": ratio, "records": sum(self.split_counts[split].values()), "file": f"data/{split}.jsonl",
                        "tasks": {t.name: self.split_counts[split][t.name] for t in self.plan.tasks}}
                for split, ratio in self.plan.splits.items()
            },
            "keep_duplicates": self.plan.keep_duplicates,
            "rejects": dict(sorted(self.reject_counts.items())),
            "engine_agreement": {k: round(v, 4) for k, v in sorted(self.agreement().items())},
            "engine_disagreements": dict(sorted(self.disagreements.items())),
            "files": files,
            "plan": self.plan_record(),
        }

    def _move_into_place(self, staging: Path) -> None:
        # The old manifest goes first and the new one comes last: a directory with a manifest always
        # holds a whole dataset, and a run killed in between is finished by --resume.
        (self.out_dir / "manifest.json").unlink(missing_ok=True)
        for entry in OUTPUT_ENTRIES:
            old = self.out_dir / entry
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            elif old.exists() or old.is_symlink():
                old.unlink()
            new = staging / entry
            if new.exists():
                os.replace(new, old)
        fsync_path(self.out_dir)  # the renames too
        shutil.rmtree(self.partial)
