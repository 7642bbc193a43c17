"""The domains grammar loads, validates, and rejects bad definitions with a message naming the spot."""

from __future__ import annotations

import copy
import re
import sys

import pytest

from codegen_data.sql.domains import (
    GENERATORS,
    dependency_order,
    domain_names,
    load_catalog,
    load_domains,
    load_value_specs,
    parse_catalog,
)
from codegen_data.sql.schema import ROLES, SQL_TYPES, Column, Schema, Table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def test_at_least_twelve_domains_load():
    domains = load_domains()
    assert len(domains) >= 12
    assert tuple(domains) == domain_names() == tuple(sorted(domains))
    assert set(load_value_specs()) == set(domains)


def test_domains_are_well_formed():
    for name, schema in load_domains().items():
        assert schema.domain == name
        assert 2 <= len(schema.tables) <= 6, name
        for table in schema.tables:
            assert SNAKE.match(table.name)
            assert "_" not in table.singular and "_" not in table.plural
            assert table.primary_key is not None
            for column in table.columns:
                assert SNAKE.match(column.name)
                assert column.label and "_" not in column.label, (name, table.name, column.name)
                assert column.role in ROLES
                assert column.base_type in SQL_TYPES
                if column.primary_key or column.role == "name":
                    assert not column.nullable


def test_domains_cover_every_type_and_the_usual_roles():
    domains = load_domains()
    types = {c.base_type for s in domains.values() for t in s.tables for c in t.columns}
    assert types == set(SQL_TYPES)
    for name, schema in domains.items():
        roles = {c.role for t in schema.tables for c in t.columns}
        assert {"key", "name", "category", "measure"} <= roles, name
        assert roles & {"date", "timestamp"}, name


def test_foreign_keys_reference_primary_keys_and_parents_come_first():
    for schema in load_domains().values():
        seen: list[str] = []
        for table in schema.tables:
            for child, column, parent, parent_column in schema.foreign_keys():
                if child == table.name:
                    assert parent in seen or parent == child
                    assert schema.table(parent).column(parent_column).primary_key
            seen.append(table.name)
        assert [t.name for t in dependency_order(schema)] == [t.name for t in schema.tables]


def test_several_domains_have_self_references():
    with_self = [
        s.domain for s in load_domains().values() if any(child == parent for child, _, parent, _ in s.foreign_keys())
    ]
    assert len(with_self) >= 3, with_self


def test_string_sources_are_quotable():
    catalog = load_catalog()
    words = [w for ws in catalog.vocabulary.values() for w in ws]
    words += [v for d in catalog.domains.values() for spec in d.value_specs.values() for v in spec.values]
    assert words
    for w in words:
        assert "_" not in w and "'" not in w and any(ch.isalpha() for ch in w), w
    used = {spec.generator for d in catalog.domains.values() for spec in d.value_specs.values()} - {None}
    assert used <= set(GENERATORS)


def test_dependency_order_sorts_a_hand_built_schema_and_rejects_cycles():
    key = Column("id", "INTEGER", "id", "key", primary_key=True)
    child = Table("b", "b", "bs", (key, Column("a_id", "INTEGER", "a id", "key", references=("a", "id"))))
    parent = Table("a", "a", "as", (key,))
    assert [t.name for t in dependency_order(Schema("x", (child, parent)))] == ["a", "b"]
    loop = Table("a", "a", "as", (key, Column("b_id", "INTEGER", "b id", "key", references=("b", "id"))))
    with pytest.raises(ValueError, match="cycle"):
        dependency_order(Schema("x", (child, loop)))


# --- bad definitions -----------------------------------------------------------------------------

GOOD = """
[vocabulary]
first_names = ["Ada", "Bo"]
last_names = ["Lee", "Moss"]

[domains.shop]
description = "a tiny shop"

[domains.shop.tables.makers]
singular = "maker"
plural = "makers"
columns = [
  { name = "id", type = "INTEGER", label = "id", role = "key", primary_key = true },
  { name = "maker_name", type = "VARCHAR", label = "maker name", role = "name", generator = "person_name" },
]

[domains.shop.tables.items]
singular = "item"
plural = "items"
columns = [
  { name = "id", type = "INTEGER", label = "id", role = "key", primary_key = true },
  { name = "maker_id", type = "INTEGER", label = "maker id", role = "key", references = ["makers", "id"] },
  { name = "parent_id", type = "INTEGER", label = "parent item id", role = "key", nullable = true, references = ["items", "id"] },
  { name = "kind", type = "VARCHAR", label = "kind", role = "category", values = ["tool", "toy"] },
  { name = "unit_price", type = "DECIMAL(6,2)", label = "unit price", role = "measure", min = 1, max = 99.5 },
  { name = "made_on", type = "DATE", label = "date made", role = "date", min = 2020-01-01, max = 2020-12-31 },
]
"""


def _parsed() -> dict:
    return tomllib.loads(GOOD)


def _column(data: dict, name: str) -> dict:
    return next(c for c in data["domains"]["shop"]["tables"]["items"]["columns"] if c["name"] == name)


def test_minimal_grammar_parses_from_text_and_mapping():
    for source in (GOOD, _parsed()):
        catalog = parse_catalog(source)
        schema = catalog.domain("shop").schema
        assert [t.name for t in schema.tables] == ["makers", "items"]
        assert schema.table("items").column("parent_id").references == ("items", "id")
        spec = catalog.domain("shop").value_specs[("items", "unit_price")]
        assert str(spec.low) == "1" and str(spec.step) == "0.01"


def _set(name: str, **changes):
    def mutate(data: dict) -> None:
        _column(data, name).update(changes)

    return mutate


def _drop(name: str, key: str):
    def mutate(data: dict) -> None:
        del _column(data, name)[key]

    return mutate


def _append(column: dict):
    def mutate(data: dict) -> None:
        data["domains"]["shop"]["tables"]["items"]["columns"].append(column)

    return mutate


BAD = [
    (_set("unit_price", label="unit_price"), "shop.items.unit_price: label 'unit_price' contains an underscore"),
    (_set("kind", role="colour"), "shop.items.kind: unknown role 'colour'"),
    (_set("kind", type="TEXT"), "shop.items.kind: unknown type 'TEXT'"),
    (_set("maker_id", references=["brands", "id"]), "shop.items.maker_id: references missing table 'brands'"),
    (_set("maker_id", references=["makers", "code"]), "shop.items.maker_id: references missing column makers.code"),
    (_set("id", primary_key=False), "shop.items: a table needs exactly one primary key"),
    (_append({"name": "kind", "type": "INTEGER", "label": "kind", "role": "count", "min": 0, "max": 1}),
     "shop.items.kind: duplicate column name"),
    (_set("kind", values=["hand_tool", "toy"]), "shop.items.kind: values: 'hand_tool' contains forbidden"),
    (_set("kind", values=["tool", "kid's toy"]), "contains forbidden"),
    (_set("kind", values=["42", "toy"]), "has no letter"),
    (_drop("kind", "values"), "shop.items.kind: a VARCHAR column needs exactly one of values"),
    (_set("kind", generator="city"), "shop.items.kind: a VARCHAR column needs exactly one of values"),
    (lambda d: (_drop("kind", "values")(d), _set("kind", generator="planet")(d)), "unknown generator 'planet'"),
    (lambda d: (_drop("kind", "values")(d), _set("kind", generator="city")(d)), "needs the vocabulary list 'cities'"),
    (_set("parent_id", nullable=False), "shop.items.parent_id: a self reference must be nullable"),
    (_set("unit_price", max=12345), "shop.items.unit_price: range [1, 12345] does not fit DECIMAL(6,2)"),
    (_set("unit_price", min=1.005), "has more than 2 decimal places"),
    (_set("made_on", min="2020-01-01"), "shop.items.made_on: min must be a TOML local date"),
    (_set("kind", nulable=True), "shop.items.kind: unknown key(s) 'nulable'"),
    (_set("kind", role="flag"), "shop.items.kind: role 'flag' needs type BOOLEAN"),
    (_set("kind", min=1), "do not apply to a VARCHAR category column"),
    (_set("made_on", after="kind", offset_days=[1, 2]), "after must name an earlier DATE column"),
    (_set("id", nullable=True), "shop.items.id: a primary key must have role 'key' and not be nullable"),
    (lambda d: d["domains"]["shop"]["tables"]["items"].update(singular="shop_item"), "shop.items: singular"),
    (lambda d: d["domains"]["shop"]["tables"].update(bad_table={"singular": "x", "plural": "xs", "columns": [
        {"name": "id", "type": "INTEGER", "label": "id", "role": "key"}]}),
     "shop.bad_table: a table needs exactly one primary key"),
    (lambda d: d["domains"].update(Other={}), "Other: domain name must be a snake_case identifier"),
]


@pytest.mark.parametrize("mutate, message", BAD, ids=[m for _, m in BAD])
def test_bad_definitions_raise_value_errors_naming_the_column(mutate, message):
    data = copy.deepcopy(_parsed())
    mutate(data)
    with pytest.raises(ValueError) as info:
        parse_catalog(data)
    assert message in str(info.value)


def test_parents_must_be_listed_first():
    text = GOOD.replace("[domains.shop.tables.makers]", "[domains.shop.tables.zzz]", 1)
    text = text.replace('references = ["makers", "id"]', 'references = ["later", "id"]')
    text += '\n[domains.shop.tables.later]\nsingular = "later"\nplural = "laters"\ncolumns = [\n'
    text += '  { name = "id", type = "INTEGER", label = "id", role = "key", primary_key = true },\n]\n'
    with pytest.raises(ValueError, match="references missing table 'later' .tables are listed parents first"):
        parse_catalog(text)


def test_toml_duplicates_are_value_errors():
    with pytest.raises(ValueError):
        parse_catalog(GOOD + '\n[domains.shop.tables.items]\nsingular = "x"\n')
