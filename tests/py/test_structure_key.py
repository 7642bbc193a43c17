"""python_structure_key's one-pass writer gives exactly the key of the reference normalizer + ast.dump."""

from __future__ import annotations

import ast
import random

import pytest

from codegen_data.grammar import load_grammar
from codegen_data.groups import _reference_key, _Structure, python_structure_key
from codegen_data.py.generator import DIFFICULTIES, generate_program
from codegen_data.py.mutate import mutants

SNIPPETS = [
    "def f(x: int, *args: str, y=1, **kw) -> list[int]:\n    return [x, y, *args, len(kw)]\n",
    "async def g(a):\n    async for b in a:\n        await b\n",
    "class C(Base, metaclass=M):\n    attr: int = 0\n    def m(self):\n        global G\n        nonlocal_ = lambda q, *r: q\n        return self.attr\n",
    "x = f'{a!r:>{width}} and {b}' + u'text' + b'bytes' + r'\\d'\n",
    "match point:\n    case (0, y) if y > 1:\n        pass\n    case {'k': v, **rest}:\n        pass\n    case Point(x=0) | None:\n        pass\n    case [*items]:\n        pass\n",
    "import os.path as p, sys\nfrom . import mod\ntry:\n    pass\nexcept (ValueError, KeyError) as e:\n    raise RuntimeError() from e\nfinally:\n    del x[1:2, ::3]\n",
    "def f(a, b):  # type: (int, str) -> None\n    pass\n",
    "with open(p) as f, ctx() as (a, b):\n    yield from (i async for i in f)\n",
    "x = 1 if len(y) else -2.5j; z = not a or b and c; w = [k for k in range(3) if k in {1, 2}]\n",
]


@pytest.mark.parametrize("code", SNIPPETS)
def test_the_one_pass_key_is_the_reference_key(code):
    assert _Structure().write(ast.parse(code)) == _reference_key(code)


def test_generated_programs_and_their_mutants_get_the_reference_key():
    grammar = load_grammar("python")
    rng = random.Random(7)
    for i in range(60):
        program = generate_program(rng, difficulty=DIFFICULTIES[i % 3], grammar=grammar, allow_raise=i % 2 == 0)
        for code in [program.code] + [m.code for m in mutants(random.Random(i), program)[:3]]:
            assert _Structure().write(ast.parse(code)) == _reference_key(code)


def test_names_and_constants_do_not_matter_but_structure_does():
    assert python_structure_key("def f(a):\n    return a + 1\n") == python_structure_key("def g(b):\n    return b + 7\n")
    assert python_structure_key("def f(a):\n    return a + 1\n") != python_structure_key("def f(a):\n    return a - 1\n")
    assert python_structure_key("def f(a):\n    return len(a)\n") != python_structure_key("def f(a):\n    return sum(a)\n")


def test_the_key_is_the_same_on_every_python():
    """The key is 3.11's ast.dump whatever Python writes it (3.12's empty ``type_params`` left out,
    3.13's optional fields read from ``_field_types``), so groups and splits do not move with Python."""
    code = (
        "def f(a: list[int], k: int) -> int:\n    total = 0\n    for x in a:\n        if x > k:\n"
        "            total += len(str(x))\n    return total\n"
    )
    assert _Structure().write(ast.parse(code)) == (
        "Module([FunctionDef('v0', arguments([], [arg('v1'), arg('v2')], kwonlyargs=[], kw_defaults=[], defaults=[]), "
        "[Assign([Name('v3', Store())], Constant('int')), For(Name('v4', Store()), Name('v1', Load()), "
        "[If(Compare(Name('v4', Load()), [Gt()], [Name('v2', Load())]), [AugAssign(Name('v3', Store()), Add(), "
        "Call(Name('len', Load()), [Call(Name('str', Load()), [Name('v4', Load())], [])], []))], [])], []), "
        "Return(Name('v3', Load()))], [])], [])"
    )
    assert python_structure_key(code) == "4efc68abf01954f7"
