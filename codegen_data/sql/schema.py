"""The shapes every SQL part shares: a domain's schema and a synthesized database.

Row values are plain Python values, one per column, typed by the column's SQL type:

=============  ===================
SQL type       Python value
=============  ===================
INTEGER        int
BIGINT         int
DECIMAL(p,s)   decimal.Decimal
DOUBLE         float
VARCHAR        str
DATE           datetime.date
TIMESTAMP      datetime.datetime
BOOLEAN        bool
(NULL)         None
=============  ===================
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Column", "Table", "Schema", "Database", "ROLES", "SQL_TYPES"]

SQL_TYPES = ("INTEGER", "BIGINT", "DECIMAL", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP", "BOOLEAN")
"""Base type names; DECIMAL columns carry precision and scale in ``Column.type`` (``DECIMAL(10,2)``)."""

ROLES = {
    "key": "a primary or foreign key; joined on, counted, never summed or shown as a quantity",
    "name": "a human-readable name or title of the row (VARCHAR); shown in results, filtered by LIKE",
    "category": "a low-cardinality label (VARCHAR); grouped by, filtered by = and IN",
    "text": "free-ish text such as an email or code (VARCHAR); string functions, LIKE",
    "measure": "a quantity with a unit (DECIMAL/DOUBLE/INTEGER), e.g. a price; SUM, AVG, comparisons",
    "count": "a small integer count (INTEGER), e.g. a quantity or number of beds; SUM, comparisons",
    "date": "a calendar date (DATE); date functions, BETWEEN, ordering",
    "timestamp": "a point in time (TIMESTAMP); date functions, ordering",
    "flag": "a yes/no attribute (BOOLEAN); filters such as 'that are active'",
}
"""What a column means to the query generator; every column has exactly one role."""


@dataclass(frozen=True)
class Column:
    name: str  # snake_case SQL identifier
    type: str  # "INTEGER", "DECIMAL(10,2)", ...
    label: str  # English words, never an underscore: "hire date"
    role: str  # a key of ROLES
    nullable: bool = False
    primary_key: bool = False
    references: tuple[str, str] | None = None  # (table, column) of a foreign key

    @property
    def base_type(self) -> str:
        return self.type.split("(", 1)[0]


@dataclass(frozen=True)
class Table:
    name: str  # snake_case SQL identifier, plural noun: "employees"
    singular: str  # English: "employee"
    plural: str  # English: "employees"
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def primary_key(self) -> Column | None:
        return next((c for c in self.columns if c.primary_key), None)


@dataclass(frozen=True)
class Schema:
    domain: str  # "retail"
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"schema {self.domain!r} has no table {name!r}")

    def foreign_keys(self) -> list[tuple[str, str, str, str]]:
        """(child_table, child_column, parent_table, parent_column) for every foreign key."""
        return [
            (t.name, c.name, c.references[0], c.references[1])
            for t in self.tables
            for c in t.columns
            if c.references is not None
        ]


@dataclass(frozen=True)
class Database:
    db_id: str
    schema: Schema
    rows: dict[str, tuple[tuple, ...]] = field(hash=False)  # table name -> rows in insertion order
