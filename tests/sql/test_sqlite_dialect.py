"""to_sqlite keeps DuckDB's meaning for every construct the generator emits (checked by running both)."""

from __future__ import annotations

import datetime
import decimal
import sqlite3

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from codegen_data.sql.comparator import DEFAULT_COMPARATOR, to_json_value
from codegen_data.sql.schema import Column, Database, Schema, Table
from codegen_data.sql.scripts import load_duckdb, load_sqlite
from codegen_data.sql.sqlite_dialect import to_sqlite


def _fixture() -> Database:
    teams = Table(
        "teams",
        "team",
        "teams",
        (
            Column("id", "INTEGER", "id", "key", primary_key=True),
            Column("team_name", "VARCHAR", "team name", "name"),
        ),
    )
    people = Table(
        "people",
        "person",
        "people",
        (
            Column("id", "INTEGER", "id", "key", primary_key=True),
            Column("full_name", "VARCHAR", "full name", "name"),
            Column("team_id", "INTEGER", "team id", "key", references=("teams", "id")),
            Column("boss_id", "INTEGER", "boss id", "key", nullable=True, references=("people", "id")),
            Column("city", "VARCHAR", "city", "category"),
            Column("salary", "DECIMAL(10,2)", "salary", "measure"),
            Column("rating", "DOUBLE", "rating", "measure", nullable=True),
            Column("visits", "INTEGER", "visits", "count"),
            Column("hired_on", "DATE", "hire date", "date"),
            Column("last_login", "TIMESTAMP", "last login", "timestamp", nullable=True),
            Column("is_remote", "BOOLEAN", "remote", "flag"),
        ),
    )
    d, ts, dec = datetime.date, datetime.datetime, decimal.Decimal
    people_rows = (
        (1, "Ada Apple", 1, None, "Oslo", dec("5000.10"), 4.5, 3, d(2020, 1, 15), ts(2024, 3, 5, 0, 0, 0), True),
        (2, "bob apple", 1, 1, "oslo", dec("5000.20"), None, 7, d(2021, 3, 5), ts(2024, 3, 5, 14, 30, 0), False),
        (3, "Cy A*B?[x]", 2, 1, "Rome", dec("7000.30"), 3.25, 7, d(2021, 12, 31), None, True),
        (4, "Dee Bee", 2, 3, "Rome", dec("1234.55"), 1.1, 1, d(2022, 6, 1), ts(2023, 12, 31, 23, 59, 59), False),
        (5, "Eve Apple", 1, 3, "Oslo", dec("2.20"), 2.2, 0, d(2023, 7, 4), ts(2024, 1, 1, 8, 0, 0), True),
        (6, "Fay Sea", 2, None, "Paris", dec("3.30"), 3.3, 4, d(2020, 1, 15), None, False),
    )
    return Database(
        "dialect_fixture",
        Schema("fixture", (teams, people)),
        {"teams": ((1, "North"), (2, "South"), (3, "Empty")), "people": people_rows},
    )


DB = _fixture()


@pytest.fixture(scope="module")
def cons():
    duck = duckdb.connect()
    load_duckdb(duck, DB)
    lite = sqlite3.connect(":memory:")
    load_sqlite(lite, DB)
    return duck, lite


def _rows(con, sql: str) -> list[list]:
    return [[to_json_value(v) for v in row] for row in con.execute(sql).fetchall()]


# Every construct the generator emits, as DuckDB SQL; each must give the same rows in SQLite.
SAME_RESULT = [
    # the two fixes
    "SELECT id, EXTRACT(YEAR FROM hired_on), EXTRACT(MONTH FROM hired_on), EXTRACT(DAY FROM hired_on) FROM people",
    "SELECT id, EXTRACT(YEAR FROM last_login), EXTRACT(MONTH FROM last_login) FROM people",
    "SELECT id FROM people WHERE EXTRACT(YEAR FROM hired_on) = 2021",
    "SELECT id FROM people WHERE full_name LIKE 'A%'",
    "SELECT id FROM people WHERE full_name LIKE '%apple'",
    "SELECT id FROM people WHERE full_name LIKE '%pp%'",
    "SELECT id FROM people WHERE full_name LIKE 'Cy A*B?[x%'",
    "SELECT id FROM people WHERE full_name LIKE '_o%'",
    "SELECT id FROM people WHERE NOT full_name LIKE 'A%'",
    "SELECT id FROM people WHERE city = 'Oslo'",
    # dates and timestamps against date literals
    "SELECT id FROM people WHERE hired_on > CAST('2021-03-05' AS DATE)",
    "SELECT id FROM people WHERE hired_on >= CAST('2021-03-05' AS DATE)",
    "SELECT id FROM people WHERE hired_on BETWEEN CAST('2020-01-15' AS DATE) AND CAST('2021-12-31' AS DATE)",
    "SELECT id FROM people WHERE last_login >= CAST('2024-03-05' AS DATE)",
    "SELECT id FROM people WHERE last_login < CAST('2024-03-05' AS DATE)",
    "SELECT MIN(hired_on), MAX(last_login) FROM people",
    # NULL handling and ordering (DuckDB sorts NULLs last in both directions)
    "SELECT id, rating FROM people ORDER BY rating ASC, id ASC",
    "SELECT id, rating FROM people ORDER BY rating DESC, id ASC",
    "SELECT id FROM people WHERE rating IS NULL",
    "SELECT id FROM people WHERE NOT rating IS NULL",
    "SELECT id, COALESCE(rating, 0), COALESCE(last_login, CAST('2000-01-01' AS TIMESTAMP)) FROM people",
    # arithmetic, CASE, string functions, booleans
    "SELECT id, salary * visits, salary + 10, visits * 2, visits - 1, salary / 4 FROM people",
    "SELECT id, CASE WHEN salary > 3000.00 THEN 'high' ELSE 'low' END FROM people",
    "SELECT UPPER(full_name), LOWER(full_name), LENGTH(full_name), SUBSTRING(full_name, 1, 3) FROM people",
    "SELECT id FROM people WHERE LENGTH(full_name) > 8",
    "SELECT id, is_remote FROM people WHERE is_remote",
    "SELECT id FROM people WHERE NOT is_remote AND visits IN (0, 7)",
    "SELECT id FROM people WHERE NOT salary BETWEEN 3.30 AND 5000.20",
    "SELECT id FROM people WHERE (city = 'Rome' OR visits < 2) AND NOT city IN ('Paris')",
    # aggregates
    "SELECT COUNT(*), COUNT(rating), COUNT(DISTINCT city), SUM(salary), ROUND(AVG(salary), 2), AVG(rating) FROM people",
    "SELECT ROUND(AVG(rating), 2) FROM people WHERE city = 'Oslo'",
    "SELECT city, COUNT(*) AS n, SUM(visits) FROM people GROUP BY city HAVING COUNT(*) > 1 ORDER BY n DESC, city ASC",
    "SELECT city, ROUND(AVG(salary), 2) AS a FROM people GROUP BY city HAVING AVG(salary) > 100.00",
    # joins
    "SELECT p.full_name, t.team_name AS team_team_name FROM people AS p JOIN teams AS t ON p.team_id = t.id",
    "SELECT p.full_name, b.full_name AS boss_full_name FROM people AS p LEFT JOIN people AS b ON p.boss_id = b.id",
    "SELECT t.team_name, COUNT(p.id) AS n, COALESCE(SUM(p.visits), 0) FROM teams AS t "
    "LEFT JOIN people AS p ON p.team_id = t.id GROUP BY t.id, t.team_name ORDER BY n ASC, t.id ASC",
    # subqueries, CTEs, set operations
    "SELECT id FROM people WHERE salary > (SELECT AVG(salary) FROM people)",
    "SELECT id FROM people WHERE team_id IN (SELECT id FROM teams WHERE team_name LIKE 'N%')",
    "SELECT t.id FROM teams AS t WHERE NOT EXISTS(SELECT 1 FROM people AS p WHERE p.team_id = t.id AND p.visits > 5)",
    "SELECT p.id FROM people AS p WHERE p.salary > (SELECT AVG(p2.salary) FROM people AS p2 WHERE p2.city = p.city)",
    "SELECT t.team_name, (SELECT COUNT(*) FROM people AS p WHERE p.team_id = t.id) AS n FROM teams AS t",
    "SELECT MAX(g.n), ROUND(AVG(g.n), 2) FROM (SELECT city, COUNT(*) AS n FROM people GROUP BY city) AS g",
    "WITH s AS (SELECT team_id, SUM(salary) AS total FROM people GROUP BY team_id) "
    "SELECT t.team_name, s.total FROM teams AS t JOIN s AS s ON s.team_id = t.id "
    "WHERE s.total > (SELECT AVG(total) FROM s)",
    "SELECT city FROM people WHERE visits > 3 UNION SELECT city FROM people WHERE is_remote ORDER BY city ASC",
    "SELECT city FROM people WHERE visits > 3 INTERSECT SELECT city FROM people WHERE is_remote",
    "SELECT city FROM people WHERE visits > 3 EXCEPT SELECT city FROM people WHERE is_remote",
    # window functions
    "SELECT id, ROW_NUMBER() OVER (PARTITION BY city ORDER BY salary DESC, id ASC) FROM people",
    "SELECT id, RANK() OVER (ORDER BY visits DESC), DENSE_RANK() OVER (ORDER BY visits DESC) FROM people",
    "SELECT id, LAG(visits) OVER (ORDER BY hired_on ASC, id ASC), "
    "LEAD(visits) OVER (ORDER BY hired_on ASC, id ASC) FROM people",
    "SELECT id, SUM(salary) OVER (PARTITION BY team_id ORDER BY hired_on ASC, id ASC "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM people",
    "WITH r AS (SELECT full_name, city, ROW_NUMBER() OVER (PARTITION BY city ORDER BY visits DESC, id ASC) AS position "
    "FROM people) SELECT full_name, city FROM r WHERE position <= 1 ORDER BY city ASC, position ASC",
]


@pytest.mark.parametrize("sql", SAME_RESULT)
def test_sqlite_translation_gives_the_duckdb_result(cons, sql):
    duck, lite = cons
    tree = sqlglot.parse_one(sql, read="duckdb")
    order_matters = tree.args.get("order") is not None
    gold = _rows(duck, sql)
    other = _rows(lite, to_sqlite(tree))
    assert DEFAULT_COMPARATOR.difference(gold, other, order_matters=order_matters) is None, to_sqlite(tree)


def test_like_is_case_sensitive_as_in_duckdb(cons):
    duck, lite = cons
    sql = "SELECT id FROM people WHERE full_name LIKE '%Apple'"
    stock = sqlglot.transpile(sql, read="duckdb", write="sqlite")[0]
    assert len(_rows(lite, stock)) == 3  # stock SQLite LIKE ignores case: the reason for the fix
    assert _rows(duck, sql) == _rows(lite, to_sqlite(sqlglot.parse_one(sql, read="duckdb"))) == [[1], [5]]


@pytest.mark.parametrize(
    "duckdb_sql, sqlite_sql",
    [
        ("SELECT EXTRACT(YEAR FROM d) FROM t", "SELECT CAST(STRFTIME('%Y', d) AS INTEGER) FROM t"),
        ("SELECT EXTRACT(MONTH FROM d) FROM t", "SELECT CAST(STRFTIME('%m', d) AS INTEGER) FROM t"),
        ("SELECT a FROM t WHERE a LIKE 'Ab%'", "SELECT a FROM t WHERE a GLOB 'Ab*'"),
        ("SELECT a FROM t WHERE a LIKE '_*?[%'", "SELECT a FROM t WHERE a GLOB '?[*][?][[]*'"),
        ("SELECT a FROM t WHERE NOT a LIKE '%b'", "SELECT a FROM t WHERE NOT a GLOB '*b'"),
        ("SELECT a FROM t ORDER BY a ASC", "SELECT a FROM t ORDER BY a ASC NULLS LAST"),
    ],
)
def test_rendering(duckdb_sql, sqlite_sql):
    assert to_sqlite(sqlglot.parse_one(duckdb_sql, read="duckdb")) == sqlite_sql


def test_other_units_and_patterns_fall_back_to_stock_output():
    tree = sqlglot.parse_one("SELECT EXTRACT(QUARTER FROM d), a LIKE b FROM t", read="duckdb")
    assert "EXTRACT(QUARTER FROM d)" in to_sqlite(tree) and "a LIKE b" in to_sqlite(tree)


def test_to_sqlite_leaves_the_tree_alone():
    tree = sqlglot.parse_one("SELECT EXTRACT(YEAR FROM d) FROM t WHERE a LIKE 'x%'", read="duckdb")
    before = tree.sql(dialect="duckdb")
    to_sqlite(tree)
    assert tree.sql(dialect="duckdb") == before


def test_to_sqlite_puts_back_nested_fixes_and_parents():
    """A LIKE inside an EXTRACT's operand and the other way round: both fixed, the tree as it was
    (every node where it was and its parent pointer right)."""
    sql = "SELECT EXTRACT(YEAR FROM CASE WHEN a LIKE 'x%' THEN d END) FROM t WHERE CAST(EXTRACT(MONTH FROM d) AS VARCHAR) LIKE '1%'"
    tree = sqlglot.parse_one(sql, read="duckdb")
    before = tree.sql(dialect="duckdb")
    nodes = [id(node) for node in tree.walk()]
    out = to_sqlite(tree, copy=False)
    assert out.count("GLOB") == 2 and out.count("STRFTIME") == 2 and "EXTRACT" not in out and "LIKE" not in out
    assert tree.sql(dialect="duckdb") == before
    assert [id(node) for node in tree.walk()] == nodes
    for node in tree.walk():
        for value in node.args.values():
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Expression):
                    assert child.parent is node


@pytest.mark.parametrize("sql, expected", [
    ("SELECT a FROM t WHERE a NOT LIKE 'x%'", "SELECT a FROM t WHERE NOT a GLOB 'x*'"),
    ("SELECT a FROM t WHERE NOT a LIKE 'x%'", "SELECT a FROM t WHERE NOT a GLOB 'x*'"),
    ("SELECT a FROM t WHERE a LIKE 'x!%%' ESCAPE '!'", "SELECT a FROM t WHERE a LIKE 'x!%%' ESCAPE '!'"),
    ("SELECT EXTRACT(YEAR FROM d) /* k */ AS y FROM t", "SELECT CAST(STRFTIME('%Y', d) AS INTEGER) AS y /* k */ FROM t"),
])
def test_negation_escape_and_comments_survive_the_fixes(sql, expected):
    """NOT LIKE stays negated, a LIKE with ESCAPE keeps SQLite's own LIKE (GLOB has no escape
    character), and a comment on a fixed node is kept."""
    assert to_sqlite(sqlglot.parse_one(sql, read="duckdb")) == expected


def test_not_like_agrees_in_both_engines():
    con = duckdb.connect()
    lite = sqlite3.connect(":memory:")
    for c in (con, lite):
        c.execute("CREATE TABLE t (a VARCHAR)")
        c.executemany("INSERT INTO t VALUES (?)", [("xa",), ("Xa",), ("ya",), (None,)])
    sql = "SELECT a FROM t WHERE a NOT LIKE 'x%' ORDER BY a"
    assert con.execute(sql).fetchall() == lite.execute(to_sqlite(sqlglot.parse_one(sql, read="duckdb"))).fetchall()
