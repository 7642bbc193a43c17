"""The real Hugging Face ``datasets`` library reads a dataset directory and an exported chat file.

Loading runs in a ``python -I`` subprocess whose environment is set before ``datasets`` is imported
(``HF_DATASETS_OFFLINE=1``, ``HF_HUB_OFFLINE=1``, a temporary ``HF_HOME``), so nothing is fetched and
no cache outside the test's directory is touched.

What ``datasets`` does with our records: SQL ``result.rows`` mix strings and numbers in one list, which
Arrow's JSON reader refuses ("Column(/result/rows/[]/[]) changed from string to number"): datasets 3.6
and 4.0 fail to load them. Versions with the ``Json`` feature (huggingface/datasets#8027; 5.2 checked)
then re-read the batch with pandas' ujson and store mixed fields (``result.rows``, and ``meta`` and
``tests``, whose keys differ between records) as JSON text. That re-encoding keeps 10 decimal places
of every float in the batch (272.5999999999999 loads as 272.6), so floats are compared within 1e-9.
Columns a record lacks (another task's fields) load as None.
"""

import json
import math
import os
import subprocess
import sys

import pytest

datasets = pytest.importorskip("datasets")
if not hasattr(datasets, "load_dataset"):  # the repository's own datasets/ folder, seen as a namespace package
    pytest.skip("Hugging Face datasets is not installed", allow_module_level=True)
if not hasattr(datasets, "Json"):
    pytest.skip("our records' mixed-type result rows need datasets' Json feature (huggingface/datasets#8027)",
                allow_module_level=True)

from codegen_data.export.exporter import export_dataset
from codegen_data.pipeline import plan_generation, run_generation

pytestmark = pytest.mark.hf

TASKS = ("text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair")

LOADER = """
import json, sys
import datasets
assert hasattr(datasets, "load_dataset"), "not the Hugging Face datasets library"
out = {}
for label, args, kwargs in json.loads(sys.argv[1]):
    loaded = datasets.load_dataset(*args, **kwargs)
    out[label] = {split: [dict(row) for row in ds] for split, ds in loaded.items()}
print(json.dumps(out))
"""


def load(tmp_path, loads: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf-home"))
    spec = json.dumps([[label, args, kwargs] for label, (args, kwargs) in loads.items()])
    done = subprocess.run([sys.executable, "-I", "-c", LOADER, spec], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def same(loaded, original) -> bool:
    """Equal, floats within 1e-9 (see the module docstring); keys ``datasets`` filled with None are ignored."""
    if isinstance(original, float) or isinstance(loaded, float):
        return isinstance(loaded, (int, float)) and math.isclose(loaded, original, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(original, dict):
        return isinstance(loaded, dict) and all(same(loaded.get(k), v) for k, v in original.items()) \
            and all(v is None for k, v in loaded.items() if k not in original)
    if isinstance(original, list):
        return isinstance(loaded, list) and len(loaded) == len(original) and all(map(same, loaded, original))
    return type(loaded) is type(original) and loaded == original


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("hf") / "ds"
    plan = plan_generation(list(TASKS), n=28, seed=11, splits={"train": 0.6, "validation": 0.2, "test": 0.2})
    run_generation(plan, out, workers=2)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    records = {}
    for name, entry in manifest["splits"].items():
        with (out / entry["file"]).open(encoding="utf-8") as f:
            records[name] = [json.loads(line) for line in f]
    assert all(records.values()), "every split should hold records"
    return out, records


@pytest.fixture(scope="module")
def loaded(dataset, tmp_path_factory):
    out, records = dataset
    chat = tmp_path_factory.mktemp("hf-chat") / "chat"
    export_dataset(out, "chat", chat)
    return load(tmp_path_factory.mktemp("hf-load"), {
        "data_dir": (["json"], {"data_dir": str(out / "data")}),
        "card": ([str(out)], {}),
        "chat": (["json"], {"data_files": {split: str(chat / f"{split}.jsonl") for split in records}}),
    })


def test_load_dataset_json_data_dir_gives_every_split_and_record(dataset, loaded):
    _, records = dataset
    got = loaded["data_dir"]
    assert {s: len(r) for s, r in got.items()} == {s: len(r) for s, r in records.items()}
    for split, recs in records.items():
        for row, rec in zip(got[split], recs):
            assert same(row, rec), rec["id"]


def test_load_dataset_by_the_cards_configs(dataset, loaded):
    _, records = dataset
    got = loaded["card"]
    assert {s: len(r) for s, r in got.items()} == {s: len(r) for s, r in records.items() if r}
    for split, recs in records.items():
        assert [row["id"] for row in got[split]] == [r["id"] for r in recs]


def test_load_an_exported_chat_file(dataset, loaded):
    _, records = dataset
    got = loaded["chat"]
    for split, recs in records.items():
        assert len(got[split]) == len(recs)
        for row, rec in zip(got[split], recs):
            assert row["id"] == rec["id"]
            assert row["messages"] == [{"role": "user", "content": rec["prompt"]}, {"role": "assistant", "content": rec["answer"]}]
            assert same(row["metadata"], {k: v for k, v in rec.items() if k not in ("id", "prompt", "answer")})
