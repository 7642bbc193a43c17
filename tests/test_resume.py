"""Nothing lost: a `generate` killed at any moment (kill -9, Ctrl-C) and rerun with --resume writes the
same bytes as a run that was never interrupted; a worker that crashes costs only its candidate."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codegen_data.pipeline import plan_generation, run_generation

from .conftest import alive, children, data_files

TASKS = "text_to_sql,py_output"
N = 360  # > SHARD candidates per task, so kills land before, between and after committed shards


def command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "codegen_data", "generate", TASKS, "-n", str(N), "--seed", "5",
            "-o", str(out), "--workers", "2", *extra]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "ds"
    started = time.monotonic()
    proc = subprocess.run(command(out), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, time.monotonic() - started


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_gives_the_same_bytes(tmp_path, reference):
    ref, seconds = reference
    out = tmp_path / "ds"
    seed = int(time.time())
    rng = random.Random(seed)
    # Well inside the reference's time: a run can be faster than the reference (which started cold),
    # and one that finishes before its kill leaves nothing for the kills after it. The first kill
    # lands earliest: the first run has no work to resume, and it finished before its kill once the
    # reference happened to run 1.4 times slower.
    moments = [rng.uniform(0.05, 0.3) * seconds] + [rng.uniform(0.2, 0.7) * seconds for _ in range(4)]
    history = []
    shards_dir = out / ".partial" / "shards"
    for k, at in enumerate(moments):
        args = command(out, "--resume") if out.exists() else command(out)
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # The second kill lands soon after a committed shard, however fast the machine (the second
        # run, not the last, so that no run before it can have finished the dataset).
        if k == 1:
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and not (shards_dir.exists() and any(shards_dir.rglob("*.jsonl"))):
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 0.5))
        else:
            time.sleep(at)  # each run resumes the last one's work, so later kills land further on
        workers = children(proc.pid)
        shards = len(list(shards_dir.rglob("*.jsonl"))) if shards_dir.exists() else 0
        proc.kill()
        proc.wait(timeout=30)
        proc.stderr.close()
        deadline = time.monotonic() + 30
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(w) for w in workers), "workers outlived a killed generate"
        history.append((round(at, 2), shards))
    assert sum(1 for _, shards in history if shards) >= 1, f"no kill landed after a committed shard: {history}"
    proc = subprocess.run(command(out, "--resume"), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert data_files(out) == data_files(ref), f"seed {seed}, kills (seconds, shards committed): {history}"
    assert not (out / ".partial").exists()


@pytest.mark.slow
def test_ctrl_c_exits_promptly_says_how_to_resume_and_loses_nothing(tmp_path, reference):
    ref, seconds = reference
    out = tmp_path / "ds"
    # Ctrl-C as a terminal sends it: SIGINT handled as by default, even where this suite was started
    # without job control in the background (`cmd &` in a script), which starts it ignored, inherited.
    proc = subprocess.Popen(command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    shards = out / ".partial" / "shards"
    while time.monotonic() < deadline and not (shards.exists() and any(shards.rglob("*.jsonl"))):
        time.sleep(0.05)  # interrupt once some work is committed
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)  # a hang would fail here, not a slow machine
    assert proc.returncode == 130
    assert "Traceback" not in stderr and "--resume" in stderr, stderr
    assert not (out / "manifest.json").exists()
    refused = subprocess.run(command(out), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "add --resume to continue it" in refused.stderr
    resumed = subprocess.run(command(out, "--resume"), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    assert data_files(out) == data_files(ref)
    again = subprocess.run(command(out, "--resume"), capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and data_files(out) == data_files(ref)  # resuming a finished run changes nothing


@pytest.mark.slow
def test_a_worker_killed_mid_run_costs_only_its_candidate(tmp_path):
    out = tmp_path / "ds"
    proc = subprocess.Popen(command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        time.sleep(0.5)
        workers = [pid for pid in children(proc.pid) if b"codegen_data.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        if workers and (out / ".partial" / "plan.json").exists():
            victim = workers[0]
    assert victim is not None
    time.sleep(0.3)  # early enough that the victim still has candidates the run needs (the run lasts ~2 s)
    os.kill(victim, signal.SIGKILL)  # what the OOM killer does
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert f"kept {N} of" in stdout
    assert "executor_crashed" in (out / "rejects.jsonl").read_text()


def test_an_existing_dataset_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "ds"
    small = [sys.executable, "-m", "codegen_data", "generate", "text_to_sql", "-n", "3", "-o", str(out), "--workers", "1"]
    assert subprocess.run(small, capture_output=True, timeout=300).returncode == 0
    before = (out / "data" / "test.jsonl").read_bytes()
    refused = subprocess.run(small + ["--seed", "1"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [f"Error: {out} already holds a dataset; add --overwrite to replace it, or choose another -o"]
    assert (out / "data" / "test.jsonl").read_bytes() == before and not (out / ".partial").exists()
    other = subprocess.run(small + ["--seed", "1", "--resume"], capture_output=True, text=True, timeout=60)
    assert other.returncode == 2 and "finished dataset of another command" in other.stderr
    both = subprocess.run(small + ["--overwrite", "--resume"], capture_output=True, text=True, timeout=60)
    assert both.returncode == 2 and "exclude each other" in both.stderr
    replaced = subprocess.run(small + ["--seed", "1", "--overwrite"], capture_output=True, text=True, timeout=300)
    assert replaced.returncode == 0, replaced.stderr
    assert (out / "data" / "test.jsonl").read_bytes() != before


def test_resuming_a_run_killed_while_it_removed_its_work_files_finishes_the_removal(tmp_path):
    """The manifest goes into place before .partial is removed: a run killed in between is whole, and
    --resume removes what is left of .partial instead of leaving it."""
    out = tmp_path / "ds"
    small = [sys.executable, "-m", "codegen_data", "generate", "text_to_sql", "-n", "3", "-o", str(out), "--workers", "1"]
    assert subprocess.run(small, capture_output=True, timeout=300).returncode == 0
    before = data_files(out)
    (out / ".partial" / "shards" / "text_to_sql").mkdir(parents=True)  # plan.json already gone, the rest not
    (out / ".partial" / "shards" / "text_to_sql" / "000000000.jsonl").write_text("{}\n")
    (out / ".partial" / "lock").write_text("")
    resumed = subprocess.run(small + ["--resume"], capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert not (out / ".partial").exists() and data_files(out) == before


def test_resume_of_another_command_is_refused(tmp_path):
    out = tmp_path / "ds"
    (out / ".partial" / "shards").mkdir(parents=True)
    (out / ".partial" / "plan.json").write_text('{"command": "codegen-data generate py_output -n 9 --seed 0"}')
    args = [sys.executable, "-m", "codegen_data", "generate", "text_to_sql", "-n", "3", "-o", str(out), "--workers", "1"]
    proc = subprocess.run(args + ["--resume"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "interrupted run of another command (codegen-data generate py_output -n 9 --seed 0)" in proc.stderr
    assert (out / ".partial" / "plan.json").exists()  # nothing of it was touched


def test_a_run_in_progress_is_not_disturbed_by_a_second_one(tmp_path):
    import fcntl

    out = tmp_path / "ds"
    (out / ".partial").mkdir(parents=True)
    with (out / ".partial" / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        args = [sys.executable, "-m", "codegen_data", "generate", "text_to_sql", "-n", "3", "-o", str(out), "--workers", "1"]
        proc = subprocess.run(args + ["--overwrite"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "another codegen-data run is writing to" in proc.stderr, proc.stderr



def test_a_torn_or_empty_shard_is_redone_not_trusted(tmp_path):
    """What a power cut could leave: a shard cut short, an empty one. Resume redoes them."""
    from codegen_data.pipeline import plan_generation, run_generation

    plan = plan_generation(["py_output"], n=300, seed=9)
    reference, out = tmp_path / "reference" / "ds", tmp_path / "ds"
    run_generation(plan, reference, workers=2)

    def interrupt(_count, seen=[0]):
        seen[0] += 1
        if seen[0] == 250:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_generation(plan, out, workers=2, progress=interrupt)
    shards = sorted((out / ".partial" / "shards" / "py_output").glob("*.jsonl"))
    assert len(shards) >= 2
    last = shards[-1]
    last.write_bytes(last.read_bytes()[:-40])  # cut short
    next_start = int(last.stem) + 128
    (last.parent / f"{next_start:09d}.jsonl").write_bytes(b"")  # and an empty one after it
    summary = run_generation(plan, out, workers=2, mode="resume")
    assert 0 < summary.resumed_records < 300
    assert data_files(out) == data_files(reference)


def test_the_finished_dataset_is_flushed_to_disk_before_its_shards_go(tmp_path, monkeypatch):
    import codegen_data.export.dataset as dataset

    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(dataset.os, "fsync", recording_fsync)
    out = tmp_path / "out"
    run_generation(plan_generation(["text_to_sql"], n=3, seed=0), out, workers=1)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "databases" in {f.split("/")[0] for f in files}
    staged = str(out / ".partial" / "final")
    for rel in files:  # each final file was flushed where it was assembled, before it was moved into place
        assert f"{staged}/{rel}" in synced, rel
    assert str(out) in synced  # and the renames that put the dataset in place
    assert synced.index(str(out)) > max(synced.index(f"{staged}/{rel}") for rel in files)
