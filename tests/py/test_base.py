"""The program tasks' shared checks agree with their plain definitions."""

from __future__ import annotations

import ast
import random

import pytest

from codegen_data.py.base import ProgramCandidate, literal_round_trips
from codegen_data.py.generator import Program
from codegen_data.registry import get_task
from codegen_data.task import Reject


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


def _task(**options):
    cls = get_task("py_output")
    return cls(cls.config_class(**options), seed=0)


@pytest.mark.parametrize("modeled, wanted, chosen", [
    (("ok:1", "ok:2", "ok:1", "ok:3"), 3, [0, 1, 2]),  # the first ones already tell inputs apart
    (("ok:0", "ok:0", "ok:0", "ok:0", "ok:0", "ok:0", "ok:7", "ok:8"), 5, [0, 1, 2, 3, 6]),
    (("ok:0", "raise:ValueError", "ok:0", "ok:0", "raise:ValueError", "ok:0"), 3, [0, 1, 2]),  # nothing new later
    (("raise:ValueError", "raise:ValueError", "raise:ValueError", "ok:1", "ok:2"), 3, [0, 3, 4]),  # one raise stays
    (("ok:0", "ok:0"), 3, [0, 1, 2]),  # no model for every input: the first ones
])
def test_inputs_are_the_first_unless_their_outputs_are_all_the_same(modeled, wanted, chosen):
    assert _task().choose_inputs(modeled, wanted) == chosen


def test_inputs_are_chosen_until_there_are_enough_distinct_outputs():
    modeled = ("ok:0", "ok:0", "ok:0", "ok:0", "ok:1", "ok:1", "ok:2", "ok:3")
    assert _task(min_distinct_outputs=3).choose_inputs(modeled, 4) == [0, 1, 4, 6]
    assert _task(min_distinct_outputs=4).choose_inputs(modeled, 4) == [0, 4, 6, 7]


def test_a_program_constant_on_its_first_inputs_is_kept_with_one_that_varies():
    """Drawn candidates are not dropped for the first inputs alone; the chosen inputs really vary."""
    task = _task()
    candidates = [task.candidate(i) for i in range(60)]
    assert not [c for c in candidates if isinstance(c, Reject)]  # constant_output (by the model) was the only one
    moved = [c for c in candidates if c.inputs != c.program.inputs[: len(c.inputs)]]
    assert moved, "no program in 60 needed a later input: the test no longer covers the choice"
    for c in moved:
        modeled = [c.program.modeled[c.program.inputs.index(arg)] for arg in c.inputs]
        assert len({m for m in modeled if m.startswith("ok:")}) >= 2
