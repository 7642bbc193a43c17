"""Public code benchmarks, scored the way their own harnesses score them, every check in the sandbox.

``evaluate_cruxeval(data, generations, mode="output"|"input")`` reproduces CRUXEval's
``evaluate_generations.py``; ``evaluate_humaneval(problems, samples)`` reproduces HumanEval's
``evaluate_functional_correctness``. Both return ``(items, summary)``: one
:class:`~codegen_data.evaluate.ItemResult` per benchmark item (its predictions in file order) and the
summary of :func:`~codegen_data.evaluate.build_report` (pass@k as fractions). :func:`benchmark_report`
is the whole ``codegen-data evaluate --benchmark NAME`` report.

A prediction's program runs in its own confined process of a :class:`~codegen_data.sandbox.Sandbox`,
never here; :class:`CheckRunner` spreads the programs over a few sandboxes and runs identical programs
once (CRUXEval's ten samples of an item are often the same text).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._processes import cpu_slots
from ..evaluate import ItemResult, build_report, write_report
from ..sandbox import ProgramResult, Sandbox
from ..scoring import TIMEOUT_ATTEMPTS, Verdict, ran_out
from ..task import ConfigError

__all__ = [
    "BENCHMARKS", "CheckRunner", "Program", "benchmark_report", "compare_speed", "evaluate_cruxeval",
    "evaluate_humaneval",
]


@dataclass(frozen=True)
class Program:
    """A program to run in the sandbox: load ``code``, then call ``entry(<input>)`` once per input.

    The call's ``repr`` comes back to the parent, which judges it there: a hostile program can forge
    what it reports about itself, so what it reports should be a value, never a verdict.
    """

    code: str
    entry: str
    inputs: tuple[str, ...] = ("",)


def item_result(id: str, task: str, predictions: Sequence[str], verdicts: Sequence[Verdict]) -> ItemResult:
    """The report's item: a benchmark's predictions are scored as written (``extracted`` is ``raw``)."""
    return ItemResult(id=id, task=task, passed=[v.passed for v in verdicts], failure=[v.failure for v in verdicts],
                      error=[v.error for v in verdicts], raw=list(predictions), extracted=list(predictions))


def report_of(benchmark: str, data_path: str | Path, items: list[ItemResult], ks: Sequence[int]) -> dict[str, Any]:
    """:func:`build_report` for a benchmark; its ``manifest_sha256`` is the data file's sha256."""
    try:
        digest = hashlib.sha256(Path(data_path).read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"--data: cannot read {data_path}: {exc.strerror or exc}") from None
    dataset = {"name": benchmark, "manifest_sha256": digest, "data": Path(data_path).name}
    return build_report(items, dataset=dataset, ks=ks)


def _ran_out(result: ProgramResult) -> bool:
    """The program, or one of its calls, ran out of time (:func:`~codegen_data.scoring.ran_out`): run it
    again. A program that crashed by itself is not."""
    return ran_out(result.status, result.error) or any(call.status == "timeout" for call in result.calls)


def verdict_of_failure(status: str, detail: str | None) -> Verdict:
    """The verdict on a program or call that did not return a value (``status`` is not ``ok``)."""
    detail = detail or status
    if ran_out(status, detail):
        return Verdict.fail("timeout", detail)
    if detail.startswith(("SyntaxError", "IndentationError", "TabError")):
        return Verdict.fail("syntax_error", detail)
    return Verdict.fail("execution_error", detail)


_CHUNK = 8
"""Programs a sandbox takes at a time (:meth:`Sandbox.run_many`: each still in a child of its own)."""


class CheckRunner:
    """Runs programs over ``workers`` sandboxes in parallel, one confined process per distinct program.

    >>> with CheckRunner(workers=2, timeout=3.0) as runner:
    ...     results = runner.run([Program("def f(): return 1 + 1", "f")] * 10)  # runs once
    >>> results[9].calls[0].output
    '2'

    Each worker is a thread driving its own :class:`Sandbox` (a separate server process, so threads
    suffice), ``_CHUNK`` programs per request (one confined child each); identical programs (same
    code, entry and inputs) run once and share their result. A program that runs out of time runs
    again, up to :data:`~codegen_data.scoring.TIMEOUT_ATTEMPTS` times in all (a stall of the machine
    must not fail it).
    """

    def __init__(self, *, workers: int = 2, timeout: float = 3.0, memory_mb: int = 512, output_limit: int = 1_000_000,
                 plain_outputs: bool = False):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ConfigError(f"--workers must be a positive integer, got {workers!r}")
        self.workers = workers
        self.options = {"timeout": timeout, "memory_mb": memory_mb, "output_limit": output_limit,
                        "plain_outputs": plain_outputs}
        self._sandboxes: list[Sandbox] = []

    def run(self, programs: Sequence[Program]) -> list[ProgramResult]:
        """One result per program, in order; a program that appears more than once runs once."""
        unique = list(dict.fromkeys(programs))
        results = self._run_unique(unique)
        return [results[program] for program in programs]

    def _run_unique(self, unique: list[Program]) -> dict[Program, ProgramResult]:
        if not unique:
            return {}
        workers = min(self.workers, len(unique))
        cpus = cpu_slots(workers)
        while len(self._sandboxes) < workers:
            self._sandboxes.append(Sandbox(**self.options, cpu=cpus[len(self._sandboxes)]))
        results: dict[Program, ProgramResult] = {}
        lock = threading.Lock()

        def drain(sandbox: Sandbox, pending: Iterator[Program]) -> None:
            while True:
                with lock:
                    chunk = list(itertools.islice(pending, _CHUNK))
                if not chunk:
                    return
                done = sandbox.run_many([(p.code, p.entry, list(p.inputs)) for p in chunk])
                results.update(zip(chunk, done))

        todo = unique
        for _ in range(TIMEOUT_ATTEMPTS):  # what ran out of time runs again (see TIMEOUT_ATTEMPTS)
            pending = iter(todo)
            with ThreadPoolExecutor(workers) as pool:
                for future in [pool.submit(drain, sandbox, pending) for sandbox in self._sandboxes[:min(workers, len(todo))]]:
                    future.result()  # our own errors (a sandbox that cannot start) surface here
            todo = [program for program in todo if _ran_out(results[program])]
            if not todo:
                break
        return results

    def close(self) -> None:
        for sandbox in self._sandboxes:
            sandbox.close()
        self._sandboxes.clear()

    def __enter__(self) -> CheckRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _cruxeval_output(data_path, predictions_path, **options):
    from .cruxeval import evaluate_cruxeval

    return evaluate_cruxeval(data_path, predictions_path, mode="output", **options)


def _cruxeval_input(data_path, predictions_path, **options):
    from .cruxeval import evaluate_cruxeval

    return evaluate_cruxeval(data_path, predictions_path, mode="input", **options)


def _humaneval(data_path, predictions_path, **options):
    from .humaneval import evaluate_humaneval

    return evaluate_humaneval(data_path, predictions_path, **options)


BENCHMARKS: dict[str, tuple[Callable[..., tuple[list[ItemResult], dict[str, Any]]], tuple[int, ...]]] = {
    "cruxeval-output": (_cruxeval_output, (1, 5)),
    "cruxeval-input": (_cruxeval_input, (1, 5)),
    "humaneval": (_humaneval, (1, 10, 100)),
}
"""``--benchmark`` name -> (``fn(data, predictions, *, workers, ks) -> (items, summary)``, its default ks)."""


def benchmark_report(
    benchmark: str,
    data_path: str | Path,
    predictions_path: str | Path,
    *,
    workers: int = 2,
    ks: Sequence[int] | None = None,
    timeout: float | None = None,
    out: Path | None = None,
) -> dict[str, Any]:
    """The report of ``codegen-data evaluate --benchmark NAME --data D --predictions P`` (written to
    ``out`` when given); ``ks`` and ``timeout`` default to the benchmark's own harness's."""
    if benchmark not in BENCHMARKS:
        raise ConfigError(f"--benchmark must be one of {', '.join(BENCHMARKS)}, got {benchmark!r}")
    evaluate, default_ks = BENCHMARKS[benchmark]
    options = {} if timeout is None else {"timeout": timeout}
    items, _ = evaluate(data_path, predictions_path, workers=workers, ks=tuple(ks or default_ks), **options)
    report = report_of(benchmark, data_path, items, tuple(ks or default_ks))
    if out is not None:
        write_report(report, out)
    return report


def __getattr__(name: str) -> Any:
    # The benchmark modules import this one; loading them on first use keeps
    # ``python -m codegen_data.benchmarks.cruxeval`` free of a double import.
    if name in ("evaluate_cruxeval", "compare_speed"):
        from . import cruxeval

        return getattr(cruxeval, name)
    if name == "evaluate_humaneval":
        from .humaneval import evaluate_humaneval

        return evaluate_humaneval
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
