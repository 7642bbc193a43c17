"""SQL: synthesized databases, the query generator, sandboxed DuckDB and SQLite sessions, and the SQL verifiers."""


def sqlglot_build() -> str:
    """Which sqlglot runs here: "compiled" (its mypyc build, ``sqlglot[c]``: the ``fast`` extra) or "pure
    Python". Both make the same items byte for byte (tests/test_sqlglot_builds.py); the compiled one
    is faster."""
    from importlib.machinery import EXTENSION_SUFFIXES

    import sqlglot.parser

    return "compiled" if sqlglot.parser.__file__.endswith(tuple(EXTENSION_SUFFIXES)) else "pure Python"
