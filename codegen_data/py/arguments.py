"""Scoring a predicted input without trusting it: two programs, and the second holds none of the prediction.

An input prediction (``py_input``, CRUXEval-I) is code, and it runs in the sandbox; the output it must
produce is public (the prompt shows it). A program that runs the prediction's code can forge what it
reports about itself: write a made-up call result to the sandbox's result pipe, replace ``repr``, or
close the call's parentheses early (``*()) if 0 else ('expected'``). So the prediction runs in a first
program whose only job is to compute the arguments it stands for (:func:`collector`); they come back as
text, which is parsed here as plain data (never evaluated, :func:`arguments_source`), and a second
program, loaded from the function's own code, calls the function on them. Whatever the first program
forges, it can only choose arguments, which is what an answer does anyway: the function's real output
on them decides.

Arguments written as literals (``[1, 2], {3, 1}``) run no code, so they skip the first program and reach
the second as written (:func:`literal_arguments`). Any other argument expression (``'a' * 3``,
``list(range(5))``) is evaluated by the first program, and its value must be plain data (builtin
literals, ``set()``, ``frozenset(...)``, ``inf``/``nan``) whose printed form fits the sandbox's output
limit; it reaches the second program in the order the first printed it (a set may then iterate in
another order than the prediction's own), and objects the prediction shared between arguments are
copies there.
"""

from __future__ import annotations

import ast
import keyword
import math
from typing import Any

__all__ = ["ENTRY", "collector", "arguments_source", "literal", "literal_arguments"]

ENTRY = "__prediction_arguments__"
"""The function of :func:`collector`'s program that returns the arguments it was called with."""


def collector(code: str) -> str:
    """``code`` (so the prediction may use what it defines, the function included) and :data:`ENTRY`."""
    return f"{code}\n\n\ndef {ENTRY}(*args, **kwargs):\n    return (args, kwargs)\n"


class _NotLiteral(Exception):
    pass


_NAMES = {"inf": math.inf, "nan": math.nan}
_CONSTRUCTORS = {"set": set, "frozenset": frozenset}


def literal(text: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``text`` is a ``repr`` of plain data (literals, ``set()``, ``frozenset(...)``, ``inf``), else ``(False, None)``."""
    try:
        return True, _build(ast.parse(text.strip(), mode="eval").body)
    except (_NotLiteral, SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return False, None


def _build(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and node.value is not ...:  # `[...]` is how repr shows a cycle
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [_build(e) for e in node.elts]
        return tuple(values) if isinstance(node, ast.Tuple) else list(values) if isinstance(node, ast.List) else set(values)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _NotLiteral
        return {_build(k): _build(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _build(node.operand)
        if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
            raise _NotLiteral
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):  # complex: (1+2j), (-0-1j)
        left, right = _build(node.left), _build(node.right)
        if isinstance(left, bool) or not isinstance(left, (int, float)) or not isinstance(right, complex):
            raise _NotLiteral
        return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CONSTRUCTORS
            and not node.keywords and len(node.args) <= 1):
        return _CONSTRUCTORS[node.func.id](*(_build(a) for a in node.args))
    raise _NotLiteral


class _Spelled(ast.NodeTransformer):
    """``inf`` and ``nan`` (how repr writes those floats) as literals that make them, with no name to
    look up (the function's own code may define ``float``): ``1e999`` and ``(1e999 - 1e999)``."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "inf":
            return ast.Constant(math.inf)  # unparsed as 1e309
        if node.id == "nan":
            return ast.BinOp(ast.Constant(math.inf), ast.Sub(), ast.Constant(math.inf))
        return node


def _plain(node: ast.AST) -> bool:
    """``node`` is plain data written as a literal (no ``inf``/``nan``: as source those are names)."""
    try:
        _build(node)
    except (_NotLiteral, ValueError, TypeError, RecursionError, MemoryError):
        return False
    return not any(isinstance(n, ast.Name) and n.id in _NAMES for n in ast.walk(node))


def literal_arguments(call: ast.Call) -> str | None:
    """The arguments of ``call`` as source, when every one is plain data written as a literal (``[1, 2],
    k={3, 1}``, ``*[3, 0]``): such arguments run no code, so they go to the program that calls the
    function as they were written, sets in the order written (rebuilding a set from its printed
    order need not give the same order back); else None."""
    parts = []
    for arg in call.args:
        inner = arg.value if isinstance(arg, ast.Starred) else arg
        if not _plain(inner):
            return None
        parts.append(("*" if isinstance(arg, ast.Starred) else "") + ast.unparse(inner))
    for kw in call.keywords:
        if not _plain(kw.value):
            return None
        parts.append(f"{kw.arg}={ast.unparse(kw.value)}" if kw.arg is not None else f"**{ast.unparse(kw.value)}")
    return ", ".join(parts)


def arguments_source(output: str | None) -> str | None:
    """What to write between a call's parentheses to pass the arguments :func:`collector`'s function
    returned (``output`` is the repr of its ``(args, kwargs)``), or None when that is not plain data
    with keyword names. Made from the parsed text, never by evaluating it."""
    if output is None:
        return None
    ok, value = literal(output)
    if not (ok and isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple)
            and isinstance(value[1], dict)):
        return None
    try:
        args, kwargs = ast.parse(output.strip(), mode="eval").body.elts  # a Tuple of a Tuple and a Dict, as literal() built
        names = [k.value for k in kwargs.keys]
        if len(set(names)) != len(names) or not all(isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k) for k in names):
            return None
        spelled = _Spelled()
        parts = [ast.unparse(spelled.visit(a)) for a in args.elts]
        parts += [f"{name}={ast.unparse(spelled.visit(v))}" for name, v in zip(names, kwargs.values)]
    except (AttributeError, ValueError, TypeError, RecursionError, MemoryError):
        return None
    return ", ".join(parts)
