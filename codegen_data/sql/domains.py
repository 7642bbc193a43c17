"""SQL domains are data: ``grammars/sql_domains.toml`` parsed into validated schemas and value specs.

A domain is a small database schema (``retail``: customers, products, orders, order_items). Each
column carries, besides its SQL shape (a :class:`~codegen_data.sql.schema.Column`), a
:class:`ValueSpec` telling the synthesizer where its values come from. The file layout::

    [vocabulary]                      # word lists the generators draw from
    first_names = ["Ada", ...]

    [domains.hr]
    description = "a company's staff, departments and projects"

    [domains.hr.tables.employees]     # tables are listed parents first
    singular = "employee"
    plural = "employees"
    columns = [
      { name = "id", type = "INTEGER", label = "id", role = "key", primary_key = true },
      { name = "manager_id", type = "INTEGER", label = "manager id", role = "key", nullable = true,
        references = ["employees", "id"] },
      { name = "job_title", type = "VARCHAR", label = "job title", role = "category",
        values = ["engineer", "analyst"] },
      { name = "salary", type = "DECIMAL(10,2)", label = "salary", role = "measure", min = 30000, max = 180000 },
      { name = "hire_date", type = "DATE", label = "hire date", role = "date", min = 2010-01-01, max = 2024-12-31 },
    ]

Everything wrong in the file is reported as a ``ValueError`` naming ``domain.table.column``.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from codegen_data.grammar import load_grammar
from codegen_data.sql.schema import ROLES, SQL_TYPES, Column, Schema, Table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "GENERATORS",
    "ValueSpec",
    "Domain",
    "DomainCatalog",
    "parse_catalog",
    "load_catalog",
    "load_domains",
    "load_value_specs",
    "domain_names",
    "dependency_order",
    "check_string_value",
    "default_value_spec",
]

GRAMMAR = "sql_domains"

GENERATORS: dict[str, tuple[str, ...]] = {
    "person_name": ("first_names", "last_names"),
    "first_name": ("first_names",),
    "last_name": ("last_names",),
    "city": ("cities",),
    "company": ("company_words", "company_suffixes"),
    "product": ("product_adjectives", "product_nouns"),
    "title": ("title_adjectives", "title_nouns"),
    "email": ("first_names", "last_names", "email_domains"),
    "street_address": ("street_names", "street_kinds"),
    "team": ("cities", "mascots"),
    "code": (),
}
"""Generator name -> the vocabulary lists it draws from (implemented in ``codegen_data.sql.synth``)."""

_IDENT = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")
_FORBIDDEN_CHARS = ("_", "'", '"', "%", "\\", "\n", "\t")

_ROLE_TYPES = {
    "key": ("INTEGER", "BIGINT"),
    "name": ("VARCHAR",),
    "category": ("VARCHAR",),
    "text": ("VARCHAR",),
    "measure": ("INTEGER", "BIGINT", "DECIMAL", "DOUBLE"),
    "count": ("INTEGER", "BIGINT"),
    "date": ("DATE",),
    "timestamp": ("TIMESTAMP",),
    "flag": ("BOOLEAN",),
}
_INT_BOUNDS = {"INTEGER": (-(2**31), 2**31 - 1), "BIGINT": (-(2**63), 2**63 - 1)}

_SHAPE_KEYS = ("name", "type", "label", "role", "nullable", "primary_key", "references")
_VALUE_KEYS = (
    "values", "generator", "skew", "unique", "prefix", "letters", "digits",
    "min", "max", "step", "repeat", "after", "offset_days", "offset_minutes",
    "true_rate", "distinct_from", "start",
)  # fmt: skip

Number = Union[int, decimal.Decimal]
Bound = Union[int, decimal.Decimal, datetime.date, datetime.datetime]


@dataclass(frozen=True)
class ValueSpec:
    """Where one column's values come from; only the fields that fit the column's type are set.

    Numbers are ``int`` for INTEGER/BIGINT and ``decimal.Decimal`` for DECIMAL/DOUBLE, so drawing
    ``low + k * step`` is exact; dates and timestamps are ``datetime.date`` / ``datetime.datetime``.
    """

    values: tuple[str, ...] = ()  # VARCHAR: pick one (Zipf-weighted by ``skew``)
    generator: str | None = None  # VARCHAR: a key of GENERATORS
    skew: float = 0.0  # Zipf exponent over values / vocabulary / parent rows; 0 is uniform
    unique: bool = False  # no value repeats within the column
    prefix: str = ""  # code generator: fixed prefix, then ``letters`` capitals, then ``digits``
    letters: int = 0
    digits: int = 0
    low: Bound | None = None  # numeric, DATE and TIMESTAMP range (inclusive)
    high: Bound | None = None
    step: Number | None = None  # numeric grid: low, low + step, ...
    repeat: float = 0.0  # chance a value copies an earlier row's value (ties for ORDER BY / GROUP BY)
    after: str | None = None  # DATE/TIMESTAMP: an earlier column this one follows ...
    offset: tuple[int, int] | None = None  # ... by this many days (DATE) or minutes (TIMESTAMP)
    true_rate: float = 0.5  # BOOLEAN
    distinct_from: str | None = None  # foreign key: differs from this earlier column in the same row
    start: int = 1  # primary key: first id


@dataclass(frozen=True)
class Domain:
    """One domain: its schema plus a value spec per ``(table, column)``."""

    schema: Schema
    description: str
    value_specs: Mapping[tuple[str, str], ValueSpec] = field(hash=False)

    @property
    def name(self) -> str:
        return self.schema.domain


@dataclass(frozen=True)
class DomainCatalog:
    """Every domain of a grammar file and the vocabulary its generators draw from."""

    domains: Mapping[str, Domain] = field(hash=False)  # sorted by name
    vocabulary: Mapping[str, tuple[str, ...]] = field(hash=False)

    def domain(self, name: str) -> Domain:
        try:
            return self.domains[name]
        except KeyError:
            raise KeyError(f"no SQL domain {name!r}; known: {', '.join(self.domains)}") from None

    def value_spec(self, schema: Schema, table: str, column: str) -> ValueSpec | None:
        """The spec of a column if ``schema`` declares it exactly as this catalog does, else None."""
        domain = self.domains.get(schema.domain)
        if domain is None:
            return None
        try:
            ours = domain.schema.table(table).column(column)
            theirs = schema.table(table).column(column)
        except KeyError:
            return None
        return domain.value_specs.get((table, column)) if ours == theirs else None


def default_value_spec(column: Column) -> ValueSpec:
    """A plain spec by role and type, for columns of schemas built in code rather than in the grammar."""
    base = column.base_type
    if column.primary_key:
        return ValueSpec()
    if column.references is not None:
        return ValueSpec(skew=0.8)
    if base == "VARCHAR":
        if column.role == "name":
            return ValueSpec(generator="title")
        if column.role == "category":
            return ValueSpec(values=("alpha", "beta", "gamma", "delta"), skew=1.0)
        return ValueSpec(generator="code", letters=2, digits=4)
    if base == "BOOLEAN":
        return ValueSpec(true_rate=0.5)
    if base == "DATE":
        return ValueSpec(low=datetime.date(2015, 1, 1), high=datetime.date(2024, 12, 31), repeat=0.15)
    if base == "TIMESTAMP":
        low, high = datetime.datetime(2023, 1, 1), datetime.datetime(2024, 12, 31, 23, 59, 59)
        return ValueSpec(low=low, high=high, repeat=0.15)
    if base in _INT_BOUNDS:
        return ValueSpec(low=0, high=20 if column.role == "count" else 1000, step=1, repeat=0.2)
    m = _DECIMAL.match(column.type)
    precision, scale = (int(m[1]), int(m[2])) if m else (12, 2)
    step = decimal.Decimal(1).scaleb(-scale)
    high = min(decimal.Decimal(1000), decimal.Decimal(10) ** (precision - scale) - step)
    return ValueSpec(low=decimal.Decimal(0), high=high, step=step, repeat=0.2)


def check_string_value(value: object, where: str) -> str:
    """A VARCHAR value must be quotable verbatim in a question: letters, no underscore or quote."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: {value!r} is not a non-empty string")
    bad = [c for c in _FORBIDDEN_CHARS if c in value]
    if bad:
        raise ValueError(f"{where}: {value!r} contains forbidden character(s) {''.join(bad)!r}")
    if not any(c.isalpha() for c in value):
        raise ValueError(f"{where}: {value!r} has no letter, so LIKE patterns on it mean nothing")
    if value != value.strip() or "  " in value:
        raise ValueError(f"{where}: {value!r} has stray spaces")
    return value


def parse_catalog(source: str | Mapping[str, Any]) -> DomainCatalog:
    """Parse and validate a domains grammar given as TOML text or an already parsed mapping."""
    data = tomllib.loads(source) if isinstance(source, str) else source
    data = _only_keys(data, ("vocabulary", "domains"), "sql_domains")
    vocabulary = _parse_vocabulary(data.get("vocabulary", {}))
    raw_domains = data.get("domains")
    if not isinstance(raw_domains, Mapping) or not raw_domains:
        raise ValueError("sql_domains: [domains] must be a non-empty table")
    domains = {}
    for name in sorted(raw_domains):
        domains[name] = _parse_domain(name, raw_domains[name], vocabulary)
    return DomainCatalog(domains=domains, vocabulary=vocabulary)


@functools.lru_cache(maxsize=None)
def load_catalog() -> DomainCatalog:
    """The catalog of ``grammars/sql_domains.toml`` (parsed and validated once)."""
    return parse_catalog(load_grammar(GRAMMAR).data)


def load_domains() -> dict[str, Schema]:
    """Domain name -> schema, sorted by name."""
    return {name: d.schema for name, d in load_catalog().domains.items()}


def load_value_specs() -> dict[str, Mapping[tuple[str, str], ValueSpec]]:
    """Domain name -> ``{(table, column): ValueSpec}``."""
    return {name: d.value_specs for name, d in load_catalog().domains.items()}


def domain_names() -> tuple[str, ...]:
    """The names of all domains, sorted."""
    return tuple(load_catalog().domains)


def dependency_order(schema: Schema) -> list[Table]:
    """The schema's tables with every referenced table before the tables that reference it.

    Ties keep schema order; self references are ignored; a cycle raises ValueError.
    """
    remaining = list(schema.tables)
    done: list[str] = []
    ordered: list[Table] = []
    while remaining:
        for t in remaining:
            parents = [c.references[0] for c in t.columns if c.references and c.references[0] != t.name]
            if all(p in done for p in parents):
                ordered.append(t)
                done.append(t.name)
                remaining.remove(t)
                break
        else:
            names = ", ".join(t.name for t in remaining)
            raise ValueError(f"{schema.domain}: foreign keys form a cycle among {names}")
    return ordered


# --- parsing -------------------------------------------------------------------------------------


def _only_keys(mapping: object, allowed: tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: expected a table, got {type(mapping).__name__}")
    unknown = [k for k in mapping if k not in allowed]
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    return mapping


def _parse_vocabulary(raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise ValueError("sql_domains: [vocabulary] must be a table of word lists")
    vocabulary = {}
    for name, words in raw.items():
        where = f"vocabulary.{name}"
        if not isinstance(words, list) or not words:
            raise ValueError(f"{where}: must be a non-empty list of strings")
        for w in words:
            check_string_value(w, where)
        if len(set(words)) != len(words):
            raise ValueError(f"{where}: duplicate words")
        vocabulary[name] = tuple(words)
    return vocabulary


def _parse_domain(name: str, raw: object, vocabulary: Mapping[str, tuple[str, ...]]) -> Domain:
    if not _IDENT.match(name):
        raise ValueError(f"{name}: domain name must be a snake_case identifier")
    raw = _only_keys(raw, ("description", "tables"), name)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ValueError(f"{name}: description must be a string")
    raw_tables = raw.get("tables")
    if not isinstance(raw_tables, Mapping) or not raw_tables:
        raise ValueError(f"{name}: a domain needs at least one table under [domains.{name}.tables]")
    tables: list[Table] = []
    specs: dict[tuple[str, str], ValueSpec] = {}
    for table_name, raw_table in raw_tables.items():
        table, table_specs = _parse_table(name, table_name, raw_table, tables, vocabulary)
        tables.append(table)
        specs.update({(table_name, c): s for c, s in table_specs.items()})
    return Domain(schema=Schema(domain=name, tables=tuple(tables)), description=description, value_specs=specs)


def _words(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: must be non-empty English words")
    if "_" in value:
        raise ValueError(f"{where} {value!r} contains an underscore; write English words")
    return value


def _parse_table(
    domain: str,
    name: str,
    raw: object,
    earlier: list[Table],
    vocabulary: Mapping[str, tuple[str, ...]],
) -> tuple[Table, dict[str, ValueSpec]]:
    where = f"{domain}.{name}"
    if not _IDENT.match(name):
        raise ValueError(f"{where}: table name must be a snake_case identifier")
    if any(t.name == name for t in earlier):  # only reachable from a parsed mapping, TOML forbids it
        raise ValueError(f"{where}: duplicate table name")
    raw = _only_keys(raw, ("singular", "plural", "columns"), where)
    singular = _words(raw.get("singular"), f"{where}: singular")
    plural = _words(raw.get("plural"), f"{where}: plural")
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ValueError(f"{where}: columns must be a non-empty list")
    keys = sum(1 for c in raw_columns if isinstance(c, Mapping) and c.get("primary_key") is True)
    if keys != 1:
        raise ValueError(f"{where}: a table needs exactly one primary key column, found {keys}")
    columns: list[Column] = []
    specs: dict[str, ValueSpec] = {}
    for raw_column in raw_columns:
        column, spec = _parse_column(domain, name, raw_column, columns, earlier, vocabulary)
        columns.append(column)
        specs[column.name] = spec
    table = Table(name=name, singular=singular, plural=plural, columns=tuple(columns))
    for c in columns:  # self references can only be checked once the table exists
        if c.references and c.references[0] == name:
            _check_reference(f"{where}.{c.name}", c, table, is_self=True)
    return table, specs


def _parse_column(
    domain: str,
    table: str,
    raw: object,
    earlier_columns: list[Column],
    earlier_tables: list[Table],
    vocabulary: Mapping[str, tuple[str, ...]],
) -> tuple[Column, ValueSpec]:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    where = f"{domain}.{table}.{name}"
    raw = _only_keys(raw, _SHAPE_KEYS + _VALUE_KEYS, where)
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ValueError(f"{where}: column name must be a snake_case identifier")
    if any(c.name == name for c in earlier_columns):
        raise ValueError(f"{where}: duplicate column name")
    label = _words(raw.get("label"), f"{where}: label")
    role = raw.get("role")
    if role not in ROLES:
        raise ValueError(f"{where}: unknown role {role!r}; expected one of {', '.join(ROLES)}")
    sql_type = raw.get("type")
    if not isinstance(sql_type, str):
        raise ValueError(f"{where}: type must be a string such as 'INTEGER' or 'DECIMAL(10,2)'")
    base = sql_type.split("(", 1)[0]
    if base not in SQL_TYPES or ("(" in sql_type) != (base == "DECIMAL"):
        raise ValueError(f"{where}: unknown type {sql_type!r}; expected {', '.join(SQL_TYPES)} (DECIMAL(p,s))")
    if base == "DECIMAL":
        m = _DECIMAL.match(sql_type)
        if not m or not (1 <= int(m[1]) <= 38 and int(m[2]) <= int(m[1])):
            raise ValueError(f"{where}: bad DECIMAL type {sql_type!r}; write DECIMAL(p,s) with 0 <= s <= p <= 38")
    if base not in _ROLE_TYPES[role]:
        raise ValueError(f"{where}: role {role!r} needs type {' or '.join(_ROLE_TYPES[role])}, not {sql_type}")
    flags = {}
    for key in ("nullable", "primary_key"):
        flags[key] = raw.get(key, False)
        if not isinstance(flags[key], bool):
            raise ValueError(f"{where}: {key} must be true or false")
    if flags["primary_key"] and (role != "key" or flags["nullable"]):
        raise ValueError(f"{where}: a primary key must have role 'key' and not be nullable")
    if flags["nullable"] and role == "name":
        raise ValueError(f"{where}: a name column cannot be nullable")
    references = raw.get("references")
    if references is not None:
        if not (isinstance(references, list) and len(references) == 2 and all(isinstance(r, str) for r in references)):
            raise ValueError(f'{where}: references must be ["table", "column"]')
        references = (references[0], references[1])
        if flags["primary_key"]:
            raise ValueError(f"{where}: a primary key cannot also be a foreign key")
        if role != "key":
            raise ValueError(f"{where}: a foreign key must have role 'key'")
    column = Column(
        name=name,
        type=sql_type,
        label=label,
        role=role,
        nullable=flags["nullable"],
        primary_key=flags["primary_key"],
        references=references,
    )
    if references is not None and references[0] != table:
        parent = next((t for t in earlier_tables if t.name == references[0]), None)
        if parent is None:
            raise ValueError(
                f"{where}: references missing table {references[0]!r} (tables are listed parents first)"
            )
        _check_reference(where, column, parent, is_self=False)
    spec = _parse_value_spec(where, raw, column, earlier_columns, vocabulary)
    return column, spec


def _check_reference(where: str, column: Column, parent: Table, *, is_self: bool) -> None:
    assert column.references is not None  # callers pass foreign key columns only
    try:
        target = parent.column(column.references[1])
    except KeyError:
        raise ValueError(f"{where}: references missing column {parent.name}.{column.references[1]}") from None
    if not target.primary_key:
        raise ValueError(f"{where}: must reference a primary key, and {parent.name}.{target.name} is not one")
    if target.base_type != column.base_type:
        raise ValueError(f"{where}: type {column.type} differs from referenced {parent.name}.{target.name}")
    if is_self and not column.nullable:
        raise ValueError(f"{where}: a self reference must be nullable (the first row has no parent)")


def _parse_value_spec(
    where: str,
    raw: Mapping[str, Any],
    column: Column,
    earlier: list[Column],
    vocabulary: Mapping[str, tuple[str, ...]],
) -> ValueSpec:
    base = column.base_type
    kw: dict[str, Any] = {}
    allowed: tuple[str, ...]
    if column.primary_key:
        allowed = ("start",)
        kw["start"] = _integer(raw.get("start", 1), f"{where}: start", *_INT_BOUNDS[base])
    elif column.references is not None:
        allowed = ("skew", "distinct_from")
        kw["skew"] = _fraction(raw.get("skew", 0.8), f"{where}: skew", high=4.0)
        other = raw.get("distinct_from")
        if other is not None:
            prior = next((c for c in earlier if c.name == other), None)
            if prior is None or prior.references != column.references:
                raise ValueError(f"{where}: distinct_from must name an earlier column with the same reference")
            kw["distinct_from"] = other
    elif base == "VARCHAR":
        allowed = ("values", "generator", "skew", "unique", "prefix", "letters", "digits")
        kw.update(_string_source(where, raw, column, vocabulary))
    elif base == "BOOLEAN":
        allowed = ("true_rate",)
        kw["true_rate"] = _fraction(raw.get("true_rate", 0.5), f"{where}: true_rate")
    elif base in ("DATE", "TIMESTAMP"):
        allowed = ("min", "max", "repeat", "after", "offset_days", "offset_minutes")
        kw.update(_time_source(where, raw, column, earlier))
    else:  # INTEGER, BIGINT, DECIMAL, DOUBLE
        allowed = ("min", "max", "step", "repeat")
        kw.update(_number_source(where, raw, column))
    extra = [k for k in _VALUE_KEYS if k in raw and k not in allowed]
    if extra:
        raise ValueError(f"{where}: key(s) {', '.join(extra)} do not apply to a {column.type} {column.role} column")
    return ValueSpec(**kw)


def _fraction(value: object, where: str, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
        raise ValueError(f"{where}: must be a number between 0 and {high}")
    return float(value)


def _integer(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{where}: must be an integer between {low} and {high}")
    return value


def _string_source(
    where: str, raw: Mapping[str, Any], column: Column, vocabulary: Mapping[str, tuple[str, ...]]
) -> dict[str, Any]:
    has_values, generator = "values" in raw, raw.get("generator")
    if has_values == (generator is not None):
        raise ValueError(f"{where}: a VARCHAR column needs exactly one of values = [...] or generator = '...'")
    kw: dict[str, Any] = {
        "skew": _fraction(raw.get("skew", 1.0 if column.role == "category" else 0.0), f"{where}: skew", high=4.0),
        "unique": raw.get("unique", False),
    }
    if not isinstance(kw["unique"], bool):
        raise ValueError(f"{where}: unique must be true or false")
    if has_values:
        values = raw["values"]
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: values must be a non-empty list of strings")
        for v in values:
            check_string_value(v, f"{where}: values")
        if len(set(values)) != len(values):
            raise ValueError(f"{where}: values has duplicates")
        kw["values"] = tuple(values)
        return kw
    if generator not in GENERATORS:
        raise ValueError(f"{where}: unknown generator {generator!r}; expected one of {', '.join(GENERATORS)}")
    for needed in GENERATORS[generator]:
        if needed not in vocabulary:
            raise ValueError(f"{where}: generator {generator!r} needs the vocabulary list {needed!r}")
    kw["generator"] = generator
    code_keys = [k for k in ("prefix", "letters", "digits") if k in raw]
    if generator != "code":
        if code_keys:
            raise ValueError(f"{where}: {', '.join(code_keys)} only apply to generator = 'code'")
        return kw
    prefix = raw.get("prefix", "")
    if prefix:
        check_string_value(prefix, f"{where}: prefix")
    kw["prefix"] = prefix
    kw["letters"] = _integer(raw.get("letters", 0 if prefix else 2), f"{where}: letters", 0, 8)
    kw["digits"] = _integer(raw.get("digits", 4), f"{where}: digits", 0, 12)
    if not prefix and not kw["letters"]:
        raise ValueError(f"{where}: a code needs a prefix or letters so it contains a letter")
    return kw


def _number_source(where: str, raw: Mapping[str, Any], column: Column) -> dict[str, Any]:
    base = column.base_type
    if "min" not in raw or "max" not in raw:
        raise ValueError(f"{where}: a {column.type} column needs min and max")

    def number(key: str, default: Number | None = None) -> Number:
        if key not in raw and default is not None:
            return default
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}: {key} must be a number")
        if base in _INT_BOUNDS:
            if not isinstance(value, int):
                raise ValueError(f"{where}: {key} must be an integer for a {base} column")
            return value
        return decimal.Decimal(str(value))

    scale = int(_DECIMAL.match(column.type)[2]) if base == "DECIMAL" else 2  # type: ignore[index]
    default_step = 1 if base in _INT_BOUNDS else decimal.Decimal(1).scaleb(-scale)
    low, high, step = number("min"), number("max"), number("step", default_step)
    if not low <= high or step <= 0:
        raise ValueError(f"{where}: needs min <= max and step > 0")
    if base in _INT_BOUNDS:
        bound_low, bound_high = _INT_BOUNDS[base]
        if low < bound_low or high > bound_high:
            raise ValueError(f"{where}: range [{low}, {high}] does not fit {base}")
    else:
        grid = decimal.Decimal(1).scaleb(-scale)
        for key, v in (("min", low), ("step", step)):
            if v != v.quantize(grid):
                raise ValueError(f"{where}: {key} {v} has more than {scale} decimal places")
        if base == "DECIMAL":
            precision = int(_DECIMAL.match(column.type)[1])  # type: ignore[index]
            limit = decimal.Decimal(10) ** (precision - scale)
            if max(abs(low), abs(high)) >= limit:
                raise ValueError(f"{where}: range [{low}, {high}] does not fit {column.type}")
    return {"low": low, "high": high, "step": step, "repeat": _fraction(raw.get("repeat", 0.2), f"{where}: repeat")}


def _time_source(where: str, raw: Mapping[str, Any], column: Column, earlier: list[Column]) -> dict[str, Any]:
    base = column.base_type
    kw: dict[str, Any] = {"repeat": _fraction(raw.get("repeat", 0.15), f"{where}: repeat")}
    offset_key, other_key = ("offset_days", "offset_minutes") if base == "DATE" else ("offset_minutes", "offset_days")
    if other_key in raw:
        raise ValueError(f"{where}: a {base} column takes {offset_key}, not {other_key}")
    after = raw.get("after")
    if after is not None:
        prior = next((c for c in earlier if c.name == after), None)
        if prior is None or prior.base_type != base:
            raise ValueError(f"{where}: after must name an earlier {base} column of the same table")
        if prior.nullable and not column.nullable:
            raise ValueError(f"{where}: follows nullable {after!r}, so it must be nullable too")
        offset = raw.get(offset_key)
        if not (
            isinstance(offset, list)
            and len(offset) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in offset)
            and 0 <= offset[0] <= offset[1]
        ):
            raise ValueError(f"{where}: after needs {offset_key} = [low, high] with 0 <= low <= high")
        if "min" in raw or "max" in raw:
            raise ValueError(f"{where}: a column with after takes no min/max")
        kw.update(after=after, offset=(offset[0], offset[1]))
        return kw
    if offset_key in raw:
        raise ValueError(f"{where}: {offset_key} needs after = 'column'")
    if "min" not in raw or "max" not in raw:
        raise ValueError(f"{where}: a {base} column needs min and max (or after)")
    low, high = raw["min"], raw["max"]
    for key, v in (("min", low), ("max", high)):
        ok = isinstance(v, datetime.datetime) if base == "TIMESTAMP" else type(v) is datetime.date
        if not ok or getattr(v, "tzinfo", None) is not None or getattr(v, "microsecond", 0):
            example = "2024-01-31T08:00:00" if base == "TIMESTAMP" else "2024-01-31"
            raise ValueError(f"{where}: {key} must be a TOML local {base.lower()} in whole seconds, e.g. {example}")
    if not low <= high:
        raise ValueError(f"{where}: needs min <= max")
    kw.update(low=low, high=high)
    return kw
