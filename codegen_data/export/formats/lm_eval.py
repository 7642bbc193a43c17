"""``lm-eval``: an lm-evaluation-harness task: ``OUT/<split>.jsonl``, ``OUT/<task>.yaml`` and ``OUT/utils.py``.

One ``generate_until`` task named ``codegen_data_<dataset name>`` whose splits are the dataset's
(``test_split``, ``validation_split``, ``training_split`` as present). Every answer is checked by
execution or by value, so ``utils.process_results`` scores a generation with
``codegen_data.score(record, generation)`` and the task reports the mean as ``score``.

lm-eval hands ``dataset_kwargs`` to ``datasets.load_dataset("json", ...)`` unchanged, and ``datasets``
resolves relative ``data_files`` against the current directory, not the YAML's; the paths written
are therefore absolute (move the folder, export again). Rows keep ``metadata`` as a JSON string: an
Arrow column cannot hold the mix of types found in SQL result rows and program tests on every
``datasets`` version, and a string round-trips every value exactly.

Run: ``lm_eval run --model ... --include_path OUT --tasks codegen_data_<name>`` (codegen-data must
be importable where lm-eval runs).

Example row (abridged)::

    {"id": "sql_output-e9ceda6b5001449a", "prompt": "Here are the tables ...", "answer": "merchant\\nPioneer Labs",
     "task": "sql_output", "metadata": "{\\"task\\": \\"sql_output\\", \\"sql\\": ...}"}
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from . import ExportFormat, passthrough

SPLIT_KEYS = {"test": "test_split", "validation": "validation_split", "train": "training_split"}
"""lm-eval's split roles, by our split names."""

STOP = "\n\n\n\n"
"""Stop sequence besides the model's end of text: three blank lines, which no reference answer holds."""

UTILS = '''"""lm-evaluation-harness hooks for a codegen-data export: every generation is scored by codegen-data."""

import json


def record_of(doc):
    """The codegen-data record an exported row was made from."""
    return {"id": doc["id"], "prompt": doc["prompt"], "answer": doc["answer"], **json.loads(doc["metadata"])}


def process_results(doc, results):
    import codegen_data

    return {"score": float(codegen_data.score(record_of(doc), results[0]))}
'''


def task_name(dataset: str) -> str:
    """``codegen_data_<dataset>`` with every character lm-eval's task names do not use replaced by ``_``."""
    return "codegen_data_" + (re.sub(r"[^0-9A-Za-z_]+", "_", dataset).strip("_").lower() or "dataset")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


class LmEval(ExportFormat):
    name = "lm-eval"
    description = "lm-evaluation-harness generate_until task: YAML + JSONL + utils.py scoring through codegen_data.score."

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": record["id"],
            "prompt": record["prompt"],
            "answer": record["answer"],
            "task": record.get("task", ""),
            "metadata": json.dumps(passthrough(record), ensure_ascii=False),
        }

    def side_files(self, manifest: dict[str, Any], files: dict[str, str], out: Path) -> dict[str, str]:
        if not files:
            return {}  # no rows, no task
        name = task_name(str(manifest.get("name", "dataset")))
        roles = {SPLIT_KEYS[s]: s for s in files if s in SPLIT_KEYS}
        if "test_split" not in roles and "validation_split" not in roles:
            # lm-eval evaluates the test split, else the validation split: give it one.
            roles["test_split"] = next(iter(files))
        out = out.resolve()
        lines = [
            f"# lm-evaluation-harness task exported by codegen-data from {_quoted(str(manifest.get('name', '')))}.",
            "# data_files are absolute: datasets resolves relative paths against the current directory.",
            f"task: {name}",
            "dataset_path: json",
            "dataset_kwargs:",
            "  data_files:",
            *(f"    {_quoted(split)}: {_quoted(str(out / rel))}" for split, rel in files.items()),
            *(f"{role}: {_quoted(split)}" for role, split in sorted(roles.items())),
            "output_type: generate_until",
            # Column names, not "{{prompt}}" templates: lm-eval returns a column verbatim, while a
            # rendered target that looks like a list ("['a']") would be literal_eval'ed into one.
            "doc_to_text: prompt",
            "doc_to_target: answer",
            "generation_kwargs:",
            "  until:",
            f"    - {_quoted(STOP)}",
            "  do_sample: false",
            "  max_gen_toks: 1024",
            "process_results: !function utils.process_results",
            "metric_list:",
            "  - metric: score",
            "    aggregation: mean",
            "    higher_is_better: true",
            "metadata:",
            "  version: 1.0",
        ]
        return {f"{name}.yaml": "\n".join(lines) + "\n", "utils.py": UTILS}


FORMAT = LmEval
