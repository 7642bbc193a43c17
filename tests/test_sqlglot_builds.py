"""codegen-data works with sqlglot as pure Python and as ``sqlglot[c]`` (its mypyc-compiled build).

Under ``sqlglot[c]`` sqlglot's dialects, parsers, generators and expression classes are compiled
classes: a Python class may be *defined* as their subclass, but making an instance of it raises
``TypeError: interpreted classes cannot inherit from compiled``. So no class of ours may subclass one
of sqlglot's; fixes to sqlglot's output are made on the tree (``codegen_data.sql.sqlite_dialect``,
``codegen_data.sql.scripts``). This test holds whichever build is installed.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import codegen_data


def _our_modules():
    for info in pkgutil.walk_packages(codegen_data.__path__, "codegen_data."):
        if info.name.endswith(".__main__"):  # runs the command line when imported
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError as exc:
            if exc.name != "ray":  # only an optional extra that is not installed may be missing
                raise


def test_no_class_of_ours_subclasses_a_sqlglot_class():
    found = []
    for module in _our_modules():
        for name, cls in vars(module).items():
            if not inspect.isclass(cls) or not cls.__module__.startswith("codegen_data"):
                continue
            for klass in [cls, *(c for c in vars(cls).values() if inspect.isclass(c))]:  # nested: Dialect.Generator
                bases = [b for b in klass.__mro__[1:] if b.__module__.split(".")[0] == "sqlglot"]
                if bases:
                    found.append(f"{module.__name__}.{klass.__qualname__} <- {bases[0].__module__}.{bases[0].__qualname__}")
    assert not found, found


def test_sql_renders_with_the_installed_build():
    """The SQLite translation and the DuckDB DDL make instances of sqlglot's own dialects only."""
    import sqlglot

    from codegen_data.sql.runtime import DatabaseSpec, build_database
    from codegen_data.sql.scripts import schema_ddl
    from codegen_data.sql.sqlite_dialect import to_sqlite

    tree = sqlglot.parse_one("SELECT EXTRACT(YEAR FROM d) AS y FROM t WHERE name LIKE 'Ab%'", read="duckdb")
    assert to_sqlite(tree) == "SELECT CAST(STRFTIME('%Y', d) AS INTEGER) AS y FROM t WHERE name GLOB 'Ab*'"
    db = build_database(DatabaseSpec("retail", 0, 0, 3, 5, 0.1))
    ddl = schema_ddl(db.schema)
    assert "id INTEGER PRIMARY KEY" in ddl and " VARCHAR NOT NULL" in ddl and " INT " not in ddl and "TEXT" not in ddl


_SAME_ITEMS = """
import json, sys
sys.path.insert(0, sys.argv[1]) if sys.argv[1] else None
from codegen_data.registry import get_task
from codegen_data.sql import sqlglot_build
out = {"build": sqlglot_build(), "items": []}
for name in ("text_to_sql", "sql_output", "sql_translate"):
    cls = get_task(name)
    task = cls(cls.config_class.from_dict(name, {}), seed=3)
    for i in range(25):
        result = task.process(i)
        out["items"].append(result if isinstance(result, dict) else result.as_message())
print(json.dumps(out, sort_keys=True))
"""


def test_the_pure_and_the_compiled_sqlglot_make_the_same_items(tmp_path):
    """With ``sqlglot[c]`` installed (the test extras install it where it has wheels), the same SQL
    items, rejects included, from sqlglot's own Python sources alone (a copy without the compiled
    modules, first on ``sys.path``) as from the compiled build, byte for byte."""
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import sqlglot

    from codegen_data.sql import sqlglot_build

    if sqlglot_build() != "compiled":
        pytest.skip("sqlglot[c] is not installed: only the pure build is here (see the other tests)")
    pure = tmp_path / "pure"
    shutil.copytree(Path(sqlglot.__file__).parent, pure / "sqlglot",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    runs = {}
    for label, path in (("compiled", ""), ("pure", str(pure))):
        done = subprocess.run([sys.executable, "-s", "-c", _SAME_ITEMS, path], capture_output=True, text=True,
                              timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[label] = json.loads(done.stdout)
    assert runs["compiled"]["build"] == "compiled" and runs["pure"]["build"] == "pure Python"
    assert len(runs["pure"]["items"]) == 75
    assert sum("sql" in item for item in runs["pure"]["items"]) >= 60  # mostly kept items, not rejects
    assert runs["pure"]["items"] == runs["compiled"]["items"]
