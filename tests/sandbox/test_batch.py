"""Batches of trusted programs in one confined child: the same results as one child each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from codegen_data import _deadlines
from codegen_data.sandbox import Sandbox, run_batches

SHORT = 0.6  # seconds: the deadline of the programs meant to miss it

# (code, entry point, inputs): every way a program can end, each a verdict of its own.
PROGRAMS = [
    ("def f(x):\n    return x * 2\n", "f", ["1", "'ab'"]),
    ("def f(x):\n    return 1 // x\n", "f", ["1", "0"]),
    ("def f(x) return x\n", "f", ["1"]),
    ("raise ValueError('at load')\n", "f", ["1"]),
    ("def f(x):\n    while True: pass\n", "f", ["1", "2"]),
    ("def f(x):\n    print('x' * 100_000)\n", "f", ["1"]),
    ("def f(x):\n    return 'y' * 10**6\n", "f", ["1"]),
    ("import os\ndef f(x):\n    if x: os._exit(0)\n    return x\n", "f", ["0", "1", "2"]),
    ("import sys\ndef f(x):\n    sys.exit(0)\n", "f", ["1"]),
    ("import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n", "f", ["1"]),
    ("def f(x):\n    return len(bytearray(10**10))\n", "f", ["1"]),
    ("import random\ndef f(x):\n    return [random.random() for _ in range(x)]\n", "f", ["2"]),
    ("def f(x):\n    print('hello', x)\n    return hash('abc') % 1000\n", "f", ["1", "2"]),
    ("def g(n):\n    return g(n + 1)\ndef f(x):\n    return g(x)\n", "f", ["1"]),
]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(timeout=SHORT) as sandbox:
        yield sandbox


@pytest.mark.parametrize("method", ["run_batch", "run_many"])
def test_a_batch_or_many_gives_what_each_program_gives_alone(sandbox, method):
    """In one child (run_batch, generated code) or a child each in one request (run_many, untrusted)."""
    alone = [sandbox.run(*program) for program in PROGRAMS]
    assert getattr(sandbox, method)(PROGRAMS) == alone
    assert getattr(sandbox, method)(PROGRAMS[::-1]) == alone[::-1]
    assert {result.status for result in alone} == {"ok", "error", "timeout", "output_limit", "killed"}


def test_a_failing_program_blames_none_of_the_others(sandbox):
    good = ("def f(x):\n    return x + 1\n", "f", ["1"])
    for bad in PROGRAMS[2:11]:
        results = sandbox.run_batch([good, bad, good, good])
        assert [r.calls[0].output for r in (results[0], *results[2:])] == ["2"] * 3, bad[0]
        assert results[1] == sandbox.run(*bad)


def test_each_program_has_its_own_deadline():
    """Four programs of 0.5 s each in a batch under a 1 s deadline: 2 s in all, and none misses its
    deadline (a deadline for the whole batch would: the program past it is then run again alone, so
    only the count of missed deadlines tells). Each has half its deadline to spare, for a loaded machine."""
    slow = ("import time\ndef f(x):\n    time.sleep(0.25)\n    return x\n", "f", ["1", "2"])
    with Sandbox(timeout=1.0) as sandbox:
        missed, started = _deadlines.missed(), time.monotonic()
        results = sandbox.run_batch([slow] * 4)
        assert all(r.ok for r in results) and time.monotonic() - started > 4 * 0.5
        assert _deadlines.missed() == missed


def test_each_program_starts_afresh(sandbox):
    """Module, random state and output budget are per program; a program that leaves anything else
    behind (files, builtins, environment, recursion limit, streams, cwd) ends the batch."""
    leavers = [
        "open('left.txt', 'w').write('x')",
        "import builtins; builtins.len = lambda x: 0",
        "import os; os.environ['LEFT'] = '1'",
        "import sys; sys.setrecursionlimit(50)",
        "import sys, io; sys.stdout = io.StringIO()",
        "import os; os.mkdir('d'); os.chdir('d')",
    ]
    probe = ("import os, random, sys\nleft = globals().get('left')\n"
             "def f(x):\n    print('p' * 40_000)\n"
             "    return left, os.listdir('.'), len('abc'), os.environ.get('LEFT'), sys.getrecursionlimit(),"
             " random.random()\n", "f", ["1"])
    alone = sandbox.run(*probe)
    assert alone.ok
    for code in leavers:
        leaver = (f"left = 1\n{code}\ndef f(x):\n    return x\n", "f", ["1"])
        results = sandbox.run_batch([probe, leaver, probe, probe])
        assert results[1].ok and results[0] == results[2] == results[3] == alone, code


def test_hash_seeds_run_side_by_side():
    code = ("def f(x):\n    return [hash(s) for s in x]\n", "f", ["['a', 'b']"])
    with Sandbox(hash_seed=0) as zero, Sandbox(hash_seed=1) as one:
        first, second = run_batches([(zero, [code, PROGRAMS[0]]), (one, [code, PROGRAMS[0]])])
        assert first == zero.run_batch([code, PROGRAMS[0]]) and second == one.run_batch([code, PROGRAMS[0]])
        assert first[0].calls[0].output != second[0].calls[0].output
        assert first[1] == second[1]
        with pytest.raises(ValueError):
            run_batches([(zero, [code]), (zero, [code])])


def test_a_dead_server_is_replaced_and_the_batch_finishes(sandbox):
    os.killpg(sandbox._server.proc.pid, signal.SIGKILL)
    sandbox._server.proc.wait()
    results = sandbox.run_batch([PROGRAMS[0]] * 3)
    assert [r.calls[0].output for r in results] == ["2"] * 3


def test_the_empty_batch_and_bad_arguments(sandbox):
    assert sandbox.run_batch([]) == []
    with pytest.raises(TypeError):
        sandbox.run_batch([(b"code", "f", [])])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        sandbox.run_batch([("x = 1", "", [])])
    with pytest.raises(ValueError):
        sandbox.run_batch([PROGRAMS[0]], timeout=0)


def test_the_next_batch_reuses_the_child_until_another_fork(sandbox):
    pid = ("import os\ndef f(x):\n    return os.getpid()\n", "f", ["0"])
    first, second = sandbox.run_batch([pid]), sandbox.run_batch([pid, pid])
    assert first[0].calls[0].output == second[0].calls[0].output == second[1].calls[0].output
    sandbox.run(*PROGRAMS[0])  # a single program's fork ends the waiting batch child
    assert sandbox.run_batch([pid])[0].calls[0].output != first[0].calls[0].output


def test_what_a_batch_leaves_behind_does_not_reach_the_next(sandbox):
    writer = ("open('left.txt', 'w').write('x')\ndef f(x):\n    return x\n", "f", ["1"])
    lister = ("import os\ndef f(x):\n    return os.listdir('.')\n", "f", ["1"])
    assert sandbox.run_batch([writer])[0].ok
    assert sandbox.run_batch([lister, lister]) == [sandbox.run(*lister)] * 2
    assert sandbox.run(*lister).calls[0].output == "[]"


def test_a_batch_child_loads_the_program_compiled_once_here(sandbox, monkeypatch):
    """A batched (trusted) program and its calls are compiled here once, for both hash seeds, and the
    child loads those code objects; a set among their constants (hash-ordered in marshal) or a syntax
    error leaves compiling to the child. Untrusted code (run) is always compiled in its child."""
    from codegen_data.sandbox import client

    assert client._bytecode(PROGRAMS[0][0], "f", ("1", "'ab'")) is not None
    assert client._bytecode("def f(x):\n    return x in {'a', 'b'}\n", "f", ("1",)) is None
    assert client._bytecode("def f(x):\n    return [y for y in x if y in {1, 2}]\n", "f", ("1",)) is None
    assert client._bytecode(PROGRAMS[0][0], "f", ("1 in {1, 2}",)) is None
    assert client._bytecode(PROGRAMS[2][0], "f", ("1",)) is None
    assert client._bytecode(PROGRAMS[0][0], "f", ("1,,",)) is None
    # The child runs the code objects it was sent: swapped for another program's, it runs that one.
    other = client._bytecode("def f(x):\n    return 'compiled here'\n", "f", ("1",))
    monkeypatch.setattr(client, "_bytecode", lambda code, entry, inputs: other)
    assert sandbox.run_batch([PROGRAMS[0][:2] + (["7"],)])[0].calls[0].output == "'compiled here'"
    request = {"op": "run", "mode": "call", "code": PROGRAMS[0][0], "entry": "f", "inputs": ["1"],
               "timeout": 5.0, "compiled": other}
    assert sandbox._request(request, 5.0)["calls"][0]["output"] == "2"  # only a batch child takes one
    runs = {"op": "runs", "programs": [{key: value for key, value in request.items() if key != "op"}]}
    assert sandbox._request(runs, 5.0)["calls"][0]["output"] == "2"


def test_programs_are_compiled_as_python_compiles_a_script(sandbox):
    """No __future__ flag of the sandbox's own code reaches a program: an annotation is evaluated at
    definition, as under ``python``, so one naming nothing raises NameError at load."""
    lazy = ("def f(x: Undefined) -> int:\n    return x\n", "f", ["1"])
    alone = sandbox.run(*lazy)
    assert alone.status == "error" and alone.error.startswith("NameError")
    assert sandbox.run_batch([lazy, PROGRAMS[0]]) == [alone, sandbox.run(*PROGRAMS[0])]
    sets = ("def f(x):\n    return [y for y in x if y in {'a', 'b'}]\n", "f", ["['a', 'c', 'b']"])
    calls = ("def f(*x):\n    return x\n", "f", ["1, 'a'", "", "*'ab'", "undefined", "1 // 0"])
    unparsable = ("def f(*x):\n    return x\n", "f", ["1", "1,,"])
    assert sandbox.run_batch([sets, calls, unparsable]) == [sandbox.run(*p) for p in (sets, calls, unparsable)]


def test_a_batch_keeps_asserts_whatever_the_optimization_of_its_caller():
    """The child compiles without -O, so the client compiles for it the same way, even under -O."""
    script = (
        "from codegen_data.sandbox import Sandbox\n"
        "program = ('def f(x):\\n    assert x > 0\\n    return x\\n', 'f', ['-1', '2'])\n"
        "with Sandbox() as sandbox:\n"
        "    batch, alone = sandbox.run_batch([program])[0], sandbox.run(*program)\n"
        "assert batch == alone and batch.calls[0].exception == 'AssertionError', (batch, alone)\n"
    )
    subprocess.run([sys.executable, "-O", "-c", script], check=True, timeout=60)
