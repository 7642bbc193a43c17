"""User-named output paths (`evaluate -o`, `report -o`, `bench --json`, `export -o`, `generate -o`):
checked before any work, refused in one line with exit 2 when they cannot or must not be written,
written atomically, and never replacing what is read. Real files, real subprocesses of the CLI."""

from __future__ import annotations

import json
import os
import resource
import stat
from pathlib import Path

import pytest

from .conftest import cli, generate, one_line_error




def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("outpaths") / "ds"
    generate(out, ("py_output",), n=4, seed=1, workers=1)
    return out


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Path:
    """A second dataset with two splits, for exports that must not mix."""
    out = tmp_path_factory.mktemp("outpaths-other") / "other"
    from codegen_data.pipeline import plan_generation, run_generation

    plan = plan_generation(["py_output"], n=4, seed=2, difficulty="mixed", config=None,
                           splits={"train": 0.5, "test": 0.5})
    run_generation(plan, out, workers=1)
    return out


@pytest.fixture
def gold(ds, tmp_path) -> Path:
    path = tmp_path / "gold.jsonl"
    with (ds / "data" / "test.jsonl").open(encoding="utf-8") as f:
        path.write_text("".join(json.dumps({"id": r["id"], "prediction": r["answer"]}) + "\n"
                                for r in map(json.loads, f)), encoding="utf-8")
    return path


def device(tmp_path: Path) -> str:
    """A character device to name as output. Root could replace /dev/full itself were the check to
    fail (as it once did), so as root the test makes its own node (a copy of /dev/full's numbers)
    in ``tmp_path``; anyone else cannot replace /dev/full."""
    if os.geteuid() != 0:
        return "/dev/full"
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return str(node)


def command(which: str, ds: Path, gold: Path, out: str) -> list[str]:
    return {
        "evaluate": ["evaluate", str(ds), "--predictions", str(gold), "-o", out],
        "report": ["report", str(ds), "-o", out],
        "bench": ["bench", "--structures", "py_output:3", "--json", out],
    }[which]


# --- what is at the path ----------------------------------------------------------------------------


CASES = {
    "a directory": ("adir", "is a directory"),
    "a FIFO": ("fifo", "is a named pipe (FIFO), not a regular file"),
    "a device": ("{device}", "is a character device, not a regular file"),
    "a symlink loop": ("loop1", "symlink loop"),
    "a dangling symlink": ("dangling", "is a symbolic link to nowhere/x.json, which does not exist"),
    "an empty path": ("", "path is empty"),
    "a dash": ("-", "cannot be standard output"),
    "a path under a file": ("afile/x.json", "afile is not a directory"),
}


@pytest.mark.parametrize("which", ["evaluate", "report", "bench"])
@pytest.mark.parametrize("case", list(CASES))
def test_an_output_file_that_cannot_be_written_is_refused_before_any_work(ds, gold, tmp_path, which, case):
    target, fragment = CASES[case]
    if target == "{device}":
        target = device(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "adir" / "kept").write_text("mine")
    os.mkfifo(tmp_path / "fifo")
    os.symlink("loop2", tmp_path / "loop1")
    os.symlink("loop1", tmp_path / "loop2")
    os.symlink("nowhere/x.json", tmp_path / "dangling")
    (tmp_path / "afile").write_text("mine")
    before = snapshot(ds)
    one_line_error(cli(*command(which, ds, gold, target), cwd=tmp_path), 2, fragment)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode) and (tmp_path / "afile").read_text() == "mine"
    assert (tmp_path / "adir" / "kept").read_text() == "mine" and not (tmp_path / "-").exists()
    if case == "a device":
        assert stat.S_ISCHR(os.lstat(target).st_mode) and os.lstat(target).st_rdev == os.makedev(1, 7)
    assert os.path.islink(tmp_path / "loop1") and os.path.islink(tmp_path / "dangling")
    assert not (tmp_path / "nowhere").exists() and snapshot(ds) == before


@pytest.mark.parametrize("which", ["evaluate", "report"])
@pytest.mark.parametrize("inside", ["manifest.json", "data/test.jsonl", "README.md", "new.json"])
def test_an_output_file_inside_the_dataset_read_is_refused(ds, gold, tmp_path, which, inside):
    before = snapshot(ds)
    one_line_error(cli(*command(which, ds, gold, str(ds / inside))), 2, "is inside the dataset", str(ds))
    assert snapshot(ds) == before
    # ... also when reached through a symbolic link
    os.symlink(ds / "manifest.json", tmp_path / "m.json")
    one_line_error(cli(*command(which, ds, gold, str(tmp_path / "m.json"))), 2, "is inside the dataset")
    assert snapshot(ds) == before


@pytest.mark.parametrize("how", ["itself", "a symlink to it", "a hard link to it"])
def test_the_report_never_replaces_the_predictions_file(ds, gold, tmp_path, how):
    original = gold.read_bytes()
    target = {"itself": gold, "a symlink to it": tmp_path / "s.json", "a hard link to it": tmp_path / "h.json"}[how]
    if how == "a symlink to it":
        os.symlink(gold, target)
    elif how == "a hard link to it":
        os.link(gold, target)
    one_line_error(cli(*command("evaluate", ds, gold, str(target))), 2, "is the input file", str(gold))
    assert gold.read_bytes() == original


def test_a_symlinked_output_file_updates_its_target_and_stays_a_link(ds, gold, tmp_path):
    for which in ("evaluate", "report", "bench"):
        real, link = tmp_path / f"{which}-real", tmp_path / f"{which}-link"
        real.write_text("old")
        os.symlink(real.name, link)
        proc = cli(*command(which, ds, gold, str(link)))
        assert proc.returncode == 0, proc.stderr
        assert os.path.islink(link) and os.readlink(link) == real.name
        assert real.read_text() != "old" and link.read_bytes() == real.read_bytes()
    assert json.loads((tmp_path / "evaluate-real").read_text())["summary"]["pass@1"] == 1.0
    assert "<html" in (tmp_path / "report-real").read_text()
    assert json.loads((tmp_path / "bench-real").read_text())["task"] == "py_output"


def test_any_valid_target_name_can_be_written(ds, gold, tmp_path):
    """The temporary file of an atomic write is named short: a 250-character target name works."""
    for which in ("evaluate", "report", "bench"):
        target = tmp_path / (which[0] * 250)
        proc = cli(*command(which, ds, gold, str(target)))
        assert proc.returncode == 0, proc.stderr
        assert target.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([c * 250 for c in "erb"] + ["gold.jsonl"])


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_report_that_does_not_fit_leaves_the_old_file_whole(ds, tmp_path):
    """A write the machine refuses (here: the file size limit, as a full disk would) leaves the old
    report as it was and no temporary file; exit 1 in one line."""
    old = tmp_path / "r.html"
    old.write_text("the old report")
    one_line_error(cli("report", str(ds), "-o", str(old), preexec_fn=_file_size_limit(2000)), 1,
                   "cannot write the report to", "File too large")
    assert old.read_text() == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_bench_json_replaces_the_old_file_by_a_rename(tmp_path):
    """--json is written to a temporary file then renamed over the old one (never truncated in
    place): a hard link to the old file still holds the old numbers."""
    old = tmp_path / "b.json"
    old.write_text("old numbers")
    os.link(old, tmp_path / "old-link")
    proc = cli("bench", "--structures", "py_output:3", "--json", str(old))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "old-link").read_text() == "old numbers"
    assert json.loads(old.read_text())["candidates"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "old-link"]


# --- export: never into the dataset, never two exports mixed ---------------------------------------


def test_export_refuses_a_non_empty_directory_without_overwrite(ds, other, tmp_path):
    out = tmp_path / "ex"
    assert cli("export", str(other), "--format", "lm-eval", "-o", str(out)).returncode == 0
    first = snapshot(out)
    assert {"train.jsonl", "test.jsonl"} <= set(first)
    one_line_error(cli("export", str(ds), "--format", "lm-eval", "-o", str(out)), 2, "is not empty", "--overwrite")
    assert snapshot(out) == first


def test_export_overwrite_replaces_the_earlier_export_whole(ds, other, tmp_path):
    out = tmp_path / "ex"
    assert cli("export", str(other), "--format", "lm-eval", "-o", str(out)).returncode == 0
    (out / "notes.txt").write_text("mine")
    proc = cli("export", str(ds), "--format", "lm-eval", "-o", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert "train.jsonl" not in names and "codegen_data_other.yaml" not in names  # the earlier export's files
    assert {"test.jsonl", "codegen_data_ds.yaml", "utils.py", "notes.txt"} <= names
    assert (out / "notes.txt").read_text() == "mine"
    ids = {json.loads(line)["id"] for line in (out / "test.jsonl").read_text().splitlines()}
    assert ids == {json.loads(line)["id"] for line in (ds / "data" / "test.jsonl").read_text().splitlines()}


def test_export_overwrite_refuses_a_directory_that_holds_no_export(ds, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    one_line_error(cli("export", str(ds), "--format", "chat", "-o", str(out), "--overwrite"), 2,
                   "holds no codegen-data export")
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


@pytest.mark.parametrize("target, fragment", [
    ("c" * 300, "file name too long"),
    ("loop1", "symlink loop"),
    ("afile/sub", "afile is not a directory"),
    ("", "path is empty"),
    ("{device}", "is a character device, not a directory"),
])
@pytest.mark.parametrize("which", ["export", "generate"])
def test_an_output_directory_that_cannot_be_made_is_one_line(ds, tmp_path, which, target, fragment):
    if target == "{device}":
        target = device(tmp_path)
    os.symlink("loop2", tmp_path / "loop1")
    os.symlink("loop1", tmp_path / "loop2")
    (tmp_path / "afile").write_text("mine")
    args = (["export", str(ds), "--format", "chat", "-o", target] if which == "export"
            else ["generate", "py_output", "-n", "2", "--workers", "1", "-o", target])
    line = one_line_error(cli(*args, cwd=tmp_path), 2, fragment)
    assert "interrupted run" not in line
    assert (tmp_path / "afile").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "full") == ["afile", "loop1", "loop2"]


@pytest.mark.parametrize("inside", ["", "data", "databases", "exports"])
def test_export_into_the_dataset_is_refused(ds, inside):
    before = snapshot(ds)
    out = ds / inside if inside else ds
    one_line_error(cli("export", str(ds), "--format", "chat", "-o", str(out)), 2, "would overwrite the dataset")
    assert snapshot(ds) == before and not (ds / "exports").exists()


def test_export_overwrite_never_replaces_a_file_no_export_wrote(ds, tmp_path):
    """A user's file that happens to have the name of a file this export writes is refused, not replaced
    (and so never listed as the export's, to be deleted by the next --overwrite)."""
    out = tmp_path / "ex"
    assert cli("export", str(ds), "--format", "chat", "-o", str(out)).returncode == 0
    (out / "utils.py").write_text("mine")
    one_line_error(cli("export", str(ds), "--format", "lm-eval", "-o", str(out), "--overwrite"), 2,
                   "utils.py was not written by an earlier export")
    assert (out / "utils.py").read_text() == "mine"
    assert "utils.py" not in json.loads((out / ".codegen-data-export.json").read_text())["files"]


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    """Written atomically (a new file renamed over the old), a private report stays private."""
    from codegen_data._files import write_atomic

    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(Path(os.path.realpath(link)), b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600 and link.is_symlink()
