"""Stopping a command from outside, and picking a run up again, end in one line and lose nothing.

- `kill` (SIGTERM) of `generate` is handled as Ctrl-C is: the workers stop without a traceback, the
  message points to --resume, and the resumed run writes the same bytes as an uninterrupted one.
- The workers of a `generate` killed outright (kill -9) exit quietly on their closed pipes.
- Ctrl-C of `evaluate` leaves no traceback from a sandbox process, only the parent's line.
- A damaged shard (bytes that are not UTF-8, a line that is not JSON) is redone on --resume, as a
  torn one is; the result is byte-identical.
- An output path that cannot be a directory, or an interrupted run whose plan cannot be read, is
  named as such, with the way out.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codegen_data.export.dataset import OutputExists
from codegen_data.pipeline import plan_generation, run_generation

from .conftest import alive, children, data_files


def generate_args(out: Path, *extra: str, n: int = 20000) -> list[str]:
    return [sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", str(n), "--seed", "3",
            "-o", str(out), "--workers", "2", *extra]


def wait_for_a_shard(proc: subprocess.Popen, out: Path, seconds: float = 120) -> None:
    shards = out / ".partial" / "shards"
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline and not (shards.exists() and any(shards.rglob("*.jsonl"))):
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def wait_gone(pids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), "helper processes outlived their parent"


def only_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


# --- SIGTERM ------------------------------------------------------------------------------------------

def test_sigterm_stops_generate_as_ctrl_c_does(tmp_path):
    out = tmp_path / "t"
    proc = subprocess.Popen(generate_args(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_a_shard(proc, out)
    helpers = descendants(proc.pid)
    proc.terminate()  # a plain `kill`
    _, stderr = proc.communicate(timeout=60)  # the workers share this stderr: their tracebacks would be here
    assert proc.returncode == 130
    line = only_line(stderr)
    assert line.startswith("interrupted: ") and "--resume" in line, line
    wait_gone(helpers)
    assert (out / ".partial" / "plan.json").exists() and not (out / "manifest.json").exists()
    refused = subprocess.run(generate_args(out), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "add --resume to continue it" in refused.stderr


@pytest.mark.slow
def test_sigterm_then_resume_gives_the_same_bytes(tmp_path):
    ref, out = tmp_path / "reference" / "ds", tmp_path / "ds"  # one name: the card and manifest name the directory
    done = subprocess.run(generate_args(ref, n=1500), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(generate_args(out, n=1500), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for_a_shard(proc, out)
    proc.terminate()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in only_line(stderr)
    resumed = subprocess.run(generate_args(out, "--resume", n=1500), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    assert data_files(out) == data_files(ref)


def test_sigterm_handling_ends_with_the_run(tmp_path):
    """The API installs its SIGTERM handler only for the run, and only over the default action."""
    run_generation(plan_generation(["py_output"], n=2, seed=0), tmp_path / "a", workers=1)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_workers_of_a_killed_generate_exit_quietly(tmp_path):
    out = tmp_path / "t"
    proc = subprocess.Popen(generate_args(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for_a_shard(proc, out)
    helpers = descendants(proc.pid)
    proc.kill()
    _, stderr = proc.communicate(timeout=60)  # returns once the orphaned workers have closed it too
    wait_gone(helpers)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


# --- Ctrl-C of evaluate -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def endless_predictions(tmp_path_factory):
    """A py_synthesis dataset and predictions that loop forever (each runs into its timeout)."""
    root = tmp_path_factory.mktemp("endless")
    run_generation(plan_generation(["py_synthesis"], n=4, seed=0), root / "ds", workers=1)
    with (root / "ds" / "data" / "test.jsonl").open(encoding="utf-8") as f, (root / "loop.jsonl").open("w") as p:
        for line in f:
            record = json.loads(line)
            answer = f"def {record['entry_point']}(*args):\n    while True:\n        pass\n"
            p.write(json.dumps({"id": record["id"], "predictions": [answer] * 3}) + "\n")
    return root / "ds", root / "loop.jsonl"


def test_ctrl_c_of_evaluate_leaves_no_traceback_from_a_sandbox(endless_predictions):
    ds, predictions = endless_predictions
    # As a terminal's Ctrl-C: SIGINT to the command's process group (its helpers have sessions of their own).
    proc = subprocess.Popen([sys.executable, "-m", "codegen_data", "evaluate", str(ds), "--predictions", str(predictions),
                             "--workers", "2", "--timeout", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    servers: list[int] = []
    while time.monotonic() < deadline and len(servers) < 2:
        time.sleep(0.05)
        servers = [p for p in descendants(proc.pid) if b"_forkserver" in _cmdline(p)]
    assert servers, "no sandbox server started"
    time.sleep(0.5)  # each server now runs a program that loops until its timeout
    helpers = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)  # the servers share this stderr, until they exit
    assert proc.returncode == 130
    only_line(stderr)
    wait_gone(helpers)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


# --- damaged shards -----------------------------------------------------------------------------------

PLAN = dict(n=300, seed=9)


@pytest.fixture(scope="module")
def shard_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "ds"
    run_generation(plan_generation(["py_output"], **PLAN), out, workers=2)
    return out


def _interrupted_run(out: Path) -> list[Path]:
    def interrupt(_count, seen=[0]):
        seen[0] += 1
        if seen[0] == 250:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_generation(plan_generation(["py_output"], **PLAN), out, workers=2, progress=interrupt)
    shards = sorted((out / ".partial" / "shards" / "py_output").glob("*.jsonl"))
    assert len(shards) >= 2
    return shards


def _not_utf8_tail(data: bytes) -> bytes:
    return data + b"\xff\n"


def _not_json_line(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[5] = lines[5][:-30]  # a line cut short, its newline kept
    return b"\n".join(lines)


def _line_repeated(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join(lines[:3] + lines[2:])  # valid JSON, but an index out of sequence


@pytest.mark.parametrize("damage", [_not_utf8_tail, _not_json_line, _line_repeated])
def test_a_damaged_shard_is_redone_on_resume(tmp_path, shard_reference, damage):
    out = tmp_path / "ds"
    shards = _interrupted_run(out)
    victim = shards[1]  # the first shard stays good: it is replayed
    victim.write_bytes(damage(victim.read_bytes()))
    resumed = subprocess.run([sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", str(PLAN["n"]),
                              "--seed", str(PLAN["seed"]), "-o", str(out), "--workers", "2", "--resume"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert "resumed" in resumed.stdout  # the good shard before it was kept
    assert data_files(out) == data_files(shard_reference)


# --- output path and saved plan -----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["new", "resume", "overwrite"])
def test_an_output_path_that_cannot_be_a_directory_is_named(tmp_path, mode):
    (tmp_path / "afile").write_text("mine")
    os.symlink("loop2", tmp_path / "loop1")
    os.symlink("loop1", tmp_path / "loop2")
    os.symlink("nowhere", tmp_path / "dangling")
    plan = plan_generation(["py_output"], n=2, seed=0)
    for target, fragment in [("afile/sub", "is under " + str(tmp_path / "afile") + ", which is not a directory"),
                             ("loop1", "is a loop of symbolic links"),
                             ("dangling", "is a symbolic link to nowhere, which does not exist")]:
        with pytest.raises(OutputExists) as caught:
            run_generation(plan, tmp_path / target, workers=1, mode=mode)
        assert fragment in str(caught.value) and "interrupted run" not in str(caught.value)
    assert (tmp_path / "afile").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "dangling", "loop1", "loop2"]


@pytest.mark.parametrize("plan_bytes", [b'{"command": "codegen-data gen', b"\xff\xfe", b"[1, 2]"])
def test_an_interrupted_run_whose_plan_is_damaged_says_so(tmp_path, plan_bytes):
    out = tmp_path / "ds"
    (out / ".partial" / "shards").mkdir(parents=True)
    (out / ".partial" / "plan.json").write_bytes(plan_bytes)
    args = [sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", "2", "-o", str(out), "--workers", "1"]
    for extra in ([], ["--resume"]):
        proc = subprocess.run(args + extra, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        line = only_line(proc.stderr)
        assert f"{out} holds an interrupted run whose .partial/plan.json cannot be read (damaged" in line, line
        assert "add --overwrite to start over" in line and "None" not in line, line
        assert (out / ".partial" / "plan.json").read_bytes() == plan_bytes  # nothing touched
    proc = subprocess.run(args + ["--overwrite"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_a_dataset_whose_manifest_is_damaged_says_so_on_resume(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "manifest.json").write_text("{not json")
    args = [sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", "2", "-o", str(out), "--workers", "1"]
    proc = subprocess.run(args + ["--resume"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    line = only_line(proc.stderr)
    assert "holds a dataset whose manifest.json cannot be read (damaged" in line and "add --overwrite" in line, line
