"""py_repair: a buggy function and a test it fails -> the fixed function; hidden tests decide.

The bug is one realistic mutation of a verified program (an operator, bound, constant, method or
condition changed). The reference fix (the original program) passes every hidden test; the mutant
fails at least one, and the prompt shows one it fails.

Example record (abridged)::

    {"task": "py_repair", "buggy_code": "...range(1, len(xs))...", "bug_kind": "off_by_one",
     "failing_test": {"input": "[4, 5]", "output": "9", "actual": "5"},
     "answer": "<the original function>", "tests": [ten hidden tests], ...}
"""

from __future__ import annotations

import itertools
from typing import Any

from ..py.base import ProgramCandidate, ProgramExecution, ProgramTask
from ..py.mutate import iter_mutants
from ..sandbox import ProgramResult
from ..task import Reject

PROMPT = """This Python function has a bug:

```python
{buggy}```

It fails this test:

>>> {entry_point}({input})
expected: {expected}
got:      {actual}

Fix the bug. Reply with the complete corrected function definition."""

MUTANT_ROUNDS = (1, 2, 5, None)
"""How many of a program's mutants have run after each round, None for all (a round is one more
sandboxed batch). The first mutant fails a test for 86% of programs and one of the first two for
96%: a second mutant run beside every first one was wasted six times out of seven."""


def _failure(expected: list[dict[str, str]], result: ProgramResult) -> tuple[dict[str, str], str] | None:
    """The first hidden test a mutant's run fails by returning a wrong value or raising, and what it gave."""
    if result.status != "ok":
        return None  # a mutant that hangs or dies shows no clear failing test
    for test, call in zip(expected, result.calls):
        if call.status == "ok" and call.output != test.get("output"):
            return test, call.output  # type: ignore[return-value]  # an ok call has an output
        if call.status == "error" and call.exception != test.get("raises"):
            return test, f"raises {call.exception}"
    return None


class PyRepair(ProgramTask):
    name = "py_repair"
    description = "Buggy Python function + a failing test -> the fixed function, judged by 10 hidden tests."

    def input_count(self) -> int:
        return self.config.hidden_tests

    def extra_verify(self, candidate: ProgramCandidate, execution: ProgramExecution) -> Reject | None:
        return self.extra_verify_many([(candidate, execution)])[0]

    def extra_verify_many(self, pairs: list[tuple[ProgramCandidate, ProgramExecution]]) -> list[Reject | None]:
        """For each program, the first of its mutants (in :func:`mutants` order) that fails at least one
        hidden test by returning a wrong value or raising. The mutants of all the programs run in
        batches, a few of each program's first; later ones are made and run only for programs still
        without a failing one."""
        todo = [(candidate, self.tests_of(candidate, execution),
                 iter_mutants(self.rng(candidate.index, "mutants"), candidate.program)) for candidate, execution in pairs]
        failing: list[tuple[str, str, tuple[dict[str, str], str]] | None] = [None] * len(todo)
        start = 0
        for stop in MUTANT_ROUNDS:
            drawn = {k: list(itertools.islice(found, None if stop is None else stop - start))
                     for k, (_, _, found) in enumerate(todo) if failing[k] is None}
            programs = [(code, todo[k][0].program.entry_point, list(todo[k][0].inputs))
                        for k, batch in drawn.items() for code, _ in batch]
            results = iter(self.sandbox(0).run_batch(programs) if programs else [])
            for k, batch in drawn.items():
                for code, kind in batch:
                    result = next(results)
                    if failing[k] is None and (actual := _failure(todo[k][1], result)) is not None:
                        failing[k] = (code, kind, actual)
            if stop is None or not programs:
                break
            start = stop
        verdicts: list[Reject | None] = []
        for (candidate, _, _), bug in zip(todo, failing):
            if bug is None:
                verdicts.append(Reject("no_failing_mutant"))
                continue
            code, kind, (test, actual) = bug
            candidate.extra.update(buggy_code=code, bug_kind=kind, failing_test={**test, "actual": actual})
            verdicts.append(None)
        return verdicts

    def to_record(self, index: int, candidate: ProgramCandidate, execution: ProgramExecution) -> dict[str, Any]:
        p = candidate.program
        failing = candidate.extra["failing_test"]
        expected = failing.get("output", f"raises {failing.get('raises')}")
        return self.base_record(
            index, candidate,
            prompt=PROMPT.format(buggy=candidate.extra["buggy_code"], entry_point=p.entry_point,
                                 input=failing["input"], expected=expected, actual=failing["actual"]),
            answer=p.code,
            tests=self.tests_of(candidate, execution),
            extra={"buggy_code": candidate.extra["buggy_code"], "bug_kind": candidate.extra["bug_kind"],
                   "failing_test": failing},
        )


TASK = PyRepair
