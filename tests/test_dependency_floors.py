"""The oldest release of each dependency that ``pyproject.toml`` accepts makes the same items.

Dependencies change between releases in ways that reach the data or break the run: before DuckDB
1.4 a result's column types came out as DB-API codes ('Date', 'NUMBER', 'bool'), and before 2.0
its optimizer is a pragma of one connection rather than a setting; sqlglot before 30 lacks the
``exp.DType`` the SQL modules use; tree-sitter before 0.25 cannot load tree-sitter-python 0.25's
grammar. So the floors are tested, not assumed: the test installs each runtime dependency at its
floor (the wheel alone, from the package registry) into a directory of its own and puts it first on
``sys.path`` of a fresh interpreter, all the floors at once and each beside the installed rest. Every
run must make the SQL and program items, rejects included, of the installed releases byte for byte,
and parse the command line alike. It skips where the registry cannot be reached.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

_MODULES = {"duckdb": "duckdb", "sqlglot": "sqlglot", "tree-sitter": "tree_sitter",
            "tree-sitter-python": "tree_sitter_python", "click": "click"}  # distribution -> module
_RUNTIME = tuple(_MODULES)

_ITEMS = """
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
import importlib.metadata, importlib.util
from pathlib import Path
out = {"loaded": {}, "items": []}
for dist, module in json.loads(sys.argv[2]).items():  # where each module comes from, and its version
    origin = Path(importlib.util.find_spec(module).origin)
    found = [d for d in importlib.metadata.distributions(path=[str(p) for p in origin.parents][:3])
             if d.metadata["Name"].lower().replace("_", "-") == dist]
    out["loaded"][dist] = found[0].version if found else "?"
from codegen_data.registry import get_task
from codegen_data.sql.executor import DuckDBSandbox, optimizes
out["sandbox_optimizes"] = optimizes(DuckDBSandbox(optimizer=False).cursor()[0])
for name, n in (("text_to_sql", 25), ("sql_output", 25), ("sql_translate", 25),
                ("py_output", 15), ("py_input", 15), ("py_repair", 15), ("py_synthesis", 15)):
    cls = get_task(name)
    task = cls(cls.config_class.from_dict(name, {}), seed=5)
    for i in range(n):
        result = task.process(i)
        out["items"].append(result if isinstance(result, dict) else result.as_message())
import contextlib, io
from codegen_data.cli import main
out["cli"] = []
for args in (["--help"], ["generate", "--help"], ["generate", "no_such_task", "-n", "1", "-o", "x"]):
    shown = io.StringIO()
    try:
        with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
            code = main(args, prog_name="codegen-data") or 0
    except SystemExit as exc:
        code = exc.code
    out["cli"].append([code, sorted(set(shown.getvalue().split()) & {"generate", "evaluate", "--seed", "Error:"})])
print(json.dumps(out, sort_keys=True))
"""


def _floors() -> dict[str, str]:
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    floors = {}
    for dist in _RUNTIME:
        found = re.search(rf'"{re.escape(dist)}>=([0-9.]+)[,"]', text)
        assert found, f"pyproject.toml names no {dist}>= floor"
        floors[dist] = found.group(1)
    return floors


def _same(version: str, floor: str) -> bool:  # "1.4" is "1.4.0"
    from packaging.version import Version

    return Version(version) == Version(floor)


@pytest.mark.slow
def test_the_oldest_dependencies_we_accept_make_the_same_items(tmp_path):
    import importlib.metadata

    floors = _floors()
    installed = {dist: importlib.metadata.version(dist) for dist in _RUNTIME}
    if all(_same(installed[d], floors[d]) for d in _RUNTIME):
        pytest.skip("every installed dependency is its floor")
    targets = {}
    for dist, floor in floors.items():
        targets[dist] = tmp_path / dist
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:",
             "--target", str(targets[dist]), f"{dist}=={floor}"],
            capture_output=True, text=True, timeout=600,
        )
        if pip.returncode != 0:
            if "No matching distribution" in pip.stderr or "Could not find a version" in pip.stderr:
                pytest.fail(f"{dist}=={floor} (the floor in pyproject.toml) has no release installable on this "
                            f"Python: {pip.stderr.strip()[-300:]}")
            pytest.skip(f"cannot install {dist}=={floor} from the package registry: {pip.stderr.strip()[-300:]}")
    # Every floor at once (the oldest environment accepted), and each floor beside the newest of the rest
    # (tree-sitter's floor must load the newest tree-sitter-python's grammar).
    setups = {"installed": [], "floors": list(targets.values()), **{dist: [targets[dist]] for dist in floors}}
    runs = {}
    for label, paths in setups.items():
        done = subprocess.run([sys.executable, "-s", "-c", _ITEMS, json.dumps([str(p) for p in paths]), json.dumps(_MODULES)],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 0, f"{label}: {done.stderr[-2000:]}"
        runs[label] = json.loads(done.stdout)
    assert runs["installed"]["loaded"] == installed
    assert all(_same(runs["floors"]["loaded"][d], floors[d]) for d in _RUNTIME), runs["floors"]["loaded"]
    for dist in floors:
        assert runs[dist]["loaded"] == {**installed, dist: runs[dist]["loaded"][dist]} and _same(runs[dist]["loaded"][dist], floors[dist])
    items = runs["installed"]["items"]
    assert len(items) == 135
    assert sum("answer" in item for item in items) >= 100  # mostly kept items, not rejects
    for label, run in runs.items():
        assert run["sandbox_optimizes"] is False, label
        assert run["items"] == items, label
        assert run["cli"] == [[0, ["evaluate", "generate"]], [0, ["--seed", "generate"]], [2, ["Error:"]]], label
