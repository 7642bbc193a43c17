"""``codegen-data evaluate DIR --predictions P.jsonl``: score a model's answers by execution.

**Predictions.** ``P.jsonl`` holds one JSON object a line: ``{"id": ..., "prediction": "..."}`` for one
sample, or ``{"id": ..., "predictions": ["...", ...]}`` for several; lines with the same id append
samples in file order; other keys are ignored. Any other shape (not JSON, no ``id``, a non-string
answer, an empty ``predictions`` list, no prediction at all) stops the run with a one-line
:class:`~codegen_data.task.ConfigError` naming the line.

**Answers.** Each prediction is a model's raw reply; :func:`codegen_data.answers.extract_answer`
takes the answer out of it (the text inside ``[ANSWER] ... [/ANSWER]``, else the first fenced code
block, so a leading explanation and trailing text around a fence are dropped; else the whole reply,
stripped). The report keeps both the ``raw`` reply and what was ``extracted``.

**Scoring.** Every prediction is judged by :meth:`codegen_data.scoring.Scorer.judge`, the task's own
scorer: SQL runs in the hardened DuckDB (SQLite for ``sql_translate``) of a separate process,
programs and ``py_input`` calls in the program sandbox, ``sql_output`` tables and ``py_output``
literals are compared as values. The scorers run in ``workers`` processes (``python -s -m
codegen_data.evaluate worker``, a clean environment, killed at a deadline), never in this one; a
prediction whose scoring process dies or stops answering fails (``execution_error`` / ``timeout``),
the process is replaced and the run goes on. A prediction that runs out of time runs once more
before ``timeout`` is its verdict (:data:`~codegen_data.scoring.TIMEOUT_ATTEMPTS`), so that a stall
of the machine does not fail a right answer. Work is handed out by database, and results are put
back by item and sample (memory addresses in error texts masked as ``0x?``), so the report is the
same for any number of workers.

**Scores.** pass@k is the unbiased estimator of the Codex paper, ``1 - C(n-c, k) / C(n, k)`` for an
item with ``n`` predictions of which ``c`` pass (computed as a product, :func:`pass_at_k`), averaged
over items. An item with fewer than ``k`` predictions (but at least one) is left out of pass@k; an
item with no prediction is ``missing`` and counts as 0 for every k; pass@k is ``null`` when no item
has ``k`` predictions. Summaries are given overall (over items, not tasks), per task, per
difficulty and per feature (an item counts for each of its features). Scores are fractions in 0..1.

The report (written atomically, see :func:`write_report`)::

    {"summary": {"pass@1": 0.8, "pass@5": null, "k": [1, 5], "items": 500, "predictions": 500,
                 "passed": 400, "missing": 0, "items_scored": {"pass@1": 500, "pass@5": 0},
                 "failures": {"wrong_answer": 90, "syntax_error": 10},
                 "by_task": {"text_to_sql": {"pass@1": ..., "items": ..., ...}, ...},
                 "by_difficulty": {...}, "by_feature": {...}, "missing_ids": [], "unknown_ids": []},
     "items": [{"id": ..., "task": ..., "difficulty": ..., "features": [...], "missing": false,
                "passed": [true], "failure": [null], "error": [""], "raw": ["..."], "extracted": ["..."]}],
     "dataset": {"name": ..., "manifest_sha256": ..., "splits": ["test"], "records": 500}}

Benchmark modes build the same report from their own :class:`ItemResult` list with
:func:`build_report`, and may score through :func:`judge_predictions`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import selectors
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ._files import output_file, write_atomic
from ._processes import HelperProcess, close_all, cpu_slots, protocol_stream
from .scoring import TIMEOUT_ATTEMPTS
from .task import ConfigError

__all__ = [
    "DEFAULT_KS",
    "ItemResult",
    "build_report",
    "evaluate",
    "evaluate_command",
    "judge_predictions",
    "load_records",
    "parse_ks",
    "pass_at_k",
    "read_predictions",
    "summary_table",
    "write_report",
]

DEFAULT_KS = (1, 5, 10)
MISSING = "missing"
"""The failure kind of an item that got no prediction (beside :data:`codegen_data.scoring.FAILURES`)."""

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
"""Memory addresses in an error text (``<object object at 0x7f...>``) differ per process; masked."""
_BATCH = 32  # predictions sent to a scoring process at once
_START_SECONDS = 60.0  # a fresh scoring process: imports, sandbox start, first database build


# --- the shared API: pass@k and the report -------------------------------------------------------


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate ``1 - C(n-c, k) / C(n, k)`` for ``c`` passing of ``n`` samples.

    Computed as ``1 - prod(1 - k/i for i in n-c+1..n)`` (Chen et al., 2021), which stays exact in
    floating point where the binomials overflow. ``k > n`` is an error: the estimate needs ``k`` samples.

    >>> pass_at_k(5, 2, 1), pass_at_k(5, 2, 5)
    (0.4, 1.0)
    """
    for name, value in (("n", n), ("c", c), ("k", k)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not 0 <= c <= n:
        raise ValueError(f"c must be in 0..n, got c={c}, n={n}")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass
class ItemResult:
    """One evaluated item: one entry per prediction in ``passed``, ``failure`` (a key of
    :data:`codegen_data.scoring.FAILURES`, None when passed), ``error``, ``raw`` and ``extracted``.

    No prediction at all (every list empty) makes the item ``missing``. ``difficulty`` and
    ``features`` feed the breakdowns (None and ``[]`` when a benchmark has none).
    """

    id: str
    task: str
    passed: list[bool] = field(default_factory=list)
    failure: list[str | None] = field(default_factory=list)
    error: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    difficulty: str | None = None
    features: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.passed)

    @property
    def c(self) -> int:
        return sum(1 for p in self.passed if p)

    @property
    def missing(self) -> bool:
        return not self.passed

    def check(self) -> None:
        """Raise ValueError when the per-prediction lists disagree (a caller's bug)."""
        if not isinstance(self.id, str) or not isinstance(self.task, str):
            raise ValueError(f"item {self.id!r}: id and task must be strings")
        lengths = {len(self.passed), len(self.failure), len(self.error), len(self.raw), len(self.extracted)}
        if len(lengths) != 1:
            raise ValueError(f"item {self.id!r}: passed, failure, error, raw and extracted differ in length")
        for ok, failure in zip(self.passed, self.failure):
            if not isinstance(ok, bool) or (failure is None) != ok:
                raise ValueError(f"item {self.id!r}: a failure kind goes with every failed prediction, none with a pass")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task,
            "difficulty": self.difficulty,
            "features": list(self.features),
            "missing": self.missing,
            "passed": list(self.passed),
            "failure": list(self.failure),
            "error": list(self.error),
            "raw": list(self.raw),
            "extracted": list(self.extracted),
        }


def _scores(items: Sequence[ItemResult], ks: Sequence[int]) -> dict[str, Any]:
    missing = sum(1 for item in items if item.missing)
    out: dict[str, Any] = {}
    scored: dict[str, int] = {}
    for k in ks:
        values = [pass_at_k(item.n, item.c, k) for item in items if item.n >= k]
        # Missing items count as 0 for every k, but only once some item could be scored at k.
        out[f"pass@{k}"] = math.fsum(values) / (len(values) + missing) if values else None
        scored[f"pass@{k}"] = len(values) + missing if values else 0
    out.update(
        items=len(items),
        predictions=sum(item.n for item in items),
        passed=sum(item.c for item in items),
        missing=missing,
        items_scored=scored,
    )
    return out


def _grouped(items: Sequence[ItemResult], keys: Callable[[ItemResult], Iterable[str]], ks: Sequence[int]) -> dict[str, Any]:
    groups: dict[str, list[ItemResult]] = {}
    for item in items:
        for key in keys(item):
            groups.setdefault(key, []).append(item)
    return {key: _scores(groups[key], ks) for key in sorted(groups)}


def build_report(
    items: Sequence[ItemResult],
    *,
    dataset: dict[str, Any],
    ks: Sequence[int] = DEFAULT_KS,
    unknown_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """The report of an evaluation (see the module docstring for its shape), items in the order given.

    ``dataset`` identifies what was evaluated and must hold ``name`` and ``manifest_sha256`` (for a
    benchmark, the sha256 of its data file): ``compare`` refuses reports whose hashes differ.
    ``unknown_ids`` are prediction ids that matched no item (reported, not scored).
    """
    ks = _check_ks(ks)
    if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str) \
            or not isinstance(dataset.get("manifest_sha256"), str):
        raise ValueError("dataset must be a dict with 'name' and 'manifest_sha256' strings")
    seen: set[str] = set()
    for item in items:
        item.check()
        if item.id in seen:
            raise ValueError(f"duplicate item id {item.id!r}")
        seen.add(item.id)
    failures = Counter(f for item in items for f in item.failure if f is not None)
    missing_ids = [item.id for item in items if item.missing]
    if missing_ids:
        failures[MISSING] = len(missing_ids)
    summary = _scores(items, ks)
    summary = {**{key: summary.pop(key) for key in [f"pass@{k}" for k in ks]}, "k": list(ks), **summary}
    summary.update(
        failures=dict(sorted(failures.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_task=_grouped(items, lambda item: [item.task], ks),
        by_difficulty=_grouped(items, lambda item: [item.difficulty] if item.difficulty else [], ks),
        by_feature=_grouped(items, lambda item: sorted(set(item.features)), ks),
        missing_ids=missing_ids,
        unknown_ids=list(dict.fromkeys(unknown_ids)),
    )
    return {"summary": summary, "items": [item.to_dict() for item in items], "dataset": dict(dataset)}


def _check_ks(ks: Sequence[int]) -> tuple[int, ...]:
    if not ks or any(not isinstance(k, int) or isinstance(k, bool) or k < 1 for k in ks):
        raise ValueError(f"k values must be positive integers, got {list(ks)!r}")
    return tuple(sorted(set(ks)))


def parse_ks(text: str) -> tuple[int, ...]:
    """``"1,5,10"`` -> ``(1, 5, 10)`` (for ``--k``); anything else is a ConfigError."""
    try:
        ks = [int(part) for part in text.split(",")]  # an empty part ("", "1,,5", "1,") is an error
    except ValueError:
        raise ConfigError(f"--k must be positive integers separated by commas, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise ConfigError(f"--k must be positive integers separated by commas, got {text!r}")
    return tuple(sorted(set(ks)))


def write_report(report: dict[str, Any], path: Path) -> Path:
    """Write ``report`` as JSON to ``path`` atomically (a temporary file in the same directory, then a
    rename): a reader sees the old report or the new one, never half of one. ``path`` is checked by
    :func:`codegen_data._files.output_file` (a symbolic link is followed: its target is replaced);
    missing parent directories are created."""
    path = Path(path)
    target = output_file(path, what="report file")
    try:
        text = json.dumps(report, indent=1, ensure_ascii=False) + "\n"
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a model's reply: keep it, escaped
        data = (json.dumps(report, indent=1) + "\n").encode("ascii")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    return path


# --- reading the dataset and the predictions -----------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_records(dataset_dir: Path, *, split: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The records of ``dataset_dir`` (one split, or every split in manifest order) and the
    report's ``dataset`` entry. Data files must match the manifest's sha256 (else a ConfigError)."""
    from .audit import split_files
    from .registry import get_task

    root = Path(dataset_dir)
    manifest_path = root / "manifest.json"
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes)
    except FileNotFoundError:
        raise ConfigError(f"{root} is not a codegen-data dataset (no manifest.json)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {manifest_path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{manifest_path} is not valid JSON: {exc}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise ConfigError(f"{manifest_path} has no 'files' table")
    pairs = split_files(root)
    if split is not None:
        pairs = [(name, rel) for name, rel in pairs if name == split]
        if not pairs:
            known = ", ".join(name for name, _ in split_files(root)) or "none"
            raise ConfigError(f"{root} has no split {split!r} (splits: {known})")
    records: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    tasks_ok: set[str] = set()
    for _, rel in pairs:
        path = root / rel
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
        entry = files.get(rel)
        if not isinstance(entry, dict) or entry.get("sha256") != _sha256(data):
            raise ConfigError(f"{rel} does not match {root}/manifest.json (altered?); run `codegen-data verify {root}`")
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise ConfigError(f"{rel} line {number}: not valid JSON") from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not isinstance(record.get("task"), str):
                raise ConfigError(f"{rel} line {number}: a record needs 'id' and 'task' strings")
            if record["id"] in seen:
                raise ConfigError(f"{rel} line {number}: duplicate id {record['id']!r} (first in {seen[record['id']]})")
            if record["task"] not in tasks_ok:
                try:
                    get_task(record["task"])
                except Exception:  # noqa: BLE001  # the registry's own error type is not ours to know
                    raise ConfigError(f"{rel} line {number}: unknown task {record['task']!r}") from None
                tasks_ok.add(record["task"])
            seen[record["id"]] = f"{rel} line {number}"
            records.append(record)
    name = manifest.get("name") if isinstance(manifest.get("name"), str) else root.name
    info = {"name": name, "manifest_sha256": _sha256(manifest_bytes), "splits": [n for n, _ in pairs], "records": len(records)}
    return records, info


MAX_LINE_BYTES = 32 << 20
"""A predictions line longer than this is refused before it is parsed (it would only eat memory)."""
MAX_PREDICTION_CHARS = 1_000_000
"""A single prediction longer than this is refused: no answer to our tasks needs a megabyte."""


def read_predictions(path: Path, lines: dict[str, int] | None = None) -> dict[str, list[str]]:
    """id -> the raw predictions for it, in file order (ids in order of first appearance); ``lines``,
    when given, is filled with each id's first line number.

    Raises ConfigError naming the line for anything but the two accepted line shapes, and for lines
    or predictions over the size caps.
    """
    path = Path(path)
    out: dict[str, list[str]] = {}
    where = f"predictions file {path}"
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror or exc}") from None
    with f:
        number = 0
        for number, raw_line in enumerate(iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""), 1):
            if len(raw_line) > MAX_LINE_BYTES:
                raise ConfigError(f"{where} line {number}: longer than {MAX_LINE_BYTES >> 20} MB; "
                                  "predictions this large are not answers (truncate them)")
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"{where} line {number}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            except RecursionError:
                raise ConfigError(f"{where} line {number}: JSON nested too deeply") from None
            key, samples = _prediction_entry(entry, f"{where} line {number}")
            for sample in samples:
                if len(sample) > MAX_PREDICTION_CHARS:
                    raise ConfigError(f"{where} line {number}: a prediction of {len(sample):,} characters is over the "
                                      f"cap of {MAX_PREDICTION_CHARS:,}; truncate it")
            out.setdefault(key, []).extend(samples)
            if lines is not None:
                lines.setdefault(key, number)
    if not out:
        raise ConfigError(f"{where} holds no predictions")
    return out


def _prediction_entry(entry: Any, where: str) -> tuple[str, list[str]]:
    if not isinstance(entry, dict):
        raise ConfigError(f'{where}: expected a JSON object like {{"id": ..., "prediction": "..."}}, '
                          f"got {type(entry).__name__}")
    if "id" not in entry:
        raise ConfigError(f"{where}: no 'id'")
    if not isinstance(entry["id"], str) or not entry["id"]:
        raise ConfigError(f"{where}: 'id' must be a non-empty string, got {entry['id']!r}"[:300])
    has_one, has_many = "prediction" in entry, "predictions" in entry
    if has_one and has_many:
        raise ConfigError(f"{where}: give 'prediction' or 'predictions', not both")
    if has_one:
        if not isinstance(entry["prediction"], str):
            raise ConfigError(f"{where}: 'prediction' must be a string, got {type(entry['prediction']).__name__}")
        return entry["id"], [entry["prediction"]]
    if has_many:
        samples = entry["predictions"]
        if not isinstance(samples, list):
            raise ConfigError(f"{where}: 'predictions' must be a list of strings, got {type(samples).__name__}")
        if not samples:
            raise ConfigError(f"{where}: 'predictions' is an empty list")
        for i, sample in enumerate(samples):
            if not isinstance(sample, str):
                raise ConfigError(f"{where}: predictions[{i}] must be a string, got {type(sample).__name__}")
        return entry["id"], list(samples)
    raise ConfigError(f"{where}: no 'prediction' (a string) or 'predictions' (a list of strings)")


# --- scoring in worker processes -----------------------------------------------------------------


@dataclass
class _Unit:
    """One prediction to judge: the record's key, the sample's index, the raw reply."""

    key: int
    sample: int
    raw: str


@dataclass
class _Verdict:
    passed: bool
    failure: str | None
    error: str


def _locality(record: dict[str, Any]) -> str:
    """Predictions on one database go to the same scoring process, which keeps it built."""
    database = (record.get("meta") or {}).get("database")
    return json.dumps(database, sort_keys=True) if database is not None else ""


class _ScoringProcess(HelperProcess):
    close_timeout = 15.0

    def __init__(self, timeout: float, cpu: int | None):
        super().__init__("codegen_data.evaluate", "worker", cpu=cpu)
        self.cpu = cpu
        self.timeout = timeout
        self.pending: list[_Unit] = []
        self.busy = False  # from a batch's start to its "done" (pending empties a line earlier)
        self.deadline = 0.0
        self.fresh = True
        self.send({"op": "init", "timeout": timeout})

    def unit_seconds(self) -> float:
        # Backstop only: the SQL runner and the sandbox enforce ``timeout`` themselves, for each of
        # the attempts of a prediction that runs out of time (the SQL runner waits 30 s more at most).
        return TIMEOUT_ATTEMPTS * (self.timeout + 30.0) + 15.0 + (_START_SECONDS if self.fresh else 0.0)

    def start(self, units: list[_Unit], records: Sequence[dict[str, Any]]) -> None:
        self.pending = list(units)
        self.busy = True
        self.deadline = time.monotonic() + self.unit_seconds()
        keys = sorted({u.key for u in units})
        self.send({"op": "batch", "records": {str(k): records[k] for k in keys},
                   "units": [[u.key, u.sample, u.raw] for u in units]})


def judge_predictions(
    records: Sequence[dict[str, Any]],
    predictions: Sequence[Sequence[str]],
    *,
    workers: int = 1,
    timeout: float = 2.0,
    progress: Callable[[int], None] | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> list[list[tuple[bool, str | None, str]]]:
    """``(passed, failure, error)`` for each raw prediction of each record (``predictions[i]`` are
    record ``i``'s), judged by :meth:`Scorer.judge` in ``workers`` scoring processes (``engine="ray"``:
    in scoring processes started by Ray tasks on the cluster at ``ray_address``).

    ``timeout`` is the seconds one query or program may run; ``progress(k)`` is called as ``k``
    more predictions are judged. The result does not depend on ``workers`` or the engine.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 600:
        raise ConfigError(f"timeout must be in (0, 600] seconds, got {timeout!r}")
    if len(records) != len(predictions):
        raise ValueError("records and predictions differ in length")
    units = [_Unit(key, j, raw) for key, samples in enumerate(predictions) for j, raw in enumerate(samples)]
    units.sort(key=lambda u: (_locality(records[u.key]), u.key, u.sample))
    queue = [units[i : i + _BATCH] for i in range(0, len(units), _BATCH)]
    queue.reverse()  # popped from the end
    verdicts: dict[tuple[int, int], _Verdict] = {}

    def record(unit: _Unit, verdict: _Verdict) -> None:
        verdicts[(unit.key, unit.sample)] = verdict
        if progress is not None:
            progress(1)

    if engine == "ray":
        from .ray_engine import judge_on_ray

        judge_on_ray(queue[::-1], records, float(timeout), record, address=ray_address)
    elif engine == "local":
        _run(queue, records, workers, float(timeout), record)
    else:
        raise ConfigError(f"engine must be local or ray, got {engine!r}")
    out: list[list[tuple[bool, str | None, str]]] = []
    for key, samples in enumerate(predictions):
        row = []
        for j in range(len(samples)):
            v = verdicts.get((key, j)) or _Verdict(False, "execution_error", "was not scored")
            row.append((v.passed, v.failure, _ADDRESS.sub("0x?", v.error)))
        out.append(row)
    return out


def _run(queue: list[list[_Unit]], records: Sequence[dict[str, Any]], workers: int, timeout: float,
         done: Callable[[_Unit, _Verdict], None]) -> None:
    selector = selectors.DefaultSelector()
    pool: list[_ScoringProcess] = []
    free_cpus = cpu_slots(max(1, min(workers, len(queue))))

    def spawn(cpu: int | None = None) -> _ScoringProcess:
        worker = _ScoringProcess(timeout, cpu)
        pool.append(worker)
        selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)  # type: ignore[arg-type]
        return worker

    def feed(worker: _ScoringProcess) -> None:
        worker.pending, worker.busy = [], False
        if queue:
            worker.start(queue.pop(), records)

    def replace(worker: _ScoringProcess, verdict: _Verdict) -> None:
        selector.unregister(worker.proc.stdout)  # type: ignore[arg-type]
        pool.remove(worker)
        worker.kill()
        rest = worker.pending
        if rest:
            done(rest[0], verdict)
            rest = rest[1:]
        if rest:
            spawn(worker.cpu).start(rest, records)
        elif queue:
            feed(spawn(worker.cpu))

    try:
        for cpu in free_cpus:
            if queue:
                feed(spawn(cpu))
        while any(w.busy for w in pool):
            for key, _ in selector.select(timeout=0.5):
                worker: _ScoringProcess = key.data
                if worker not in pool:
                    continue
                messages = worker.read_messages()
                if messages is None:
                    code = worker.proc.poll()
                    replace(worker, _Verdict(False, "execution_error", f"the scoring process died (exit code {code})"))
                    continue
                for message in messages:
                    if message.get("op") == "done":
                        feed(worker)
                        continue
                    unit = worker.pending.pop(0)
                    if (message.get("k"), message.get("j")) != (unit.key, unit.sample):
                        got = (message.get("k"), message.get("j"))
                        raise RuntimeError(f"scoring process answered {got} for {(unit.key, unit.sample)}")
                    done(unit, _Verdict(bool(message["passed"]), message["failure"], message["error"]))
                    worker.fresh = False
                    worker.deadline = time.monotonic() + worker.unit_seconds()
            now = time.monotonic()
            for worker in [w for w in pool if w.busy and now > w.deadline]:
                seconds = worker.unit_seconds()
                replace(worker, _Verdict(False, "timeout", f"no verdict within {seconds:.0f}s (the scoring process was killed)"))
    finally:
        for worker in pool:
            if worker.busy:
                worker.kill()
        close_all([w for w in pool if not w.busy])  # side by side
        selector.close()


def _serve(stdin: TextIO, stdout: TextIO) -> None:
    """The scoring process: ``init`` -> ``batch`` of units -> one verdict line per unit -> ``done``."""
    from .scoring import Scorer

    scorer: Scorer | None = None
    try:
        for line in stdin:
            message = json.loads(line)
            op = message["op"]
            if op == "init":
                scorer = Scorer(timeout=message["timeout"])
                stdout.write('{"op": "ready"}\n')
            elif op == "batch":
                assert scorer is not None, "batch before init"
                records = message["records"]
                for key, sample, raw in message["units"]:
                    try:
                        verdict = scorer.judge(records[str(key)], raw)
                        out = {"passed": verdict.passed, "failure": verdict.failure, "error": verdict.error}
                    except Exception as exc:  # noqa: BLE001  # a bug of ours: this prediction fails, the run goes on
                        out = {"passed": False, "failure": "execution_error",
                               "error": f"internal scoring error: {type(exc).__name__}: {exc}"[:500]}
                    stdout.write(json.dumps({"k": key, "j": sample, **out}) + "\n")
                    stdout.flush()
                stdout.write('{"op": "done"}\n')
            elif op == "exit":
                return
            stdout.flush()
    finally:
        if scorer is not None:
            scorer.close()


def _worker_main() -> None:
    _serve(sys.stdin, protocol_stream())


# --- the whole evaluation ------------------------------------------------------------------------


def evaluate(
    dataset_dir: Path,
    predictions: Path,
    *,
    out: Path | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    workers: int = 1,
    timeout: float = 2.0,
    split: str | None = None,
    progress: Callable[[int], None] | None = None,
    allow_unknown_ids: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
) -> dict[str, Any]:
    """Score the predictions file against ``dataset_dir`` and return the report (also written to
    ``out`` when given; ``out`` is checked first, so a path that is not a regular file, lies inside
    ``dataset_dir`` or is the predictions file is an OutputPathError before any scoring). User errors (a bad predictions file, dataset or option) raise ConfigError;
    predictions for ids the dataset does not hold are one unless ``allow_unknown_ids`` (then they are
    listed in the report and ignored)."""
    from .answers import extract_answer

    try:
        ks = _check_ks(ks)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if out is not None:  # before the scoring, not after it: the report must not replace what is read
        output_file(out, what="report file", inputs=[predictions], datasets=[dataset_dir])
    records, dataset = load_records(dataset_dir, split=split)
    lines: dict[str, int] = {}
    samples = read_predictions(predictions, lines)
    known = {record["id"] for record in records}
    unknown = [pid for pid in samples if pid not in known]
    if unknown and not allow_unknown_ids:
        scope = f"split {split!r} of {dataset_dir}" if split else str(dataset_dir)
        raise ConfigError(
            f"predictions file {predictions}: {len(unknown)} prediction id{'s are' if len(unknown) > 1 else ' is'} not in "
            f"{scope} (first {unknown[0]!r} on line {lines[unknown[0]]}); check that the predictions belong to this "
            "dataset, or add --allow-unknown-ids to ignore them")
    raws = [samples.get(record["id"], []) for record in records]
    judged = judge_predictions(records, raws, workers=workers, timeout=timeout, progress=progress, engine=engine,
                               ray_address=ray_address)
    items = []
    for record, replies, verdicts in zip(records, raws, judged):
        items.append(ItemResult(
            id=record["id"],
            task=record["task"],
            passed=[v[0] for v in verdicts],
            failure=[v[1] for v in verdicts],
            error=[v[2] for v in verdicts],
            raw=list(replies),
            extracted=[extract_answer(r, record["task"]) for r in replies],
            difficulty=record.get("difficulty") if isinstance(record.get("difficulty"), str) else None,
            features=[f for f in record.get("features") or [] if isinstance(f, str)],
        ))
    report = build_report(items, dataset=dataset, ks=ks, unknown_ids=unknown)
    if out is not None:
        write_report(report, out)
    return report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def summary_table(report: dict[str, Any], *, max_ids: int = 10, max_features: int = 10) -> str:
    """The terminal summary of a report: scores (in %) overall, per task and per difficulty, the
    weakest features, failure kinds, and the missing and unknown ids."""
    summary = report["summary"]
    ks = summary["k"]
    head = f"{'':<24} {'items':>6} {'preds':>6} {'missing':>7}" + "".join(f" {f'pass@{k}':>8}" for k in ks)

    def row(name: str, scores: dict[str, Any]) -> str:
        return (f"{name[:24]:<24} {scores['items']:>6} {scores['predictions']:>6} {scores['missing']:>7}"
                + "".join(f" {_pct(scores[f'pass@{k}']):>8}" for k in ks))

    lines = [f"dataset {report['dataset'].get('name')} (manifest {report['dataset'].get('manifest_sha256', '')[:12]})", head,
             row("all", summary)]
    for title, table in (("task", summary["by_task"]), ("difficulty", summary["by_difficulty"])):
        if table:
            lines.append(f"-- by {title}")
            lines += [row(f"  {name}", scores) for name, scores in table.items()]
    first = f"pass@{min(ks)}"  # the features are ranked by the smallest k asked for (pass@1 by default)
    features = [(name, s) for name, s in summary["by_feature"].items() if s.get(first) is not None and s["items"] >= 5]
    if features:
        weakest = sorted(features, key=lambda kv: (kv[1][first], kv[0]))[:max_features]
        lines.append(f"-- weakest features ({first}, at least 5 items; {len(summary['by_feature'])} features in the report)")
        lines += [row(f"  {name}", scores) for name, scores in weakest]
    if summary["failures"]:
        lines.append("failures: " + ", ".join(f"{kind} {count}" for kind, count in summary["failures"].items()))
    absent = [f"pass@{k}" for k in ks if summary[f"pass@{k}"] is None]
    if absent:
        lines.append(f"not scored ({', '.join(absent)}): no item has that many predictions")
    for label, ids in (("missing", summary["missing_ids"]), ("unknown (ignored)", summary["unknown_ids"])):
        if ids:
            more = f" (and {len(ids) - max_ids} more)" if len(ids) > max_ids else ""
            shown = (i if i.isprintable() else i.encode("unicode_escape").decode("ascii") for i in ids[:max_ids])
            lines.append(f"{len(ids)} {label} ids: {', '.join(shown)}{more}")  # an id cannot add a line
    return "\n".join(lines)


def evaluate_command(
    dataset_dir: Path,
    predictions: Path,
    *,
    out: Path | None = None,
    k: str = "1,5,10",
    workers: int = 1,
    timeout: float = 2.0,
    split: str | None = None,
    progress: Callable[[int], None] | None = None,
    allow_unknown_ids: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
) -> tuple[int, str]:
    """What ``codegen-data evaluate`` does: (exit code, text to print). Raises ConfigError (one line)
    for a bad predictions file, dataset, ``--k`` or ``--workers``."""
    ks = parse_ks(k)
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    started = time.monotonic()
    report = evaluate(dataset_dir, predictions, out=out, ks=ks, workers=workers, timeout=timeout,
                      split=split, progress=progress, allow_unknown_ids=allow_unknown_ids, engine=engine,
                      ray_address=ray_address)
    seconds = time.monotonic() - started
    count = report["summary"]["predictions"]
    lines = [summary_table(report),
             f"scored {count} predictions in {seconds:.1f}s ({count / max(seconds, 1e-9):.1f}/s, "
             + (f"{workers} workers)" if engine == "local" else "on Ray)")]
    lines.append(f"report written to {out}" if out is not None else "report not written (no -o)")
    return 0, "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["worker"]:
        _worker_main()
    else:
        sys.exit("usage: python -m codegen_data.evaluate worker (the scoring process of `codegen-data evaluate`)")
