"""sql_output: small tables and a query -> the table the query returns.

Databases are small (a handful of rows per table) so the prompt shows every row of the tables the
query reads. The answer is the result rendered as text: the column names on the first line, then one
line per row, values separated by `` | ``, NULL for missing values, numbers as Python prints them.

Example record (abridged)::

    {"task": "sql_output", "sql": "SELECT category, COUNT(*) AS n FROM products GROUP BY category ORDER BY category",
     "answer": "category | n\\nbooks | 2\\ntoys | 3", "order_matters": true, ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sql.base import SqlCandidate, SqlConfig, SqlTask
from ..scoring import Verdict
from ..sql.comparator import DEFAULT_COMPARATOR
from ..sql.scripts import table_text
from ..sql.verify import SqlExecution, second_engine

PROMPT = """Here are the tables of a small DuckDB database.

{tables}

What does this query return?

{sql}

Reply with the result table only: the column names on the first line, then one line per row, values
separated by " | ", NULL for missing values, dates as YYYY-MM-DD.{order}"""


def format_value(value: Any) -> str:
    """How one result value is written in an answer table."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def result_table_text(columns: list[str], rows: list[list[Any]]) -> str:
    """The reference answer of an ``sql_output`` record."""
    lines = [" | ".join(columns)]
    lines += [" | ".join(format_value(v) for v in row) for row in rows]
    return "\n".join(lines)


def parse_table(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of an answer table (cells stripped; blank lines ignored)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return [], []
    split = [[cell.strip() for cell in line.split("|")] for line in lines]
    return split[0], split[1:]


def _cell_value(cell: str) -> Any:
    if cell == "NULL":
        return None
    if cell in ("true", "false"):
        return cell == "true"
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


@dataclass
class SqlOutputConfig(SqlConfig):
    """As the other SQL tasks, with small tables and small results by default."""

    min_rows: int = 3
    max_rows: int = 8
    max_result_rows: int = 12


class SQLOutput(SqlTask):
    name = "sql_output"
    description = "Small tables + a DuckDB query -> the result table it returns (predict execution)."
    config_class = SqlOutputConfig

    @classmethod
    def score(cls, record: dict[str, Any], answer: str, scorer: Any) -> Verdict:
        """The answer table equals the result: same column count, rows compared as values by the
        result comparator (in order only when the query orders them); column names are not judged."""
        header, rows = parse_table(answer)
        if len(header) != len(record["result"]["columns"]):
            return Verdict.fail("wrong_answer", f"{len(header)} columns, expected {len(record['result']['columns'])}")
        expected = [[_cell_value(format_value(v)) for v in row] for row in record["result"]["rows"]]
        got = [[_cell_value(c) for c in row] for row in rows]
        diff = DEFAULT_COMPARATOR.difference(expected, got, order_matters=record["order_matters"])
        return Verdict.ok() if diff is None else Verdict.fail("wrong_answer", diff)

    def to_record(self, index: int, candidate: SqlCandidate, execution: SqlExecution) -> dict[str, Any]:
        q = candidate.query
        db = execution.sessions.db
        tables = "\n\n".join(
            f"Table {t.name}:\n{table_text(db, t.name)}" for t in db.schema.tables if t.name in candidate.tables
        )
        order = " Keep the rows in the query's order." if q.order_matters else " The rows may be in any order."
        _, disagreement = second_engine(q, execution, candidate.sqlite_sql)
        record = self.base_record(
            index, candidate, execution,
            prompt=PROMPT.format(tables=tables, sql=q.sql, order=order),
            answer=result_table_text(execution.gold.columns, execution.gold.rows),
            engines=["duckdb"] if disagreement else ["duckdb", "sqlite"],
        )
        if disagreement:
            record["meta"]["disagreement"] = disagreement
        return record


TASK = SQLOutput
