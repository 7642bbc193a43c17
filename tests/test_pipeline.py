"""The generation chain end to end: output contract, determinism across runs and workers."""

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from codegen_data.pipeline import plan_generation, run_generation, split_quota
from codegen_data.sql.comparator import DEFAULT_COMPARATOR, to_json_value
from codegen_data.task import ConfigError

from .conftest import generate, read_records

RECORD_FIELDS = {"id", "task", "prompt", "answer", "difficulty", "features", "meta"}
SQL_FIELDS = {"db_id", "sql", "result", "order_matters", "verified_engines"}


def test_quota_is_shared_by_weight():
    assert split_quota(10, [1, 1, 1]) == [4, 3, 3]
    assert split_quota(10, [2, 1, 1]) == [5, 3, 2]  # remainder ties go to the earlier task
    assert sum(split_quota(7, [0.3, 0.3, 0.4])) == 7


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(task_names=["nope"], n=1, seed=0), "unknown task 'nope'"),
        (dict(task_names=["text_to_sql"], n=0, seed=0), "-n must be at least 1"),
        (dict(task_names=["text_to_sql"], n=1, seed=-1), "--seed must be >= 0"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"max_rowz": 3}}), "unknown option 'max_rowz'"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"min_rows": "ten"}}), "min_rows must be int"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"min_rows": 9, "max_rows": 3}}), "max_rows (3) must be >= min_rows (9)"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"domains": ["mars"]}}), "unknown domain 'mars'"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"null_rate": 2}}), "null_rate must be between"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"text_to_sql": {"weight": 0}}), "weight must be a positive number"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, config={"sql_output": {}}), "tasks not being generated: sql_output"),
        (dict(task_names=["text_to_sql"], n=1, seed=0, difficulty="brutal"), "difficulty must be one of"),
    ],
)
def test_bad_plans_raise_a_clear_error(kwargs, message):
    with pytest.raises(ConfigError) as err:
        plan_generation(**kwargs)
    assert message in str(err.value)


def test_output_contract(sql_dataset):
    out = sql_dataset
    manifest = json.loads((out / "manifest.json").read_text())
    for rel, entry in manifest["files"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == entry["sha256"], rel
    records = read_records(out)
    assert len(records) == 36
    assert [r["task"] for r in records] == ["text_to_sql"] * 12 + ["sql_output"] * 12 + ["sql_translate"] * 12
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert RECORD_FIELDS | SQL_FIELDS <= set(r), r["id"]
        assert set(r["meta"]) >= {"seed", "index", "version", "grammar_hash"}
        assert (out / "databases" / f"{r['db_id']}.sql").is_file()
        assert "_" not in r.get("question", "")
    assert all("question" in r for r in records if r["task"] == "text_to_sql")
    for line in (out / "rejects.jsonl").read_text().splitlines():
        reject = json.loads(line)
        assert reject["reason"] and reject["task"]
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "annotations_creators" in card
    assert manifest["seed"] == 3 and manifest["engines"]["duckdb"] == duckdb.__version__


def test_every_record_reproduces_with_plain_duckdb(sql_dataset):
    for r in read_records(sql_dataset):
        con = duckdb.connect()
        con.execute((sql_dataset / "databases" / f"{r['db_id']}.sql").read_text())
        rows = [[to_json_value(v) for v in row] for row in con.execute(r["sql"]).fetchall()]
        assert DEFAULT_COMPARATOR.equal(r["result"]["rows"], rows, order_matters=r["order_matters"]), r["id"]
        con.close()


def _data_bytes(out):
    """Every file's bytes; the manifest and card differ only by the directory's name."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    files["README.md"] = files["README.md"].replace(out.name.encode(), b"DIR")
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("name")
    files["manifest.json"] = json.dumps(manifest).encode()
    return files


@pytest.mark.slow
def test_same_command_same_bytes_for_any_number_of_workers(tmp_path):
    a, b, c = tmp_path / "run1", tmp_path / "run2", tmp_path / "run3"
    generate(a, ("text_to_sql", "sql_output"), n=20, seed=11, workers=1)
    generate(b, ("text_to_sql", "sql_output"), n=20, seed=11, workers=2)
    generate(c, ("text_to_sql", "sql_output"), n=20, seed=11, workers=3)  # each worker has its databases
    assert _data_bytes(a) == _data_bytes(b) == _data_bytes(c)
    d = tmp_path / "run4"
    generate(d, ("text_to_sql", "sql_output"), n=20, seed=12, workers=2)
    assert _data_bytes(d)["data/test.jsonl"] != _data_bytes(a)["data/test.jsonl"]


@pytest.mark.slow
def test_running_out_of_memory_does_not_depend_on_the_number_of_workers(tmp_path):
    """A worker's databases share one memory limit, so whether a query fits depended on the other
    databases that worker held: 1, 2 and 3 workers kept 10, 25 and 58 of 80 items with this config."""
    config = {"text_to_sql": {"min_rows": 3000, "max_rows": 6000, "memory_limit_mb": 16}}
    one, two = tmp_path / "run1", tmp_path / "run2"  # (names the card holds nowhere else)
    generate(one, n=30, seed=0, workers=1, config=config)
    generate(two, n=30, seed=0, workers=2, config=config)
    assert _data_bytes(one) == _data_bytes(two)
    assert "OutOfMemoryException" in (one / "rejects.jsonl").read_text()  # the limit was reached


def test_item_i_does_not_depend_on_n(tmp_path):
    small, large = tmp_path / "s", tmp_path / "l"
    generate(small, n=5, seed=4)
    generate(large, n=10, seed=4)
    assert read_records(large)[:5] == read_records(small)


def test_overwrite_replaces_the_dataset(tmp_path):
    out = tmp_path / "ds"
    generate(out, n=4, seed=1)
    (out / "databases" / "stale.sql").write_text("-- old")
    run_generation(plan_generation(["text_to_sql"], n=4, seed=2), out, mode="overwrite")
    assert not (out / "databases" / "stale.sql").exists()
    assert not (out / ".partial").exists()
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2


SAMPLES = sorted((Path(__file__).resolve().parent.parent / "datasets").glob("*/manifest.json"))


@pytest.mark.slow
@pytest.mark.parametrize("manifest_path", SAMPLES, ids=[p.parent.name for p in SAMPLES])
def test_committed_sample_is_what_the_code_makes(tmp_path, manifest_path):
    """datasets/<name> is regenerated byte for byte; regenerate it when a generator changes."""
    sample = manifest_path.parent
    manifest = json.loads(manifest_path.read_text())
    out = tmp_path / sample.name
    generate(out, tuple(manifest["tasks"]), n=manifest["n"], seed=manifest["seed"], workers=2)
    for rel in manifest["files"]:
        if rel in ("manifest.json", "README.md"):  # these name the Python and engine versions
            continue
        assert (out / rel).read_bytes() == (sample / rel).read_bytes(), f"{rel}: regenerate with `{manifest['command']} -o datasets/{sample.name}`"


def test_card_numbers_match_the_data_files(sql_dataset):
    import collections
    import re

    card = (sql_dataset / "README.md").read_text()
    records = read_records(sql_dataset)
    by_task = collections.Counter(r["task"] for r in records)
    levels = collections.Counter((r["task"], r["difficulty"]) for r in records)
    for task, count in by_task.items():
        row = re.search(rf"^\| {task} \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|", card, re.M)
        assert row, task
        assert int(row.group(1)) == count
        assert [int(row.group(i)) for i in range(2, 6)] == [levels[(task, lvl)] for lvl in ("easy", "medium", "hard", "extra")]
    rejects = collections.Counter(json.loads(l)["reason"] for l in (sql_dataset / "rejects.jsonl").read_text().splitlines())
    for reason, count in rejects.items():
        assert f"| {reason} | {count} |" in card
    assert f"{len(records)} execution-verified records" in card


def test_get_task_imports_only_the_task_asked_for_and_still_names_the_unknown():
    import subprocess
    import sys

    code = ("import sys; from codegen_data.registry import get_task; t = get_task('py_output'); "
            "print(t.name, sorted(m for m in sys.modules if m.startswith('codegen_data.tasks.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split(" ", 1)[0] == "py_output"
    assert "text_to_sql" not in done.stdout and "sql_output" not in done.stdout

    import pytest

    from codegen_data.registry import get_task
    from codegen_data.task import ConfigError

    for name in ("text_to_sqll", "os", "_plugins", "../x"):
        with pytest.raises(ConfigError, match="unknown task"):
            get_task(name)
