"""text_to_sql: a database schema and an English question -> the SQL query that answers it.

Example record (abridged)::

    {"id": "text_to_sql-3f0c9a1be2d47c55", "task": "text_to_sql",
     "prompt": "Given this DuckDB database schema: ... Question: List the names of the customers ...",
     "question": "List the names of the customers whose city is 'Oakridge', sorted by name.",
     "answer": "SELECT name FROM customers WHERE city = 'Oakridge' ORDER BY name",
     "sql": "SELECT name FROM customers WHERE city = 'Oakridge' ORDER BY name",
     "result": {"columns": ["name"], "types": ["VARCHAR"], "rows": [["Ada Quill"], ["Bo Stern"]]},
     "order_matters": true, "verified_engines": ["duckdb", "sqlite"], "db_id": "retail_2_a81c3e",
     "difficulty": "easy", "features": ["order_by", "where"], "meta": {...}}

The answer is checked by result (execution accuracy), not by text.
"""

from __future__ import annotations

from typing import Any

from ..sql.base import SqlCandidate, SqlTask
from ..sql.scripts import schema_ddl
from ..sql.verify import SqlExecution, second_engine

PROMPT = """Given this DuckDB database schema:

{ddl}

Write one DuckDB SQL query that answers the question below. Reply with the SQL query only.

Question: {question}"""


class TextToSQL(SqlTask):
    name = "text_to_sql"
    description = "Schema + English question -> DuckDB SQL; checked by executing it (result must match)."

    def to_record(self, index: int, candidate: SqlCandidate, execution: SqlExecution) -> dict[str, Any]:
        q = candidate.query
        _, disagreement = second_engine(q, execution, candidate.sqlite_sql)
        record = self.base_record(
            index, candidate, execution,
            prompt=PROMPT.format(ddl=schema_ddl(execution.sessions.db.schema), question=q.question),
            answer=q.sql,
            engines=["duckdb"] if disagreement else ["duckdb", "sqlite"],
            extra={"question": q.question},
        )
        if disagreement:
            record["meta"]["disagreement"] = disagreement
        return record


TASK = TextToSQL
