"""The SQL verifiers: small checks run in order; the first that fails names the reject reason.

Each check is ``check(candidate, execution) -> Reject | None`` and may run more SQL through the
execution's sandboxed sessions. Add a verifier by writing one function here and listing it in
:data:`CHECKS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import sqlglot
from sqlglot import exp

from ..task import Reject
from .comparator import DEFAULT_COMPARATOR
from .dialect import DUCKDB
from .executor import QueryResult
from .generator import QueryCandidate
from .runtime import DatabaseSessions

__all__ = ["SqlExecution", "CHECKS", "run_checks", "second_engine", "predicate_ablations", "ablation_sqls"]


@dataclass
class SqlExecution:
    """What running a candidate did: the gold result, and the sessions further checks may use."""

    gold: QueryResult
    sessions: DatabaseSessions
    allow_all_null: bool = False
    checks_run: list[str] = field(default_factory=list)


def _ordered(candidate: QueryCandidate) -> bool:
    return candidate.order_matters


def check_round_trip(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    """Parsing the rendered SQL and rendering again gives the same SQL (DuckDB dialect)."""
    again = c.rendered_again
    if again is None:
        try:
            again = DUCKDB.generate(sqlglot.parse_one(c.sql, read=DUCKDB), copy=False)
        except sqlglot.errors.ParseError as exc:
            return Reject("round_trip_parse_error", str(exc).splitlines()[0][:200])
    return None if again == c.sql else Reject("round_trip_mismatch", again[:300])


def check_executes(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    """The gold query runs without error within its time limit."""
    if x.gold.ok:
        return None
    return Reject(f"execution_{x.gold.status}", x.gold.error or "")


def check_non_degenerate(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    """Not empty, and not all NULL unless the config allows it."""
    rows = x.gold.rows
    if not rows:
        return Reject("empty_result")
    if not x.allow_all_null and all(v is None for row in rows for v in row):
        return Reject("all_null_result")
    return None


def check_deterministic(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    """The same result on a copy of the database whose rows were inserted in another order."""
    other = x.sessions.duckdb_shuffled.run(c.sql)
    if not other.ok:
        return Reject("nondeterministic", f"shuffled copy: {other.status}")
    diff = DEFAULT_COMPARATOR.difference(x.gold.rows, other.rows, order_matters=_ordered(c))
    return None if diff is None else Reject("nondeterministic", diff)


def _order_key_positions(tree: exp.Expression, columns: list[str]) -> list[int] | None:
    """Output positions of the outermost ORDER BY keys, or None where a key is not an output column."""
    order = tree.args.get("order")
    if order is None:
        return None
    projections = tree.expressions if isinstance(tree, exp.Select) else []
    positions = []
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, exp.Literal) and key.is_int:
            positions.append(int(key.name) - 1)
            continue
        if isinstance(key, exp.Column) and not key.table and key.name in columns:
            positions.append(columns.index(key.name))
            continue
        match = next(
            (i for i, p in enumerate(projections) if (p.this if isinstance(p, exp.Alias) else p) == key), None
        )
        if match is None:
            return None
        positions.append(match)
    return positions


def check_order_ties(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    """With ORDER BY, ties may not change the answer: none at a LIMIT/OFFSET cut, and none among
    different rows when the row order is part of the answer."""
    tree = c.tree
    if tree.args.get("order") is None:
        return None
    positions = _order_key_positions(tree, x.gold.columns)
    if positions is None:
        return None  # keys are not output columns; the shuffled-copy check still guards determinism
    limit = tree.args.get("limit")
    if limit is None and tree.args.get("offset") is None:
        full = x.gold  # the query is its own unlimited version: its result is already at hand
    else:
        unlimited = tree.copy()
        unlimited.set("limit", None)
        unlimited.set("offset", None)
        full = x.sessions.duckdb.run(DUCKDB.generate(unlimited, copy=False))  # a copy of our own
    if not full.ok:
        return None
    rows = full.rows

    def tie(i: int) -> bool:  # rows i and i+1 share the sort key but differ
        if i < 0 or i + 1 >= len(rows):
            return False
        a, b = rows[i], rows[i + 1]
        return all(DEFAULT_COMPARATOR.values_equal(a[p], b[p]) for p in positions) and not DEFAULT_COMPARATOR.rows_equal(a, b)

    if limit is not None or tree.args.get("offset") is not None:
        offset = 0
        off_node = tree.args.get("offset")
        if off_node is not None and isinstance(off_node.expression, exp.Literal):
            offset = int(off_node.expression.name)
        count = len(x.gold.rows)
        if tie(offset - 1) or tie(offset + count - 1):
            return Reject("order_by_limit_ties")
        inside = range(offset, offset + count - 1)
    else:
        inside = range(len(rows) - 1)
    if c.order_matters and any(tie(i) for i in inside):
        return Reject("order_ties")
    return None


def predicate_ablations(tree: exp.Expression) -> list[exp.Expression]:
    """One copy of the query per WHERE/HAVING conjunct (in every scope), with that conjunct removed."""
    variants = []
    clauses = list(tree.find_all(exp.Where, exp.Having))
    for k, clause in enumerate(clauses):
        conjuncts = _conjuncts(clause.this)
        for j in range(len(conjuncts)):
            copy = tree.copy()
            target = list(copy.find_all(exp.Where, exp.Having))[k]
            parts = _conjuncts(target.this)
            rest = [p for i, p in enumerate(parts) if i != j]
            if rest:
                target.set("this", exp.and_(*rest, copy=False) if len(rest) > 1 else rest[0])
            else:
                target.pop()
            variants.append(copy)
    return variants


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    return list(condition.flatten()) if isinstance(condition, exp.And) else [condition]


def ablation_sqls(tree: exp.Expression) -> Iterator[str]:
    """The DuckDB SQL of each of :func:`predicate_ablations`, in the same order, without copying
    the tree: each variant is made in place, rendered, and undone before its SQL is yielded, so
    ``tree`` is exactly as it was (nodes, parents, argument order) whenever this is suspended."""
    for clause in list(tree.find_all(exp.Where, exp.Having)):
        condition = clause.this
        parts = _conjuncts(condition)
        homes = [(p.parent, p.arg_key, p.index) for p in parts]  # and_ below re-parents the parts
        holder, key, index = clause.parent, clause.arg_key, clause.index
        for j in range(len(parts)):
            rest = [p for i, p in enumerate(parts) if i != j]
            args = dict(holder.args)  # popping the clause and setting it back would move it last
            try:
                if rest:
                    clause.set("this", exp.and_(*rest, copy=False) if len(rest) > 1 else rest[0])
                else:
                    clause.pop()
                sql = DUCKDB.generate(tree, copy=False)
            finally:
                if rest:
                    clause.set("this", condition)
                else:
                    holder.set(key, clause, index)
                    holder.args.clear()
                    holder.args.update(args)
                for part, (parent, arg_key, part_index) in zip(parts, homes):
                    parent.set(arg_key, part, part_index)
            yield sql


def check_predicates_matter(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    """Removing any one WHERE/HAVING conjunct changes the result (no filter is decoration)."""
    for sql in ablation_sqls(c.tree):
        result = x.sessions.duckdb.run(sql)
        if result.ok and DEFAULT_COMPARATOR.equal(x.gold.rows, result.rows, order_matters=_ordered(c)):
            return Reject("redundant_predicate", sql[:300])
    return None


CHECKS: tuple[Callable[[QueryCandidate, SqlExecution], Reject | None], ...] = (
    check_round_trip,
    check_executes,
    check_non_degenerate,
    check_order_ties,
    check_deterministic,
    check_predicates_matter,
)
"""Every SQL candidate passes these, in this order (cheap and likely failures first)."""


def run_checks(c: QueryCandidate, x: SqlExecution) -> Reject | None:
    for check in CHECKS:
        verdict = check(c, x)
        if verdict is not None:
            return verdict
    return None


def second_engine(c: QueryCandidate, x: SqlExecution, sqlite_sql: str) -> tuple[QueryResult, str | None]:
    """Run the SQLite translation; the second value is None on agreement, else the disagreement kind."""
    result = x.sessions.sqlite.run(sqlite_sql)
    if not result.ok:
        return result, f"sqlite_{result.status}"
    diff = DEFAULT_COMPARATOR.difference(
        x.gold.rows, result.rows, order_matters=_ordered(c),
        expected_width=len(x.gold.columns), actual_width=len(result.columns),
    )
    if diff is None:
        return result, None
    kind = "row_count" if diff.startswith("row count") else "columns" if diff.startswith("column") else "values"
    return result, f"sqlite_{kind}"
