import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen_data.pipeline import plan_generation, run_generation


def cli(*args: str, cwd: Path | None = None, timeout: float = 300, preexec_fn=None) -> subprocess.CompletedProcess:
    """``codegen-data ARGS`` as a user runs it: a real subprocess, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "codegen_data", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, preexec_fn=preexec_fn)


def one_line_error(proc: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """The error line, after checking the exit code, that it is one line holding ``fragments``, and no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout[-500:], proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def generate(out: Path, tasks=("text_to_sql",), *, n=12, seed=0, workers=1, difficulty="mixed", config=None):
    plan = plan_generation(list(tasks), n=n, seed=seed, difficulty=difficulty, config=config)
    return run_generation(plan, out, workers=workers)


def read_records(out: Path) -> list[dict]:
    with (out / "data" / "test.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def data_files(out: Path) -> dict[str, bytes]:
    """Every file of the dataset; the manifest and card name the directory, so that name is masked."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    for name in ("README.md", "manifest.json"):
        files[name] = files[name].replace(out.name.encode(), b"DIR")
    return files


def children(pid: int) -> list[int]:
    """The children of ``pid`` not yet reaped (none once it is gone)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            continue  # the thread or the process ended meanwhile
    return found


def alive(pid: int) -> bool:
    """``pid`` exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="session")
def sql_dataset(tmp_path_factory):
    """One small dataset of all three SQL tasks, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("sql") / "ds"
    generate(out, ("text_to_sql", "sql_output", "sql_translate"), n=36, seed=3, workers=2)
    return out
