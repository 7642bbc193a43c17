"""The generator's DuckDB queries rendered for SQLite: sqlglot's SQLite dialect plus the fixes we need.

sqlglot's stock SQLite output is wrong for two constructs the generator emits. :func:`to_sqlite` swaps
each such node for one whose stock rendering is right, renders with sqlglot's own ``SQLite`` dialect,
and puts the nodes back (no string rewriting, and no subclass of sqlglot's classes: under
``sqlglot[c]`` its dialects are compiled classes, which a Python subclass cannot be instantiated from):

=====================  ==========================================  =====================================
construct              stock SQLite output                         why it is wrong / what we emit
=====================  ==========================================  =====================================
``EXTRACT(YEAR FROM``  ``EXTRACT(YEAR FROM d)``                    SQLite has no EXTRACT:
``d)``                                                             ``CAST(STRFTIME('%Y', d) AS INTEGER)``
``x LIKE 'Ab%'``       ``x LIKE 'Ab%'``                            SQLite's LIKE ignores ASCII case,
                                                                   DuckDB's does not: ``x GLOB 'Ab*'``
=====================  ==========================================  =====================================

Dates are assumed stored as ISO-8601 text (``2021-03-05``, ``2021-03-05 14:00:00``), which is what
``STRFTIME`` and ``DATE()`` read and what makes text comparison agree with date comparison.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite

__all__ = ["to_sqlite"]

_STRFTIME_FORMATS = {
    "YEAR": "%Y",
    "MONTH": "%m",
    "DAY": "%d",
    "HOUR": "%H",
    "MINUTE": "%M",
    "DOW": "%w",
    "DAYOFWEEK": "%w",
    "DOY": "%j",
    "DAYOFYEAR": "%j",
}
"""EXTRACT units with a STRFTIME format whose integer value matches DuckDB's EXTRACT."""

_GLOB_SPECIALS = {"*": "[*]", "?": "[?]", "[": "[[]"}


def _extract_node(expression: exp.Extract) -> exp.Expr | None:
    """``CAST(STRFTIME(fmt, d) AS INTEGER)`` for ``EXTRACT(unit FROM d)``; None for a unit with no
    such format (stock output; the generator never emits those units)."""
    fmt = _STRFTIME_FORMATS.get(expression.this.name.upper())
    if fmt is None:
        return None
    strftime = exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(fmt), expression.expression.copy()])
    return exp.cast(strftime, exp.DataType.build("INTEGER"), copy=False)


def _like_pattern_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern (no ESCAPE clause) into the equivalent GLOB pattern."""
    out = []
    for ch in pattern:
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        else:
            out.append(_GLOB_SPECIALS.get(ch, ch))
    return "".join(out)


def _like_node(expression: exp.Like) -> exp.Expr | None:
    """``x GLOB 'Ab*'`` for ``x LIKE 'Ab%'`` (``NOT`` kept), a literal pattern without ESCAPE (sqlglot
    puts an ``Escape`` node above the LIKE); None otherwise."""
    pattern = expression.expression
    if isinstance(expression.parent, exp.Escape) or expression.args.get("escape") is not None:
        return None
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return None
    glob = exp.Glob(this=expression.this.copy(), expression=exp.Literal.string(_like_pattern_to_glob(pattern.this)))
    return exp.Not(this=glob) if expression.args.get("negate") else glob


_FIXES = {exp.Extract: _extract_node, exp.Like: _like_node}
_SQLITE = SQLite()


def to_sqlite(tree: exp.Expression, *, copy: bool = True) -> str:
    """``tree`` (a DuckDB-dialect query) as SQLite SQL with the same result.

    ``copy=False`` renders ``tree`` itself, for a caller that knows rendering leaves it as it was
    (the generator's queries do: ``tests/sql/test_verify.py``); sqlglot's transforms may otherwise
    rewrite parts of it in place. The nodes swapped for :data:`_FIXES` are always put back.

    Swaps go children first (the reverse of a depth-first pre-order), so a fixed node's replacement
    copies children that are fixed already (and the node's comments); they are undone in the
    opposite order. (With ``copy=False`` and a construct that sqlglot's SQLite transforms rewrite,
    such as QUALIFY, the caller's tree is changed as ``copy=False`` warns; the generator emits none.)"""
    if copy:
        tree = tree.copy()
    swapped: list[tuple[exp.Expression, exp.Expression]] = []
    root = tree
    try:
        for node in reversed(list(tree.find_all(*_FIXES, bfs=False))):
            new = _FIXES[type(node)](node)
            if new is None:
                continue
            if node.comments:
                new.add_comments(list(node.comments))
            if node is root:
                root = new
            else:
                node.replace(new)
                swapped.append((new, node))
        return _SQLITE.generate(root, copy=False)
    finally:
        for new, node in reversed(swapped):
            new.replace(node)
