"""Each program task: bad configs raise, same seed same items, and an independent oracle (a plain
``python3 -I`` subprocess, not our sandbox) reproduces every recorded output."""

import ast
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codegen_data.registry import get_task
from codegen_data.task import ConfigError, Reject

from ..conftest import generate, read_records

PY_TASKS = ["py_output", "py_input", "py_synthesis", "py_repair"]

ORACLE = r'''
import json, sys
cases = json.load(sys.stdin)
out = []
for code, entry, args in cases:
    ns = {}
    exec(code, ns)
    try:
        out.append(["ok", repr(eval(f"{entry}({args})", ns))])
    except Exception as e:
        out.append(["raises", type(e).__name__])
print(json.dumps(out))
'''


def oracle(cases):
    """Run (code, entry_point, input) cases in one plain `python3 -I` subprocess."""
    proc = subprocess.run([sys.executable, "-I", "-c", ORACLE], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=120, env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check_tests_against_oracle(records):
    cases, expected = [], []
    for r in records:
        for t in r["tests"] + r.get("examples", []):
            cases.append([r["code"], r["entry_point"], t["input"]])
            expected.append(["ok", t["output"]] if "output" in t else ["raises", t["raises"]])
    got = oracle(cases)
    assert got == expected


@pytest.fixture(scope="module")
def py_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("py") / "ds"
    generate(out, PY_TASKS, n=24, seed=5, workers=2)
    return out


@pytest.mark.parametrize("name", PY_TASKS)
@pytest.mark.parametrize(
    "options, message",
    [
        ({"tests": 0}, "tests must be between 1 and 50"),
        ({"hidden_tests": 99}, "hidden_tests must be between 1 and 50"),
        ({"timeout": -1}, "timeout must be in (0, 60]"),
        ({"memory_mb": 8}, "memory_mb must be between 64 and 1048576"),
        ({"timeout": "fast"}, "timeout must be float"),
        ({"speed": 3}, "unknown option 'speed'"),
    ],
)
def test_bad_configs_raise_a_clear_error(name, options, message):
    cls = get_task(name)
    with pytest.raises(ConfigError) as err:
        cls.config_class.from_dict(name, options)
    assert message in str(err.value)


@pytest.mark.parametrize("name", PY_TASKS)
def test_same_seed_same_candidates(name):
    cls = get_task(name)
    a, b, c = (cls(cls.config_class(), seed=s) for s in (9, 9, 10))

    def codes(task):
        return [x.reason if isinstance(x, Reject) else x.program.code for x in map(task.generate, range(8))]

    assert codes(a) == codes(b)
    assert codes(a) != codes(c)


@pytest.mark.parametrize("name", PY_TASKS)
def test_a_chunk_at_once_gives_what_each_item_gives_alone(name):
    """process_many runs a chunk's programs in shared sandboxed children; every outcome is the same."""
    cls = get_task(name)
    task = cls(cls.config_class(timeout=5.0), seed=3)
    alone = [task.process(i) for i in range(20, 32)]
    assert task.process_many(range(20, 32)) == alone
    assert task.process_many([31, 20, 25]) == [alone[11], alone[0], alone[5]]
    assert any(not isinstance(outcome, Reject) for outcome in alone)


def test_records_follow_the_contract(py_dataset):
    records = read_records(py_dataset)
    assert [r["task"] for r in records] == [t for t in PY_TASKS for _ in range(6)]
    for r in records:
        assert {"id", "task", "prompt", "answer", "difficulty", "features", "meta", "code", "entry_point", "tests"} <= set(r)
        assert r["difficulty"] in {"easy", "medium", "hard"}
        assert r["tests"] and all("input" in t and ("output" in t or "raises" in t) for t in r["tests"])
        for t in r["tests"]:
            if "output" in t:
                assert repr(ast.literal_eval(t["output"])) == t["output"]
    by_task = {}
    for r in records:
        by_task.setdefault(r["task"], []).append(r)
    for r in by_task["py_output"]:
        assert {"input": r["input"], "output": r["answer"]} in r["tests"]
        assert f"{r['entry_point']}({r['input']})" in r["prompt"]
    for r in by_task["py_input"]:
        assert {"input": r["answer"], "output": r["output"]} in r["tests"]
    for r in by_task["py_synthesis"]:
        assert len(r["tests"]) >= 10 and len(r["examples"]) == 3
        assert r["signature"] in r["prompt"] and r["description"] in r["prompt"]
        assert r["code"] not in r["prompt"]
        assert len({t["output"] for t in r["tests"] if "output" in t}) >= 2  # no constant function passes them
    for r in by_task["py_repair"]:
        assert r["buggy_code"] != r["answer"] and r["buggy_code"] in r["prompt"]
        assert len(r["tests"]) >= 10


def test_an_independent_python_reproduces_every_label(py_dataset):
    check_tests_against_oracle(read_records(py_dataset))


def test_repair_mutants_really_fail_a_hidden_test(py_dataset):
    records = [r for r in read_records(py_dataset) if r["task"] == "py_repair"]
    for r in records:
        got = oracle([[r["buggy_code"], r["entry_point"], t["input"]] for t in r["tests"]])
        expected = [["ok", t["output"]] if "output" in t else ["raises", t["raises"]] for t in r["tests"]]
        assert got != expected, r["id"]


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_property_any_seed_gives_records_an_oracle_confirms(tmp_path_factory, seed):
    out = tmp_path_factory.mktemp("pyprop") / "ds"
    generate(out, PY_TASKS, n=4, seed=seed)
    records = read_records(out)
    assert len(records) == 4
    check_tests_against_oracle(records)


def test_synthesis_hidden_tests_that_one_constant_passes_are_rejected():
    """The examples take each outcome's first test; what is left hidden must still return two values."""
    cls = get_task("py_synthesis")
    task = cls(cls.config_class(hidden_tests=4), seed=0)
    # 1 and 2 appear once each, so both become examples and only 0 is left hidden
    rare = ("ok:0", "ok:1", "ok:0", "ok:2", "ok:0", "ok:0", "ok:0")
    assert task.modeled_triviality(rare, 7).reason == "constant_hidden_tests"
    assert task.modeled_triviality(("ok:0", "ok:1", "ok:0", "ok:1", "ok:0", "ok:0", "ok:0"), 7) is None
    assert task.modeled_triviality(("raise:ValueError", "ok:1", "ok:2", "raise:ValueError", "ok:1", "ok:2", "ok:1"), 7) is None
    hidden = [{"input": "1", "output": "0"}, {"input": "2", "raises": "ValueError"}]
    assert task.hidden_triviality(hidden).reason == "constant_hidden_tests"
    assert task.hidden_triviality(hidden + [{"input": "3", "output": "5"}]) is None
    # the real runs decide too: candidates the model passed are checked again on what really ran
    candidates = [c for c in map(task.candidate, range(40)) if not isinstance(c, Reject)]
    dropped = [c for c in map(task.generate, range(40)) if isinstance(c, Reject) and c.reason == "constant_hidden_tests"]
    assert candidates and dropped, "seed 0 no longer covers both cases"
    for candidate, execution in zip(candidates, task.execute_many(candidates)):
        assert task.extra_verify(candidate, execution) is None


def test_a_crashing_answer_is_an_execution_error_not_a_timeout():
    """A program that crashes by itself (SIGSEGV) failed as it ran, and is not run again as a time-out is."""
    from codegen_data.benchmarks import verdict_of_failure
    from codegen_data.scoring import Scorer, ran_out

    record = {"task": "py_synthesis", "entry_point": "f", "tests": [{"input": "1", "output": "2"}]}
    crash = "def f(x):\n    import ctypes\n    return ctypes.string_at(0)\n"
    with Scorer(timeout=2.0) as scorer:
        verdict = get_task("py_synthesis").score(record, crash, scorer)
        assert (verdict.failure, verdict.error) == ("execution_error", "killed by SIGSEGV")
        assert get_task("py_synthesis").score(record, "def f(x):\n    return x + 1\n", scorer).passed
    assert verdict_of_failure("killed", "killed by SIGSEGV").failure == "execution_error"
    assert ran_out("killed", "killed by SIGKILL") and ran_out("timeout") and not ran_out("error", "ValueError")


def test_a_benchmark_runs_a_crashed_program_once_and_a_timed_out_one_again():
    from codegen_data.benchmarks import _ran_out
    from codegen_data.sandbox import ProgramResult
    from codegen_data.sandbox.client import CallResult

    assert not _ran_out(ProgramResult("killed", (CallResult("killed"),), "killed by SIGSEGV"))
    assert _ran_out(ProgramResult("killed", (CallResult("killed"),), "killed by SIGKILL"))
    assert _ran_out(ProgramResult("ok", (CallResult("timeout"),)))
    assert not _ran_out(ProgramResult("ok", (CallResult("ok", "1"),)))
