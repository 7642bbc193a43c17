"""Each SQL task: bad configs raise, same seed same items, records re-execute to their labels."""

import json
import sqlite3

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codegen_data.registry import get_task
from codegen_data.sql.comparator import DEFAULT_COMPARATOR, to_json_value
from codegen_data.sql.runtime import build_database
from codegen_data.sql.scripts import load_sqlite
from codegen_data.task import ConfigError, Reject
from codegen_data.tasks.sql_output import result_table_text

from ..conftest import generate, read_records

SQL_TASKS = ["text_to_sql", "sql_output", "sql_translate"]


@pytest.mark.parametrize("name", SQL_TASKS)
@pytest.mark.parametrize(
    "options, message",
    [
        ({"min_rows": 0}, "min_rows must be >= 1"),
        ({"databases_per_domain": 0}, "databases_per_domain must be between 1 and 10000"),
        ({"query_timeout": 0}, "query_timeout must be in (0, 600]"),
        ({"domains": ["atlantis"]}, "unknown domain 'atlantis'"),
        ({"domains": "retail"}, "domains must be a list"),
        ({"memory_limit_mb": 1}, "memory_limit_mb must be between 16 and 1048576"),
        ({"color": "red"}, "unknown option 'color'"),
    ],
)
def test_bad_configs_raise_a_clear_error(name, options, message):
    cls = get_task(name)
    with pytest.raises(ConfigError) as err:
        cls.config_class.from_dict(name, options)
    assert message in str(err.value)
    assert str(err.value).startswith(f"[{name}]")


@pytest.mark.parametrize("name", SQL_TASKS)
def test_bad_difficulty_raises(name):
    cls = get_task(name)
    with pytest.raises(ConfigError, match="difficulty"):
        cls(cls.config_class(), seed=0, difficulty="impossible")


@pytest.mark.parametrize("name", SQL_TASKS)
def test_same_seed_same_candidates_other_seed_others(name):
    cls = get_task(name)
    a, b, c = (cls(cls.config_class(), seed=s) for s in (5, 5, 6))

    def sqls(task):
        out = []
        for i in range(12):
            cand = task.generate(i)
            out.append(cand.reason if isinstance(cand, Reject) else cand.query.sql)
        return out

    assert sqls(a) == sqls(b)
    assert sqls(a) != sqls(c)


@pytest.mark.parametrize("name", SQL_TASKS)
def test_requested_difficulty_is_honoured(name, tmp_path):
    generate(tmp_path / "ds", (name,), n=4, seed=2, difficulty="hard")
    assert {r["difficulty"] for r in read_records(tmp_path / "ds")} == {"hard"}


def _reexecute(out, record):
    con = duckdb.connect()
    con.execute((out / "databases" / f"{record['db_id']}.sql").read_text())
    rows = [[to_json_value(v) for v in row] for row in con.execute(record["sql"]).fetchall()]
    con.close()
    return rows


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_property_every_record_reexecutes_to_its_label(tmp_path_factory, seed):
    out = tmp_path_factory.mktemp("prop") / "ds"
    generate(out, SQL_TASKS, n=6, seed=seed)
    records = read_records(out)
    assert len(records) == 6
    for r in records:
        rows = _reexecute(out, r)
        assert DEFAULT_COMPARATOR.equal(r["result"]["rows"], rows, order_matters=r["order_matters"]), (seed, r["id"])


def test_text_to_sql_prompt_holds_schema_and_question(sql_dataset):
    for r in read_records(sql_dataset):
        if r["task"] == "text_to_sql":
            assert r["answer"] == r["sql"]
            assert "CREATE TABLE" in r["prompt"] and r["prompt"].endswith(r["question"])


def test_sql_output_answer_is_the_result_table(sql_dataset):
    for r in read_records(sql_dataset):
        if r["task"] == "sql_output":
            assert r["answer"] == result_table_text(r["result"]["columns"], r["result"]["rows"])
            assert r["sql"] in r["prompt"] and "Table " in r["prompt"]
            assert len(r["result"]["rows"]) <= 12


def test_sql_translate_answer_runs_in_sqlite_to_the_same_result(sql_dataset):
    from codegen_data.sql.base import SqlConfig  # noqa: F401  (the task's defaults build the databases)
    from codegen_data.sql.runtime import DatabaseSpec

    records = [r for r in read_records(sql_dataset) if r["task"] == "sql_translate"]
    assert records
    manifest = json.loads((sql_dataset / "manifest.json").read_text())
    config = manifest["tasks"]["sql_translate"]["config"]
    for r in records:
        assert r["answer"] != r["sql"]
        domain, instance, _ = r["db_id"].rsplit("_", 2)
        spec = DatabaseSpec(domain, int(instance), manifest["seed"], config["min_rows"], config["max_rows"], config["null_rate"])
        assert spec.db_id == r["db_id"]
        con = sqlite3.connect(":memory:")
        load_sqlite(con, build_database(spec))
        rows = [[to_json_value(v) for v in row] for row in con.execute(r["answer"]).fetchall()]
        assert DEFAULT_COMPARATOR.equal(r["result"]["rows"], rows, order_matters=r["order_matters"]), r["id"]
