"""Synthesize a small database for a schema: skewed, duplicated, NULL-sprinkled, key-consistent rows.

``synthesize_database(rng, schema, db_id=...)`` is a pure function of its arguments: every choice comes
from ``rng`` through ``random()``, ``randrange()`` and ``shuffle()``, whose outputs are the same on every
Python from 3.10 on, and nothing iterates a set or calls ``hash()``. The data is built so that queries
can tell right from almost right:

* category values follow a Zipf law over a per-database order, so GROUP BY counts differ and one value
  dominates; numbers and dates copy an earlier row's value at the spec's ``repeat`` rate, so ORDER BY
  has ties and DISTINCT removes something;
* foreign keys point at existing parent keys with Zipf skew, so some parents have many children and
  some none (LEFT JOIN and NOT EXISTS matter); self references point at earlier rows only;
* tables referenced by other tables are drawn smaller (``[min_rows, (min_rows + max_rows) // 2]``);
  a table whose unique column has a finite pool of values holds at most that many rows;
* nullable columns are NULL at ``null_rate``; the first row of a self-referencing table has no parent.
"""

from __future__ import annotations

import bisect
import datetime
import decimal
import itertools
import random
import string
from collections.abc import Mapping, Sequence

from codegen_data.sql.domains import (
    DomainCatalog,
    ValueSpec,
    default_value_spec,
    dependency_order,
    load_catalog,
)
from codegen_data.sql.schema import Column, Database, Schema, Table

__all__ = ["synthesize_database", "shuffled", "generator_parts"]

_ENUMERATE_LIMIT = 5000  # unique values from a pool this small are drawn without replacement
_UNIQUE_TRIES = 200


def synthesize_database(
    rng: random.Random,
    schema: Schema,
    *,
    db_id: str,
    min_rows: int = 20,
    max_rows: int = 60,
    null_rate: float = 0.1,
    catalog: DomainCatalog | None = None,
) -> Database:
    """A database for ``schema`` with every random choice drawn from ``rng``.

    ``catalog`` supplies value specs and vocabulary (default: ``grammars/sql_domains.toml``); columns
    it does not declare get :func:`~codegen_data.sql.domains.default_value_spec`.
    """
    if not isinstance(rng, random.Random):
        raise TypeError("rng must be a random.Random")
    if not isinstance(db_id, str) or not db_id:
        raise ValueError("db_id must be a non-empty string")
    if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 1:
        raise ValueError(f"min_rows must be an integer >= 1, got {min_rows!r}")
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < min_rows:
        raise ValueError(f"max_rows must be an integer >= min_rows ({min_rows}), got {max_rows!r}")
    if not 0.0 <= null_rate <= 1.0:
        raise ValueError(f"null_rate must be between 0 and 1, got {null_rate!r}")
    catalog = catalog if catalog is not None else load_catalog()
    parents = [p for child, _, p, _ in schema.foreign_keys() if p != child]
    keys: dict[str, list[int]] = {}
    rows: dict[str, tuple[tuple, ...]] = {}
    for table in dependency_order(schema):
        specs = [catalog.value_spec(schema, table.name, c.name) or default_value_spec(c) for c in table.columns]
        high = (min_rows + max_rows) // 2 if table.name in parents else max_rows
        n = rng.randrange(min_rows, high + 1)
        for column, spec in zip(table.columns, specs):
            n = min(n, _pool_size(column, spec, catalog.vocabulary))
        columns: dict[str, list] = {}
        # The key goes first whatever its position, so self references can point at it.
        ordered = sorted(zip(table.columns, specs), key=lambda cs: not cs[0].primary_key)
        for column, spec in ordered:
            columns[column.name] = _column_values(
                rng, table, column, spec, n, columns, keys, catalog.vocabulary, null_rate
            )
        keys[table.name] = columns[table.primary_key.name] if table.primary_key else []
        rows[table.name] = tuple(zip(*(columns[c.name] for c in table.columns))) if n else ()
    return Database(db_id=db_id, schema=schema, rows={t.name: rows[t.name] for t in schema.tables})


def shuffled(db: Database, rng: random.Random) -> Database:
    """The same database with each table's rows in another order (the identity order is never kept)."""
    rows = {}
    for table in db.schema.tables:
        original = list(db.rows[table.name])
        permuted = list(original)
        rng.shuffle(permuted)
        if permuted == original and len(original) > 1:
            permuted = permuted[1:] + permuted[:1]
        rows[table.name] = tuple(permuted)
    return Database(db_id=db.db_id, schema=db.schema, rows=rows)


def generator_parts(generator: str, spec: ValueSpec, vocabulary: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """A generator as a template: one value concatenates one pick from each part, in order."""
    v = vocabulary
    if generator == "person_name":
        return [tuple(v["first_names"]), (" ",), tuple(v["last_names"])]
    if generator in ("first_name", "last_name"):
        return [tuple(v[generator + "s"])]
    if generator == "city":
        return [tuple(v["cities"])]
    if generator == "company":
        return [tuple(v["company_words"]), (" ",), tuple(v["company_suffixes"])]
    if generator == "product":
        return [tuple(v["product_adjectives"]), (" ",), tuple(v["product_nouns"])]
    if generator == "title":
        return [("The ", ""), tuple(v["title_adjectives"]), (" ",), tuple(v["title_nouns"])]
    if generator == "email":
        numbers = ("",) + tuple(str(i) for i in range(1, 100))
        return [
            tuple(w.lower().replace(" ", "") for w in v["first_names"]),
            (".",),
            tuple(w.lower().replace(" ", "") for w in v["last_names"]),
            numbers,
            ("@",),
            tuple(v["email_domains"]),
        ]
    if generator == "street_address":
        numbers = tuple(str(i) for i in range(1, 1000))
        return [numbers, (" ",), tuple(v["street_names"]), (" ",), tuple(v["street_kinds"])]
    if generator == "team":
        return [tuple(v["cities"]), (" ",), tuple(v["mascots"])]
    if generator == "code":
        parts: list[tuple[str, ...]] = [(spec.prefix,)] if spec.prefix else []
        parts += [tuple(string.ascii_uppercase)] * spec.letters
        parts += [tuple(string.digits)] * spec.digits
        return parts
    raise ValueError(f"unknown generator {generator!r}")


# --- columns -------------------------------------------------------------------------------------


def _string_parts(spec: ValueSpec, vocabulary: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    if spec.values:
        return [spec.values]
    return generator_parts(spec.generator or "title", spec, vocabulary)


def _capacity(parts: list[tuple[str, ...]]) -> int:
    size = 1
    for p in parts:
        size *= len(p)
    return size


def _pool_size(column: Column, spec: ValueSpec, vocabulary: Mapping[str, Sequence[str]]) -> int:
    """How many rows the column allows: unbounded unless it is a unique VARCHAR."""
    if column.base_type != "VARCHAR" or not spec.unique or column.references or column.primary_key:
        return 1 << 62
    return _capacity(_string_parts(spec, vocabulary))


class _Picker:
    """Zipf-weighted choice over options in a random order (``skew`` 0 is uniform)."""

    def __init__(self, rng: random.Random, options: Sequence, skew: float):
        self.options = list(options)
        self.cumulative: list[float] | None = None
        if skew > 0 and len(self.options) > 1:
            rng.shuffle(self.options)
            self.cumulative = list(itertools.accumulate(1.0 / (rank**skew) for rank in range(1, len(self.options) + 1)))

    def pick(self, rng: random.Random):
        if self.cumulative is None:
            return self.options[rng.randrange(len(self.options))]
        u = rng.random() * self.cumulative[-1]
        return self.options[min(bisect.bisect_right(self.cumulative, u), len(self.options) - 1)]


def _column_values(
    rng: random.Random,
    table: Table,
    column: Column,
    spec: ValueSpec,
    n: int,
    done: Mapping[str, list],
    keys: Mapping[str, list[int]],
    vocabulary: Mapping[str, Sequence[str]],
    null_rate: float,
) -> list:
    if column.primary_key:
        return [spec.start + i for i in range(n)]
    nullable = column.nullable and null_rate > 0

    def is_null() -> bool:
        return nullable and rng.random() < null_rate

    if column.references is not None and column.references[0] == table.name:
        return _self_references(rng, n, is_null, done[table.primary_key.name])  # type: ignore[union-attr]
    if column.references is not None:
        return _foreign_keys(rng, n, is_null, spec, keys[column.references[0]], done)
    base = column.base_type
    if base == "VARCHAR":
        return _strings(rng, n, is_null, spec, vocabulary)
    if base == "BOOLEAN":
        return [None if is_null() else rng.random() < spec.true_rate for _ in range(n)]
    if spec.after is not None:
        unit = "days" if base == "DATE" else "minutes"
        lo, hi = spec.offset or (0, 0)
        out = []
        for base_value in done[spec.after]:
            if base_value is None or is_null():
                out.append(None)
            else:
                out.append(base_value + datetime.timedelta(**{unit: rng.randrange(lo, hi + 1)}))
        return out
    draw = _number_drawer(column, spec) if base not in ("DATE", "TIMESTAMP") else _time_drawer(spec)
    out, seen = [], []
    for _ in range(n):
        if is_null():
            out.append(None)
            continue
        value = seen[rng.randrange(len(seen))] if seen and rng.random() < spec.repeat else draw(rng)
        seen.append(value)
        out.append(value)
    return out


def _self_references(rng: random.Random, n: int, is_null, pks: list[int]) -> list:
    # Row i points at an earlier row, weighted toward the first rows, so the hierarchy is a shallow tree.
    out: list = [None] if n else []
    for i in range(1, n):
        u = rng.random()
        out.append(None if is_null() else pks[int(i * u * u)])
    return out


def _foreign_keys(
    rng: random.Random, n: int, is_null, spec: ValueSpec, parent_keys: list[int], done: Mapping[str, list]
) -> list:
    picker = _Picker(rng, parent_keys, spec.skew)
    other = done.get(spec.distinct_from) if spec.distinct_from else None
    out = []
    for i in range(n):
        if is_null():
            out.append(None)
            continue
        value = picker.pick(rng)
        if other is not None and value == other[i] and len(parent_keys) > 1:
            rest = [k for k in parent_keys if k != value]
            value = rest[rng.randrange(len(rest))]
        out.append(value)
    return out


def _strings(rng: random.Random, n: int, is_null, spec: ValueSpec, vocabulary: Mapping[str, Sequence[str]]) -> list:
    parts = _string_parts(spec, vocabulary)
    if spec.unique and _capacity(parts) <= _ENUMERATE_LIMIT:
        pool = ["".join(combo) for combo in itertools.product(*parts)]
        rng.shuffle(pool)
        return [None if is_null() else pool[i] for i in range(n)]
    pickers = [_Picker(rng, p, spec.skew) for p in parts]
    out: list = []
    used: dict[str, None] = {}
    for _ in range(n):
        if is_null():
            out.append(None)
            continue
        for _attempt in range(_UNIQUE_TRIES):
            value = "".join(p.pick(rng) for p in pickers)
            if not spec.unique or value not in used:
                break
        else:
            raise RuntimeError(f"could not draw a new unique value after {_UNIQUE_TRIES} tries: {value!r}")
        used[value] = None
        out.append(value)
    return out


def _number_drawer(column: Column, spec: ValueSpec):
    low, high, step = spec.low, spec.high, spec.step or 1
    count = int((high - low) // step) + 1  # type: ignore[operator]
    base = column.base_type
    if base in ("INTEGER", "BIGINT"):
        return lambda rng: low + rng.randrange(count) * step  # type: ignore[operator]
    if base == "DECIMAL":
        params = column.type.partition("(")[2].rstrip(")").split(",")
        scale = int(params[1]) if len(params) == 2 else 3  # DuckDB's bare DECIMAL is DECIMAL(18,3)
        grid = decimal.Decimal(1).scaleb(-scale)
        return lambda rng: (low + rng.randrange(count) * step).quantize(grid)  # type: ignore[operator]
    return lambda rng: round(float(low + rng.randrange(count) * step), 2)  # type: ignore[operator]


def _time_drawer(spec: ValueSpec):
    low, high = spec.low, spec.high
    if isinstance(low, datetime.datetime):
        seconds = int((high - low).total_seconds())  # type: ignore[operator]
        return lambda rng: low + datetime.timedelta(seconds=rng.randrange(seconds + 1))
    days = (high - low).days  # type: ignore[operator]
    return lambda rng: low + datetime.timedelta(days=rng.randrange(days + 1))  # type: ignore[operator]
