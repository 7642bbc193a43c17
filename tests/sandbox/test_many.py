"""Several untrusted programs sent at once (Sandbox.run_many): each in a child of its own, the same
results as one run each."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from .test_batch import PROGRAMS, sandbox  # noqa: F401  (sandbox: test_batch's fixture, a server of short deadlines)

# That run_many gives what each program gives alone is test_batch's test, for both methods.


def test_nothing_a_program_does_reaches_the_next(sandbox):
    leaves = ("import builtins, os\nbuiltins.len = lambda x: 99\nos.environ['X'] = '1'\nopen('left', 'w').write('x')\n"
              "def f(x):\n    return len([x])\n", "f", ["1"])
    looks = ("import os\ndef f(x):\n    return len([x]), os.environ.get('X'), os.listdir('.')\n", "f", ["1"])
    results = sandbox.run_many([leaves, looks, leaves, looks])
    assert [r.calls[0].output for r in results] == ["99", "(1, None, [])", "99", "(1, None, [])"]


def test_a_server_that_dies_midway_is_replaced_and_every_program_answered(sandbox):
    slow = ("import time\ndef f(x):\n    time.sleep(0.1)\n    return x\n", "f", ["7"])
    sandbox.run(*PROGRAMS[0])  # a server to kill
    server = sandbox._server
    killer = threading.Timer(0.25, lambda: os.killpg(server.proc.pid, signal.SIGKILL))
    killer.start()
    started = time.monotonic()
    results = sandbox.run_many([slow] * 6)
    killer.join()
    assert [r.calls[0].output for r in results] == ["7"] * 6
    assert sandbox._server is not server and time.monotonic() - started < 10


def test_the_empty_list_and_bad_arguments(sandbox):
    assert sandbox.run_many([]) == []
    with pytest.raises(TypeError):
        sandbox.run_many([(b"code", "f", [])])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        sandbox.run_many([PROGRAMS[0]], timeout=0)
