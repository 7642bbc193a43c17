"""Public benchmarks scored as their own harnesses score them: CRUXEval and HumanEval conformance, hostile predictions.

The conformance tests read the public data in ``../shared/external`` beside the checkout (skipped when
it is absent); the hostile-prediction tests build their own one-item benchmarks.
"""

from __future__ import annotations

import codecs
import encodings.aliases
import gzip
import json
from pathlib import Path

import pytest

from codegen_data.benchmarks import (
    BENCHMARKS,
    Program,
    benchmark_report,
    evaluate_cruxeval,
    evaluate_humaneval,
)
from codegen_data.benchmarks.cruxeval import literal, load_cruxeval, plan_check
from codegen_data.sandbox import Sandbox
from codegen_data.task import ConfigError

EXTERNAL = Path(__file__).parents[2].parent / "shared" / "external"
CRUXEVAL = EXTERNAL / "cruxeval"
HUMANEVAL = EXTERNAL / "humaneval" / "HumanEval.jsonl.gz"
needs_external = pytest.mark.skipif(not EXTERNAL.is_dir(), reason=f"public benchmark data not found at {EXTERNAL}")

PUBLISHED = {"output": (34.2, 40.3), "input": (36.0, 45.0)}
"""CRUXEval's published pass@1 / pass@5 (percent) of Code Llama 7B, temperature 0.2, 10 samples."""

REFERENCE_COUNTS = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "cruxeval_reference_counts.json").read_text())
"""Passing samples (of 10, "a" = 10) of sample_0 .. sample_799 under CRUXEval's own evaluate_score and
check_correctness, each check in a plain subprocess with PYTHONHASHSEED=0 (the sandbox's hash seed)."""

FUNCTION_ARGUMENTS = {"sample_344", "sample_364"}
"""CRUXEval-I items whose input holds a function (``lambda x: x.reverse()``): no prediction can pass them
here, since a function cannot reach the program that calls ``f`` without the prediction's code running
there (see codegen_data.py.arguments). Of Code Llama's generations this costs sample_344 its 8 passes."""


def _pass_at(counts: str, k: int, n: int = 10) -> float:
    """pass@k (the unbiased estimator) of items with ``counts`` passing samples of ``n`` each ("a" = 10)."""
    from math import comb

    return sum(1 - comb(n - int(c, 16), k) / comb(n, k) for c in counts) / len(counts)


SHORT = 1.0  # seconds: the time limit of the hostile programs meant to miss it


# -- CRUXEval


@needs_external
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["output", "input"])
def test_cruxeval_reproduces_the_published_scores_item_by_item(mode):
    items, summary = evaluate_cruxeval(CRUXEVAL / "cruxeval.jsonl",
                                       CRUXEVAL / f"codellama-7b-temp0.2-{mode}-generations.json", mode=mode)
    counts = "".join("0123456789a"[sum(item.passed)] for item in items)
    reference = REFERENCE_COUNTS[mode]
    pass1, pass5 = PUBLISHED[mode]
    # CRUXEval's harness reproduces the published scores from these counts ...
    assert abs(100 * _pass_at(reference, 1) - pass1) <= 0.1 and abs(100 * _pass_at(reference, 5) - pass5) <= 0.1
    # ... and ours gives the same counts, but where a function is an item's argument (input mode):
    # arguments pass from the program that runs the prediction to the one that calls f as plain data only
    expected = "".join("0" if mode == "input" and item.id in FUNCTION_ARGUMENTS else c for item, c in zip(items, reference))
    differing = [(item.id, expected[i], counts[i]) for i, item in enumerate(items) if counts[i] != expected[i]]
    assert not differing, f"items whose passing count differs from CRUXEval's harness (id, theirs, ours): {differing[:10]}"
    assert summary["pass@1"] == pytest.approx(_pass_at(expected, 1)) and summary["pass@5"] == pytest.approx(_pass_at(expected, 5))
    assert abs(100 * summary["pass@1"] - pass1) <= 0.1 + 100 * (_pass_at(reference, 1) - _pass_at(expected, 1))
    assert summary["items"] == 800 and summary["predictions"] == 8000
    assert summary["checks"] < 8000  # the ten samples of an item are often the same check


@needs_external
def test_cruxeval_report_has_the_shared_shape(tmp_path):
    data = tmp_path / "cruxeval.jsonl"
    lines = (CRUXEVAL / "cruxeval.jsonl").read_text().splitlines()[:20]
    data.write_text("\n".join(lines) + "\n")
    generations = json.loads((CRUXEVAL / "codellama-7b-temp0.2-output-generations.json").read_text())
    predictions = tmp_path / "generations.json"
    predictions.write_text(json.dumps({json.loads(line)["id"]: generations[json.loads(line)["id"]] for line in lines}))
    report = benchmark_report("cruxeval-output", data, predictions, out=tmp_path / "report.json")
    assert json.loads((tmp_path / "report.json").read_text()) == report
    assert report["summary"]["k"] == [1, 5] and report["dataset"]["name"] == "cruxeval-output"
    expected = REFERENCE_COUNTS["output"][:20]
    assert "".join("0123456789a"[sum(item["passed"])] for item in report["items"]) == expected
    for item in report["items"]:
        assert len(item["passed"]) == len(item["failure"]) == len(item["error"]) == len(item["raw"]) == 10
        assert all((f is None) == p for p, f in zip(item["passed"], item["failure"]))


def test_cruxeval_treats_predictions_as_expressions_as_its_harness_does(tmp_path):
    data = _crux_item(tmp_path, code="def f(text):\n    return text * 2", input="'ab'", output="'abab'")
    predictions = {
        "'abab'": True,            # a literal
        "'ab' * 2": True,          # an expression, evaluated after the code is loaded
        "f('a' + 'b')": True,      # ... which may call f, just not on the item's own input
        "f('ab')": False,          # CRUXEval refuses f(<input>) in an output prediction
        "\"abab\" # the answer": True,
        "'abab', 'not evaluated'": True,  # the rest is the assert's message, as in CRUXEval's check
        "'x' or True": False,      # changes the check's shape: refused
        "'abab": False,            # does not parse
        "'ab' * 3": False,
    }
    items, _ = _run_crux(tmp_path, data, list(predictions), mode="output")
    assert dict(zip(predictions, items[0].passed)) == predictions
    assert items[0].failure[3] == "execution_error" and items[0].failure[7] == "syntax_error"

    data = _crux_item(tmp_path, code="def f(a, b):\n    return a - b", input="5, 2", output="3")
    predictions = {"f(5, 2)": True, "f(b=1, a=4)": True, "f(*[3, 0])": True, "(5, 2)": False, "f(2, 5)": False}
    items, _ = _run_crux(tmp_path, data, list(predictions), mode="input")
    assert dict(zip(predictions, items[0].passed)) == predictions
    assert items[0].failure[3] == "no_answer"


def forged_reports(output: str) -> dict[str, str]:
    """Arguments (what goes between a call's parentheses) whose code, once run, makes a program that
    runs it report ``output`` as its call's value without computing it; ``output`` is public in an
    input task (the prompt shows it)."""
    message = json.dumps({"k": "call", "status": "ok", "output": output, "exception": None, "stdout": ""})
    pipe = f"({message!r} + '\\n' + {json.dumps({'k': 'end'})!r} + '\\n').encode()"
    return {
        "result_pipe": f"__import__('os').write(3, {pipe}) and __import__('os')._exit(0)",
        "repr_replaced": f"__import__('builtins').__setattr__('repr', lambda value: {output!r}) or 0",
        "call_escaped": f"*()) if 0 else ({output}",
        "all_at_once": f"__import__('os').write(3, {pipe}) and __import__('os')._exit(0), "
                       f"__import__('builtins').__setattr__('repr', lambda value: {output!r})",
    }


def test_a_cruxeval_input_prediction_cannot_forge_its_report(tmp_path):
    data = _crux_item(tmp_path, code="def f(text):\n    return text * 2", input="'ab'", output="'abab'")
    forged = forged_reports("'abab'")
    predictions = {**{name: f"f({source})" for name, source in forged.items()}, "honest": "f('ab')", "also_right": "f(*['ab'])"}
    items, summary = _run_crux(tmp_path, data, list(predictions.values()), mode="input")
    passed = dict(zip(predictions, items[0].passed))
    assert passed == {**dict.fromkeys(forged, False), "honest": True, "also_right": True}, items[0].error
    # and the same forgeries as arguments of a program task's input prediction (py_input)
    from codegen_data.scoring import Scorer
    from codegen_data.tasks.py_input import PyInput

    record = {"task": "py_input", "code": "def f(text: str) -> str:\n    return text * 2\n", "entry_point": "f",
              "output": "'abab'"}
    with Scorer(timeout=SHORT) as scorer:
        verdicts = {name: PyInput.score(record, source, scorer) for name, source in {**forged, "honest": "'ab'",
                                                                                     "keyword": "text='ab'"}.items()}
        assert scorer.judge(record, "'ab'").passed
    assert {name: v.passed for name, v in verdicts.items()} == {**dict.fromkeys(forged, False), "honest": True, "keyword": True}, verdicts


def test_the_sandbox_finds_every_codec_python_has():
    # CRUXEval's sample_566 encodes with "shift_jis": the check must find the codec in the sandbox as it
    # does outside, where a codec loads from disk on first use (a sandboxed child cannot read /root).
    names = sorted({name for name in set(encodings.aliases.aliases.values()) if _has_codec(name)})
    code = ("import codecs\nmissing = []\n"
            f"for name in {names!r}:\n"
            "    try:\n        codecs.lookup(name)\n    except LookupError:\n        missing.append(name)\n"
            "print(missing)\n")
    with Sandbox() as sandbox:
        result = sandbox.run_snippet(code)
    assert result.ok and result.stdout == "[]\n", f"codecs the sandbox server should import before forking: {result.stdout}"


def _has_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def test_literal_parses_reprs_of_plain_data_only():
    assert literal("[(4, 1), {'a': None}, {1, 2}, set(), frozenset({3}), -1.5, (1+2j), b'x', inf]") == (
        True, [(4, 1), {"a": None}, {1, 2}, set(), frozenset({3}), -1.5, 1 + 2j, b"x", float("inf")])
    for text in ("<__sandbox__.A object at 0x7f>", "f(1)", "[1, 2] * 3", "defaultdict(<class 'list'>, {})", "[[...]]", "x"):
        assert literal(text) == (False, None)


# -- HumanEval


@needs_external
def test_humaneval_canonical_solutions_pass_and_empty_completions_fail(tmp_path):
    with gzip.open(HUMANEVAL, "rt") as f:
        problems = [json.loads(line) for line in f]
    assert len(problems) == 164
    for name, completion in (("canonical", lambda p: p["canonical_solution"]), ("empty", lambda p: "")):
        samples = tmp_path / f"{name}.jsonl"
        samples.write_text("".join(json.dumps({"task_id": p["task_id"], "completion": completion(p)}) + "\n" for p in problems))
        items, summary = evaluate_humaneval(HUMANEVAL, samples)
        assert [item.id for item in items] == [p["task_id"] for p in problems]
        assert summary["passed"] == (164 if name == "canonical" else 0), [i.error for i in items if i.passed != [name == "canonical"]][:5]
        assert summary["pass@1"] == (1.0 if name == "canonical" else 0.0)
        assert summary["pass@10"] is None  # one sample per problem: no pass@10, as HumanEval's harness


def test_humaneval_requires_every_problem_unless_told(tmp_path):
    data = _humaneval_problems(tmp_path, 2)
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "T/0", "completion": "    return a + b\n"}) + "\n")
    with pytest.raises(ConfigError, match="attempts 1 of 2"):
        evaluate_humaneval(data, samples)
    items, summary = evaluate_humaneval(data, samples, ignore_incomplete=True)
    assert [item.id for item in items] == ["T/0"] and summary["pass@1"] == 1.0


# -- hostile predictions: each scores 0, and nothing leaks out


def hostile_expressions(marker: Path) -> dict[str, str]:
    """Hostile CRUXEval predictions (expressions), by what they try."""
    forged = (b'{"k": "load", "ok": true, "stdout": ""}\n{"k": "call", "status": "ok", "output": "True", '
              b'"exception": null, "stdout": ""}\n{"k": "end"}\n')
    return {
        "writes_a_file": f"(open({str(marker)!r}, 'w').write('pwned'), 'x')[1]",
        "infinite_loop": "[x for x in iter(int, 1)]",
        "exits_before_the_check": "__import__('os')._exit(0)",
        "raises_system_exit": "(_ for _ in ()).throw(SystemExit(0))",
        "prints_a_pass_marker": "(print('passed'), print('ok'), 'passed')[2]",
        "forges_the_result_pipe": f"(__import__('os').write(3, {forged!r}), __import__('os')._exit(0))",
        "equals_everything": "type('AlwaysEqual', (), {'__eq__': lambda s, o: True, '__hash__': None})()",
        "prints_like_the_answer": "type('Liar', (), {'__repr__': lambda s: \"'abab'\"})()",
    }


@pytest.mark.parametrize("mode", ["output", "input"])
def test_hostile_cruxeval_predictions_score_zero(tmp_path, mode):
    marker = tmp_path / "pwned"
    data = _crux_item(tmp_path, code="def f(text):\n    return text * 2", input="'ab'", output="'abab'")
    hostile = hostile_expressions(marker)
    predictions = list(hostile.values()) if mode == "output" else [f"f({p})" for p in hostile.values()]
    items, summary = _run_crux(tmp_path, data, predictions, mode=mode, timeout=SHORT)
    assert dict(zip(hostile, items[0].passed)) == dict.fromkeys(hostile, False), items[0].error
    assert items[0].failure[list(hostile).index("infinite_loop")] == "timeout"
    assert summary["pass@1"] == 0.0
    assert not marker.exists()


def test_hostile_humaneval_completions_score_zero(tmp_path):
    marker = tmp_path / "pwned"
    data = _humaneval_problems(tmp_path, 1)
    hostile = {
        "writes_a_file": f"    open({str(marker)!r}, 'w').write('pwned')\n    return a + b\n",
        "infinite_loop": "    while True:\n        pass\n",
        "exits_before_the_check": "    return a + b\nimport os\nos._exit(0)\n",
        "exits_in_the_check": "    import os\n    os._exit(0)\n",
        "raises_system_exit": "    raise SystemExit(0)\n",
        "prints_a_pass_marker": "    print('passed')\n    return 0\nprint('passed')\n",
        "equals_everything": "    return type('AlwaysEqual', (), {'__eq__': lambda s, o: True})()\n",
    }
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "T/0", "completion": c}) + "\n" for c in hostile.values()))
    items, _ = evaluate_humaneval(data, samples, timeout=SHORT, ks=(1,))
    verdicts = dict(zip(hostile, items[0].passed))
    # An object equal to everything passes HumanEval's own `assert candidate(...) == 5` too: it is no
    # exploit of ours, and stays scored as HumanEval scores it.
    assert verdicts.pop("equals_everything") is True
    assert verdicts == dict.fromkeys(verdicts, False), items[0].error
    assert not marker.exists()


# -- bad input


def test_bad_files_raise_one_line_config_errors(tmp_path):
    data = _crux_item(tmp_path, code="def f(x):\n    return x", input="1", output="1")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    wrong_ids = tmp_path / "wrong.json"
    wrong_ids.write_text(json.dumps({"sample_9": ["1"]}))
    not_lists = tmp_path / "not_lists.json"
    not_lists.write_text(json.dumps({"sample_0": "1"}))
    for predictions in (tmp_path / "missing.json", bad_json, wrong_ids, not_lists):
        with pytest.raises(ConfigError) as info:
            evaluate_cruxeval(data, predictions, mode="output")
        assert "\n" not in str(info.value)
    with pytest.raises(ConfigError):
        evaluate_cruxeval(tmp_path / "missing.jsonl", wrong_ids, mode="output")
    with pytest.raises(ConfigError):
        evaluate_cruxeval(data, wrong_ids, mode="sideways")
    with pytest.raises(ConfigError):
        evaluate_humaneval(bad_json, bad_json)
    with pytest.raises(ConfigError):
        benchmark_report("mbpp", data, bad_json)
    assert set(BENCHMARKS) == {"cruxeval-output", "cruxeval-input", "humaneval"}


def test_the_sandboxed_program_holds_the_prediction_but_not_the_expected_output(tmp_path):
    items = load_cruxeval(_crux_item(tmp_path, code="def f(x):\n    return x", input="1", output="'SECRET-1234'"))
    program = plan_check(items[0], "('a' +\n 'b')", "output")
    assert isinstance(program, Program) and "SECRET-1234" not in program.code and "'a' +\n 'b'" in program.code


# -- helpers


def _crux_item(tmp_path: Path, **item: str) -> Path:
    path = tmp_path / "cruxeval.jsonl"
    path.write_text(json.dumps({"id": "sample_0", **item}) + "\n")
    return path


def _run_crux(tmp_path: Path, data: Path, predictions: list[str], **options):
    path = tmp_path / "generations.json"
    path.write_text(json.dumps({"sample_0": predictions}))
    return evaluate_cruxeval(data, path, **options)


def _humaneval_problems(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "problems.jsonl"
    problems = [{"task_id": f"T/{i}", "prompt": "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n",
                 "entry_point": "add", "canonical_solution": "    return a + b\n",
                 "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"}
                for i in range(n)]
    path.write_text("".join(json.dumps(p) + "\n" for p in problems))
    return path


def test_literal_arguments_reach_the_function_as_written(tmp_path):
    """A set written as a literal iterates in the order CPython gives the literal as written, as in
    CRUXEval's harness ({7, 15} lists as [15, 7], {15, 7} as [7, 15]), not in an order rebuilt from
    its printed form; an expression's value still goes through the first program."""
    data = _crux_item(tmp_path, code="def f(s):\n    return list(s)", input="{7, 15}", output=repr(list({7, 15})))
    predictions = {"f({7, 15})": True, "f({15, 7})": list({15, 7}) == list({7, 15}), "f(s={7, 15})": True,
                   "f(*[{7, 15}])": True}
    items, _ = _run_crux(tmp_path, data, list(predictions), mode="input")
    assert dict(zip(predictions, items[0].passed)) == predictions, items[0].error
    from codegen_data.scoring import Scorer
    from codegen_data.tasks.py_input import PyInput

    record = {"task": "py_input", "code": "def f(s: set) -> list:\n    return list(s)\n", "entry_point": "f",
              "output": repr(list({7, 15}))}
    with Scorer(timeout=SHORT) as scorer:
        assert PyInput.score(record, "{7, 15}", scorer).passed
        assert PyInput.score(record, "{15, 7}", scorer).passed is (list({15, 7}) == list({7, 15}))
        # inf and nan from an expression come back as literals that need no name (float may be redefined)
        record = {"task": "py_input", "code": "float = int\ndef f(x: float) -> bool:\n    return x > 10 ** 400\n",
                  "entry_point": "f", "output": "True"}
        assert PyInput.score(record, "1e400 + 0", scorer).passed
