"""Synthesized databases are deterministic, key-consistent, skewed, and rebuild exactly in DuckDB and SQLite."""

from __future__ import annotations

import collections
import datetime
import decimal
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen_data.sql.domains import domain_names, load_domains
from codegen_data.sql.schema import Column, Database, Schema, Table
from codegen_data.sql.scripts import (
    create_table_statements,
    duckdb_script,
    load_duckdb,
    load_sqlite,
    schema_ddl,
    sqlite_value,
    table_text,
)
from codegen_data.sql.synth import shuffled, synthesize_database

DOMAINS = load_domains()
REPO = Path(__file__).resolve().parents[2]


def _db(domain: str, seed: int = 7, **kw) -> Database:
    return synthesize_database(random.Random(seed), DOMAINS[domain], db_id=f"{domain}_{seed}", **kw)


@pytest.fixture(scope="module")
def databases() -> dict[str, Database]:
    return {name: _db(name) for name in DOMAINS}


def _by_key(db: Database, table: str) -> list[tuple]:
    index = [c.primary_key for c in db.schema.table(table).columns].index(True)
    return sorted(db.rows[table], key=lambda row: row[index])


def _fetch(con, db: Database, table: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY {db.schema.table(table).primary_key.name}").fetchall()


def _check_value(column: Column, value: object) -> None:
    base = column.base_type
    if value is None:
        assert column.nullable, column
        return
    if base == "INTEGER":
        assert type(value) is int and -(2**31) <= value < 2**31
    elif base == "BIGINT":
        assert type(value) is int and -(2**63) <= value < 2**63
    elif base == "DECIMAL":
        precision, scale = (int(x) for x in column.type[8:-1].split(","))
        assert isinstance(value, decimal.Decimal) and value.as_tuple().exponent == -scale
        assert abs(value) < decimal.Decimal(10) ** (precision - scale)
    elif base == "DOUBLE":
        assert type(value) is float and round(value, 2) == value
    elif base == "VARCHAR":
        assert isinstance(value, str) and "_" not in value and "'" not in value
        assert any(ch.isalpha() for ch in value)
    elif base == "DATE":
        assert type(value) is datetime.date and 1900 <= value.year <= 2030
    elif base == "TIMESTAMP":
        assert type(value) is datetime.datetime and value.microsecond == 0 and value.tzinfo is None
    elif base == "BOOLEAN":
        assert type(value) is bool


def test_every_domain_synthesizes_values_that_fit_their_columns(databases):
    for name, db in databases.items():
        assert list(db.rows) == [t.name for t in db.schema.tables]
        for table in db.schema.tables:
            rows = db.rows[table.name]
            assert 1 <= len(rows) <= 60, (name, table.name)
            for row in rows:
                assert len(row) == len(table.columns)
                for column, value in zip(table.columns, row):
                    _check_value(column, value)


def test_primary_keys_are_unique_and_foreign_keys_resolve(databases):
    for db in databases.values():
        keys = {}
        for table in db.schema.tables:
            pk = [c.name for c in table.columns].index(table.primary_key.name)
            values = [row[pk] for row in db.rows[table.name]]
            assert len(set(values)) == len(values)
            keys[table.name] = values
        for child, column, parent, _ in db.schema.foreign_keys():
            index = [c.name for c in db.schema.table(child).columns].index(column)
            for position, row in enumerate(db.rows[child]):
                if row[index] is None:
                    continue
                assert row[index] in keys[parent], (db.db_id, child, column)
                if child == parent:  # self references point at earlier rows: no cycles
                    assert keys[parent].index(row[index]) < position


def test_unique_columns_stay_unique_even_when_many_rows_are_asked_for():
    db = _db("hr", min_rows=80, max_rows=120)
    names = [row[1] for row in db.rows["departments"]]
    assert len(names) == len(set(names)) <= 16
    assert len(db.rows["employees"]) >= 80
    emails = [row[3] for row in db.rows["employees"]]
    assert len(emails) == len(set(emails))


def test_same_seed_same_database_and_script_bytes():
    for name in ("hr", "airline", "bank"):
        a, b = _db(name, seed=3), _db(name, seed=3)
        assert a == b
        assert duckdb_script(a).encode() == duckdb_script(b).encode()
        assert _db(name, seed=4).rows != a.rows


def test_synthesis_does_not_depend_on_hash_seed():
    code = (
        "import random, hashlib;"
        "from codegen_data.sql.domains import load_domains;"
        "from codegen_data.sql.synth import synthesize_database;"
        "from codegen_data.sql.scripts import duckdb_script;"
        "db = synthesize_database(random.Random(11), load_domains()['university'], db_id='u');"
        "print(hashlib.sha256(duckdb_script(db).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    db = synthesize_database(random.Random(11), DOMAINS["university"], db_id="u")
    assert out.stdout.strip() == hashlib.sha256(duckdb_script(db).encode()).hexdigest()


def test_null_rate_is_respected_roughly():
    for rate in (0.0, 0.3):
        cells = nulls = 0
        for name in DOMAINS:
            db = _db(name, null_rate=rate, min_rows=60, max_rows=100)
            for table in db.schema.tables:
                for i, column in enumerate(table.columns):
                    values = [row[i] for row in db.rows[table.name]]
                    if not column.nullable:
                        assert None not in values
                    elif column.references == (table.name, table.primary_key.name):
                        assert values[0] is None  # the first row has no parent
                    else:
                        cells += len(values)
                        nulls += values.count(None)
        assert abs(nulls / cells - rate) < 0.06, (rate, nulls / cells)


def test_values_repeat_so_distinct_group_by_and_ties_matter(databases):
    for name, db in databases.items():
        repeated_category = repeated_number = False
        for table in db.schema.tables:
            for i, column in enumerate(table.columns):
                values = [row[i] for row in db.rows[table.name] if row[i] is not None]
                counts = collections.Counter(values)
                if column.role == "category" and len(values) >= 20:
                    assert len(counts) < len(values)
                    top = counts.most_common(1)[0][1]
                    repeated_category |= top >= 1.5 * len(values) / len(counts)  # skewed, not uniform
                if column.role in ("measure", "date", "timestamp") and len(counts) < len(values):
                    repeated_number = True
        assert repeated_category and repeated_number, name


def test_duckdb_script_rebuilds_every_value_exactly(databases):
    for db in databases.values():
        con = duckdb.connect()
        con.execute(duckdb_script(db))
        for table in db.schema.tables:
            assert _fetch(con, db, table.name) == _by_key(db, table.name), (db.db_id, table.name)


def test_load_duckdb_matches_the_script_and_keeps_row_order(databases):
    for db in databases.values():
        con = duckdb.connect()
        load_duckdb(con, db)
        scripted = duckdb.connect()
        scripted.execute(duckdb_script(db))
        for table in db.schema.tables:
            assert _fetch(con, db, table.name) == _by_key(db, table.name)
            loaded = con.execute(f"SELECT * FROM {table.name}")
            assert loaded.fetchall() == list(db.rows[table.name])
            # The same column names and types as the script's CREATE TABLE (a query sees no difference).
            expected = scripted.execute(f"SELECT * FROM {table.name}").description
            assert [d[:2] for d in loaded.description] == [d[:2] for d in expected], (db.db_id, table.name)


def test_load_duckdb_loads_only_the_tables_asked_for_and_empty_ones_typed():
    db = _db("library")
    empty = Database(db.db_id, db.schema, {name: () for name in db.rows})
    con = duckdb.connect()
    first, second = db.schema.tables[0].name, db.schema.tables[1].name
    load_duckdb(con, empty, [first])
    assert [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == [first]
    assert con.execute(f"SELECT COUNT(*) FROM {first}").fetchone() == (0,)
    scripted = duckdb.connect()
    scripted.execute(duckdb_script(empty))
    query = f"SELECT * FROM {first}"
    assert [d[:2] for d in con.execute(query).description] == [d[:2] for d in scripted.execute(query).description]
    load_duckdb(con, db, [second])
    assert con.execute(f"SELECT * FROM {second}").fetchall() == list(db.rows[second])


def test_load_sqlite_gives_the_same_rows_after_conversion(databases):
    for db in databases.values():
        con = sqlite3.connect(":memory:")
        load_sqlite(con, db)
        for table in db.schema.tables:
            expected = [tuple(sqlite_value(v) for v in row) for row in _by_key(db, table.name)]
            assert _fetch(con, db, table.name) == expected, (db.db_id, table.name)
        con.close()


def test_sqlite_stores_dates_as_text_and_booleans_as_integers():
    db = _db("library")
    con = sqlite3.connect(":memory:")
    load_sqlite(con, db)
    query = "SELECT typeof(loan_date), typeof(replacement_cost) FROM loans JOIN books ON books.id = loans.book_id"
    assert set(con.execute(query).fetchall()) == {("text", "real")}
    assert {r[0] for r in con.execute("SELECT DISTINCT is_active FROM members")} <= {0, 1}


def test_shuffled_keeps_the_rows_and_changes_the_order(databases):
    for db in databases.values():
        mixed = shuffled(db, random.Random(1))
        assert mixed.schema == db.schema and mixed.db_id == db.db_id
        assert mixed == shuffled(db, random.Random(1))
        for table in db.schema.tables:
            assert collections.Counter(mixed.rows[table.name]) == collections.Counter(db.rows[table.name])
            if len(db.rows[table.name]) > 1:
                assert mixed.rows[table.name] != db.rows[table.name]
        con = duckdb.connect()
        load_duckdb(con, mixed)  # self references load in any order
        for table in db.schema.tables:
            assert _fetch(con, db, table.name) == _by_key(db, table.name)


def test_schema_ddl_is_pretty_duckdb_with_every_foreign_key():
    for schema in DOMAINS.values():
        ddl = schema_ddl(schema)
        assert ddl.endswith(");") and ddl.count("CREATE TABLE") == len(schema.tables)
        assert " INT " not in ddl and "TEXT" not in ddl and "INTEGER PRIMARY KEY" in ddl
        for child, column, parent, parent_column in schema.foreign_keys():
            assert f"{column} INTEGER" in ddl and f"REFERENCES {parent}({parent_column})" in ddl
        duckdb.connect().execute(ddl)  # creating self-referencing tables works; only loading them does not
        sqlite3.connect(":memory:").executescript(";".join(create_table_statements(schema, "sqlite")))


def test_table_text_shows_header_rows_nulls_and_iso_dates():
    db = _db("library", seed=2, null_rate=0.5)
    text = table_text(db, "loans").splitlines()
    assert text[0] == "id | book_id | member_id | loan_date | due_date | return_date | late_fee"
    assert len(text) == len(db.rows["loans"]) + 1
    first = db.rows["loans"][0]
    assert text[1].split(" | ")[3] == first[3].isoformat()
    assert any(" | NULL" in line for line in text[1:])


def test_hand_built_schemas_get_default_values():
    key = Column("id", "BIGINT", "id", "key", primary_key=True)
    nodes = Table(
        "nodes",
        "node",
        "nodes",
        (
            Column("label", "VARCHAR", "label", "name"),
            key,
            Column("parent_id", "BIGINT", "parent id", "key", nullable=True, references=("nodes", "id")),
            Column("weight", "DECIMAL(5,1)", "weight", "measure", nullable=True),
            Column("kind", "VARCHAR", "kind", "category"),
            Column("seen_at", "TIMESTAMP", "time seen", "timestamp"),
        ),
    )
    db = synthesize_database(random.Random(0), Schema("custom", (nodes,)), db_id="custom", null_rate=0.2)
    for row in db.rows["nodes"]:
        for column, value in zip(nodes.columns, row):
            _check_value(column, value)
    con = duckdb.connect()
    con.execute(duckdb_script(db))
    assert _fetch(con, db, "nodes") == _by_key(db, "nodes")


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"min_rows": 0}, "min_rows"),
        ({"min_rows": 10, "max_rows": 5}, "max_rows"),
        ({"null_rate": 1.5}, "null_rate"),
        ({"db_id": ""}, "db_id"),
    ],
)
def test_bad_arguments_raise(kw, message):
    args = {"db_id": "x", **kw}
    with pytest.raises(ValueError, match=message):
        synthesize_database(random.Random(0), DOMAINS["hr"], **args)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    domain=st.sampled_from(domain_names()),
    null_rate=st.sampled_from([0.0, 0.1, 0.5]),
)
def test_synthesis_and_script_round_trip_for_any_seed(seed, domain, null_rate):
    rng = random.Random(seed)
    db = synthesize_database(rng, DOMAINS[domain], db_id="h", min_rows=1, max_rows=30, null_rate=null_rate)
    con = duckdb.connect()
    con.execute(duckdb_script(db))
    for table in db.schema.tables:
        assert _fetch(con, db, table.name) == _by_key(db, table.name)
