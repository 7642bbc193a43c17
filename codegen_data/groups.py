"""Structural group keys: records with the same structure share a key, whatever their literals or names.

Splits are assigned by this key, so no structure sits in two splits (no leakage from train to test),
and a structure seen twice in a dataset is a structural duplicate.

- SQL: the sqlglot tree of the query with every literal masked, rendered canonically.
- Python: the AST with every identifier (function, argument, variable, attribute-free names) renamed
  by order of first appearance and every constant replaced by its type.
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import sys
import typing

if typing.TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["sql_structure_key", "python_structure_key", "split_of"]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def sql_structure_key(sql: str, tree: exp.Expression | None = None) -> str:
    """The key of ``sql``: its tree with every literal masked, rendered as DuckDB SQL.

    ``tree`` is ``sqlglot.parse_one(sql, read="duckdb")`` where the caller has it already (a
    generated candidate does): the same key without parsing again. It is left as it was.
    """
    import sqlglot  # here, not at the top: a worker of the program tasks never needs it
    from sqlglot import exp

    duckdb = _duckdb()
    if tree is None or isinstance(tree, exp.Literal):
        tree = sqlglot.parse_one(sql, read=duckdb)
        if isinstance(tree, exp.Literal):  # nothing to mask around: the key of a lone placeholder
            return _digest(duckdb.generate(exp.Placeholder()))
    return _digest(_masked_sql(tree))


@functools.lru_cache(maxsize=None)
def _duckdb():
    """sqlglot's DuckDB dialect, one instance (naming it by its name makes a new one per render)."""
    from sqlglot.dialects.duckdb import DuckDB

    return DuckDB()


def _masked_sql(tree: exp.Expression) -> str:
    """``tree`` rendered with a placeholder in place of every literal: what rendering a masked copy
    gives, without copying the tree (each literal is swapped for a placeholder, then put back)."""
    from sqlglot import exp

    swapped = []
    try:
        for literal in list(tree.find_all(exp.Literal)):
            placeholder = exp.Placeholder()
            literal.replace(placeholder)
            swapped.append((placeholder, literal))
        return _duckdb().generate(tree, copy=False)
    finally:
        for placeholder, literal in reversed(swapped):
            placeholder.replace(literal)


_BUILTIN_NAMES = frozenset(vars(builtins))  # len, sorted, ...: part of the structure, never renamed


class _Renamer:
    """Identifiers renamed by first appearance; builtins (len, sorted, ...) are part of the structure."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in _BUILTIN_NAMES:
            return name
        renamed = self.names.get(name)
        if renamed is None:
            renamed = self.names[name] = f"v{len(self.names)}"
        return renamed


# The key is defined as Python 3.11's ``ast.dump`` (positional fields, a None optional field left out
# and every field after it named), whatever Python computes it: a field a later Python added to a node
# (``type_params``, 3.12) is left out while it is empty, and whether a field is optional is read from
# ``_field_types`` where the ast module has it (3.13), so every Python gives the same groups (and the
# same splits) for the same code.
_LATER_FIELDS = frozenset({"type_params"})


class _Normalizer(_Renamer, ast.NodeTransformer):
    """The reference normalization (:class:`_Structure` writes the same key in one pass)."""

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

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        for field in _LATER_FIELDS.intersection(node._fields):
            if not getattr(node, field, None):
                delattr(node, field)  # ast.dump leaves out a missing field (and names the ones after it)
        return node


def _reference_key(code: str) -> str:
    """``ast.dump`` of the :class:`_Normalizer`-ed tree: what :func:`python_structure_key` digests."""
    tree = _Normalizer().visit(ast.parse(code))
    empty = {"show_empty": True} if sys.version_info >= (3, 13) else {}  # 3.13 leaves out empty lists by default
    return ast.dump(tree, annotate_fields=False, include_attributes=False, **empty)


_CONTEXTS = {ast.Load: ", Load())", ast.Store: ", Store())", ast.Del: ", Del())"}


class _Structure(_Renamer):
    """:func:`_reference_key` in one pass, three times as fast: renames as the normalizer would
    (identifiers by first appearance in its depth-first order, constants to their type name,
    annotations dropped) while writing ``ast.dump(tree, annotate_fields=False)`` of the result into
    one list of string pieces."""

    def write(self, node: ast.AST) -> str:
        out: list[str] = []
        self._write(node, out)
        return "".join(out)

    def _write(self, node: ast.AST, out: list[str]) -> None:
        cls = node.__class__
        if cls is ast.Name:
            ctx = node.ctx.__class__  # type: ignore[attr-defined]
            out += ("Name(", repr(self._name(node.id)), _CONTEXTS.get(ctx) or f", {ctx.__name__}())")  # type: ignore[attr-defined]
            return
        if cls is ast.Constant:
            out += ("Constant(", repr(type(node.value).__name__), ")")  # type: ignore[attr-defined]
            return
        if cls is ast.arg:  # the annotation is dropped, so nothing in it is renamed
            comment = node.type_comment  # type: ignore[attr-defined]
            out += ("arg(", repr(self._name(node.arg)), ")" if comment is None else f", type_comment={comment!r})")  # type: ignore[attr-defined]
            return
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = _FIELDS[cls] = _fields(cls)
        if not fields:  # an operator or a context: Add(), Load()
            out.append(cls.__name__ + "()")
            return
        out.append(cls.__name__ + "(")
        keywords = False  # ast.dump names every field after the first one it leaves out
        sep = ""
        function = cls is ast.FunctionDef
        for field, optional, later in fields:
            if function and field in ("name", "returns"):
                value: object = self._name(node.name) if field == "name" else None  # type: ignore[attr-defined]
            else:
                value = getattr(node, field, _MISSING)
                if value is _MISSING:
                    keywords = True
                    continue
            if value is None and optional:
                keywords = True
                continue
            if later and not value:
                continue
            out.append(f"{sep}{field}=" if keywords else sep)
            sep = ", "
            if isinstance(value, ast.AST):
                self._write(value, out)
            elif isinstance(value, list):
                out.append("[")
                inner = ""
                for item in value:
                    out.append(inner)
                    inner = ", "
                    if isinstance(item, ast.AST):
                        self._write(item, out)
                    else:
                        out.append(repr(item))
                out.append("]")
            else:
                out.append(repr(value))
        out.append(")")


_MISSING = object()
_FIELDS: dict[type, tuple[tuple[str, bool, bool], ...]] = {}  # _fields by node class, looked up without a call


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, bool, bool], ...]:
    """A node class's fields, each with whether it is optional (``ast.dump`` leaves out a None there)
    and whether it is one of :data:`_LATER_FIELDS`."""
    types = getattr(cls, "_field_types", None)  # 3.13: the ASDL type of each field
    out = []
    for field in cls._fields:
        if types is not None and field in types:
            optional = type(None) in typing.get_args(types[field])
        else:
            optional = getattr(cls, field, ...) is None
        out.append((field, optional, field in _LATER_FIELDS))
    return tuple(out)


def python_structure_key(code: str, tree: ast.Module | None = None) -> str:
    """The key of ``code``; ``tree`` is ``ast.parse(code)`` when the caller has it already (only read)."""
    return _digest(_Structure().write(tree if tree is not None else ast.parse(code)))


def split_of(group: str, splits: dict[str, float]) -> str:
    """The split a group belongs to: a pure function of the key and the ratios (not of the seed, so a
    structure stays in its split when a dataset is regenerated with a new seed)."""
    u = int.from_bytes(hashlib.blake2b(f"split:{group}".encode(), digest_size=8).digest(), "big") / 2**64
    total = 0.0
    names = list(splits)
    for name in names:
        total += splits[name]
        if u < total:
            return name
    return names[-1]
