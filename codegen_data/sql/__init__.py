"""SQL: synthesized databases, the query generator, sandboxed DuckDB and SQLite sessions, and the SQL verifiers."""


def sqlglot_build() -> str:
    """Which sqlglot runs here: "compiled" (its mypyc build, ``sqlglot[c]``: the ``fast`` extra) or "pure
    Python". Both make the same items byte for byte (tests/test_sqlglot_builds.py); the compiled one
    is faster."""
    import sqlglot.parser

    return "pure Python" if sqlglot.parser.__file__.endswith(".py") else "compiled"
