"""The INSERT text a database script is written with directly is exactly what sqlglot writes."""

import datetime
import decimal

import pytest

from codegen_data.sql import scripts
from codegen_data.sql.domains import domain_names
from codegen_data.sql.runtime import DatabaseSpec, build_database


@pytest.mark.parametrize("seed, null_rate, max_rows", [(0, 0.1, 60), (1, 0.5, 30), (7, 0.0, 20)])
def test_every_domain_script_is_what_sqlglot_writes(seed, null_rate, max_rows):
    for domain in domain_names():
        db = build_database(DatabaseSpec(domain, 0, seed, 20, max_rows, null_rate))
        for table in db.schema.tables:
            rows = db.rows[table.name]
            if rows:
                fast = scripts._insert_text(table.name, rows)
                assert fast is not None, table.name  # the synthesizer's values all have a direct text
                assert fast == scripts._rendered_insert(table.name, rows), (domain, table.name)


ODD_ROWS = [
    (1, "O'Brien", None, True, decimal.Decimal("-12.50"), -3, -1.5, 1e-05, 1e16, datetime.date(2024, 2, 29)),
    (2, "é ü ''", "x" * 90, False, decimal.Decimal("0.00"), 0, 0.1, 3.0, 2.5, datetime.datetime(2024, 1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("table", ["t", "order", "select", "Mixed Case"])
def test_odd_values_wide_rows_and_quoted_names(table):
    for rows in (ODD_ROWS, [r[:3] for r in ODD_ROWS], [(1,)]):
        assert scripts._insert_text(table, rows) == scripts._rendered_insert(table, rows)


@pytest.mark.parametrize("value", ["a\\b", "x\ny", "tab\there", float("nan"), decimal.Decimal("NaN"), b"bytes"])
def test_values_only_sqlglot_should_write_fall_back(value):
    rows = [(1, value)]
    assert scripts._insert_text("t", rows) is None
    if not isinstance(value, (bytes, float, decimal.Decimal)):
        db_text = scripts._rendered_insert("t", rows)
        assert db_text.startswith("INSERT INTO t")
