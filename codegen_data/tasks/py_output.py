"""py_output: a function and a call -> the value the call returns (CRUXEval-O style).

Example record (abridged)::

    {"task": "py_output", "entry_point": "f", "input": "'héllo', 2",
     "code": "def f(s: str, k: int) -> str:\\n    ...",
     "answer": "'HÉLLO!!'", "tests": [{"input": "'héllo', 2", "output": "'HÉLLO!!'"}, ...],
     "difficulty": "easy", "features": ["for_loop", "str_method", ...], "meta": {...}}

The answer is a Python literal; it is compared as a value, so ``"a"`` and ``'a'`` agree.
"""

from __future__ import annotations

import ast
from typing import Any

from ..py.base import ProgramCandidate, ProgramExecution, ProgramTask
from ..scoring import Verdict

PROMPT = """Here is a Python function:

```python
{code}```

What does `{call}` return? Reply with the returned value as a Python literal only."""


class PyOutput(ProgramTask):
    name = "py_output"
    description = "Python function + a call -> the value it returns (CRUXEval-O style), checked as a literal value."

    @classmethod
    def score(cls, record: dict[str, Any], answer: str, scorer: Any) -> Verdict:
        """The answer is a literal of the same value (and type) as the output; nothing is executed."""
        try:
            value = ast.literal_eval(answer)
            shown = repr(value)  # an int past Python's digit cap (written in hex) fails here
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            if "integer string conversion" in str(exc.args[0] if exc.args else ""):  # Python's cap on int digits
                return Verdict.fail("wrong_answer", "an integer of more digits than Python converts to text (4300 by"
                                    " default): no output has one")
            return Verdict.fail("syntax_error", f"not a Python literal: {type(exc).__name__}")
        return Verdict.ok() if shown == record["answer"] else Verdict.fail("wrong_answer", f"{shown} != {record['answer']}")

    def to_record(self, index: int, candidate: ProgramCandidate, execution: ProgramExecution) -> dict[str, Any]:
        p = candidate.program
        tests = self.tests_of(candidate, execution)
        chosen = self.chosen_call(index, tests)
        return self.base_record(
            index, candidate,
            prompt=PROMPT.format(code=p.code, call=f"{p.entry_point}({chosen['input']})"),
            answer=chosen["output"],
            tests=tests,
            extra={"input": chosen["input"]},
        )


TASK = PyOutput
