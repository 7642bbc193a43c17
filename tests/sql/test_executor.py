"""The sandboxed sessions refuse what a query must not do, and stop what runs too long."""

import random

import duckdb
import pytest

from codegen_data import _deadlines
from codegen_data.sql.domains import load_domains
from codegen_data.sql.executor import DuckDBSession, SQLiteSession
from codegen_data.sql.synth import synthesize_database


@pytest.fixture(scope="module")
def db():
    return synthesize_database(random.Random(1), load_domains()["retail"], db_id="retail_t", min_rows=5, max_rows=10)


@pytest.fixture(scope="module")
def duck(db):
    session = DuckDBSession(db, timeout=0.5)
    yield session
    session.close()


@pytest.fixture(scope="module")
def lite(db):
    session = SQLiteSession(db, timeout=0.5)
    yield session
    session.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_json_auto('http://127.0.0.1:1/x.json')",
    ],
)
def test_duckdb_refuses_file_and_network_reads(duck, sql):
    result = duck.run(sql)
    assert result.status == "error"


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '/tmp/codegen_data_escape.csv'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "ATTACH '/tmp/codegen_data_escape.db' AS x",
        "SET enable_external_access = true",
        "SET memory_limit = '100GB'",
        "PRAGMA threads=4",
        "DROP TABLE customers",
        "CREATE TABLE t AS SELECT 1",
        "SELECT 1; SELECT 2",
    ],
)
def test_duckdb_refuses_statements_that_are_not_a_single_read(duck, sql, tmp_path):
    result = duck.run(sql)
    assert result.status in {"refused", "error"}
    import os

    assert not os.path.exists("/tmp/codegen_data_escape.csv")


def test_duckdb_configuration_is_locked(duck):
    assert duck.run("SELECT current_setting('enable_external_access')").rows == [[False]]
    assert duck.run("SELECT current_setting('threads')").rows == [[1]]


def test_duckdb_runaway_query_is_interrupted_and_session_survives(duck):
    missed = _deadlines.missed()
    result = duck.run("SELECT count(*) FROM range(1000000000000) a, range(1000) b", timeout=0.3)
    assert result.status == "timeout"
    assert _deadlines.missed() == missed + 1  # what makes a generation worker redo the item
    assert duck.run("SELECT 42").rows == [[42]]
    assert _deadlines.missed() == missed + 1


def test_duckdb_writes_inside_a_query_do_not_persist(duck):
    before = duck.run("SELECT count(*) FROM customers").rows
    assert duck.run("DELETE FROM customers").status == "refused"
    assert duck.run("SELECT count(*) FROM customers").rows == before


def test_a_refused_statement_is_named_as_its_sql_says_it(duck):
    """DuckDB's statement types lump several together (INSTALL is a LOAD, RESET and USE a SET,
    CHECKPOINT a CALL): the refusal names the statement the user wrote."""
    for sql, word in (("INSTALL httpfs", "INSTALL"), ("  -- why not\n /* really */ reset threads", "RESET"),
                      ("USE memory", "USE"), ("CHECKPOINT", "CHECKPOINT"), ("DELETE FROM customers", "DELETE"),
                      ("COPY (SELECT 1) TO '/dev/null'", "COPY"), ("FORCE INSTALL httpfs", "FORCE INSTALL"),
                      ("FORCE CHECKPOINT", "FORCE CHECKPOINT"), ("LOAD httpfs", "LOAD"), ("SET threads = 1", "SET"),
                      ("WITH x AS (SELECT 1) INSERT INTO customers SELECT * FROM customers", "INSERT"),
                      ("/* a /* b */ c */ INSTALL httpfs", "INSTALL"), ("--x\rINSTALL httpfs", "INSTALL"),
                      ("UPDATE EXTENSIONS", "UPDATE EXTENSIONS")):  # a type DuckDB's binding has no name for
        result = duck.run(sql)
        assert (result.status, result.error) == ("refused", f"only read-only queries run here, not {word}"), sql


def test_duckdb_past_its_memory_limit_fails_and_writes_nothing_to_disk(db, tmp_path, monkeypatch):
    """No temporary directory: a query that outgrows the memory limit fails, instead of spilling into
    .tmp/ of the working directory (up to 90% of the free disk, left behind when the process is killed)."""
    monkeypatch.chdir(tmp_path)
    session = DuckDBSession(db, memory_limit_mb=64, timeout=20)
    try:
        result = session.run("SELECT count(*) FROM (SELECT repeat('ab', 500) AS s FROM range(300000) ORDER BY s DESC)")
        assert result.status == "error" and "Out of Memory" in (result.error or ""), result
        assert list(tmp_path.iterdir()) == []
        assert session.run("SELECT count(*) FROM customers").ok  # the session goes on
    finally:
        session.close()


def test_duckdb_result_cap(duck):
    assert duck.run("SELECT * FROM range(100)", max_rows=10).status == "too_many_rows"


def test_duckdb_result_types_and_values(duck):
    r = duck.run("SELECT DATE '2020-01-02' AS d, 1.50::DECIMAL(5,2) AS x, TRUE AS b")
    assert r.ok and r.columns == ["d", "x", "b"]
    assert r.types == ["DATE", "DECIMAL(5,2)", "BOOLEAN"]
    assert r.rows == [["2020-01-02", 1.5, True]]


@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH DATABASE '/tmp/codegen_data_escape.sqlite' AS x",
        "PRAGMA writable_schema = 1",
        "DELETE FROM customers",
        "CREATE TABLE t (a)",
        "SELECT load_extension('/lib/x.so')",
        "SELECT 1; SELECT 2",
    ],
)
def test_sqlite_refuses_writes_attach_pragma_and_extensions(lite, sql):
    assert lite.run(sql).status in {"refused", "error"}
    import os

    assert not os.path.exists("/tmp/codegen_data_escape.sqlite")


def test_sqlite_runaway_query_is_interrupted(lite):
    sql = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r"
    missed = _deadlines.missed()
    assert lite.run(sql, timeout=0.3).status == "timeout"
    assert _deadlines.missed() == missed + 1
    assert lite.run("SELECT 7").rows == [[7]]
    assert _deadlines.missed() == missed + 1


# --- one sandbox connection, many databases ------------------------------------------------------


@pytest.fixture()
def sandbox():
    from codegen_data.sql.executor import DuckDBSandbox

    box = DuckDBSandbox(memory_limit_mb=64)
    yield box
    box.close()


def _other_db():
    return synthesize_database(random.Random(2), load_domains()["hr"], db_id="hr_t", min_rows=5, max_rows=10)


def test_sandbox_sessions_each_see_their_own_database(db, sandbox):
    retail, hr = DuckDBSession(db, sandbox=sandbox), DuckDBSession(_other_db(), sandbox=sandbox)
    assert retail.run("SELECT count(*) FROM customers").rows == [[len(db.rows["customers"])]]
    assert hr.run("SELECT count(*) FROM customers").status == "error"
    assert hr.run("SELECT count(*) FROM employees").ok
    retail.close()
    assert hr.run("SELECT count(*) FROM employees").ok  # dropping one schema leaves the others


def test_sandbox_sessions_are_hardened_like_their_own_connections(db, sandbox):
    session = DuckDBSession(db, sandbox=sandbox, timeout=0.3)
    assert session.run("SELECT * FROM read_text('/etc/hostname')").status == "error"
    for sql in ("SET enable_external_access = true", "SET search_path = 'main'", "DROP TABLE customers",
                "ATTACH ':memory:' AS x", "SELECT 1; SELECT 2"):
        assert session.run(sql).status in {"refused", "error"}, sql
    assert session.run("SELECT current_setting('threads')").rows == [[1]]
    assert session.run("SELECT count(*) FROM range(1000000000000) a, range(1000) b").status == "timeout"
    assert session.run("SELECT count(*) FROM customers").ok


def test_a_sandbox_without_the_optimizer_cannot_turn_it_on_and_gives_the_same_results(db):
    """Over small tables, generation plans without DuckDB's optimizer: no statement a session
    accepts can turn it back on, and results are those of a connection with it. DuckDB 2.0 makes it
    a setting, locked with the rest (no statement on the connection or a cursor turns it on); before
    2.0 each cursor runs a pragma, and a session runs only SELECTs."""
    from codegen_data.sql.executor import DuckDBSandbox, optimizes

    box = DuckDBSandbox(memory_limit_mb=64, optimizer=False)
    session, own = DuckDBSession(db, sandbox=box), DuckDBSession(db)
    try:
        assert not optimizes(box.con) and not optimizes(session.con)
        assert optimizes(own.con)
        for sql in ("PRAGMA enable_optimizer", "SET enable_optimizer = true", "RESET enable_optimizer"):
            assert session.run(sql).status in {"refused", "error"}, sql
        setting = box.con.execute("SELECT count(*) FROM duckdb_settings() WHERE name = 'enable_optimizer'").fetchone()
        if setting == (1,):  # DuckDB 2.0 and later
            for con in (box.con, session.con):
                for sql in ("SET enable_optimizer = true", "RESET enable_optimizer", "SET disabled_optimizers = ''",
                            "PRAGMA enable_optimizer"):
                    with pytest.raises(duckdb.Error, match="locked"):
                        con.execute(sql)
        assert not optimizes(session.con)
        queries = (
            "SELECT c.city, count(*) AS n FROM customers AS c JOIN customers AS d ON c.city = d.city "
            "WHERE c.city IS NOT NULL GROUP BY c.city ORDER BY n DESC, c.city",
            "SELECT c.id, (SELECT count(*) FROM orders AS o WHERE o.customer_id = c.id) AS n FROM customers AS c "
            "WHERE EXISTS (SELECT 1 FROM orders AS o WHERE o.customer_id = c.id) ORDER BY c.id",
        )
        for query in queries:
            assert session.run(query).rows == own.run(query).rows != []
    finally:
        own.close()
        box.close()


def test_a_dropped_schema_frees_its_tables(db, sandbox):
    sessions = [DuckDBSession(db, sandbox=sandbox) for _ in range(3)]
    for s in sessions:
        s.close()
    left = sandbox.con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name <> 'main'").fetchone()
    assert left == (0,)


def test_deadlines_of_sessions_are_kept_apart(db, sandbox):
    slow = DuckDBSession(db, sandbox=sandbox, timeout=0.2)
    patient = DuckDBSession(db, sandbox=sandbox, timeout=30)
    runaway = "SELECT count(*) FROM range(1000000000000) a, range(1000) b"
    assert slow.run(runaway).status == "timeout"
    assert patient.run("SELECT count(*) FROM customers").ok
    assert slow.run(runaway, timeout=0.1).status == "timeout"  # a sooner deadline wakes the watchdog
    assert slow.run("SELECT 1").rows == [[1]]


def test_only_the_tables_asked_for_are_loaded_and_more_come_on_demand(db, sandbox):
    session = DuckDBSession(db, sandbox=sandbox, tables={"customers", "not_a_table"})
    assert session.run("SELECT count(*) FROM customers").ok
    assert session.run("SELECT count(*) FROM orders").status == "error"
    session.load({"orders"})
    assert session.run("SELECT count(*) FROM orders").rows == [[len(db.rows["orders"])]]


def test_sqlite_loaded_later_stays_read_only(db):
    lite = SQLiteSession(db, tables=set())
    assert lite.run("SELECT count(*) FROM customers").status == "error"
    lite.load({"customers"})
    assert lite.run("SELECT count(*) FROM customers").rows == [[len(db.rows["customers"])]]
    for sql in ("DELETE FROM customers", "CREATE TABLE t (a)", "PRAGMA writable_schema = 1"):
        assert lite.run(sql).status in {"refused", "error"}, sql
    assert lite.run("SELECT count(*) FROM customers").rows == [[len(db.rows["customers"])]]
    lite.close()


def test_the_same_sql_on_two_sandbox_sessions_reads_each_database(sandbox):
    # The sandbox keeps DuckDB's parse of the last SQL for the next session that runs it (the
    # shuffled copy): each run must still read its own schema, and a refusal must stay a refusal.
    small, large = (synthesize_database(random.Random(3), load_domains()["retail"], db_id=f"retail_{n}",
                                        min_rows=n, max_rows=n) for n in (4, 9))
    a, b = DuckDBSession(small, sandbox=sandbox), DuckDBSession(large, sandbox=sandbox)
    sql = "SELECT count(*) FROM customers"
    assert [a.run(sql).rows, b.run(sql).rows, a.run(sql).rows] == [[[4]], [[9]], [[4]]]
    for session in (a, b, a):
        assert session.run("SELECT 1; DROP TABLE customers").status == "refused"
        assert session.run("DELETE FROM customers").status == "refused"
    assert b.run("SELECT nope FROM customers").status == "error"
    assert a.run(sql).rows == [[4]] and b.run(sql).rows == [[9]]


def test_every_statement_is_rolled_back_even_when_it_fails(duck):
    for sql in ("SELECT 1", "SELECT nope FROM customers", "SELECT count(*) FROM range(100000000000) a, range(1000) b"):
        duck.run(sql, timeout=0.2)
        duck.con.execute("BEGIN TRANSACTION")  # raises if the run left its transaction open
        duck.con.execute("ROLLBACK")
