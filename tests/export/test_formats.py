"""Every export format, read back by its consumer's rules, and the exporter's one-line errors."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import codegen_data
from codegen_data._files import OutputPathError
from codegen_data.export.exporter import export_dataset
from codegen_data.export.formats import Skip, format_names, get_format, passthrough
from codegen_data.export.formats.humaneval import HumanEval
from codegen_data.export.formats.lm_eval import STOP, task_name
from codegen_data.pipeline import plan_generation, run_generation
from codegen_data.task import ConfigError

TASKS = ("text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair")
SPLITS = {"train": 0.6, "validation": 0.2, "test": 0.2}


def records_by_split(dataset: Path) -> dict[str, list[dict]]:
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    out = {}
    for name, entry in manifest["splits"].items():
        with (dataset / entry["file"]).open(encoding="utf-8") as f:
            out[name] = [json.loads(line) for line in f]
    return out


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run_python(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    """Generated code runs in an isolated ``python3 -I`` subprocess, never in the test's process."""
    script = tmp_path / "problem.py"
    script.write_text(source, encoding="utf-8")
    return subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, timeout=30, cwd=tmp_path, check=False)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "ds"
    plan = plan_generation(list(TASKS), n=35, seed=5, splits=SPLITS)
    run_generation(plan, out, workers=2)
    return out


@pytest.fixture(scope="module")
def records(dataset):
    by_split = records_by_split(dataset)
    assert set(by_split) == set(SPLITS) and all(by_split.values()), "every split should hold records"
    return by_split


@pytest.fixture(scope="module")
def exports(dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("exported")
    return {fmt: (export_dataset(dataset, fmt, root / fmt), root / fmt) for fmt in format_names()}


def test_registry_discovers_every_format():
    assert set(format_names()) == {"chat", "prompt-completion", "inspect", "lm-eval", "humaneval"}
    for name in format_names():
        assert get_format(name).name == name and get_format(name).description


@pytest.mark.parametrize(
    "fmt, keys",
    [
        ("chat", {"messages", "id", "metadata"}),
        ("prompt-completion", {"prompt", "completion", "id", "metadata"}),
        ("inspect", {"input", "target", "id", "metadata"}),
    ],
)
def test_jsonl_formats_keep_prompt_answer_id_and_metadata(exports, records, fmt, keys):
    summary, out = exports[fmt]
    assert summary.skipped == {} and set(summary.splits) == set(records)
    for split, recs in records.items():
        assert summary.splits[split].file == f"{split}.jsonl" and summary.splits[split].rows == len(recs)
        rows = read_rows(out / f"{split}.jsonl")
        assert len(rows) == len(recs)
        for row, rec in zip(rows, recs):
            assert set(row) == keys
            assert row["id"] == rec["id"] and isinstance(row["id"], str)
            assert row["metadata"] == passthrough(rec)
            assert row["metadata"]["task"] == rec["task"] and "group" in row["metadata"]
            if fmt == "chat":
                assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
                assert all(set(m) == {"role", "content"} for m in row["messages"])
                assert [m["content"] for m in row["messages"]] == [rec["prompt"], rec["answer"]]
            elif fmt == "prompt-completion":
                assert (row["prompt"], row["completion"]) == (rec["prompt"], rec["answer"])
            else:  # inspect_ai's json_dataset: input (non-empty str), target (str), id, metadata (dict)
                assert row["input"] == rec["prompt"] and row["input"]
                assert row["target"] == rec["answer"] and isinstance(row["metadata"], dict)


def _load_yaml(path: Path) -> dict:
    yaml = pytest.importorskip("yaml")

    class TaskLoader(yaml.SafeLoader):
        """lm-eval's loader: ``!function module.name`` names a function in a file beside the YAML."""

    TaskLoader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))
    return yaml.load(path.read_text(encoding="utf-8"), Loader=TaskLoader)


def test_lm_eval_task_yaml_points_at_its_data_and_scores_through_codegen_data(exports, records, dataset, monkeypatch):
    summary, out = exports["lm-eval"]
    name = task_name(dataset.name)
    assert (out / f"{name}.yaml").name in summary.files and "utils.py" in summary.files
    config = _load_yaml(out / f"{name}.yaml")
    assert config["task"] == name == "codegen_data_ds"
    assert config["dataset_path"] == "json" and config["output_type"] == "generate_until"
    files = config["dataset_kwargs"]["data_files"]
    assert set(files) == set(records)
    for split, path in files.items():
        assert Path(path).is_absolute() and Path(path) == (out / f"{split}.jsonl").resolve() and Path(path).is_file()
    assert (config["training_split"], config["validation_split"], config["test_split"]) == ("train", "validation", "test")
    assert (config["doc_to_text"], config["doc_to_target"]) == ("prompt", "answer")
    assert config["generation_kwargs"]["until"] == [STOP]
    assert config["process_results"] == ("function", "utils.process_results")
    assert config["metric_list"] == [{"metric": "score", "aggregation": "mean", "higher_is_better": True}]

    # The rows lm-eval reads, and utils.py (our own fixed text, not generated code) turning them back into records.
    spec = importlib.util.spec_from_file_location("lm_eval_export_utils", out / "utils.py")
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    seen = []
    monkeypatch.setattr(codegen_data, "score", lambda record, answer: seen.append((record, answer)) or 1.0, raising=False)
    for split, recs in records.items():
        rows = read_rows(out / f"{split}.jsonl")
        assert [r["prompt"] for r in rows] == [r["prompt"] for r in recs]
        for row, rec in zip(rows, recs):
            assert STOP not in rec["answer"], "the stop sequence would cut a reference answer"
            assert isinstance(row["metadata"], str)  # a JSON string: Arrow-safe on every datasets version
            assert utils.process_results(row, ["a generation"]) == {"score": 1.0}
            assert seen[-1] == (rec, "a generation")


def test_lm_eval_with_only_a_test_split(tmp_path, dataset):
    single = tmp_path / "single"
    shutil.copytree(dataset, single)
    manifest = json.loads((single / "manifest.json").read_text())
    manifest["splits"] = {"test": manifest["splits"]["test"]}
    (single / "manifest.json").write_text(json.dumps(manifest))
    export_dataset(single, "lm-eval", tmp_path / "out")
    config = _load_yaml(tmp_path / "out" / "codegen_data_ds.yaml")  # named after the manifest's name
    assert config["test_split"] == "test" and "training_split" not in config and "validation_split" not in config


def test_humaneval_problems_pass_their_tests_and_a_wrong_solution_fails(exports, records, tmp_path):
    summary, out = exports["humaneval"]
    synthesis = {split: [r for r in recs if r["task"] == "py_synthesis"] for split, recs in records.items()}
    assert sum(map(len, synthesis.values())) >= 3
    assert sum(summary.skipped.values()) == sum(len(r) for r in records.values()) - summary.rows
    for split, recs in synthesis.items():
        problems = read_rows(out / f"{split}.jsonl")
        assert [p["id"] for p in problems] == [r["id"] for r in recs]
        for problem, rec in zip(problems, recs):
            assert {"task_id", "prompt", "canonical_solution", "test", "entry_point"} <= set(problem)
            assert problem["task_id"] == f"codegen_data/{rec['id']}" and problem["entry_point"] == rec["entry_point"]
            assert rec["description"] in problem["prompt"] and problem["prompt"].endswith('"""\n')
            call = f"check({problem['entry_point']})\n"
            doctests = "import doctest; assert doctest.testmod(optionflags=doctest.IGNORE_EXCEPTION_DETAIL).failed == 0\n"
            ok = run_python(tmp_path, problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"] + "\n" + call + doctests)
            assert ok.returncode == 0, ok.stderr
            ok = run_python(tmp_path, problem["prompt"] + problem["canonical_solution"] + problem["test"] + call)
            assert ok.returncode == 0, ok.stderr
            wrong = run_python(tmp_path, problem["prompt"] + "    raise NotImplementedError\n" + problem["test"] + call)
            assert wrong.returncode != 0 and "NotImplementedError" in wrong.stderr


def test_humaneval_moves_helpers_above_the_signature_and_keeps_docstrings_exact(tmp_path):
    code = (
        "def total(xs: list[int]) -> int:\n"
        "    if not xs:\n"
        "        raise KeyError('empty')\n"
        "    return twice(sum(xs))\n"
        "\n\n"
        "def twice(n: int) -> int:\n"
        "    return n * 2\n"
    )
    description = 'Return twice the sum of xs; a "\\" or """ must survive.'
    record = {
        "id": "py_synthesis-0", "task": "py_synthesis", "prompt": "...", "answer": code, "code": code,
        "entry_point": "total", "signature": "def total(xs: list[int]) -> int:", "description": description,
        "examples": [{"input": "[1, 2]", "output": "6"}, {"input": "[]", "raises": "KeyError"}],
        "tests": [{"input": "[3]", "output": "6"}, {"input": "[]", "raises": "KeyError"}, {"input": "[-1, 1]", "output": "0"}],
    }
    row = HumanEval().row(record)
    assert row["prompt"].startswith("def twice(n: int) -> int:\n    return n * 2\n\n\ndef total(")
    assert row["canonical_solution"].startswith("    if not xs:\n")
    program = row["prompt"] + row["canonical_solution"] + "\n" + row["test"] + "\ncheck(total)\n"
    checked = run_python(tmp_path, program + f"assert total.__doc__.startswith({description!r}), total.__doc__\n"
                                   "import doctest; assert doctest.testmod(optionflags=doctest.IGNORE_EXCEPTION_DETAIL).failed == 0\n")
    assert checked.returncode == 0, checked.stderr
    assert HumanEval().row({**record, "task": "py_output"}) == Skip("py_output has no HumanEval form")
    assert isinstance(HumanEval().row({**record, "answer": code.replace("twice", "check")}), Skip)


def test_unknown_format_is_a_one_line_config_error(dataset, tmp_path):
    with pytest.raises(ConfigError, match="unknown export format 'csv'; available: ") as exc:
        export_dataset(dataset, "csv", tmp_path / "out")
    assert "\n" not in str(exc.value) and not (tmp_path / "out").exists()


def _broken(dataset: Path, tmp_path: Path, how: str) -> Path:
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    manifest = broken / "manifest.json"
    test_file = broken / "data" / "test.jsonl"
    if how == "no manifest":
        manifest.unlink()
    elif how == "bad manifest":
        manifest.write_text("{not json")
    elif how == "no splits":
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "splits": {}}))
    elif how == "missing split file":
        test_file.unlink()
    elif how == "bad line":
        test_file.write_text(test_file.read_text() + "{oops\n")
    elif how == "count mismatch":
        test_file.write_text("".join(test_file.read_text().splitlines(keepends=True)[1:]))
    return broken


@pytest.mark.parametrize(
    "how, message",
    [
        ("no manifest", "is not a codegen-data dataset: it has no manifest.json"),
        ("bad manifest", "cannot read .*manifest.json"),
        ("no splits", "lists no splits"),
        ("missing split file", "the file of split 'test' .* is missing"),
        ("bad line", "test.jsonl:\\d+: not a JSON record"),
        ("count mismatch", "test.jsonl holds \\d+ records but manifest.json says \\d+"),
    ],
)
def test_invalid_dataset_is_a_one_line_config_error(dataset, tmp_path, how, message):
    out = tmp_path / "out"
    export_dataset(dataset, "chat", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(ConfigError, match=message) as exc:
        export_dataset(_broken(dataset, tmp_path, how), "chat", out, overwrite=True)
    assert "\n" not in str(exc.value)
    # A failed export leaves the previous one as it was and no partial files behind.
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_missing_dataset_dir_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match="dataset directory .*nowhere does not exist") as exc:
        export_dataset(tmp_path / "nowhere", "chat", tmp_path / "out")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("where", ["file", "under a file", "the dataset", "its data"])
def test_unwritable_out_is_a_one_line_config_error(dataset, tmp_path, where):
    (tmp_path / "a-file").write_text("x")
    out = {
        "file": tmp_path / "a-file",
        "under a file": tmp_path / "a-file" / "out",
        "the dataset": dataset,
        "its data": dataset / "data",
    }[where]
    with pytest.raises(ConfigError) as exc:
        export_dataset(dataset, "chat", out)
    assert "\n" not in str(exc.value) and str(out) in str(exc.value)
    assert (tmp_path / "a-file").read_text() == "x"


def test_export_is_deterministic_and_replaces_a_previous_export(dataset, exports, tmp_path):
    _, first = exports["chat"]
    out = tmp_path / "again"
    export_dataset(dataset, "prompt-completion", out)  # another format's export, replaced by this one
    (out / "test.jsonl").write_text("stale\n")
    (out / "notes.txt").write_text("kept")
    with pytest.raises(OutputPathError, match="not empty .*add --overwrite"):
        export_dataset(dataset, "chat", out)  # the default: an export never replaces anything
    summary = export_dataset(dataset, "chat", out, overwrite=True)
    assert summary.text().startswith(f"exported {summary.rows} rows as chat (")
    for split in summary.splits:
        assert (out / f"{split}.jsonl").read_bytes() == (first / f"{split}.jsonl").read_bytes()
    assert (out / "notes.txt").read_text() == "kept" and not (out / ".partial-export").exists()


LM_EVAL_LOADER = """
import json, os, sys, types
fake = types.ModuleType("codegen_data")  # stands in for the scorer: this checks lm-eval's side only
fake.score = lambda record, answer: float(answer == record["answer"])
sys.modules["codegen_data"] = fake
from lm_eval.tasks import TaskManager, get_task_dict
out, name = sys.argv[1], sys.argv[2]
task = get_task_dict([name], TaskManager(include_path=out))[name]
docs = {"train": task.training_docs() if task.has_training_docs() else [],
        "validation": task.validation_docs() if task.has_validation_docs() else [],
        "test": task.test_docs() if task.has_test_docs() else []}
print(json.dumps({
    "type": type(task).__name__,
    "texts": {s: [task.doc_to_text(d) for d in ds] for s, ds in docs.items()},
    "targets": {s: [task.doc_to_target(d) for d in ds] for s, ds in docs.items()},
    "scores": [task.process_results(d, [task.doc_to_target(d)]) for d in docs["test"]],
    "until": task.config.generation_kwargs["until"],
}))
"""


@pytest.mark.skipif(importlib.util.find_spec("lm_eval") is None, reason="lm-eval is not installed")
def test_lm_eval_loads_the_exported_task(exports, records, dataset, tmp_path):
    _, out = exports["lm-eval"]
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    done = subprocess.run([sys.executable, "-c", LM_EVAL_LOADER, str(out), task_name(dataset.name)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["type"] == "ConfigurableTask" and got["until"] == [STOP]
    assert got["texts"] == {s: [r["prompt"] for r in recs] for s, recs in records.items()}
    assert got["targets"] == {s: [r["answer"] for r in recs] for s, recs in records.items()}
    assert got["scores"] == [{"score": 1.0}] * len(records["test"])
