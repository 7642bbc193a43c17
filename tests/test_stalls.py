"""A stalled machine does not change the data.

In the middle of a ``generate``, every child that runs generated programs is stopped (SIGSTOP) for
three deadlines, as a suspended laptop, a swapping machine or a neighbour holding the cores would
stall them. The sandbox counts the missed deadlines, the worker processes those items again, and the
run writes the same bytes as one that was never stalled (see ``codegen_data._deadlines``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
