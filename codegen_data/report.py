"""What a dataset holds, in numbers (``codegen-data stats DIR``) and as one HTML page (``codegen-data report``).

Everything is read from the dataset's files: the records of every split, ``rejects.jsonl`` and the
manifest (for provenance only; counts come from the records themselves). The HTML page is
self-contained: inline CSS, and charts drawn here as inline SVG; no script, no font and no image
is fetched from anywhere.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._files import output_file, write_atomic
from .audit import load_manifest, split_files

__all__ = ["dataset_stats", "render_html", "stats_table", "write_report"]

LEVELS = ("easy", "medium", "hard", "extra")
"""Difficulty levels in the order they are shown; other values follow, sorted."""

QUANTILES = (("min", 0.0), ("p10", 0.10), ("p25", 0.25), ("p50", 0.50), ("p75", 0.75), ("p90", 0.90), ("max", 1.0))

TASK_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#ff9da7", "#bab0ac")
LEVEL_COLORS = {"easy": "#59a14f", "medium": "#edc948", "hard": "#f28e2b", "extra": "#e15759"}
SPLIT_COLORS = ("#4e79a7", "#a0cbe8", "#f28e2b", "#ffbe7d", "#59a14f", "#8cd17d")
AGREE_COLORS = {"both engines agree": "#59a14f", "DuckDB only": "#f28e2b"}
_OTHER = "#bab0ac"
_HISTOGRAM_BINS = 20


# --- numbers -------------------------------------------------------------------------------------


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) on an already sorted list."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _summary(values: list[int]) -> dict[str, float]:
    ordered = sorted(values)
    out: dict[str, float] = {"count": len(ordered)}
    for name, q in QUANTILES:
        out[name] = round(quantile(ordered, q), 1)
    out["mean"] = round(sum(ordered) / len(ordered), 1) if ordered else 0.0
    return out


def _nice_step(span: float, target: int) -> float:
    """A 1-2-5 step that cuts ``span`` into about ``target`` parts."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _histogram(values_by_task: dict[str, list[int]]) -> dict[str, Any]:
    everything = [v for vs in values_by_task.values() for v in vs]
    top = max(everything, default=0)
    step = max(1, math.ceil(_nice_step(top + 1, _HISTOGRAM_BINS)))
    bins = max(1, top // step + 1)
    edges = [i * step for i in range(bins + 1)]
    counts = {}
    for task, values in values_by_task.items():
        row = [0] * bins
        for v in values:
            row[min(v // step, bins - 1)] += 1
        counts[task] = row
    return {"edges": edges, "counts": counts}


def _level_order(levels: Iterator[str] | list[str]) -> list[str]:
    present = set(levels)
    return [lv for lv in LEVELS if lv in present] + sorted(present - set(LEVELS))


def _read_jsonl(path: Path) -> Iterator[dict[str, Any] | None]:
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                yield None
                continue
            yield value if isinstance(value, dict) else None


def dataset_stats(dir: Path) -> dict[str, Any]:
    """Counts and distributions of a dataset directory, as a JSON-serializable dict.

    Keys: ``name``, ``provenance`` (from the manifest), ``records``, ``unreadable_lines``,
    ``splits`` ({split: {records, file, tasks}}), ``tasks`` ({task: {records, splits, difficulty,
    features, prompt_chars, answer_chars, verified_engines}}), ``difficulty``, ``features`` (most
    frequent first), ``prompt_chars`` / ``answer_chars`` (count, min, p10 ... p90, max, mean),
    ``rejects`` ({total, by_reason, by_task}), ``engine_agreement`` ({task: {records, agree, share}})
    and ``histograms`` ({prompt_chars|answer_chars: {edges, counts: {task: [...]}}}).
    """
    root = Path(dir)
    manifest, _ = load_manifest(root)
    splits: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, Any]] = {}
    prompt_lengths: dict[str, list[int]] = defaultdict(list)
    answer_lengths: dict[str, list[int]] = defaultdict(list)
    difficulty: Counter = Counter()
    features: Counter = Counter()
    unreadable = 0
    total = 0
    for split, rel in split_files(root):
        path = root / rel
        per_task: Counter = Counter()
        if path.is_file():
            for record in _read_jsonl(path):
                if record is None:
                    unreadable += 1
                    continue
                total += 1
                task = str(record.get("task", "?"))
                per_task[task] += 1
                t = tasks.setdefault(task, {
                    "records": 0, "splits": Counter(), "difficulty": Counter(), "features": Counter(),
                    "verified_engines": Counter(),
                })
                t["records"] += 1
                t["splits"][split] += 1
                level = str(record.get("difficulty", "?"))
                t["difficulty"][level] += 1
                difficulty[level] += 1
                for feature in record.get("features") or []:
                    t["features"][str(feature)] += 1
                    features[str(feature)] += 1
                engines = record.get("verified_engines")
                if isinstance(engines, list):
                    t["verified_engines"]["+".join(map(str, engines))] += 1
                prompt_lengths[task].append(len(str(record.get("prompt", ""))))
                answer_lengths[task].append(len(str(record.get("answer", ""))))
        splits[split] = {"records": sum(per_task.values()), "file": rel, "tasks": dict(sorted(per_task.items()))}

    by_reason: Counter = Counter()
    by_task: dict[str, Counter] = defaultdict(Counter)
    rejects_path = root / "rejects.jsonl"
    if rejects_path.is_file():
        for reject in _read_jsonl(rejects_path):
            if reject is None:
                continue
            reason = str(reject.get("reason", "?"))
            by_reason[reason] += 1
            by_task[str(reject.get("task", "?"))][reason] += 1

    agreement = {}
    for name, t in sorted(tasks.items()):
        n = sum(t["verified_engines"].values())
        if n:
            agree = sum(v for k, v in t["verified_engines"].items() if "+" in k)
            agreement[name] = {"records": n, "agree": agree, "share": round(agree / n, 4)}

    task_stats = {}
    for name in sorted(tasks):
        t = tasks[name]
        task_stats[name] = {
            "records": t["records"],
            "splits": dict(sorted(t["splits"].items())),
            "difficulty": {lv: t["difficulty"][lv] for lv in _level_order(t["difficulty"])},
            "features": dict(sorted(t["features"].items(), key=lambda kv: (-kv[1], kv[0]))),
            "prompt_chars": _summary(prompt_lengths[name]),
            "answer_chars": _summary(answer_lengths[name]),
            "verified_engines": dict(sorted(t["verified_engines"].items())),
        }
    provenance = {}
    if manifest is not None:
        provenance = {
            key: manifest[key]
            for key in ("codegen_data_version", "command", "seed", "n", "difficulty", "complete", "engines", "grammars")
            if key in manifest
        }
    return {
        "name": (manifest or {}).get("name") or root.resolve().name,
        "provenance": provenance,
        "records": total,
        "unreadable_lines": unreadable,
        "splits": splits,
        "tasks": task_stats,
        "difficulty": {lv: difficulty[lv] for lv in _level_order(difficulty)},
        "features": dict(sorted(features.items(), key=lambda kv: (-kv[1], kv[0]))),
        "prompt_chars": _summary([v for vs in prompt_lengths.values() for v in vs]),
        "answer_chars": _summary([v for vs in answer_lengths.values() for v in vs]),
        "rejects": {
            "total": sum(by_reason.values()),
            "by_reason": dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_task": {k: dict(sorted(v.items())) for k, v in sorted(by_task.items())},
        },
        "engine_agreement": agreement,
        "histograms": {
            "prompt_chars": _histogram({k: prompt_lengths[k] for k in sorted(prompt_lengths)}),
            "answer_chars": _histogram({k: answer_lengths[k] for k in sorted(answer_lengths)}),
        },
    }


# --- terminal table ------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """Columns padded to width; ``align`` has one ``<`` or ``>`` per column."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c!s:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def stats_table(stats: dict[str, Any]) -> str:
    """:func:`dataset_stats` as plain-text tables for a terminal."""
    out = []
    prov = stats.get("provenance", {})
    versions = prov.get("engines", {})
    head = f"dataset {stats['name']}: {stats['records']} records in {len(stats['splits'])} split(s)"
    out.append(head)
    if prov:
        bits = [f"seed {prov.get('seed')}", f"codegen-data {prov.get('codegen_data_version')}"]
        bits += [f"{k} {v}" for k, v in versions.items()]
        out.append("  " + ", ".join(bits))
    if stats.get("unreadable_lines"):
        out.append(f"  {stats['unreadable_lines']} unreadable line(s) skipped")
    out.append("")

    levels = _level_order([lv for t in stats["tasks"].values() for lv in t["difficulty"]])
    header = ["task", "records"] + levels + ["prompt p50", "p90", "answer p50", "p90", "engines agree"]
    rows = []
    for name, t in stats["tasks"].items():
        agree = stats["engine_agreement"].get(name)
        agree_text = f"{agree['agree']}/{agree['records']} ({agree['share']:.0%})" if agree else "-"
        rows.append(
            [name, str(t["records"])] + [str(t["difficulty"].get(lv, 0)) for lv in levels]
            + [_num(t["prompt_chars"]["p50"]), _num(t["prompt_chars"]["p90"]),
               _num(t["answer_chars"]["p50"]), _num(t["answer_chars"]["p90"]), agree_text]
        )
    rows.append(
        ["total", str(stats["records"])] + [str(stats["difficulty"].get(lv, 0)) for lv in levels]
        + [_num(stats["prompt_chars"]["p50"]), _num(stats["prompt_chars"]["p90"]),
           _num(stats["answer_chars"]["p50"]), _num(stats["answer_chars"]["p90"]), ""]
    )
    out += _table(header, rows, "<>" + ">" * len(levels) + ">>>>>")
    out.append("(lengths in characters)")
    out.append("")

    if len(stats["splits"]) > 1 or any(s["file"] != "data/test.jsonl" for s in stats["splits"].values()):
        names = sorted(stats["tasks"])
        rows = [[split, s["file"], str(s["records"])] + [str(s["tasks"].get(n, 0)) for n in names]
                for split, s in stats["splits"].items()]
        out += _table(["split", "file", "records"] + names, rows, "<<>" + ">" * len(names))
        out.append("")

    features = list(stats["features"].items())
    if features:
        out.append(f"features: {len(features)} distinct; most exercised (records)")
        top = features[:15]
        scale = max(v for _, v in top)
        width = max(len(k) for k, _ in top)
        for name, count in top:
            bar = "#" * max(1, round(30 * count / scale))
            out.append(f"  {name:<{width}}  {count:>6}  {bar}")
        out.append("")

    rejects = stats["rejects"]
    candidates = rejects["total"] + stats["records"]
    share = f" of {candidates} candidates ({rejects['total'] / candidates:.1%})" if candidates else ""
    out.append(f"rejects: {rejects['total']}{share}")
    if rejects["by_reason"]:
        width = max(len(k) for k in rejects["by_reason"])
        for reason, count in rejects["by_reason"].items():
            where = ", ".join(f"{t} {c[reason]}" for t, c in rejects["by_task"].items() if reason in c)
            out.append(f"  {reason:<{width}}  {count:>6}  ({where})")
    return "\n".join(out)


# --- SVG charts ----------------------------------------------------------------------------------

_FONT = 12
_CHAR = 7.3  # width of a 12px sans-serif character (generous), for layout


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000 and not float(value / 1000).is_integer():
        return f"{value / 1000:.1f}k"
    if value >= 1000:
        return f"{value / 1000:.0f}k"
    return _num(value)


def _ticks(top: float, target: int = 5) -> list[float]:
    step = _nice_step(top, target)
    count = math.ceil(top / step - 1e-9) if top > 0 else 1
    return [i * step for i in range(count + 1)]


def _legend(items: list[tuple[str, str]], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatches and names wrapped into ``width``; returns the SVG parts and the height used."""
    parts, cx, cy = [], x, y
    for name, color in items:
        w = 18 + len(name) * _CHAR + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 18
        parts.append(f'<rect x="{cx:.1f}" y="{cy:.1f}" width="11" height="11" rx="2" fill="{color}"/>')
        parts.append(f'<text x="{cx + 16:.1f}" y="{cy + 10:.1f}" class="legend">{_e(name)}</text>')
        cx += w
    return parts, (cy - y) + 22 if items else 0


def _svg(width: float, height: float, label: str, parts: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="{_e(label)}">' + "".join(parts) + "</svg>"
    )


def hbar_chart(
    labels: list[str],
    series: list[tuple[str, str, list[float]]],
    *,
    x_label: str,
    percent: bool = False,
    width: int = 560,
    totals: list[str] | None = None,
) -> str:
    """Horizontal stacked bars: one row per label, one segment per series ``(name, color, values)``.

    ``percent`` scales each row to 100 %; ``totals`` are printed at the end of each bar.
    """
    if not labels:
        return '<p class="empty">nothing to show</p>'
    label_w = min(230, max(len(s) for s in labels) * _CHAR + 12)
    right = 52
    plot_w = width - label_w - right
    legend_parts, legend_h = _legend([(n, c) for n, c, _ in series], label_w, 4, plot_w) if len(series) > 1 else ([], 0)
    bar_h, gap = 16, 7
    top = legend_h + 8
    plot_h = len(labels) * (bar_h + gap)
    height = top + plot_h + 44
    row_totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    scale_top = 100.0 if percent else max(max(row_totals), 1)
    ticks = _ticks(scale_top)
    scale_top = ticks[-1] if not percent else 100.0
    if percent:
        ticks = [0, 25, 50, 75, 100]
    parts = list(legend_parts)
    for t in ticks:
        x = label_w + plot_w * t / scale_top
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + plot_h}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" class="tick" text-anchor="middle">'
                     f'{_fmt(t)}{"%" if percent else ""}</text>')
    for i, label in enumerate(labels):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="{label_w - 8:.1f}" y="{y + bar_h - 4:.1f}" class="label" text-anchor="end">{_e(label)}</text>')
        x = float(label_w)
        total = row_totals[i]
        for name, color, values in series:
            v = values[i]
            if v <= 0:
                continue
            share = v / total if total else 0
            w = plot_w * (share * 100 if percent else v) / scale_top
            tip = f"{label} - {name}: {_num(v)}" + (f" ({share:.0%})" if percent or len(series) > 1 else "")
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.8):.1f}" height="{bar_h}" fill="{color}">'
                         f'<title>{_e(tip)}</title></rect>')
            if percent and w > 34:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h - 4:.1f}" class="inbar" text-anchor="middle">'
                             f'{share:.0%}</text>')
            x += w
        end = totals[i] if totals is not None else ("" if percent else _num(total))
        if end:
            parts.append(f'<text x="{x + 5:.1f}" y="{y + bar_h - 4:.1f}" class="value">{_e(end)}</text>')
    parts.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{height - 8}" class="axis" text-anchor="middle">{_e(x_label)}</text>')
    return _svg(width, height, x_label, parts)


def histogram_chart(
    edges: list[int],
    series: list[tuple[str, str, list[int]]],
    *,
    x_label: str,
    y_label: str = "records",
    width: int = 560,
    height: int = 300,
) -> str:
    """Vertical stacked histogram over bins ``[edges[i], edges[i+1])``, one stack per series."""
    if not series or len(edges) < 2:
        return '<p class="empty">nothing to show</p>'
    legend_parts, legend_h = _legend([(n, c) for n, c, _ in series], 56, 4, width - 70) if len(series) > 1 else ([], 0)
    left, right, top, bottom = 56, 14, legend_h + 12, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    bins = len(edges) - 1
    stacks = [sum(s[2][i] for s in series) for i in range(bins)]
    ticks = _ticks(max(max(stacks), 1))
    y_top = ticks[-1]
    parts = list(legend_parts)
    for t in ticks:
        y = top + plot_h - plot_h * t / y_top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_fmt(t)}</text>')
    bw = plot_w / bins
    for i in range(bins):
        x = left + i * bw
        base = top + plot_h
        for name, color, counts in series:
            c = counts[i]
            if not c:
                continue
            h = plot_h * c / y_top
            base -= h
            tip = f"{name}: {c} with {edges[i]}-{edges[i + 1] - 1} characters"
            parts.append(f'<rect x="{x + 1:.1f}" y="{base:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}" '
                         f'fill="{color}"><title>{_e(tip)}</title></rect>')
    label_every = max(1, math.ceil(bins / (plot_w / 48)))
    for i in range(0, bins + 1, label_every):
        x = left + i * bw
        parts.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" class="axisline"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" class="tick" text-anchor="middle">{_fmt(edges[i])}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axisline"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" class="axis" text-anchor="middle">{_e(x_label)}</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2:.1f}" class="axis" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{_e(y_label)}</text>')
    return _svg(width, height, x_label, parts)


# --- the page ------------------------------------------------------------------------------------

_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --card: #ffffff; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1220px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 2px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.note { color: var(--muted); font-size: 12px; margin: 0 0 10px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 18px 0 22px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.tile b { display: block; font-size: 24px; }
.tile span { color: var(--muted); font-size: 12px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; overflow-x: auto; }
.wide { grid-column: 1 / -1; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
svg .label, svg .legend { font-size: 12px; fill: var(--ink); }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .value { font-size: 11px; fill: var(--ink); }
svg .inbar { font-size: 10px; fill: #ffffff; font-weight: 600; }
svg .axis { font-size: 12px; fill: var(--muted); }
svg .grid { stroke: #e4e7eb; stroke-width: 1; }
svg .axisline { stroke: #9aa5b1; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
code { font-size: 12px; background: #eef2f6; padding: 1px 4px; border-radius: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; font-size: 13px; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-all; }
.empty { color: var(--muted); font-style: italic; }
"""


def _palette(names: list[str], colors: tuple[str, ...]) -> dict[str, str]:
    return {n: colors[i] if i < len(colors) else _OTHER for i, n in enumerate(names)}


def _card(title: str, note: str, body: str, *, wide: bool = False) -> str:
    cls = "card wide" if wide else "card"
    return f'<section class="{cls}"><h2>{_e(title)}</h2><p class="note">{_e(note)}</p>{body}</section>'


def _task_table(stats: dict[str, Any]) -> str:
    levels = _level_order([lv for t in stats["tasks"].values() for lv in t["difficulty"]])
    head = ["task", "records"] + levels + ["prompt p50", "prompt p90", "answer p50", "answer p90", "features", "engines agree"]
    rows = []
    for name, t in stats["tasks"].items():
        agree = stats["engine_agreement"].get(name)
        cells = [name, t["records"]] + [t["difficulty"].get(lv, 0) for lv in levels] + [
            _num(t["prompt_chars"]["p50"]), _num(t["prompt_chars"]["p90"]),
            _num(t["answer_chars"]["p50"]), _num(t["answer_chars"]["p90"]), len(t["features"]),
            f"{agree['share']:.0%}" if agree else "-",
        ]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    total = ["total", stats["records"]] + [stats["difficulty"].get(lv, 0) for lv in levels] + [
        _num(stats["prompt_chars"]["p50"]), _num(stats["prompt_chars"]["p90"]),
        _num(stats["answer_chars"]["p50"]), _num(stats["answer_chars"]["p90"]), len(stats["features"]), "",
    ]
    rows.append('<tr class="total">' + "".join(f"<td>{_e(c)}</td>" for c in total) + "</tr>")
    return "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def _provenance(stats: dict[str, Any]) -> str:
    prov = stats["provenance"]
    if not prov:
        return '<p class="empty">no readable manifest.json</p>'
    items = []
    for key in ("command", "seed", "n", "difficulty", "complete", "codegen_data_version"):
        if key in prov:
            items.append((key.replace("_", " "), f"<code>{_e(prov[key])}</code>" if key == "command" else _e(prov[key])))
    for k, v in (prov.get("engines") or {}).items():
        items.append((k, _e(v)))
    for k, v in (prov.get("grammars") or {}).items():
        items.append((f"grammar {k}", f"<code>{_e(str(v)[:16])}</code>"))
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def render_html(dir: Path) -> str:
    """One self-contained HTML page describing the dataset in ``dir`` (inline CSS and SVG only)."""
    stats = dataset_stats(dir)
    task_names = list(stats["tasks"])
    rejected_tasks = sorted(stats["rejects"]["by_task"])
    colors = _palette(sorted(set(task_names) | set(rejected_tasks)), TASK_COLORS)
    split_names = list(stats["splits"])
    split_colors = _palette(split_names, SPLIT_COLORS)

    records_chart = hbar_chart(
        task_names,
        [(s, split_colors[s], [stats["tasks"][t]["splits"].get(s, 0) for t in task_names]) for s in split_names],
        x_label="records",
    )
    levels = _level_order([lv for t in stats["tasks"].values() for lv in t["difficulty"]])
    difficulty_chart = hbar_chart(
        task_names,
        [(lv, LEVEL_COLORS.get(lv, _OTHER), [stats["tasks"][t]["difficulty"].get(lv, 0) for t in task_names]) for lv in levels],
        x_label="share of the task's records",
        percent=True,
    )
    top = list(stats["features"])[:30]
    feature_chart = hbar_chart(
        top,
        [(t, colors[t], [stats["tasks"][t]["features"].get(f, 0) for f in top]) for t in task_names
         if any(stats["tasks"][t]["features"].get(f) for f in top)],
        x_label="records exercising the feature",
        width=1150,
    )
    histograms = {}
    for key, noun in (("prompt_chars", "prompt"), ("answer_chars", "answer")):
        h = stats["histograms"][key]
        histograms[key] = histogram_chart(
            h["edges"], [(t, colors[t], h["counts"][t]) for t in task_names if t in h["counts"]],
            x_label=f"{noun} length (characters)",
        )
    reasons = list(stats["rejects"]["by_reason"])
    rejects_chart = hbar_chart(
        reasons,
        [(t, colors[t], [stats["rejects"]["by_task"][t].get(r, 0) for r in reasons]) for t in rejected_tasks],
        x_label="rejected candidates",
    ) if reasons else '<p class="empty">no rejects recorded</p>'
    agreement = stats["engine_agreement"]
    agree_tasks = list(agreement)
    engines_chart = hbar_chart(
        agree_tasks,
        [
            ("both engines agree", AGREE_COLORS["both engines agree"], [agreement[t]["agree"] for t in agree_tasks]),
            ("DuckDB only", AGREE_COLORS["DuckDB only"], [agreement[t]["records"] - agreement[t]["agree"] for t in agree_tasks]),
        ],
        x_label="share of the task's records",
        percent=True,
        totals=[f"{agreement[t]['agree']}/{agreement[t]['records']}" for t in agree_tasks],
    ) if agree_tasks else '<p class="empty">no record carries verified_engines</p>'

    candidates = stats["records"] + stats["rejects"]["total"]
    kept_share = f"{stats['records'] / candidates:.0%} of {candidates} kept" if candidates else ""
    agree_all = sum(a["agree"] for a in agreement.values())
    agree_n = sum(a["records"] for a in agreement.values())
    tiles = [
        (stats["records"], "verified records"),
        (len(task_names), "tasks"),
        (len(split_names), "split" if len(split_names) == 1 else "splits"),
        (stats["rejects"]["total"], f"rejected candidates ({kept_share})" if kept_share else "rejected candidates"),
        (len(stats["features"]), "distinct features"),
        (f"{agree_all / agree_n:.0%}" if agree_n else "-", "SQL records SQLite agrees on"),
    ]
    prov = stats["provenance"]
    subtitle = " · ".join(
        x for x in [
            f"seed {prov['seed']}" if "seed" in prov else "",
            f"codegen-data {prov['codegen_data_version']}" if "codegen_data_version" in prov else "",
            ", ".join(f"{k} {v}" for k, v in (prov.get("engines") or {}).items()),
        ] if x
    )
    pct = "{:.0%}".format
    prompt, answer = stats["prompt_chars"], stats["answer_chars"]
    cards = [
        _card("Records per task", "Verified records of each task" + (", stacked by split." if len(split_names) > 1 else "."), records_chart),
        _card("Difficulty per task", "Share of each task's records at each level (hover for counts).", difficulty_chart),
        _card("Feature coverage", f"The {len(top)} most exercised of {len(stats['features'])} features; a record counts once per feature.", feature_chart, wide=True),
        _card("Prompt length", f"Characters per prompt: median {_num(prompt['p50'])}, 90th percentile {_num(prompt['p90'])}, max {_num(prompt['max'])}.", histograms["prompt_chars"]),
        _card("Answer length", f"Characters per reference answer: median {_num(answer['p50'])}, 90th percentile {_num(answer['p90'])}, max {_num(answer['max'])}.", histograms["answer_chars"]),
        _card("Rejects by reason", f"{stats['rejects']['total']} candidates rejected during generation, by reason and task.", rejects_chart),
        _card("Engine agreement", "SQL records on which SQLite (through the sqlglot translation) returns DuckDB's result"
              + (f": {pct(agree_all / agree_n)} overall." if agree_n else "."), engines_chart),
        _card("Tasks", "Counts and lengths (characters) per task.", _task_table(stats), wide=True),
        _card("Provenance", "From manifest.json.", _provenance(stats), wide=True),
    ]
    tiles_html = "".join(f'<div class="tile"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in tiles)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(stats['name'])} - codegen-data report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(stats['name'])}</h1>\n<p class=\"sub\">{_e(subtitle)}</p>\n"
        f"<div class=\"tiles\">{tiles_html}</div>\n<div class=\"grid2\">\n" + "\n".join(cards) + "\n</div>\n</main>\n</body>\n</html>\n"
    )


def write_report(dir: Path, out_path: Path) -> Path:
    """Write :func:`render_html` of ``dir`` to ``out_path`` (parents created) atomically: a reader,
    or a full disk, leaves the old file or the new one, never half of one. ``out_path`` is checked
    first by :func:`codegen_data._files.output_file` (OutputPathError: not a regular file, inside
    ``dir``, ...; a symbolic link is followed and its target replaced). Returns ``out_path``.
    Raises OSError when the machine refuses the write."""
    out = Path(out_path)
    target = output_file(out, what="report file", datasets=[dir])
    page = render_html(Path(dir)).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, page)
    return out
