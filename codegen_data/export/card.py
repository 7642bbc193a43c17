"""The dataset card (``DIR/README.md``), rendered from the manifest alone."""

from __future__ import annotations

from typing import Any

__all__ = ["render_card"]


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_card(m: dict[str, Any]) -> str:
    total = sum(t["kept"] for t in m["tasks"].values())
    tasks = m["tasks"]
    engines = m["engines"]
    sql = any("databases_per_domain" in t.get("config", {}) for t in tasks.values())
    py = any("hidden_tests" in t.get("config", {}) for t in tasks.values())
    labels = "\n\n".join(dict.fromkeys(t["labels"] for t in tasks.values() if t.get("labels")))
    verification = "\n\n".join(dict.fromkeys(t["verification"] for t in tasks.values() if t.get("verification")))
    front = [
        "---",
        f"pretty_name: {m['name']}",
        "license: cc-by-4.0",
        "annotations_creators:",
        "- machine-generated",
        "language:",
        "- en",
        "task_categories:",
        "- text-generation",
        "size_categories:",
        f"- {_size_category(total)}",
        "tags:",
        "- code",
        "- synthetic",
        "- execution-verified",
        *(["- sql", "- text-to-sql"] if sql else []),
        *(["- python", "- program-synthesis"] if py else []),
        "configs:",
        "- config_name: default",
        "  data_files:",
        *[line for split, info in m["splits"].items() if info["records"]
          for line in (f"  - split: {split}", f"    path: {info['file']}")],
        "---",
        "",
    ]
    composition = _table(
        ["task", "records", "easy", "medium", "hard", "extra", "both engines agree"],
        [
            [
                name, t["kept"],
                *(t["difficulty"].get(level, 0) for level in ("easy", "medium", "hard", "extra")),
                f"{m['engine_agreement'][name]:.1%}" if name in m["engine_agreement"] else "n/a",
            ]
            for name, t in tasks.items()
        ],
    )
    levels = ("easy", "medium", "hard", "extra")
    mix = {level: sum(t["difficulty"].get(level, 0) for t in tasks.values()) for level in levels}
    mix_text = ", ".join(f"{level} {count / total:.1%}" for level, count in mix.items() if count) if total else "none"
    split_table = _table(
        ["split", "share asked", "records", *tasks],
        [[split, f"{info['ratio']:g}", info["records"], *(info["tasks"].get(t, 0) for t in tasks)]
         for split, info in m["splits"].items()],
    )
    features: dict[str, int] = {}
    for t in tasks.values():
        for f, c in t["features"].items():
            features[f] = features.get(f, 0) + c
    feature_table = _table(["feature", "records"], [[f, c] for f, c in sorted(features.items(), key=lambda x: (-x[1], x[0]))])
    rejects = _table(["reason", "candidates"], [[r, c] for r, c in sorted(m["rejects"].items(), key=lambda x: (-x[1], x[0]))]) if m["rejects"] else "No candidate was rejected."
    body = f"""# {m['name']}

{total} execution-verified records made by codegen-data {m['codegen_data_version']}
with `{m['command']}`.{'' if m['complete'] else ' **Incomplete: the run stopped before every task reached its quota.**'}

## Motivation
Training and evaluation data for code models whose every label is known to be right because it was
produced by executing the reference, not written by a person or a language model.

## How the items were generated
Procedurally, from grammars (`grammars/*.toml`, hashes in `manifest.json`) and a seed ({m['seed']}):
no scraped data and no language model. Item *i* depends only on (seed, task, *i*).
{'Databases are synthesized per domain; every value in them (names, cities, amounts, dates) is invented and no real personal data is used.' if sql else ''}
{'Programs are typed Python functions built from blocks that each carry an English phrase; inputs are drawn from the seed with edge cases (empty, zero, negative, duplicates, non-ASCII).' if py else ''}

## How the labels were obtained
Every reference was executed (Python {engines['python']}, DuckDB {engines['duckdb']}, SQLite
{engines['sqlite']}, sqlglot {engines['sqlglot']}).{f" Programs were parsed by tree-sitter-python {engines['tree-sitter-python']} (features, levels, groups)." if py and 'tree-sitter-python' in engines else ''}
{labels}

## Verification
{verification}

Rejected candidates and their reasons are in `rejects.jsonl`:

{rejects}

## Composition

{composition}

Achieved difficulty mix: {mix_text} (asked: `{m['difficulty']}`{', an even draw per item' if m['difficulty'] == 'mixed' else ''}).

Splits are assigned by a structural group key (`group`: the SQL with literals masked, or the program's
syntax tree with names, literals and annotations normalized), so no structure appears in two splits;
{'duplicates were kept' if m.get('keep_duplicates') else 'exact and structural duplicates within a task were dropped (counted under rejects)'}.

{split_table}

Features exercised:

{feature_table}

## Record format
One JSON object per line in `data/test.jsonl`: `id`, `task`, `prompt` (exact model-facing text),
`answer` (reference answer text), `difficulty`, `features`, `meta` (seed, index, version, grammar
hash){'; SQL records also `db_id`, `sql`, `result` (`columns`, `types`, `rows`), `order_matters` and `verified_engines`, and `text_to_sql` records `question`. `databases/<db_id>.sql` rebuilds each database with plain DuckDB. Result values: dates and timestamps are ISO text (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`), DECIMAL values JSON numbers' if sql else ''}{'; program records also `code`, `entry_point` and `tests` (`input`: the call arguments as Python source; `output`: the repr of the return value, or `raises`: the exception type)' if py else ''}.

## Intended uses
Training and evaluating code models on {', '.join(tasks)}; regression testing of a model in CI.

## Out-of-scope uses
Measuring performance on real-world databases or code without further validation; any use that
treats the invented names and values as facts.

## Limitations
The distribution is synthetic: schemas, values and question phrasings come from a finite grammar, so
scores here may not transfer to natural data. SQL answers are in the DuckDB dialect; agreement with
SQLite is checked, other engines are not.

## Regenerate exactly
`{m['command']} -o {m['name']}` with codegen-data {m['codegen_data_version']} gives byte-identical
`data/` files (any `--workers`).

## Refresh against contamination
Run the same command with a new `--seed`: the items change, their distribution does not.
"""
    return "\n".join(front) + body
