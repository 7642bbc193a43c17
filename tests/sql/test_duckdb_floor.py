"""The oldest DuckDB that ``pyproject.toml`` accepts makes the same SQL items as the installed one.

DuckDB changes between releases in ways that reach the data: before 1.4 a result's column types
came out as DB-API codes ('Date', 'NUMBER', 'bool'), and before 2.0 the optimizer is a pragma of one
connection rather than a setting. So the floor is tested, not assumed: the test installs that
release (the wheel alone, from the package registry) into a directory of its own, puts it first
on ``sys.path`` of a fresh interpreter, and compares items and rejects byte for byte with the
installed DuckDB. It skips where the registry cannot be reached.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

_ITEMS = """
import json, sys
sys.path.insert(0, sys.argv[1]) if sys.argv[1] else None
import duckdb
from codegen_data.registry import get_task
from codegen_data.sql.executor import DuckDBSandbox, optimizes
box = DuckDBSandbox(optimizer=False)
out = {"duckdb": duckdb.__version__, "sandbox_optimizes": optimizes(box.cursor()[0]), "items": []}
for name in ("text_to_sql", "sql_output", "sql_translate"):
    cls = get_task(name)
    task = cls(cls.config_class.from_dict(name, {}), seed=5)
    for i in range(25):
        result = task.process(i)
        out["items"].append(result if isinstance(result, dict) else result.as_message())
print(json.dumps(out, sort_keys=True))
"""


def _floor() -> str:
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'"duckdb>=([0-9.]+)"', text)
    assert found, "pyproject.toml names no duckdb>= floor"
    return found.group(1)


@pytest.mark.slow
def test_the_oldest_duckdb_we_accept_makes_the_same_items(tmp_path):
    floor = _floor()
    if duckdb.__version__ == floor or duckdb.__version__.startswith(floor + "."):
        pytest.skip(f"the installed DuckDB {duckdb.__version__} is the floor itself")
    target = tmp_path / "floor"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:", "--target", str(target),
         f"duckdb=={floor}"],  # "1.4" is 1.4.0
        capture_output=True, text=True, timeout=600,
    )
    if pip.returncode != 0:
        pytest.skip(f"cannot install duckdb {floor} from the package registry: {pip.stderr.strip()[-300:]}")
    runs = {}
    for label, path in (("installed", ""), ("floor", str(target))):
        done = subprocess.run([sys.executable, "-s", "-c", _ITEMS, path], capture_output=True, text=True,
                              timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[label] = json.loads(done.stdout)
    assert runs["installed"]["duckdb"] == duckdb.__version__
    assert runs["floor"]["duckdb"] in (floor, floor + ".0")
    assert runs["floor"]["sandbox_optimizes"] is runs["installed"]["sandbox_optimizes"] is False
    assert len(runs["floor"]["items"]) == 75
    assert sum("sql" in item for item in runs["floor"]["items"]) >= 60  # mostly kept items, not rejects
    assert runs["floor"]["items"] == runs["installed"]["items"]
