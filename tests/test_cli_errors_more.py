"""More of the command line's argument checks: `evaluate --k/--timeout` and its summary for any k,
`generate` with no task, `--workers` never starting more processes than there is work for, and
exit 2 for every argument error (real subprocesses of the CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codegen_data.evaluate import ItemResult, build_report, parse_ks, summary_table

from .conftest import children, cli, generate, one_line_error




@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clierrors") / "ds"
    generate(out, ("py_output",), n=6, seed=4, workers=1)
    return out


@pytest.fixture
def gold(ds, tmp_path) -> Path:
    """Two samples per item: the right answer and a wrong one."""
    path = tmp_path / "gold.jsonl"
    with (ds / "data" / "test.jsonl").open(encoding="utf-8") as f:
        path.write_text("".join(json.dumps({"id": r["id"], "predictions": [r["answer"], "'wrong'"]}) + "\n"
                                for r in map(json.loads, f)), encoding="utf-8")
    return path


# --- evaluate --k ------------------------------------------------------------------------------------


def test_a_k_list_without_1_prints_its_own_columns(ds, gold, tmp_path):
    out = tmp_path / "r.json"
    proc = cli("evaluate", str(ds), "--predictions", str(gold), "--k", "2", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    header = proc.stdout.splitlines()[1]
    assert "pass@2" in header and "pass@1" not in header
    summary = json.loads(out.read_text())["summary"]
    assert summary["k"] == [2] and summary["pass@2"] == 1.0  # one of two samples right: pass@2 = 1


def test_the_weakest_features_are_ranked_by_the_smallest_k():
    def item(name: str, passed: list[bool]) -> ItemResult:
        return ItemResult(id=name, task="t", passed=passed, failure=[None if p else "wrong_answer" for p in passed],
                          error=[""] * len(passed), raw=["x"] * len(passed), extracted=["x"] * len(passed),
                          features=["f"])
    report = build_report([item(f"i{n}", [n % 2 == 0, False, False]) for n in range(6)],
                          dataset={"name": "d", "manifest_sha256": "0" * 64}, ks=(3, 2))
    text = summary_table(report)
    assert "-- weakest features (pass@2, at least 5 items" in text
    assert "pass@1" not in text


@pytest.mark.parametrize("k", ["", "1,,2", ",1", "1,", " ", "0", "1,-2", "a"])
def test_a_bad_k_list_is_a_usage_error(ds, gold, k):
    one_line_error(cli("evaluate", str(ds), "--predictions", str(gold), "--k", k), 2, "--k must be positive integers")


def test_parse_ks_refuses_empty_parts():
    assert parse_ks("1, 5") == (1, 5)
    for bad in ("", "1,,2", ",1", "1,", " "):
        with pytest.raises(ValueError):
            parse_ks(bad)


# --- evaluate --timeout, exit codes --------------------------------------------------------------------


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "601"])
def test_a_timeout_out_of_range_is_a_usage_error(ds, gold, timeout):
    one_line_error(cli("evaluate", str(ds), "--predictions", str(gold), "--timeout", timeout), 2,
                   "--timeout must be more than 0 and at most 600")


@pytest.mark.parametrize("args, fragment", [
    (["evaluate", "{tmp}/nodir", "--predictions", "{gold}"], "is not a codegen-data dataset"),
    (["evaluate", "{ds}", "--predictions", "{gold}", "--workers", "0"], "--workers must be at least 1"),
    (["evaluate", "{ds}", "--predictions", "{gold}", "--k", "0"], "--k must be positive integers"),
    (["evaluate", "{ds}", "--predictions", "{gold}", "--split", "train"], "has no split 'train' (splits: test)"),
    (["export", "{ds}", "--format", "csv", "-o", "{tmp}/ex"], "unknown export format 'csv'"),
    (["stats", "{tmp}/nodir"], "is not a codegen-data dataset"),
    (["report", "{tmp}/nodir", "-o", "{tmp}/r.html"], "is not a codegen-data dataset"),
    (["export", "{tmp}/nodir", "--format", "chat", "-o", "{tmp}/ex"], "is not a codegen-data dataset"),
    (["verify", "{ds}", "--workers", "0"], "--workers must be at least 1"),
    (["generate", "py_output", "-n", "2", "-o", "{tmp}/g", "--workers", "0"], "--workers must be at least 1"),
])
def test_argument_errors_exit_2(ds, gold, tmp_path, args, fragment):
    one_line_error(cli(*[a.format(tmp=tmp_path, ds=ds, gold=gold) for a in args]), 2, fragment)
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "ex").exists() and not (tmp_path / "g").exists()


# --- generate ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tasks", [",", "", " , "])
def test_generate_refuses_an_empty_task_list(tmp_path, tasks):
    one_line_error(cli("generate", tasks, "-n", "5", "-o", str(tmp_path / "g")), 2, "no task given")
    assert not (tmp_path / "g").exists()


def test_generate_never_starts_more_workers_than_samples(tmp_path):
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", "3", "--seed", "1",
                             "-o", str(tmp_path / "g"), "--workers", "500"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    most = 0
    while proc.poll() is None:
        most = max(most, len(children(proc.pid)))
        time.sleep(0.005)
    stdout, stderr = proc.communicate()
    assert proc.returncode == 0, stderr
    assert "kept 3 of" in stdout
    assert 1 <= most <= 3, most  # the worker processes: one per sample at most
    assert time.monotonic() - started < 120


def test_workers_are_capped_per_cpu_and_per_item():
    from codegen_data.cli import MAX_WORKERS_PER_CPU, _workers

    cpus = os.cpu_count() or 1
    assert _workers(10**6) == MAX_WORKERS_PER_CPU * cpus
    assert _workers(10**6, items=2) == 2 and _workers(1, items=100) == 1 and _workers(None, items=10**6) == cpus


def test_ids_from_a_predictions_file_cannot_drive_the_terminal(ds, gold, tmp_path):
    """An unknown id is echoed in the summary (with --allow-unknown-ids); its control characters come
    out as escapes, not as a terminal escape sequence (here one that sets the window title)."""
    hostile = "x\x1b]0;pwned\x07\x1b[2J\nfake line pass@1 1.000"
    predictions = tmp_path / "hostile.jsonl"
    predictions.write_text(gold.read_text() + json.dumps({"id": hostile, "prediction": "1"}) + "\n", encoding="utf-8")
    proc = cli("evaluate", str(ds), "--predictions", str(predictions), "--allow-unknown-ids")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "x\\x1b]0;pwned\\x07\\x1b[2J\\nfake line" in proc.stdout
    assert not any(line.startswith("fake line") for line in proc.stdout.splitlines())  # no line of its own


def test_a_config_with_a_byte_order_mark_is_read(tmp_path):
    config = tmp_path / "bom.toml"
    config.write_bytes("\ufeff[py_output]\nweight = 1.0\ntimeout = 1.5\n".encode("utf-8"))
    out = tmp_path / "out"
    proc = cli("generate", "py_output", "-n", "3", "-o", str(out), "--config", str(config), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "manifest.json").read_text())["tasks"]["py_output"]["config"]["timeout"] == 1.5


def test_a_directory_with_an_unfinished_run_says_so(tmp_path):
    unfinished = tmp_path / "run"
    (unfinished / ".partial").mkdir(parents=True)
    for command in (["stats", str(unfinished)], ["verify", str(unfinished)], ["report", str(unfinished), "-o", str(tmp_path / "r.html")]):
        one_line_error(cli(*command), 2, "holds an unfinished run", "--resume")
