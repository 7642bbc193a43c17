"""The program tasks' shared checks agree with their plain definitions."""

from __future__ import annotations

import ast
import random

import pytest

from codegen_data.py.base import ProgramCandidate, literal_round_trips
from codegen_data.py.generator import Program
from codegen_data.registry import get_task


def _by_definition(text: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return repr(value) == text


TRICKY = [
    "0", "-0", "00", "01", "-5", "+5", "1_000", "9" * 18, "-" + "9" * 18, "9" * 19, "9" * 5000, "True", "False",
    "None", "true", "[]", "[ ]", "[1, 2]", "[1,2]", "[1, 2,]", "[-0]", "[0, -1]", "['a', 'b']", "['a','b']",
    "[\"a\"]", "['a', 1]", "'a'", "\"a\"", "'a\\'", "'a''b'", "'é'", "'a b-c|d'", "''", "{}", "{ }", "{'a': 1}",
    "(1, 2)", "()", "[[1]]", "1.0", "-1.5", "'\\n'", "",
]  # fmt: skip


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")  # the parser warns about fuzz
def test_literal_round_trips_is_its_definition():
    rng = random.Random(0)
    alphabet = "0123456789-[]{}', aZ_.|!:;TrueFalseNone\\\""
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10))) for _ in range(20000)]
    for text in TRICKY + fuzz:
        assert literal_round_trips(text) == _by_definition(text), text


def _candidate(code: str, inputs: tuple[str, ...]) -> ProgramCandidate:
    program = Program(code=code, entry_point="f", signature="def f(x):", description="", params=(("x", "int"),),
                      returns="object", inputs=inputs, features=(), difficulty="easy", raises=False)
    return ProgramCandidate(0, program, inputs)


def test_the_second_hash_seed_runs_after_the_first_and_only_for_programs_that_completed():
    cls = get_task("py_output")
    task = cls(cls.config_class(), seed=0)
    inputs = ("1", "2", "3")
    steady = _candidate("def f(x):\n    return x + 1\n", inputs)
    by_hash = _candidate("def f(x):\n    return ''.join({'alpha', 'beta', 'gamma', 'delta', 'epsilon', str(x)})\n", inputs)
    crashing = _candidate("def f(x):\n    return x // 0\n", inputs)
    executions = task.execute_many([steady, by_hash, crashing])
    assert executions[2].second is None  # it did not complete: no second run
    assert task.check_program(crashing, executions[2]).reason == "call_error"
    assert executions[0].second is not None and task.check_program(steady, executions[0]) is None
    assert executions[1].second is not None  # completed, so it ran again: and the other seed changed its order
    assert task.check_program(by_hash, executions[1]).reason == "nondeterministic"
