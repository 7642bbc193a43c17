"""The output directory contract.

``DIR/data/<split>.jsonl`` (verified records), ``DIR/rejects.jsonl`` (rejected candidates with
``reason``), task side files such as ``DIR/databases/<db_id>.sql``, ``DIR/manifest.json`` and the
dataset card ``DIR/README.md``. Everything is first written to ``DIR/.partial/`` and moved into place
only when the run finishes, so an interrupted run never leaves a half-written dataset behind, and a
previous dataset in ``DIR`` stays intact until the new one is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonlines

from .. import __version__
from ..grammar import load_grammar
from ..task import ConfigError, Task
from .card import render_card

if TYPE_CHECKING:
    from ..pipeline import GenerationPlan

__all__ = ["DatasetWriter", "OutputError", "engine_versions", "file_sha256", "OUTPUT_ENTRIES"]

OUTPUT_ENTRIES = ("README.md", "manifest.json", "data", "rejects.jsonl", "databases")
"""What a dataset directory holds; only these are replaced when a dataset is regenerated in place."""


class OutputError(ConfigError):
    """The output directory cannot be written."""


def engine_versions() -> dict[str, str]:
    import duckdb
    import sqlglot

    return {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "sqlglot": sqlglot.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_jsonl(path: Path) -> jsonlines.Writer:
    return jsonlines.open(path, mode="w", compact=True, sort_keys=False, flush=False)


class DatasetWriter:
    """Streams records and rejects to disk in the order given; nothing is held per record."""

    def __init__(self, out_dir: Path, plan: "GenerationPlan", tasks: dict[str, Task]):
        self.out_dir = Path(out_dir)
        self.plan = plan
        self.tasks = tasks
        self._prepare()
        self.partial = self.out_dir / ".partial"
        self._records = {
            (split, name): _open_jsonl(self.partial / f"records.{split}.{name}.jsonl")
            for split in plan.splits for name in tasks
        }
        self.split_counts: dict[str, Counter] = defaultdict(Counter)
        self._rejects = {name: _open_jsonl(self.partial / f"rejects.{name}.jsonl") for name in tasks}
        self.reject_counts: Counter = Counter()
        self.task_rejects: dict[str, Counter] = defaultdict(Counter)
        self.difficulty: dict[str, Counter] = defaultdict(Counter)
        self.features: dict[str, Counter] = defaultdict(Counter)
        self.engines: dict[str, Counter] = defaultdict(Counter)
        self.disagreements: Counter = Counter()
        self.side_keys: dict[str, set[str]] = defaultdict(set)
        self.kept: Counter = Counter()

    def _prepare(self) -> None:
        out = self.out_dir
        try:
            if out.exists() and not out.is_dir():
                raise OutputError(f"output path {out} exists and is not a directory")
            if out.is_dir():
                foreign = [p.name for p in out.iterdir() if p.name not in OUTPUT_ENTRIES + (".partial",)]
                if foreign and not (out / "manifest.json").exists():
                    raise OutputError(
                        f"output directory {out} is not empty and holds no codegen-data dataset; choose another -o"
                    )
            partial = out / ".partial"
            if partial.exists():
                shutil.rmtree(partial)
            partial.mkdir(parents=True)
        except OutputError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to {out}: {exc.strerror or exc}") from None

    # streaming -------------------------------------------------------------------------------
    def add_record(self, task: str, split: str, record: dict[str, Any]) -> None:
        self._records[(split, task)].write(record)
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

    def add_reject(self, task: str, index: int, reject: dict[str, Any]) -> None:
        row = {"task": task, "index": index, "reason": reject["reason"], "detail": reject.get("detail", "")}
        if reject.get("candidate"):
            row["candidate"] = reject["candidate"]
        self._rejects[task].write(row)
        self.reject_counts[reject["reason"]] += 1
        self.task_rejects[task][reject["reason"]] += 1

    def agreement(self) -> dict[str, float]:
        """Per task with a second engine: the share of kept records both engines agree on."""
        out = {}
        for task, counts in self.engines.items():
            total = sum(counts.values())
            if total:
                out[task] = sum(v for k, v in counts.items() if "+" in k) / total
        return out

    # finishing -------------------------------------------------------------------------------
    def _close_streams(self) -> None:
        for w in list(self._records.values()) + list(self._rejects.values()):
            w.close()

    def abort(self) -> None:
        """Drop the partial output; a previous dataset in the directory is left as it was."""
        try:
            self._close_streams()
        finally:
            shutil.rmtree(self.partial, ignore_errors=True)

    def _concat(self, parts: list[Path], target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
                part.unlink()

    def finish(self, *, complete: bool) -> dict[str, Any]:
        self._close_streams()
        p = self.partial
        names = list(self.tasks)
        for split in self.plan.splits:
            self._concat([p / f"records.{split}.{n}.jsonl" for n in names], p / "data" / f"{split}.jsonl")
        self._concat([p / f"rejects.{n}.jsonl" for n in names], p / "rejects.jsonl")
        for name, task in self.tasks.items():
            for rel, text in task.side_files(sorted(self.side_keys[name])).items():
                path = p / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        manifest = self._manifest(complete)
        (p / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (p / "README.md").write_text(render_card(manifest), encoding="utf-8")
        self._move_into_place()
        return manifest

    def _manifest(self, complete: bool) -> dict[str, Any]:
        files = {}
        for path in sorted(x for x in self.partial.rglob("*") if x.is_file()):
            rel = path.relative_to(self.partial).as_posix()
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
        }

    def _move_into_place(self) -> None:
        for entry in OUTPUT_ENTRIES:
            old = self.out_dir / entry
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
        for entry in OUTPUT_ENTRIES:
            new = self.partial / entry
            if new.exists():
                os.replace(new, self.out_dir / entry)
        shutil.rmtree(self.partial)
