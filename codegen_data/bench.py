"""Throughput and memory on the current machine, each number beside its floor in the same run.

``run_bench(quick)`` returns a JSON-serialisable dict; ``bench_table(results)`` renders it. Rows:

- ``sql``: kept, verified ``text_to_sql`` samples/s with 1 and 2 workers (each the median of three runs
  taken in turns in the full run, one in ``--quick``), beside the seconds DuckDB
  alone takes to run the kept gold queries once (in a subprocess: generated SQL never runs here).
  The full run makes 5,000 items per run: a SQL run's fixed cost (starting the workers, about
  0.25 s, and building the databases its items use, 0.35-0.5 s of each worker's CPU) is a fifth of a
  2-worker run of 1,000 items and a twentieth of one of 5,000, closer to what a dataset's run pays.
- ``programs``: kept, verified ``py_output`` samples/s with 1 and 2 workers, beside the same programs
  and test inputs run one plain ``python -I`` subprocess per program.
- ``cruxeval``: CRUXEval-O checks/s through the sandbox vs one subprocess per check
  (:func:`codegen_data.benchmarks.cruxeval.compare_speed`; in the full run every distinct check
  not at the time limit, three times in turns, each rate the median), skipped with a reason without
  the data.
- ``memory``: peak RSS of ``python -m codegen_data generate`` at two sizes each of ``text_to_sql``
  and ``py_output`` (the 100,000-sample run is programs: SQL at that size would not fit the 15 minutes),
  and each run's samples/s over its whole command (start-up included) and the candidates it drew
  (with how many repeated a kept structure): the rate at scale, for estimating bigger datasets.
- ``scaling``: speedup from 1 to 2 workers, from the first two rows.

``structure_yield(task, n)`` (``bench --structures``) is a separate measurement: the distinct
structures among a task's first ``n`` candidates, i.e. how many candidates a run of a given size draws.

No number here is asserted anywhere: they describe one machine at one moment.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["TARGETS", "bench_table", "run_bench", "structure_yield", "structures_table", "targets"]

EXTERNAL_CRUXEVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "external" / "cruxeval"
"""Where CRUXEval's data and CodeLlama's published generations live in this workspace."""
WORKER_COUNTS = (1, 2)
SIZES = {
    # (samples per generation run, programs run as subprocesses, CRUXEval items (None: all) and sample,
    #  the two memory sizes)
    True: {"sql": 150, "programs": 150, "program_sample": 60, "crux_items": 60, "crux_sample": 60, "repeats": 1,
           "memory_sql": (300, 1000), "memory_programs": (1000, 5000)},
    False: {"sql": 5000, "programs": 1000, "program_sample": 100, "crux_items": None, "crux_sample": None, "repeats": 3,
            "memory_sql": (2000, 10_000), "memory_programs": (10_000, 100_000)},
}

# Runs in a fresh `python -I`: rebuilds each database, times only the gold queries.
_DUCKDB_FLOOR = """
import json, sys, time
import duckdb
jobs = json.load(open(sys.argv[1], encoding="utf-8"))
seconds = 0.0
queries = 0
for job in jobs:
    con = duckdb.connect()
    con.execute("SET threads = 1")  # as our sandboxed workers
    con.execute(open(job["script"], encoding="utf-8").read())
    for sql in job["queries"]:
        start = time.perf_counter()
        con.execute(sql).fetchall()
        seconds += time.perf_counter() - start
        queries += 1
    con.close()
print(json.dumps({"seconds": seconds, "queries": queries}))
"""

# Runs the CLI in this process and reports the peak resident memory of that process and of its
# children (the workers). Not getrusage's maxrss: Linux folds the memory of the process that forked
# a child into the child's maxrss at exec, so this wrapper's would be the bench process's, and each
# worker's at least the CLI's at the moment it started it. VmHWM is the peak of the process's own
# memory since its exec: read here at the end for the CLI, and every 0.1 s for each worker alive.
_RSS_WRAPPER = """
import json, os, resource, runpy, sys, threading

def hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return None

workers = {}
done = threading.Event()

def watch():
    while not done.wait(0.1):
        try:
            pids = set()
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/children") as f:
                    pids.update(int(p) for p in f.read().split())
        except OSError:
            continue
        for pid in pids:
            kb = hwm_kb(pid)
            if kb is not None:
                workers[pid] = max(workers.get(pid, 0), kb)

threading.Thread(target=watch, daemon=True).start()
sys.argv = ["codegen-data"] + sys.argv[1:]
code = 0
try:
    runpy.run_module("codegen_data", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code or 0
done.set()
main = hwm_kb("self") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = max(workers.values(), default=0) or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write("\\n" + json.dumps({"main_kb": main, "children_kb": children, "exit": code,
                                     "workers_seen": len(workers)}) + "\\n")
"""


def run_bench(quick: bool = False, *, scale: float = 1.0) -> dict[str, Any]:
    """All rows in one run; ``scale`` shrinks every size (tests use it; 1.0 is the documented run)."""
    sizes = _scaled(SIZES[quick], scale)
    results: dict[str, Any] = {"mode": "quick" if quick else "full", "scale": scale, "machine": _machine()}
    with tempfile.TemporaryDirectory(prefix="codegen-bench-") as tmp:
        tmp_path = Path(tmp)
        results["sql"] = _sql_row(sizes["sql"], tmp_path / "sql", sizes["repeats"])
        results["programs"] = _program_row(sizes["programs"], sizes["program_sample"], tmp_path / "programs", sizes["repeats"])
        results["cruxeval"] = _cruxeval_row(sizes["crux_items"], sizes["crux_sample"], tmp_path / "cruxeval", sizes["repeats"])
        results["memory"] = _memory_row({"text_to_sql": sizes["memory_sql"], "py_output": sizes["memory_programs"]},
                                        tmp_path / "memory")
    results["scaling"] = {
        row: _ratio(results[row]["samples_per_s"]["2"], results[row]["samples_per_s"]["1"]) for row in ("sql", "programs")
    }
    results["targets"] = targets(results)
    return results


TARGETS = (
    # (name, what is measured, at least / at most, threshold): the project's goals on a 2-core machine
    ("sql_samples_per_s_w2", "text_to_sql kept, verified samples/s, 2 workers", ">=", 400),
    ("programs_samples_per_s_w2", "py_output kept, verified samples/s, 2 workers", ">=", 800),
    ("programs_vs_subprocess", "py_output 1-worker samples/s / one subprocess per program", ">=", 8),
    ("cruxeval_checks_per_s", "CRUXEval-O distinct checks/s through the sandbox, 2 workers", ">=", 600),
    ("cruxeval_vs_subprocess", "the same checks: sandbox / one subprocess per check", ">=", 8),
    ("memory_growth", "peak RSS, larger / smaller py_output run, main or worker (whichever grew more)", "<=", 1.2),
    ("sql_scaling", "text_to_sql 2 workers / 1 worker", ">=", 1.7),
    ("programs_scaling", "py_output 2 workers / 1 worker", ">=", 1.7),
)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each of :data:`TARGETS` with its measured value and whether it was met (None: not measured)."""
    crux = results.get("cruxeval", {})
    sizes = [s for s in results["memory"]["sizes"] if s["task"] == "py_output"]
    measured = {
        "sql_samples_per_s_w2": results["sql"]["samples_per_s"]["2"],
        "programs_samples_per_s_w2": results["programs"]["samples_per_s"]["2"],
        "programs_vs_subprocess": results["programs"]["ratio"]["value"],
        "cruxeval_checks_per_s": crux.get("sample_sandbox_checks_per_s"),
        "cruxeval_vs_subprocess": crux.get("speedup_same_checks"),
        "memory_growth": max(_ratio(sizes[-1][key], sizes[0][key]) or 0 for key in ("main_mb", "workers_max_mb"))
        if len(sizes) > 1 else None,
        "sql_scaling": results["scaling"]["sql"],
        "programs_scaling": results["scaling"]["programs"],
    }
    rows = []
    for name, what, op, threshold in TARGETS:
        value = measured[name]
        met = None if value is None else value >= threshold if op == ">=" else value <= threshold
        rows.append({"name": name, "what": what, "target": f"{op} {threshold}", "measured": value, "met": met})
    return rows


def _scaled(sizes: dict[str, Any], scale: float) -> dict[str, Any]:
    def shrink(value: int) -> int:
        return max(5, round(value * scale))

    return {key: (tuple(shrink(v) for v in value) if isinstance(value, tuple) else
                  value if value is None or key == "repeats" else shrink(value)) for key, value in sizes.items()}


def _machine() -> dict[str, Any]:
    from .export.dataset import engine_versions
    from .sql import sqlglot_build

    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "executable": sys.executable, "engines": engine_versions(), "sqlglot_build": sqlglot_build()}


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if a and b else None


def _generate(task: str, n: int, out: Path, workers: int) -> tuple[float, list[dict[str, Any]], int]:
    """Samples/s of one generation run, its kept records, and the number kept."""
    from .pipeline import plan_generation, run_generation

    summary = run_generation(plan_generation([task], n=n, seed=0), out, workers=workers)
    records = [json.loads(line) for path in sorted((out / "data").glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return summary.samples_per_second, records, sum(summary.kept.values())


def _generation_rows(task: str, n: int, tmp: Path, repeats: int) -> tuple[dict[str, Any], list[dict[str, Any]], Path]:
    """Samples/s with 1 and 2 workers: the median of ``repeats`` runs each, taken in turns (1, 2, 1,
    2, ...), so that a moment when the shared machine is slow touches both counts alike."""
    row: dict[str, Any] = {"task": task, "n": n, "samples_per_s": {}, "runs": {}, "kept": {}, "commands": []}
    records: list[dict[str, Any]] = []
    out = tmp
    for repeat in range(repeats):
        for workers in WORKER_COUNTS:
            out = tmp / f"w{workers}-{repeat}"
            rate, records, kept = _generate(task, n, out, workers)
            row["runs"].setdefault(str(workers), []).append(round(rate, 1))
            row["kept"][str(workers)] = kept
            if repeat < repeats - 1:
                shutil.rmtree(out)
    for workers in WORKER_COUNTS:
        row["samples_per_s"][str(workers)] = round(statistics.median(row["runs"][str(workers)]), 1)
        row["commands"].append(f"codegen-data generate {task} -n {n} --seed 0 --workers {workers} -o DIR")
    return row, records, out


def _sql_row(n: int, tmp: Path, repeats: int = 1) -> dict[str, Any]:
    row, records, out = _generation_rows("text_to_sql", n, tmp, repeats)
    by_db: dict[str, list[str]] = {}
    for record in records:
        by_db.setdefault(record["db_id"], []).append(record["sql"])
    jobs = [{"script": str(out / "databases" / f"{db_id}.sql"), "queries": queries} for db_id, queries in by_db.items()]
    jobs_file = tmp / "floor_jobs.json"
    jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
    floor = json.loads(_run_script(_DUCKDB_FLOOR, tmp, [str(jobs_file)]))
    wall = len(records) / row["samples_per_s"]["1"] if row["samples_per_s"]["1"] else 0.0
    row["floor"] = {
        "what": "DuckDB alone executing the kept gold queries once (1 thread, fresh database per db_id, "
                "in a python -I subprocess; only the query executions timed)",
        "queries": floor["queries"], "databases": len(jobs), "seconds": round(floor["seconds"], 3),
        "queries_per_s": round(floor["queries"] / floor["seconds"], 1) if floor["seconds"] else None,
    }
    row["workers1_seconds"] = round(wall, 2)
    row["ratio"] = {"what": "seconds of the 1-worker run / seconds of the DuckDB floor",
                    "value": _ratio(wall, floor["seconds"])}
    return row


def _program_row(n: int, sample: int, tmp: Path, repeats: int = 1) -> dict[str, Any]:
    row, records, _ = _generation_rows("py_output", n, tmp, repeats)
    chosen = random.Random(0).sample(records, min(sample, len(records)))
    cwd = tmp / "cwd"
    cwd.mkdir()
    start = time.perf_counter()
    failures = 0
    for record in chosen:
        calls = "\n".join(f"{record['entry_point']}({test['input']})" for test in record["tests"])
        done = subprocess.run([sys.executable, "-I", "-c", f"{record['code']}\n{calls}\n"], cwd=cwd,
                              capture_output=True, timeout=30, check=False)
        failures += done.returncode != 0
    seconds = time.perf_counter() - start
    per_program = seconds / len(chosen) if chosen else 0.0
    row["subprocess"] = {
        "what": "the same programs, each with all its test inputs, one python -I subprocess per program, "
                "one at a time; extrapolated from the sample",
        "sample": len(chosen), "seconds": round(seconds, 3), "seconds_per_program": round(per_program, 4),
        "programs_per_s": round(1 / per_program, 1) if per_program else None, "nonzero_exits": failures,
    }
    row["ratio"] = {"what": "1-worker samples/s / subprocess programs/s",
                    "value": _ratio(row["samples_per_s"]["1"], row["subprocess"]["programs_per_s"] or 0)}
    return row


def _cruxeval_row(items: int | None, sample: int | None, tmp: Path, repeats: int = 1) -> dict[str, Any]:
    data = EXTERNAL_CRUXEVAL / "cruxeval.jsonl"
    predictions = EXTERNAL_CRUXEVAL / "codellama-7b-temp0.2-output-generations.json"
    if not (data.is_file() and predictions.is_file()):
        return {"skipped": f"no CRUXEval data at {EXTERNAL_CRUXEVAL}"}
    from .benchmarks.cruxeval import compare_speed

    if items is not None:  # the first `items` items and their generations, for a short run
        tmp.mkdir(parents=True)
        lines = [line for line in data.read_text(encoding="utf-8").splitlines() if line.strip()][:items]
        ids = {json.loads(line)["id"] for line in lines}
        generations = json.loads(predictions.read_text(encoding="utf-8"))
        data, predictions = tmp / "cruxeval.jsonl", tmp / "generations.json"
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        predictions.write_text(json.dumps({k: v for k, v in generations.items() if k in ids}), encoding="utf-8")
    row = compare_speed(data, predictions, mode="output", sample=sample, workers=2, repeats=repeats)
    row["items"] = items or "all"
    row["command"] = (f"python -m codegen_data.benchmarks.cruxeval {data.name} {predictions.name} "
                      f"--mode output --sample {sample or 0} --workers 2 --repeats {repeats}")
    return row


def _memory_row(tasks: dict[str, tuple[int, ...]], tmp: Path) -> dict[str, Any]:
    row: dict[str, Any] = {
        "method": "a fresh python -I wrapper per size runs the CLI (as python -m codegen_data) in its own "
                  "process and reports peak resident memory (VmHWM, since exec): the CLI's main process at "
                  "the end, and the largest of its worker processes, read every 0.1 s while they run",
        "sizes": [],
    }
    for task, sizes in tasks.items():
        for n in sizes:
            out = tmp / f"{task}-n{n}"
            args = ["generate", task, "-n", str(n), "--seed", "0", "--workers", "2", "-o", str(out)]
            start = time.perf_counter()
            stderr = _run_script(_RSS_WRAPPER, tmp, args, stream="stderr")
            seconds = time.perf_counter() - start
            report = json.loads(stderr.strip().splitlines()[-1])
            made = _candidates(out, task)
            row["sizes"].append({
                "task": task, "n": n, "main_mb": round(report["main_kb"] / 1024, 1), "workers_max_mb": round(report["children_kb"] / 1024, 1),
                "exit": report["exit"], "workers_seen": report.get("workers_seen"), "seconds": round(seconds, 1),
                "samples_per_s": round(n / seconds, 1) if seconds else None, **made,
                "command": f"{Path(sys.executable).name} -m codegen_data " + " ".join(args[:-1]) + " DIR",
            })
    return row


# Runs in a fresh `python -I`: the groups of candidates k, k + W, k + 2W, ... of a task (generated and
# keyed, never run), one line each ("" for a candidate the generator itself rejected).
_STRUCTURES = """
import sys
from codegen_data.registry import get_task
from codegen_data.task import Reject
name, first, step, stop, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cls = get_task(name)
task = cls(cls.config_class(), seed=0)
with open(path, "w", encoding="utf-8") as out:
    for index in range(first, stop, step):
        candidate = task.generate(index)
        group = None if isinstance(candidate, Reject) else task.group_of(candidate)
        out.write((group or "") + "\\n")
"""


_NEEDED = frozenset({10**3, 10**4, 10**5, 10**6, 10**7})
"""Structure counts at which :func:`structure_yield` notes how many candidates it took to reach them."""


def structure_yield(task: str, candidates: int, *, workers: int = 2) -> dict[str, Any]:
    """How many distinct structures (record groups) the first ``candidates`` candidates of ``task``
    have (seed 0, default config), at 100, 200, 500, 1,000, ... and at ``candidates``: what a run of a given size
    must draw, since a candidate whose structure a kept record has is dropped. The candidates are
    generated and keyed, not run (the ``workers`` processes take every ``workers``-th index), so for a
    task that rejects some candidates only after running them (SQL's checks) the kept count is lower
    still. Each distinct structure is held in memory: this is a planning tool, not a generation run."""
    from .registry import get_task
    from .task import Task

    cls = get_task(task)  # an unknown task fails here, before any process starts
    if cls.group_of is Task.group_of:
        raise ValueError(f"{task} does not tell a candidate's structure before running it")
    if candidates < 1 or workers < 1:
        raise ValueError("candidates and workers must be at least 1")
    marks = frozenset({m * 10**e for e in range(2, len(str(candidates))) for m in (1, 2, 5) if m * 10**e <= candidates} | {candidates})
    with tempfile.TemporaryDirectory(prefix="codegen-structures-") as tmp:
        script = Path(tmp) / "structures.py"
        script.write_text(_STRUCTURES, encoding="utf-8")
        paths = [Path(tmp) / f"{k}.txt" for k in range(workers)]
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-I", str(script), task, str(k), str(workers), str(candidates), str(path)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for k, path in enumerate(paths)]
        errors = [proc.communicate()[1] for proc in procs]
        seconds = time.perf_counter() - start
        for proc, error in zip(procs, errors):
            if proc.returncode != 0:
                raise RuntimeError(f"structure count failed ({proc.returncode}): {error.strip().splitlines()[-1] if error.strip() else ''}")
        seen: set[str] = set()
        curve: list[dict[str, Any]] = []
        needed: dict[str, int] = {}
        files = [path.open(encoding="utf-8") for path in paths]
        try:
            previous = (0, 0)
            for index in range(candidates):
                group = files[index % workers].readline().rstrip("\n")
                if group and group not in seen:
                    seen.add(group)
                    if len(seen) in _NEEDED:
                        needed[str(len(seen))] = index + 1
                if index + 1 in marks:
                    n, distinct = index + 1, len(seen)
                    curve.append({"candidates": n, "distinct": distinct, "share": round(distinct / n, 3),
                                  "marginal": round((distinct - previous[1]) / (n - previous[0]), 3)})
                    previous = (n, distinct)
        finally:
            for f in files:
                f.close()
    return {"task": task, "candidates": candidates, "workers": workers, "seconds": round(seconds, 1), "curve": curve,
            "candidates_for": needed,
            "what": "distinct structure keys among the first N candidates (seed 0, default config), generated "
                    "and keyed but not run; marginal: the share of new ones since the previous line",
            "command": f"codegen-data bench --structures {task}:{candidates}"}


def structures_table(result: dict[str, Any]) -> str:
    """A plain-text table of :func:`structure_yield`'s curve."""
    lines = [f"distinct structures among the first {result['candidates']} candidates of {result['task']} "
             f"({result['seconds']} s, {result['workers']} processes)", "",
             f"{'candidates':>12}  {'distinct':>10}  {'share':>6}  {'marginal':>8}"]
    for point in result["curve"]:
        lines.append(f"{point['candidates']:>12}  {point['distinct']:>10}  {point['share']:>6.3f}  {point['marginal']:>8.3f}")
    if result["candidates_for"]:
        lines += ["", "candidates drawn to reach: " + ", ".join(f"{int(d):,} structures: {n:,}" for d, n in result["candidates_for"].items())]
    lines += ["", result["what"]]
    return "\n".join(lines)


def _candidates(out: Path, task: str) -> dict[str, int]:
    """How many candidates a run drew to keep its records, and how many of those repeated the
    structure of a kept record (from its manifest): the share of repeats grows with the run."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["tasks"][task]
    rejected = manifest["rejected"]
    return {"candidates": manifest["kept"] + sum(rejected.values()), "duplicates": rejected.get("duplicate_structure", 0)}


def _run_script(source: str, tmp: Path, args: list[str], *, stream: str = "stdout") -> str:
    """Run ``source`` in a fresh ``python -I`` subprocess; its ``stream`` output."""
    tmp.mkdir(parents=True, exist_ok=True)
    script = tmp / "bench_script.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(script), *args], cwd=tmp, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench subprocess failed ({done.returncode}): {done.stderr[-2000:]}")
    return getattr(done, stream)


def bench_table(results: dict[str, Any]) -> str:
    """A plain-text table of :func:`run_bench`'s numbers."""
    m = results["machine"]
    lines = [f"codegen-data bench ({results['mode']}) on {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}"]
    if "engines" in m:
        e = m["engines"]
        lines.append(f"duckdb {e['duckdb']}, sqlglot {e['sqlglot']} ({m['sqlglot_build']}), sqlite {e['sqlite']}")
    lines.append("")
    rows = [("row", "ours", "floor / baseline", "ratio")]
    sql = results["sql"]
    rows.append((f"text_to_sql n={sql['n']} samples/s", _workers(sql),
                 f"DuckDB alone {sql['floor']['seconds']} s for {sql['floor']['queries']} queries",
                 f"{sql['ratio']['value']}x floor time (1 worker: {sql['workers1_seconds']} s)"))
    py = results["programs"]
    rows.append((f"py_output n={py['n']} samples/s", _workers(py),
                 f"{py['subprocess']['programs_per_s']} programs/s (1 subprocess each, {py['subprocess']['sample']} run)",
                 f"{py['ratio']['value']}x"))
    crux = results["cruxeval"]
    if "skipped" in crux:
        rows.append(("CRUXEval-O checks/s", "skipped", crux["skipped"], ""))
    else:
        rows.append((f"CRUXEval-O checks/s ({crux['items']} items, 2 workers)",
                     f"{crux['sample_sandbox_checks_per_s']} (whole run {crux['whole_run_checks_per_s']})",
                     f"{crux['sample_subprocess_checks_per_s']} (1 subprocess each, {crux['sample']} checks"
                     + (f", median of {len(crux['sample_runs']['sandbox_seconds'])})"
                        if len(crux.get("sample_runs", {}).get("sandbox_seconds", ())) > 1 else ")"),
                     f"{crux['speedup_same_checks']}x same checks"))
    for size in results["memory"]["sizes"]:
        rows.append((f"peak RSS generate {size['task']} n={size['n']}", f"main {size['main_mb']} MB",
                     f"largest worker {size['workers_max_mb']} MB",
                     f"{size['seconds']} s ({size.get('samples_per_s')} samples/s, 2 workers)"
                     + (f", {size['candidates']} candidates ({size['duplicates']} repeats)" if "candidates" in size else "")))
    scaling = results["scaling"]
    rows.append(("speedup 1 -> 2 workers", f"sql {scaling['sql']}x", f"py_output {scaling['programs']}x", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    for i, r in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    if "skipped" not in crux:
        lines += ["", f"CRUXEval-O whole run: {crux['whole_run_checks_per_s']} checks/s over {crux['generations']} "
                      f"generations ({crux['distinct_checks_run']} distinct checks run; identical programs run once), "
                      f"{crux['speedup_whole_run']}x the estimate for one subprocess per generation"]
    lines += ["", "memory: " + results["memory"]["method"], "",
              f"targets for a 2-core machine ({results['mode']} run; the full run is the one that counts):"]
    for target in results.get("targets", []):
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        lines.append(f"  {verdict:<12}  {target['what']}: {target['measured']} (target {target['target']})")
    return "\n".join(lines)


def _workers(row: dict[str, Any]) -> str:
    rates = " / ".join(f"{row['samples_per_s'][str(w)]} (w={w})" for w in WORKER_COUNTS)
    runs = len(row.get("runs", {}).get("1", ()))
    return f"{rates}, median of {runs}" if runs > 1 else rates
