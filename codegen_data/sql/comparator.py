"""One result comparator, used by verification (DuckDB vs. shuffled copy vs. SQLite) and by the evaluator.

Results are compared as values, never as text:

- **Columns** are compared by position and count; names are ignored (engines name expression columns
  differently, and a question fixes the column order, not the alias).
- **Rows** are a bag (multiset) unless ``order_matters``; then the sequence must match.
- **NULL** equals only NULL.
- **Numbers**: ``bool``, ``int`` and ``float`` compare numerically (SQLite has no boolean, so ``True``
  equals ``1``) with ``math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)``; for bag comparison the
  rows are first sorted on a canonical key in which floats are rounded to 9 significant digits.
- **Everything else** (strings; dates and timestamps, already ISO text after ``to_json_value``)
  compares by equality.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import uuid
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["ResultComparator", "to_json_value", "canonical_order", "DEFAULT_COMPARATOR"]


def to_json_value(value: Any) -> Any:
    """A database value as a JSON value (the ``result.rows`` format of every SQL record).

    DATE -> ``"YYYY-MM-DD"``; TIMESTAMP -> ``"YYYY-MM-DD HH:MM:SS[.ffffff]"`` (SQL style, space
    separator, as SQLite stores it); TIME -> ``"HH:MM:SS"``; DECIMAL -> JSON number (float); non-finite
    floats -> ``"nan"``, ``"inf"``, ``"-inf"``; BLOB -> hex text; intervals and UUIDs -> text; lists and
    structs recursively.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, decimal.Decimal):
        return to_json_value(float(value))
    if isinstance(value, _dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (_dt.timedelta, uuid.UUID)):
        return str(value)
    return str(value)


def canonical_order(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows sorted by a total order over JSON values: how an unordered result is recorded, so the
    bytes of a record never depend on the order an engine happened to return its rows in."""
    return sorted((list(r) for r in rows), key=lambda r: [_sort_key(v) for v in r])


def _sort_key(value: Any) -> tuple:
    # A total order over JSON values of mixed types; numbers share one rank so 1 and 1.0 and True meet.
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, float)):
        return (1, float(f"{float(value):.9g}"))
    if isinstance(value, str):
        return (2, value)
    return (3, repr(value))


@dataclass(frozen=True)
class ResultComparator:
    """Compares two results (lists of rows of JSON values); see the module docstring for the rules."""

    rel_tol: float = 1e-6
    abs_tol: float = 1e-9

    def values_equal(self, a: Any, b: Any) -> bool:
        if a is None or b is None:
            return a is None and b is None
        a_num = isinstance(a, (bool, int, float))
        b_num = isinstance(b, (bool, int, float))
        if a_num or b_num:
            return a_num and b_num and math.isclose(float(a), float(b), rel_tol=self.rel_tol, abs_tol=self.abs_tol)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(self.values_equal(x, y) for x, y in zip(a, b))
        return a == b

    def rows_equal(self, a: Sequence[Any], b: Sequence[Any]) -> bool:
        return len(a) == len(b) and all(self.values_equal(x, y) for x, y in zip(a, b))

    def difference(
        self,
        expected: Sequence[Sequence[Any]],
        actual: Sequence[Sequence[Any]],
        *,
        order_matters: bool,
        expected_width: int | None = None,
        actual_width: int | None = None,
    ) -> str | None:
        """``None`` when the results are equal, else a short reason (``"row count 3 != 4"``).

        Widths (column counts) are taken from the first row unless given, so that two empty results
        with different columns still differ when the caller knows their columns.
        """
        if expected_width is None and expected:
            expected_width = len(expected[0])
        if actual_width is None and actual:
            actual_width = len(actual[0])
        if expected_width is not None and actual_width is not None and expected_width != actual_width:
            return f"column count {expected_width} != {actual_width}"
        if len(expected) != len(actual):
            return f"row count {len(expected)} != {len(actual)}"
        if not order_matters:
            expected = sorted(expected, key=lambda r: [_sort_key(v) for v in r])
            actual = sorted(actual, key=lambda r: [_sort_key(v) for v in r])
        for i, (e, a) in enumerate(zip(expected, actual)):
            if not self.rows_equal(e, a):
                where = f"row {i}" if order_matters else "rows"
                return f"{where} differ: {list(e)!r} != {list(a)!r}"[:300]
        return None

    def equal(
        self, expected: Sequence[Sequence[Any]], actual: Sequence[Sequence[Any]], *, order_matters: bool
    ) -> bool:
        return self.difference(expected, actual, order_matters=order_matters) is None

    def results_difference(self, expected: dict, actual: dict, *, order_matters: bool) -> str | None:
        """Compare two ``{"columns": [...], "rows": [...]}`` results (the record format)."""
        return self.difference(
            expected["rows"],
            actual["rows"],
            order_matters=order_matters,
            expected_width=len(expected["columns"]),
            actual_width=len(actual["columns"]),
        )


DEFAULT_COMPARATOR = ResultComparator()
