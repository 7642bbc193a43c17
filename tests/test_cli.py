"""The command line as a user meets it: real subprocesses, one-line errors, non-zero exits."""

import json
import os
import subprocess
import sys

import pytest


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "codegen_data", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def assert_one_line_error(proc, fragment):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0], proc.stderr


def test_list_shows_tasks_and_options():
    proc = cli("list")
    assert proc.returncode == 0
    for name in ("text_to_sql", "sql_output", "sql_translate"):
        assert f"{name}: " in proc.stdout
    assert "null_rate" in proc.stdout and "databases_per_domain" in proc.stdout


def test_generate_writes_a_dataset_and_a_summary(tmp_path):
    out = tmp_path / "ds"
    proc = cli("generate", "text_to_sql", "-n", "5", "--seed", "0", "-o", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "kept 5 of" in proc.stdout and "samples/s" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert json.loads((out / "manifest.json").read_text())["tasks"]["text_to_sql"]["kept"] == 5


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["generate", "nosuch", "-n", "3", "-o", "{tmp}/x"], "unknown task 'nosuch'"),
        (["generate", "text_to_sql", "-n", "0", "-o", "{tmp}/x"], "-n must be at least 1"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/x", "--workers", "0"], "--workers must be at least 1"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/x", "--config", "{tmp}/missing.toml"], "config file not found"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/x", "--config", "{tmp}/bad.toml"], "not valid TOML"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/x", "--config", "{tmp}/typo.toml"], "unknown option 'nul_rate'"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/foreign"], "holds no codegen-data dataset"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/afile"], "is a file"),
        (["generate", "text_to_sql", "-n", "3", "-o", "/proc/codegen-data-out"], "cannot write to /proc/codegen-data-out"),
        (["generate", "text_to_sql", "-n", "3", "-o", "{tmp}/x", "--difficulty", "brutal"], "Invalid value for '--difficulty'"),
    ],
)
def test_user_errors_are_one_line(tmp_path, args, fragment):
    (tmp_path / "bad.toml").write_text("[text_to_sql\n")
    (tmp_path / "typo.toml").write_text("[text_to_sql]\nnul_rate = 0.2\n")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    (tmp_path / "afile").write_text("x")
    proc = cli(*[a.format(tmp=tmp_path) for a in args])
    assert_one_line_error(proc, fragment)
    assert (tmp_path / "foreign" / "notes.txt").read_text() == "mine"


def test_unwritable_directory_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; covered by the /proc case")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert_one_line_error(cli("generate", "text_to_sql", "-n", "2", "-o", str(locked / "x")), "cannot write to")


def test_verify_stats_and_report_from_the_command_line(sql_dataset, tmp_path):
    import shutil

    proc = cli("verify", str(sql_dataset))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert cli("stats", str(sql_dataset)).returncode == 0
    html = tmp_path / "r.html"
    assert cli("report", str(sql_dataset), "-o", str(html)).returncode == 0 and html.stat().st_size > 1000
    copy = tmp_path / "copy"
    shutil.copytree(sql_dataset, copy)
    lines = (copy / "data" / "test.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record["result"]["rows"][0][0] = "altered"
    lines[0] = json.dumps(record)
    (copy / "data" / "test.jsonl").write_text("\n".join(lines) + "\n")
    proc = cli("verify", str(copy))
    assert proc.returncode == 1 and record["id"] in proc.stdout
    assert_one_line_error(cli("verify", str(tmp_path / "nothing")), "is not a codegen-data dataset")
    assert_one_line_error(cli("stats", str(tmp_path / "nothing")), "is not a codegen-data dataset")


def test_a_given_up_task_is_one_line_naming_its_first_error(tmp_path, monkeypatch):
    """What `generate` says when a task's first 200 candidates all raised (the pipeline's side is
    tests/test_dedup.py): the task, the first exception, where the rest are; exit 1."""
    from collections import Counter

    from click.testing import CliRunner

    from codegen_data import pipeline
    from codegen_data.cli import main

    out = tmp_path / "ds"

    def broken_run(plan, out_dir, **_):
        out_dir.mkdir()
        (out_dir / "rejects.jsonl").write_text(
            json.dumps({"task": "sql_output", "index": 0, "reason": "ok_reject", "detail": "other"}) + "\n"
            + json.dumps({"task": "text_to_sql", "index": 0, "reason": "internal_error", "detail": "TypeError: boom"}) + "\n")
        return pipeline.GenerationSummary(kept=Counter({"text_to_sql": 0}), rejected=Counter({"internal_error": 200}),
                                          candidates=200, seconds=1.0, complete=False, out_dir=out_dir, agreement={},
                                          given_up=("text_to_sql",))

    monkeypatch.setattr(pipeline, "run_generation", broken_run)
    result = CliRunner().invoke(main, ["generate", "text_to_sql", "-n", "5", "-o", str(out), "--workers", "1"])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert "text_to_sql: the first 200 candidates all failed with an internal error" in last
    assert "'TypeError: boom'" in last and "rejects.jsonl" in last
