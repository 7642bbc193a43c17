"""The public Python API: a small checked __all__, create_dataset as the CLI, score by execution."""

import pytest

import codegen_data
from codegen_data.task import ConfigError

from .conftest import generate, read_records

ALL_TASKS = ["text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair"]


def test_public_api_is_small_and_every_name_resolves():
    assert set(codegen_data.__all__) == {"__version__", "create_dataset", "score", "Scorer", "task_names", "ConfigError", "ResultComparator"}
    for name in codegen_data.__all__:
        assert getattr(codegen_data, name) is not None
    with pytest.raises(AttributeError):
        codegen_data.not_a_thing  # noqa: B018


def test_create_dataset_is_lazy_random_access_and_equals_the_cli(tmp_path):
    ds = codegen_data.create_dataset("py_output", size=6, seed=4)
    assert len(ds) == 6
    assert ds._outcomes is None  # nothing ran yet
    third = ds[2]
    generate(tmp_path / "cli", ("py_output",), n=6, seed=4)
    cli = read_records(tmp_path / "cli")
    assert third == cli[2]
    assert ds[-1] == cli[5] and ds[0:2] == cli[0:2]
    with pytest.raises(IndexError):
        ds[6]
    ds.close()


def test_create_dataset_rejects_bad_options_at_once():
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        codegen_data.create_dataset("text_to_sql", size=2, colour="red")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "ds"
    generate(out, ALL_TASKS, n=14, seed=6, workers=2)
    return read_records(out)


def wrong_answer(record):
    task = record["task"]
    if task in ("text_to_sql", "sql_translate"):
        return "SELECT 1 AS nothing"
    if task == "sql_output":
        return "x\nsurely not this"
    if task == "py_output":
        return repr(("surely", "not", "this"))
    if task == "py_input":
        return "None"
    return f"def {record['entry_point']}(*args):\n    return None\n"


@pytest.mark.parametrize("task", ALL_TASKS)
def test_reference_answers_score_one_and_wrong_answers_zero(records, task):
    with codegen_data.Scorer() as scorer:
        for r in [r for r in records if r["task"] == task]:
            assert scorer.score(r, r["answer"]) == 1.0, r["id"]
            assert scorer.score(r, f"Here you go:\n```\n{r['answer']}\n```\nDone.") == 1.0
            assert scorer.score(r, wrong_answer(r)) == 0.0, r["id"]


def test_hostile_answers_score_zero_and_do_no_harm(records, tmp_path):
    sql = next(r for r in records if r["task"] == "text_to_sql")
    prog = next(r for r in records if r["task"] == "py_synthesis")
    target = tmp_path / "pwned"
    with codegen_data.Scorer() as scorer:
        assert scorer.score(sql, f"COPY (SELECT 1) TO '{target}'") == 0.0
        assert scorer.score(sql, "SELECT * FROM read_csv('/etc/passwd')") == 0.0
        assert scorer.score(prog, f"import os\nos.system('touch {target}')\ndef {prog['entry_point']}(*a):\n    return 0\n") == 0.0
        assert scorer.score(prog, f"def {prog['entry_point']}(*a):\n    while True:\n        pass\n") == 0.0
        assert scorer.score(sql, sql["answer"]) == 1.0  # the scorer still works afterwards
    assert not target.exists()


def test_verdicts_name_why_a_prediction_failed(records):
    sql = next(r for r in records if r["task"] == "text_to_sql")
    prog = next(r for r in records if r["task"] == "py_synthesis")
    out = next(r for r in records if r["task"] == "py_output")
    entry = prog["entry_point"]
    with codegen_data.Scorer() as scorer:
        assert scorer.judge(sql, "SELEC nonsense FROM").failure == "syntax_error"
        assert scorer.judge(sql, "SELECT no_such_column FROM no_such_table").failure == "execution_error"
        assert scorer.judge(sql, "SELECT count(*) FROM range(1000000000000) a, range(1000) b").failure == "timeout"
        assert scorer.judge(sql, "SELECT 1 AS x").failure == "wrong_answer"
        assert scorer.judge(sql, "   ").failure == "no_answer"
        assert scorer.judge(prog, f"def {entry}(:\n").failure == "syntax_error"
        assert scorer.judge(prog, f"def {entry}(*a):\n    raise KeyError('x')\n").failure == "execution_error"
        assert scorer.judge(prog, f"def {entry}(*a):\n    while True:\n        pass\n").failure == "timeout"
        assert scorer.judge(out, "f(").failure == "syntax_error"
        # Integers past Python's cap on decimal digits (4300): no output has one, so they are wrong, not
        # unparseable, and the hex one (which parses, then has no decimal text) must not crash scoring.
        for huge in ("1" * 100_000, "0x" + "f" * 5_000):
            assert scorer.judge(out, huge).failure == "wrong_answer"
        assert scorer.judge(out, out["answer"]).passed
