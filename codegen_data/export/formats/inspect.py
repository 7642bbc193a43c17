"""``inspect``: inspect_ai samples, read by ``json_dataset(path)`` with its default field names.

Example row (abridged)::

    {"input": "Write a Python function with this signature: ...", "target": "def divide(...): ...",
     "id": "py_synthesis-02551f8cbc5602f8", "metadata": {"task": "py_synthesis", "tests": [...], ...}}
"""

from __future__ import annotations

from typing import Any

from . import ExportFormat, passthrough


class Inspect(ExportFormat):
    name = "inspect"
    description = "inspect_ai sample JSONL for json_dataset(): input, target, id, metadata."

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "input": record["prompt"],
            "target": record["answer"],
            "id": record["id"],
            "metadata": passthrough(record),
        }


FORMAT = Inspect
