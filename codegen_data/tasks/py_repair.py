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

from typing import Any

from ..py.base import ProgramCandidate, ProgramExecution, ProgramTask
from ..py.mutate import mutants
from ..task import Reject

PROMPT = """This Python function has a bug:

```python
{buggy}```

It fails this test:

>>> {entry_point}({input})
expected: {expected}
got:      {actual}

Fix the bug. Reply with the complete corrected function definition."""


class PyRepair(ProgramTask):
    name = "py_repair"
    description = "Buggy Python function + a failing test -> the fixed function, judged by 10 hidden tests."

    def input_count(self) -> int:
        return self.config.hidden_tests

    def extra_verify(self, candidate: ProgramCandidate, execution: ProgramExecution) -> Reject | None:
        """Find a mutant that fails at least one hidden test by returning a wrong value or raising."""
        p = candidate.program
        expected = self.tests_of(candidate, execution)
        rng = self.rng(candidate.index, "mutants")
        for code, kind in mutants(rng, p):
            result = self.run(code, p.entry_point, candidate.inputs)
            if result.status != "ok":
                continue  # a mutant that hangs or dies shows no clear failing test
            for test, call in zip(expected, result.calls):
                if call.status == "ok" and call.output != test.get("output"):
                    actual = call.output
                elif call.status == "error" and call.exception != test.get("raises"):
                    actual = f"raises {call.exception}"
                else:
                    continue
                candidate.extra.update(buggy_code=code, bug_kind=kind,
                                       failing_test={**test, "actual": actual})
                return None
        return Reject("no_failing_mutant")

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
