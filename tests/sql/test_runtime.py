"""Which database an item uses and the per-worker sessions over it: lazy tables, bounded cache, sharing."""

from codegen_data.sql.runtime import DatabaseSpec, SessionCache, build_database, worker_sessions

SPEC = DatabaseSpec("retail", 0, seed=1, min_rows=5, max_rows=10, null_rate=0.1)


def _cache(**kw) -> SessionCache:
    return SessionCache(timeout=2.0, memory_limit_mb=64, max_rows=100, **kw)


def test_shared_sessions_load_tables_as_queries_name_them():
    sessions = _cache().get(SPEC)
    sessions.load({"customers", "recent_customers"})  # a CTE name matches no table and is ignored
    assert sessions.duckdb.run("SELECT count(*) FROM customers").ok
    assert sessions.duckdb.run("SELECT count(*) FROM orders").status == "error"
    sessions.load({"orders"})  # reaches the engines already open and the ones opened later
    n_orders = len(build_database(SPEC).rows["orders"])
    for engine in (sessions.duckdb, sessions.duckdb_shuffled, sessions.sqlite):
        assert engine.run("SELECT count(*) FROM orders").rows == [[n_orders]]
    assert sessions.duckdb_shuffled.run("SELECT count(*) FROM customers").ok


def test_unshared_sessions_hold_every_table():
    sessions = _cache(shared=False).get(SPEC)
    for table in build_database(SPEC).schema.tables:
        assert sessions.duckdb.run(f"SELECT count(*) FROM {table.name}").ok
        assert sessions.sqlite.run(f"SELECT count(*) FROM {table.name}").ok


def test_the_cache_is_bounded_and_evicted_databases_leave_the_sandbox():
    cache = _cache(size=2)
    for instance in range(5):
        sessions = cache.get(DatabaseSpec("retail", instance, 1, 5, 10, 0.1))
        sessions.load({"customers"})
        assert sessions.duckdb.run("SELECT count(*) FROM customers").ok
        assert sessions.duckdb_shuffled.run("SELECT count(*) FROM customers").ok
    schemas = cache._sandbox.con.execute(
        "SELECT count(DISTINCT schema_name) FROM duckdb_tables() WHERE schema_name <> 'main'"
    ).fetchone()
    assert schemas == (4,)  # two databases, two copies each


def test_tasks_with_the_same_options_share_one_cache():
    a = worker_sessions(timeout=2.0, memory_limit_mb=256, max_rows=1000)
    assert worker_sessions(timeout=2.0, memory_limit_mb=256, max_rows=1000) is a
    assert worker_sessions(timeout=2.0, memory_limit_mb=256, max_rows=12) is not a


def test_generation_plans_without_the_optimizer_over_small_tables_only_and_scoring_with_it():
    """Without DuckDB's optimizer a correlated subquery costs the square of its rows: generation
    turns it off only while no table may have more than UNOPTIMIZED_MAX_TABLE_ROWS rows, and scoring
    a model's SQL (connections of their own) always keeps it."""
    from codegen_data.registry import get_task
    from codegen_data.sql.executor import UNOPTIMIZED_MAX_TABLE_ROWS, optimizes

    def optimizer(cache: SessionCache, spec: DatabaseSpec) -> bool:
        sessions = cache.get(spec)
        sessions.load({"customers"})
        both = {optimizes(sessions.duckdb.con), optimizes(sessions.duckdb_shuffled.con)}  # two cursors
        assert len(both) == 1
        return both.pop()

    cls = get_task("text_to_sql")
    for max_rows, expected in ((60, False), (UNOPTIMIZED_MAX_TABLE_ROWS, False), (UNOPTIMIZED_MAX_TABLE_ROWS + 1, True)):
        task = cls(cls.config_class.from_dict("text_to_sql", {"max_rows": max_rows}), seed=0)
        assert optimizer(task.sessions, task.database_spec(task.rng(0))) is expected, max_rows
    assert optimizer(_cache(shared=False), SPEC) is True


def test_an_items_locality_names_the_database_it_runs_on_one_number_per_database():
    from codegen_data.registry import get_task
    from codegen_data.sql.domains import domain_names

    for name, config in (("text_to_sql", {}), ("sql_output", {"domains": ["retail", "library"], "databases_per_domain": 3})):
        cls = get_task(name)
        task = cls(cls.config_class.from_dict(name, config), seed=4)
        numbers = {}
        for index in range(60):
            spec = task.database_spec(task.rng(index))  # what generate draws first
            candidate = task.generate(index)
            assert getattr(candidate, "spec", spec) == spec
            numbers.setdefault(task.locality(index), set()).add((spec.domain, spec.instance))
        assert all(len(specs) == 1 for specs in numbers.values())  # one database per number, and
        domains = config.get("domains") or domain_names()
        per_domain = task.config.databases_per_domain
        assert set(numbers) <= set(range(len(domains) * per_domain)) and len(numbers) > per_domain  # dense


def test_running_out_of_memory_in_the_shared_sandbox_empties_it_and_asks_for_the_item_again():
    """Whether a statement runs out of memory in the generation sandbox depends on the other databases
    it holds, that is on what the worker did before: the session marks the sandbox and counts a miss
    (which makes the worker process the item again), and the cache then starts from an empty one."""
    import duckdb
    import pytest

    from codegen_data import _deadlines

    cache = SessionCache(timeout=2.0, memory_limit_mb=16, max_rows=100)
    specs = [DatabaseSpec("retail", k, seed=1, min_rows=3000, max_rows=6000, null_rate=0.1) for k in range(12)]
    missed = _deadlines.missed()
    for spec in specs:  # fill the sandbox until a load or a query no longer fits
        sessions = cache.get(spec)
        try:
            sessions.load({t.name for t in sessions.db.schema.tables})
            result = sessions.duckdb_shuffled.run("SELECT count(*) FROM customers")
        except duckdb.OutOfMemoryException:
            break
        if result.status == "error" and "OutOfMemory" in (result.error or ""):
            break
        assert result.ok, result.error
    else:
        pytest.fail("12 databases of 3,000 to 6,000 rows fit in 16 MB")
    full = cache._sandbox
    assert full.out_of_memory and _deadlines.missed() == missed + 1
    again = cache.get(spec)
    assert cache._sandbox is not full and list(cache._open) == [spec]  # the item's own database alone
    again.load({"customers"})
    assert again.duckdb.run("SELECT count(*) FROM customers").ok and not cache._sandbox.out_of_memory
    unshared = SessionCache(timeout=2.0, memory_limit_mb=16, max_rows=100, shared=False).get(specs[0])  # scoring: a connection of its own
    result = unshared.duckdb.run("SELECT length(list(range)::VARCHAR) FROM range(100000000)")
    assert "OutOfMemory" in (result.error or "") and _deadlines.missed() == missed + 1
