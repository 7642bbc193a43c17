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

import codegen_data


def _our_modules():
    for info in pkgutil.walk_packages(codegen_data.__path__, "codegen_data."):
        if info.name.endswith(".__main__"):  # runs the command line when imported
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # an optional extra (ray) that is not installed
            continue


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


def test_sql_renders_and_runs_with_the_installed_build():
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
