"""Export formats: every module in this folder that exposes ``FORMAT`` is one.

A format says how one record becomes one row of ``OUT/<split>.jsonl`` (or why it is skipped) and
which files go beside the rows. Discovery imports the modules by scanning the folder, so no format
depends on something else having imported it first; a module here without ``FORMAT`` is an error,
not a silent skip. :func:`codegen_data.export.exporter.export_dataset` drives a format.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from ..._plugins import discover
from ...task import ConfigError

__all__ = ["ExportFormat", "Skip", "all_formats", "format_names", "get_format", "passthrough"]

ANSWER_FIELDS = ("id", "prompt", "answer")
"""Record fields every format maps itself; the rest travel as ``metadata``."""


class Skip(NamedTuple):
    """A record the format has no form for; ``reason`` is counted in the export summary."""

    reason: str


def passthrough(record: dict[str, Any]) -> dict[str, Any]:
    """The record's fields other than ``id``, ``prompt`` and ``answer``, in record order."""
    return {k: v for k, v in record.items() if k not in ANSWER_FIELDS}


class ExportFormat:
    """One export format. Subclasses set ``name`` and ``description`` and implement :meth:`row`."""

    name: ClassVar[str]
    description: ClassVar[str]  # one line, for the command line's help

    def row(self, record: dict[str, Any]) -> dict[str, Any] | Skip:
        """The output row of one verified record, or a :class:`Skip`."""
        raise NotImplementedError

    def filename(self, split: str) -> str:
        """The file (relative to OUT) that holds the rows of ``split``."""
        return f"{split}.jsonl"

    def side_files(self, manifest: dict[str, Any], files: dict[str, str], out: Path) -> dict[str, str]:
        """Extra files (relative path -> text), given the manifest, the row file of each split that has
        rows, and the final OUT."""
        return {}


@functools.lru_cache(maxsize=None)
def all_formats() -> dict[str, type[ExportFormat]]:
    import sys

    return discover(sys.modules[__name__], "FORMAT", ExportFormat, "export format")


def format_names() -> list[str]:
    return list(all_formats())


def get_format(name: str) -> type[ExportFormat]:
    formats = all_formats()
    if name not in formats:
        raise ConfigError(f"unknown export format {name!r}; available: {', '.join(formats)}")
    return formats[name]
