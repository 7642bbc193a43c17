"""Bounds on what one command may cost.

Config values that used to be accepted and then did harm: a weight that is not a finite number (or
whose share of -n overflows) ended in a traceback; a huge databases_per_domain took gigabytes before
anything was written; a huge memory_mb, output_limit or memory_limit_mb made every candidate fail, and
max_result_rows past what SQLite fetches lost every record its second engine. Each is now a one-line
config error (exit 2), and the documented bounds themselves still generate.

A SQL answer whose result is huge (90 MB) held a scoring process for a minute (the reply was read in
quadratic time) and ended as a timeout; now a result past the SQL process's byte cap fails at once.
"""

import json
import subprocess
import time

import pytest

from codegen_data.pipeline import plan_generation, split_quota
from codegen_data.task import ConfigError

from .conftest import cli, one_line_error




@pytest.mark.parametrize("tasks, table, fragment", [
    ("py_output", "[py_output]\nweight = nan\n", "weight must be a positive number, got nan"),
    ("py_output", "[py_output]\nweight = inf\n", "weight must be a positive number, got inf"),
    ("py_output", "[py_output]\nweight = -inf\n", "weight must be a positive number, got -inf"),
    ("py_output", "[py_output]\nweight = 1e308\n", "weights (1e+308) are too large"),
    ("py_output,py_input", "[py_output]\nweight = 1e308\n[py_input]\nweight = 1e308\n", "weights (1e+308, 1e+308) are too large"),
])
def test_a_weight_that_cannot_share_n_is_a_config_error(tmp_path, tasks, table, fragment):
    (tmp_path / "w.toml").write_text(table)
    one_line_config_error(cli("generate", tasks, "-n", "6", "-o", str(tmp_path / "x"), "--config", str(tmp_path / "w.toml")),
                          fragment)
    assert not (tmp_path / "x").exists()


def test_split_quota_refuses_overflowing_weights_and_keeps_sane_ones():
    assert split_quota(10, [1, 1, 1]) == [4, 3, 3]
    assert split_quota(6, [1e300, 2e300]) == [2, 4]  # large but finite: only the ratio matters
    with pytest.raises(ConfigError, match="too large"):
        split_quota(6, [1e308, 1e308])
    with pytest.raises(ConfigError, match="too large"):
        split_quota(6, [1e308])


@pytest.mark.parametrize("task, option, value, fragment", [
    ("py_output", "memory_mb", "99999999999999", "memory_mb must be between 64 and 1048576"),
    ("py_output", "memory_mb", "1048577", "memory_mb must be between 64 and 1048576"),
    ("py_output", "output_limit", "99999999999999", "output_limit must be between 1024 and 16777216"),
    ("py_synthesis", "output_limit", "16777217", "output_limit must be between 1024 and 16777216"),
    ("text_to_sql", "databases_per_domain", "100000000", "databases_per_domain must be between 1 and 10000"),
    ("text_to_sql", "memory_limit_mb", "99999999999999", "memory_limit_mb must be between 16 and 1048576"),
    ("sql_output", "max_result_rows", "99999999999999", "max_result_rows must be between 1 and 100000"),
])
def test_a_value_past_its_documented_bound_is_a_config_error(tmp_path, task, option, value, fragment):
    (tmp_path / "c.toml").write_text(f"[{task}]\n{option} = {value}\n")
    one_line_config_error(cli("generate", task, "-n", "3", "-o", str(tmp_path / "x"), "--config", str(tmp_path / "c.toml")),
                          f"[{task}]", fragment)
    assert not (tmp_path / "x").exists()


def test_the_upper_bounds_themselves_generate(tmp_path):
    (tmp_path / "c.toml").write_text(
        "[py_output]\nmemory_mb = 1048576\noutput_limit = 16777216\n"
        "[text_to_sql]\ndatabases_per_domain = 10000\nmemory_limit_mb = 1048576\nmax_result_rows = 100000\n")
    proc = cli("generate", "py_output,text_to_sql", "-n", "4", "--workers", "1", "-o", str(tmp_path / "x"),
               "--config", str(tmp_path / "c.toml"))
    assert proc.returncode == 0, proc.stderr
    assert "kept 4 of" in proc.stdout and "both engines agree on 100.0%" in proc.stdout, proc.stdout


def test_the_bounds_are_checked_before_anything_starts():
    with pytest.raises(ConfigError, match="databases_per_domain"):
        plan_generation(["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"databases_per_domain": 10_001}})
    plan_generation(["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"databases_per_domain": 10_000}})


def test_a_huge_sql_result_fails_quickly_as_too_large_and_a_big_one_still_comes_back(tmp_path):
    from codegen_data.pipeline import run_generation
    from codegen_data.sql.remote import MAX_RESULT_BYTES

    ds = tmp_path / "ds"
    run_generation(plan_generation(["text_to_sql"], n=2, seed=0), ds, workers=1)
    records = [json.loads(line) for line in (ds / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    huge = "SELECT repeat('ab', 5000) FROM range(9000)"  # 90 MB as JSON
    big = "SELECT repeat('ab', 700) FROM range(9000)"  # 12.6 MB: under the cap
    lines = [{"id": records[0]["id"], "predictions": [huge]}, {"id": records[1]["id"], "predictions": [big]}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    started = time.monotonic()
    proc = cli("evaluate", str(ds), "--predictions", str(tmp_path / "p.jsonl"), "--timeout", "2", "--workers", "1",
               "-o", str(tmp_path / "report.json"))
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    items = {item["id"]: item for item in json.loads((tmp_path / "report.json").read_text())["items"]}
    huge_item, big_item = items[records[0]["id"]], items[records[1]["id"]]
    assert huge_item["failure"] == ["execution_error"]
    assert huge_item["error"] == [f"the result is larger than {MAX_RESULT_BYTES} bytes"]
    assert big_item["failure"] == ["wrong_answer"]  # it came back whole, and was compared
    assert seconds < 20, f"evaluate took {seconds:.1f}s (a minute before the cap)"


def one_line_config_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    return one_line_error(proc, 2, *fragments)
