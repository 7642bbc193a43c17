"""CRUXEval (Gu et al., 2024): predict a function's output (CRUXEval-O) or an input that gives it (CRUXEval-I).

Data: ``cruxeval.jsonl``, one item a line::

    {"id": "sample_3", "code": "def f(text, value):\\n    ...", "input": "'bcksrut', 'q'", "output": "'bcksrutq'"}

Predictions: CRUXEval's generations file, ``{"sample_3": ["'bcksrutq'", ...], ...}`` (output mode) or
``{"sample_3": ["f('bcksrut', 'q')", ...]}`` (input mode).

CRUXEval's own harness (``evaluation/utils_general.py``) fails an input prediction without ``f(`` and
an output prediction containing ``f(<input>)``, then runs ``f"{code}\\nassert {output} == {prediction}"``
with a 3 s limit: a prediction is any Python expression, evaluated after ``code`` is loaded (so
``'a' * 3`` or ``f('x')`` count). We keep those rules but never let the expected output into the
sandbox: in output mode the program there loads ``code`` and returns the prediction's value, and the
comparison ``output == value`` happens here on ``repr``-parsed literals, so a program that forges its
own report can only report a value it computed. In input mode that is not enough, as the expected
output is known to whoever writes the prediction: the prediction ``f(<arguments>)`` runs in a first
program that returns its arguments, parsed here as plain data, and a second program with none of the
prediction's code calls ``f`` on them (:mod:`codegen_data.py.arguments`); arguments written as
literals, which run no code, go straight to the second. Three differences from
CRUXEval, all on answers no honest model writes: a prediction that changes the check's shape
(``x or True``, ``a == b``) is refused, an input prediction must be a call of ``f`` (CRUXEval
accepts any expression containing ``f(``; all 7,837 of Code Llama's input generations that parse are
such calls), and a value or argument that is not plain data (an object whose ``__eq__`` always says
yes) fails. As in CRUXEval,
``x, "text"`` makes ``"text"`` the assert's message, and passes when ``x`` is right.
"""

from __future__ import annotations

import ast
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..evaluate import ItemResult
from ..py.arguments import ENTRY, arguments_source, collector, literal, literal_arguments
from ..scoring import TIMEOUT_ATTEMPTS, Verdict
from ..task import ConfigError
from . import CheckRunner, Program, item_result, report_of, verdict_of_failure

__all__ = ["MODES", "CruxItem", "compare_speed", "evaluate_cruxeval", "load_cruxeval", "load_generations", "plan_check"]

MODES = ("output", "input")
TIMEOUT = 3.0
"""Seconds per check, as CRUXEval's ``check_correctness(check_program, 3)``."""
KS = (1, 5)
ANSWER = "__cruxeval_answer__"
"""The function the sandboxed program defines to return the prediction's value."""
NOT_PLAIN = "NotPlainData"
"""The exception of a call whose value is not plain data (the sandbox's ``plain_outputs``): an object
that merely prints like the answer is not it."""


@dataclass(frozen=True, eq=False)
class CruxItem:
    """One CRUXEval item; ``expected`` is ``output`` parsed here, ``statements`` the top-level statements of
    ``code``, ``separable`` whether the check's assert parses the same without ``code`` before it."""

    id: str
    code: str
    input: str
    output: str
    expected: Any
    output_tree: str
    statements: int
    separable: bool


# -- files


def load_cruxeval(path: str | Path) -> list[CruxItem]:
    """The items of ``cruxeval.jsonl``; a missing or malformed file raises ConfigError."""
    items = []
    for number, row in enumerate(_read_jsonl(path), 1):
        if not isinstance(row, dict) or not all(isinstance(row.get(key), str) for key in ("id", "code", "input", "output")):
            raise ConfigError(f"--data: {path}: line {number} is not a CRUXEval item (id, code, input, output strings)")
        ok, expected = literal(row["output"])
        try:
            body = ast.parse(row["code"]).body
            statements = len(body)
            # The code parses alone and the assert starts a line at column 0, so parsing them together is
            # parsing each, but for a __future__ import, which changes how the rest parses.
            separable = not any(isinstance(s, ast.ImportFrom) and s.module == "__future__" for s in body)
            output = ast.parse(row["output"].strip(), mode="eval").body
            output_tree = ast.dump(output)
            # inf and nan are names in a check program (NameError there), only reprs may hold them
            ok = ok and not any(isinstance(node, ast.Name) and node.id in ("inf", "nan") for node in ast.walk(output))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            ok = False
        if not ok:
            raise ConfigError(f"--data: {path}: item {row['id']} has code that does not parse or an output that is not a literal")
        items.append(CruxItem(row["id"], row["code"], row["input"], row["output"], expected, output_tree, statements, separable))
    if not items:
        raise ConfigError(f"--data: {path}: no CRUXEval items")
    if len({item.id for item in items}) != len(items):
        raise ConfigError(f"--data: {path}: an item id appears twice")
    return items


def load_generations(path: str | Path, items: list[CruxItem]) -> dict[str, list[str]]:
    """CRUXEval's generations file, ``{id: [prediction, ...]}``, checked against ``items``."""
    try:
        with Path(path).open(encoding="utf-8") as f:
            generations = json.load(f)
    except OSError as exc:
        raise ConfigError(f"--predictions: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"--predictions: {path} is not JSON: {exc}") from None
    if not isinstance(generations, dict):
        raise ConfigError(f"--predictions: {path} must be a JSON object {{item id: [prediction, ...]}}")
    missing = [item.id for item in items if item.id not in generations]
    unknown = sorted(set(generations) - {item.id for item in items})
    if missing or unknown:
        raise ConfigError(f"--predictions: {path} lacks {len(missing)} item(s) (e.g. {missing[:1]}) and has "
                          f"{len(unknown)} unknown (e.g. {unknown[:1]})")
    for key, samples in generations.items():
        if not isinstance(samples, list) or not samples or not all(isinstance(s, str) for s in samples):
            raise ConfigError(f"--predictions: {path}: {key} must be a non-empty list of strings")
    return generations


def _read_jsonl(path: str | Path) -> list[Any]:
    try:
        with Path(path).open(encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
    except OSError as exc:
        raise ConfigError(f"--data: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--data: {path} is not UTF-8 text") from None
    try:
        return [json.loads(line) for line in lines]
    except ValueError as exc:
        raise ConfigError(f"--data: {path} is not JSON lines: {exc}") from None


# -- one check


def plan_check(item: CruxItem, prediction: str, mode: str) -> Verdict | Program:
    """The verdict decided here without running anything, or the program whose value decides it."""
    if mode == "input" and "f(" not in prediction:
        return Verdict.fail("no_answer", "an input prediction must call f(...)")
    if mode == "output" and f"f({item.input})" in prediction:
        return Verdict.fail("execution_error", "refused: the output prediction calls f on the item's input")
    assertion = f"assert {item.output} == {prediction}"  # CRUXEval's check program is f"{code}\n{assertion}"
    check = assertion if item.separable else f"{item.code}\n{assertion}"
    try:
        tree = ast.parse(check)
        compile(tree, "<check>", "exec", dont_inherit=True)  # CRUXEval fails what does not compile
    except (SyntaxError, ValueError) as exc:
        return Verdict.fail("syntax_error", f"{type(exc).__name__}: {exc}")
    except (RecursionError, MemoryError):
        return Verdict.fail("syntax_error", "the check is too deeply nested to compile")
    tail = tree.body if item.separable else tree.body[item.statements:]
    test = tail[0].test if len(tail) == 1 and isinstance(tail[0], ast.Assert) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
            and ast.dump(test.left) == item.output_tree):
        return Verdict.fail("execution_error", "refused: the prediction changes the check `assert <output> == <prediction>`")
    value = test.comparators[0]
    source = ast.get_source_segment(check, value)
    try:  # the program returns `(\n<source>\n)`: check, do not trust, that it is the same expression
        same = ast.dump(ast.parse(f"(\n{source}\n)", mode="eval").body) == ast.dump(value)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    if not same:
        return Verdict.fail("execution_error", "refused: the prediction cannot be evaluated on its own")
    if mode == "input":
        return _arguments_program(item, value)
    code = f"{item.code}\n\n\ndef {ANSWER}():\n    return (\n{source}\n)\n"
    return Program(code, ANSWER)


def _arguments_program(item: CruxItem, value: ast.expr) -> Verdict | Program:
    """Input mode, first program: the prediction ``f(...)`` with :data:`~codegen_data.py.arguments.ENTRY`
    in place of the outer ``f``, so it returns the arguments instead of calling ``f`` on them (see
    :mod:`codegen_data.py.arguments`: the expected output is public, so the program that runs the
    prediction must not be the one whose report decides)."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "f"):
        return Verdict.fail("execution_error", "refused: an input prediction must be a call f(...)")
    written = literal_arguments(value)
    if written is not None:  # literals run no code: straight to the program that calls f
        return Program(item.code, "f", (written,))
    call = ast.Call(ast.Name(ENTRY, ast.Load()), value.args, value.keywords)
    try:
        source = ast.unparse(call)
        same = ast.dump(ast.parse(f"(\n{source}\n)", mode="eval").body) == ast.dump(call)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    if not same:
        return Verdict.fail("execution_error", "refused: the prediction cannot be evaluated on its own")
    return _Collect(f"{collector(item.code)}\n\ndef {ANSWER}():\n    return (\n{source}\n)\n", ANSWER)


@dataclass(frozen=True)
class _Collect(Program):
    """Input mode's first program: its result is the prediction's arguments (:func:`call_program`)."""


def call_program(item: CruxItem, result) -> Verdict | Program:
    """Input mode, second program: ``f`` called on the arguments the first program returned, parsed
    here as plain data, in a program that holds none of the prediction's code (or the verdict, when
    the first program did not return plain arguments)."""
    output = _returned(result, "arguments are")
    if isinstance(output, Verdict):
        return output
    arguments = arguments_source(output)
    if arguments is None:
        return Verdict.fail("wrong_answer", f"the prediction's arguments are not plain data: {output[:200]}")
    return Program(item.code, "f", (arguments,))


def _returned(result, what: str) -> str | Verdict:
    """What the program's one call returned (its repr), or the verdict when it returned nothing that
    can be plain data (``what`` names it in the message: ``"value is"`` or ``"arguments are"``)."""
    if result.status != "ok":
        return verdict_of_failure(result.status, result.error)
    call = result.calls[0]
    if call.exception == NOT_PLAIN:
        return Verdict.fail("wrong_answer", f"the prediction's {what} not plain data (builtin literals)")
    if not call.ok:
        return verdict_of_failure(call.status, call.exception)
    return call.output or ""


def judge(item: CruxItem, result) -> Verdict:
    """The verdict on a prediction from its program's result: its value must equal the item's output."""
    output = _returned(result, "value is")
    if isinstance(output, Verdict):
        return output
    ok, value = literal(output)
    if not ok:
        return Verdict.fail("wrong_answer", f"the prediction's value is not plain data: {output[:200]}")
    try:
        equal = item.expected == value
    except (RecursionError, MemoryError):
        equal = False
    return Verdict.ok() if equal is True else Verdict.fail("wrong_answer", f"got {output[:200]}, expected {item.output[:200]}")


# -- a whole run


def evaluate_cruxeval(
    data_path: str | Path,
    predictions_path: str | Path,
    *,
    mode: str,
    workers: int = 2,
    timeout: float = TIMEOUT,
    ks: tuple[int, ...] = KS,
) -> tuple[list[ItemResult], dict[str, Any]]:
    """Score CRUXEval generations as CRUXEval does: one item result per item, and the report's summary
    (``pass@1``, ``pass@5`` as fractions; ``checks`` counts the distinct programs run in the sandbox)."""
    items, planned, generations = _plan(data_path, predictions_path, mode)
    with CheckRunner(workers=workers, timeout=timeout, plain_outputs=True) as runner:
        verdicts, checks = _decide(runner, items, planned, mode)
    task = f"cruxeval-{mode}"
    out = [item_result(item.id, task, generations[item.id], row) for item, row in zip(items, verdicts)]
    summary = report_of(task, data_path, out, ks)["summary"]
    summary["checks"] = checks
    return out, summary


def _decide(runner: CheckRunner, items: list[CruxItem], planned: list[list[Verdict | Program]], mode: str) -> tuple[list[list[Verdict]], int]:
    """The verdicts of ``planned`` (a row per item, from :func:`plan_check`), and how many distinct
    programs ran: in input mode each first program's result plans a second (:func:`call_program`)."""
    programs = [p for row in planned for p in row if isinstance(p, Program)]
    results = dict(zip(programs, runner.run(programs)))
    checks = len(results)
    if mode == "input":
        planned = [[call_program(item, results[p]) if isinstance(p, _Collect) else p for p in row] for item, row in zip(items, planned)]
        calls = [p for row in planned for p in row if isinstance(p, Program) and p not in results]
        results.update(zip(calls, runner.run(calls)))
        checks += len(set(calls))
    return [[p if isinstance(p, Verdict) else judge(item, results[p]) for p in row] for item, row in zip(items, planned)], checks


def _plan(data_path: str | Path, predictions_path: str | Path, mode: str) -> tuple[list[CruxItem], list[list[Verdict | Program]], dict[str, list[str]]]:
    if mode not in MODES:
        raise ConfigError(f"--benchmark: CRUXEval mode must be one of {MODES}, got {mode!r}")
    items = load_cruxeval(data_path)
    generations = load_generations(predictions_path, items)
    planned = []
    for item in items:
        plans: dict[str, Verdict | Program] = {}  # the ten samples of an item are often the same text
        for prediction in generations[item.id]:
            if prediction not in plans:
                plans[prediction] = plan_check(item, prediction, mode)
        planned.append([plans[prediction] for prediction in generations[item.id]])
    return items, planned, generations


def compare_speed(
    data_path: str | Path,
    predictions_path: str | Path,
    *,
    mode: str = "output",
    sample: int | None = 300,
    workers: int = 2,
    seed: int = 0,
    repeats: int = 1,
) -> dict[str, Any]:
    """Checks per second, side by side in one run: the whole benchmark through our sandboxes; then a
    sample of its distinct checks (not those at the time limit) through our sandboxes and as
    CRUXEval's check program in one plain ``python3 -I`` subprocess each (pass = exit status 0), both
    with ``workers`` at a time, ``repeats`` times in turns: each rate is the median of its runs.
    ``sample=None``: every such check.

    The subprocess baseline is not confined: measure with known generations (CRUXEval's published
    ones), never with a model's fresh output."""
    items, planned, generations = _plan(data_path, predictions_path, mode)
    n_generations = sum(len(row) for row in planned)
    start = time.perf_counter()
    results, summary = evaluate_cruxeval(data_path, predictions_path, mode=mode, workers=workers)
    whole = time.perf_counter() - start

    # The sample: distinct checks the whole run sent to the sandbox, but for those that ran into the
    # time limit, which cost the full limit in any harness and would only measure the limit.
    slow = {(r.id, g) for r in results for g, f in zip(r.raw, r.failure) if f == "timeout"}
    distinct = {p: (item, g) for item, row in zip(items, planned) for p, g in zip(row, generations[item.id])
                if isinstance(p, Program) and (item.id, g) not in slow}
    pairs = random.Random(seed).sample(list(distinct.values()), len(distinct) if sample is None else min(sample, len(distinct)))
    runs: dict[str, list[float]] = {"sandbox_seconds": [], "subprocess_seconds": []}
    for _ in range(repeats):
        start = time.perf_counter()
        with CheckRunner(workers=workers, timeout=TIMEOUT, plain_outputs=True) as runner:
            decided, _ = _decide(runner, [item for item, _ in pairs], [[plan_check(item, g, mode)] for item, g in pairs], mode)
            ours = [row[0].passed for row in decided]
        runs["sandbox_seconds"].append(round(time.perf_counter() - start, 3))  # with the servers' start, as a run
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            plain = list(pool.map(lambda pair: _plain_check(*pair), pairs))
        runs["subprocess_seconds"].append(round(time.perf_counter() - start, 3))
    sandbox_seconds = statistics.median(runs["sandbox_seconds"])
    plain_seconds = statistics.median(runs["subprocess_seconds"])
    n = len(pairs)
    at_limit = sum(f == "timeout" for r in results for f in r.failure)
    # One subprocess per generation (no dedup), at the sample's rate, plus the time limit where it was hit.
    plain_whole = (n_generations - at_limit) / (n / plain_seconds) + at_limit * TIMEOUT / workers
    return {
        "benchmark": f"cruxeval-{mode}", "workers": workers, "generations": n_generations,
        "distinct_checks_run": summary["checks"], "whole_run_seconds": round(whole, 2),
        "whole_run_checks_per_s": round(n_generations / whole, 1),
        "whole_run_distinct_checks_per_s": round(summary["checks"] / whole, 1),
        "distinct_checks_at_time_limit": len(slow),
        "time_limit_floor_seconds": round(len(slow) * TIMEOUT * TIMEOUT_ATTEMPTS / workers, 1),  # each ran TIMEOUT_ATTEMPTS times
        "sample": n, "sample_runs": runs,
        "sample_sandbox_checks_per_s": round(n / sandbox_seconds, 1),
        "sample_subprocess_checks_per_s": round(n / plain_seconds, 1),
        "sample_same_verdicts": sum(a == b for a, b in zip(ours, plain)),
        "speedup_same_checks": round(plain_seconds / sandbox_seconds, 1),
        "whole_run_subprocess_estimate_seconds": round(plain_whole, 1),
        "speedup_whole_run": round(plain_whole / whole, 1),
        "pass@1": summary["pass@1"],
    }


def _plain_check(item: CruxItem, prediction: str) -> bool:
    """CRUXEval's check program in one plain ``python3 -I`` process: the speed baseline, NOT confined
    (run it on known generations only, such as CRUXEval's published ones)."""
    check = f"{item.code}\nassert {item.output} == {prediction}"
    with tempfile.TemporaryDirectory() as cwd:
        try:
            done = subprocess.run([sys.executable, "-I", "-c", check], capture_output=True, timeout=TIMEOUT, cwd=cwd,
                                  check=False)
        except subprocess.TimeoutExpired:
            return False
    return done.returncode == 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="CRUXEval checks/s through the sandbox vs one subprocess per check")
    parser.add_argument("data")
    parser.add_argument("predictions")
    parser.add_argument("--mode", choices=MODES, default="output")
    parser.add_argument("--sample", type=int, default=300, help="distinct checks timed (0: all of them)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(compare_speed(args.data, args.predictions, mode=args.mode, sample=args.sample or None, workers=args.workers,
                                   repeats=args.repeats), indent=2))
