"""``humaneval``: ``py_synthesis`` records as HumanEval problems; other tasks are skipped.

``prompt`` is the reference's helper functions (if any), then the entry point's ``def`` line and a
docstring holding the description and the visible examples as doctests, ending where the body
starts; ``canonical_solution`` is the reference's body; ``test`` defines ``check(candidate)`` over
the hidden tests (a test that raises on purpose expects that exception). As the HumanEval harness
does, ``prompt + canonical_solution + "\\n" + test + "\\n" + f"check({entry_point})"`` runs and
passes.

Example row (abridged)::

    {"task_id": "codegen_data/py_synthesis-02551f8cbc5602f8",
     "prompt": "def divide(xs: list[int], m: int) -> tuple[int, int]:\\n    \\"\\"\\"Raise a ValueError ...\\n\\n    >>> divide([], -3)\\n    (0, 0)\\n    ...\\"\\"\\"\\n",
     "canonical_solution": "    for x2 in xs:\\n ...",
     "test": "def check(candidate):\\n    assert candidate([5], 0) == (0, 0)\\n    try:\\n ...",
     "entry_point": "divide", "id": "py_synthesis-02551f8cbc5602f8", "metadata": {...}}
"""

from __future__ import annotations

import ast
import builtins
from typing import Any

from ...tasks.py_synthesis import example_text
from . import ExportFormat, Skip, passthrough

HARNESS_NAMES = frozenset({"check", "candidate"})
"""Names the test code defines; a program that defines one at top level would be shadowed by it."""


def _docstring(description: str, examples: list[dict[str, str]], entry_point: str, indent: str) -> str:
    text = description + "\n\n" + "\n".join(example_text(entry_point, t) for t in examples)
    # Escaped so that the docstring's value is the text itself whatever quotes and backslashes it holds.
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [f"{indent}{line}" if line else "" for line in text.split("\n")]
    lines[0] = lines[0][len(indent):]
    return f'{indent}"""' + "\n".join(lines) + f'\n{indent}"""\n'


def _is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


def check_function(tests: list[dict[str, str]]) -> str:
    """``def check(candidate)`` asserting every test: equal return values, or the exception raised."""
    lines = ["def check(candidate):"]
    for t in tests:
        call = f"candidate({t['input']})"
        if "raises" not in t:
            lines.append(f"    assert {call} == {t['output']}")
            continue
        name = t["raises"]
        if _is_builtin_exception(name):
            lines += ["    try:", f"        {call}", f"    except {name}:", "        pass"]
        else:
            lines += ["    try:", f"        {call}", "    except Exception as exc:",
                      f"        assert type(exc).__name__ == {name!r}"]
        lines += ["    else:", f"        raise AssertionError({f'expected {name} from {call}'!r})"]
    return "\n".join(lines) + "\n"


def split_program(code: str, entry_point: str) -> tuple[str, str, str] | Skip:
    """(the other top-level code, the entry point's header lines, its body), each as source text."""
    tree = ast.parse(code)
    entries = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry_point]
    if len(entries) != 1:
        return Skip("no single entry point definition")
    entry = entries[0]
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    if defined & HARNESS_NAMES:
        return Skip("defines a name the test code uses")
    first = min([entry.lineno] + [d.lineno for d in entry.decorator_list])
    body_start = entry.body[0].lineno
    if isinstance(entry.body[0], ast.Expr) and isinstance(entry.body[0].value, ast.Constant) \
            and isinstance(entry.body[0].value.value, str):
        return Skip("entry point already has a docstring")
    if body_start == entry.lineno:
        return Skip("entry point body on its def line")
    lines = code.splitlines(keepends=True)
    end = entry.end_lineno or len(lines)
    header = "".join(lines[first - 1:body_start - 1])
    body = "".join(lines[body_start - 1:end])
    others = "".join(lines[:first - 1] + lines[end:]).strip("\n")
    return others, header, body if body.endswith("\n") else body + "\n"


class HumanEval(ExportFormat):
    name = "humaneval"
    description = "HumanEval problems (task_id, prompt, canonical_solution, test, entry_point) from py_synthesis records."

    def row(self, record: dict[str, Any]) -> dict[str, Any] | Skip:
        if record.get("task") != "py_synthesis":
            return Skip(f"{record.get('task')} has no HumanEval form")
        parts = split_program(record["answer"], record["entry_point"])
        if isinstance(parts, Skip):
            return parts
        others, header, body = parts
        indent = body[: len(body) - len(body.lstrip(" \t"))]
        prompt = (others + "\n\n\n" if others else "") + header + _docstring(
            record["description"], record["examples"], record["entry_point"], indent
        )
        return {
            "task_id": f"codegen_data/{record['id']}",
            "prompt": prompt,
            "canonical_solution": body,
            "test": check_function(record["tests"]),
            "entry_point": record["entry_point"],
            "id": record["id"],
            "metadata": passthrough(record),
        }


FORMAT = HumanEval
