"""py_input: a function and an output -> arguments for which it returns that output (CRUXEval-I style).

Any arguments that produce the output are right, so a prediction is checked by executing it in the
sandbox, in two programs (:mod:`codegen_data.py.arguments`): the first evaluates the predicted
arguments, the second calls the function on them without any of the prediction's code, as the expected
output is in the prompt and a program running the prediction could forge its own report. The reference
``answer`` is the input the output was made from.

Example record (abridged)::

    {"task": "py_input", "entry_point": "f", "output": "[3, 1]",
     "answer": "[1, 3], True", "tests": [{"input": "[1, 3], True", "output": "[3, 1]"}, ...], ...}
"""

from __future__ import annotations

import ast
from typing import Any

from ..py import arguments
from ..py.base import ProgramCandidate, ProgramExecution, ProgramTask
from ..scoring import Verdict, ran_out

PROMPT = """Here is a Python function:

```python
{code}```

Find arguments for which `{entry_point}(...)` returns `{output}`. Reply with the arguments only, as
Python source you would write between the parentheses of the call (for example `[1, 2], 'a'`)."""


class PyInput(ProgramTask):
    name = "py_input"
    description = "Python function + an output -> arguments that produce it (CRUXEval-I style), checked by execution."

    @classmethod
    def score(cls, record: dict[str, Any], answer: str, scorer: Any):
        """The predicted arguments, evaluated in the sandbox, make the function return the output there."""
        try:
            call = ast.parse(f"f(\n{answer}\n)", mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            call = None
        written = arguments.literal_arguments(call) if isinstance(call, ast.Call) else None
        if written is not None:  # literals run no code: straight to the program that calls the function
            return cls.run_tests(record["code"], record["entry_point"], [{"input": written, "output": record["output"]}], scorer)
        first = scorer.sandbox.run(arguments.collector(record["code"]), arguments.ENTRY, [answer])
        call = first.calls[0] if first.status == "ok" and first.calls else None
        status, detail = (call.status, call.exception) if call is not None else (first.status, first.error)
        if ran_out(status, detail if call is None else first.error):
            return Verdict.fail("timeout", detail or status)
        if status != "ok":
            kind = "syntax_error" if (detail or "").startswith(("SyntaxError", "IndentationError")) else "execution_error"
            return Verdict.fail(kind, f"the arguments {answer[:100]} raised {detail or status}")
        source = arguments.arguments_source(call.output)
        if source is None:
            return Verdict.fail("wrong_answer", f"the arguments are not plain data (builtin literals): {(call.output or '')[:200]}")
        return cls.run_tests(record["code"], record["entry_point"], [{"input": source, "output": record["output"]}], scorer)

    def to_record(self, index: int, candidate: ProgramCandidate, execution: ProgramExecution) -> dict[str, Any]:
        p = candidate.program
        tests = self.tests_of(candidate, execution)
        chosen = self.chosen_call(index, tests)
        return self.base_record(
            index, candidate,
            prompt=PROMPT.format(code=p.code, entry_point=p.entry_point, output=chosen["output"]),
            answer=chosen["input"],
            tests=tests,
            extra={"output": chosen["output"]},
        )


TASK = PyInput
