"""``codegen-data compare BASE.json NEW.json``: did a model get worse on the same dataset?

Two reports of :mod:`codegen_data.evaluate` (or of a benchmark mode, which builds the same shape)
are compared only when they were made on the same dataset (the same ``manifest_sha256``) and cover
the same items; anything else is refused.

- **Gates.** The overall pass@1 and each task's pass@1 may drop by at most ``max_drop`` (a fraction:
  0.01 is one point); a larger drop is a regression and the exit code is 1, else 0 (2: refused).
- **Flips.** An item *passes* when more than half its predictions pass (with one prediction: when it
  passes; a missing item fails). Items that went pass -> fail and fail -> pass are listed.
- **Chance.** The exact McNemar test (a two-sided sign test on the discordant items, ``b`` pass -> fail
  against ``c`` fail -> pass) says whether the change is larger than chance at ``alpha``.
- **Features.** Per-feature pass@1 deltas, largest drop first, show where a drop concentrates.

Output is plain text, Markdown (a PR comment) or JUnit XML (a CI test report: one testcase per item,
a ``failure`` for each item failing in NEW, and one testcase per gate).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .task import ConfigError

__all__ = ["FORMATS", "CompareError", "Comparison", "compare_command", "compare_reports", "load_report", "mcnemar_exact"]

FORMATS = ("text", "markdown", "junit")
_EPSILON = 1e-12  # float noise when a drop equals the threshold
_LISTED = 50  # flipped ids listed in text and markdown (JUnit lists every item)
_FEATURES = 10


class CompareError(ConfigError):
    """Reports that cannot be read or must not be compared; the message says why in one line."""


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided p-value of the exact McNemar test: ``b`` and ``c`` discordant pairs, each direction
    equally likely under the null (a binomial sign test), ``min(1, 2 * P(X <= min(b, c)))``."""
    if b < 0 or c < 0:
        raise ValueError("counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    tail = Fraction(sum(math.comb(n, i) for i in range(min(b, c) + 1)), 2**n)
    return float(min(Fraction(1), 2 * tail))


def load_report(path: Path) -> dict[str, Any]:
    """A report read from ``path``, its shape checked (CompareError when it is not a report)."""
    path = Path(path)
    try:
        report = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise CompareError(f"report not found: {path}") from None
    except OSError as exc:
        raise CompareError(f"cannot read report {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CompareError(f"{path} is not a JSON report: {str(exc).splitlines()[0]}") from None
    problem = _shape_problem(report)
    if problem:
        raise CompareError(f"{path} is not a codegen-data evaluation report: {problem}")
    return report


def _shape_problem(report: Any) -> str | None:
    if not isinstance(report, dict):
        return "not a JSON object"
    for key in ("summary", "items", "dataset"):
        if key not in report:
            return f"no {key!r}"
    summary, items, dataset = report["summary"], report["items"], report["dataset"]
    if not isinstance(dataset, dict) or not isinstance(dataset.get("manifest_sha256"), str):
        return "no dataset.manifest_sha256"
    if not isinstance(summary, dict) or not isinstance(summary.get("by_task"), dict) \
            or not isinstance(summary.get("by_feature"), dict):
        return "summary lacks by_task or by_feature"
    if "pass@1" not in summary:  # compare gates on pass@1
        return "summary has no pass@1 (evaluate was run with a --k list without 1); evaluate again with --k 1,..."
    if not isinstance(items, list):
        return "'items' is not a list"
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("task"), str) \
                or not isinstance(item.get("passed"), list):
            return f"items[{i}] needs 'id', 'task' and 'passed'"
    return None


def _score(value: Any) -> float:
    """A pass@1 entry; null means no item had a prediction, which scores 0."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _item_passes(item: dict[str, Any]) -> bool:
    passed = [p is True for p in item["passed"]]
    return 2 * sum(passed) > len(passed)


@dataclass
class Gate:
    """One score that may not drop by more than ``max_drop``."""

    name: str
    base: float
    new: float
    items: int

    @property
    def delta(self) -> float:
        return self.new - self.base

    def failed(self, max_drop: float) -> bool:
        return self.base - self.new > max_drop + _EPSILON


@dataclass
class FeatureDelta:
    name: str
    items: int
    base: float
    new: float
    broke: int  # items with the feature that went pass -> fail

    @property
    def delta(self) -> float:
        return self.new - self.base


@dataclass
class Comparison:
    """The comparison of two reports; render with :meth:`text`, :meth:`markdown` or :meth:`junit`."""

    base: dict[str, Any]
    new: dict[str, Any]
    max_drop: float
    alpha: float
    gates: list[Gate]
    broke: list[dict[str, Any]]  # NEW's items that went pass -> fail
    fixed: list[dict[str, Any]]  # NEW's items that went fail -> pass
    features: list[FeatureDelta]
    p_value: float
    names: tuple[str, str] = ("BASE", "NEW")
    new_items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def regressions(self) -> list[Gate]:
        return [g for g in self.gates if g.failed(self.max_drop)]

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    def chance_text(self) -> str:
        b, c = len(self.broke), len(self.fixed)
        head = f"{b} pass -> fail, {c} fail -> pass (exact McNemar p = {self.p_value:.3g})"
        if b == c:
            return f"{head}: no net change"
        direction = "drop" if b > c else "gain"
        verdict = "larger than chance" if self.significant else "within chance"
        return f"{head}: the {direction} is {verdict} (alpha {self.alpha:g})"

    def verdict_text(self) -> str:
        if not self.regressions:
            return f"OK: no score dropped by more than {_pts(self.max_drop)}"
        names = ", ".join(g.name for g in self.regressions)
        return f"REGRESSION: {names} dropped by more than {_pts(self.max_drop)}"

    # --- renderings ------------------------------------------------------------------------------

    def text(self) -> str:
        dataset = self.new["dataset"]
        title = (f"compare {self.names[0]} -> {self.names[1]} (dataset {dataset.get('name')}, manifest "
                 f"{dataset['manifest_sha256'][:12]}, {len(self.new_items)} items)")
        lines = [title]
        width = max(len(g.name) for g in self.gates)
        lines.append(f"  {'':<{width}} {'base':>7} {'new':>7} {'delta':>7}")
        for gate in self.gates:
            mark = "  REGRESSION" if gate.failed(self.max_drop) else ""
            lines.append(f"  {gate.name:<{width}} {_pct(gate.base):>7} {_pct(gate.new):>7} {_signed(gate.delta):>7}{mark}")
        lines.append("items: " + self.chance_text())
        for label, items in (("pass -> fail", self.broke), ("fail -> pass", self.fixed)):
            if items:
                lines.append(f"{label} ({len(items)}):")
                lines += [f"  {_item_line(item)}" for item in items[:_LISTED]]
                if len(items) > _LISTED:
                    lines.append(f"  ... and {len(items) - _LISTED} more")
        drops = [f for f in self.features if f.delta < 0][:_FEATURES]
        if drops:
            lines.append("features where the drop concentrates (pass@1):")
            fw = max(len(f.name) for f in drops)
            lines += [f"  {f.name:<{fw}} {_pct(f.base):>7} -> {_pct(f.new):>7} {_signed(f.delta):>7}  "
                      f"({f.broke} of {f.items} items pass -> fail)" for f in drops]
        lines.append(self.verdict_text())
        return "\n".join(lines)

    def markdown(self) -> str:
        dataset = self.new["dataset"]
        icon = ":x:" if self.regressions else ":white_check_mark:"
        about = (f"Dataset `{_md(str(dataset.get('name')))}` (manifest `{dataset['manifest_sha256'][:12]}`), "
                 f"{len(self.new_items)} items, allowed drop {_pts(self.max_drop)}.")
        lines = [f"### {icon} codegen-data compare: {_md(self.verdict_text())}", "", about, "",
                 "| score | base | new | delta | |", "|---|---:|---:|---:|---|"]
        for gate in self.gates:
            mark = ":x: regression" if gate.failed(self.max_drop) else ""
            name = f"**{gate.name}**" if gate.name == "pass@1" else f"`{_md(gate.name)}`"
            lines.append(f"| {name} | {_pct(gate.base)} | {_pct(gate.new)} | {_signed(gate.delta)} | {mark} |")
        lines += ["", f"**Items:** {_md(self.chance_text())}"]
        for label, items in (("pass → fail", self.broke), ("fail → pass", self.fixed)):
            if items:
                lines += ["", f"<details><summary>{label} ({len(items)})</summary>", ""]
                lines += [f"- `{_md(item['id'])}` ({_md(item['task'])}){_md(_first_failure(item))}" for item in items[:_LISTED]]
                if len(items) > _LISTED:
                    lines.append(f"- … and {len(items) - _LISTED} more")
                lines += ["", "</details>"]
        drops = [f for f in self.features if f.delta < 0][:_FEATURES]
        if drops:
            lines += ["", "**Features where the drop concentrates**", "",
                      "| feature | items | base | new | delta | pass → fail |", "|---|---:|---:|---:|---:|---:|"]
            lines += [f"| `{_md(f.name)}` | {f.items} | {_pct(f.base)} | {_pct(f.new)} | {_signed(f.delta)} | {f.broke} |"
                      for f in drops]
        return "\n".join(lines) + "\n"

    def junit(self) -> str:
        broke = {item["id"] for item in self.broke}
        root = ET.Element("testsuites", name="codegen-data compare")
        items = ET.SubElement(root, "testsuite", name="codegen-data.items")
        props = ET.SubElement(items, "properties")
        dataset = self.new["dataset"]
        for name, value in (("dataset", dataset.get("name")), ("manifest_sha256", dataset["manifest_sha256"]),
                            ("base_pass@1", _score(self.base["summary"]["pass@1"])),
                            ("new_pass@1", _score(self.new["summary"]["pass@1"])), ("mcnemar_p", self.p_value)):
            ET.SubElement(props, "property", name=name, value=_xml(str(value)))
        failures = 0
        for item in self.new_items:
            case = ET.SubElement(items, "testcase", classname=_xml(item["task"]), name=_xml(item["id"]), time="0")
            if _item_passes(item):
                continue
            failures += 1
            kinds = [f for f in item.get("failure") or [] if f]
            kind = kinds[0] if kinds else "missing"
            regressed = "regression (passed in base): " if item["id"] in broke else ""
            message = f"{regressed}{sum(p is True for p in item['passed'])} of {len(item['passed'])} predictions pass; {kind}"
            failure = ET.SubElement(case, "failure", type=_xml(kind), message=_xml(message))
            failure.text = _xml(_failure_detail(item))
        items.set("tests", str(len(self.new_items)))
        items.set("failures", str(failures))
        gates = ET.SubElement(root, "testsuite", name="codegen-data.gates")
        for gate in self.gates:
            case = ET.SubElement(gates, "testcase", classname="gates", name=_xml(gate.name), time="0")
            if gate.failed(self.max_drop):
                ET.SubElement(case, "failure", type="regression", message=_xml(
                    f"{_pct(gate.base)}% -> {_pct(gate.new)}% ({_signed(gate.delta)} points, allowed {_pts(self.max_drop)})"))
        gates.set("tests", str(len(self.gates)))
        gates.set("failures", str(len(self.regressions)))
        for suite in (items, gates):
            suite.set("errors", "0")
            suite.set("skipped", "0")
            suite.set("time", "0")
        root.set("tests", str(len(self.new_items) + len(self.gates)))
        root.set("failures", str(failures + len(self.regressions)))
        root.set("errors", "0")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def render(self, fmt: str) -> str:
        if fmt not in FORMATS:
            raise CompareError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return {"text": self.text, "markdown": self.markdown, "junit": self.junit}[fmt]()


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _pts(fraction: float) -> str:
    """A threshold in percentage points, e.g. ``1 point``, ``0.5 points``."""
    value = f"{100 * fraction:g}"
    return f"{value} point" if value == "1" else f"{value} points"


def _signed(delta: float) -> str:
    return f"{100 * delta:+.1f}"


def _first_failure(item: dict[str, Any]) -> str:
    for kind, error in zip(item.get("failure") or [], item.get("error") or []):
        if kind:
            return f": {kind}" + (f" ({_short(error, 120)})" if error else "")
    return ": missing" if not item["passed"] else ""


def _item_line(item: dict[str, Any]) -> str:
    return f"{item['id']} ({item['task']}){_first_failure(item)}"


def _failure_detail(item: dict[str, Any]) -> str:
    if not item["passed"]:
        return "no prediction for this item"
    lines = []
    extracted = item.get("extracted") or []
    for i, (ok, kind, error) in enumerate(zip(item["passed"], item.get("failure") or [], item.get("error") or [])):
        if ok is not True:
            answer = extracted[i] if i < len(extracted) else ""
            lines.append(f"prediction {i}: {kind}: {_short(error, 300)}\n  answer: {_short(answer, 300)}")
    return "\n".join(lines)


def _short(text: Any, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: control characters and lone surrogates (from model output) are escaped."""
    return _NOT_XML.sub(lambda m: repr(m.group())[1:-1], text)


def _md(text: str) -> str:
    """One line of Markdown table-safe text (pipes escaped, newlines and backticks flattened)."""
    return text.replace("\n", " ").replace("|", "\\|").replace("`", "'").replace("<", "&lt;")


def compare_reports(base: dict[str, Any], new: dict[str, Any], *, max_drop: float = 0.01, alpha: float = 0.05,
                    names: tuple[str, str] = ("BASE", "NEW")) -> Comparison:
    """Compare two reports (see the module docstring); CompareError when they must not be compared."""
    if not isinstance(max_drop, (int, float)) or isinstance(max_drop, bool) or not 0 <= max_drop <= 1:
        raise CompareError(f"--max-drop must be a fraction in [0, 1] (0.01 is one point), got {max_drop!r}")
    if not 0 < alpha < 1:
        raise CompareError(f"alpha must be in (0, 1), got {alpha!r}")
    for name, report in zip(names, (base, new)):
        problem = _shape_problem(report)
        if problem:
            raise CompareError(f"{name} is not a codegen-data evaluation report: {problem}")
    base_hash, new_hash = base["dataset"]["manifest_sha256"], new["dataset"]["manifest_sha256"]
    if base_hash != new_hash:
        raise CompareError(
            f"refusing to compare reports made on different datasets: {names[0]} is on "
            f"{base['dataset'].get('name')} (manifest {base_hash[:12]}), {names[1]} on "
            f"{new['dataset'].get('name')} (manifest {new_hash[:12]})"
        )
    base_items = {item["id"]: item for item in base["items"]}
    new_items = {item["id"]: item for item in new["items"]}
    if base_items.keys() != new_items.keys():
        only_base = sorted(base_items.keys() - new_items.keys())
        only_new = sorted(new_items.keys() - base_items.keys())
        raise CompareError(
            f"refusing to compare reports over different items (another split?): {len(only_base)} only in "
            f"{names[0]}, {len(only_new)} only in {names[1]}, e.g. {(only_base + only_new)[0]}"
        )
    broke = [new_items[i] for i in new_items if _item_passes(base_items[i]) and not _item_passes(new_items[i])]
    fixed = [new_items[i] for i in new_items if not _item_passes(base_items[i]) and _item_passes(new_items[i])]
    bs, ns = base["summary"], new["summary"]
    gates = [Gate("pass@1", _score(bs["pass@1"]), _score(ns["pass@1"]), len(new_items))]
    for task in sorted(bs["by_task"].keys() | ns["by_task"].keys()):
        b, n = bs["by_task"].get(task) or {}, ns["by_task"].get(task) or {}
        gates.append(Gate(task, _score(b.get("pass@1")), _score(n.get("pass@1")), int(n.get("items") or 0)))
    broke_ids = {item["id"] for item in broke}
    broke_by_feature: dict[str, int] = {}
    for item in new["items"]:
        if item["id"] in broke_ids:
            for feature in set(item.get("features") or []):
                broke_by_feature[feature] = broke_by_feature.get(feature, 0) + 1
    features = []
    for name in sorted(bs["by_feature"].keys() | ns["by_feature"].keys()):
        b, n = bs["by_feature"].get(name) or {}, ns["by_feature"].get(name) or {}
        features.append(FeatureDelta(name, int(n.get("items") or b.get("items") or 0), _score(b.get("pass@1")),
                                     _score(n.get("pass@1")), broke_by_feature.get(name, 0)))
    features.sort(key=lambda f: (f.delta, -f.broke, f.name))
    return Comparison(base, new, float(max_drop), alpha, gates, broke, fixed, features,
                      mcnemar_exact(len(broke), len(fixed)), names, list(new["items"]))


def compare_command(base: Path, new: Path, *, max_drop: float = 0.01, fmt: str = "text") -> tuple[int, str]:
    """What ``codegen-data compare`` does: (exit code, text to print). 0: no regression; 1: the
    overall or a task's pass@1 dropped by more than ``max_drop``; 2: refused (the text says why,
    in one line: unreadable report, another dataset, other items, a bad option)."""
    try:
        if fmt not in FORMATS:
            raise CompareError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        comparison = compare_reports(load_report(base), load_report(new), max_drop=max_drop,
                                     names=(str(base), str(new)))
        return comparison.exit_code, comparison.render(fmt)
    except CompareError as exc:
        return 2, f"Error: {exc}"
