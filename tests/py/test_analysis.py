"""Structural metrics from tree-sitter: errors, size, nesting depth and the constructs found."""

from __future__ import annotations

import pytest

from codegen_data.py.analysis import CONSTRUCTS, analyze

SAMPLE = """def digit_sum(n: int) -> int:
    if n < 10:
        return n
    return n % 10 + digit_sum(n // 10)


def f(words: list[str], d: dict[str, int], k: int) -> list[int]:
    if not words:
        return []
    out = []
    for i, w in enumerate(words):
        if w.upper().startswith("A") and not w.isdigit():
            out.append(digit_sum(len(w)))
        elif 0 < k <= 3:
            out.append(d.get(w, 0))
        else:
            out.append(words.count(w) + w.count("a"))
    sizes = {w: len(w) for w in words}
    lengths = {len(w) for w in words}
    ordered = [v for v in sorted(lengths)]
    while k > 0:
        k -= 1
    for key, value in d.items():
        out.append(value ** 2 - -value)
    if k in ordered:
        raise ValueError("impossible")
    return out[1:] + [out[0] if out else 0, (lambda q: q)(len(sizes))]
"""


def test_sample_constructs():
    a = analyze(SAMPLE)
    assert not a.has_error
    expected = {
        "recursion", "helper_call", "helper_function", "early_return", "if", "elif", "if_else", "for_loop",
        "for_enumerate", "for_items", "while_loop", "list_comprehension", "dict_comprehension", "set_comprehension",
        "conditional_expression", "lambda", "boolean_logic", "negation", "chained_comparison", "comparison",
        "membership", "arithmetic", "floor_division", "modulo", "power", "unary_minus", "augmented_assignment",
        "slicing", "indexing", "raise", "tuple_unpacking", "list_literal", "str_method:upper",
        "str_method:startswith", "str_method:isdigit", "list_method:append", "dict_method:get", "dict_method:items",
        "builtin:len", "builtin:sorted", "builtin:enumerate",
    }  # fmt: skip
    assert expected <= set(a.constructs), expected - set(a.constructs)
    # count on an annotated list parameter is a list method; on an unannotated local it is ambiguous
    assert "list_method:count" in a.constructs and "method:count" in a.constructs
    assert list(a.constructs) == sorted(a.constructs)


def test_every_plain_construct_name_is_documented():
    found = {c for c in analyze(SAMPLE).constructs if ":" not in c}
    assert found <= set(CONSTRUCTS)


@pytest.mark.parametrize(
    ("code", "depth"),
    [
        ("def f(x):\n    return x + 1\n", 0),
        ("def f(xs):\n    return [x for x in xs if x > 0]\n", 0),
        ("def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n", 1),
        ("def f(xs):\n    t = 0\n    for x in xs:\n        if x:\n            t += x\n    return t\n", 2),
        ("def f(xs):\n    if xs:\n        return 1\n    elif xs is None:\n        return 2\n    return 3\n", 1),
        (
            "def g(s):\n    for c in s:\n        if c:\n            while c:\n                c = ''\n"
            "    return s\n\n\n"
            "def f(x):\n    return g(x)\n",
            3,
        ),
    ],
)
def test_depth_is_statement_nesting(code, depth):
    assert analyze(code).depth == depth


def test_errors_and_missing_nodes():
    assert analyze("def f(:\n    pass\n").has_error
    assert analyze("def f(x):\n    return (x\n").has_error
    assert not analyze("def f(x):\n    return x\n").has_error


def test_size_grows_with_code():
    small = analyze("def f(x):\n    return x\n")
    big = analyze(SAMPLE)
    assert 0 < small.node_count < big.node_count
    assert small.tree_depth < big.tree_depth


def test_early_return_only_when_something_follows():
    assert "early_return" not in analyze("def f(x):\n    y = x\n    return y\n").constructs
    assert "early_return" in analyze("def f(x):\n    if x:\n        return 1\n    return 2\n").constructs


def test_recursion_versus_helper_call():
    rec = analyze("def f(n):\n    return 0 if n <= 0 else f(n - 1)\n").constructs
    assert "recursion" in rec and "helper_call" not in rec
    helper = analyze("def g(n):\n    return n\n\n\ndef f(n):\n    return g(n)\n").constructs
    assert "helper_call" in helper and "recursion" not in helper and "helper_function" in helper


def test_shadowed_builtin_is_not_a_builtin_call():
    constructs = analyze("def len(x):\n    return 0\n\n\ndef f(x):\n    return len(x)\n").constructs
    assert "builtin:len" not in constructs and "helper_call" in constructs
