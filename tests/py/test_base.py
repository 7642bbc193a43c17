"""The program tasks' shared checks agree with their plain definitions."""

from __future__ import annotations

import ast
import random

import pytest

from codegen_data.py.base import literal_round_trips


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
