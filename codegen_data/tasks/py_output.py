"""py_output: a function and a call -> the value the call returns (CRUXEval-O style).

Example record (abridged)::

    {"task": "py_output", "entry_point": "f", "input": "'héllo', 2",
     "code": "def f(s: str, k: int) -> str:\\n    ...",
     "answer": "'HÉLLO!!'", "tests": [{"input": "'héllo', 2", "output": "'HÉLLO!!'"}, ...],
     "difficulty": "easy", "features": ["for_loop", "str_method", ...], "meta": {...}}

The answer is a Python literal; it is compared as a value, so ``"a"`` and ``'a'`` agree.
"""

from __future__ import annotations

from typing import Any

from ..py.base import ProgramCandidate, ProgramExecution, ProgramTask

PROMPT = """Here is a Python function:

```python
{code}```

What does `{call}` return? Reply with the returned value as a Python literal only."""


class PyOutput(ProgramTask):
    name = "py_output"
    description = "Python function + a call -> the value it returns (CRUXEval-O style), checked as a literal value."

    def to_record(self, index: int, candidate: ProgramCandidate, execution: ProgramExecution) -> dict[str, Any]:
        p = candidate.program
        tests = self.tests_of(candidate, execution)
        returning = [t for t in tests if "output" in t]
        chosen = self.rng(index, "call").choice(returning)
        return self.base_record(
            index, candidate,
            prompt=PROMPT.format(code=p.code, call=f"{p.entry_point}({chosen['input']})"),
            answer=chosen["output"],
            tests=tests,
            extra={"input": chosen["input"]},
        )


TASK = PyOutput
