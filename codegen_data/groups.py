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

import sqlglot
from sqlglot import exp

__all__ = ["sql_structure_key", "python_structure_key", "split_of"]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def sql_structure_key(sql: str) -> str:
    tree = sqlglot.parse_one(sql, read="duckdb")

    def mask(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal):
            return exp.Placeholder()
        return node

    return _digest(tree.transform(mask).sql(dialect="duckdb"))


class _Renamer:
    """Identifiers renamed by first appearance; builtins (len, sorted, ...) are part of the structure."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if hasattr(builtins, name):
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")


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


def _reference_key(code: str) -> str:
    """``ast.dump`` of the :class:`_Normalizer`-ed tree: what :func:`python_structure_key` digests."""
    tree = _Normalizer().visit(ast.parse(code))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


class _Structure(_Renamer):
    """:func:`_reference_key` in one pass, twice as fast: renames as the normalizer would
    (identifiers by first appearance in its depth-first order, constants to their type name,
    annotations dropped) while writing ``ast.dump(tree, annotate_fields=False)`` of the result."""

    def write(self, node: ast.AST) -> str:
        cls = node.__class__
        if cls is ast.Constant:
            return f"Constant({type(node.value).__name__!r})"  # type: ignore[attr-defined]
        if cls is ast.Name:
            return f"Name({self._name(node.id)!r}, {node.ctx.__class__.__name__}())"  # type: ignore[attr-defined]
        if cls is ast.arg:  # the annotation is dropped, so nothing in it is renamed
            comment = node.type_comment  # type: ignore[attr-defined]
            text = f"arg({self._name(node.arg)!r}"  # type: ignore[attr-defined]
            return text + (f", type_comment={comment!r})" if comment is not None else ")")
        args = []
        keywords = False  # ast.dump names every field after the first one it leaves out
        for field, optional in _fields(cls):
            if cls is ast.FunctionDef and field in ("name", "returns"):
                value: object = self._name(node.name) if field == "name" else None  # type: ignore[attr-defined]
            else:
                value = getattr(node, field, _MISSING)
                if value is _MISSING:
                    keywords = True
                    continue
            if value is None and optional:
                keywords = True
                continue
            if isinstance(value, ast.AST):
                text = self.write(value)
            elif isinstance(value, list):
                text = "[" + ", ".join(self.write(v) if isinstance(v, ast.AST) else repr(v) for v in value) + "]"
            else:
                text = repr(value)
            args.append(f"{field}={text}" if keywords else text)
        return f"{cls.__name__}({', '.join(args)})"


_MISSING = object()


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """A node class's fields, each with whether it is optional (``ast.dump`` leaves out a None there)."""
    return tuple((field, getattr(cls, field, ...) is None) for field in cls._fields)


def python_structure_key(code: str) -> str:
    return _digest(_Structure().write(ast.parse(code)))


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
