"""The DuckDB dialect, one instance for the SQL modules: naming it by its name makes a new one per render.

A leaf module, so that what renders SQL without generating it (the database scripts, the executor,
the scoring helper) does not import the query generator for it."""

from __future__ import annotations

from sqlglot.dialects.duckdb import DuckDB

DUCKDB = DuckDB()
