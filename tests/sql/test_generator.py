"""The query generator: deterministic, sound SQL that runs, round-trips, hits its level and reads as English."""

from __future__ import annotations

import collections
import datetime
import decimal
import os
import random
import re
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen_data.grammar import Grammar, load_grammar
from codegen_data.sql.comparator import DEFAULT_COMPARATOR, to_json_value
from codegen_data.sql.domains import domain_names, load_domains
from codegen_data.sql.generator import (
    DIFFICULTIES,
    FEATURES,
    QueryCandidate,
    classify_difficulty,
    detect_features,
    generate_query,
)
from codegen_data.sql.schema import Column, Database, Schema, Table
from codegen_data.sql.scripts import load_duckdb, load_sqlite
from codegen_data.sql.sqlite_dialect import to_sqlite
from codegen_data.sql.synth import synthesize_database

REPO = Path(__file__).resolve().parents[2]
GRAMMAR = load_grammar("sql")
SEEDS_PER_LEVEL = 48


def _databases() -> list[Database]:
    schemas = load_domains()
    return [
        synthesize_database(
            random.Random(k), schemas[name], db_id=f"{name}_{k}", min_rows=20, max_rows=50, null_rate=0.1
        )
        for k, name in enumerate(domain_names())
    ]


DATABASES = _databases()


def _generate(seed: int, level: str, grammar: Grammar = GRAMMAR) -> tuple[Database, QueryCandidate]:
    db = DATABASES[seed % len(DATABASES)]
    return db, generate_query(random.Random(seed), db, difficulty=level, grammar=grammar)


class _Engines:
    """One database loaded in DuckDB and SQLite; results as JSON values, as the pipeline compares them."""

    def __init__(self, db: Database):
        self.duck = duckdb.connect()
        load_duckdb(self.duck, db)
        self.lite = sqlite3.connect(":memory:")
        load_sqlite(self.lite, db)

    def duckdb_rows(self, sql: str) -> list[list]:
        return [[to_json_value(v) for v in row] for row in self.duck.execute(sql).fetchall()]

    def sqlite_rows(self, sql: str) -> list[list]:
        return [[to_json_value(v) for v in row] for row in self.lite.execute(sql).fetchall()]


@pytest.fixture(scope="module")
def engines() -> dict[str, _Engines]:
    return {db.db_id: _Engines(db) for db in DATABASES}


@pytest.fixture(scope="module")
def candidates() -> list[tuple[str, Database, QueryCandidate]]:
    out = []
    for level in DIFFICULTIES:
        for seed in range(SEEDS_PER_LEVEL):
            db, c = _generate(seed, level)
            out.append((level, db, c))
    return out


# --- API -------------------------------------------------------------------------------------------


def test_unknown_difficulty_raises():
    with pytest.raises(ValueError, match="unknown difficulty"):
        generate_query(random.Random(0), DATABASES[0], difficulty="impossible", grammar=GRAMMAR)


def test_candidate_fields_are_consistent(candidates):
    for _level, _db, c in candidates:
        assert c.sql == c.tree.sql(dialect="duckdb")
        assert "\n" not in c.sql
        assert c.features == detect_features(c.tree) and list(c.features) == sorted(c.features)
        assert set(c.features) <= set(FEATURES)
        assert c.difficulty == classify_difficulty(c.tree)
        assert c.order_matters == (c.tree.args.get("order") is not None)


def test_same_seed_same_candidate():
    for level in DIFFICULTIES:
        for seed in range(6):
            _, a = _generate(seed, level)
            _, b = _generate(seed, level)
            assert (a.sql, a.question) == (b.sql, b.question)


def test_deterministic_across_processes():
    """No set order or hash() decides anything: another PYTHONHASHSEED gives the same candidates."""
    script = (
        "import random; from codegen_data.grammar import load_grammar;"
        "from codegen_data.sql.domains import load_domains;"
        "from codegen_data.sql.synth import synthesize_database;"
        "from codegen_data.sql.generator import generate_query, DIFFICULTIES\n"
        "schemas = load_domains()\n"
        "for k, name in enumerate(sorted(schemas)[:3]):\n"
        "    db = synthesize_database(random.Random(k), schemas[name], db_id=name,\n"
        "                             min_rows=20, max_rows=40, null_rate=0.1)\n"
        "    for level in DIFFICULTIES:\n"
        "        c = generate_query(random.Random(k), db, difficulty=level, grammar=load_grammar('sql'))\n"
        "        print(c.sql); print(c.question)\n"
    )
    outputs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(REPO)}
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 24


def test_generator_uses_only_the_given_rng(monkeypatch):
    def forbidden(*_a, **_k):
        raise AssertionError("global random used")

    for name in ("random", "randint", "choice", "choices", "sample", "shuffle", "randrange", "uniform"):
        monkeypatch.setattr(random, name, forbidden)
    for level in DIFFICULTIES:
        _generate(3, level)


# --- soundness ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=2**32), level=st.sampled_from(DIFFICULTIES))
def test_any_seed_gives_a_well_formed_candidate(seed, level):
    _db, c = _generate(seed, level)
    assert sqlglot.parse_one(c.sql, read="duckdb").sql(dialect="duckdb") == c.sql
    assert not re.search(r"[A-Za-z0-9]_[A-Za-z0-9]", c.question)
    assert set(c.features) <= set(FEATURES)


def test_sql_round_trips(candidates):
    for _level, _db, c in candidates:
        assert sqlglot.parse_one(c.sql, read="duckdb").sql(dialect="duckdb") == c.sql


def test_questions_read_as_english(candidates):
    for _level, _db, c in candidates:
        q = c.question
        assert not re.search(r"[A-Za-z0-9]_[A-Za-z0-9]", q), q  # never an identifier with an underscore
        assert q[0].isupper() and q[-1] in ".?", q
        assert "  " not in q and " ," not in q and "None" not in q, q
        for table in c.tree.find_all(sqlglot.exp.Table):
            if "_" in table.name:
                assert table.name not in q


def test_every_level_is_reached_and_matched(candidates):
    matched = collections.Counter(level for level, _db, c in candidates if c.difficulty == level)
    print({level: f"{matched[level]}/{SEEDS_PER_LEVEL}" for level in DIFFICULTIES})
    for level in DIFFICULTIES:
        assert matched[level] >= 0.8 * SEEDS_PER_LEVEL, (level, matched[level])


def test_candidates_execute_and_agree_with_sqlite(candidates, engines):
    executed = agreed = non_empty = 0
    disagreements = []
    for _level, db, c in candidates:
        eng = engines[db.db_id]
        gold = eng.duckdb_rows(c.sql)  # raises on any DuckDB error: every candidate must run
        executed += 1
        non_empty += bool(gold)
        try:
            other = eng.sqlite_rows(to_sqlite(c.tree))
        except sqlite3.Error as exc:
            disagreements.append((c.sql, repr(exc)))
            continue
        diff = DEFAULT_COMPARATOR.difference(gold, other, order_matters=c.order_matters)
        if diff is None:
            agreed += 1
        else:
            disagreements.append((c.sql, diff))
    print(f"executed {executed}, non-empty {non_empty / executed:.1%}, SQLite agreement {agreed / executed:.1%}")
    assert non_empty >= 0.9 * executed
    assert agreed >= 0.9 * executed, disagreements[:5]


def test_order_by_limit_has_a_tie_breaker(candidates, engines):
    """ORDER BY ... LIMIT gives the same rows on a copy of the data inserted in reverse order."""
    checked = 0
    for _level, db, c in candidates:
        if c.tree.args.get("limit") is None:
            continue
        reversed_db = replace(db, rows={t: tuple(reversed(rows)) for t, rows in db.rows.items()})
        con = duckdb.connect()
        load_duckdb(con, reversed_db)
        again = [[to_json_value(v) for v in row] for row in con.execute(c.sql).fetchall()]
        assert DEFAULT_COMPARATOR.difference(engines[db.db_id].duckdb_rows(c.sql), again, order_matters=True) is None
        checked += 1
    assert checked >= 5


def test_features_cover_the_grammar(candidates):
    """Over a few hundred candidates every documented feature family shows up."""
    seen = collections.Counter(f for _level, _db, c in candidates for f in c.features)
    print(dict(seen.most_common()))
    must = [
        "where", "between", "in_list", "like", "boolean_logic", "inner_join", "group_by", "count", "sum", "avg",
        "order_by", "limit", "distinct", "scalar_subquery", "in_subquery", "exists", "correlated_subquery",
        "from_subquery", "cte", "window_row_number",
    ]  # fmt: skip
    missing = [f for f in must if not seen[f]]
    assert not missing, missing


# --- the grammar drives the generator ---------------------------------------------------------------


def _with(grammar: Grammar, section: str, table: dict) -> Grammar:
    data = {**grammar.data}
    node = data
    parts = section.split(".")
    for part in parts[:-1]:
        node[part] = {**node[part]}
        node = node[part]
    node[parts[-1]] = table
    return Grammar(name="sql-test", data=data, sha256="test")


def test_plan_weights_come_from_the_grammar():
    only_distinct = _with(GRAMMAR, "plans.easy", {"distinct_values": 1})
    for seed in range(8):
        _, c = _generate(seed, "easy", only_distinct)
        assert c.features == ("distinct",), c.sql
    only_union = _with(_with(GRAMMAR, "plans.hard", {"set_operation": 1}), "set_operations", {"union": 1})
    for seed in range(8):
        _, c = _generate(seed, "hard", only_union)
        assert "union" in c.features and "intersect" not in c.features, c.sql


def test_phrasing_styles_vary():
    openers = {_generate(seed, "easy")[1].question.split()[0] for seed in range(40)}
    assert len(openers) >= 3, openers


# --- a database without foreign keys or rows of interest -------------------------------------------


def _tiny() -> Database:
    table = Table(
        "gadgets",
        "gadget",
        "gadgets",
        (
            Column("id", "INTEGER", "id", "key", primary_key=True),
            Column("gadget_name", "VARCHAR", "gadget name", "name"),
            Column("color", "VARCHAR", "color", "category"),
            Column("price", "DECIMAL(8,2)", "price", "measure"),
            Column("released_on", "DATE", "release date", "date", nullable=True),
            Column("is_sold_out", "BOOLEAN", "sold out", "flag"),
        ),
    )
    colors = ["red", "blue", "green"]
    rows = tuple(
        (
            i,
            f"Gadget {chr(65 + i)}",
            colors[i % 3],
            decimal.Decimal(f"{10 + 3 * i}.50"),
            None if i % 4 == 0 else datetime.date(2020, 1 + i % 12, 1 + i),
            i % 2 == 0,
        )
        for i in range(12)
    )
    return Database("tiny", Schema("tiny", (table,)), {"gadgets": rows})


def test_a_tiny_schema_still_yields_candidates():
    db = _tiny()
    eng = _Engines(db)
    levels = collections.Counter()
    for level in DIFFICULTIES:
        for seed in range(10):
            c = generate_query(random.Random(seed), db, difficulty=level, grammar=GRAMMAR)
            eng.duckdb_rows(c.sql)
            levels[c.difficulty] += 1
    assert levels["easy"] and levels["medium"] and levels["hard"]


# --- features and difficulty on hand-written SQL ------------------------------------------------


FEATURE_CASES = [
    ("SELECT name FROM t WHERE price > 3", {"where", "comparison"}),
    (
        "SELECT name FROM t WHERE price BETWEEN 1 AND 2 AND c IN ('a', 'b')",
        {"where", "between", "in_list", "boolean_logic"},
    ),
    ("SELECT name FROM t WHERE name LIKE 'A%' OR d IS NULL", {"where", "like", "is_null", "boolean_logic"}),
    ("SELECT name FROM t WHERE NOT flag", {"where", "boolean_logic"}),
    ("SELECT e.name, d.name FROM e AS e JOIN d AS d ON e.d_id = d.id", {"inner_join"}),
    (
        "SELECT e.name FROM e AS e LEFT JOIN d AS d ON e.d_id = d.id JOIN f ON f.id = e.f_id",
        {"left_join", "inner_join", "multi_join"},
    ),
    ("SELECT e.name, m.name FROM e AS e JOIN e AS m ON e.manager_id = m.id", {"inner_join", "self_join"}),
    (
        "SELECT c, COUNT(*), COUNT(DISTINCT x), SUM(p), ROUND(AVG(p), 2), MIN(p), MAX(p) FROM t "
        "GROUP BY c HAVING COUNT(*) > 1",
        {"group_by", "count", "count_distinct", "sum", "avg", "round", "min", "max", "having", "comparison"},
    ),
    ("SELECT DISTINCT c FROM t ORDER BY c ASC LIMIT 3 OFFSET 1", {"distinct", "order_by", "limit", "offset"}),
    (
        "SELECT CASE WHEN p > 1 THEN 'high' ELSE 'low' END, COALESCE(p, 0), p * q FROM t",
        {"case", "coalesce", "arithmetic"},
    ),
    ("SELECT UPPER(n), LENGTH(n), SUBSTRING(n, 1, 2) FROM t", {"string_function"}),
    (
        "SELECT EXTRACT(YEAR FROM d) FROM t WHERE d >= CAST('2020-01-01' AS DATE)",
        {"date_function", "date_comparison", "where", "comparison"},
    ),
    ("SELECT n FROM t WHERE p > (SELECT AVG(p) FROM t)", {"where", "comparison", "scalar_subquery", "avg"}),
    ("SELECT n FROM t WHERE k IN (SELECT id FROM u WHERE x = 1)", {"where", "in_subquery", "comparison"}),
    (
        "SELECT n FROM t AS a WHERE EXISTS(SELECT 1 FROM u AS b WHERE b.t_id = a.id)",
        {"where", "exists", "correlated_subquery", "comparison"},
    ),
    (
        "SELECT a.n FROM t AS a WHERE a.p > (SELECT AVG(b.p) FROM t AS b WHERE b.c = a.c)",
        {"where", "comparison", "scalar_subquery", "correlated_subquery", "avg"},
    ),
    (
        "SELECT s.c FROM (SELECT c, COUNT(*) AS n FROM t GROUP BY c) AS s WHERE s.n > 2",
        {"from_subquery", "group_by", "count", "where", "comparison"},
    ),
    ("WITH s AS (SELECT c FROM t) SELECT c FROM s", {"cte"}),
    ("SELECT n FROM t UNION SELECT n FROM u", {"union"}),
    ("SELECT n FROM t INTERSECT SELECT n FROM u", {"intersect"}),
    ("SELECT n FROM t EXCEPT SELECT n FROM u", {"except"}),
    (
        "SELECT ROW_NUMBER() OVER (PARTITION BY c ORDER BY p DESC, id ASC) FROM t",
        {"window_row_number", "window_partition"},
    ),
    (
        "SELECT RANK() OVER (ORDER BY p DESC), DENSE_RANK() OVER (ORDER BY p DESC) FROM t",
        {"window_rank", "window_dense_rank"},
    ),
    ("SELECT LAG(p) OVER (ORDER BY d ASC, id ASC), LEAD(p) OVER (ORDER BY id ASC) FROM t", {"window_lag_lead"}),
    (
        "SELECT SUM(p) OVER (ORDER BY d ASC, id ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t",
        {"window_running_sum"},
    ),
]


@pytest.mark.parametrize("sql, expected", FEATURE_CASES)
def test_detect_features(sql, expected):
    assert set(detect_features(sqlglot.parse_one(sql, read="duckdb"))) == expected


DIFFICULTY_CASES = [
    ("SELECT name FROM t", "easy"),
    ("SELECT name FROM t WHERE p > 3", "easy"),
    ("SELECT COUNT(*) FROM t WHERE p > 3", "easy"),
    ("SELECT name FROM t ORDER BY p DESC, id ASC", "easy"),
    ("SELECT name FROM t WHERE p > 3 ORDER BY p ASC", "medium"),
    ("SELECT c, COUNT(*) FROM t GROUP BY c", "medium"),
    ("SELECT e.n, d.n FROM e AS e JOIN d AS d ON e.d = d.id", "medium"),
    ("SELECT n FROM t WHERE a = 1 AND b = 2 AND c = 3 AND d = 4", "medium"),
    ("SELECT n FROM t WHERE a = 1 AND b = 2 AND c = 3 AND d = 4 AND e = 5", "hard"),
    ("SELECT n FROM t WHERE p > (SELECT AVG(p) FROM t)", "hard"),
    ("SELECT n, RANK() OVER (ORDER BY p DESC) FROM t", "hard"),
    ("SELECT n FROM t UNION SELECT n FROM u", "hard"),
    ("WITH s AS (SELECT c FROM t) SELECT c FROM s", "hard"),
    ("WITH s AS (SELECT c, ROW_NUMBER() OVER (ORDER BY p) AS r FROM t) SELECT c FROM s WHERE r <= 2", "extra"),
    ("SELECT n FROM t WHERE k IN (SELECT id FROM u) AND p > (SELECT AVG(p) FROM t)", "extra"),
    ("SELECT n FROM t WHERE p > (SELECT AVG(p) FROM t) AND a = 1 AND b = 2 AND c = 3 ORDER BY n LIMIT 2", "extra"),
]


@pytest.mark.parametrize("sql, level", DIFFICULTY_CASES)
def test_classify_difficulty(sql, level):
    assert classify_difficulty(sqlglot.parse_one(sql, read="duckdb")) == level


def test_features_are_documented():
    from codegen_data.sql.features import FEATURE_DOCS

    assert list(FEATURES) == list(FEATURE_DOCS) and len(set(FEATURES)) == len(FEATURES)
    for name in FEATURES:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", name)


def test_grammar_names_match_the_code():
    from codegen_data.sql.generator import _PLANS
    from codegen_data.sql.questions import SENTENCE_FRAMES

    for level in DIFFICULTIES:
        assert set(GRAMMAR.data["plans"][level]) <= set(_PLANS), level
    assert set(GRAMMAR.data["plans"]) == set(DIFFICULTIES)
    for shape, frames in SENTENCE_FRAMES.items():
        assert set(frames) == set(GRAMMAR.data["phrasing"]), shape


def test_condition_clauses_counts_a_condition_as_the_where_of_a_query():
    # The generator budgets clauses with condition_clauses; it must count as difficulty_counts does
    # for the condition placed under a one-column SELECT (what it replaced, without a parse or copies).
    from sqlglot import exp

    from codegen_data.sql.features import condition_clauses, difficulty_counts

    checked = 0
    for level in DIFFICULTIES:
        for seed in range(24):
            _, candidate = _generate(seed, level)
            for clause in candidate.tree.find_all(exp.Where, exp.Having):
                for condition in [clause.this, *clause.this.find_all(exp.Condition)]:
                    expected = difficulty_counts(exp.select("x").where(condition.copy()))[1]
                    assert condition_clauses(condition) == expected, condition.sql()
                    checked += 1
    assert checked > 500
