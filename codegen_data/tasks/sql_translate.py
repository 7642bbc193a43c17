"""sql_translate: a DuckDB query -> the same query in SQLite's dialect.

The reference answer is sqlglot's transpilation (with our SQLite fixes), kept only when it differs
from the DuckDB text (a query that needs no change teaches nothing) and when SQLite, running it on
the same data, returns the same result as DuckDB does for the original.

Example record (abridged)::

    {"task": "sql_translate", "sql": "SELECT EXTRACT(YEAR FROM hire_date) AS hire_year FROM employees",
     "answer": "SELECT CAST(STRFTIME('%Y', hire_date) AS INTEGER) AS hire_year FROM employees",
     "verified_engines": ["duckdb", "sqlite"], ...}
"""

from __future__ import annotations

from typing import Any

from ..sql.base import SqlCandidate, SqlTask
from ..sql.scripts import schema_ddl
from ..sql.verify import SqlExecution, second_engine
from ..task import Reject

PROMPT = """Translate this DuckDB query into SQLite so that it returns the same result on the same data.
In the SQLite copy of the database, DATE and TIMESTAMP values are ISO text ('YYYY-MM-DD',
'YYYY-MM-DD HH:MM:SS'), BOOLEAN values are 0/1 integers and DECIMAL values are REAL.

Schema (DuckDB):

{ddl}

DuckDB query:

{sql}

Reply with the SQLite query only."""


class SQLTranslate(SqlTask):
    name = "sql_translate"
    description = "DuckDB SQL -> SQLite SQL; the reference translation is verified to return the same result in SQLite."
    score_engine = "sqlite"

    def extra_verify(self, candidate: SqlCandidate, execution: SqlExecution) -> Reject | None:
        sqlite_sql = candidate.sqlite_sql
        if sqlite_sql == candidate.query.sql:
            return Reject("translation_unchanged", "the query is already valid SQLite")
        _, disagreement = second_engine(candidate.query, execution, sqlite_sql)
        return Reject("sqlite_disagrees", disagreement) if disagreement else None

    def to_record(self, index: int, candidate: SqlCandidate, execution: SqlExecution) -> dict[str, Any]:
        q = candidate.query
        return self.base_record(
            index, candidate, execution,
            prompt=PROMPT.format(ddl=schema_ddl(execution.sessions.db.schema), sql=q.sql),
            answer=candidate.sqlite_sql,
            engines=["duckdb", "sqlite"],
            extra={"source_dialect": "duckdb", "target_dialect": "sqlite"},
        )


TASK = SQLTranslate
