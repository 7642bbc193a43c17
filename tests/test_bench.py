"""The bench runs end to end at tiny sizes and returns its documented structure (never a speed check)."""

import json

import pytest

from codegen_data.bench import bench_table, run_bench


@pytest.mark.slow
def test_quick_bench_at_tiny_scale_has_every_row():
    results = run_bench(quick=True, scale=0.1)
    json.dumps(results)  # serialisable as is, for --json
    assert results["machine"]["cpu_count"] >= 1
    assert results["machine"]["sqlglot_build"] in ("compiled", "pure Python")
    for row in ("sql", "programs"):
        assert set(results[row]["samples_per_s"]) == {"1", "2"}
        assert all(rate > 0 for rate in results[row]["samples_per_s"].values())
        assert all(kept > 0 for kept in results[row]["kept"].values())
        assert results[row]["ratio"]["value"] > 0
        assert results["scaling"][row] > 0
    assert results["sql"]["floor"]["seconds"] > 0
    assert results["sql"]["floor"]["queries"] == results["sql"]["kept"]["2"]
    assert results["programs"]["subprocess"]["programs_per_s"] > 0
    assert results["programs"]["subprocess"]["nonzero_exits"] == 0  # kept programs run cleanly on their inputs
    crux = results["cruxeval"]
    assert "skipped" in crux or (crux["sample_sandbox_checks_per_s"] > 0 and crux["sample_subprocess_checks_per_s"] > 0)
    sizes = results["memory"]["sizes"]
    assert [s["task"] for s in sizes] == ["text_to_sql"] * 2 + ["py_output"] * 2
    assert sizes[0]["n"] < sizes[1]["n"] and sizes[2]["n"] < sizes[3]["n"]
    assert all(s["exit"] == 0 and s["main_mb"] > 0 and s["workers_max_mb"] > 0 and s["workers_seen"] == 2 for s in sizes)
    assert all(s["candidates"] >= s["n"] + s["duplicates"] for s in sizes)  # read from each run's manifest
    table = bench_table(results)
    assert "text_to_sql" in table and "py_output" in table and "peak RSS" in table
    assert f"sqlglot {results['machine']['engines']['sqlglot']} ({results['machine']['sqlglot_build']})" in table
    names = [t["name"] for t in results["targets"]]
    assert len(names) == 8 and all(t["met"] in (True, False, None) for t in results["targets"])
    assert all(t["what"] in table for t in results["targets"])


@pytest.mark.slow
def test_generation_rates_are_medians_of_runs_taken_in_turns(tmp_path):
    from codegen_data.bench import _generation_rows

    row, records, out = _generation_rows("py_output", 8, tmp_path, 3)
    for workers in ("1", "2"):
        runs = row["runs"][workers]
        assert len(runs) == 3 and row["samples_per_s"][workers] == sorted(runs)[1]
    assert len(records) == row["kept"]["2"] and out == tmp_path / "w2-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1-2", "w2-2"]  # earlier runs' output removed


@pytest.mark.slow
def test_cruxeval_rates_are_medians_of_sample_runs(tmp_path):
    from codegen_data.bench import _cruxeval_row

    row = _cruxeval_row(20, 12, tmp_path / "c", 3)
    if "skipped" in row:
        pytest.skip(row["skipped"])
    runs = row["sample_runs"]
    assert len(runs["sandbox_seconds"]) == len(runs["subprocess_seconds"]) == 3
    assert row["sample_sandbox_checks_per_s"] == round(row["sample"] / sorted(runs["sandbox_seconds"])[1], 1)
    assert row["sample_same_verdicts"] == row["sample"]


def test_targets_are_judged_from_the_measured_rows():
    from codegen_data.bench import targets

    results = {
        "sql": {"samples_per_s": {"1": 100.0, "2": 410.0}},
        "programs": {"samples_per_s": {"1": 300.0, "2": 500.0}, "ratio": {"value": 9.0}},
        "cruxeval": {"skipped": "no data"},
        "memory": {"sizes": [{"task": "py_output", "main_mb": 60.0, "workers_max_mb": 50.0},
                            {"task": "py_output", "main_mb": 61.0, "workers_max_mb": 70.0}]},
        "scaling": {"sql": 4.1, "programs": 1.67},
    }
    met = {t["name"]: t["met"] for t in targets(results)}
    assert met == {
        "sql_samples_per_s_w2": True, "programs_samples_per_s_w2": False, "programs_vs_subprocess": True,
        "cruxeval_checks_per_s": None, "cruxeval_vs_subprocess": None, "memory_growth": False,
        "sql_scaling": True, "programs_scaling": False,
    }


def test_cruxeval_row_is_skipped_with_a_reason_without_the_data(tmp_path, monkeypatch):
    from codegen_data import bench

    monkeypatch.setattr(bench, "EXTERNAL_CRUXEVAL", tmp_path / "absent")
    row = bench._cruxeval_row(5, 5, tmp_path / "work")
    assert "skipped" in row and "absent" in row["skipped"]


def test_sizes_scale_down_but_stay_usable():
    from codegen_data.bench import SIZES, _scaled

    tiny = _scaled(SIZES[True], 0.01)
    assert tiny["sql"] == 5 and tiny["memory_sql"] == (5, 10) and tiny["memory_programs"] == (10, 50)
    assert _scaled(SIZES[False], 1.0)["crux_items"] is None  # full mode: the whole benchmark


def test_structure_counts_match_what_a_run_keeps(tmp_path):
    """The counting processes generate and key exactly the candidates a run draws: a py_output run
    keeps each candidate whose structure is new (programs are rejected for nothing else at this size),
    so its n-th record comes from the candidate at which the count reaches n, whatever the number of
    counting processes."""
    from codegen_data.bench import structure_yield, structures_table
    from codegen_data.pipeline import plan_generation, run_generation

    summary = run_generation(plan_generation(["py_output"], n=120, seed=0), tmp_path / "out", workers=2)
    assert summary.rejected.keys() <= {"duplicate_structure"}
    drawn = summary.candidates
    at_end = structure_yield("py_output", drawn, workers=2)
    assert at_end["curve"][-1] == {**at_end["curve"][-1], "candidates": drawn, "distinct": 120}
    assert structure_yield("py_output", drawn - 1, workers=3)["curve"][-1]["distinct"] == 119
    kept = [json.loads(line)["group"] for line in (tmp_path / "out" / "data" / "test.jsonl").read_text().splitlines()]
    assert len(set(kept)) == 120
    points = at_end["curve"]
    assert [p["candidates"] for p in points] == sorted({100, drawn})
    assert all(0 < p["share"] <= 1 and 0 <= p["marginal"] <= 1 for p in points)
    assert "distinct structures among the first" in structures_table(at_end)


def test_bench_structures_refuses_a_bad_spec_in_one_line():
    from click.testing import CliRunner

    from codegen_data.cli import main

    for spec, message in [("py_output", "TASK:N"), ("py_output:0", "TASK:N"), ("nosuch:10", "unknown task 'nosuch'")]:
        result = CliRunner().invoke(main, ["bench", "--structures", spec])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
