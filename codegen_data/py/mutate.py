"""Single-bug mutants of a generated program, for the repair task.

``mutants(rng, program)`` returns up to ``limit`` distinct :class:`Mutant` ``(code, kind)`` pairs: the
program with one realistic bug each (an off-by-one bound, ``<`` for ``<=``, ``or`` for ``and``, ``-``
for ``+``, swapped arguments, ``lower`` for ``upper``, a dropped ``not``, a wrong constant, the wrong
variable returned, a missing early return ...). :data:`BUG_KINDS` says what each kind is.

Each bug is an ``ast`` transform of one node; the changed node is written back with ``ast.unparse``
into the original source, so a mutant differs from the program in that one spot and keeps its
formatting (the result is re-parsed and compared with the transformed tree). Mutants never touch a
``while`` test, what a ``while`` test reads, or the arguments of a recursive call, so a mutant
terminates when the program does. Candidates are interleaved by kind in an order drawn from ``rng``;
nothing is run here (the pipeline runs them and keeps one that fails a hidden test).
"""

from __future__ import annotations

import ast
import functools
import random
from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

from .generator import Program

__all__ = ["Mutant", "BUG_KINDS", "iter_mutants", "mutants"]

BUG_KINDS = {
    "comparison": "a comparison operator is wrong (such as < instead of <=, or == instead of !=)",
    "boolean": "'and' and 'or' are confused",
    "negation": "a 'not' is missing or extra",
    "arithmetic": "a wrong arithmetic operator (such as - instead of +, or % instead of //)",
    "off_by_one": "a bound, index or start position is off by one",
    "constant": "a wrong constant",
    "method": "the wrong method is called (such as lower instead of upper, or endswith instead of startswith)",
    "builtin": "the wrong built-in function is used (such as min instead of max, or all instead of any)",
    "sort_order": "a sort goes the wrong way",
    "swapped_args": "two arguments or operands are in the wrong order",
    "return_value": "the wrong variable is returned",
    "missing_return": "an early return is missing",
    "missing_check": "a check that raises an error is missing",
    "missing_call": "a needed function call is missing (such as abs, set or sorted)",
}


class Mutant(NamedTuple):
    code: str
    kind: str  # a key of BUG_KINDS


_CMP_SWAPS = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_ARITH_SWAPS = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Add,),
    ast.FloorDiv: (ast.Mod,),
    ast.Mod: (ast.FloorDiv,),
    ast.Pow: (ast.Mult,),
}
_METHOD_SWAPS = {
    "upper": "lower", "lower": "upper", "startswith": "endswith", "endswith": "startswith", "lstrip": "rstrip",
    "rstrip": "lstrip", "strip": "lstrip", "isdigit": "isalpha", "isalpha": "isdigit", "isupper": "islower",
    "islower": "isupper", "find": "rfind", "rfind": "find", "ljust": "rjust", "rjust": "ljust", "title": "capitalize",
    "capitalize": "title", "keys": "values", "values": "keys", "isdecimal": "isalpha", "swapcase": "upper",
}  # fmt: skip
_BUILTIN_SWAPS = {"min": "max", "max": "min", "any": "all", "all": "any", "sum": "len", "abs": "int"}
_DROPPABLE = frozenset({"set", "sorted", "abs", "reversed", "str"})  # f(x) -> x is a realistic slip
_SEPARATORS = (" ", ",", ";", "-", "|", ", ", ":", "")

_Action = Callable[[ast.AST], "ast.AST | None"]  # the replacement node; None deletes a statement


def mutants(rng: random.Random, program: Program, *, limit: int = 12) -> list[Mutant]:
    """Up to ``limit`` distinct single-bug versions of ``program.code``, kinds interleaved, order from ``rng``."""
    return list(iter_mutants(rng, program, limit=limit))


def iter_mutants(rng: random.Random, program: Program, *, limit: int = 12) -> Iterator[Mutant]:
    """:func:`mutants`, one at a time: each is built only when asked for (the rng is drawn up front)."""
    code = program.code
    tree = ast.parse(code)
    original = list(tree.body)  # never changed: each mutation is made on a fresh parse
    sites = _Sites(tree).found
    by_kind: dict[str, list[tuple[int, _Action]]] = {}
    for index, kind, action in sites:
        by_kind.setdefault(kind, []).append((index, action))
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    for kind in kinds:
        rng.shuffle(by_kind[kind])
    made = 0
    seen = {code}
    while made < limit and any(by_kind[k] for k in kinds):
        for kind in kinds:
            if not by_kind[kind] or made >= limit:
                continue
            index, action = by_kind[kind].pop()
            text = _apply(code, index, action, original)
            if text is not None and text not in seen:
                seen.add(text)
                made += 1
                yield Mutant(text, kind)


# --- finding the sites ----------------------------------------------------------------------------


class _Sites:
    """Walks the tree (in ``ast.walk`` order, so indices match a fresh parse) and lists mutations."""

    def __init__(self, tree: ast.Module):
        self.found: list[tuple[int, str, _Action]] = []
        self.nodes = _walk(tree)
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        self.frozen: set[int] = set()  # ids of nodes no mutation may touch
        self.functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.bounds: set[int] = set()  # ids of nodes inside slice bounds and range() arguments
        for n in self.nodes:
            if isinstance(n, ast.Slice):
                self.bounds |= {
                    id(x) for part in (n.lower, n.upper, n.step) if part is not None for x in _walk(part)
                }
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "range":
                self.bounds |= {id(x) for a in n.args for x in _walk(a)}
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef):
                self._freeze(fn)
        for node in self.nodes:
            if id(node) not in self.frozen:
                self._visit(node)
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef):
                self._returns(fn)
                self._early_exits(fn.body)

    def add(self, node: ast.AST, kind: str, action: _Action) -> None:
        self.found.append((self.index[id(node)], kind, action))

    def _freeze(self, fn: ast.FunctionDef) -> None:
        for node in _walk(fn):
            if isinstance(node, ast.While):
                watched = {n.id for n in _walk(node.test) if isinstance(n, ast.Name)}
                self._freeze_all(node.test)
                for inner in _walk(node):
                    if isinstance(inner, (ast.Assign, ast.AugAssign)):
                        targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                        names = {n.id for t in targets for n in _walk(t) if isinstance(n, ast.Name)}
                        if names & watched:
                            self._freeze_all(inner)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == fn.name:
                for arg in node.args:
                    self._freeze_all(arg)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
                if any(isinstance(a, ast.Constant) for a in node.args):
                    self._freeze_all(node)  # a cap that bounds a loop or a recursion

    def _freeze_all(self, node: ast.AST) -> None:
        for n in _walk(node):
            self.frozen.add(id(n))

    def _visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for new in _CMP_SWAPS.get(type(op), ()):
                    self.add(node, "comparison", _set_op(i, new))
        elif isinstance(node, ast.BoolOp):
            self.add(
                node,
                "boolean",
                lambda n: ast.BoolOp(op=ast.Or() if isinstance(n.op, ast.And) else ast.And(), values=n.values),
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.add(node, "negation", lambda n: n.operand)
        elif isinstance(node, ast.BinOp):
            self._binop(node)
        elif isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.Subscript):
            self._subscript(node)
        elif isinstance(node, ast.If) and not isinstance(node.test, ast.UnaryOp):
            self.add(node.test, "negation", lambda n: ast.UnaryOp(op=ast.Not(), operand=n))
        elif isinstance(node, ast.Constant) and type(node.value) is int and id(node) not in self.bounds:
            self.add(node, "constant", lambda n: ast.Constant(n.value + 1))
            if node.value > 1:
                self.add(node, "constant", lambda n: ast.Constant(n.value - 1))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) <= 3:
            if node.value.swapcase() != node.value:
                self.add(node, "constant", lambda n: ast.Constant(n.value.swapcase()))
            elif node.value in _SEPARATORS:
                other = " " if node.value != " " else ""
                self.add(node, "constant", lambda n, other=other: ast.Constant(other))

    def _binop(self, node: ast.BinOp) -> None:
        numeric = any(isinstance(side, ast.Constant) and type(side.value) is int for side in (node.left, node.right))
        if numeric or isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            for new in _ARITH_SWAPS.get(type(node.op), ()):
                self.add(node, "arithmetic", lambda n, new=new: ast.BinOp(left=n.left, op=new(), right=n.right))
        if isinstance(node.op, (ast.Sub, ast.FloorDiv, ast.Mod)) and not numeric:
            self.add(node, "swapped_args", lambda n: ast.BinOp(left=n.right, op=n.op, right=n.left))

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _METHOD_SWAPS:
            new = _METHOD_SWAPS[func.attr]
            self.add(node, "method", _rename_method(new))
        if isinstance(func, ast.Name) and func.id in _BUILTIN_SWAPS and func.id not in self.functions:
            new = _BUILTIN_SWAPS[func.id]
            if not (new == "len" and len(node.args) != 1) and not (new == "int" and node.keywords):
                self.add(node, "builtin", _rename_builtin(new))
        if (
            isinstance(func, ast.Name)
            and func.id == "sorted"
            or isinstance(func, ast.Attribute)
            and func.attr == "sort"
        ):
            self.add(node, "sort_order", _toggle_reverse)
        if (
            len(node.args) == 1
            and not node.keywords
            and (
                (isinstance(func, ast.Name) and func.id in _DROPPABLE and func.id not in self.functions)
                or (isinstance(func, ast.Attribute) and func.attr == "fromkeys")
            )
        ):
            self.add(node, "missing_call", lambda n: n.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "split" and not node.args:
            self.add(node, "method", lambda n: ast.Call(func=n.func, args=[ast.Constant(" ")], keywords=[]))
        if isinstance(func, ast.Name) and func.id == "enumerate" and len(node.args) == 1:
            self.add(
                node, "off_by_one", lambda n: ast.Call(func=n.func, args=[n.args[0], ast.Constant(1)], keywords=[])
            )
        if isinstance(func, ast.Name) and func.id == "range":
            for i, arg in enumerate(node.args):
                self.add(node, "off_by_one", _shift_arg(i))
        swappable = (isinstance(func, ast.Attribute) and func.attr == "replace") or (
            isinstance(func, ast.Name) and func.id in ("divmod", "zip")
        )
        if swappable and len(node.args) == 2 and not node.keywords:
            if ast.dump(node.args[0]) != ast.dump(node.args[1]):
                self.add(
                    node,
                    "swapped_args",
                    lambda n: ast.Call(func=n.func, args=[n.args[1], n.args[0]], keywords=n.keywords),
                )

    def _subscript(self, node: ast.Subscript) -> None:
        s = node.slice
        if isinstance(s, ast.Slice):
            step = s.step
            if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) and s.lower is None and s.upper is None:
                self.add(
                    node,
                    "off_by_one",
                    lambda n: ast.Subscript(
                        value=n.value, slice=ast.Slice(lower=ast.Constant(1), step=n.slice.step), ctx=n.ctx
                    ),
                )
            for part in ("lower", "upper"):
                value = getattr(s, part)
                if value is not None or (part == "lower" and s.upper is not None and s.step is None):
                    self.add(node, "off_by_one", _shift_slice(part))
        elif isinstance(s, ast.Constant) and type(s.value) is int:
            self.add(
                node,
                "off_by_one",
                lambda n: ast.Subscript(value=n.value, slice=ast.Constant(n.slice.value + 1), ctx=n.ctx),
            )
        elif isinstance(s, ast.UnaryOp) and isinstance(s.op, ast.USub) and isinstance(s.operand, ast.Constant):
            self.add(node, "off_by_one", lambda n: ast.Subscript(value=n.value, slice=_int(-n.slice.operand.value - 1),
                                                                  ctx=n.ctx))  # fmt: skip

    def _returns(self, fn: ast.FunctionDef) -> None:
        names: list[tuple[str, int]] = [(a.arg, 0) for a in fn.args.args]  # (name, line it is bound on)
        for stmt in fn.body:
            if isinstance(stmt, (ast.Assign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    for n in _walk(t):
                        if isinstance(n, ast.Name) and n.id != "_" and all(n.id != m for m, _ in names):
                            names.append((n.id, stmt.lineno))
        for node in _walk(fn):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and id(node) not in self.frozen:
                others = [m for m, line in names if m != node.value.id and line < node.lineno]
                for other in others[-2:]:
                    self.add(node.value, "return_value", lambda n, other=other: ast.Name(other, ast.Load()))

    def _early_exits(self, body: list[ast.stmt]) -> None:
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.If) and i + 1 < len(body) and len(stmt.body) == 1 and not stmt.orelse:
                if isinstance(stmt.body[0], ast.Return):
                    self.add(stmt, "missing_return", lambda n: None)
                elif isinstance(stmt.body[0], ast.Raise):
                    self.add(stmt, "missing_check", lambda n: None)
            if isinstance(stmt, ast.For) and i + 1 < len(body):
                inner = stmt.body[0] if len(stmt.body) == 1 else None
                if isinstance(inner, ast.If) and len(inner.body) == 1 and isinstance(inner.body[0], ast.Raise):
                    self.add(stmt, "missing_check", lambda n: None)
            for field in ("body", "orelse"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    self._early_exits(block)


def _rename_method(new: str) -> _Action:
    def action(n: ast.Call) -> ast.AST:
        return ast.Call(
            func=ast.Attribute(value=n.func.value, attr=new, ctx=ast.Load()), args=n.args, keywords=n.keywords
        )

    return action


def _rename_builtin(new: str) -> _Action:
    def action(n: ast.Call) -> ast.AST:
        keywords = [] if new == "len" else n.keywords
        return ast.Call(func=ast.Name(new, ast.Load()), args=n.args, keywords=keywords)

    return action


def _set_op(i: int, new: type) -> _Action:
    def action(n: ast.Compare) -> ast.AST:
        ops = list(n.ops)
        ops[i] = new()
        return ast.Compare(left=n.left, ops=ops, comparators=n.comparators)

    return action


def _toggle_reverse(n: ast.Call) -> ast.AST:
    keywords = [k for k in n.keywords if k.arg != "reverse"]
    had = len(keywords) != len(n.keywords)
    if not had:
        keywords.append(ast.keyword(arg="reverse", value=ast.Constant(True)))
    return ast.Call(func=n.func, args=n.args, keywords=keywords)


def _int(value: int) -> ast.expr:
    """An int literal as ``ast.parse`` gives it (a negative one is a unary minus)."""
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))


def _plus_one(e: ast.expr) -> ast.expr:
    if isinstance(e, ast.Constant) and type(e.value) is int:
        return ast.Constant(e.value + 1)
    if (
        isinstance(e, ast.BinOp)
        and isinstance(e.op, ast.Add)
        and isinstance(e.right, ast.Constant)
        and e.right.value == 1
    ):
        return e.left
    return ast.BinOp(left=e, op=ast.Add(), right=ast.Constant(1))


def _shift_arg(i: int) -> _Action:
    def action(n: ast.Call) -> ast.AST:
        args = list(n.args)
        args[i] = _plus_one(args[i])
        return ast.Call(func=n.func, args=args, keywords=n.keywords)

    return action


def _shift_slice(part: str) -> _Action:
    def action(n: ast.Subscript) -> ast.AST:
        s = n.slice
        bounds = {"lower": s.lower, "upper": s.upper, "step": s.step}
        value = bounds[part]
        if value is None:
            bounds[part] = ast.Constant(1)
        elif (
            isinstance(value, ast.UnaryOp)
            and isinstance(value.op, ast.USub)
            and isinstance(value.operand, ast.Constant)
        ):
            bounds[part] = _int(-value.operand.value + 1) if value.operand.value > 1 else None
        else:
            bounds[part] = _plus_one(value)
        return ast.Subscript(value=n.value, slice=ast.Slice(**bounds), ctx=n.ctx)

    return action


# --- applying one mutation ------------------------------------------------------------------------


def _apply(code: str, index: int, action: _Action, original: list[ast.stmt]) -> str | None:
    """The code with node ``index`` (in ``ast.walk`` order) replaced by ``action``, or None if that fails.

    ``original`` holds each top-level statement of the unchanged program; only the function holding the
    node is compared, since a splice inside it cannot change the others."""
    tree = ast.parse(code)
    found = _node_and_parent(tree, index)
    if found is None:
        return None
    node, parent = found
    top = next(i for i, stmt in enumerate(tree.body) if stmt.lineno <= node.lineno <= stmt.end_lineno)
    try:
        new = action(node)
    except (AttributeError, TypeError, ValueError):
        return None
    if new is None:
        if not _remove(parent, node):
            return None
    else:
        ast.copy_location(new, node)
        _replace(parent, node, new)
    expected = tree.body[top]
    if _same(expected, original[top]):
        return None
    if new is None:
        candidates = [_delete_lines(code, node)]
    else:
        text = ast.unparse(new)
        candidates = [_splice(code, node, text), _splice(code, node, f"({text})")]
    for candidate in candidates:
        try:
            parsed = ast.parse(candidate)
        except SyntaxError:
            continue
        if len(parsed.body) == len(tree.body) and _same(parsed.body[top], expected):
            return candidate
    ast.fix_missing_locations(tree)
    return ast.unparse(tree) + "\n"


def _node_and_parent(tree: ast.AST, index: int) -> tuple[ast.AST, ast.AST] | None:
    """The node at ``index`` in ``ast.walk`` order and its parent (None for the root or past the end):
    ``ast.walk``'s breadth-first order, stopped there, each node remembered with its parent."""
    todo: deque[tuple[ast.AST, ast.AST | None]] = deque([(tree, None)])
    k = 0
    while todo:
        node, parent = todo.popleft()
        if k == index:
            return None if parent is None else (node, parent)
        k += 1
        todo.extend((child, node) for child in _children(node))
    return None


def _children(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, without its generators."""
    out: list[ast.AST] = []
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out += [item for item in value if isinstance(item, ast.AST)]
    return out


def _walk(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))``: the same breadth-first order, without its generators."""
    out = [node]
    k = 0
    while k < len(out):
        out += _children(out[k])
        k += 1
    return out


def _same(a: object, b: object) -> bool:
    """``ast.dump(a) == ast.dump(b)`` without writing either dump: the same node classes, and field by
    field the same values (a missing field and a None the class defaults to both left out, as dump
    does; other values compared as dump shows them, by repr), stopping at the first difference."""
    cls = a.__class__
    if b.__class__ is not cls:
        return not isinstance(a, (ast.AST, list)) and not isinstance(b, (ast.AST, list)) and repr(a) == repr(b)
    if cls in _EXACT:
        return a == b
    if cls is list:
        return len(a) == len(b) and all(map(_same, a, b))  # type: ignore[arg-type]
    if not isinstance(a, ast.AST):
        return repr(a) == repr(b)
    for field, none_is_default in _dump_fields(cls):
        x = getattr(a, field, _OMITTED)
        y = getattr(b, field, _OMITTED)
        if x is y:
            continue
        if none_is_default:
            x = _OMITTED if x is None else x
            y = _OMITTED if y is None else y
        if x is _OMITTED or y is _OMITTED:
            if x is not y:
                return False
        elif not _same(x, y):
            return False
    return True


_OMITTED = object()
_EXACT = frozenset({str, int, bool, type(None)})  # within one of these types, == is the same as equal reprs


@functools.lru_cache(maxsize=None)
def _dump_fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """A node class's fields, each with whether ``ast.dump`` leaves it out when it is None."""
    return tuple((field, getattr(cls, field, ...) is None) for field in cls._fields)


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return


def _remove(parent: ast.AST, old: ast.AST) -> bool:
    for _, value in ast.iter_fields(parent):
        if isinstance(value, list) and old in value:
            if len(value) == 1:
                return False  # an empty block would not parse
            value.remove(old)
            return True
    return False


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of (1-based line, UTF-8 byte column) in the joined lines."""
    before = sum(len(line) for line in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))


def _splice(code: str, node: ast.AST, text: str) -> str:
    lines = code.splitlines(keepends=True)
    start = _offset(lines, node.lineno, node.col_offset)
    end = _offset(lines, node.end_lineno, node.end_col_offset)
    return code[:start] + text + code[end:]


def _delete_lines(code: str, node: ast.AST) -> str:
    lines = code.splitlines(keepends=True)
    return "".join(lines[: node.lineno - 1] + lines[node.end_lineno :])
