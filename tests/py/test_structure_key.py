"""python_structure_key: the tree-sitter tree with names, literals and annotations normalized.

The oracle is the AST normalized the same way (names renamed by first appearance, constants replaced
by their type, annotations dropped) and dumped: on generated programs and their mutants the two keys
must group exactly alike.
"""

from __future__ import annotations

import ast
import builtins
import random
from collections import defaultdict

import pytest

from codegen_data.grammar import load_grammar
from codegen_data.groups import python_structure_key
from codegen_data.py.generator import DIFFICULTIES, generate_program
from codegen_data.py.mutate import mutants

_BUILTINS = frozenset(vars(builtins))


class _Normalizer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in _BUILTINS:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        node.returns = None
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._name(node.arg)
        node.annotation = None
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._name(node.id)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant(value=type(node.value).__name__)


def _ast_key(code: str) -> str:
    return ast.dump(_Normalizer().visit(ast.parse(code)), annotate_fields=False)


def test_generated_programs_and_their_mutants_group_as_their_normalized_asts_do():
    grammar = load_grammar("python")
    codes = []
    for i in range(400):
        program = generate_program(random.Random(i), difficulty=DIFFICULTIES[i % 3], grammar=grammar,
                                   allow_raise=i % 2 == 0)
        codes += [program.code] + [m.code for m in mutants(random.Random(i), program)[:2]]
    by_ast: dict[str, set[str]] = defaultdict(set)
    by_key: dict[str, set[str]] = defaultdict(set)
    for code in codes:
        a, k = _ast_key(code), python_structure_key(code)
        by_ast[a].add(k)
        by_key[k].add(a)
    assert all(len(keys) == 1 for keys in by_ast.values())  # no structure split in two
    assert all(len(asts) == 1 for asts in by_key.values())  # no two structures merged
    assert len(by_key) < len(codes) - 100  # the sample has structures seen several times


SAME = [  # (a, b): one structure
    ("def f(a):\n    return a + 1\n", "def g(b):\n    return b + 7\n"),
    ("def f(xs: list[int], k: int = 3) -> int:\n    return len([x for x in xs if x > k])\n",
     "def count(v, limit=9):\n    # how many\n    return len([y for y in v if (y > limit)])\n"),
    ("def f(s):\n    return s.upper() + 'a' + f'{s!r}'\n", "def g(t):\n    return t.upper() + \"bcd\" + f'{t!r}'\n"),
    ("def f(a):\n    return sorted(a, key=len, reverse=True)[1:]\n",
     "def f(b):\n    return sorted(b, key=len, reverse=False)[7:]\n"),
    ("def f(a):\n\n    x = a\n    return x\n", "def f(a):\n    y  =  a\n    return y\n"),
    ("def f(a):\n    x = a; y = x\n    return y\n", "def f(a):\n    x = a\n    y = x\n    return y\n"),
]

DIFFERENT = [  # (a, b): two structures
    ("def f(a):\n    return a + 1\n", "def f(a):\n    return a - 1\n"),
    ("def f(a):\n    return len(a)\n", "def f(a):\n    return sum(a)\n"),
    ("def f(a):\n    return a.upper()\n", "def f(a):\n    return a.lower()\n"),
    ("def f(a):\n    return sorted(a, key=len)\n", "def f(a):\n    return sorted(a, reverse=len)\n"),
    ("def f(a):\n    return a[1:]\n", "def f(a):\n    return a[:1]\n"),
    ("def f(a):\n    return 'x'\n", "def f(a):\n    return b'x'\n"),
    ("def f(a):\n    return 1\n", "def f(a):\n    return 1.0\n"),
    ("def f(a):\n    return f'{a!r}'\n", "def f(a):\n    return f'{a!s}'\n"),
    ("def f(a, b):\n    return a + b * a\n", "def f(a, b):\n    return (a + b) * a\n"),
    ("def f(a, b):\n    return a - b\n", "def f(a, b):\n    return b - a\n"),
    ("def f(a):\n    return [a]\n", "def f(a):\n    return (a,)\n"),
    ("def f(a):\n    return a[1,]\n", "def f(a):\n    return a[1]\n"),
    ("def f(a):\n    return a + 1j\n", "def f(a):\n    return a + 1\n"),
    ("import os\n", "import sys\n"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_names_literals_annotations_comments_and_layout_do_not_matter(a, b):
    assert python_structure_key(a) == python_structure_key(b)
    assert _ast_key(a) == _ast_key(b)  # the oracle agrees


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_operators_builtins_attributes_keywords_slices_and_nesting_do(a, b):
    assert python_structure_key(a) != python_structure_key(b)
    assert _ast_key(a) != _ast_key(b)


def test_alias_and_capture_names_are_renamed_but_module_names_are_not():
    """(Where the oracle, which keeps every name stored as a string, is stricter.)"""
    a = "import os.path as p\nmatch q:\n    case [b]:\n        pass\n"
    assert python_structure_key(a) == python_structure_key("import os.path as r\nmatch s:\n    case [t]:\n        pass\n")
    assert python_structure_key(a) != python_structure_key(a.replace("os.path", "os.sep"))


def test_the_key_of_a_program_is_pinned():
    """Groups decide splits: a change of the key (or of tree-sitter-python's grammar under it) moves
    records between splits, so it must be made on purpose, here. No Python version enters it."""
    code = (
        "def f(a: list[int], k: int) -> int:\n    total = 0\n    for x in a:\n        if x > k:\n"
        "            total += len(str(x))\n    return total\n"
    )
    assert python_structure_key(code) == "5b894f41d57ae1f9"


def test_builtin_names_are_a_fixed_list_not_this_interpreters_builtins():
    """Which names count as builtins is the same on every Python 3.10+, with or without ``site``, and
    whatever a host adds to ``builtins`` before the key is computed (IPython's ``display``, gettext's ``_``)."""
    import subprocess
    import sys

    script = (
        f"import sys\nsys.path[:0] = {sys.path!r}\n"  # -S leaves out site-packages too
        "import builtins\n"
        "builtins.display = print\n"
        "builtins._ = str\n"
        "from codegen_data.groups import python_structure_key as k\n"
        "print(k('display(x)\\n_ = 1\\n'), k('show(x)\\nv = 1\\n'), k('ExceptionGroup(x)\\nhelp(x)\\n'),"
        " k('Problem(x)\\nhelp(x)\\n'), k('ExceptionGroup(x)\\nquestion(x)\\n'))\n"
    )
    # -S: no site, so no help, exit, quit, ... among the interpreter's builtins
    out = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, check=True).stdout.split()
    added, plain, kept, renamed_class, renamed_help = out
    assert added == plain  # names a host added to builtins are renamed like any other
    assert kept != renamed_class and kept != renamed_help  # ExceptionGroup and help stay builtins
    assert kept == python_structure_key("ExceptionGroup(y)\nhelp(y)\n")  # as in this process
