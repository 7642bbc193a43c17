"""py_synthesis: an English description, a signature and 3 examples -> a function; hidden tests decide.

Example record (abridged)::

    {"task": "py_synthesis", "entry_point": "longest_words",
     "signature": "def longest_words(words: list[str], k: int) -> list[str]:",
     "description": "Return the words that are longer than k, in reverse order.",
     "examples": [{"input": "['ab', 'abc'], 2", "output": "['abc']"}, ...],
     "tests": [ten hidden tests], "answer": "<reference solution>", ...}

Programs may raise on purpose for some inputs (the description says when); such a test records
``raises`` (the exception's type name) instead of ``output``.
"""

from __future__ import annotations

from typing import Any

from ..py.base import ProgramCandidate, ProgramExecution, ProgramTask
from ..task import Reject

PROMPT = """Write a Python function with this signature:

{signature}

{description}

Examples:
{examples}

Reply with the complete function definition (helper functions are allowed)."""

VISIBLE = 3


def example_text(entry_point: str, test: dict[str, str]) -> str:
    call = f">>> {entry_point}({test['input']})"
    if "raises" in test:
        return f"{call}\nTraceback (most recent call last):\n  ...\n{test['raises']}"
    return f"{call}\n{test['output']}"


def split_examples(tests: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The visible examples, chosen to show different outcomes where there are, and the hidden rest."""
    seen: set[str] = set()
    visible: list[int] = []
    for i, t in enumerate(tests):
        outcome = t.get("output", "raises " + t.get("raises", ""))
        if outcome not in seen and len(visible) < VISIBLE:
            seen.add(outcome)
            visible.append(i)
    for i in range(len(tests)):
        if len(visible) >= VISIBLE:
            break
        if i not in visible:
            visible.append(i)
    visible.sort()
    return [tests[i] for i in visible], [t for i, t in enumerate(tests) if i not in visible]


class PySynthesis(ProgramTask):
    name = "py_synthesis"
    description = "English description + signature + 3 examples -> a Python function, judged by 10 hidden tests."
    allow_raise = True

    verification_text = ProgramTask.verification_text + (
        " Synthesis items' hidden tests alone also return at least two distinct outputs, so that no "
        "function ignoring its input passes them."
    )

    def input_count(self) -> int:
        return VISIBLE + self.config.hidden_tests

    def modeled_triviality(self, modeled: tuple[str, ...], wanted: int) -> Reject | None:
        """The shared early check, then :meth:`extra_verify`'s on the model's outcomes (the same split)."""
        early = super().modeled_triviality(modeled, wanted)
        if early is not None or len(modeled) < wanted:
            return early
        tests = [{"output": m[3:]} if m.startswith("ok:") else {"raises": m.partition(":")[2]} for m in modeled]
        return self.hidden_triviality(split_examples(tests)[1])

    def extra_verify(self, candidate: ProgramCandidate, execution: ProgramExecution) -> Reject | None:
        """The hidden tests, once the examples are taken out, still tell inputs apart: the examples show
        each outcome's first test, so a program with one common output and a few rare ones could
        leave only the common one hidden, which a function returning that constant would pass."""
        return self.hidden_triviality(split_examples(self.tests_of(candidate, execution))[1])

    def hidden_triviality(self, hidden: list[dict[str, str]]) -> Reject | None:
        outputs = {t["output"] for t in hidden if "output" in t}
        if len(outputs) < self.outputs_needed(len(hidden)):
            return Reject("constant_hidden_tests", f"the hidden tests return {len(outputs)} distinct output(s)")
        return None

    def to_record(self, index: int, candidate: ProgramCandidate, execution: ProgramExecution) -> dict[str, Any]:
        p = candidate.program
        examples, hidden = split_examples(self.tests_of(candidate, execution))
        return self.base_record(
            index, candidate,
            prompt=PROMPT.format(
                signature=p.signature, description=p.description,
                examples="\n".join(example_text(p.entry_point, t) for t in examples),
            ),
            answer=p.code,
            tests=hidden,
            extra={"signature": p.signature, "description": p.description, "examples": examples},
        )


TASK = PySynthesis
