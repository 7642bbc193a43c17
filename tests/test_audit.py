"""codegen_data.audit: a dataset is checked against its manifest and every label re-executed from its files."""

import hashlib
import json
import shutil
import uuid
from pathlib import Path

import pytest

from codegen_data.audit import AuditResult, check_files, verify_dataset

from .conftest import generate

ALL_TASKS = ("text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Two of each task, generated once; tests audit copies of it."""
    out = tmp_path_factory.mktemp("audit") / "ds"
    generate(out, ALL_TASKS, n=14, seed=5, workers=2)
    return out


@pytest.fixture
def copy(dataset, tmp_path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(dataset, target)
    return target


def _records(root: Path) -> dict[str, list[dict]]:
    manifest = json.loads((root / "manifest.json").read_text())
    out = {}
    for split in manifest["splits"].values():
        with (root / split["file"]).open(encoding="utf-8") as f:
            out[split["file"]] = [json.loads(line) for line in f]
    return out


def _rewrite(root: Path, mutate, *, fix_manifest: bool = True) -> list[str]:
    """Apply ``mutate(record) -> bool`` to each record until it returns True once per task it wants.

    Returns the ids of changed records; with ``fix_manifest`` the manifest's sha256 and bytes are
    updated, so only re-execution can notice.
    """
    changed = []
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for rel, records in _records(root).items():
        for record in records:
            if mutate(record):
                changed.append(record["id"])
        path = root / rel
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        if fix_manifest:
            data = path.read_bytes()
            manifest["files"][rel].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return changed


def _first_of(task: str, change):
    """A mutator that changes the first record of ``task`` only."""
    done = []

    def mutate(record):
        if record["task"] == task and not done:
            change(record)
            done.append(record["id"])
            return True
        return False

    return mutate


def test_a_fresh_dataset_verifies(dataset):
    steps = []
    result = verify_dataset(dataset, workers=2, progress=steps.append)
    total = sum(len(r) for r in _records(dataset).values())
    assert isinstance(result, AuditResult)
    assert result.ok, result.report()
    assert result.exit_code == 0
    assert result.checked == total == sum(steps)
    assert result.failures == [] and result.file_problems == []
    assert "ok:" in result.report()


def test_an_altered_sql_result_is_caught_by_re_execution(copy):
    def change(record):
        row = record["result"]["rows"][0]
        row[0] = (row[0] + 1) if isinstance(row[0], (int, float)) and not isinstance(row[0], bool) else "altered"

    changed = _rewrite(copy, _first_of("text_to_sql", change))
    assert check_files(copy) == []  # the manifest was fixed up: only re-execution can tell
    result = verify_dataset(copy, workers=2)
    assert not result.ok and result.exit_code == 1
    assert result.failed_ids == changed
    assert result.file_problems == []
    assert "result differs" in result.failures[0].reason
    assert result.failures[0].file == "data/test.jsonl"
    assert changed[0] in result.report()


def test_an_altered_test_output_is_caught(copy):
    def change(record):
        record["tests"][1]["output"] = repr("not what it returns")

    changed = _rewrite(copy, _first_of("py_synthesis", change))
    result = verify_dataset(copy, workers=1)
    assert result.failed_ids == changed
    assert "test 1" in result.failures[0].reason


def test_every_task_label_is_checked(copy):
    """One wrong label per task, each only visible by executing something; every one is named."""
    changes = {
        "sql_output": lambda r: r.update(answer=r["answer"] + "\nextra | row"),
        "sql_translate": lambda r: r.update(answer="SELECT 1"),
        "text_to_sql": lambda r: r["result"]["rows"].append(list(r["result"]["rows"][0])),
        "py_output": lambda r: r.update(answer=repr(("never", 0))),
        "py_input": lambda r: r.update(output=repr(("never", 0))),
        "py_repair": lambda r: r.update(buggy_code=r["code"]),
        "py_synthesis": lambda r: r["examples"][0].update(output=None, raises="KeyError"),
    }
    changed = []
    for task, change in changes.items():
        changed += _rewrite(copy, _first_of(task, change))
    result = verify_dataset(copy, workers=3)
    assert sorted(result.failed_ids) == sorted(changed)
    reasons = {f.id.split("-")[0]: f.reason for f in result.failures}
    assert "answer is not the recorded result" in reasons["sql_output"]
    assert "answer (SQLite)" in reasons["sql_translate"]
    assert "answer: the call" in reasons["py_output"]
    assert "answer as arguments" in reasons["py_input"]
    assert "buggy_code passes every test" in reasons["py_repair"]
    assert "example 0" in reasons["py_synthesis"]
    assert "row count" in reasons["text_to_sql"]


def test_the_report_order_does_not_depend_on_workers(copy):
    for task in ALL_TASKS:
        _rewrite(copy, _first_of(task, lambda r: r.update(answer="tampered", tests=[], sql="SELECT 0")))
    one = verify_dataset(copy, workers=1)
    three = verify_dataset(copy, workers=3)
    assert one.failures == three.failures and len(one.failures) == len(ALL_TASKS)


def test_an_altered_file_is_a_hash_mismatch_naming_it(copy):
    _rewrite(copy, _first_of("py_output", lambda r: r.update(prompt=r["prompt"] + " ")), fix_manifest=False)
    result = verify_dataset(copy, workers=1)
    assert result.file_problems == ["altered file: data/test.jsonl (sha256 differs from the manifest)"]
    assert result.failures == []  # the prompt is not a label: every record still reproduces
    assert not result.ok and result.exit_code == 1


def test_missing_and_extra_files_are_named(copy):
    record = next(r for r in _records(copy)["data/test.jsonl"] if r["task"] == "sql_output")
    users = [r["id"] for r in _records(copy)["data/test.jsonl"] if r.get("db_id") == record["db_id"]]
    (copy / "databases" / f"{record['db_id']}.sql").unlink()
    (copy / "data" / "notes.txt").write_text("hello")
    result = verify_dataset(copy, workers=2)
    assert f"missing file: databases/{record['db_id']}.sql" in result.file_problems
    assert "extra file: data/notes.txt (not in the manifest)" in result.file_problems
    assert result.failed_ids == users
    assert all("is missing" in f.reason for f in result.failures)


def test_a_missing_manifest_is_a_problem(copy):
    (copy / "manifest.json").unlink()
    result = verify_dataset(copy, workers=1)
    assert result.file_problems == ["manifest.json is missing"]
    assert result.checked > 0 and result.failures == []  # records are still re-executed from data/*.jsonl


def test_a_line_that_is_not_json_is_a_failure(copy):
    with (copy / "data" / "test.jsonl").open("a") as f:
        f.write("{not json\n")
    result = verify_dataset(copy, workers=1)
    lines = sum(1 for _ in (copy / "data" / "test.jsonl").open())
    assert result.failed_ids == [f"data/test.jsonl:{lines}"]
    assert any("manifest says" in p for p in result.file_problems)


def test_hostile_sql_in_a_copied_dataset_fails_and_does_nothing(copy, tmp_path):
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"
    hostile = iter([
        f"COPY (SELECT 1) TO '{marker}.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT 1; COPY (SELECT 1) TO '{marker}.2.csv'",
        f"ATTACH '{marker}.db' AS x",
    ])

    def mutate(record):
        sql = next(hostile, None) if "db_id" in record else None
        if sql is None:
            return False
        record["sql"] = record["answer"] = sql
        return True

    changed = _rewrite(copy, mutate)
    result = verify_dataset(copy, workers=2)
    assert result.failed_ids == changed and len(changed) == 4
    assert result.file_problems == []
    reasons = " ".join(f.reason for f in result.failures)
    assert "refused" in reasons and "disabled by configuration" in reasons
    assert not list(tmp_path.glob("pwned-*"))


def test_a_hostile_database_script_is_refused(copy, tmp_path):
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}.csv"
    record = next(r for r in _records(copy)["data/test.jsonl"] if "db_id" in r)
    script = copy / "databases" / f"{record['db_id']}.sql"
    script.write_text(f"CREATE TABLE t (a INTEGER);\nCOPY (SELECT 1) TO '{marker}';\n")
    manifest = json.loads((copy / "manifest.json").read_text())
    data = script.read_bytes()
    manifest["files"][f"databases/{record['db_id']}.sql"].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = verify_dataset(copy, workers=1)
    assert record["id"] in result.failed_ids
    assert "only CREATE and INSERT" in result.failures[0].reason
    assert not marker.exists()


def test_hostile_code_runs_only_in_the_sandbox(copy, tmp_path):
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"

    def change(record):
        record["code"] = f"open({str(marker)!r}, 'w').write('x')\n" + record["code"]

    changed = _rewrite(copy, _first_of("py_input", change))
    result = verify_dataset(copy, workers=1)
    assert result.failed_ids == changed
    assert "did not run" in result.failures[0].reason
    assert not marker.exists()


def test_bad_arguments_raise(dataset):
    with pytest.raises(ValueError, match="workers"):
        verify_dataset(dataset, workers=0)
    with pytest.raises(ValueError, match="timeout"):
        verify_dataset(dataset, timeout=0)


def test_a_path_that_is_not_a_dataset(tmp_path):
    result = verify_dataset(tmp_path / "nowhere")
    assert not result.ok and "is not a directory" in result.file_problems[0]


def test_a_record_evaluate_or_export_would_refuse_fails_verification(copy):
    """verify passes only what the other commands can read: string id, a known task, string prompt and answer."""
    changes = {"text_to_sql": lambda r: r.update(id=7), "py_output": lambda r: r.update(task="bogus"),
               "sql_output": lambda r: r.update(prompt=None), "py_input": lambda r: r.update(answer=3)}
    for task, change in changes.items():
        _rewrite(copy, _first_of(task, change))
    result = verify_dataset(copy, workers=1)
    reasons = sorted(f.reason for f in result.failures)
    assert len(reasons) == 4, reasons
    assert any("'id' is not a non-empty string" in r for r in reasons)
    assert any("'task' is not a known task: 'bogus'" in r for r in reasons)
    assert any("'prompt' is not a string" in r for r in reasons)
    assert any("'answer' is not a string" in r for r in reasons)
