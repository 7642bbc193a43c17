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

    def input_count(self) -> int:
        return VISIBLE + self.config.hidden_tests

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
