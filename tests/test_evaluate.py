"""codegen_data.evaluate: predictions scored by execution on a real dataset, in real scoring processes."""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from codegen_data.evaluate import (
    ItemResult,
    build_report,
    evaluate,
    evaluate_command,
    parse_ks,
    pass_at_k,
    read_predictions,
    write_report,
)
from codegen_data.sandbox import sandbox_layers
from codegen_data.task import ConfigError

from .conftest import generate

ALL_TASKS = ("text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair")
DATASET = {"name": "synthetic", "manifest_sha256": "0" * 64}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Six items of every task, generated once."""
    out = tmp_path_factory.mktemp("evaluate") / "ds"
    generate(out, ALL_TASKS, n=42, seed=11, workers=2)
    return out


@pytest.fixture(scope="module")
def records(dataset) -> list[dict]:
    with (dataset / "data" / "test.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def by_task(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for record in records:
        out.setdefault(record["task"], []).append(record)
    return out


def write_predictions(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def gold_lines(records: list[dict]) -> list[dict]:
    return [{"id": r["id"], "prediction": r["answer"]} for r in records]


# ---------------------------------------------------------------- pass@k


def closed_form(n: int, c: int, k: int) -> float:
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def test_pass_at_k_hand_computed():
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_at_k(5, 2, 5) == 1.0
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - math.comb(7, 5) / math.comb(10, 5))  # 11/12
    assert pass_at_k(10, 3, 5) == pytest.approx(11 / 12)
    assert pass_at_k(1, 0, 1) == 0.0 and pass_at_k(1, 1, 1) == 1.0
    assert pass_at_k(1000, 1, 1) == pytest.approx(0.001)


def test_pass_at_k_matches_the_closed_form_everywhere():
    for n in range(1, 16):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(closed_form(n, c, k), abs=1e-12), (n, c, k)


@pytest.mark.parametrize("args", [(3, 1, 4), (0, 0, 1), (5, 6, 1), (5, -1, 1), (5, 2, 0), (5.0, 2, 1), (5, True, 1)])
def test_pass_at_k_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        pass_at_k(*args)


# ---------------------------------------------------------------- build_report (the shared API)


def item(id: str, passed: list[bool], task: str = "t", **kw) -> ItemResult:
    return ItemResult(id, task, passed=passed, failure=[None if p else "wrong_answer" for p in passed],
                      error=["" if p else "x" for p in passed], raw=["r"] * len(passed),
                      extracted=["r"] * len(passed), **kw)


def test_build_report_scores_and_breakdowns():
    items = [
        item("a", [True, False, True, False, False], task="t1", difficulty="easy", features=["f", "g"]),
        item("b", [True] * 3 + [False] * 7, task="t1", difficulty="hard", features=["g"]),
        item("c", [False], task="t2", difficulty="easy", features=["f"]),
        item("d", [], task="t2", difficulty="hard"),
    ]
    report = build_report(items, dataset=DATASET, ks=(1, 5, 10), unknown_ids=["zz", "zz", "yy"])
    s = report["summary"]
    # pass@1 over every item with >= 1 prediction plus the missing one (0)
    assert s["pass@1"] == pytest.approx((0.4 + 0.3 + 0.0 + 0.0) / 4)
    # pass@5: a and b have >= 5 predictions, c has 1 (left out), d is missing (0)
    assert s["pass@5"] == pytest.approx((1.0 + closed_form(10, 3, 5)) / 3)
    assert s["pass@10"] == pytest.approx((1.0 + 0.0) / 2)
    assert s["items_scored"] == {"pass@1": 4, "pass@5": 3, "pass@10": 2}
    assert s["k"] == [1, 5, 10]
    assert (s["items"], s["predictions"], s["passed"], s["missing"]) == (4, 16, 5, 1)
    assert s["failures"] == {"wrong_answer": 11, "missing": 1}
    assert s["missing_ids"] == ["d"] and s["unknown_ids"] == ["zz", "yy"]
    assert s["by_task"]["t1"]["pass@1"] == pytest.approx(0.35)
    assert s["by_task"]["t2"]["pass@1"] == 0.0 and s["by_task"]["t2"]["pass@5"] is None
    assert s["by_difficulty"]["easy"]["pass@1"] == pytest.approx(0.2)
    assert s["by_feature"]["g"]["pass@1"] == pytest.approx(0.35) and s["by_feature"]["f"]["items"] == 2
    assert [i["id"] for i in report["items"]] == ["a", "b", "c", "d"]
    assert report["items"][3] == {"id": "d", "task": "t2", "difficulty": "hard", "features": [], "missing": True,
                                  "passed": [], "failure": [], "error": [], "raw": [], "extracted": []}
    assert report["dataset"] == DATASET
    json.dumps(report)  # plain JSON


def test_build_report_rejects_inconsistent_items():
    bad = ItemResult("a", "t", passed=[True], failure=[None], error=[""], raw=["x"], extracted=[])
    with pytest.raises(ValueError):
        build_report([bad], dataset=DATASET)
    with pytest.raises(ValueError):
        build_report([ItemResult("a", "t", passed=[False], failure=[None], error=[""], raw=["x"], extracted=["x"])],
                     dataset=DATASET)
    with pytest.raises(ValueError):
        build_report([item("a", [True]), item("a", [False])], dataset=DATASET)
    with pytest.raises(ValueError):
        build_report([item("a", [True])], dataset={"name": "x"})
    with pytest.raises(ValueError):
        build_report([item("a", [True])], dataset=DATASET, ks=(0,))


def test_parse_ks():
    assert parse_ks("1,5,10") == (1, 5, 10) and parse_ks("10, 1") == (1, 10)
    for bad in ("", "a", "0", "1,-2"):
        with pytest.raises(ConfigError):
            parse_ks(bad)


def test_write_report_is_atomic(tmp_path):
    path = tmp_path / "sub" / "report.json"
    report = build_report([item("a", [True]), item("b", [False])], dataset=DATASET)
    report["items"][0]["raw"] = ["lone surrogate \ud800 and ☃"]
    write_report(report, path)
    write_report(report, path)  # replaced in place
    assert json.loads(path.read_text(encoding="utf-8")) == report
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


# ---------------------------------------------------------------- predictions files


@pytest.mark.parametrize("content, message", [
    (b"", "holds no predictions"),
    (b"\n\n", "holds no predictions"),
    (b'{"id": "a", "prediction": "x"}\nnot json\n', "line 2: not valid JSON"),
    (b'{"prediction": "x"}\n', "line 1: no 'id'"),
    (b'{"id": 3, "prediction": "x"}\n', "line 1: 'id' must be a non-empty string"),
    (b'{"id": "", "prediction": "x"}\n', "line 1: 'id' must be a non-empty string"),
    (b'{"id": "a", "prediction": 3}\n', "line 1: 'prediction' must be a string"),
    (b'{"id": "a", "prediction": null}\n', "line 1: 'prediction' must be a string"),
    (b'{"id": "a", "predictions": "x"}\n', "line 1: 'predictions' must be a list of strings"),
    (b'{"id": "a", "predictions": ["x", 1]}\n', "line 1: predictions[1] must be a string"),
    (b'{"id": "a", "predictions": []}\n', "line 1: 'predictions' is an empty list"),
    (b'{"id": "a", "prediction": "x", "predictions": ["y"]}\n', "line 1: give 'prediction' or 'predictions', not both"),
    (b'{"id": "a"}\n', "line 1: no 'prediction'"),
    (b'["a", "x"]\n', "line 1: expected a JSON object"),
    (b'{"id": "a", "prediction": "x"}\n{"id": "b", "prediction": "\xff"}\n', "line 2: not UTF-8"),
    (b"[" * 100_000 + b"\n", "line 1:"),
])
def test_bad_predictions_files_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "p.jsonl"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        read_predictions(path)
    text = str(info.value)
    assert message in text and "\n" not in text and str(path) in text


def test_missing_predictions_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read predictions file"):
        read_predictions(tmp_path / "absent.jsonl")


def test_samples_of_one_id_append_in_file_order(tmp_path):
    path = write_predictions(tmp_path / "p.jsonl", [
        {"id": "a", "prediction": "1", "model": "ignored"}, {"id": "b", "predictions": ["x", "y"]},
        {"id": "a", "predictions": ["2", "3"]}, {"id": "a", "prediction": ""},
    ])
    assert read_predictions(path) == {"a": ["1", "2", "3", ""], "b": ["x", "y"]}


def test_a_bad_predictions_file_stops_before_scoring(dataset, records, tmp_path):
    lines = gold_lines(records[:3]) + [{"id": records[3]["id"], "prediction": ["not", "a", "string"]}]
    path = write_predictions(tmp_path / "p.jsonl", lines)
    with pytest.raises(ConfigError, match=r"line 4: 'prediction' must be a string"):
        evaluate(dataset, path, out=tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


def test_an_altered_dataset_is_refused(dataset, records, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    with (copy / "data" / "test.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({**records[0], "id": "forged"}) + "\n")
    with pytest.raises(ConfigError, match="does not match"):
        evaluate(copy, write_predictions(tmp_path / "p.jsonl", gold_lines(records[:1])))
    with pytest.raises(ConfigError, match="not a codegen-data dataset"):
        evaluate(tmp_path, tmp_path / "p.jsonl")
    with pytest.raises(ConfigError, match="no split 'train'"):
        evaluate(dataset, tmp_path / "p.jsonl", split="train")


# ---------------------------------------------------------------- scoring real predictions


def test_gold_answers_score_one_on_every_task(dataset, records, tmp_path):
    out = tmp_path / "report.json"
    report = evaluate(dataset, write_predictions(tmp_path / "p.jsonl", gold_lines(records)), out=out, workers=2)
    s = report["summary"]
    assert s["pass@1"] == 1.0 and s["failures"] == {} and s["missing_ids"] == [] and s["unknown_ids"] == []
    assert set(s["by_task"]) == set(ALL_TASKS)
    assert all(scores["pass@1"] == 1.0 for scores in s["by_task"].values())
    assert all(scores["pass@1"] == 1.0 for scores in s["by_difficulty"].values())
    assert s["pass@5"] is None and s["items_scored"]["pass@5"] == 0
    assert [i["id"] for i in report["items"]] == [r["id"] for r in records]
    assert json.loads(out.read_text(encoding="utf-8")) == report
    manifest = (dataset / "manifest.json").read_bytes()
    assert report["dataset"] == {"name": "ds", "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
                                 "splits": ["test"], "records": len(records)}


def _drop_where(sql: str, dialect: str) -> str | None:
    """The query without its WHERE when that WHERE is one condition (verification proved removing it
    changes the result), else None."""
    tree = sqlglot.parse_one(sql, read=dialect)
    where = tree.args.get("where")
    if where is None or isinstance(where.this, (exp.And, exp.Or)):
        return None
    tree.set("where", None)
    return tree.sql(dialect)


def _wrong_sql(record: dict) -> str:
    dialect = "sqlite" if record["task"] == "sql_translate" else "duckdb"
    # Without the WHERE, or (always wrong: a gold result is never empty) no row at all.
    return _drop_where(record["answer"], dialect) or f"SELECT * FROM ({record['answer']}) AS t LIMIT 0"


def _off_by_one_table(answer: str) -> str:
    lines = answer.split("\n")
    for r, line in enumerate(lines[1:], 1):
        cells = line.split(" | ")
        for c, cell in enumerate(cells):
            try:
                cells[c] = str(int(cell) + 1)
            except ValueError:
                try:
                    cells[c] = repr(float(cell) + 1)
                except ValueError:
                    continue
            lines[r] = " | ".join(cells)
            return "\n".join(lines)
    return "\n".join(lines[:-1])  # no number: one row fewer


def _off_by_one_value(answer: str) -> str:
    value = ast.literal_eval(answer)
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value + 1)
    return repr([value])


def _other_arguments(record: dict) -> str:
    return next(t["input"] for t in record["tests"] if t.get("output") not in (None, record["output"]))


WRAPPED_WRONG = "{code}\n_gold = {entry}\ndef {entry}(*args, **kwargs):\n    return (_gold(*args, **kwargs), 'bug')\n"
LOOP = "def {entry}(*args, **kwargs):\n    while True:\n        pass\n"
HOSTILE = """import os, socket
def {entry}(*args, **kwargs):
    for attempt in (lambda: open({target!r}, "w").write("pwned"),
                    lambda: socket.create_connection(("1.1.1.1", 53), timeout=1),
                    lambda: open("/etc/passwd").read(),
                    lambda: os.kill(os.getppid(), 9)):
        try:
            attempt()
        except Exception:
            pass
    return object()
"""
MEMORY_BOMB = "x = [0] * (10 ** 10)\ndef {entry}(*args):\n    return x\n"
RECURSION = "def {entry}(*args):\n    return {entry}(*args)\n"
INFINITE_SQL = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t"

ANY_FAILURE = {"wrong_answer", "execution_error", "timeout", "syntax_error"}


def wrong_predictions(records: list[dict], target: Path) -> dict[str, tuple[str, set[str] | None]]:
    """id -> (prediction, the failure kinds it may get; None: it must pass). Per task: item 0 and 5
    gold, items 1-4 wrong in known ways."""
    plan: dict[str, tuple[str, set[str] | None]] = {}
    for task, rs in by_task(records).items():
        for i, r in enumerate(rs):
            entry = r.get("entry_point", "f")
            if i in (0, 5):
                plan[r["id"]] = (r["answer"], None)
                continue
            if task in ("text_to_sql", "sql_translate"):
                cases = [
                    (_wrong_sql(r), {"wrong_answer"}),
                    (r["answer"].replace("SELECT", "SELEC", 1), {"syntax_error"}),
                    (INFINITE_SQL, {"timeout", "execution_error"}),
                    (f"COPY (SELECT 42) TO '{target}.csv'" if task == "text_to_sql"
                     else f"ATTACH DATABASE '{target}.db' AS pwned", {"execution_error", "syntax_error"}),
                ]
            elif task == "sql_output":
                cases = [
                    (_off_by_one_table(r["answer"]), {"wrong_answer"}),
                    (r["answer"] + "\n" + r["answer"].split("\n")[-1] + " | extra", {"wrong_answer"}),
                    ("", {"no_answer"}),
                    ("'; DROP TABLE users; --", {"wrong_answer"}),
                ]
            elif task == "py_output":
                cases = [
                    (_off_by_one_value(r["answer"]), {"wrong_answer"}),
                    (r["answer"] + " + [", {"syntax_error"}),
                    (f"__import__('os').system('touch {target}')", {"syntax_error"}),
                    ("[" * 100_000 + "]" * 100_000, {"syntax_error"}),
                ]
            elif task == "py_input":
                cases = [
                    (_other_arguments(r), {"wrong_answer"}),
                    (r["answer"] + ", (", {"syntax_error", "execution_error"}),
                    ("any(iter(int, 1))", {"timeout"}),
                    ("open('/etc/passwd').read(), 1, 2, 3, 4, 5, 6, 7, 8", {"execution_error"}),
                ]
            elif task == "py_synthesis":
                cases = [
                    (WRAPPED_WRONG.format(code=r["answer"], entry=entry), {"wrong_answer"}),
                    (f"def {entry}(:\n    return 1\n", {"syntax_error"}),
                    (LOOP.format(entry=entry), {"timeout"}),
                    (HOSTILE.format(entry=entry, target=str(target)), ANY_FAILURE),
                ]
            else:  # py_repair
                cases = [
                    (r["buggy_code"], ANY_FAILURE - {"syntax_error"}),
                    (r["answer"].replace(":", "", 1), {"syntax_error"}),
                    (MEMORY_BOMB.format(entry=entry), {"execution_error", "timeout"}),
                    (RECURSION.format(entry=entry), {"execution_error", "timeout"}),
                ]
            plan[r["id"]] = cases[i - 1]
    return plan


@pytest.fixture(scope="module")
def wrong_run(dataset, records, tmp_path_factory):
    """The planted predictions, scored with 1 and with 2 workers."""
    tmp = tmp_path_factory.mktemp("wrong")
    target = tmp / f"pwned-{uuid.uuid4().hex}"
    plan = wrong_predictions(records, target)
    path = write_predictions(tmp / "p.jsonl", [{"id": i, "prediction": p} for i, (p, _) in plan.items()])
    reports = {w: evaluate(dataset, path, workers=w, out=tmp / f"report{w}.json") for w in (1, 2)}
    return plan, reports, target, tmp


def test_wrong_answers_score_zero_and_the_rest_pass(records, wrong_run):
    plan, reports, target, _ = wrong_run
    report = reports[2]
    assert len(plan) == len(records) == 42
    for entry in report["items"]:
        prediction, kinds = plan[entry["id"]]
        assert entry["raw"] == [prediction]
        if kinds is None:
            assert entry["passed"] == [True] and entry["failure"] == [None], entry
        else:
            assert entry["passed"] == [False], entry
            assert entry["failure"][0] in kinds, (entry["id"], entry["failure"], entry["error"], prediction[:200])
    s = report["summary"]
    assert s["pass@1"] == pytest.approx(14 / 42)
    assert all(scores["pass@1"] == pytest.approx(2 / 6) for scores in s["by_task"].values())
    assert sum(s["failures"].values()) == 28
    assert not list(target.parent.glob(f"{target.name}*"))  # nothing hostile reached our file system


def test_reports_are_identical_for_one_and_two_workers(wrong_run):
    _, reports, _, tmp = wrong_run
    assert reports[1] == reports[2]
    assert (tmp / "report1.json").read_bytes() == (tmp / "report2.json").read_bytes()


def needs(layer: str) -> None:
    state = sandbox_layers().get(layer)
    if state is not True:
        pytest.skip(f"{layer} is not active here: {state}")


def test_hostile_code_that_would_pass_if_it_escaped_scores_zero(dataset, records, tmp_path):
    """Each answer returns the right value only when its escape succeeds; confined, it fails."""
    for layer in ("blocks_outside_writes", "blocks_network", "landlock"):
        needs(layer)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    target = tmp_path / "escaped.txt"
    synthesis = by_task(records)["py_synthesis"][:3]
    escapes = [
        f"open({str(target)!r}, 'w').write('x')",
        f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=1)",
        "open('/etc/passwd').read()",
    ]
    lines = []
    for record, escape in zip(synthesis, escapes):
        entry = record["entry_point"]
        lines.append({"id": record["id"], "prediction": (
            f"{record['answer']}\n_gold = {entry}\n"
            f"def {entry}(*args, **kwargs):\n    {escape}\n    return _gold(*args, **kwargs)\n")})
    try:
        report = evaluate(dataset, write_predictions(tmp_path / "p.jsonl", lines))
    finally:
        listener.close()
    scored = {i["id"]: i for i in report["items"] if not i["missing"]}
    assert len(scored) == 3
    assert all(i["passed"] == [False] and i["failure"] == ["execution_error"] for i in scored.values()), scored
    assert not target.exists()


def test_answers_are_extracted_from_real_replies(dataset, records, tmp_path):
    languages = {"text_to_sql": "sql", "sql_translate": "sqlite", "sql_output": "", "py_output": "python",
                 "py_input": "python", "py_synthesis": "python", "py_repair": "python"}
    styles = [
        "Here is my answer, after some thought:\n\n```{lang}\n{answer}\n```\n\nIt works because of reasons.",
        "[ANSWER]{answer}[/ANSWER]",
        "Let me think step by step. ... [ANSWER]\n```{lang}\n{answer}\n```\n[/ANSWER] Done.",
        "```\n{answer}\n```",
        "\n  {answer}  \n",
    ]
    lines, expected = [], {}
    for task, rs in by_task(records).items():
        for style, record in zip(styles, rs):
            raw = style.format(lang=languages[task], answer=record["answer"])
            lines.append({"id": record["id"], "prediction": raw})
            expected[record["id"]] = raw
    report = evaluate(dataset, write_predictions(tmp_path / "p.jsonl", lines), workers=2)
    scored = [i for i in report["items"] if not i["missing"]]
    assert len(scored) == len(expected)
    answers = {r["id"]: r["answer"] for r in records}
    for entry in scored:
        assert entry["raw"] == [expected[entry["id"]]]
        assert entry["extracted"] == [answers[entry["id"]].strip()]
        assert entry["passed"] == [True], entry


def test_several_predictions_per_item_missing_and_unknown_ids(dataset, records, tmp_path):
    a, b = records[0], records[-1]
    lines = [
        {"id": a["id"], "predictions": [a["answer"], "", a["answer"]]},
        {"id": "no-such-item", "prediction": "SELECT 1"},
        {"id": b["id"], "predictions": [b["answer"]] * 3 + [""] * 2},
        {"id": a["id"], "prediction": "wrong"},
        {"id": b["id"], "predictions": [""] * 5},
        {"id": a["id"], "prediction": ""},
        {"id": "another-unknown", "prediction": "x"},
    ]
    out = tmp_path / "r.json"
    with pytest.raises(ConfigError, match=r"2 prediction ids are not in .* \(first 'no-such-item' on line 2\)"):
        evaluate_command(dataset, write_predictions(tmp_path / "p.jsonl", lines), out=out, k="1,5,10")
    assert not out.exists()
    code, text = evaluate_command(dataset, write_predictions(tmp_path / "p.jsonl", lines), out=out, k="1,5,10",
                                  allow_unknown_ids=True)
    report = json.loads(out.read_text(encoding="utf-8"))
    items = {i["id"]: i for i in report["items"]}
    assert code == 0 and "pass@1" in text and "2 unknown (ignored) ids" in text
    assert items[a["id"]]["passed"] == [True, False, True, False, False]
    assert items[a["id"]]["failure"][1] == "no_answer"
    assert items[b["id"]]["passed"] == [True] * 3 + [False] * 7
    s = report["summary"]
    missing = len(records) - 2
    assert s["missing"] == missing and s["failures"]["missing"] == missing
    assert s["missing_ids"] == [r["id"] for r in records if r["id"] not in (a["id"], b["id"])]
    assert s["unknown_ids"] == ["no-such-item", "another-unknown"]
    assert s["pass@1"] == pytest.approx((0.4 + 0.3) / len(records))
    assert s["pass@5"] == pytest.approx((1.0 + 1 - math.comb(7, 5) / math.comb(10, 5)) / len(records))
    assert s["pass@10"] == pytest.approx(1.0 / (missing + 1))
    assert s["items_scored"] == {"pass@1": len(records), "pass@5": len(records), "pass@10": missing + 1}
    assert s["by_task"][a["task"]]["pass@1"] == pytest.approx(0.4 / 6)


def _scoring_processes() -> list[int]:
    """Our own children running ``python -m codegen_data.evaluate worker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"codegen_data.evaluate" in cmdline and b"worker" in cmdline:
            pids.append(int(entry.name))
    return pids


def test_a_scoring_process_that_dies_fails_one_prediction_and_the_run_goes_on(dataset, records, tmp_path):
    synthesis = by_task(records)["py_synthesis"]
    lines = [{"id": r["id"], "predictions": [LOOP.format(entry=r["entry_point"]), r["answer"]]} for r in synthesis]
    path = write_predictions(tmp_path / "p.jsonl", lines)
    killed: list[int] = []

    def kill_one() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not killed:
            pids = _scoring_processes()
            if pids:
                time.sleep(1.0)  # inside the first loop's 2 s deadline
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one)
    killer.start()
    try:
        report = evaluate(dataset, path, workers=1)
    finally:
        killer.join()
    assert killed
    scored = [i for i in report["items"] if not i["missing"]]
    assert all(i["passed"] == [False, True] for i in scored), [i["error"] for i in scored]
    died = [i for i in scored if "died" in i["error"][0]]
    assert len(died) == 1 and died[0]["failure"][0] == "execution_error"
    assert all(i["failure"][0] == "timeout" for i in scored if i is not died[0])
