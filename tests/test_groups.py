"""Structural group keys, split assignment, and what the pipeline does with them."""

import collections
import json
import subprocess
import sys

import pytest

from codegen_data.groups import python_structure_key, sql_structure_key, split_of
from codegen_data.pipeline import parse_splits
from codegen_data.task import ConfigError

from .conftest import read_records


def test_sql_key_masks_literals_but_not_structure():
    assert sql_structure_key("SELECT a FROM t WHERE x = 'b' LIMIT 3") == sql_structure_key("SELECT a FROM t WHERE x = 'zz' LIMIT 50")
    assert sql_structure_key("SELECT a FROM t WHERE x = 1") != sql_structure_key("SELECT a FROM t WHERE x > 1")
    assert sql_structure_key("SELECT a FROM t") != sql_structure_key("SELECT b FROM t")


def test_groups_imports_sqlglot_only_for_the_sql_key():
    # A worker of the program tasks imports groups for the Python key: sqlglot would cost it ~0.1 s.
    code = (
        "import sys, codegen_data.groups as g; g.python_structure_key('x = 1')\n"
        "assert 'sqlglot' not in sys.modules, 'imported early'\n"
        "assert g.sql_structure_key('SELECT a FROM t WHERE x = 1') == g.sql_structure_key('SELECT a FROM t WHERE x = 2')\n"
        "assert 'sqlglot' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_python_key_normalizes_names_constants_and_annotations():
    a = "def f(xs: list[int], k: int) -> int:\n    return len([x for x in xs if x > k]) + 1\n"
    b = "def count_big(values, limit):\n    return len([v for v in values if v > limit]) + 7\n"
    assert python_structure_key(a) == python_structure_key(b)
    assert python_structure_key(a) != python_structure_key(a.replace("x > k", "x < k"))
    assert python_structure_key(a) != python_structure_key(a.replace("len(", "sum("))


def test_split_of_is_a_pure_function_with_the_asked_shares():
    splits = {"train": 0.8, "validation": 0.1, "test": 0.1}
    keys = [f"{i:016x}" for i in range(20000)]
    counts = collections.Counter(split_of(k, splits) for k in keys)
    assert abs(counts["train"] / 20000 - 0.8) < 0.02 and abs(counts["test"] / 20000 - 0.1) < 0.02
    assert [split_of(k, splits) for k in keys[:50]] == [split_of(k, splits) for k in keys[:50]]


@pytest.mark.parametrize(
    "text, message",
    [
        ("train=0.5,test=0.4", "must add up to 1"),
        ("train=0.5,train=0.5", "named twice"),
        ("train", "expected NAME=RATIO"),
        ("train=x,test=1", "not a number"),
        ("tr ain=1", "letters, digits"),
        ("train=0,test=1", "must be in (0, 1]"),
    ],
)
def test_bad_splits_are_clear_errors(text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_splits(text)


@pytest.fixture(scope="module")
def split_dataset(tmp_path_factory):
    from codegen_data.pipeline import plan_generation, run_generation

    out = tmp_path_factory.mktemp("splits") / "ds3"
    plan = plan_generation(["text_to_sql", "py_output"], n=60, seed=8,
                           splits={"train": 0.6, "validation": 0.2, "test": 0.2})
    run_generation(plan, out, workers=2)
    return out


def test_no_group_in_two_splits_and_no_duplicate_within_a_task(split_dataset):
    out = split_dataset
    where: dict[str, set[str]] = collections.defaultdict(set)
    seen = set()
    total = 0
    for split in ("train", "validation", "test"):
        for line in (out / "data" / f"{split}.jsonl").read_text().splitlines():
            r = json.loads(line)
            where[r["group"]].add(split)
            assert (r["task"], r["group"]) not in seen
            seen.add((r["task"], r["group"]))
            total += 1
    assert total == 60
    assert all(len(s) == 1 for s in where.values())
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(v["records"] for v in manifest["splits"].values()) == 60
    card = (out / "README.md").read_text()
    assert "- split: train" in card and "path: data/validation.jsonl" in card


def test_duplicates_are_rejects_with_a_reason_unless_kept(tmp_path):
    from codegen_data.pipeline import plan_generation, run_generation

    # Tiny programs repeat their structure often, so duplicates are certain at this size.
    dedup, kept = tmp_path / "dedup", tmp_path / "kept"
    run_generation(plan_generation(["py_output"], n=40, seed=1, difficulty="easy"), dedup, workers=2)
    run_generation(plan_generation(["py_output"], n=40, seed=1, difficulty="easy", keep_duplicates=True), kept, workers=2)
    rejects = [json.loads(l) for l in (dedup / "rejects.jsonl").read_text().splitlines()]
    dup = [r for r in rejects if r["reason"].startswith("duplicate_")]
    assert dup and all(r["candidate"]["group"] for r in dup)
    groups = [r["group"] for r in read_records(kept)]
    assert len(set(groups)) < len(groups)
    assert len({r["group"] for r in read_records(dedup)}) == 40
