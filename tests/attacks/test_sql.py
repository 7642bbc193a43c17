"""Hostile queries through the hardened DuckDB session and through the evaluator.

The session is the one the text_to_sql tasks score and generate with, opened on a real item's
database; after each attack it must still answer the item's gold query with the recorded result.
The evaluator run is the one of ``conftest.py``: each query is a prediction for a text_to_sql item,
followed by that item's correct answer.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from codegen_data.sql.comparator import DEFAULT_COMPARATOR
from codegen_data.sql.executor import DuckDBSession
from codegen_data.sql.remote import SqlRunner
from codegen_data.sql.runtime import DatabaseSpec, build_database

from .cases import CATEGORIES, SQL_ATTACKS, SqlAttack
from .conftest import LONG_SECONDS, SHORT_SECONDS

CASES = [pytest.param(case, id=case.id) for case in SQL_ATTACKS]


def test_the_table_covers_what_the_issue_lists():
    ids = {case.id for case in SQL_ATTACKS}
    assert {"read_csv_etc_passwd", "copy_to_tmp", "attach_a_file", "install_extension", "load_extension",
            "set_after_the_lock", "cross_join", "endless_recursive_cte", "huge_list_aggregate"} <= ids
    assert {case.category for case in SQL_ATTACKS} <= set(CATEGORIES)


def check(world, case: SqlAttack, status_or_failure: str, expected: str, error: str | None) -> None:
    missing = case.layer.missing(world.sql_layers)
    assert status_or_failure != "ok" and error
    assert not world.leaks(error)
    if missing is not None:
        pytest.skip(f"{case.id} was stopped ({error[:100]}); its outcome is not checked: {missing}")
    assert (status_or_failure, bool(re.search(case.error, error))) == (expected, True), \
        f"{case.id}: expected {expected} matching {case.error!r}, got {status_or_failure}: {error!r}"


@pytest.fixture(scope="module")
def session(world):
    """A text_to_sql item and the hardened session on its database (1 s per statement by default)."""
    record = world.sql_records[0]
    session = DuckDBSession(build_database(DatabaseSpec(**record["meta"]["database"])), timeout=1.0)
    yield record, session
    session.close()


def gold_still_answers(record: dict, session: DuckDBSession) -> None:
    result = session.run(record["answer"])
    assert result.ok, result.error
    assert DEFAULT_COMPARATOR.results_difference(record["result"], result.as_result(),
                                                 order_matters=record["order_matters"]) is None


@pytest.mark.parametrize("case", CASES)
def test_session(world, session, case):
    record, duck = session
    result = duck.run(case.query(world.target), timeout=SHORT_SECONDS if case.status == "timeout" else LONG_SECONDS)
    gold_still_answers(record, duck)
    assert world.untouched() == []
    check(world, case, result.status, case.status, result.error)


@pytest.mark.parametrize("sql", [
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET memory_limit = '100GB'",
    "PRAGMA threads = 4",
])
def test_the_configuration_lock_holds_behind_the_statement_check(world, session, sql):
    """The session refuses these as not a single read; executed on its connection directly, past
    that check, DuckDB's lock refuses them too."""
    record, duck = session
    with pytest.raises(duckdb.InvalidInputException, match="the configuration has been locked"):
        duck.con.execute(sql)
    assert duck.run("SELECT current_setting('enable_external_access')").rows == [[False]]
    gold_still_answers(record, duck)


@pytest.mark.parametrize("case", CASES)
def test_evaluator(world, evaluation, case):
    item, sample = evaluation.verdict("sql:" + case.id)
    assert item["raw"][sample] == case.query(world.target)
    assert item["passed"][sample + 1], f"the correct answer after {case.id} failed: {item['error'][sample + 1]}"
    check(world, case, item["failure"][sample], case.failure, item["error"][sample])


def test_a_huge_string_stays_within_the_sql_process_memory_bound(world):
    """DuckDB's memory_limit does not cover strings built by repeat(); the helper's address-space cap
    does: a 6 GB string fails as out of memory and the process keeps serving."""
    record = world.sql_records[0]
    with SqlRunner(timeout=5.0, memory_limit_mb=256) as runner:
        result = runner.run(record["meta"]["database"], "SELECT length(repeat(repeat('x', 100000000), 60))")
        with open(f"/proc/{runner._proc.pid}/status") as status:
            peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
        assert runner.run(record["meta"]["database"], record["answer"]).ok  # it still serves
    assert result.status != "ok"
    assert peak_mb < 3072, f"the SQL process peaked at {peak_mb} MB for a 256 MB memory_limit"
