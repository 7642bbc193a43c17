"""The copy-free renderings of a generated query (its SQL, its SQLite translation, its structure key,
its predicate ablations) give exactly what rendering copies gives, and leave the tree as parsed."""

import random

import pytest
import sqlglot
from sqlglot import exp

from codegen_data.grammar import load_grammar
from codegen_data.groups import _digest, sql_structure_key
from codegen_data.sql import verify
from codegen_data.sql.domains import load_domains
from codegen_data.sql.generator import DIFFICULTIES, generate_query
from codegen_data.sql.sqlite_dialect import to_sqlite
from codegen_data.sql.synth import synthesize_database


def _dump(tree: exp.Expression) -> str:
    """Every node, argument (in order), parent link and value; an empty comment list counts as none."""
    return tree.to_s().replace("_comments=[]", "_comments=None")


def _reference_key(sql: str) -> str:
    """The structure key as first written: a masked copy of the parsed tree, rendered."""
    masked = sqlglot.parse_one(sql, read="duckdb").transform(
        lambda node: exp.Placeholder() if isinstance(node, exp.Literal) else node
    )
    return _digest(masked.sql(dialect="duckdb"))


def _candidates():
    grammar = load_grammar("sql")
    domains = load_domains()
    for k, domain in enumerate(["retail", "hospital", "school", "streaming", "sports_league", "bank"]):
        db = synthesize_database(random.Random(k), domains[domain], db_id=f"{domain}_ip", min_rows=20, max_rows=40)
        for seed in range(12):
            for level in DIFFICULTIES:
                yield generate_query(random.Random(seed), db, difficulty=level, grammar=grammar)


CANDIDATES = list(_candidates())


@pytest.mark.parametrize("c", CANDIDATES, ids=lambda c: c.difficulty)
def test_copy_free_renderings_match_and_leave_the_tree(c):
    before = _dump(c.tree)
    assert c.tree.sql(dialect="duckdb", copy=False) == c.sql
    assert to_sqlite(c.tree, copy=False) == to_sqlite(c.tree.copy())
    assert c.rendered_again is not None  # so the tree is parse(sql) and the key may use it
    assert sql_structure_key(c.sql, c.tree) == sql_structure_key(c.sql) == _reference_key(c.sql)
    ablations = list(verify.ablation_sqls(c.tree))
    assert ablations == [v.sql(dialect="duckdb") for v in verify.predicate_ablations(c.tree)]
    assert _dump(c.tree) == before


def test_ablation_sqls_cover_every_conjunct_and_undo_each_one():
    sql = "SELECT a FROM t WHERE x > 1 AND (y < 2 OR y > 5) AND z IN (SELECT z FROM u WHERE w = 3) GROUP BY a HAVING COUNT(*) > 1 ORDER BY a"
    tree = sqlglot.parse_one(sql, read="duckdb")
    before = _dump(tree)
    seen = []
    for variant in verify.ablation_sqls(tree):
        assert _dump(tree) == before  # undone before each variant is handed out
        seen.append(variant)
    assert seen == [v.sql(dialect="duckdb") for v in verify.predicate_ablations(tree)]
    assert len(seen) == 5
    assert "SELECT a FROM t WHERE x > 1 AND (y < 2 OR y > 5) AND z IN (SELECT z FROM u WHERE w = 3) GROUP BY a ORDER BY a" in seen
    assert "SELECT a FROM t WHERE x > 1 AND (y < 2 OR y > 5) AND z IN (SELECT z FROM u) GROUP BY a HAVING COUNT(*) > 1 ORDER BY a" in seen
    assert list(tree.args) == list(sqlglot.parse_one(sql, read="duckdb").args)  # a popped clause goes back in its place


def test_structure_key_of_a_tree_ignores_literals_and_keeps_the_tree():
    a = "SELECT a FROM t WHERE x = 'b' AND y IN (1, 2) LIMIT 3"
    tree = sqlglot.parse_one(a, read="duckdb")
    key = sql_structure_key(a, tree)
    assert tree.sql(dialect="duckdb") == a
    assert key == sql_structure_key("SELECT a FROM t WHERE x = 'zz' AND y IN (7, 9) LIMIT 50") == _reference_key(a)
    assert sql_structure_key("SELECT 1") == _reference_key("SELECT 1")
