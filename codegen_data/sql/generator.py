"""Text-to-SQL candidates: a DuckDB query built as a sqlglot tree, and the English question it answers.

``generate_query(rng, db, difficulty=..., grammar=load_grammar("sql"))`` draws a *plan* (a query shape)
for the target difficulty from ``grammars/sql.toml``, fills it from the schema and from values that
occur in ``db.rows``, and returns a :class:`QueryCandidate`. It never runs SQL: the pipeline executes
and verifies the candidate (``codegen_data/sql/verify.py``).

Queries are assembled from small semantic blocks; each carries its sqlglot expression, its English
phrase and, for filters, a Python test over the rows of ``db``:

========  ======================================  ============================================================
block     expression                              phrase
========  ======================================  ============================================================
filter    ``salary > 5000``                       "whose salary is greater than 5000"
output    ``ROUND(AVG(salary), 2) AS ...``        "the average salary rounded to 2 decimal places"
sort key  ``salary DESC``                         "the salary in descending order"
window    ``RANK() OVER (ORDER BY salary DESC)``  "the rank of the employee by salary in descending order ..."
========  ======================================  ============================================================

The Python tests let the generator simulate each query on ``db.rows`` before it is ever run: literals are
drawn from occurring values so that every filter keeps some rows and drops others, and a plan is dropped
when removing any filter (or any conjunct inside a subquery) would leave the returned rows unchanged.
ORDER BY always ends in a unique key (the primary key, or the group key), window orderings that need it
too, and the question states every tie-breaker.

Plans (weights per level in ``[plans.*]``): ``rows_*`` (filtered, sorted, top-k, joined, left-joined,
with subquery filters or window columns), ``aggregate*``, ``distinct_*``, ``grouped*``, ``left_join_count``,
``correlated_count``, ``derived_table``, ``cte_join``, ``cte_vs_average``, ``set_operation*``,
``top_per_group``, ``many_clauses``, ``hard_many_clauses``. The level is always *measured* on the built
tree by :func:`classify_difficulty` (rule table in ``codegen_data/sql/features.py``):

==========  ============================================================================
level       H = subqueries + CTEs + set operations + window calls; C = clauses (WHERE and
            HAVING atoms, joins, GROUP BY, ORDER BY, LIMIT/OFFSET, DISTINCT), whole tree
==========  ============================================================================
extra       H >= 2, or H = 1 and C >= 5
hard        H = 1 and C <= 4, or H = 0 and C >= 5
medium      H = 0, C <= 4, and a JOIN, a GROUP BY or C >= 2
easy        H = 0, no JOIN, no GROUP BY, C <= 1
==========  ============================================================================

A plan whose tree lands on another level, or that cannot be filled on this database, is redrawn from the
same rng stream (at most ``[generator].max_attempts`` times).

Determinism: only ``rng`` draws; the schema, rows and grammar tables are walked in their stored order;
no set order or ``hash()`` decides anything.

Example (hospital domain, extra: H = 1, C = 5)::

    SELECT p.full_name, p.birth_date FROM patients AS p WHERE NOT EXISTS(SELECT 1 FROM appointments AS a
    WHERE a.patient_id = p.id AND a.visit_type = 'follow up') ORDER BY p.birth_date ASC, p.id ASC
    LIMIT 4 OFFSET 1

    "What are the full name and the birth date of patients that have no appointment (whose visit type is
    'follow up')? Sort by the birth date in ascending order, then by the id in ascending order. Skip the
    first row and return only the next 4 rows."
"""

from __future__ import annotations

import datetime as _dt
import decimal
import operator
import random
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

from ..grammar import Grammar
from .dialect import DUCKDB
from .features import DIFFICULTIES, FEATURES, classify_difficulty, condition_clauses, detect_features
from .questions import SENTENCE_FRAMES, capitalize, join_words, literal_text, ordinal_rows, quoted_list, with_article
from .schema import Column, Database, Table

__all__ = [
    "DIFFICULTIES",
    "FEATURES",
    "QueryCandidate",
    "generate_query",
    "detect_features",
    "classify_difficulty",
]

_NUMERIC = ("INTEGER", "BIGINT", "DECIMAL", "DOUBLE")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_INT32_SAFE = 2**30


@dataclass(frozen=True)
class QueryCandidate:
    """A generated query, its question, and what it is made of."""

    tree: exp.Expression  # the query, DuckDB dialect
    sql: str  # tree.sql(dialect="duckdb"), one line
    question: str  # English question/instruction
    features: tuple[str, ...]  # sorted, from detect_features(tree)
    difficulty: str  # classify_difficulty(tree)
    order_matters: bool  # True iff the outermost query has ORDER BY
    rendered_again: str | None = None  # parse(sql) rendered again, where building the candidate did that already


class _PlanFailed(Exception):
    """A plan cannot be built on this database (missing columns, no selective literal): try another."""


# --- the drawing context ------------------------------------------------------------------------


class _Ctx:
    """The rng, database and grammar of one candidate, plus helpers that draw from them."""

    def __init__(self, rng: random.Random, db: Database, grammar: Grammar):
        self.rng = rng
        self.db = db
        self.grammar = grammar
        self.knobs = grammar.section("knobs")
        self.limits = grammar.section("limits")
        self.settings = grammar.section("generator")
        self.aliases: list[str] = []
        self.style = self.pick("phrasing")

    def chance(self, knob: str) -> bool:
        return self.rng.random() < float(self.knobs[knob])

    def pick(self, section: str, allowed: list[str] | None = None) -> str:
        """A name from a weights table (dotted path, restricted to ``allowed``), drawn by weight."""
        weights = _weights_at(self.grammar, section)
        names = [n for n, w in weights.items() if w > 0 and (allowed is None or n in allowed)]
        if not names:
            raise _PlanFailed(f"nothing to draw from [{section}]")
        return self.rng.choices(names, weights=[weights[n] for n in names])[0]

    def choice(self, items: list):
        if not items:
            raise _PlanFailed("empty choice")
        return items[self.rng.randrange(len(items))]

    def limit_range(self, low: str, high: str) -> int:
        return self.rng.randint(int(self.limits[low]), int(self.limits[high]))

    def table_rows(self, table: Table) -> list[dict[str, Any]]:
        names = [c.name for c in table.columns]
        return [dict(zip(names, row, strict=True)) for row in self.db.rows.get(table.name, ())]

    def alias(self, table_name: str) -> str:
        base = "".join(word[0] for word in table_name.split("_")) or "t"
        name = base
        k = 2
        while name in self.aliases or _is_keyword(name):
            name = f"{base}{k}"
            k += 1
        self.aliases.append(name)
        return name


_WEIGHTS: dict[tuple[int, str], tuple[Grammar, dict[str, float]]] = {}  # (id(grammar), path) -> its table


def _weights_at(grammar: Grammar, dotted: str) -> dict[str, float]:
    """The ``name = weight`` table at a dotted path (``predicates.category``) of the grammar, read and
    checked once per grammar and path (a candidate reads a dozen): callers only read it."""
    cached = _WEIGHTS.get((id(grammar), dotted))
    if cached is not None and cached[0] is grammar:  # holding the grammar keeps its id from being reused
        return cached[1]
    node: Any = grammar.data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"grammar {grammar.name!r} has no [{dotted}] table")
        node = node[part]
    weights = {}
    for name, w in node.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise ValueError(f"grammar {grammar.name!r}: [{dotted}].{name} must be a non-negative number")
        weights[name] = float(w)
    _WEIGHTS[(id(grammar), dotted)] = (grammar, weights)
    return weights


def _is_keyword(name: str) -> bool:
    return name.upper() in DuckDB.Tokenizer.KEYWORDS or name.lower() in DuckDB.Generator.RESERVED_KEYWORDS


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# --- sources, column references, scopes ---------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A table in a FROM clause; ``owner`` is its English role relative to the main rows."""

    table: Table
    alias: str | None
    owner: str | None = None  # None: the main table; "department": the main row's department
    key: str = field(init=False, repr=False, compare=False)  # its name in the rows: alias, else table name

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.alias or self.table.name)  # read for every row of every test

    def table_expr(self) -> exp.Table:
        return exp.table_(self.table.name, alias=self.alias) if self.alias else exp.table_(self.table.name)

    def ref(self, column: Column | str) -> _Ref:
        col = self.table.column(column) if isinstance(column, str) else column
        return _Ref(self, col)


@dataclass(frozen=True)
class _Ref:
    """A column of a source: its expression, its English words, its value in a Python row."""

    source: _Source
    column: Column
    slot: tuple[str, str] = field(init=False, repr=False, compare=False)  # its key in a Python row

    def __post_init__(self) -> None:
        object.__setattr__(self, "slot", (self.source.key, self.column.name))

    @property
    def expr(self) -> exp.Column:
        return exp.column(self.column.name, table=self.source.alias)

    @property
    def words(self) -> str:
        owner, label = self.source.owner, self.column.label
        if owner is None or (owner == self.source.table.singular and label.startswith(owner + " ")):
            return label  # "department name" rather than "department's department name"
        return f"{owner}'s {label}"

    @property
    def noun(self) -> str:
        return f"the {self.words}"

    @property
    def snake(self) -> str:
        if self.source.owner is None:
            return self.column.name
        prefix = _snake(self.source.owner)
        return self.column.name if self.column.name.startswith(prefix + "_") else f"{prefix}_{self.column.name}"

    def get(self, row: dict) -> Any:
        return row[self.slot]

    @property
    def role(self) -> str:
        return self.column.role

    @property
    def numeric(self) -> bool:
        return self.column.base_type in _NUMERIC


@dataclass
class _Scope:
    """FROM + JOINs: the sources, the join clauses, and the joined rows as dicts keyed (source, column)."""

    sources: list[_Source]
    joins: list[tuple[_Source, exp.Expression, str]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # English remarks the joins imply

    @property
    def main(self) -> _Source:
        return self.sources[0]

    def refs(self, *roles: str, source: _Source | None = None, nullable: bool | None = None) -> list[_Ref]:
        out = []
        for src in self.sources if source is None else [source]:
            for col in src.table.columns:
                if roles and col.role not in roles:
                    continue
                if nullable is not None and col.nullable != nullable:
                    continue
                out.append(_Ref(src, col))
        return out

    def apply_from(self, select: exp.Select) -> exp.Select:
        select = select.from_(self.main.table_expr())
        for src, on, kind in self.joins:
            select = select.join(src.table_expr(), on=on, join_type=kind if kind == "left" else None)
        return select


def _single_scope(ctx: _Ctx, table: Table, *, aliased: bool = False) -> _Scope:
    src = _Source(table, ctx.alias(table.name) if aliased else None)
    slots = [(src.key, c.name) for c in table.columns]
    rows = [dict(zip(slots, row, strict=True)) for row in ctx.db.rows.get(table.name, ())]
    return _Scope([src], rows=rows)


def _owner_word(fk: Column, parent: Table) -> str:
    label = fk.label
    for suffix in (" id", " ID", " number"):
        if label.endswith(suffix) and len(label) > len(suffix):
            return label[: -len(suffix)]
    return parent.singular


def _join_parent(ctx: _Ctx, scope: _Scope, child: _Source, fk: Column, *, kind: str = "inner") -> _Source:
    """Join the table ``fk`` references (from ``child``) into ``scope``; returns the parent source."""
    parent_table = ctx.db.schema.table(fk.references[0])
    owner = _owner_word(fk, parent_table)
    if child.owner is not None:
        owner = f"{child.owner}'s {owner}"
    parent = _Source(parent_table, ctx.alias(parent_table.name), owner)
    pk = fk.references[1]
    on = exp.EQ(this=child.ref(fk).expr, expression=parent.ref(pk).expr)
    slots = [(parent.key, c.name) for c in parent_table.columns]
    position = [c.name for c in parent_table.columns].index(pk)
    index = {r[position]: dict(zip(slots, r, strict=True)) for r in ctx.db.rows.get(parent_table.name, ())}
    missing = dict.fromkeys(slots)  # a left join's parent values when there is no parent
    fk_slot = (child.key, fk.name)
    rows = []
    for row in scope.rows:
        match = index.get(row[fk_slot])
        if match is None:
            if kind == "inner":
                continue
            match = missing
        rows.append({**row, **match})
    scope.sources.append(parent)
    scope.joins.append((parent, on, kind))
    scope.rows = rows
    if fk.nullable:
        things = scope.main.table.plural
        if kind == "inner":
            scope.notes.append(f"only {things} with a known {owner} are included")
        else:
            scope.notes.append(f"{things} without a {owner} are included too, with the {owner} values missing")
    return parent


def _foreign_keys(table: Table) -> list[Column]:
    return [c for c in table.columns if c.references is not None]


# --- values and literals ----------------------------------------------------------------------


def _distinct_values(rows: list[dict], ref: _Ref) -> list:
    seen = []
    found = set()
    for row in rows:
        v = ref.get(row)
        if v is None or v in found:
            continue
        found.add(v)
        seen.append(v)
    return sorted(seen)


def _usable_string(value: Any) -> bool:
    return isinstance(value, str) and not any(ch in value for ch in "'_%\\\"")


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, decimal.Decimal):
        return exp.Literal.number(format(value, "f"))
    if isinstance(value, float):
        return exp.Literal.number(repr(value))
    if isinstance(value, _dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, _dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    return exp.Literal.string(str(value))


def _middle(ctx: _Ctx, values: list, *, low: float = 0.2, high: float = 0.8):
    if not values:
        raise _PlanFailed("no values")
    n = len(values)
    lo, hi = int(n * low), max(int(n * low), int(n * high) - 1)
    return values[ctx.rng.randint(lo, min(hi, n - 1))]


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pred:
    """A WHERE/HAVING predicate: expression, English relative clause, Python test over a row."""

    expr: exp.Expression
    text: str
    test: Callable[[dict], Any]
    atoms: int = 1
    ref: _Ref | None = None  # the column filtered, when there is one
    variants: tuple[Callable[[dict], Any], ...] = ()  # the test with one subquery conjunct removed
    any_share: bool = False  # a NULL test: any proper subset of the rows will do


def _or_test(tests):
    def run(row):
        result = False
        for t in tests:
            v = t(row)
            if v is True:
                return True
            if v is None:
                result = None
        return result

    return run


_COMPARE = {"gt": operator.gt, "lt": operator.lt, "gte": operator.ge, "lte": operator.le, "eq": operator.eq, "neq": operator.ne}


def _compare(op: str, a: Any, b: Any):
    if a is None or b is None:
        return None
    return _COMPARE[op](a, b)


_OP_NODES = {"gt": exp.GT, "lt": exp.LT, "gte": exp.GTE, "lte": exp.LTE, "eq": exp.EQ, "neq": exp.NEQ}
_OP_WORDS = {
    "gt": "is greater than",
    "lt": "is less than",
    "gte": "is at least",
    "lte": "is at most",
    "eq": "is equal to",
    "neq": "is not equal to",
}
_DATE_OP_WORDS = {"gt": "is after", "lt": "is before", "gte": "is on or after", "lte": "is on or before", "eq": "is on"}


def _whose(ref: _Ref, phrase: str) -> str:
    return f"whose {ref.words} {phrase}"


def _build_filter(ctx: _Ctx, ref: _Ref, rows: list[dict], kind: str) -> _Pred:
    """One filter of ``kind`` (a key of ``[predicates.<role>]``) on ``ref``, with a literal from ``rows``."""
    col = ref.column
    base = col.base_type
    get = ref.get
    values = _distinct_values(rows, ref)
    if kind == "is_null":
        if not col.nullable or not any(get(r) is None for r in rows) or not values:
            raise _PlanFailed("no NULLs")
        if ctx.chance("is_not_null"):
            return _Pred(
                exp.not_(exp.Is(this=ref.expr, expression=exp.Null())),
                _whose(ref, "is not missing"),
                lambda r: get(r) is not None,
                any_share=True,
            )
        return _Pred(
            exp.Is(this=ref.expr, expression=exp.Null()),
            _whose(ref, "is missing"),
            lambda r: get(r) is None,
            any_share=True,
        )
    if kind in ("is_true", "is_false"):
        truth = kind == "is_true"
        expr = ref.expr if truth else exp.not_(ref.expr)
        marked = f"{'' if truth else 'not '}marked as {col.label}"
        text = marked if ref.source.owner is None else f"whose {ref.source.owner} is {marked}"
        return _Pred(expr, text, lambda r: None if get(r) is None else bool(get(r)) == truth)
    if len(values) < 2:
        raise _PlanFailed("too few distinct values")
    negatable = not col.nullable
    if kind in ("equals", "not_equals"):
        if kind == "not_equals" and not negatable:
            raise _PlanFailed("negation on a nullable column")
        pool = [v for v in values if not isinstance(v, str) or _usable_string(v)]
        v = ctx.choice(pool)
        op = "eq" if kind == "equals" else "neq"
        if isinstance(v, str):
            phrase = f"is {literal_text(v)}" if op == "eq" else f"is not {literal_text(v)}"
        else:
            phrase = f"{_OP_WORDS[op]} {literal_text(v)}"
        return _Pred(
            _OP_NODES[op](this=ref.expr, expression=_literal(v)),
            _whose(ref, phrase),
            lambda r, v=v, op=op: _compare(op, get(r), v),
        )
    if kind in ("in_list", "not_in_list"):
        if kind == "not_in_list" and not negatable:
            raise _PlanFailed("negation on a nullable column")
        pool = [v for v in values if _usable_string(v) or not isinstance(v, str)]
        k = ctx.limit_range("min_in_values", "max_in_values")
        if len(pool) <= k:
            raise _PlanFailed("too few values for IN")
        chosen = sorted(ctx.rng.sample(pool, k))
        inside = exp.In(this=ref.expr, expressions=[_literal(v) for v in chosen])
        members = set(chosen)
        if kind == "in_list":
            return _Pred(
                inside,
                _whose(ref, f"is one of {quoted_list(chosen)}"),
                lambda r: None if get(r) is None else get(r) in members,
            )
        return _Pred(
            exp.not_(inside),
            _whose(ref, f"is none of {quoted_list(chosen)}"),
            lambda r: None if get(r) is None else get(r) not in members,
        )
    if kind in ("starts_with", "contains", "ends_with"):
        v = ctx.choice([v for v in values if _usable_string(v) and len(v) >= 3])
        if kind == "starts_with":
            n = ctx.rng.randint(1, min(3, len(v) - 1))
            part, pattern = v[:n], v[:n] + "%"
            test = lambda r, p=part: None if get(r) is None else get(r).startswith(p)  # noqa: E731
            phrase = f"starts with {literal_text(part)}"
        elif kind == "ends_with":
            n = ctx.rng.randint(2, min(3, len(v) - 1))
            part, pattern = v[-n:], "%" + v[-n:]
            test = lambda r, p=part: None if get(r) is None else get(r).endswith(p)  # noqa: E731
            phrase = f"ends with {literal_text(part)}"
        else:
            n = ctx.rng.randint(2, min(4, len(v)))
            start = ctx.rng.randint(0, len(v) - n)
            part = v[start : start + n]
            if part != part.strip():
                raise _PlanFailed("substring with edge spaces")
            pattern = f"%{part}%"
            test = lambda r, p=part: None if get(r) is None else p in get(r)  # noqa: E731
            phrase = f"contains {literal_text(part)}"
        return _Pred(exp.Like(this=ref.expr, expression=exp.Literal.string(pattern)), _whose(ref, phrase), test)
    if kind == "length":
        lengths = sorted({len(v) for v in values})
        if len(lengths) < 2:
            raise _PlanFailed("one length only")
        n = _middle(ctx, lengths[:-1], low=0.0, high=1.0)
        return _Pred(
            exp.GT(this=exp.Length(this=ref.expr), expression=exp.Literal.number(n)),
            _whose(ref, f"is longer than {n} characters"),
            lambda r, n=n: None if get(r) is None else len(get(r)) > n,
        )
    is_time = base in ("DATE", "TIMESTAMP")
    if kind == "compare":
        op = ctx.pick("comparison_operators", ["gte", "lt"] if base == "TIMESTAMP" else None)
        v = _middle(ctx, values)
        if base == "TIMESTAMP":
            v = v.date()
            test = lambda r, v=v, op=op: _compare(op, None if get(r) is None else get(r).date(), v)  # noqa: E731
        else:
            test = lambda r, v=v, op=op: _compare(op, get(r), v)  # noqa: E731
        words = _DATE_OP_WORDS if is_time else _OP_WORDS
        return _Pred(
            _OP_NODES[op](this=ref.expr, expression=_literal(v)), _whose(ref, f"{words[op]} {literal_text(v)}"), test
        )
    if kind in ("between", "not_between"):
        if kind == "not_between" and not negatable:
            raise _PlanFailed("negation on a nullable column")
        if len(values) < 4 or base == "TIMESTAMP":
            raise _PlanFailed("too few values for BETWEEN")
        i = ctx.rng.randint(0, len(values) // 2 - 1)
        j = ctx.rng.randint(i + 1, min(len(values) - 1, i + max(2, len(values) * 2 // 3)))
        lo, hi = values[i], values[j]
        between = exp.Between(this=ref.expr, low=_literal(lo), high=_literal(hi))
        inside = lambda r, lo=lo, hi=hi: None if get(r) is None else lo <= get(r) <= hi  # noqa: E731
        span = f"between {literal_text(lo)} and {literal_text(hi)} (inclusive)"
        if kind == "between":
            return _Pred(between, _whose(ref, f"is {span}"), inside)
        return _Pred(
            exp.not_(between), _whose(ref, f"is not {span}"), lambda r: None if get(r) is None else not inside(r)
        )
    if kind in ("year", "month"):
        unit = kind.upper()
        parts = sorted({getattr(v, kind) for v in values})
        if len(parts) < 2:
            raise _PlanFailed("one year/month only")
        p = ctx.choice(parts)
        extract = exp.Extract(this=exp.var(unit), expression=ref.expr)
        phrase = f"is in the year {p}" if kind == "year" else f"is in {_MONTHS[p - 1]} (of any year)"
        return _Pred(
            exp.EQ(this=extract, expression=exp.Literal.number(p)),
            _whose(ref, phrase),
            lambda r, p=p: None if get(r) is None else getattr(get(r), kind) == p,
        )
    raise _PlanFailed(f"unknown filter kind {kind}")


def _filter_refs(scope: _Scope, *, main_only: bool = False) -> list[_Ref]:
    refs = scope.refs(source=scope.main) if main_only else scope.refs()
    return [r for r in refs if r.role != "key"]


def _kept(pred: _Pred, rows: list[dict]) -> int:
    return sum(1 for r in rows if pred.test(r) is True)


def _share_ok(ctx: _Ctx, pred: _Pred, rows: list[dict]) -> bool:
    if not rows:
        return False
    kept = _kept(pred, rows)
    share = kept / len(rows)
    if not 1 <= kept < len(rows):
        return False
    return pred.any_share or float(ctx.settings["min_kept_share"]) <= share <= float(ctx.settings["max_kept_share"])


def _draw_filter(ctx: _Ctx, refs: list[_Ref], rows: list[dict], *, kinds: list[str] | None = None) -> _Pred:
    """A filter on one of ``refs`` that keeps some but not all of ``rows``."""
    roles = [r for r in _weights_at(ctx.grammar, "filter_roles") if any(ref.role == r for ref in refs)]
    for _ in range(int(ctx.settings["predicate_attempts"])):
        try:
            role = ctx.pick("filter_roles", roles)
            ref = ctx.choice([r for r in refs if r.role == role])
            applicable = [k for k in _weights_at(ctx.grammar, f"predicates.{role}") if _applicable(k, ref)]
            kind = ctx.pick(f"predicates.{role}", [k for k in applicable if kinds is None or k in kinds])
            pred = replace(_build_filter(ctx, ref, rows, kind), ref=ref)
        except _PlanFailed:
            continue
        if _share_ok(ctx, pred, rows):
            return pred
    raise _PlanFailed("no selective filter")


def _sorted_rows(items: list, keys: list[_Key]) -> list:
    """``items`` in ORDER BY ``keys`` order (keys are total, so ties do not occur)."""
    items = list(items)
    for key in reversed(keys):

        def nulls_last(item, get=key.get, desc=key.desc):
            v = get(item)
            return (int(desc) if v is None else 1 - int(desc), v)  # NULLs sort last either way, as in DuckDB

        items.sort(key=nulls_last, reverse=key.desc)
    return items


def _result_ids(
    rows: list[dict], tests: list[Callable], keys: list[_Key], limit: int | None, offset: int | None
) -> list[int]:
    kept = [i for i, r in enumerate(rows) if all(t(r) is True for t in tests)]
    if keys:
        kept = _sorted_rows(kept, [replace(k, get=lambda i, g=k.get: g(rows[i])) for k in keys])
    if limit is not None:
        kept = kept[offset or 0 : (offset or 0) + limit]
    return kept if keys else sorted(kept)


def _check_ablations(
    rows: list[dict], preds: list[_Pred], keys: list[_Key] = (), limit: int | None = None, offset: int | None = None
) -> None:
    """Raise unless the rows returned change when any filter, or any conjunct inside one, is removed."""
    if any(k.get is None for k in keys):
        return
    tests = [p.test for p in preds]
    gold = _result_ids(rows, tests, list(keys), limit, offset)
    if not gold:
        raise _PlanFailed("no rows")
    for i, pred in enumerate(preds):
        others = tests[:i] + tests[i + 1 :]
        for variant in (None,) + pred.variants:
            trial = others if variant is None else tests[:i] + [variant] + tests[i + 1 :]
            if _result_ids(rows, trial, list(keys), limit, offset) == gold:
                raise _PlanFailed("a filter does not change the result")


def _applicable(kind: str, ref: _Ref) -> bool:
    """NULL tests need a nullable column; negations need a non-nullable one (NOT of NULL is not true)."""
    if kind == "is_null":
        return ref.column.nullable
    if kind.startswith("not_"):
        return not ref.column.nullable
    return True


def _each_matters(preds: list[_Pred], rows: list[dict]) -> bool:
    """All together keep something, and dropping any one of them keeps more."""
    together = len(_passing(rows, preds))
    if not together:
        return False
    for i in range(len(preds)):
        if len(_passing(rows, preds[:i] + preds[i + 1 :])) == together:
            return False
    return True


def _draw_filters(ctx: _Ctx, refs: list[_Ref], rows: list[dict], n: int, *, fixed: list[_Pred] = ()) -> list[_Pred]:
    """``n`` filters on distinct columns that all matter together with the ``fixed`` ones (all AND-ed)."""
    if n == 0:
        return []
    for _ in range(int(ctx.settings["predicate_attempts"])):
        preds: list[_Pred] = []
        current = _passing(rows, list(fixed))
        for _k in range(n):
            pool = [r for r in refs if all(p.ref != r for p in preds)] or refs
            pred = _draw_filter(ctx, pool, current)
            preds.append(pred)
            current = _passing(current, [pred])
        if _each_matters(list(fixed) + preds, rows):
            return preds
    raise _PlanFailed("filters do not all matter")


def _combine(preds: list[_Pred]) -> tuple[exp.Expression | None, str]:
    """WHERE expression and English of AND-ed predicates."""
    if not preds:
        return None, ""
    expr = preds[0].expr if len(preds) == 1 else exp.and_(*[p.expr for p in preds])
    return expr, join_words([p.text for p in preds])


def _or_pred(a: _Pred, b: _Pred) -> _Pred:
    return _Pred(exp.paren(exp.or_(a.expr, b.expr)), f"either {a.text} or {b.text}", _or_test([a.test, b.test]), 2)


# --- outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Out:
    """A SELECT item: expression (aliased unless a plain column), English noun, output column name."""

    expr: exp.Expression
    noun: str
    name: str
    order_expr: exp.Expression | None = None  # what ORDER BY uses to sort on this output


def _column_out(ref: _Ref) -> _Out:
    noun = f"{ref.noun} flag" if ref.role == "flag" else ref.noun
    if ref.source.owner is None:
        return _Out(ref.expr, noun, ref.column.name, ref.expr)
    name = ref.snake
    return _Out(exp.alias_(ref.expr, name), noun, name, ref.expr)


def _aliased(expr: exp.Expression, name: str, noun: str) -> _Out:
    return _Out(exp.alias_(expr, name), noun, name, exp.column(name))


def _unique_outs(outs: list[_Out]) -> list[_Out]:
    seen: list[str] = []
    shown: list[str] = []
    result = []
    for o in outs:
        rendered = o.expr.sql(dialect=DUCKDB)
        if rendered in shown:
            continue  # the same column twice adds nothing
        shown.append(rendered)
        if o.name in seen:
            k = 2
            while f"{o.name}_{k}" in seen:
                k += 1
            new = f"{o.name}_{k}"
            inner = o.expr.this if isinstance(o.expr, exp.Alias) else o.expr
            o = _Out(exp.alias_(inner.copy(), new), o.noun, new, o.order_expr)
        seen.append(o.name)
        result.append(o)
    return result


def _display_refs(source: _Source) -> list[_Ref]:
    names = [source.ref(c) for c in source.table.columns if c.role == "name"]
    if names:
        return names
    cats = [source.ref(c) for c in source.table.columns if c.role in ("text", "category") and not c.nullable]
    if cats:
        return cats[:1]
    return [source.ref(source.table.primary_key)]


def _display_outs(ctx: _Ctx, source: _Source) -> list[_Out]:
    refs = _display_refs(source)
    if len(refs) > 1 and ctx.rng.random() < 0.5:
        refs = refs[:2]
    else:
        refs = [ctx.choice(refs)]
    return [_column_out(r) for r in refs]


def _derived_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Out:
    """An expression output column: arithmetic, CASE, COALESCE, a string function or a date part."""
    kinds = ["arithmetic", "case", "coalesce", "string_function", "date_part"]
    for _ in range(8):
        kind = ctx.pick("derived_outputs", kinds)
        try:
            return _DERIVED[kind](ctx, scope, rows)
        except _PlanFailed:
            kinds.remove(kind)
            if not kinds:
                break
    raise _PlanFailed("no derived output")


def _numeric_refs(scope: _Scope) -> list[_Ref]:
    return [r for r in scope.refs("measure", "count") if r.numeric]


def _max_abs(rows: list[dict], fn) -> float:
    best = 0.0
    for r in rows:
        v = fn(r)
        if v is not None:
            best = max(best, abs(float(v)))
    return best


def _arithmetic_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Out:
    nums = _numeric_refs(scope)
    if not nums:
        raise _PlanFailed("no numeric column")
    kind = ctx.pick("arithmetic")
    a = ctx.choice(nums)
    integer = a.column.base_type in ("INTEGER", "BIGINT")
    if kind in ("multiply_columns", "add_columns", "subtract_columns"):
        others = [r for r in nums if r != a]
        if not others:
            raise _PlanFailed("one numeric column")
        b = ctx.choice(others)
        node, word, verb = {
            "multiply_columns": (exp.Mul, "times", "multiplied by"),
            "add_columns": (exp.Add, "plus", "plus"),
            "subtract_columns": (exp.Sub, "minus", "minus"),
        }[kind]
        if integer and b.column.base_type in ("INTEGER", "BIGINT") and kind == "multiply_columns":
            if _max_abs(rows, a.get) * _max_abs(rows, b.get) >= _INT32_SAFE:
                raise _PlanFailed("integer overflow risk")
        expr = node(this=a.expr, expression=b.expr)
        return _aliased(expr, f"{a.snake}_{word}_{b.snake}", f"the {a.words} {verb} the {b.words}")
    k = ctx.choice([2, 10, 100] if kind == "times_constant" else [1, 10, 100])
    if integer and _max_abs(rows, a.get) * k >= _INT32_SAFE:
        raise _PlanFailed("integer overflow risk")
    if kind == "times_constant":
        expr = exp.Mul(this=a.expr, expression=exp.Literal.number(k))
        return _aliased(expr, f"{a.snake}_times_{k}", f"the {a.words} multiplied by {k}")
    expr = exp.Add(this=a.expr, expression=exp.Literal.number(k))
    return _aliased(expr, f"{a.snake}_plus_{k}", f"the {a.words} plus {k}")


def _case_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Out:
    ref = ctx.choice(_numeric_refs(scope))
    values = _distinct_values(rows, ref)
    if len(values) < 3:
        raise _PlanFailed("too few values for CASE")
    v = _middle(ctx, values)
    cond = exp.GT(this=ref.expr, expression=_literal(v))
    expr = exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.string("high"))], default=exp.Literal.string("low"))
    noun = (
        f"{with_article(ref.words + ' level')} that is 'high' when the {ref.words} is greater than "
        f"{literal_text(v)} and 'low' otherwise"
    )
    return _aliased(expr, f"{ref.snake}_level", noun)


def _coalesce_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Out:
    refs = [r for r in scope.refs(nullable=True) if r.role in ("measure", "count", "category", "text")]
    refs = [r for r in refs if any(r.get(row) is None for row in rows)]
    ref = ctx.choice(refs)
    if ref.numeric:
        fallback, shown = exp.Literal.number(0), "0"
    else:
        fallback, shown = exp.Literal.string("unknown"), "'unknown'"
    expr = exp.Coalesce(this=ref.expr, expressions=[fallback])
    return _aliased(expr, f"{ref.snake}_or_default", f"the {ref.words} ({shown} when it is missing)")


def _string_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Out:
    ref = ctx.choice(scope.refs("name", "category", "text"))
    kind = ctx.pick("string_functions")
    if kind == "upper":
        return _aliased(exp.Upper(this=ref.expr), f"upper_{ref.snake}", f"the {ref.words} in upper case")
    if kind == "lower":
        return _aliased(exp.Lower(this=ref.expr), f"lower_{ref.snake}", f"the {ref.words} in lower case")
    if kind == "length":
        return _aliased(
            exp.Length(this=ref.expr), f"{ref.snake}_length", f"the number of characters in the {ref.words}"
        )
    k = ctx.rng.randint(2, 4)
    expr = exp.Substring(this=ref.expr, start=exp.Literal.number(1), length=exp.Literal.number(k))
    return _aliased(expr, f"{ref.snake}_prefix", f"the first {k} characters of the {ref.words}")


def _date_part_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Out:
    ref = ctx.choice(scope.refs("date", "timestamp"))
    unit = ctx.choice(["YEAR", "MONTH"])
    expr = exp.Extract(this=exp.var(unit), expression=ref.expr)
    if unit == "YEAR":
        return _aliased(expr, f"{ref.snake}_year", f"the year of the {ref.words}")
    return _aliased(expr, f"{ref.snake}_month", f"the month number (1 to 12) of the {ref.words}")


_DERIVED = {
    "arithmetic": _arithmetic_out,
    "case": _case_out,
    "coalesce": _coalesce_out,
    "string_function": _string_out,
    "date_part": _date_part_out,
}


def _plain_extra_refs(scope: _Scope, taken: list[_Out]) -> list[_Ref]:
    names = [o.name for o in taken]
    refs = [r for r in scope.refs("measure", "count", "category", "date", "timestamp", "text", "flag")]
    return [r for r in refs if _column_out(r).name not in names]


def _row_outputs(
    ctx: _Ctx, scope: _Scope, rows: list[dict], *, force_derived: bool = False, include: list[_Ref] = ()
) -> list[_Out]:
    """Display column(s) of the main table, then extra columns (or expressions) drawn by the knobs."""
    outs = _display_outs(ctx, scope.main)
    for ref in include:
        if _column_out(ref).name not in [o.name for o in outs]:
            outs.append(_column_out(ref))
    for joined in scope.sources[1:]:  # every joined table shows up in the answer, or it had no reason to be joined
        outs.append(_column_out(ctx.choice(_display_refs(joined))))
    n_extra = 1 if force_derived else 0
    if ctx.chance("extra_output"):
        n_extra += 1
        if ctx.chance("third_output"):
            n_extra += 1
    for k in range(n_extra):
        try:
            if (force_derived and k == 0) or ctx.chance("derived_output"):
                outs.append(_derived_out(ctx, scope, rows))
                continue
        except _PlanFailed:
            if force_derived and k == 0:
                raise
        pool = _plain_extra_refs(scope, outs)
        if pool:
            outs.append(_column_out(ctx.choice(pool)))
    return _unique_outs(outs)


# --- aggregates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Agg:
    kind: str
    ref: _Ref | None  # None for COUNT(*)
    out: _Out
    value: Callable[[list[dict]], Any]  # the aggregate over a group of rows, as the engines compute it


def _agg_value(kind: str, values: list) -> Any:
    present = [v for v in values if v is not None]
    if kind == "count_star":
        return len(values)
    if kind == "count":
        return len(present)
    if kind == "count_distinct":
        return len(set(present))
    if not present:
        return None
    if kind == "sum":
        return sum(present)
    if kind == "avg":
        exact = sum(decimal.Decimal(str(v)) for v in present) / len(present)
        cents = exact * 100
        if abs(cents - cents.to_integral_value(rounding=decimal.ROUND_FLOOR) - decimal.Decimal("0.5")) < 1e-12:
            # ROUND(x, 2) of an average ending in exactly 5 goes either way: exact in DuckDB, a float sum in SQLite
            raise _PlanFailed("an average on a rounding boundary")
        return float(exact)
    if kind == "min":
        return min(present)
    return max(present)


def _make_agg(kind: str, ref: _Ref | None, things: str, *, of: str = "") -> _Agg:
    """``things``: the counted rows in English ("employees"); ``of``: appended to measure nouns."""
    if kind == "count" and ref is None:
        expr = exp.Count(this=exp.Star())
        out = _aliased(expr, f"{_snake(things)}_count", f"the number of {things}")
        return _Agg("count", None, out, lambda rows: len(rows))
    assert ref is not None
    get = ref.get
    words = ref.words
    if kind == "count":
        expr = exp.Count(this=ref.expr)
        out = _aliased(expr, f"{_snake(things)}_count", f"the number of {things}")
        return _Agg(kind, ref, out, lambda rows: _agg_value("count", [get(r) for r in rows]))
    if kind == "count_distinct":
        expr = exp.Count(this=exp.Distinct(expressions=[ref.expr]))
        out = _aliased(expr, f"distinct_{ref.snake}_count", f"the number of distinct {words} values{of}")
    elif kind == "sum":
        out = _aliased(exp.Sum(this=ref.expr), f"total_{ref.snake}", f"the total {words}{of}")
    elif kind == "avg":
        expr = exp.Round(this=exp.Avg(this=ref.expr), decimals=exp.Literal.number(2))
        out = _aliased(expr, f"average_{ref.snake}", f"the average {words}{of} rounded to 2 decimal places")
    else:
        base = ref.column.base_type
        if base in ("DATE", "TIMESTAMP"):
            adj = "earliest" if kind == "min" else "latest"
        elif base == "VARCHAR":
            adj = "alphabetically first" if kind == "min" else "alphabetically last"
        else:
            adj = "lowest" if kind == "min" else "highest"
        node = exp.Min if kind == "min" else exp.Max
        out = _aliased(node(this=ref.expr), f"{kind}_{ref.snake}", f"the {adj} {words}{of}")
    return _Agg(kind, ref, out, lambda rows, kind=kind: _agg_value(kind, [get(r) for r in rows]))


def _draw_agg(
    ctx: _Ctx,
    scope: _Scope,
    things: str,
    *,
    source: _Source | None = None,
    of: str = "",
    exclude: list[str] = (),
    allowed: list[str] | None = None,
    avoid: list[_Ref] = (),
) -> _Agg:
    """An aggregate output drawn by ``[aggregates]``; ``avoid``: columns already filtered or grouped on."""
    for _ in range(12):
        kind = ctx.pick("aggregates", allowed)
        if kind == "count":
            if "count" in exclude:
                continue
            return _make_agg("count", None, things)
        if kind == "count_distinct":
            refs = [r for r in scope.refs("category", "text", "name", source=source) if not r.column.nullable]
        elif kind in ("sum", "avg"):
            refs = [r for r in scope.refs("measure", "count", source=source) if r.numeric]
        else:
            refs = scope.refs("measure", "count", "date", "timestamp", source=source)
        refs = [r for r in refs if f"{kind}:{r.column.name}" not in exclude and r not in avoid]
        if refs:
            return _make_agg(kind, ctx.choice(refs), things, of=of)
    raise _PlanFailed("no aggregate")


# --- ordering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    expr: exp.Expression
    desc: bool
    noun: str
    get: Callable[[Any], Any] | None = None  # the key's value on a Python row (or group), for simulation


def _order_node(keys: list[_Key]) -> exp.Order:
    return exp.Order(expressions=[exp.Ordered(this=k.expr.copy(), desc=k.desc) for k in keys])


def _order_text(keys: list[_Key]) -> str:
    parts = [f"{k.noun} in {'descending' if k.desc else 'ascending'} order" for k in keys]
    return "sort by " + parts[0] + "".join(f", then by {p}" for p in parts[1:])


def _tie_breaker(source: _Source) -> _Key:
    pk = source.table.primary_key
    ref = source.ref(pk)
    return _Key(ref.expr, False, ref.noun, ref.get)


def _sort_refs(scope: _Scope) -> list[_Ref]:
    return [
        r
        for r in scope.refs("measure", "count", "date", "timestamp", "name", source=scope.main)
        if not r.column.nullable
    ]


# --- assembling ------------------------------------------------------------------------------


def _tail(*parts: str) -> str:
    """Further instructions (notes, sorting, limits), one sentence each."""
    return " ".join(capitalize(p) + "." for p in parts if p)


def _frame(ctx: _Ctx, shape: str, *, tail: str = "", **fields: str) -> str:
    """The question: the shape's sentence frame in the drawn style, then the ``tail`` sentences."""
    text = SENTENCE_FRAMES[shape][ctx.style].format(**fields)
    if tail:
        text = f"{text} {tail}"
    return capitalize(re.sub(r"\s+", " ", text).replace(" ,", ",").strip())


def _subject(scope: _Scope, preds: list[_Pred]) -> str:
    text = scope.main.table.plural
    _, cond = _combine(preds)
    return f"{text} {cond}" if cond else text


def _notes(scope: _Scope) -> list[str]:
    return list(scope.notes)


@dataclass
class _RowsQuery:
    """A SELECT over one scope with filters, optional DISTINCT, sort keys and LIMIT/OFFSET."""

    scope: _Scope
    outs: list[_Out]
    preds: list[_Pred] = field(default_factory=list)
    keys: list[_Key] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    distinct: bool = False

    def tree(self) -> exp.Select:
        select = exp.select(*[o.expr.copy() for o in self.outs], copy=False)
        if self.distinct:
            select = select.distinct()
        select = self.scope.apply_from(select)
        where, _ = _combine(self.preds)
        if where is not None:
            select = select.where(where.copy(), copy=False)
        if self.keys:
            select.set("order", _order_node(self.keys))
        if self.limit is not None:
            select = select.limit(self.limit, copy=False)
        if self.offset:
            select = select.offset(self.offset, copy=False)
        return select

    def question(self, ctx: _Ctx) -> str:
        nouns = [o.noun for o in self.outs]
        if self.distinct:
            outputs = (
                f"the distinct values of {nouns[0]}"
                if len(nouns) == 1
                else f"the distinct combinations of {join_words(nouns)}"
            )
        else:
            outputs = join_words(nouns)
        order = _order_text(self.keys) if self.keys else ""
        limit = ordinal_rows(self.limit, self.offset) if self.limit is not None else ""
        subject = _subject(self.scope, self.preds)
        tail = _tail(*_notes(self.scope), order, limit)
        shape = "rows_subject_first" if len(outputs.split()) > 24 and self.preds else "rows"
        return _frame(ctx, shape, outputs=outputs, subject=subject, tail=tail)

    def check(self) -> None:
        """Every filter (and every conjunct inside a filter's subquery) changes which rows are returned."""
        _check_ablations(self.scope.rows, self.preds, self.keys, self.limit, self.offset)

    def built(self, ctx: _Ctx) -> _Built:
        self.check()
        return _Built(self.tree(), self.question(ctx))


def _passing(rows: list[dict], preds: list[_Pred]) -> list[dict]:
    """The rows every predicate is true of (not NULL, not false). A loop rather than ``all()`` over
    a generator: this runs for every row of every filter the generator tries."""
    passing = list(rows)
    for test in [p.test for p in preds]:
        passing = [r for r in passing if test(r) is True]
    return passing


def _pick_table(ctx: _Ctx, ok: Callable[[Table], bool]) -> Table:
    tables = [t for t in ctx.db.schema.tables if ctx.db.rows.get(t.name) and ok(t)]
    return ctx.choice(tables)


def _has(table: Table, *roles: str, nullable: bool | None = None) -> bool:
    return any(c.role in roles and (nullable is None or c.nullable == nullable) for c in table.columns)


def _filterable(table: Table) -> bool:
    return any(c.role != "key" for c in table.columns)


# --- plans: easy and medium ---------------------------------------------------------------------


def _plan_rows_filtered(ctx: _Ctx, n_preds: int = 1, *, order: bool | None = None) -> _Built:
    table = _pick_table(ctx, _filterable)
    scope = _single_scope(ctx, table)
    preds = _draw_filters(ctx, _filter_refs(scope), scope.rows, n_preds)
    rows = _passing(scope.rows, preds)
    q = _RowsQuery(scope, _row_outputs(ctx, scope, rows), preds)
    if order:
        q.keys = _sort_keys(ctx, scope)
    return q.built(ctx)


def _sort_keys(ctx: _Ctx, scope: _Scope, *, require: bool = False) -> list[_Key]:
    refs = _sort_refs(scope)
    if not refs:
        if require:
            raise _PlanFailed("nothing to sort on")
        return [_tie_breaker(scope.main)]
    ref = ctx.choice(refs)
    keys = [_Key(ref.expr, ctx.chance("descending"), ref.noun, ref.get)]
    if not ref.column.primary_key:
        keys.append(_tie_breaker(scope.main))
    return keys


def _plan_rows_sorted(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, lambda t: len(ctx.db.rows[t.name]) >= 2)
    scope = _single_scope(ctx, table)
    keys = _sort_keys(ctx, scope, require=True)
    q = _RowsQuery(scope, _row_outputs(ctx, scope, scope.rows, include=[]), keys=keys)
    return q.built(ctx)


def _plan_rows_all(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, lambda t: True)
    scope = _single_scope(ctx, table)
    q = _RowsQuery(scope, _row_outputs(ctx, scope, scope.rows, force_derived=True))
    return q.built(ctx)


def _aggregate_query(ctx: _Ctx, n_preds: int) -> _Built:
    table = _pick_table(ctx, _filterable)
    scope = _single_scope(ctx, table)
    preds = _draw_filters(ctx, _filter_refs(scope), scope.rows, n_preds) if n_preds else []
    rows = _passing(scope.rows, preds)
    things = table.plural
    aggs = _draw_aggs(ctx, scope, things, avoid=[p.ref for p in preds if p.ref is not None])
    if all(a.value(rows) is None for a in aggs):
        raise _PlanFailed("aggregate over nothing")
    gold = [a.value(rows) for a in aggs]
    for i in range(len(preds)):
        if [a.value(_passing(scope.rows, preds[:i] + preds[i + 1 :])) for a in aggs] == gold:
            raise _PlanFailed("a filter does not change the aggregates")
    outs = _unique_outs([a.out for a in aggs])
    select = exp.select(*[o.expr.copy() for o in outs]).from_(scope.main.table_expr())
    where, _ = _combine(preds)
    if where is not None:
        select = select.where(where)
    subject = _subject(scope, preds)
    if len(aggs) == 1 and aggs[0].kind == "count" and aggs[0].ref is None and ctx.pick("count_phrasing") == "how_many":
        _, cond = _combine(preds)
        question = f"How many {things} are there{' ' + cond if cond else ''}?"
    else:
        question = _frame(
            ctx,
            "aggregate",
            outputs=join_words([o.noun for o in outs]),
            subject=subject,
            tail="",
            verb="is" if len(outs) == 1 else "are",
        )
    return _Built(select, question)


def _agg_id(agg: _Agg) -> str:
    return "count" if agg.ref is None else f"{agg.kind}:{agg.ref.column.name}"


def _plan_aggregate(ctx: _Ctx) -> _Built:
    return _aggregate_query(ctx, ctx.rng.randint(0, 1))


def _plan_aggregate_filtered(ctx: _Ctx) -> _Built:
    return _aggregate_query(ctx, 2)


def _distinct_query(ctx: _Ctx, n_preds: int) -> _Built:
    table = _pick_table(ctx, lambda t: _has(t, "category"))
    scope = _single_scope(ctx, table)
    cats = [r for r in scope.refs("category") if len(_distinct_values(scope.rows, r)) >= 2]
    ref = ctx.choice(cats)
    preds = _draw_filters(ctx, [r for r in _filter_refs(scope) if r != ref], scope.rows, n_preds) if n_preds else []
    rows = _passing(scope.rows, preds)
    before = {ref.get(r) for r in scope.rows}
    after = {ref.get(r) for r in rows}
    if n_preds and before == after:
        raise _PlanFailed("filter does not change the distinct values")
    q = _RowsQuery(scope, [_column_out(ref)], preds, distinct=True)
    return _Built(q.tree(), q.question(ctx))


def _plan_distinct_values(ctx: _Ctx) -> _Built:
    return _distinct_query(ctx, 0)


def _plan_distinct_filtered(ctx: _Ctx) -> _Built:
    return _distinct_query(ctx, 1)


def _plan_rows_multi_filter(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, _filterable)
    scope = _single_scope(ctx, table)
    refs = _filter_refs(scope)
    shape = ctx.pick("multi_filter")
    rows = scope.rows
    if shape in ("and2", "and3"):
        preds = _draw_filters(ctx, refs, rows, 2 if shape == "and2" else 3)
    elif shape == "not_one":
        first = _draw_filter(ctx, refs, rows)
        second = _draw_filter(
            ctx,
            [r for r in refs if r != first.ref],
            _passing(rows, [first]),
            kinds=["not_in_list", "not_between", "not_equals", "is_false"],
        )
        preds = [first, second]
    else:
        a = _draw_filter(ctx, refs, rows)
        b = _draw_filter(ctx, [r for r in refs if r != a.ref], [r for r in rows if a.test(r) is not True])
        either = _or_pred(a, b)
        only_a = any(a.test(r) is True and b.test(r) is not True for r in rows)
        only_b = any(b.test(r) is True and a.test(r) is not True for r in rows)
        if not (_share_ok(ctx, either, rows) and only_a and only_b):
            raise _PlanFailed("one side of the OR does not matter")
        rest = [r for r in refs if r not in (a.ref, b.ref)]
        preds = [either] if shape == "or2" else [_draw_filter(ctx, rest, _passing(rows, [either])), either]
    if not _each_matters(preds, rows):
        raise _PlanFailed("a filter does not matter")
    atoms = sum(p.atoms for p in preds)
    order = atoms < 4 and ctx.chance("order_rows")
    out_rows = _passing(rows, preds)
    q = _RowsQuery(scope, _row_outputs(ctx, scope, out_rows), preds)
    if order:
        q.keys = _sort_keys(ctx, scope)
    return q.built(ctx)


def _limit_for(ctx: _Ctx, q: _RowsQuery, n_rows: int) -> None:
    if n_rows < 2:
        raise _PlanFailed("too few rows to cut")
    limit = ctx.limit_range("min_limit", "max_limit")
    limit = min(limit, n_rows - 1)
    offset = 0
    if ctx.chance("offset") and n_rows - limit >= 2:
        offset = min(ctx.limit_range("min_offset", "max_offset"), n_rows - limit - 1)
    q.limit, q.offset = limit, offset or None


def _plan_rows_top(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, lambda t: len(ctx.db.rows[t.name]) >= 3)
    scope = _single_scope(ctx, table)
    preds = _draw_filters(ctx, _filter_refs(scope), scope.rows, 1) if ctx.rng.random() < 0.5 else []
    rows = _passing(scope.rows, preds)
    q = _RowsQuery(scope, _row_outputs(ctx, scope, rows), preds, keys=_sort_keys(ctx, scope, require=True))
    q.outs = _with_sort_output(q.outs, q.keys, scope)
    _limit_for(ctx, q, len(rows))
    return q.built(ctx)


def _with_sort_output(outs: list[_Out], keys: list[_Key], scope: _Scope) -> list[_Out]:
    """Show the first sort key's column when the rows are cut by LIMIT, so the answer reads sensibly."""
    first = keys[0].expr
    if any(o.order_expr == first for o in outs):
        return outs
    for ref in scope.refs():
        if ref.expr == first:
            return _unique_outs(outs + [_column_out(ref)])
    return outs


def _joined_scope(ctx: _Ctx, n_joins: int, *, kind: str = "inner") -> _Scope:
    def joinable(t: Table) -> bool:
        fks = _foreign_keys(t)
        return bool(fks) and (kind == "inner" or any(c.nullable for c in fks))

    table = _pick_table(ctx, joinable)
    scope = _single_scope(ctx, table, aliased=True)
    fks = _foreign_keys(table)
    if kind == "left":
        fks = [c for c in fks if c.nullable]
    selfs = [c for c in fks if c.references[0] == table.name]
    fk = ctx.choice(selfs) if selfs and ctx.chance("self_join") else ctx.choice(fks)
    parent = _join_parent(ctx, scope, scope.main, fk, kind=kind)
    if n_joins >= 2:
        options = [(scope.main, c) for c in fks if c != fk] + [(parent, c) for c in _foreign_keys(parent.table)]
        if not options:
            raise _PlanFailed("no second foreign key")
        src, fk2 = ctx.choice(options)
        _join_parent(ctx, scope, src, fk2, kind="inner")
    if not scope.rows:
        raise _PlanFailed("join is empty")
    return scope


def _plan_rows_joined(
    ctx: _Ctx,
    *,
    n_joins: int | None = None,
    n_preds: int | None = None,
    order: bool | None = None,
    limit: bool = False,
    kind: str = "inner",
) -> _Built:
    if n_joins is None:
        n_joins = 2 if ctx.chance("multi_join") else 1
    scope = _joined_scope(ctx, n_joins, kind=kind)
    if n_preds is None:
        n_preds = ctx.rng.randint(0, 1)
    refs = _filter_refs(scope) if kind == "inner" else _filter_refs(scope, main_only=True)
    preds = _draw_filters(ctx, refs, scope.rows, n_preds) if n_preds else []
    rows = _passing(scope.rows, preds)
    q = _RowsQuery(scope, _row_outputs(ctx, scope, rows), preds)
    if order is None:
        order = ctx.chance("order_rows") and n_joins + n_preds < 4
    if order or limit:
        q.keys = _sort_keys(ctx, scope)
    if limit:
        q.outs = _with_sort_output(q.outs, q.keys, scope)
        _limit_for(ctx, q, len(rows))
    return q.built(ctx)


def _plan_rows_left_joined(ctx: _Ctx) -> _Built:
    return _plan_rows_joined(ctx, n_joins=1, kind="left")


# grouped queries --------------------------------------------------------------------------------


def _threshold(ctx: _Ctx, values: list) -> tuple[str, Any]:
    """(op, literal) for ``value op literal`` that splits ``values``; a fractional literal never equals a value."""
    values = sorted({v for v in values if v is not None})
    integer = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if len(values) < 2:
        raise _PlanFailed("no threshold splits one value")
    i = ctx.rng.randrange(len(values) - 1)
    lo, hi = values[i], values[i + 1]
    if integer:
        return "gt", lo
    lo_d, hi_d = decimal.Decimal(str(lo)), decimal.Decimal(str(hi))
    threshold = ((lo_d + hi_d) / 2).quantize(decimal.Decimal("0.01"))
    if not lo_d < threshold < hi_d:
        raise _PlanFailed("values too close for a threshold")
    return ctx.choice(["gt", "lt"]), threshold


def _value_test(op: str, threshold: Any) -> Callable[[Any], Any]:
    def test(v):
        if v is None:
            return None
        return _compare(op, float(v), float(threshold))

    return test


def _plain_noun(out: _Out) -> str:
    return out.noun.replace(" rounded to 2 decimal places", "")


def _having_pred(ctx: _Ctx, agg: _Agg, groups: dict) -> _Pred:
    """``AGG(...) op v`` keeping some but not all groups; ``test`` takes a group's rows."""
    if agg.ref is not None and not agg.ref.numeric and agg.kind in ("min", "max"):
        raise _PlanFailed("no numeric HAVING on this aggregate")
    op, threshold = _threshold(ctx, [agg.value(g) for g in groups.values()])
    inner = agg.out.expr.this if isinstance(agg.out.expr, exp.Alias) else agg.out.expr
    if agg.kind == "avg":
        inner = inner.this  # compare the unrounded average
    node = _OP_NODES[op](this=inner.copy(), expression=_literal(threshold))
    value_test = _value_test(op, threshold)
    return _Pred(
        node,
        f"where {_plain_noun(agg.out)} {_OP_WORDS[op]} {literal_text(threshold)}",
        lambda group_rows: value_test(agg.value(group_rows)),
    )


@dataclass
class _GroupQuery:
    """SELECT keys, aggregates FROM scope [WHERE] GROUP BY keys [HAVING] [ORDER BY] [LIMIT]."""

    scope: _Scope
    group_exprs: list[exp.Expression]
    key_outs: list[_Out]
    aggs: list[_Agg]
    group_words: str  # "category", "department"
    group_fn: Callable[[dict], Any]
    things: str  # the grouped rows in English ("employees")
    tie_breaker: _Key  # the group key, sorting groups that tie on an aggregate
    note: str = ""
    shape: str = "grouped"  # the sentence frames: "grouped" (by a column) or "per_parent" (by a parent row)
    preds: list[_Pred] = field(default_factory=list)
    having: list[_Pred] = field(default_factory=list)
    keys: list[_Key] = field(default_factory=list)
    limit: int | None = None

    @property
    def outs(self) -> list[_Out]:
        return _unique_outs(self.key_outs + [a.out for a in self.aggs])

    def groups(self, preds: list[_Pred] | None = None) -> dict:
        groups: dict = {}
        for row in _passing(self.scope.rows, self.preds if preds is None else preds):
            groups.setdefault(self.group_fn(row), []).append(row)
        return groups

    def result(self, preds: list[_Pred], having: list[_Pred]) -> list:
        """The returned groups, simulated in Python: (group key, aggregate values) in result order."""
        items = [(k, g) for k, g in self.groups(preds).items() if all(h.test(g) is True for h in having)]
        if self.keys:
            items = _sorted_rows(items, self.keys)
        else:
            items.sort(key=lambda item: repr(item[0]))
        if self.limit is not None:
            items = items[: self.limit]
        return [(k, tuple(a.value(g) for a in self.aggs)) for k, g in items]

    def check(self) -> None:
        """Removing the WHERE filter or the HAVING filter changes the returned groups."""
        if any(a.value(g) is None for g in self.groups().values() for a in self.aggs):
            return  # NULL aggregates sort differently; the pipeline's own check decides
        gold = self.result(self.preds, self.having)
        if not gold:
            raise _PlanFailed("no groups")
        for i in range(len(self.preds)):
            if self.result(self.preds[:i] + self.preds[i + 1 :], self.having) == gold:
                raise _PlanFailed("the WHERE filter does not change the groups")
        for i in range(len(self.having)):
            if self.result(self.preds, self.having[:i] + self.having[i + 1 :]) == gold:
                raise _PlanFailed("the HAVING filter does not change the groups")

    def tree(self) -> exp.Select:
        select = self.scope.apply_from(exp.select(*[o.expr.copy() for o in self.outs]))
        where, _ = _combine(self.preds)
        if where is not None:
            select = select.where(where.copy(), copy=False)
        select = select.group_by(*[g.copy() for g in self.group_exprs], copy=False)
        having, _ = _combine(self.having)
        if having is not None:
            select = select.having(having.copy(), copy=False)
        if self.keys:
            select.set("order", _order_node(self.keys))
        if self.limit is not None:
            select = select.limit(self.limit, copy=False)
        return select

    def question(self, ctx: _Ctx) -> str:
        parts = [self.note]
        if self.preds:
            parts.append(f"consider only {self.things} {_combine(self.preds)[1]}")
        if self.having:
            parts.append(f"keep only the groups {join_words([h.text for h in self.having])}")
        if self.keys:
            parts.append(_order_text(self.keys))
        if self.limit is not None:
            parts.append(ordinal_rows(self.limit, None))
        return _frame(
            ctx,
            self.shape,
            group=self.group_words,
            outputs=join_words([o.noun for o in self.outs]),
            subject=self.things,
            tail=_tail(*parts),
            verb="are",
        )


def _finish_group(ctx: _Ctx, q: _GroupQuery, *, where: bool, having: bool, order: bool, limit: bool) -> _Built:
    if where:
        q.preds = _draw_filters(ctx, _filter_refs(q.scope), q.scope.rows, 1)
    groups = q.groups()
    if len(groups) < 2:
        raise _PlanFailed("fewer than two groups")
    n_groups = len(groups)
    if having:
        numeric = [a for a in q.aggs if a.ref is None or a.ref.numeric or a.kind.startswith("count")]
        h = _having_pred(ctx, ctx.choice(numeric), groups)
        n_groups = sum(1 for g in groups.values() if h.test(g) is True)
        if not 0 < n_groups < len(groups):
            raise _PlanFailed("HAVING keeps all or nothing")
        q.having = [h]
    if order or limit:
        agg = ctx.choice(q.aggs)
        q.keys = [
            _Key(agg.out.order_expr, ctx.chance("descending"), agg.out.noun, lambda item, a=agg: a.value(item[1])),
            replace(q.tie_breaker, get=lambda item: item[0]),
        ]
    if limit:
        if n_groups < 2:
            raise _PlanFailed("too few groups to cut")
        q.limit = min(ctx.limit_range("min_limit", "max_limit"), n_groups - 1)
    q.check()
    return _Built(q.tree(), q.question(ctx))


def _draw_aggs(ctx: _Ctx, scope: _Scope, things: str, **kw) -> list[_Agg]:
    aggs = [_draw_agg(ctx, scope, things, **kw)]
    if ctx.chance("second_aggregate"):
        try:
            aggs.append(_draw_agg(ctx, scope, things, exclude=[_agg_id(aggs[0])], **kw))
        except _PlanFailed:
            pass
    return aggs


def _category_group(ctx: _Ctx, table: Table, **agg_kw) -> _GroupQuery:
    scope = _single_scope(ctx, table)
    cats = [r for r in scope.refs("category") if not r.column.nullable and len(_distinct_values(scope.rows, r)) >= 2]
    ref = ctx.choice(cats)
    things = table.plural
    aggs = _draw_aggs(ctx, scope, things, avoid=[ref], **agg_kw)
    return _GroupQuery(
        scope, [ref.expr], [_column_out(ref)], aggs, ref.words, ref.get, things, _Key(ref.expr, False, ref.noun)
    )


def _group_options(ctx: _Ctx, base: int, clauses: tuple[int, int]) -> dict[str, bool]:
    """WHERE/HAVING/ORDER/LIMIT switches drawn by the knobs, with ``base`` + switches within ``clauses``."""
    low, high = clauses
    for _ in range(20):
        opts = {"where": ctx.chance("group_where"), "having": ctx.chance("having"), "order": ctx.chance("group_order")}
        opts["limit"] = opts["order"] and ctx.chance("group_limit")
        if low <= base + sum(opts.values()) <= high:
            return opts
    raise _PlanFailed("no clause mix fits")


def _plan_grouped(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, lambda t: _has(t, "category", nullable=False))
    q = _category_group(ctx, table)
    return _finish_group(ctx, q, **_group_options(ctx, 1, (1, 4)))


def _children_phrase(fk: Column, parent: Table, child: Table) -> str:
    """How a parent row names its child rows: "its doctors" or "the flights whose origin airport it is"."""
    owner = _owner_word(fk, parent)
    return f"its {child.plural}" if owner == parent.singular else f"the {child.plural} whose {owner} it is"


def _plan_grouped_joined(ctx: _Ctx) -> _Built:
    """Child rows joined to their parent and grouped by it (key and shown name)."""
    table = _pick_table(ctx, lambda t: bool(_foreign_keys(t)))
    scope = _single_scope(ctx, table, aliased=True)
    fk = ctx.choice(_foreign_keys(table))
    parent = _join_parent(ctx, scope, scope.main, fk)
    scope.notes.clear()
    if not scope.rows:
        raise _PlanFailed("join is empty")
    pk = parent.ref(parent.table.primary_key)
    shown = ctx.choice(_display_refs(parent))
    of = " of " + _children_phrase(fk, parent.table, table)
    aggs = _draw_aggs(ctx, scope, table.plural, source=scope.main, of=of)
    aggs = [
        a if a.ref is not None or a.kind != "count" else replace(a, out=replace(a.out, noun=f"the number{of}"))
        for a in aggs
    ]
    group_exprs = [pk.expr] if shown == pk else [pk.expr, shown.expr]
    note = f"only {parent.table.plural} {_relation_to_children(fk, parent.table, table, False, '')} are listed"
    q = _GroupQuery(
        scope,
        group_exprs,
        [_column_out(shown)],
        aggs,
        parent.table.singular,
        pk.get,
        table.plural,
        _Key(pk.expr, False, pk.noun),
        note=note,
        shape="per_parent",
    )
    return _finish_group(ctx, q, **_group_options(ctx, 2, (2, 4)))


def _plan_left_join_count(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, lambda t: bool(_foreign_keys(t)))
    fk = ctx.choice(_foreign_keys(table))
    parent_table = ctx.db.schema.table(fk.references[0])
    parent = _Source(parent_table, ctx.alias(parent_table.name))
    child = _Source(table, ctx.alias(table.name))
    pk = parent.ref(parent_table.primary_key)
    shown = ctx.choice(_display_refs(parent))
    relation = _children_phrase(fk, parent_table, table)
    count_name = f"{_snake(table.plural)}_count"
    outs = [
        _column_out(shown),
        _aliased(exp.Count(this=child.ref(table.primary_key).expr), count_name, f"the number of {relation}"),
    ]
    children: dict = {}
    for row in ctx.table_rows(table):
        children.setdefault(row[fk.name], []).append(row)
    parents = ctx.table_rows(parent_table)
    counts = [len(children.get(p[parent_table.primary_key.name], [])) for p in parents]
    if not parents or len(set(counts)) < 2:
        raise _PlanFailed("counts do not vary")
    measures = [child.ref(c) for c in table.columns if c.role in ("measure", "count") and c.base_type in _NUMERIC]
    if measures and ctx.chance("second_aggregate"):
        m = ctx.choice(measures)
        total = exp.Coalesce(this=exp.Sum(this=m.expr), expressions=[exp.Literal.number(0)])
        outs.append(
            _aliased(total, f"total_{m.column.name}", f"the total {m.words} of {relation} (0 when there are none)")
        )
    select = exp.select(*[o.expr.copy() for o in outs]).from_(parent.table_expr())
    select = select.join(child.table_expr(), on=exp.EQ(this=child.ref(fk).expr, expression=pk.expr), join_type="left")
    select = select.group_by(*[g.copy() for g in ([pk.expr] if shown == pk else [pk.expr, shown.expr])])
    parts = [f"include {parent_table.plural} that have none (count 0)"]
    if ctx.chance("group_order"):
        keys = [_Key(exp.column(count_name), ctx.chance("descending"), outs[1].noun), _Key(pk.expr, False, pk.noun)]
        select.set("order", _order_node(keys))
        parts.append(_order_text(keys))
    question = _frame(
        ctx,
        "per_parent",
        group=parent_table.singular,
        outputs=join_words([o.noun for o in outs]),
        subject=parent_table.plural,
        tail=_tail(*parts),
        verb="are",
    )
    return _Built(select, question)


# --- hard constructs -----------------------------------------------------------------------------


@dataclass
class _Hard:
    """A hard construct added to a rows query: a filter with a subquery, or a window output column."""

    pred: _Pred | None = None
    out: _Out | None = None
    include: list[_Ref] = field(default_factory=list)  # columns worth showing next to a window column


def _differs(rows: list[dict], a: Callable[[dict], Any], b: Callable[[dict], Any]) -> bool:
    """Whether two row tests keep different rows (so a subquery's inner filter matters)."""
    return any((a(r) is True) != (b(r) is True) for r in rows)


def _near_average(column: Column, values: list[float], average: float, n: int) -> bool:
    """Whether comparing ``values`` with an average of ``n`` values could go either way between engines.

    An average of one value, or of integers, is the same double in DuckDB and SQLite; an average of
    decimals is exact in DuckDB but a float sum in SQLite, so a value (nearly) equal to it is a coin toss.
    """
    if n <= 1 or column.base_type in ("INTEGER", "BIGINT"):
        return False
    return any(abs(v - average) <= 1e-6 * max(1.0, abs(average)) for v in values)


def _scalar_subquery_filter(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Hard:
    """``x op (SELECT AGG(x) FROM t [WHERE ...])``."""
    main = scope.main
    table = main.table
    ref = ctx.choice([r for r in scope.refs("measure", "count", source=main) if r.numeric and not r.column.nullable])
    inner_scope = _single_scope(ctx, table, aliased=False)
    inner_src = inner_scope.main
    inner_preds: list[_Pred] = []
    if ctx.chance("subquery_filter"):
        refs = [r for r in _filter_refs(inner_scope) if r.column != ref.column]
        inner_preds = _draw_filters(ctx, refs, inner_scope.rows, 1) if refs else []
    kind = ctx.pick("scalar_aggregates")
    inner_ref = inner_src.ref(ref.column)

    def target(preds):
        return _agg_value(kind, [inner_ref.get(r) for r in _passing(inner_scope.rows, preds)])

    value = target(inner_preds)
    if value is None:
        raise _PlanFailed("empty subquery")
    op = (
        ctx.choice(["gt", "lt"])
        if kind == "avg"
        else ("eq" if ctx.rng.random() < 0.5 else ("lt" if kind == "max" else "gt"))
    )
    get = ref.get

    def make_test(v):
        return lambda r: None if get(r) is None else _compare(op, float(get(r)), float(v))

    if kind == "avg" and _near_average(ref.column, [float(get(r)) for r in rows], float(value), len(inner_scope.rows)):
        raise _PlanFailed("a value equals the average")
    test = make_test(value)
    if inner_preds and not _differs(rows, test, make_test(target([]))):
        raise _PlanFailed("the subquery filter does not matter")
    agg_node = {"avg": exp.Avg, "max": exp.Max, "min": exp.Min}[kind](this=inner_ref.expr)
    sub = exp.select(agg_node).from_(inner_src.table_expr())
    where, cond = _combine(inner_preds)
    if where is not None:
        sub = sub.where(where)
    adjective = {"avg": "average", "max": "highest", "min": "lowest"}[kind]
    among = f"the {table.plural} ({cond})" if cond else f"all {table.plural}"
    text = _whose(ref, f"{_OP_WORDS[op]} the {adjective} {ref.column.label} of {among}")
    node = _OP_NODES[op](this=ref.expr, expression=exp.Subquery(this=sub))
    variants = (make_test(target([])),) if inner_preds else ()
    return _Hard(pred=_Pred(node, text, test, ref=ref, variants=variants), include=[ref])


def _in_subquery_filter(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Hard:
    """``fk [NOT] IN (SELECT key FROM parent WHERE ...)`` or ``key IN (SELECT fk FROM child WHERE ...)``."""
    main = scope.main
    table = main.table
    options = [("up", c, ctx.db.schema.table(c.references[0])) for c in _foreign_keys(table)]
    options += [("down", c, t) for t in ctx.db.schema.tables for c in _foreign_keys(t) if c.references[0] == table.name]
    direction, fk, other = ctx.choice(options)
    inner_scope = _single_scope(ctx, other, aliased=False)
    inner_src = inner_scope.main
    inner_preds = _draw_filters(ctx, _filter_refs(inner_scope), inner_scope.rows, 1)
    _, cond = _combine(inner_preds)
    negate = ctx.chance("not_in_subquery")
    if direction == "up":
        negate = negate and not fk.nullable
        column, outer = fk.references[1], main.ref(fk)
        text = f"whose {_owner_word(fk, other)} is {'not ' if negate else ''}one of the {other.plural} ({cond})"
    else:
        negate = False  # NOT IN over a column that may hold NULL matches nothing; never asked
        column, outer = fk.name, main.ref(table.primary_key)
        text = _relation_to_children(fk, table, other, False, cond)
    inner_ref = inner_src.ref(column)
    get = outer.get

    def make_test(preds):
        members = {inner_ref.get(r) for r in _passing(inner_scope.rows, preds)} - {None}
        if negate:
            return lambda r: None if get(r) is None else get(r) not in members
        return lambda r: None if get(r) is None else get(r) in members

    test = make_test(inner_preds)
    if not _differs(rows, test, make_test([])):
        raise _PlanFailed("the subquery filter does not matter")
    sub = exp.select(inner_ref.expr).from_(inner_src.table_expr()).where(_combine(inner_preds)[0])
    node = exp.In(this=outer.expr, query=exp.Subquery(this=sub))
    return _Hard(pred=_Pred(exp.not_(node) if negate else node, text, test, variants=(make_test([]),)))


def _relation_to_children(fk: Column, parent: Table, child: Table, negate: bool, cond: str) -> str:
    owner = _owner_word(fk, parent)
    amount = "no" if negate else "at least one"
    if owner == parent.singular:
        text = f"that have {amount} {child.singular}"
    else:
        text = f"that are the {owner} of {amount} {child.singular}"
    return f"{text} ({cond})" if cond else text


def _exists_filter(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Hard:
    """``[NOT] EXISTS (SELECT 1 FROM child AS c WHERE c.fk = p.key [AND ...])``."""
    main = scope.main
    if main.alias is None:
        raise _PlanFailed("EXISTS needs an aliased outer table")
    table = main.table
    fk, child = ctx.choice(
        [(c, t) for t in ctx.db.schema.tables for c in _foreign_keys(t) if c.references[0] == table.name]
    )
    inner_scope = _single_scope(ctx, child, aliased=True)
    inner_src = inner_scope.main
    inner_preds = (
        _draw_filters(ctx, _filter_refs(inner_scope), inner_scope.rows, 1) if ctx.chance("subquery_filter") else []
    )
    negate = ctx.chance("not_exists")
    get = main.ref(table.primary_key).get
    fk_ref = inner_src.ref(fk)

    def make_test(preds):
        parents = {fk_ref.get(r) for r in _passing(inner_scope.rows, preds)} - {None}
        return (lambda r: get(r) not in parents) if negate else (lambda r: get(r) in parents)

    test = make_test(inner_preds)
    if inner_preds and not _differs(rows, test, make_test([])):
        raise _PlanFailed("the subquery filter does not matter")
    corr = exp.EQ(this=fk_ref.expr, expression=main.ref(table.primary_key).expr)
    where = exp.and_(corr, *[p.expr for p in inner_preds]) if inner_preds else corr
    node = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(inner_src.table_expr()).where(where))
    text = _relation_to_children(fk, table, child, negate, _combine(inner_preds)[1])
    anything = bool(_passing(inner_scope.rows, inner_preds))
    uncorrelated = lambda r: anything != negate  # noqa: E731  (the EXISTS without its correlation)
    variants = ((make_test([]),) if inner_preds else ()) + (uncorrelated,)
    return _Hard(pred=_Pred(exp.not_(node) if negate else node, text, test, variants=variants))


def _correlated_filter(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Hard:
    """``x op (SELECT AVG(t2.x) FROM t AS t2 WHERE t2.c = t1.c)``."""
    main = scope.main
    if main.alias is None:
        raise _PlanFailed("correlation needs an aliased outer table")
    table = main.table
    ref = ctx.choice([r for r in scope.refs("measure", "count", source=main) if r.numeric and not r.column.nullable])
    cat = ctx.choice([r for r in scope.refs("category", source=main) if not r.column.nullable])
    inner_src = _Source(table, ctx.alias(table.name))
    groups: dict = {}
    for r in ctx.table_rows(table):
        groups.setdefault(r[cat.column.name], []).append(r[ref.column.name])
    averages = {k: float(_agg_value("avg", v)) for k, v in groups.items()}
    overall = float(_agg_value("avg", [v for vs in groups.values() for v in vs]))
    op = ctx.choice(["gt", "lt"])
    get, get_cat = ref.get, cat.get
    if any(_near_average(ref.column, [float(get(r))], averages[get_cat(r)], len(groups[get_cat(r)])) for r in rows):
        raise _PlanFailed("a value equals its group average")
    test = lambda r: _compare(op, float(get(r)), averages[get_cat(r)])  # noqa: E731
    if not _differs(rows, test, lambda r: _compare(op, float(get(r)), overall)):
        raise _PlanFailed("correlation does not matter")
    sub = (
        exp.select(exp.Avg(this=inner_src.ref(ref.column).expr))
        .from_(inner_src.table_expr())
        .where(exp.EQ(this=inner_src.ref(cat.column).expr, expression=cat.expr))
    )
    node = _OP_NODES[op](this=ref.expr, expression=exp.Subquery(this=sub))
    text = _whose(
        ref, f"{_OP_WORDS[op]} the average {ref.column.label} of the {table.plural} with the same {cat.column.label}"
    )
    uncorrelated = lambda r: _compare(op, float(get(r)), overall)  # noqa: E731
    return _Hard(pred=_Pred(node, text, test, ref=ref, variants=(uncorrelated,)), include=[ref, cat])


def _window_out(ctx: _Ctx, scope: _Scope, rows: list[dict]) -> _Hard:
    """A ranking, LAG/LEAD or running-sum column over the main table's rows."""
    main = scope.main
    kind = ctx.pick("windows")
    pk = main.ref(main.table.primary_key)
    cats = [r for r in scope.refs("category", source=main) if not r.column.nullable]
    partition = ctx.choice(cats) if cats and ctx.chance("window_partition") else None
    within = f" within the same {partition.column.label}" if partition else ""
    singular, things = main.table.singular, main.table.plural
    if kind in ("row_number", "rank", "dense_rank"):
        ref = ctx.choice(
            [r for r in scope.refs("measure", "count", "date", "timestamp", source=main) if not r.column.nullable]
        )
        desc = ctx.chance("descending")
        direction = "descending" if desc else "ascending"
        keys = [exp.Ordered(this=ref.expr, desc=desc)]
        if kind == "row_number":
            keys.append(exp.Ordered(this=pk.expr, desc=False))
            func: exp.Expression = exp.RowNumber()
            noun = (
                f"the position (numbered from 1) of the {singular}{within} when {things} are sorted by "
                f"the {ref.words} in {direction} order, then by the {pk.words} in ascending order"
            )
            name = f"{ref.snake}_position"
        else:
            func = exp.Rank() if kind == "rank" else exp.DenseRank()
            gaps = "the ranks after a tie are skipped" if kind == "rank" else "the ranks have no gaps"
            noun = (
                f"the rank of the {singular}{within} by {ref.words} in {direction} order "
                f"(equal values share a rank and {gaps})"
            )
            name = f"{ref.snake}_{kind}"
        include = [ref]
    else:
        value = ctx.choice(
            [r for r in scope.refs("measure", "count", source=main) if r.numeric and not r.column.nullable]
        )
        times = [r for r in scope.refs("date", "timestamp", source=main) if not r.column.nullable]
        order_ref = ctx.choice(times) if times else pk
        keys = [exp.Ordered(this=order_ref.expr, desc=False)]
        sequence = f"the {order_ref.words}"
        if order_ref != pk:
            keys.append(exp.Ordered(this=pk.expr, desc=False))
            sequence += f", then by the {pk.words},"
        if kind == "lag_lead":
            lag = ctx.rng.random() < 0.5
            func = exp.Lag(this=value.expr) if lag else exp.Lead(this=value.expr)
            which = "previous" if lag else "next"
            noun = (
                f"the {value.words} of the {which} {singular}{within} when {things} are sorted by "
                f"{sequence} in ascending order (missing for the {'first' if lag else 'last'} one)"
            )
            name = f"{which}_{value.snake}"
        else:
            func = exp.Sum(this=value.expr)
            noun = (
                f"the running total of the {value.words}{within} when {things} are sorted by {sequence} "
                "in ascending order"
            )
            name = f"running_total_{value.snake}"
        include = [value] + ([order_ref] if order_ref != pk else [])
    window = exp.Window(
        this=func, partition_by=[partition.expr] if partition else None, order=exp.Order(expressions=keys), over="OVER"
    )
    if kind == "running_sum":
        window.set("spec", exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"))
    return _Hard(out=_aliased(window, name, noun), include=include + ([partition] if partition else []))


_HARD_BUILDERS = {
    "scalar_subquery": _scalar_subquery_filter,
    "in_subquery": _in_subquery_filter,
    "exists": _exists_filter,
    "correlated": _correlated_filter,
    "window": _window_out,
}


def _is_parent(table: Table, schema) -> bool:
    return any(c.references[0] == table.name for t in schema.tables for c in _foreign_keys(t))


def _hard_fits(kind: str, table: Table, schema) -> bool:
    """Whether ``table`` has the columns the hard construct ``kind`` needs."""
    numeric = any(c.role in ("measure", "count") and c.base_type in _NUMERIC and not c.nullable for c in table.columns)
    if kind == "scalar_subquery":
        return numeric
    if kind == "in_subquery":
        return bool(_foreign_keys(table)) or _is_parent(table, schema)
    if kind == "exists":
        return _is_parent(table, schema)
    if kind == "correlated":
        return numeric and _has(table, "category", nullable=False)
    return _has(table, "measure", "count", "date", "timestamp", nullable=False)


_EXTRA_SLOTS = {
    0: [()],
    1: [("pred",), ("order",)],
    2: [("pred", "order"), ("order", "limit"), ("pred", "pred")],
    3: [("pred", "order", "limit"), ("pred", "pred", "order")],
    4: [("pred", "pred", "order", "limit")],
}
"""Ways to add n clauses to a rows query (a LIMIT always comes with its ORDER BY)."""


def _plan_rows_hard(ctx: _Ctx, kinds: list[str], *, clauses: tuple[int, int] = (0, 4)) -> _Built:
    """A rows query with the hard constructs ``kinds`` and a total clause count within ``clauses``."""
    table = _pick_table(ctx, lambda t: all(_hard_fits(k, t, ctx.db.schema) for k in kinds))
    low, high = clauses
    scope = _single_scope(ctx, table, aliased=any(k in ("exists", "correlated") for k in kinds) or low >= 5)
    n_joins = 0
    if low >= 5 and _foreign_keys(table):
        fks = [c for c in _foreign_keys(table) if not c.nullable] or _foreign_keys(table)
        _join_parent(ctx, scope, scope.main, ctx.choice(fks))
        n_joins = 1
    rows = scope.rows
    hards = [_HARD_BUILDERS[k](ctx, scope, rows) for k in kinds]
    hard_preds = [h.pred for h in hards if h.pred is not None]
    windows = [h for h in hards if h.out is not None]
    if hard_preds and not _each_matters(hard_preds, rows):
        raise _PlanFailed("hard filters do not all matter")
    fixed = n_joins + sum(_clause_count(p.expr) for p in hard_preds)
    want_low, want_high = max(0, low - fixed), min(4, high - fixed)
    if want_high < want_low:
        raise _PlanFailed("clause budget exceeded")
    want = ctx.rng.randint(want_low, min(want_high, want_low + 2))
    slots = ctx.choice(_EXTRA_SLOTS[want])
    used = [r for h in hards for r in h.include]  # filtering the column a hard construct is about reads oddly
    refs = [r for r in _filter_refs(scope, main_only=bool(windows)) if r not in used]
    preds = _draw_filters(ctx, refs, rows, slots.count("pred"), fixed=hard_preds)
    all_preds = hard_preds + preds
    kept = _passing(rows, all_preds)
    include = [r for h in hards for r in h.include]
    outs = _row_outputs(ctx, scope, kept, include=include) + [h.out for h in windows]
    q = _RowsQuery(scope, _unique_outs(outs), all_preds)
    if "order" in slots:
        q.keys = _sort_keys(ctx, scope)
    if "limit" in slots:
        q.outs = _with_sort_output(q.outs, q.keys, scope)
        _limit_for(ctx, q, len(kept))
    if windows and all_preds:
        scope.notes.append("compute the window values over the filtered rows only")
    return q.built(ctx)


def _clause_count(pred: exp.Expression) -> int:
    """Clauses a predicate adds to a query, counted as classify_difficulty counts them."""
    return condition_clauses(pred)


# --- derived tables, CTEs, set operations ---------------------------------------------------------


def _fresh_table_name(ctx: _Ctx, name: str) -> str:
    """``name``, or ``name_2``, ... so that a CTE never shadows a table of the schema."""
    taken = [t.name for t in ctx.db.schema.tables]
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}_{k}", k + 1
    return candidate


def _plan_derived_table(ctx: _Ctx) -> _Built:
    table = _pick_table(ctx, lambda t: _has(t, "category", nullable=False))
    q = _category_group(ctx, table, allowed=["count", "count_distinct", "sum", "min", "max"])
    groups = q.groups()
    if len(groups) < 2:
        raise _PlanFailed("fewer than two groups")
    alias = f"{_snake(table.singular)}_groups"
    derived = exp.Subquery(this=q.tree(), alias=exp.TableAlias(this=exp.to_identifier(alias)))
    numeric = [a for a in q.aggs if a.ref is None or a.ref.numeric or a.kind.startswith("count")]
    if not numeric:
        raise _PlanFailed("no numeric aggregate")
    agg = ctx.choice(numeric)
    col = exp.column(agg.out.name, table=alias)
    if ctx.rng.random() < 0.5:
        # keep the groups whose aggregate passes a threshold, in the outer query
        having = _having_pred(ctx, agg, groups)
        kept = sum(1 for g in groups.values() if having.test(g) is True)
        if not 0 < kept < len(groups):
            raise _PlanFailed("outer filter keeps all or nothing")
        outer = type(having.expr)(this=col, expression=having.expr.expression.copy())
        outs = q.outs
        select = exp.select(*[exp.column(o.name, table=alias) for o in outs]).from_(derived).where(outer)
        question = _frame(
            ctx,
            "grouped",
            group=q.group_words,
            outputs=join_words([o.noun for o in outs]),
            subject=q.things,
            tail=_tail(f"keep only the groups {having.text}"),
            verb="are",
        )
        return _Built(select, question)
    # aggregate over the groups
    _agg_value("avg", [agg.value(g) for g in groups.values()])  # raises on a rounding boundary
    base = agg.out.noun[4:] if agg.out.noun.startswith("the ") else agg.out.noun
    outs = []
    for k in ctx.rng.sample(["max", "min", "avg"], 2):
        if k == "avg":
            expr = exp.Round(this=exp.Avg(this=col.copy()), decimals=exp.Literal.number(2))
            outs.append(
                _aliased(
                    expr,
                    f"average_{agg.out.name}",
                    f"the average {base} per {q.group_words} rounded to 2 decimal places",
                )
            )
        else:
            node = exp.Max if k == "max" else exp.Min
            word = "highest" if k == "max" else "lowest"
            outs.append(
                _aliased(node(this=col.copy()), f"{k}_{agg.out.name}", f"the {word} {base} per {q.group_words}")
            )
    select = exp.select(*[o.expr for o in outs]).from_(derived)
    question = _frame(
        ctx,
        "aggregate",
        outputs=join_words([o.noun for o in outs]),
        subject=f"{table.plural} grouped by {q.group_words}",
        tail="",
        verb="are",
    )
    return _Built(select, question)


def _plan_cte_join(ctx: _Ctx, *, versus_average: bool = False) -> _Built:
    """WITH stats AS (child rows grouped by a foreign key) SELECT parent name, stat FROM parent JOIN stats."""
    table = _pick_table(ctx, lambda t: any(not (versus_average and c.nullable) for c in _foreign_keys(t)))
    fk = ctx.choice([c for c in _foreign_keys(table) if not (versus_average and c.nullable)])
    parent_table = ctx.db.schema.table(fk.references[0])
    inner_scope = _single_scope(ctx, table)
    src = inner_scope.main
    relation = _children_phrase(fk, parent_table, table)
    agg = _draw_agg(ctx, inner_scope, table.plural, of=f" of {relation}", allowed=["count", "sum", "avg", "max", "min"])
    if agg.ref is None:
        agg = replace(agg, out=replace(agg.out, noun=f"the number of {relation}"))
    if agg.ref is not None and not agg.ref.numeric:
        raise _PlanFailed("non-numeric statistic")
    groups: dict = {}
    for row in inner_scope.rows:
        groups.setdefault(src.ref(fk).get(row), []).append(row)
    stats = exp.select(src.ref(fk).expr, agg.out.expr.copy()).from_(src.table_expr()).group_by(src.ref(fk).expr)
    cte_name = _fresh_table_name(ctx, f"{_snake(parent_table.singular)}_stats")
    parent = _Source(parent_table, ctx.alias(parent_table.name))
    stats_alias = ctx.alias(cte_name)
    pk = parent.ref(parent_table.primary_key)
    shown = ctx.choice(_display_refs(parent))
    stat_col = exp.column(agg.out.name, table=stats_alias)
    outs = [_column_out(shown), _Out(stat_col, agg.out.noun, agg.out.name, stat_col)]
    select = exp.select(*[o.expr.copy() for o in outs]).from_(parent.table_expr())
    select = select.join(
        exp.table_(cte_name, alias=stats_alias),
        on=exp.EQ(this=exp.column(fk.name, table=stats_alias), expression=pk.expr),
    )
    values = [v for k, v in ((k, agg.value(g)) for k, g in groups.items()) if k is not None and v is not None]
    if len(values) < 2:
        raise _PlanFailed("too few groups")
    parts = [f"only {parent_table.plural} {_relation_to_children(fk, parent_table, table, False, '')} are listed"]
    noun = _plain_noun(agg.out)
    if versus_average:
        everything = [float(v) for v in (agg.value(g) for g in groups.values()) if v is not None]
        mean = sum(everything) / len(everything)
        if agg.kind == "avg" or any(abs(float(v) - mean) < 1e-9 for v in values):
            raise _PlanFailed("a value equals the average")
        op = ctx.choice(["gt", "lt"])
        if not any(_compare(op, float(v), mean) for v in values):
            raise _PlanFailed("nothing on that side of the average")
        avg_sub = exp.select(exp.Avg(this=exp.column(agg.out.name))).from_(exp.table_(cte_name))
        select = select.where(_OP_NODES[op](this=stat_col.copy(), expression=exp.Subquery(this=avg_sub)))
        parts.append(f"keep only those where {noun} {_OP_WORDS[op]} the average of that value over all of them")
    elif agg.kind != "avg" and ctx.rng.random() < 0.6:
        op, threshold = _threshold(ctx, values)
        select = select.where(_OP_NODES[op](this=stat_col.copy(), expression=_literal(threshold)))
        parts.append(f"keep only those where {noun} {_OP_WORDS[op]} {literal_text(threshold)}")
    if ctx.chance("group_order"):
        keys = [_Key(stat_col, ctx.chance("descending"), agg.out.noun), _Key(pk.expr, False, pk.noun)]
        select.set("order", _order_node(keys))
        parts.append(_order_text(keys))
    select = select.with_(cte_name, as_=stats)
    question = _frame(
        ctx,
        "per_parent",
        group=parent_table.singular,
        outputs=join_words([o.noun for o in outs]),
        subject=parent_table.plural,
        tail=_tail(*parts),
        verb="are",
    )
    return _Built(select, question)


def _plan_correlated_count(ctx: _Ctx) -> _Built:
    """SELECT p.name, (SELECT COUNT(*) FROM child AS c WHERE c.fk = p.key) AS child_count FROM parent AS p."""
    fk, child = ctx.choice([(c, t) for t in ctx.db.schema.tables for c in _foreign_keys(t)])
    parent_table = ctx.db.schema.table(fk.references[0])
    scope = _single_scope(ctx, parent_table, aliased=True)
    main = scope.main
    inner = _Source(child, ctx.alias(child.name))
    pk = main.ref(parent_table.primary_key)
    counts: dict = {}
    for r in ctx.table_rows(child):
        counts[r[fk.name]] = counts.get(r[fk.name], 0) + 1
    if len({counts.get(pk.get(r), 0) for r in scope.rows}) < 2:
        raise _PlanFailed("counts do not vary")
    corr = exp.EQ(this=inner.ref(fk).expr, expression=pk.expr)
    sub = exp.select(exp.Count(this=exp.Star())).from_(inner.table_expr()).where(corr)
    relation = _children_phrase(fk, parent_table, child)
    preds = _draw_filters(ctx, _filter_refs(scope), scope.rows, 1) if ctx.rng.random() < 0.5 else []
    outs = _display_outs(ctx, main) + [
        _aliased(exp.Subquery(this=sub), f"{_snake(child.plural)}_count", f"the number of {relation} (0 if none)")
    ]
    q = _RowsQuery(scope, _unique_outs(outs), preds)
    return q.built(ctx)


def _plan_set_operation(ctx: _Ctx, *, nested: bool = False) -> _Built:
    """Two filtered SELECTs of the same columns combined by UNION, INTERSECT or EXCEPT."""
    kinds = [k for k in ("scalar_subquery", "in_subquery") if nested]
    table = _pick_table(
        ctx,
        lambda t: (
            _filterable(t)
            and len(ctx.db.rows[t.name]) >= 4
            and all(any(_hard_fits(k, t, ctx.db.schema) for k in kinds) for _ in kinds[:1])
        ),
    )
    scope = _single_scope(ctx, table)
    cols = [ctx.choice(_display_refs(scope.main))]
    if ctx.chance("set_two_columns"):
        extra = [r for r in scope.refs("category", "date", "count", source=scope.main) if not r.column.nullable]
        if extra:
            cols.append(ctx.choice(extra))
    if nested:
        kind = ctx.choice([k for k in kinds if _hard_fits(k, table, ctx.db.schema)])
        a = _HARD_BUILDERS[kind](ctx, scope, scope.rows).pred
    else:
        a = _draw_filter(ctx, _filter_refs(scope), scope.rows)
    b = _draw_filter(ctx, [r for r in _filter_refs(scope) if r != a.ref], scope.rows)
    if ctx.rng.random() < 0.5:
        a, b = b, a

    def values(preds):
        return {tuple(c.get(r) for c in cols) for r in _passing(scope.rows, preds)}

    def variant_values(pred):
        return [{tuple(c.get(r) for c in cols) for r in scope.rows if v(r) is True} for v in pred.variants]

    op = ctx.pick("set_operations")
    combine = {"union": set.union, "intersect": set.intersection, "except": set.difference}[op]
    set_a, set_b, everything = values([a]), values([b]), values([])
    result = combine(set_a, set_b)
    if not result or combine(everything, set_b) == result or combine(set_a, everything) == result:
        raise _PlanFailed("set operation is empty or a filter does not matter")
    if any(combine(v, set_b) == result for v in variant_values(a)) or any(
        combine(set_a, v) == result for v in variant_values(b)
    ):
        raise _PlanFailed("a subquery filter does not matter")
    outs = [_column_out(c) for c in cols]

    def branch(pred: _Pred) -> exp.Select:
        return exp.select(*[o.expr.copy() for o in outs]).from_(scope.main.table_expr()).where(pred.expr.copy())

    builder = {"union": exp.union, "intersect": exp.intersect, "except": exp.except_}[op]
    tree = builder(branch(a), branch(b), distinct=True)
    first, second = f"{table.plural} {a.text}", f"{table.plural} {b.text}"
    relation = {
        "union": f"appear among {first} or among {second}",
        "intersect": f"appear both among {first} and among {second}",
        "except": f"appear among {first} but not among {second}",
    }[op]
    values = (
        f"distinct {cols[0].words} values"
        if len(cols) == 1
        else f"distinct combinations of {join_words([o.noun for o in outs])}"
    )
    parts = []
    if ctx.chance("set_order"):
        keys = [_Key(exp.column(o.name), False, o.noun) for o in outs]
        tree.set("order", _order_node(keys))
        parts.append(_order_text(keys))
    return _Built(tree, _frame(ctx, "set", values=values, relation=relation, tail=_tail(*parts)))


def _plan_top_per_group(ctx: _Ctx) -> _Built:
    """The top k rows per category by a measure: ROW_NUMBER() in a CTE or derived table, filtered outside."""
    table = _pick_table(
        ctx,
        lambda t: (
            _has(t, "category", nullable=False) and _has(t, "measure", "count", "date", "timestamp", nullable=False)
        ),
    )
    scope = _single_scope(ctx, table)
    main = scope.main
    cat = ctx.choice([r for r in scope.refs("category") if not r.column.nullable])
    ref = ctx.choice([r for r in scope.refs("measure", "count", "date", "timestamp") if not r.column.nullable])
    pk = main.ref(table.primary_key)
    desc = ctx.chance("descending")
    sizes: dict = {}
    for r in scope.rows:
        sizes[cat.get(r)] = sizes.get(cat.get(r), 0) + 1
    k = ctx.rng.randint(1, int(ctx.limits["max_top_per_group"]))
    if not any(n > k for n in sizes.values()):
        raise _PlanFailed("no group is cut")
    outs = _unique_outs(_display_outs(ctx, main) + [_column_out(cat), _column_out(ref)])
    rank_name = "position"
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=[cat.expr],
        order=exp.Order(expressions=[exp.Ordered(this=ref.expr, desc=desc), exp.Ordered(this=pk.expr, desc=False)]),
        over="OVER",
    )
    inner = exp.select(*[o.expr.copy() for o in outs], exp.alias_(window, rank_name)).from_(main.table_expr())
    name = _fresh_table_name(ctx, f"ranked_{table.name}")
    select = exp.select(*[exp.column(o.name) for o in outs]).where(
        exp.LTE(this=exp.column(rank_name), expression=exp.Literal.number(k))
    )
    if ctx.chance("cte_derived_table"):
        select = select.from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(name))))
    else:
        select = select.from_(exp.table_(name)).with_(name, as_=inner)
    best, worst = ("highest", "lowest") if desc else ("lowest", "highest")
    if ref.column.base_type in ("DATE", "TIMESTAMP"):
        best, worst = ("latest", "earliest") if desc else ("earliest", "latest")
    parts = [f"break ties by the lower {pk.words}"]
    if ctx.chance("top_per_group_order"):
        select.set(
            "order",
            exp.Order(
                expressions=[
                    exp.Ordered(this=exp.column(cat.column.name), desc=False),
                    exp.Ordered(this=exp.column(rank_name), desc=False),
                ]
            ),
        )
        parts.append(
            f"sort by the {cat.words} in ascending order, then from the {best} to the {worst} "
            f"{ref.words} (ties by the lower {pk.words})"
        )
    count = f"the {k} {table.plural}" if k > 1 else f"the {table.singular}"
    outputs = f"{join_words([o.noun for o in outs])} of {count} with the {best} {ref.words}"
    return _Built(
        select,
        _frame(ctx, "grouped", group=cat.words, outputs=outputs, subject=table.plural, tail=_tail(*parts), verb="are"),
    )


# --- plan table and the public entry point ----------------------------------------------------


@dataclass(frozen=True)
class _Built:
    tree: exp.Expression
    question: str


def _plan_many_clauses(ctx: _Ctx) -> _Built:
    if ctx.rng.random() < 0.5:
        return _plan_rows_joined(ctx, n_joins=ctx.rng.randint(1, 2), n_preds=2, order=True, limit=True)
    table = _pick_table(ctx, lambda t: _has(t, "category", nullable=False))
    q = _category_group(ctx, table)
    return _finish_group(ctx, q, where=True, having=True, order=True, limit=True)


def _plan_rows_two_hard(ctx: _Ctx) -> _Built:
    first = ctx.pick("hard_filters")
    second = ctx.pick("hard_filters", [k for k in _weights_at(ctx.grammar, "hard_filters") if k != first])
    return _plan_rows_hard(ctx, [first, second], clauses=(0, 8))


def _plan_hard_many_clauses(ctx: _Ctx) -> _Built:
    return _plan_rows_hard(
        ctx, [ctx.pick("hard_filters", ["scalar_subquery", "in_subquery", "exists", "window"])], clauses=(5, 7)
    )


_PLANS: dict[str, Callable[[_Ctx], _Built]] = {
    "rows_filtered": _plan_rows_filtered,
    "rows_sorted": _plan_rows_sorted,
    "rows_all": _plan_rows_all,
    "aggregate": _plan_aggregate,
    "distinct_values": _plan_distinct_values,
    "rows_multi_filter": _plan_rows_multi_filter,
    "rows_top": _plan_rows_top,
    "rows_joined": _plan_rows_joined,
    "rows_left_joined": _plan_rows_left_joined,
    "grouped": _plan_grouped,
    "grouped_joined": _plan_grouped_joined,
    "left_join_count": _plan_left_join_count,
    "aggregate_filtered": _plan_aggregate_filtered,
    "distinct_filtered": _plan_distinct_filtered,
    "rows_scalar_subquery": lambda ctx: _plan_rows_hard(ctx, ["scalar_subquery"]),
    "rows_in_subquery": lambda ctx: _plan_rows_hard(ctx, ["in_subquery"]),
    "rows_exists": lambda ctx: _plan_rows_hard(ctx, ["exists"]),
    "rows_correlated": lambda ctx: _plan_rows_hard(ctx, ["correlated"]),
    "correlated_count": _plan_correlated_count,
    "rows_window": lambda ctx: _plan_rows_hard(ctx, ["window"]),
    "derived_table": _plan_derived_table,
    "cte_join": _plan_cte_join,
    "set_operation": _plan_set_operation,
    "many_clauses": _plan_many_clauses,
    "top_per_group": _plan_top_per_group,
    "rows_two_hard": _plan_rows_two_hard,
    "cte_vs_average": lambda ctx: _plan_cte_join(ctx, versus_average=True),
    "set_operation_nested": lambda ctx: _plan_set_operation(ctx, nested=True),
    "hard_many_clauses": _plan_hard_many_clauses,
}


def _candidate(tree: exp.Expression, question: str) -> QueryCandidate:
    # Normalize through one render/parse so the tree is exactly what parsing the SQL gives.
    built = DUCKDB.generate(tree, copy=False)  # the built tree is not used again
    tree = sqlglot.parse_one(built, read=DUCKDB)
    sql = DUCKDB.generate(tree, copy=False)  # rendering leaves the tree as parsed (tests/sql/test_verify.py)
    return QueryCandidate(
        # Rendering parse(built) gave sql; when sql == built, that was already the round trip of sql.
        rendered_again=sql if sql == built else None,
        tree=tree,
        sql=sql,
        question=question,
        features=detect_features(tree),
        difficulty=classify_difficulty(tree),
        order_matters=tree.args.get("order") is not None,
    )


def generate_query(rng: random.Random, db: Database, *, difficulty: str, grammar: Grammar) -> QueryCandidate:
    """A query over ``db`` aimed at ``difficulty`` (one of :data:`DIFFICULTIES`) and its question.

    Raises ``ValueError`` for an unknown difficulty. When no plan lands on the level within
    ``[generator].max_attempts`` tries, the last built candidate is returned (its ``difficulty`` says
    where it landed) so the caller can count the miss.
    """
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}; expected one of {', '.join(DIFFICULTIES)}")
    plans = _weights_at(grammar, f"plans.{difficulty}")
    names = [n for n, w in plans.items() if float(w) > 0]
    weights = [float(plans[n]) for n in names]
    last: QueryCandidate | None = None
    for _ in range(int(grammar.section("generator")["max_attempts"])):
        ctx = _Ctx(rng, db, grammar)
        name = rng.choices(names, weights=weights)[0]
        try:
            built = _PLANS[name](ctx)
        except _PlanFailed:
            continue
        candidate = _candidate(built.tree, built.question)
        if candidate.difficulty == difficulty:
            return candidate
        last = candidate
    if last is not None:
        return last
    # Nothing at all could be built (a database without usable rows): the simplest honest query.
    table = next((t for t in db.schema.tables if db.rows.get(t.name)), db.schema.tables[0])
    ctx = _Ctx(rng, db, grammar)
    scope = _single_scope(ctx, table)
    q = _RowsQuery(scope, [_column_out(r) for r in _display_refs(scope.main)])
    return _candidate(q.tree(), q.question(ctx))
