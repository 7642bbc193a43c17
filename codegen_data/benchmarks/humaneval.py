"""HumanEval (Chen et al., 2021): complete a function from its signature and docstring.

Data: ``HumanEval.jsonl.gz`` (or plain ``.jsonl``), one problem a line::

    {"task_id": "HumanEval/0", "prompt": "from typing import List\\n\\ndef has_close_elements(...", "entry_point":
     "has_close_elements", "canonical_solution": "    for idx, elem in ...", "test": "METADATA = ...\\ndef check(candidate): ..."}

Predictions: HumanEval's samples file, one ``{"task_id": "HumanEval/0", "completion": "    return ..."}``
a line, any number per problem. As HumanEval's ``check_correctness`` does, the program
``prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"`` must run to the end within
3 s; here the last statement is the sandbox's one call of ``check``. Early exits (``exit(0)``,
``os._exit(0)``), printed markers and hangs fail: those verdicts are the sandbox server's. The
asserts themselves run beside the completion, as in HumanEval's own harness, so a completion that
knows the sandbox's result protocol could forge a pass; CRUXEval's checks do not share that limit.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..evaluate import ItemResult
from ..scoring import Verdict
from ..task import ConfigError
from . import CheckRunner, Program, item_result, report_of, verdict_of_failure

__all__ = ["check_program", "evaluate_humaneval", "load_problems", "load_samples"]

TIMEOUT = 3.0
"""Seconds per program, as HumanEval's ``evaluate_functional_correctness(timeout=3.0)``."""
KS = (1, 10, 100)
_FIELDS = ("task_id", "prompt", "test", "entry_point")


def load_problems(path: str | Path) -> dict[str, dict[str, Any]]:
    """The problems of ``HumanEval.jsonl[.gz]`` by task id; a missing or malformed file raises ConfigError."""
    rows = _read_jsonl(path, "--data")
    problems = {}
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not all(isinstance(row.get(key), str) for key in _FIELDS):
            raise ConfigError(f"--data: {path}: line {number} is not a HumanEval problem ({', '.join(_FIELDS)})")
        problems[row["task_id"]] = row
    if not problems:
        raise ConfigError(f"--data: {path}: no HumanEval problems")
    return problems


def load_samples(path: str | Path, problems: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """``(task_id, completion)`` per line of a HumanEval samples file, each task id one of ``problems``."""
    samples = []
    for number, row in enumerate(_read_jsonl(path, "--predictions"), 1):
        if not isinstance(row, dict) or not isinstance(row.get("task_id"), str) or not isinstance(row.get("completion"), str):
            raise ConfigError(f"--predictions: {path}: line {number} needs string fields task_id and completion")
        if row["task_id"] not in problems:
            raise ConfigError(f"--predictions: {path}: line {number} names an unknown task {row['task_id']!r}")
        samples.append((row["task_id"], row["completion"]))
    return samples


def _read_jsonl(path: str | Path, option: str) -> list[Any]:
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
    except OSError as exc:  # gzip.BadGzipFile is an OSError
        raise ConfigError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, EOFError):
        raise ConfigError(f"{option}: {path} is not UTF-8 JSON lines") from None
    try:
        return [json.loads(line) for line in lines]
    except ValueError as exc:
        raise ConfigError(f"{option}: {path} is not JSON lines: {exc}") from None


def check_program(problem: dict[str, Any], completion: str) -> Program:
    """HumanEval's check program; its last statement, ``check(entry_point)``, is the sandbox's call."""
    return Program(problem["prompt"] + completion + "\n" + problem["test"] + "\n", "check", (problem["entry_point"],))


def judge(result) -> Verdict:
    """Passed when the program loaded and ``check`` returned; an AssertionError is a wrong answer."""
    if result.status != "ok":
        return verdict_of_failure(result.status, result.error)
    call = result.calls[0]
    if call.ok:
        return Verdict.ok()
    if call.exception == "AssertionError":
        return Verdict.fail("wrong_answer", "a test assertion failed")
    return verdict_of_failure(call.status, call.exception)


def evaluate_humaneval(
    data_path: str | Path,
    samples_path: str | Path,
    *,
    workers: int = 2,
    ks: tuple[int, ...] = KS,
    timeout: float = TIMEOUT,
    ignore_incomplete: bool = False,
) -> tuple[list[ItemResult], dict[str, Any]]:
    """Score HumanEval samples as HumanEval does: one item result per problem (its samples in file
    order) and the report's summary (pass@k as fractions; null where some problem has fewer than k)."""
    problems = load_problems(data_path)
    samples = load_samples(samples_path, problems)
    attempted = {task_id for task_id, _ in samples}
    if not ignore_incomplete and attempted != set(problems):
        missing = sorted(set(problems) - attempted)
        raise ConfigError(f"--predictions: {samples_path} attempts {len(attempted)} of {len(problems)} problems "
                          f"(e.g. not {missing[0]}), as HumanEval's harness requires all")
    programs = [check_program(problems[task_id], completion) for task_id, completion in samples]
    with CheckRunner(workers=workers, timeout=timeout) as runner:
        results = runner.run(programs)
    verdicts: dict[str, list[Verdict]] = defaultdict(list)
    completions: dict[str, list[str]] = defaultdict(list)
    for (task_id, completion), result in zip(samples, results):
        verdicts[task_id].append(judge(result))
        completions[task_id].append(completion)
    items = [item_result(task_id, "humaneval", completions[task_id], verdicts[task_id])
             for task_id in problems if task_id in verdicts]
    summary = report_of("humaneval", data_path, items, ks)["summary"]
    summary["checks"] = len(set(programs))
    return items, summary
