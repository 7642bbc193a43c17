"""codegen_data.compare: regression gates, flipped items, the paired test, and the three outputs."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from codegen_data.compare import compare_command, compare_reports, mcnemar_exact
from codegen_data.evaluate import ItemResult, build_report, evaluate, write_report

from .conftest import generate

ALL_TASKS = ("text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair")
DATASET = {"name": "synthetic", "manifest_sha256": "a" * 64}


def result(id: str, ok: bool, task: str = "t1", features: tuple[str, ...] = (), error: str = "wrong") -> ItemResult:
    return ItemResult(id, task, passed=[ok], failure=[None if ok else "wrong_answer"], error=["" if ok else error],
                      raw=["raw"], extracted=["answer"], difficulty="easy", features=list(features))


def report_of(outcomes: dict[str, bool], *, tasks: dict[str, str] | None = None, features: dict[str, tuple] | None = None,
              dataset: dict = DATASET, errors: dict[str, str] | None = None) -> dict:
    items = [result(i, ok, (tasks or {}).get(i, "t1"), (features or {}).get(i, ()), (errors or {}).get(i, "wrong"))
             for i, ok in outcomes.items()]
    return build_report(items, dataset=dataset)


def save(path: Path, report: dict) -> Path:
    write_report(report, path)
    return path


# ---------------------------------------------------------------- the paired test


def test_mcnemar_exact_hand_computed():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 0) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(10, 2) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert mcnemar_exact(7, 7) == 1.0
    assert mcnemar_exact(600, 400) == pytest.approx(
        2 * sum(math.comb(1000, i) for i in range(401)) / 2**1000, rel=1e-9)
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


# ---------------------------------------------------------------- gates and flips


def test_identical_reports_pass():
    report = report_of({f"i{n}": n % 3 != 0 for n in range(30)})
    comparison = compare_reports(report, json.loads(json.dumps(report)))
    assert comparison.exit_code == 0 and comparison.broke == [] and comparison.fixed == []
    assert comparison.p_value == 1.0 and "no net change" in comparison.text()


def test_a_planted_five_percent_regression_fails():
    base = {f"i{n:03}": True for n in range(100)}
    new = {**base, "i007": False, "i020": False, "i031": False, "i042": False, "i099": False}
    comparison = compare_reports(report_of(base), report_of(new))
    assert comparison.exit_code == 1
    assert [g.name for g in comparison.regressions] == ["pass@1", "t1"]
    assert [i["id"] for i in comparison.broke] == ["i007", "i020", "i031", "i042", "i099"]
    assert comparison.p_value == pytest.approx(2 / 32)
    text = comparison.text()
    assert "REGRESSION" in text and "i042" in text and "within chance" in text


def test_a_significant_drop_is_called_larger_than_chance():
    base = {f"i{n:03}": True for n in range(100)}
    new = {**base, **{f"i{n:03}": False for n in range(10)}}
    comparison = compare_reports(report_of(base), report_of(new))
    assert comparison.p_value == pytest.approx(2 / 1024)
    assert "the drop is larger than chance" in comparison.text()


def test_a_task_drop_fails_even_when_the_overall_score_holds():
    ids = [f"i{n:03}" for n in range(200)]
    tasks = {i: ("small" if n < 20 else "big") for n, i in enumerate(ids)}
    base = {i: True for i in ids}
    new = {**base, "i003": False}  # overall -0.5 points, task "small" -5 points
    comparison = compare_reports(report_of(base, tasks=tasks), report_of(new, tasks=tasks))
    assert comparison.exit_code == 1 and [g.name for g in comparison.regressions] == ["small"]
    assert compare_reports(report_of(base, tasks=tasks), report_of(new, tasks=tasks), max_drop=0.05).exit_code == 0


def test_a_drop_equal_to_the_threshold_passes():
    base = {f"i{n:03}": True for n in range(100)}
    new = {**base, "i050": False}
    assert compare_reports(report_of(base), report_of(new), max_drop=0.01).exit_code == 0
    assert compare_reports(report_of(base), report_of(new), max_drop=0.005).exit_code == 1


def test_improvements_are_listed_and_pass():
    base = {f"i{n}": n >= 5 for n in range(20)}
    new = {f"i{n}": True for n in range(20)}
    comparison = compare_reports(report_of(base), report_of(new))
    assert comparison.exit_code == 0
    assert [i["id"] for i in comparison.fixed] == [f"i{n}" for n in range(5)]
    assert "fail -> pass (5)" in comparison.text()


def test_item_outcome_is_the_majority_of_its_predictions():
    def multi(id: str, passed: list[bool]) -> ItemResult:
        return ItemResult(id, "t1", passed=passed, failure=[None if p else "wrong_answer" for p in passed],
                          error=[""] * len(passed), raw=["r"] * len(passed), extracted=["r"] * len(passed))

    base = build_report([multi("a", [True, True, False]), multi("b", [True, False]), multi("c", [])], dataset=DATASET)
    new = build_report([multi("a", [True, False, False]), multi("b", [False, True]), multi("c", [])], dataset=DATASET)
    comparison = compare_reports(base, new, max_drop=1.0)
    assert [i["id"] for i in comparison.broke] == ["a"] and comparison.fixed == []


def test_features_where_the_drop_concentrates_come_first():
    ids = [f"i{n:02}" for n in range(40)]
    features = {i: (("join", "where") if n % 2 else ("where",)) for n, i in enumerate(ids)}
    base = {i: True for i in ids}
    new = {**base, "i01": False, "i03": False, "i05": False}
    comparison = compare_reports(report_of(base, features=features), report_of(new, features=features))
    top = comparison.features[0]
    assert (top.name, top.items, top.broke) == ("join", 20, 3)
    assert top.delta == pytest.approx(-0.15)
    assert comparison.features[1].name == "where" and comparison.features[1].delta == pytest.approx(-3 / 40)
    assert "join" in comparison.text().split("features where the drop concentrates")[1]


# ---------------------------------------------------------------- outputs


def planted_pair():
    ids = [f"t{n:02}" for n in range(30)]
    tasks = {i: ("text_to_sql" if n < 15 else "py_output") for n, i in enumerate(ids)}
    base = {i: n % 10 != 9 for n, i in enumerate(ids)}
    new = {**base, "t01": False, "t16": False, "t09": True}
    errors = {"t01": "bad | pipe\nand `ticks` <b>", "t16": "control \x00\x1b and a lone \ud800 surrogate ]]>"}
    return (report_of(base, tasks=tasks, errors=errors, features={"t01": ("join",)}),
            report_of(new, tasks=tasks, errors=errors, features={"t01": ("join",)}))


def test_markdown_is_a_well_formed_pr_comment():
    base, new = planted_pair()
    text = compare_reports(base, new).markdown()
    lines = text.splitlines()
    assert lines[0].startswith("### :x: codegen-data compare: REGRESSION")
    tables = [line for line in lines if line.startswith("|")]
    assert tables
    header = lines.index("| score | base | new | delta | |")
    columns = lines[header].count("|") - lines[header].count("\\|")
    for line in lines[header:]:
        if not line.startswith("|"):
            break
        assert line.count("|") - line.count("\\|") == columns, line
    assert text.count("<details>") == text.count("</details>") == 2
    assert "`t01` (text_to_sql): wrong_answer (bad \\| pipe and 'ticks' &lt;b>)" in text
    assert "\n\n\n" not in text


def test_junit_is_valid_xml_with_a_testcase_per_item():
    base, new = planted_pair()
    text = compare_reports(base, new).junit()
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    items, gates = root.findall("testsuite")
    cases = items.findall("testcase")
    assert len(cases) == int(items.get("tests")) == 30
    failing = [c for c in cases if c.find("failure") is not None]
    expected = [i["id"] for i in new["items"] if not i["passed"][0]]
    assert [c.get("name") for c in failing] == expected and int(items.get("failures")) == len(expected)
    assert all(c.get("classname") in ("text_to_sql", "py_output") for c in cases)
    regressed = {c.get("name") for c in failing if "regression" in c.find("failure").get("message")}
    assert regressed == {"t01", "t16"}
    t16 = next(c for c in failing if c.get("name") == "t16").find("failure").text
    assert "\\x00" in t16 and "\\ud800" in t16
    assert {c.get("name") for c in gates.findall("testcase")} == {"pass@1", "text_to_sql", "py_output"}
    assert int(gates.get("failures")) == len(gates.findall("testcase/failure")) >= 1
    assert int(root.get("tests")) == 30 + 3
    for suite in (items, gates):
        assert {"name", "tests", "failures", "errors", "skipped", "time"} <= set(suite.attrib)


def test_formats_share_the_exit_code(tmp_path):
    base, new = planted_pair()
    paths = save(tmp_path / "base.json", base), save(tmp_path / "new.json", new)
    for fmt in ("text", "markdown", "junit"):
        code, text = compare_command(*paths, fmt=fmt)
        assert code == 1 and text
    assert compare_command(paths[0], paths[0])[0] == 0


# ---------------------------------------------------------------- refusals


def test_refuses_reports_on_different_datasets(tmp_path):
    outcomes = {"a": True, "b": False}
    other = {"name": "other", "manifest_sha256": "b" * 64}
    code, text = compare_command(save(tmp_path / "a.json", report_of(outcomes)),
                                 save(tmp_path / "b.json", report_of(outcomes, dataset=other)))
    assert code == 2 and "different datasets" in text and "\n" not in text


@pytest.mark.parametrize("content, message", [
    (None, "report not found"),
    (b"{not json", "is not a JSON report"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"summary": {}, "items": [], "dataset": {}}', "no dataset.manifest_sha256"),
])
def test_refuses_unreadable_reports(tmp_path, content, message):
    good = save(tmp_path / "good.json", report_of({"a": True}))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_bytes(content)
    code, text = compare_command(good, bad)
    assert code == 2 and message in text and "\n" not in text


def test_refuses_other_items_and_bad_options(tmp_path):
    a = save(tmp_path / "a.json", report_of({"a": True, "b": True}))
    b = save(tmp_path / "b.json", report_of({"a": True, "c": True}))
    code, text = compare_command(a, b)
    assert code == 2 and "different items" in text
    assert compare_command(a, a, max_drop=-0.1)[0] == 2
    assert compare_command(a, a, max_drop=5)[0] == 2
    code, text = compare_command(a, a, fmt="html")
    assert code == 2 and "--format" in text


# ---------------------------------------------------------------- end to end, on a real dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "ds"
    generate(out, ALL_TASKS, n=40, seed=4, workers=2)
    return out


def test_real_reports_with_a_planted_regression(dataset, tmp_path):
    with (dataset / "data" / "test.jsonl").open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    assert len(records) == 40
    broken = {records[3]["id"], records[-2]["id"]}  # 2 of 40: 5%

    def run(name: str, lines: list[dict]) -> Path:
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        evaluate(dataset, path, out=tmp_path / f"{name}.json", workers=2)
        return tmp_path / f"{name}.json"

    gold = run("gold", [{"id": r["id"], "prediction": r["answer"]} for r in records])
    again = run("again", [{"id": r["id"], "prediction": f"```\n{r['answer']}\n```"} for r in records])
    worse = run("worse", [{"id": r["id"], "prediction": "" if r["id"] in broken else r["answer"]} for r in records])
    code, text = compare_command(gold, again)
    assert code == 0 and "no net change" in text and "0 pass -> fail" in text
    code, text = compare_command(gold, worse, max_drop=0.01)
    assert code == 1
    assert "pass -> fail (2)" in text and all(i in text for i in broken)
    assert "within chance" in text  # 2 discordant items: p = 0.5
    code, xml = compare_command(gold, worse, fmt="junit")
    assert code == 1 and len(ET.fromstring(xml).find("testsuite").findall("testcase")) == 40


def test_a_report_made_without_k_1_is_refused_with_what_to_do(tmp_path):
    """compare gates on pass@1; a report of `evaluate --k 5` has none, and the refusal says how to get one."""
    base = save(tmp_path / "base.json", report_of({"a": True, "b": False}))
    new = build_report([result("a", True), result("b", False)], dataset=DATASET, ks=(5,))
    assert "pass@1" not in new["summary"]
    code, text = compare_command(base, save(tmp_path / "new.json", new))
    assert code == 2 and "no pass@1" in text and "--k 1" in text and "\n" not in text
