"""``chat``: the OpenAI / TRL conversational format, one user turn and the reference as the assistant's.

Example row (abridged)::

    {"messages": [{"role": "user", "content": "Given this DuckDB database schema: ..."},
                  {"role": "assistant", "content": "SELECT ..."}],
     "id": "text_to_sql-3f0c9a1be2d47c55", "metadata": {"task": "text_to_sql", ...}}
"""

from __future__ import annotations

from typing import Any

from . import ExportFormat, passthrough


class Chat(ExportFormat):
    name = "chat"
    description = "OpenAI / TRL conversational JSONL: messages [user: prompt, assistant: answer], id, metadata."

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "messages": [
                {"role": "user", "content": record["prompt"]},
                {"role": "assistant", "content": record["answer"]},
            ],
            "id": record["id"],
            "metadata": passthrough(record),
        }


FORMAT = Chat
