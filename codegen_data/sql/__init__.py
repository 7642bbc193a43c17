"""SQL: synthesized databases, the query generator, sandboxed DuckDB and SQLite sessions, and the SQL verifiers."""
