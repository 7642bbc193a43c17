"""``prompt-completion``: TRL's standard (not conversational) prompt-completion format.

Example row (abridged)::

    {"prompt": "Here is a Python function: ...", "completion": "[3, 1]",
     "id": "py_output-ef8933acea6db98b", "metadata": {"task": "py_output", ...}}
"""

from __future__ import annotations

from typing import Any

from . import ExportFormat, passthrough


class PromptCompletion(ExportFormat):
    name = "prompt-completion"
    description = "TRL standard prompt-completion JSONL: prompt, completion (the answer), id, metadata."

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt": record["prompt"],
            "completion": record["answer"],
            "id": record["id"],
            "metadata": passthrough(record),
        }


FORMAT = PromptCompletion
