"""codegen_data.report: statistics recomputed from the files, a terminal table, a self-contained HTML page."""

import json
import os
import shutil
import statistics
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from codegen_data.report import (
    dataset_stats,
    quantile,
    render_html,
    stats_table,
    write_report,
)

from .conftest import generate

ALL_TASKS = ("text_to_sql", "sql_output", "sql_translate", "py_output", "py_input", "py_synthesis", "py_repair")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "ds"
    generate(out, ALL_TASKS, n=14, seed=2, workers=2)
    return out


def _lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _records(root: Path) -> dict[str, list[dict]]:
    manifest = json.loads((root / "manifest.json").read_text())
    return {name: _lines(root / s["file"]) for name, s in manifest["splits"].items()}


def test_stats_equal_counts_from_the_files(dataset):
    stats = dataset_stats(dataset)
    by_split = _records(dataset)
    records = [r for rs in by_split.values() for r in rs]
    rejects = _lines(dataset / "rejects.jsonl")

    assert stats["records"] == len(records)
    assert {k: v["records"] for k, v in stats["splits"].items()} == {k: len(v) for k, v in by_split.items()}
    assert {t: s["records"] for t, s in stats["tasks"].items()} == dict(Counter(r["task"] for r in records))
    for task, t in stats["tasks"].items():
        mine = [r for r in records if r["task"] == task]
        assert t["difficulty"] == dict(Counter(r["difficulty"] for r in mine))
        assert t["features"] == dict(Counter(f for r in mine for f in r["features"]))
        prompts = sorted(len(r["prompt"]) for r in mine)
        assert t["prompt_chars"]["min"] == prompts[0] and t["prompt_chars"]["max"] == prompts[-1]
        assert t["prompt_chars"]["p50"] == pytest.approx(statistics.median(prompts), abs=0.05)
        answers = [len(r["answer"]) for r in mine]
        assert t["answer_chars"]["mean"] == pytest.approx(sum(answers) / len(answers), abs=0.05)
    assert stats["difficulty"] == dict(Counter(r["difficulty"] for r in records))
    assert stats["features"] == dict(Counter(f for r in records for f in r["features"]))
    assert stats["rejects"]["total"] == len(rejects)
    assert stats["rejects"]["by_reason"] == dict(Counter(r["reason"] for r in rejects))
    for task, counts in stats["rejects"]["by_task"].items():
        assert counts == dict(Counter(r["reason"] for r in rejects if r["task"] == task))
    sql = [r for r in records if "verified_engines" in r]
    assert sum(a["records"] for a in stats["engine_agreement"].values()) == len(sql)
    assert sum(a["agree"] for a in stats["engine_agreement"].values()) == sum("sqlite" in r["verified_engines"] for r in sql)
    for key in ("prompt_chars", "answer_chars"):
        histogram = stats["histograms"][key]
        assert sum(sum(c) for c in histogram["counts"].values()) == len(records)
        assert all(len(c) == len(histogram["edges"]) - 1 for c in histogram["counts"].values())
    json.dumps(stats)  # serializable as it is


def test_quantile_interpolates_like_numpy():
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([10], 0.9) == 10
    assert quantile([0, 10], 0.25) == 2.5
    assert quantile([], 0.5) == 0.0


def test_stats_table_names_every_task_and_reason(dataset):
    stats = dataset_stats(dataset)
    text = stats_table(stats)
    for task in ALL_TASKS:
        assert task in text
    for reason in stats["rejects"]["by_reason"]:
        assert reason in text
    total_line = next(line for line in text.splitlines() if line.startswith("total"))
    assert total_line.split()[1] == str(stats["records"])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: Counter = Counter()
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, k, v or "") for k, v in attrs]


def test_the_html_report_is_self_contained(dataset):
    page = render_html(dataset)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page
    parser = _Tags()
    parser.feed(page)
    assert not [a for a in parser.attrs if a[1] in ("src", "href")]
    assert parser.tags["svg"] == 7  # records, difficulty, features, prompt and answer lengths, rejects, engines
    for title in ("Records per task", "Difficulty per task", "Feature coverage", "Prompt length",
                  "Answer length", "Rejects by reason", "Engine agreement"):
        assert f"<h2>{title}</h2>" in page
    for label in ("records exercising the feature", "prompt length (characters)", "share of the task&#x27;s records"):
        assert label in page


def test_untrusted_text_is_escaped(tmp_path):
    root = tmp_path / "ds"
    (root / "data").mkdir(parents=True)
    record = {"id": "x", "task": "<img src=x onerror=alert(1)>", "prompt": "p", "answer": "a",
              "difficulty": "easy", "features": ["<script>"]}
    (root / "data" / "test.jsonl").write_text(json.dumps(record) + "\n")
    page = render_html(root)
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x" in page


def test_write_report(dataset, tmp_path):
    out = write_report(dataset, tmp_path / "sub" / "report.html")
    assert out.read_text(encoding="utf-8") == render_html(dataset)


def _chromium() -> str | None:
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.mark.browser
def test_the_report_renders_in_headless_chromium(dataset, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed")
    page = write_report(dataset, tmp_path / "report.html")
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2000", f"file://{page}"],
        check=True, timeout=120, capture_output=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # charts, not a blank page
