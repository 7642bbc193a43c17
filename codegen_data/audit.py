"""``codegen-data verify DIR``: prove a dataset directory still holds what its manifest says, and that
every label still reproduces by execution, from the files alone.

Two passes:

1. **Files.** Every file the manifest lists must exist with its sha256; a file it does not list
   (``README.md``, written after the manifest, aside) is an extra; each split's record count must
   match its file.
2. **Labels.** Every record's reference is executed again and compared with its labels:

   - SQL records (``db_id``): the database is rebuilt from ``databases/<db_id>.sql`` in a hardened
     DuckDB; ``sql`` must return ``result`` (:data:`DEFAULT_COMPARATOR`, the record's
     ``order_matters``, and the same column names); ``sql_translate``'s ``answer`` must return it
     in SQLite on the same data; ``sql_output``'s ``answer`` must be the result table's text; a
     ``text_to_sql`` answer that differs from ``sql`` must return it too; and where
     ``verified_engines`` lists SQLite, SQLite must agree on our translation of ``sql``.
   - Program records (``code``): ``code`` must reproduce every test's (and example's) ``output``
     repr or ``raises`` type; ``py_output``'s answer is what the call on ``input`` returns;
     ``py_input``'s answer, run as arguments, returns ``output``; ``py_repair``'s ``buggy_code``
     fails at least one test and gives its ``failing_test``'s ``actual``.

A dataset file is untrusted: its SQL and code run only in :mod:`codegen_data.audit_worker`
processes (``python -s -m``, a clean environment, killed at a deadline), programs inside the program
sandbox there. This process reads back what each run did and decides every verdict.
"""

from __future__ import annotations

import json
import re
import selectors
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ._processes import HelperProcess, close_all
from .task import ConfigError
from .export.dataset import file_sha256
from .sql.comparator import DEFAULT_COMPARATOR

__all__ = ["AuditFailure", "AuditResult", "check_files", "require_intact", "split_files", "verify_dataset"]

UNHASHED = ("manifest.json", "README.md")
"""Files a manifest cannot list (itself, and the card written from it); not extras when unlisted."""

_DB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}")
_SQL_BATCH = 16  # records of one database sent to a worker at once
_PROGRAM_BATCH = 8
_ANSWER_IS_CODE = ("py_synthesis", "py_repair")
"""Tasks whose answer is a whole program; one that differs from ``code`` must pass the tests too."""
_GRACE = 30.0  # seconds a worker may take beyond its runs' own deadlines (start-up, loading)


class AuditFailure(NamedTuple):
    """A record that no longer reproduces: its ``id``, the file holding it, and why."""

    id: str
    file: str
    reason: str


@dataclass
class AuditResult:
    """What :func:`verify_dataset` found; ``ok`` only when there is nothing to report."""

    checked: int
    failures: list[AuditFailure] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.file_problems

    @property
    def exit_code(self) -> int:
        """0 when everything checks out, 1 otherwise (for ``codegen-data verify``)."""
        return 0 if self.ok else 1

    @property
    def failed_ids(self) -> list[str]:
        return [f.id for f in self.failures]

    def report(self) -> str:
        """The problems, one per line, then a summary line."""
        lines = [f"file: {p}" for p in self.file_problems]
        lines += [f"record {f.id} ({f.file}): {f.reason}" for f in self.failures]
        if self.ok:
            lines.append(f"ok: {self.checked} records re-executed, every label reproduces, every file matches the manifest")
        else:
            lines.append(
                f"FAILED: {len(self.failures)} of {self.checked} records do not reproduce, "
                f"{len(self.file_problems)} file problem(s)"
            )
        return "\n".join(lines)


# --- pass 1: files -------------------------------------------------------------------------------


def _inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` when it stays inside ``root``, else None (a manifest is untrusted too)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    path = root / rel
    parts = Path(rel).parts
    if ".." in parts:
        return None
    return path


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def load_manifest(root: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The manifest, or None and why not."""
    path = root / "manifest.json"
    if not path.is_file():
        return None, "manifest.json is missing"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"manifest.json is not valid JSON: {exc}"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return None, "manifest.json has no 'files' table"
    return manifest, None


def check_files(root: Path) -> list[str]:
    """Missing, altered and extra files, and split counts that do not match (in a stable order)."""
    root = Path(root)
    manifest, problem = load_manifest(root)
    if manifest is None:
        return [problem or "manifest.json is unreadable"]
    problems: list[str] = []
    listed = manifest["files"]
    for rel in sorted(listed):
        entry = listed[rel]
        path = _inside(root, rel)
        if path is None:
            problems.append(f"manifest lists a path outside the dataset: {rel!r}")
        elif not path.is_file():
            problems.append(f"missing file: {rel}")
        elif not isinstance(entry, dict) or file_sha256(path) != entry.get("sha256"):
            problems.append(f"altered file: {rel} (sha256 differs from the manifest)")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in listed and rel not in UNHASHED:
            problems.append(f"extra file: {rel} (not in the manifest)")
    for name, split in _manifest_splits(manifest):
        rel = split.get("file")
        path = _inside(root, rel) if isinstance(rel, str) else None
        if path is None:
            problems.append(f"split {name}: no valid file in the manifest")
            continue
        if rel not in listed:
            problems.append(f"split {name}: {rel} is not among the manifest's files")
        if path.is_file() and split.get("records") != (count := _count_lines(path)):
            problems.append(f"split {name}: manifest says {split.get('records')} records, {rel} has {count}")
    return problems


def require_intact(root: Path) -> None:
    """Raise ConfigError (one line) if a file the manifest lists is missing or altered, or a split's
    count is off: what reads a dataset (export, stats, report) must not work from a damaged one.
    Extra files are allowed (notes beside a dataset harm nothing)."""
    problems = [p for p in check_files(root) if not p.startswith("extra file")]
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise ConfigError(f"{root}: {problems[0]}{more}; the dataset is damaged: regenerate it, "
                          f"or run `codegen-data verify {root}` for every problem")


def _manifest_splits(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    splits = manifest.get("splits")
    if not isinstance(splits, dict):
        return []
    return [(str(name), s) for name, s in splits.items() if isinstance(s, dict)]


def split_files(root: Path) -> list[tuple[str, str]]:
    """(split name, file) pairs: the manifest's splits in its order, else ``data/*.jsonl`` sorted."""
    root = Path(root)
    manifest, _ = load_manifest(root)
    pairs: list[tuple[str, str]] = []
    if manifest is not None:
        for name, split in _manifest_splits(manifest):
            rel = split.get("file")
            if isinstance(rel, str) and _inside(root, rel) is not None and rel not in (f for _, f in pairs):
                pairs.append((name, rel))
    if not pairs:
        pairs = [(p.stem, p.relative_to(root).as_posix()) for p in sorted((root / "data").glob("*.jsonl"))]
    return pairs


def record_files(root: Path) -> list[str]:
    """The record files to check, in :func:`split_files` order."""
    return [rel for _, rel in split_files(root)]


# --- pass 2: planning the runs -------------------------------------------------------------------

Judge = Callable[[dict[str, Any]], list[str]]
"""Reasons a run's observation does not match the record (empty: it matches)."""


class _Malformed(Exception):
    pass


@dataclass
class _Job:
    key: int
    id: str
    file: str
    db: str | None  # absolute path of the database script, for SQL records
    runs: list[dict[str, Any]] = field(default_factory=list)
    judges: list[Judge] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # found without running anything

    def add(self, run: dict[str, Any], judge: Judge) -> None:
        self.runs.append(run)
        self.judges.append(judge)


def _need(record: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = record.get(name)
    if not isinstance(value, kind):
        raise _Malformed(f"malformed record: field {name!r} missing or not {getattr(kind, '__name__', kind)}")
    return value


def _short(text: Any, limit: int = 80) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _result_judge(label: str, expected: dict[str, Any], order_matters: bool, *, names: bool) -> Judge:
    def judge(obs: dict[str, Any]) -> list[str]:
        if obs.get("status") != "ok":
            return [f"{label}: {obs.get('status')}: {_short(obs.get('error'), 200)}"]
        if names and obs.get("columns") != expected["columns"]:
            return [f"{label}: columns {obs.get('columns')} != recorded {expected['columns']}"]
        diff = DEFAULT_COMPARATOR.results_difference(expected, obs, order_matters=order_matters)
        return [f"{label}: result differs (recorded != re-executed): {diff}"] if diff else []

    return judge


def _plan_sql(job: _Job, record: dict[str, Any], root: Path) -> None:
    from .tasks.sql_output import result_table_text

    db_id = _need(record, "db_id", str)
    sql = _need(record, "sql", str)
    result = _need(record, "result", dict)
    order_matters = _need(record, "order_matters", bool)
    columns, rows = result.get("columns"), result.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise _Malformed("malformed record: result needs 'columns' and 'rows' lists")
    if not _DB_ID.fullmatch(db_id):
        raise _Malformed(f"malformed record: db_id {_short(db_id)!r} is not a database name")
    task = record.get("task")
    answer = record.get("answer")
    if task == "sql_output":
        try:
            expected_text = result_table_text(columns, rows)
        except Exception:  # noqa: BLE001  # values the renderer cannot print: the record is broken
            expected_text = None
        if answer != expected_text:
            job.reasons.append("answer is not the recorded result rendered as a table")
    script = root / "databases" / f"{db_id}.sql"
    if not script.is_file():
        job.reasons.append(f"database file databases/{db_id}.sql is missing")
        return
    job.db = str(script.resolve())
    job.add({"engine": "duckdb", "sql": sql}, _result_judge("sql (DuckDB)", result, order_matters, names=True))
    if task == "text_to_sql" and isinstance(answer, str) and answer != sql:
        job.add({"engine": "duckdb", "sql": answer}, _result_judge("answer (DuckDB)", result, order_matters, names=False))
    if task == "sql_translate":
        _need(record, "answer", str)
        job.add({"engine": "sqlite", "sql": answer}, _result_judge("answer (SQLite)", result, order_matters, names=False))
    elif "sqlite" in (record.get("verified_engines") or []):
        label = "sql translated to SQLite (verified_engines lists sqlite)"
        job.add({"engine": "sqlite_translation", "sql": sql}, _result_judge(label, result, order_matters, names=False))


def _expected_outcome(test: Any, where: str) -> tuple[str, str]:
    if not isinstance(test, dict) or not isinstance(test.get("input"), str):
        raise _Malformed(f"malformed record: {where} needs an 'input' string")
    if isinstance(test.get("output"), str):
        return ("ok", test["output"])
    if isinstance(test.get("raises"), str):
        return ("error", test["raises"])
    raise _Malformed(f"malformed record: {where} needs 'output' or 'raises'")


def _outcome_text(status: str, value: str | None) -> str:
    if status == "ok":
        return str(value)
    if status == "error":
        return f"raises {value}"
    return status


def _call_outcome(call: Any) -> tuple[str, str | None]:
    status, output, exception = (list(call) + [None, None, None])[:3]
    return (status, output) if status == "ok" else (status, exception)


def _program_judge(label: str, entry: str, checks: list[tuple[str, str, tuple[str, str]]]) -> Judge:
    """``checks``: (what, input, expected outcome) per input, in the order the inputs were sent."""

    def judge(obs: dict[str, Any]) -> list[str]:
        if obs.get("status") != "ok":
            return [f"{label} did not run: {obs.get('status')}: {_short(obs.get('error'), 200)}"]
        reasons = []
        calls = obs.get("calls") or []
        prefix = "" if label == "code" else f"{label}: "
        if len(calls) != len(checks):
            return [f"{label}: the sandbox answered {len(calls)} calls for {len(checks)} inputs"]
        for (what, arg, expected), call in zip(checks, calls):
            got = _call_outcome(call)
            if got != expected:
                reasons.append(
                    f"{prefix}{what} {entry}({_short(arg, 60)}): expected {_short(_outcome_text(*expected))}, "
                    f"got {_short(_outcome_text(*got))}"
                )
        return reasons

    return judge


def _plan_program(job: _Job, record: dict[str, Any]) -> None:
    code = _need(record, "code", str)
    entry = _need(record, "entry_point", str)
    tests = _need(record, "tests", list)
    examples = record.get("examples") or []
    if not isinstance(examples, list):
        raise _Malformed("malformed record: 'examples' is not a list")
    checks = [(f"test {i}", t["input"], _expected_outcome(t, f"test {i}")) for i, t in enumerate(tests)]
    checks += [(f"example {i}", t["input"], _expected_outcome(t, f"example {i}")) for i, t in enumerate(examples)]
    task = record.get("task")
    if task == "py_output":
        call = _need(record, "input", str)
        checks.append(("answer: the call", call, ("ok", _need(record, "answer", str))))
    elif task == "py_input":
        checks.append(("answer as arguments:", _need(record, "answer", str), ("ok", _need(record, "output", str))))
    failing = None
    if task == "py_repair":
        buggy = _need(record, "buggy_code", str)
        failing = _need(record, "failing_test", dict)
        checks.append(("failing_test", failing.get("input"), _expected_outcome(failing, "failing_test")))
        if not isinstance(failing.get("actual"), str):
            raise _Malformed("malformed record: failing_test needs 'actual'")
    job.add({"engine": "python", "code": code, "entry": entry, "inputs": [c[1] for c in checks]},
            _program_judge("code", entry, checks))
    answer = record.get("answer")
    if task in _ANSWER_IS_CODE and answer != code:
        test_checks = [c for c in checks if c[0].startswith(("test ", "example "))]
        if not isinstance(answer, str):
            raise _Malformed("malformed record: field 'answer' missing or not str")
        job.add({"engine": "python", "code": answer, "entry": entry, "inputs": [c[1] for c in test_checks]},
                _program_judge("answer (differs from code)", entry, test_checks))
    if failing is not None:
        test_checks = [c for c in checks if c[0].startswith("test ")]
        job.add({"engine": "python", "code": buggy, "entry": entry,
                 "inputs": [c[1] for c in test_checks] + [failing["input"]]},
                _repair_judge(entry, test_checks, failing))


def _repair_judge(entry: str, tests: list[tuple[str, str, tuple[str, str]]], failing: dict[str, Any]) -> Judge:
    def judge(obs: dict[str, Any]) -> list[str]:
        if obs.get("status") != "ok":
            return [f"buggy_code did not run: {obs.get('status')}: {_short(obs.get('error'), 200)}"]
        calls = [_call_outcome(c) for c in obs.get("calls") or []]
        reasons = []
        if len(calls) != len(tests) + 1:
            return ["buggy_code: the sandbox answered the wrong number of calls"]
        if all(got == expected for (_, _, expected), got in zip(tests, calls)):
            reasons.append("buggy_code passes every test (it must fail at least one)")
        actual = _outcome_text(*calls[-1])
        if actual != failing["actual"]:
            reasons.append(
                f"buggy_code {entry}({_short(failing['input'], 60)}) gives {_short(actual)}, "
                f"not failing_test's actual {_short(failing['actual'])}"
            )
        return reasons

    return judge


@dataclass
class _Entry:
    file: str
    line: int
    id: str
    job: _Job


def _shape_problems(record: dict[str, Any], known: dict[str, bool]) -> list[str]:
    """What makes ``record`` unusable whatever its labels (what ``evaluate`` and ``export`` refuse):
    an ``id`` that is not a non-empty string, an unknown ``task`` (``known`` caches the registry's
    answers), a ``prompt`` or ``answer`` that is not a string."""
    from .registry import get_task

    problems = []
    if not isinstance(record.get("id"), str) or not record["id"]:
        problems.append("'id' is not a non-empty string")
    task = record.get("task")
    if isinstance(task, str) and task not in known:
        try:
            get_task(task)
            known[task] = True
        except Exception:  # noqa: BLE001  # as evaluate: the registry's own error type is not ours to know
            known[task] = False
    if not isinstance(task, str) or not known[task]:
        problems.append(f"'task' is not a known task: {task!r}"[:200])
    problems += [f"{key!r} is not a string" for key in ("prompt", "answer") if not isinstance(record.get(key), str)]
    return problems


def _plan(root: Path, files: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    seen: dict[str, str] = {}
    known: dict[str, bool] = {}
    for rel in files:
        path = _inside(root, rel)
        if path is None or not path.is_file():
            continue  # reported by the file pass
        with path.open(encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                where = f"{rel}:{number}"
                key = len(entries)
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    job = _Job(key, where, rel, None, reasons=["line is not valid JSON"])
                    entries.append(_Entry(rel, number, where, job))
                    continue
                if not isinstance(record, dict):
                    entries.append(_Entry(rel, number, where, _Job(key, where, rel, None, reasons=["not a JSON object"])))
                    continue
                rid = record.get("id") if isinstance(record.get("id"), str) and record.get("id") else where
                job = _Job(key, rid, rel, None, reasons=_shape_problems(record, known))
                if rid in seen:
                    job.reasons.append(f"duplicate id (first at {seen[rid]})")
                seen.setdefault(rid, where)
                try:
                    if "db_id" in record:
                        _plan_sql(job, record, root)
                    elif "code" in record:
                        _plan_program(job, record)
                    else:
                        job.reasons.append("no reference to re-execute (neither 'db_id' nor 'code')")
                except _Malformed as exc:
                    job.reasons.append(str(exc))
                    job.runs, job.judges = [], []
                entries.append(_Entry(rel, number, rid, job))
    return entries


# --- pass 2: running -----------------------------------------------------------------------------


@dataclass
class _Batch:
    db: str | None
    jobs: list[_Job]


def _batches(jobs: Iterable[_Job]) -> list[_Batch]:
    by_db: dict[str | None, list[_Job]] = {}
    for job in jobs:
        if job.runs:
            by_db.setdefault(job.db, []).append(job)
    batches = []
    for db, group in by_db.items():
        size = _PROGRAM_BATCH if db is None else _SQL_BATCH
        batches += [_Batch(db, group[i : i + size]) for i in range(0, len(group), size)]
    # Largest first, so one big database does not finish last on a single worker.
    return sorted(batches, key=lambda b: -sum(len(j.runs) for j in b.jobs))


class _AuditWorkerProcess(HelperProcess):
    def __init__(self, settings: dict[str, Any]):
        super().__init__("codegen_data.audit_worker")
        self.batch: _Batch | None = None
        self.pending: list[_Job] = []
        self.deadline = 0.0
        self.settings = settings
        self.send({"op": "init", "settings": settings})

    def item_seconds(self, job: _Job) -> float:
        return self.settings["load_timeout"] + len(job.runs) * (self.settings["timeout"] + 5.0) + _GRACE

    def start(self, batch: _Batch) -> None:
        self.batch = batch
        self.pending = list(batch.jobs)
        self.deadline = time.monotonic() + self.item_seconds(self.pending[0])
        items = [{"k": job.key, "runs": job.runs} for job in batch.jobs]
        self.send({"op": "batch", "db": batch.db, "items": items})


def _run(batches: list[_Batch], workers: int, settings: dict[str, Any],
         done: Callable[[_Job, list[dict[str, Any]] | None, str | None], None]) -> None:
    """Run every batch on up to ``workers`` processes; ``done(job, observations, error)`` per job."""
    queue = list(batches)
    selector = selectors.DefaultSelector()
    pool: list[_AuditWorkerProcess] = []

    def spawn() -> _AuditWorkerProcess:
        worker = _AuditWorkerProcess(settings)
        pool.append(worker)
        selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)  # type: ignore[arg-type]
        return worker

    def feed(worker: _AuditWorkerProcess) -> None:
        worker.batch, worker.pending = None, []
        if queue:
            worker.start(queue.pop(0))

    def replace(worker: _AuditWorkerProcess, why: str) -> None:
        selector.unregister(worker.proc.stdout)  # type: ignore[arg-type]
        pool.remove(worker)
        worker.kill()
        rest = worker.pending
        if rest:
            done(rest[0], None, why)
            rest = rest[1:]
        if rest and worker.batch is not None:
            spawn().start(_Batch(worker.batch.db, rest))
        elif queue:
            feed(spawn())

    try:
        for _ in range(max(1, min(workers, len(queue)))):
            if queue:
                feed(spawn())
        while any(w.batch is not None for w in pool):
            for key, _ in selector.select(timeout=0.5):
                worker: _AuditWorkerProcess = key.data
                messages = worker.read_messages()
                if messages is None:
                    replace(worker, f"the audit worker died (exit code {worker.proc.poll()})")
                    continue
                for message in messages:
                    if message.get("op") == "done":
                        feed(worker)
                        continue
                    job = worker.pending.pop(0)
                    if message.get("k") != job.key:
                        raise RuntimeError(f"audit worker answered item {message.get('k')} for {job.key}")
                    done(job, message["runs"], None)
                    if worker.pending:
                        worker.deadline = time.monotonic() + worker.item_seconds(worker.pending[0])
            now = time.monotonic()
            overdue = [w for w in pool if w.batch is not None and w.pending and now > w.deadline]
            for worker in overdue:  # replace() edits pool, so not a loop over pool itself
                replace(worker, "no answer before the deadline (the audit worker was killed)")
    finally:
        for worker in pool:
            if worker.batch is not None:
                worker.kill()
        close_all([w for w in pool if w.batch is None])  # side by side
        selector.close()


# --- the whole audit -----------------------------------------------------------------------------


def verify_dataset(
    dir: Path,
    *,
    workers: int = 2,
    timeout: float = 10.0,
    progress: Callable[[int], None] | None = None,
) -> AuditResult:
    """Check ``dir``'s files against its manifest and re-execute every record's reference.

    ``workers`` audit processes run in parallel; ``timeout`` is the seconds one query or one program
    (on all its inputs) may take; ``progress(k)`` is called as ``k`` more records are checked (a
    click progress bar's ``update``). The result lists failures in file and line order.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 600:
        raise ValueError(f"timeout must be in (0, 600] seconds, got {timeout!r}")
    root = Path(dir)
    if not root.is_dir():
        return AuditResult(0, [], [f"{root} is not a directory"])
    problems = check_files(root)
    entries = _plan(root, record_files(root))
    if not entries:
        problems.append("no records found")
    settings = {
        "timeout": float(timeout),
        "load_timeout": max(60.0, 6 * float(timeout)),
        "memory_limit_mb": 512,
        "max_rows": 100_000,
        "program_memory_mb": 1024,
        "output_limit": 1 << 20,
    }
    found: dict[int, list[str]] = {}

    def done(job: _Job, observations: list[dict[str, Any]] | None, error: str | None) -> None:
        reasons = list(job.reasons)
        if error is not None:
            reasons.append(error)
        else:
            assert observations is not None
            if len(observations) != len(job.judges):
                reasons.append("the audit worker answered the wrong number of runs")
            for judge, obs in zip(job.judges, observations):
                reasons += judge(obs)
        found[job.key] = reasons
        if progress:
            progress(1)

    for entry in entries:
        if not entry.job.runs:
            done(entry.job, [], None)
    _run(_batches(e.job for e in entries), workers, settings, done)
    failures = []
    for entry in entries:
        reasons = found.get(entry.job.key, ["was not checked"])
        if reasons:
            more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
            failures.append(AuditFailure(entry.id, entry.file, _short("; ".join(reasons[:3]), 1000) + more))
    return AuditResult(len(entries), failures, problems)
