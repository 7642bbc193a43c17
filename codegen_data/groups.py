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


class _Normalizer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if hasattr(builtins, name):
            return name  # builtins (len, sorted, ...) are part of the structure
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


def python_structure_key(code: str) -> str:
    tree = _Normalizer().visit(ast.parse(code))
    return _digest(ast.dump(tree, annotate_fields=False, include_attributes=False))


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
