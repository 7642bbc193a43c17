"""What a query uses and how hard it is, read off its sqlglot tree (never off the generator's plan).

``detect_features(tree)`` walks the tree and names every construct in :data:`FEATURES` that occurs.
``classify_difficulty(tree)`` scores the tree in the spirit of Spider's hardness levels with two counts:

* **H**, hard constructs: each subquery (scalar, ``IN (SELECT ...)``, ``EXISTS``, derived table),
  each CTE, each set operation (``UNION``/``INTERSECT``/``EXCEPT``) and each window function call.
* **C**, clauses, summed over every ``SELECT`` in the tree (and the set operations' own ORDER/LIMIT):
  each atomic WHERE predicate, each atomic HAVING predicate, each JOIN, and one each for GROUP BY,
  ORDER BY, LIMIT/OFFSET and SELECT DISTINCT. Atomic predicates are the leaves under AND/OR/NOT.

==========  ==========================================================================
level       rule (first match wins, from the top)
==========  ==========================================================================
extra       H >= 2, or H = 1 and C >= 5
hard        H = 1 (and C <= 4), or H = 0 and C >= 5
medium      H = 0, C <= 4, and a JOIN, a GROUP BY or C >= 2
easy        H = 0, no JOIN, no GROUP BY, C <= 1
==========  ==========================================================================

Example: ``SELECT name FROM employees WHERE salary > 5000`` is easy (C = 1); adding ``ORDER BY
salary`` makes it medium (C = 2); ``... WHERE salary > (SELECT AVG(salary) FROM employees)`` is
hard (H = 1, C = 1); a window function over a CTE is extra (H = 2).
"""

from __future__ import annotations

import functools

from sqlglot import exp

__all__ = ["FEATURES", "FEATURE_DOCS", "DIFFICULTIES", "detect_features", "classify_difficulty", "difficulty_counts", "condition_clauses"]

DIFFICULTIES = ("easy", "medium", "hard", "extra")
"""Difficulty levels from easiest to hardest."""

FEATURE_DOCS: dict[str, str] = {
    "where": "a WHERE clause",
    "comparison": "a comparison (=, <>, <, <=, >, >=) in WHERE or HAVING",
    "between": "x BETWEEN a AND b",
    "in_list": "x IN (literal, ...)",
    "like": "x LIKE 'pattern'",
    "is_null": "x IS NULL or x IS NOT NULL",
    "boolean_logic": "OR or NOT in a WHERE/HAVING condition, or two or more AND-ed predicates",
    "inner_join": "an INNER JOIN",
    "left_join": "a LEFT JOIN",
    "multi_join": "a SELECT with two or more joins",
    "self_join": "a SELECT reading the same table twice (under two aliases)",
    "group_by": "a GROUP BY clause",
    "count": "COUNT(*) or COUNT(x)",
    "count_distinct": "COUNT(DISTINCT x)",
    "sum": "SUM(x) as an aggregate",
    "avg": "AVG(x) as an aggregate",
    "min": "MIN(x) as an aggregate",
    "max": "MAX(x) as an aggregate",
    "having": "a HAVING clause",
    "order_by": "a query-level ORDER BY",
    "limit": "a LIMIT clause",
    "offset": "an OFFSET clause",
    "distinct": "SELECT DISTINCT",
    "case": "a CASE expression",
    "coalesce": "COALESCE(x, y)",
    "arithmetic": "+, -, * or / on values",
    "round": "ROUND(x, n)",
    "string_function": "UPPER, LOWER, LENGTH, SUBSTRING, TRIM, REPLACE or || on strings",
    "date_function": "EXTRACT(YEAR|MONTH|DAY FROM d) or another date function",
    "date_comparison": "a comparison or BETWEEN against a DATE/TIMESTAMP literal",
    "scalar_subquery": "a subquery used as a single value",
    "in_subquery": "x IN (SELECT ...)",
    "exists": "EXISTS (SELECT ...)",
    "correlated_subquery": "a subquery that references a table alias of an enclosing query",
    "from_subquery": "a subquery in FROM or JOIN (derived table)",
    "cte": "a WITH clause (common table expression)",
    "union": "UNION or UNION ALL",
    "intersect": "INTERSECT",
    "except": "EXCEPT",
    "window_row_number": "ROW_NUMBER() OVER (...)",
    "window_rank": "RANK() OVER (...)",
    "window_dense_rank": "DENSE_RANK() OVER (...)",
    "window_lag_lead": "LAG(...) or LEAD(...) OVER (...)",
    "window_running_sum": "SUM(...) OVER (ORDER BY ... ROWS UNBOUNDED PRECEDING ...)",
    "window_partition": "a window with PARTITION BY",
}
"""Every feature name the generator can emit, with what it means."""

FEATURES: tuple[str, ...] = tuple(FEATURE_DOCS)

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_AGGREGATES = {exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max"}
_STRING_FUNCTIONS = (exp.Upper, exp.Lower, exp.Length, exp.Substring, exp.Trim, exp.DPipe, exp.Concat, exp.StrPosition)
_DATE_FUNCTIONS = (exp.Extract, exp.Year, exp.Month, exp.Day, exp.DateDiff, exp.DateTrunc, exp.DateAdd, exp.DateSub)
_WINDOW_FUNCTIONS = {
    exp.RowNumber: "window_row_number",
    exp.Rank: "window_rank",
    exp.DenseRank: "window_dense_rank",
    exp.Lag: "window_lag_lead",
    exp.Lead: "window_lag_lead",
    exp.Sum: "window_running_sum",
}
_SET_OPERATIONS = {exp.Union: "union", exp.Intersect: "intersect", exp.Except: "except"}
_DATE_TYPES = {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME}


def _atoms(condition: exp.Expression) -> list[exp.Expression]:
    """The atomic predicates under AND/OR/NOT/parentheses."""
    node = condition
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.And, exp.Or)):
        return _atoms(node.left) + _atoms(node.right)
    if isinstance(node, exp.Not):
        return _atoms(node.this)
    return [node]


def _own_nodes(select: exp.Expression, kinds):
    """Nodes of ``kinds`` under ``select`` that are not inside a nested SELECT/set operation."""
    for node in select.find_all(kinds):
        parent = node.parent
        nested = False
        while parent is not None and parent is not select:
            if isinstance(parent, (exp.Select, exp.SetOperation)):
                nested = True
                break
            parent = parent.parent
        if not nested:
            yield node


def _is_date_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.to.this in _DATE_TYPES


def _source_names(select: exp.Select) -> set[str]:
    """Aliases (or bare names) of the tables and derived tables a SELECT reads."""
    names: set[str] = set()
    sources = []
    if select.args.get("from_") is not None:
        sources.append(select.args["from_"].this)
    sources.extend(j.this for j in select.args.get("joins") or [])
    for src in sources:
        names.add(src.alias_or_name)
    return names


def _is_correlated(select: exp.Select) -> bool:
    """Whether a nested SELECT references a table qualifier it does not define itself."""
    own = set()
    for inner in select.find_all(exp.Select):
        own |= _source_names(inner)
    for col in select.find_all(exp.Column):
        if col.table and col.table not in own:
            return True
    return False


def _table_names(select: exp.Select) -> list[str]:
    sources = []
    if select.args.get("from_") is not None:
        sources.append(select.args["from_"].this)
    sources.extend(j.this for j in select.args.get("joins") or [])
    return [s.name for s in sources if isinstance(s, exp.Table)]


_DETECTED = (
    exp.Where, exp.Having, *_COMPARISONS, exp.Between, exp.In, exp.Like, exp.Is, exp.Join, exp.Select, exp.Count,
    exp.Window, *_AGGREGATES, exp.Case, exp.Coalesce, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Round,
    *_STRING_FUNCTIONS, *_DATE_FUNCTIONS, exp.Exists, exp.With, *_SET_OPERATIONS, exp.Order, exp.Limit, exp.Offset,
    exp.Subquery,
)
"""Every node type :func:`detect_features` asks about: any other node (a column, a name, a literal:
most of a tree) adds no feature, and is passed over before some thirty ``isinstance`` tests."""


@functools.lru_cache(maxsize=None)
def _detected(kind: type) -> bool:
    return issubclass(kind, _DETECTED)


def detect_features(tree: exp.Expression) -> tuple[str, ...]:
    """Sorted names of the :data:`FEATURES` that occur anywhere in ``tree``. (A branch for a new
    node type must add that type to :data:`_DETECTED`, or its nodes are passed over.)"""
    found: set[str] = set()
    for node in tree.walk():
        if not _detected(type(node)):
            continue
        if isinstance(node, exp.Where):
            found.add("where")
        if isinstance(node, (exp.Where, exp.Having)):
            atoms = _atoms(node.this)
            if len(atoms) >= 2 or _has_connective(node.this):
                found.add("boolean_logic")
            if any(isinstance(atom, _COMPARISONS) for atom in atoms):
                found.add("comparison")
        if isinstance(node, _COMPARISONS) or isinstance(node, exp.Between):
            operands = (
                [node.this, node.expression]
                if not isinstance(node, exp.Between)
                else [node.args["low"], node.args["high"]]
            )
            if any(_is_date_literal(o) for o in operands):
                found.add("date_comparison")
        if isinstance(node, exp.Between):
            found.add("between")
        elif isinstance(node, exp.In):
            found.add("in_subquery" if node.args.get("query") is not None else "in_list")
        elif isinstance(node, exp.Like):
            found.add("like")
        elif isinstance(node, exp.Is):
            found.add("is_null")
        elif isinstance(node, exp.Join):
            found.add("left_join" if (node.side or "").upper() == "LEFT" else "inner_join")
        elif isinstance(node, exp.Select):
            joins = node.args.get("joins") or []
            if len(joins) >= 2:
                found.add("multi_join")
            names = _table_names(node)
            if len(names) != len(set(names)):
                found.add("self_join")
            if node.args.get("distinct") is not None:
                found.add("distinct")
            if node.args.get("group") is not None:
                found.add("group_by")
            if node.args.get("having") is not None:
                found.add("having")
        elif isinstance(node, exp.Count):
            found.add("count_distinct" if isinstance(node.this, exp.Distinct) else "count")
        elif isinstance(node, exp.Window):
            func = node.this
            for kind, name in _WINDOW_FUNCTIONS.items():
                if isinstance(func, kind):
                    found.add(name)
            if node.args.get("partition_by"):
                found.add("window_partition")
        elif isinstance(node, tuple(_AGGREGATES)):
            if not isinstance(node.parent, exp.Window):
                found.add(_AGGREGATES[type(node)])
        elif isinstance(node, exp.Case):
            found.add("case")
        elif isinstance(node, exp.Coalesce):
            found.add("coalesce")
        elif isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
            found.add("arithmetic")
        elif isinstance(node, exp.Round):
            found.add("round")
        elif isinstance(node, _STRING_FUNCTIONS):
            found.add("string_function")
        elif isinstance(node, _DATE_FUNCTIONS):
            found.add("date_function")
        elif isinstance(node, exp.Exists):
            found.add("exists")
            if _is_correlated(node.this):
                found.add("correlated_subquery")
        elif isinstance(node, exp.With):
            found.add("cte")
        elif isinstance(node, tuple(_SET_OPERATIONS)):
            found.add(_SET_OPERATIONS[type(node)])
        elif isinstance(node, exp.Order):
            if not isinstance(node.parent, exp.Window):
                found.add("order_by")
        elif isinstance(node, exp.Limit):
            found.add("limit")
        elif isinstance(node, exp.Offset):
            found.add("offset")
        elif isinstance(node, exp.Subquery):
            parent = node.parent
            if isinstance(parent, (exp.From, exp.Join)):
                found.add("from_subquery")
            elif isinstance(parent, exp.In) and parent.args.get("query") is node:
                pass
            elif isinstance(parent, exp.CTE) or isinstance(node.this, exp.SetOperation):
                pass
            else:
                found.add("scalar_subquery")
            if (
                not isinstance(parent, (exp.From, exp.Join))
                and isinstance(node.this, exp.Select)
                and _is_correlated(node.this)
            ):
                found.add("correlated_subquery")
    return tuple(sorted(found))


def _has_connective(condition: exp.Expression) -> bool:
    """Whether OR or NOT occurs above the atomic predicates of a condition."""
    node = condition
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.Or, exp.Not)):
        return True
    if isinstance(node, exp.And):
        return _has_connective(node.left) or _has_connective(node.right)
    return False


def difficulty_counts(tree: exp.Expression) -> tuple[int, int, bool]:
    """(H, C, joins or grouping present) as defined in the module docstring."""
    hard = 0
    clauses = 0
    joined_or_grouped = False
    for node in tree.walk():
        if isinstance(node, exp.Subquery):
            hard += 1
        elif isinstance(node, exp.Exists):
            hard += 1
        elif isinstance(node, exp.CTE):
            hard += 1
        elif isinstance(node, exp.SetOperation):
            hard += 1
            clauses += _tail_clauses(node)
        elif isinstance(node, exp.Window):
            hard += 1
        elif isinstance(node, exp.Select):
            joins = node.args.get("joins") or []
            clauses += len(joins)
            if node.args.get("where") is not None:
                clauses += len(_atoms(node.args["where"].this))
            if node.args.get("having") is not None:
                clauses += len(_atoms(node.args["having"].this))
            if node.args.get("group") is not None:
                clauses += 1
            if node.args.get("distinct") is not None:
                clauses += 1
            clauses += _tail_clauses(node)
            if joins or node.args.get("group") is not None:
                joined_or_grouped = True
    return hard, clauses, joined_or_grouped


def condition_clauses(condition: exp.Expression) -> int:
    """The clauses ``condition`` adds to a query as the WHERE of its outermost SELECT, counted as
    :func:`difficulty_counts` counts them (its atoms, and the clauses of any query inside it)."""
    return len(_atoms(condition)) + difficulty_counts(condition)[1]


def _tail_clauses(node: exp.Expression) -> int:
    n = 1 if node.args.get("order") is not None else 0
    if node.args.get("limit") is not None or node.args.get("offset") is not None:
        n += 1
    return n


def classify_difficulty(tree: exp.Expression) -> str:
    """easy/medium/hard/extra by the table in the module docstring."""
    hard, clauses, joined_or_grouped = difficulty_counts(tree)
    if hard >= 2 or (hard == 1 and clauses >= 5):
        return "extra"
    if hard == 1 or clauses >= 5:
        return "hard"
    if joined_or_grouped or clauses >= 2:
        return "medium"
    return "easy"
