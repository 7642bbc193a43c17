"""A stalled machine does not change the data, nor a verdict.

In the middle of a ``generate``, every child that runs generated programs is stopped (SIGSTOP) for
three deadlines, as a suspended laptop, a swapping machine or a neighbour holding the cores would
stall them. The sandbox counts the missed deadlines, the worker processes those items again, and the
run writes the same bytes as one that was never stalled (see ``codegen_data._deadlines``).

In evaluation, the child running a right answer is stopped past its deadline once: the answer runs
again and passes (``codegen_data.scoring.TIMEOUT_ATTEMPTS``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codegen_data import _deadlines
from codegen_data.benchmarks import CheckRunner, Program
from codegen_data.scoring import Scorer

from .conftest import children, data_files

DEADLINE = 0.5
N = 400


def command(out: Path, config: Path) -> list[str]:
    return [sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", str(N), "--seed", "3",
            "--workers", "1", "--config", str(config), "-o", str(out)]


def below(pid: int, depth: int) -> list[int]:
    """The processes exactly ``depth`` levels below ``pid``."""
    level = [pid]
    for _ in range(depth):
        level = [child for parent in level for child in children(parent)]
    return level


def signalled(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def stall(proc: subprocess.Popen, seconds: float) -> int:
    """Stop every program child of ``proc``'s run as soon as it appears, for ``seconds``, then let
    them go; how many were stopped. The sandbox server kills each at its deadline and runs the rest
    of its batch alone, in a new child, which is stopped in turn: a machine that stalls for a while."""
    stopped: set[int] = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        # generate -> worker -> sandbox server -> the child that runs the programs
        stopped.update(pid for pid in below(proc.pid, 3) if pid not in stopped and signalled(pid, signal.SIGSTOP))
        time.sleep(0.005)
    for pid in stopped:
        signalled(pid, signal.SIGCONT)  # the server has killed it by now, unless it came late
    return len(stopped)


@pytest.mark.slow
def test_a_stalled_machine_does_not_change_the_data(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f"[py_output]\ntimeout = {DEADLINE}\n", encoding="utf-8")
    plain, stalled = tmp_path / "ds-plain", tmp_path / "ds-stalled"  # names not in the path (data_files masks them)
    run = subprocess.run(command(plain, config), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    proc = subprocess.Popen(command(stalled, config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stopped = []
    try:
        while proc.poll() is None and not below(proc.pid, 3):
            time.sleep(0.005)  # until the programs' first child is there
        for _ in range(2):
            # three deadlines: a program's batch run and its run alone both miss theirs
            stopped.append(stall(proc, 3 * DEADLINE))
            time.sleep(0.3)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert stopped[0] >= 2, stopped  # the batch's child and at least one child running a program alone
    reasons = [json.loads(line)["reason"] for line in (stalled / "rejects.jsonl").read_text().splitlines()]
    assert not [reason for reason in reasons if "timeout" in reason or "killed" in reason]
    assert data_files(stalled) == data_files(plain)  # data, rejects, manifest and card


# --- evaluation --------------------------------------------------------------------------------

ANSWER_DEADLINE = 1.0
NAP = "import time\ntime.sleep(0.2)\n"  # a right answer that runs long enough to be caught running
SAMPLE = Path(__file__).resolve().parents[1] / "datasets" / "py-sample" / "data" / "test.jsonl"


def stalled_once(run, seconds: float, sandbox):
    """``run()`` in a thread, while the first child to appear under ``sandbox``'s server (running the
    answer) is stopped for ``seconds``: a machine that stalls once. The result, and how many deadlines
    this process saw missed meanwhile. (Only that server's children: in a full test session, processes
    that other tests left behind may start children of their own meanwhile.)"""
    server = sandbox._server.proc.pid
    before = set(children(server))
    missed = _deadlines.missed()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run)
        end = time.monotonic() + 60
        stopped = None
        while stopped is None and time.monotonic() < end and not future.done():
            stopped = next((pid for pid in children(server) if pid not in before and signalled(pid, signal.SIGSTOP)), None)
            time.sleep(0.002)
        if stopped is not None:
            time.sleep(seconds)
            signalled(stopped, signal.SIGCONT)  # killed at its deadline by now
        return future.result(timeout=120), _deadlines.missed() - missed


def test_a_right_answer_stalled_past_its_deadline_still_passes():
    record = next(r for r in map(json.loads, SAMPLE.read_text(encoding="utf-8").splitlines()) if r["task"] == "py_synthesis")
    with Scorer(timeout=ANSWER_DEADLINE) as scorer:
        assert scorer.judge(record, record["answer"]).passed  # the sandbox is up: its next child is the answer's
        verdict, missed = stalled_once(lambda: scorer.judge(record, NAP + record["answer"]), 2 * ANSWER_DEADLINE,
                                       scorer.sandbox)
    assert missed >= 1  # the first attempt was stopped past its deadline
    assert verdict.passed, verdict


def test_a_benchmark_check_stalled_past_its_deadline_runs_again():
    program = Program(NAP + "def f(x):\n    return x * 2\n", "f", ("21",))
    with CheckRunner(workers=1, timeout=ANSWER_DEADLINE) as runner:
        assert runner.run([Program("def f(x):\n    return x\n", "f", ("1",))])[0].ok  # the sandbox is up
        results, missed = stalled_once(lambda: runner.run([program]), 2 * ANSWER_DEADLINE, runner._sandboxes[0])
    assert missed >= 1
    assert results[0].ok and results[0].calls[0].output == "42", results[0]
