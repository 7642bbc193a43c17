"""The generator's DuckDB queries rendered for SQLite: sqlglot's SQLite dialect plus the fixes we need.

sqlglot's stock SQLite output is wrong for two constructs the generator emits; each is fixed once here
as a transform on a small ``SQLite`` subclass (no string rewriting):

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

__all__ = ["SQLiteForDuckDB", "to_sqlite"]

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


def _extract_sql(self: SQLite.Generator, expression: exp.Extract) -> str:
    unit = expression.this.name.upper()
    fmt = _STRFTIME_FORMATS.get(unit)
    if fmt is None:
        return self.extract_sql(expression)  # stock output; the generator never emits these units
    strftime = exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(fmt), expression.expression])
    return self.sql(exp.cast(strftime, exp.DataType.build("INTEGER")))


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


def _like_sql(self: SQLite.Generator, expression: exp.Like) -> str:
    pattern = expression.expression
    if expression.args.get("escape") is None and isinstance(pattern, exp.Literal) and pattern.is_string:
        glob = exp.Glob(this=expression.this, expression=exp.Literal.string(_like_pattern_to_glob(pattern.this)))
        return self.sql(glob)
    return self.binary(expression, "LIKE")


class SQLiteForDuckDB(SQLite):
    """SQLite, with DuckDB's meaning kept for the constructs listed in the module docstring."""

    class Generator(SQLite.Generator):
        TRANSFORMS = {
            **SQLite.Generator.TRANSFORMS,
            exp.Extract: _extract_sql,
            exp.Like: _like_sql,
        }


_SQLITE = SQLiteForDuckDB()


def to_sqlite(tree: exp.Expression, *, copy: bool = True) -> str:
    """``tree`` (a DuckDB-dialect query) as SQLite SQL with the same result.

    ``copy=False`` renders ``tree`` itself, for a caller that knows rendering leaves it as it was
    (the generator's queries do: ``tests/sql/test_verify.py``); sqlglot's transforms may otherwise
    rewrite parts of it in place."""
    return _SQLITE.generate(tree, copy=copy)
