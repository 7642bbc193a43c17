"""The Python function generator: deterministic, valid, terminating programs with English statements.

Generated programs never run in this process: ``run_programs`` writes a driver to a temporary file and
runs batches of programs in ``python -I`` subprocesses (each call under an alarm, so a hang shows up as
a timeout instead of stalling the suite).
"""

from __future__ import annotations

import ast
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen_data.grammar import load_grammar
from codegen_data.py.analysis import analyze
from codegen_data.py.generator import DIFFICULTIES, Program, _generate, generate_program

GRAMMAR = load_grammar("python")
SEEDS = 300  # per level
RAISE_SEEDS = 100  # per level, with allow_raise

_DRIVER = r"""
import json, signal, sys, time

def _alarm(signum, frame):
    raise TimeoutError("timeout")

signal.signal(signal.SIGALRM, _alarm)
results = []
for code, entry, inputs in json.loads(sys.stdin.read()):
    outs = []
    start = time.process_time()  # CPU: a stall of the machine is not the program's
    try:
        namespace = {}
        exec(compile(code, "<program>", "exec"), namespace)
        fn = namespace[entry]
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        for src in inputs:
            args = eval("(" + src + ",)", {})
            try:
                outs.append(["ok", repr(fn(*args))])
            except TimeoutError:
                raise
            except Exception as e:
                outs.append(["raise", type(e).__name__])
    except TimeoutError:
        outs.append(["timeout", ""])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    results.append({"outs": outs, "seconds": time.process_time() - start})
sys.stdout.write(json.dumps(results))
"""


def run_programs(jobs: list[tuple[str, str, list[str]]], *, chunk: int = 200) -> list[dict]:
    """Run ``(code, entry_point, inputs)`` jobs in isolated subprocesses; per job ``{"outs": [[status, text],
    ...], "seconds": float}`` (CPU seconds) with status "ok" (text = repr of the result), "raise" (the exception type)
    or "timeout"."""
    fd, path = tempfile.mkstemp(suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(_DRIVER)

    def run(part: list) -> list[dict]:
        proc = subprocess.run(
            [sys.executable, "-I", path],
            input=json.dumps(part),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)

    try:
        parts = [jobs[i : i + chunk] for i in range(0, len(jobs), chunk)]
        with ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
            return [r for rs in pool.map(run, parts) for r in rs]
    finally:
        os.unlink(path)


def _seed(level: str, seed: int, allow_raise: bool) -> random.Random:
    return random.Random(f"{level}/{seed}/{allow_raise}")


@cache
def corpus(allow_raise: bool = False) -> list[tuple[Program, list[str]]]:
    """Programs with their modeled outcomes, every level, generated once per session."""
    n = RAISE_SEEDS if allow_raise else SEEDS
    return [_generate(_seed(lvl, s, allow_raise), lvl, GRAMMAR, allow_raise) for lvl in DIFFICULTIES for s in range(n)]


@cache
def executed(allow_raise: bool = False) -> list[dict]:
    return run_programs([(p.code, p.entry_point, list(p.inputs)) for p, _ in corpus(allow_raise)])


def programs(allow_raise: bool = False) -> list[Program]:
    return [p for p, _ in corpus(allow_raise)]


# --- the API --------------------------------------------------------------------------------------


def test_unknown_difficulty_raises():
    with pytest.raises(ValueError, match="difficulty"):
        generate_program(random.Random(0), difficulty="extreme", grammar=GRAMMAR)


@pytest.mark.parametrize("level", DIFFICULTIES)
@pytest.mark.parametrize("allow_raise", [False, True])
def test_same_seed_same_program(level, allow_raise):
    for seed in range(20):
        a = generate_program(random.Random(seed), difficulty=level, grammar=GRAMMAR, allow_raise=allow_raise)
        b = generate_program(random.Random(seed), difficulty=level, grammar=GRAMMAR, allow_raise=allow_raise)
        assert a == b


def test_different_seeds_give_different_programs():
    for level in DIFFICULTIES:
        codes = {generate_program(random.Random(s), difficulty=level, grammar=GRAMMAR).code for s in range(60)}
        assert len(codes) >= 50, level


def test_fields_agree_with_the_code():
    for p in programs() + programs(True):
        assert p.code.endswith("\n") and "\t" not in p.code
        tree = ast.parse(p.code)
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert functions[-1].name == p.entry_point
        assert p.signature in p.code.splitlines()
        assert p.signature == f"def {p.entry_point}({', '.join(f'{n}: {t}' for n, t in p.params)}) -> {p.returns}:"
        assert [a.arg for a in functions[-1].args.args] == [n for n, _ in p.params]
        assert all(line[: len(line) - len(line.lstrip())].count(" ") % 4 == 0 for line in p.code.splitlines())
        assert p.features == analyze(p.code).constructs
        assert not analyze(p.code).has_error
        assert p.difficulty in DIFFICULTIES
        assert not re.search(r"\b(import|exec|eval|open|hash|id|print|input|globals|float)\b\s*\(?", p.code)
        assert _sets_are_sorted_or_counted(tree), p.code


def _sets_are_sorted_or_counted(tree: ast.AST) -> bool:
    """Every set (literal, comprehension or set() call) is the argument of sorted() or len(): no set order
    can reach an output."""
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("sorted", "len"):
            allowed.update(id(a) for a in node.args)
    for node in ast.walk(tree):
        is_set = isinstance(node, (ast.Set, ast.SetComp)) or (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "set"
        )
        if is_set and id(node) not in allowed:
            return False
    return True


def test_generation_does_not_depend_on_the_hash_seed():
    script = (
        "import dataclasses, json, random\n"
        "from codegen_data.grammar import load_grammar\n"
        "from codegen_data.py.generator import generate_program\n"
        "g = load_grammar('python')\n"
        "ps = [generate_program(random.Random(s), difficulty=l, grammar=g, allow_raise=s % 2 == 0)\n"
        "      for l in ('easy', 'medium', 'hard') for s in range(25)]\n"
        "print(json.dumps([dataclasses.asdict(p) for p in ps]))\n"
    )
    outs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1")
    ]  # fmt: skip
    assert outs[0] == outs[1] and len(outs[0]) > 1000


def test_inputs_are_distinct_literal_argument_lists():
    non_ascii = empty = 0
    for p in programs():
        assert len(p.inputs) >= 15 and len(set(p.inputs)) == len(p.inputs)
        for src in p.inputs:
            args = ast.literal_eval(f"({src},)")
            assert len(args) == len(p.params)
            non_ascii += any(ord(ch) > 127 for ch in src)
            empty += src in ("[]", "''", "{}") or src.startswith(("[], ", "'', ", "{}, "))
    assert non_ascii > 100 and empty > 100


# --- descriptions ---------------------------------------------------------------------------------

_CODE_TOKENS = re.compile(r"==|!=|<=|>=|\[|\]|\bdef |\blambda\b|\w\.\w+\(|\w\(|\+=|\breturn\s*\(|%|//|\*\*")


def _words_outside_quotes(text: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "Q", text)


def test_descriptions_read_as_english():
    for p in programs() + programs(True):
        d = p.description
        assert d[0].isupper() and d.endswith("."), d
        plain = _words_outside_quotes(d)
        assert not _CODE_TOKENS.search(plain), d
        names = {n for n, _ in p.params}
        for word in re.findall(r"\b\w*_\w*\b", plain):
            assert word in names, (word, d)
        for name, _ in p.params:
            assert re.search(rf"\b{re.escape(name)}\b", plain), (name, d)


def test_descriptions_mention_raised_errors():
    for p in programs(True):
        assert ("Raise " in p.description) == p.raises


# --- running the programs -------------------------------------------------------------------------


def _check_run(allow_raise: bool) -> tuple[int, int, int, int]:
    calls = unintended = varied = raising_some = 0
    for (p, model), result in zip(corpus(allow_raise), executed(allow_raise)):
        outs = result["outs"]
        assert result["seconds"] < 0.1, (p.code, result["seconds"])
        assert all(status != "timeout" for status, _ in outs), p.code
        calls += len(outs)
        intended = {"ValueError", "TypeError", "IndexError"} if p.raises else set()
        unintended += sum(1 for status, text in outs if status == "raise" and text not in intended)
        oks = [text for status, text in outs if status == "ok"]
        for text in oks:
            assert repr(ast.literal_eval(text)) == text
        varied += len(set(oks)) >= 2
        raised = sum(status == "raise" for status, _ in outs)
        raising_some += 0 < raised < len(outs)
        # the generator's own model of the program agrees with the real run, input by input
        real = [("ok:" + text) if status == "ok" else "raise:" + text for status, text in outs]
        assert real == model, (p.code, p.inputs, real, model)
    return calls, unintended, varied, raising_some


def test_programs_run_cleanly_and_vary():
    _, unintended, varied, _ = _check_run(False)
    n = len(corpus(False))
    assert unintended == 0
    assert varied >= 0.9 * n


def test_allow_raise_raises_for_some_inputs():
    _, unintended, varied, raising_some = _check_run(True)
    n = len(corpus(True))
    assert unintended == 0
    assert sum(p.raises for p in programs(True)) >= 0.6 * n
    assert raising_some >= 0.6 * n
    assert varied >= 0.9 * n
    assert not any(p.raises for p in programs(False))


# --- coverage and difficulty ----------------------------------------------------------------------


def test_constructs_are_varied():
    counts = collections.Counter(f for p in programs() + programs(True) for f in p.features)
    plain = {f for f in counts if ":" not in f}
    assert len(counts) >= 60 and len(plain) >= 20
    needed = {
        "for_loop", "for_range", "for_enumerate", "for_zip", "for_items", "while_loop", "if", "elif", "if_else",
        "list_comprehension", "dict_comprehension", "set_comprehension", "generator_expression",
        "conditional_expression", "lambda", "recursion", "helper_call", "early_return", "raise", "slicing",
        "indexing", "boolean_logic", "negation", "chained_comparison", "membership", "arithmetic", "floor_division",
        "modulo", "tuple_unpacking", "augmented_assignment",
    }  # fmt: skip
    assert needed <= plain, needed - plain
    str_methods = {f for f in counts if f.startswith("str_method:")}
    list_methods = {f for f in counts if f.startswith("list_method:")}
    dict_methods = {f for f in counts if f.startswith("dict_method:")}
    builtins = {f for f in counts if f.startswith("builtin:")}
    assert len(str_methods) >= 20, str_methods
    assert len(list_methods) >= 6, list_methods
    assert len(dict_methods) >= 5, dict_methods
    assert len(builtins) >= 15, builtins


def test_size_and_depth_grow_with_level():
    by_level = collections.defaultdict(list)
    for p in programs():
        by_level[p.difficulty].append(analyze(p.code))
    nodes = [sum(a.node_count for a in by_level[lvl]) / len(by_level[lvl]) for lvl in DIFFICULTIES]
    depth = [sum(a.depth for a in by_level[lvl]) / len(by_level[lvl]) for lvl in DIFFICULTIES]
    assert nodes[0] < nodes[1] < nodes[2]
    assert depth[0] < depth[1] < depth[2]
    assert max(a.depth for a in by_level["easy"]) <= 1
    assert all(a.depth == 2 for a in by_level["medium"])
    assert all(a.depth == 3 for a in by_level["hard"])
    hard = [p for p in programs() if p.difficulty == "hard"]
    assert all({"helper_function", "while_loop", "recursion"} & set(p.features) for p in hard)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(DIFFICULTIES), st.booleans())
def test_generation_is_deterministic_and_valid(seed, level, allow_raise):
    a = generate_program(random.Random(seed), difficulty=level, grammar=GRAMMAR, allow_raise=allow_raise)
    b = generate_program(random.Random(seed), difficulty=level, grammar=GRAMMAR, allow_raise=allow_raise)
    assert a == b
    ast.parse(a.code)
    assert not analyze(a.code).has_error
    assert len(set(a.inputs)) >= 15
