import datetime as dt
import decimal

from hypothesis import given, settings, strategies as st

from codegen_data.sql.comparator import DEFAULT_COMPARATOR as C, ResultComparator, to_json_value


def test_bag_semantics_ignore_order_unless_asked():
    a = [[1, "x"], [2, "y"]]
    b = [[2, "y"], [1, "x"]]
    assert C.equal(a, b, order_matters=False)
    assert not C.equal(a, b, order_matters=True)


def test_multiplicity_counts():
    assert not C.equal([[1], [1], [2]], [[1], [2], [2]], order_matters=False)
    assert C.difference([[1]], [[1], [1]], order_matters=False) == "row count 1 != 2"


def test_null_equals_only_null():
    assert C.equal([[None]], [[None]], order_matters=True)
    assert not C.equal([[None]], [[0]], order_matters=True)
    assert not C.equal([[None]], [[""]], order_matters=True)


def test_float_tolerance_is_relative_and_documented():
    assert C.equal([[1 / 3]], [[0.3333333334]], order_matters=True)
    assert not C.equal([[1.0]], [[1.001]], order_matters=True)
    assert ResultComparator(rel_tol=1e-2).equal([[1.0]], [[1.001]], order_matters=True)


def test_bool_equals_int_because_sqlite_has_no_boolean():
    assert C.equal([[True, False]], [[1, 0]], order_matters=True)
    assert not C.equal([["1"]], [[1]], order_matters=True)


def test_column_count_differs_even_when_empty():
    exp = {"columns": ["a", "b"], "rows": []}
    act = {"columns": ["a"], "rows": []}
    assert C.results_difference(exp, act, order_matters=False) == "column count 2 != 1"
    assert C.results_difference(exp, {"columns": ["x", "y"], "rows": []}, order_matters=False) is None


def test_json_values():
    assert to_json_value(dt.date(2020, 1, 2)) == "2020-01-02"
    assert to_json_value(dt.datetime(2020, 1, 2, 3, 4, 5)) == "2020-01-02 03:04:05"
    assert to_json_value(decimal.Decimal("3.50")) == 3.5
    assert to_json_value(float("nan")) == "nan"
    assert to_json_value([decimal.Decimal("1"), None]) == [1.0, None]


rows = st.lists(st.lists(st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["a", "b"]),
                                   st.floats(-10, 10, allow_nan=False)), min_size=2, max_size=2), max_size=8)


@settings(deadline=None)  # microseconds each; a stall of the machine is not a failure
@given(rows, st.randoms())
def test_any_permutation_is_bag_equal(r, rnd):
    shuffled = list(r)
    rnd.shuffle(shuffled)
    assert C.equal(r, shuffled, order_matters=False)


@settings(deadline=None)
@given(rows)
def test_comparison_is_symmetric(r):
    other = [list(reversed(x)) for x in r]
    assert C.equal(r, other, order_matters=False) == C.equal(other, r, order_matters=False)


def test_canonical_order_is_a_total_order_over_mixed_values():
    from codegen_data.sql.comparator import canonical_order

    rows = [["b", None, 2], ["a", 1.5, True], [None, "x", 0], ["a", 1.5, False]]
    assert canonical_order(rows) == canonical_order(list(reversed(rows)))
    assert canonical_order(rows)[0] == [None, "x", 0]
