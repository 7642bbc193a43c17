"""Exporting a dataset directory to another tool's format: ``export_dataset(DIR, FORMAT, OUT)``.

Reads ``DIR/manifest.json`` and every split it lists, streams each record through the format
(:mod:`codegen_data.export.formats`) into ``OUT/<split>.jsonl``, and adds the files the format needs
beside them. Everything is first written to ``OUT/.partial-export/`` and moved into place only when
the export is complete, so a failed export leaves a previous one in OUT as it was.

``OUT/.codegen-data-export.json`` lists the files an export wrote, so that two exports never mix:
with ``overwrite=False`` (the command line without ``--overwrite``) OUT must be new or empty; with
``overwrite=True`` OUT must be new, empty or hold an earlier export, whose files the new export does
not write are removed once it is in place. Files in OUT that no export wrote are left alone: one
that has the name of a file this export writes is refused, not replaced.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import OutputPathError, output_dir, write_atomic
from ..task import ConfigError
from .formats import ANSWER_FIELDS, Skip, get_format

__all__ = ["ExportSummary", "SplitExport", "export_dataset"]

STAGING = ".partial-export"
MARKER = ".codegen-data-export.json"
"""Lists the files of the export in OUT (written before they are moved into place, rewritten after)."""
SPLIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class SplitExport:
    """One split as exported: its file (relative to OUT), the rows written and the records skipped."""

    file: str
    rows: int
    skipped: int


@dataclass(frozen=True)
class ExportSummary:
    format: str
    out: Path
    splits: dict[str, SplitExport]
    skipped: dict[str, int]  # reason -> records the format has no form for
    files: list[str]  # every file written, relative to OUT

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.splits.values())

    def text(self) -> str:
        """One line for the command line."""
        parts = ", ".join(f"{name} {s.rows}" for name, s in self.splits.items())
        line = f"exported {self.rows} rows as {self.format} ({parts}) -> {self.out}"
        if self.skipped:
            line += "; skipped " + ", ".join(f"{n} ({reason})" for reason, n in sorted(self.skipped.items()))
        return line


def _read_manifest(dataset: Path) -> dict[str, Any]:
    if not dataset.is_dir():
        raise ConfigError(f"dataset directory {dataset} does not exist")
    path = dataset / "manifest.json"
    if not path.is_file():
        raise ConfigError(f"{dataset} is not a codegen-data dataset: it has no manifest.json")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    splits = manifest.get("splits") if isinstance(manifest, dict) else None
    if not isinstance(splits, dict) or not splits:
        raise ConfigError(f"{path} lists no splits")
    for name, entry in splits.items():
        if not SPLIT_NAME.fullmatch(name):
            raise ConfigError(f"{path}: invalid split name {name!r}")
        if not (isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("records"), int)):
            raise ConfigError(f"{path}: split {name!r} needs a file and a record count")
        file = (dataset / entry["file"]).resolve()
        if not file.is_relative_to(dataset.resolve()) or not file.is_file():
            raise ConfigError(f"{path}: the file of split {name!r} ({entry['file']}) is missing")
    return manifest


def _records(path: Path, expected: int) -> Iterator[dict[str, Any]]:
    count = 0
    try:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{n}: not a JSON record ({exc.msg})") from None
                if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ANSWER_FIELDS):
                    raise ConfigError(f"{path}:{n}: a record needs string {', '.join(ANSWER_FIELDS)}")
                count += 1
                yield record
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc.reason}") from None
    if count != expected:
        raise ConfigError(f"{path} holds {count} records but manifest.json says {expected}")


def _previous_files(out: Path) -> list[str] | None:
    """The files the export in ``out`` wrote (from its marker), or None when ``out`` holds no export.
    Only plain names directly in ``out`` are trusted (a marker is a file anyone could edit)."""
    try:
        listed = json.loads((out / MARKER).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(listed, list):
        return None
    return [name for name in listed if isinstance(name, str) and name not in ("", ".", "..", MARKER, STAGING)
            and "/" not in name and "\\" not in name and "\0" not in name]


def _check_out(dataset: Path, out: Path, overwrite: bool) -> list[str] | None:
    """Refuse an OUT that cannot take this export (OutputPathError, one line); the files of the
    earlier export in OUT (to remove once the new one is in place), or None when OUT holds none."""
    output_dir(out, datasets=[dataset])
    try:
        entries = sorted(p.name for p in out.iterdir() if p.name != STAGING) if out.is_dir() else []
    except OSError as exc:
        raise ConfigError(f"cannot read {out}: {exc.strerror or exc}") from None
    previous = _previous_files(out) if entries else None
    if entries and not overwrite:
        what = "an earlier export" if previous is not None else f"{entries[0]!r}"
        raise OutputPathError(f"output directory {out} is not empty (it holds {what}); add --overwrite to replace "
                              "the export in it, or choose another -o")
    if entries and previous is None:
        raise OutputPathError(f"output directory {out} is not empty and holds no codegen-data export (it has "
                              f"{entries[0]!r}); choose another -o")
    return previous


def _write_marker(out: Path, fmt: str, dataset: str, files: list[str]) -> None:
    data = json.dumps({"format": fmt, "dataset": dataset, "files": files}, indent=1) + "\n"
    write_atomic(out / MARKER, data.encode("utf-8"))


def _dumps(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_dataset(dir: Path, fmt: str, out: Path, *, overwrite: bool = False) -> ExportSummary:
    """Write the dataset in ``dir`` to ``out`` in format ``fmt``; every user error is a one-line ConfigError
    (an OutputPathError for an ``out`` that cannot take it). ``overwrite``: see the module docstring."""
    dataset, out = Path(dir), Path(out)
    format_ = get_format(fmt)()
    manifest = _read_manifest(dataset)
    previous = _check_out(dataset, out, overwrite) or []
    staging = out / STAGING
    skipped: Counter = Counter()
    splits: dict[str, SplitExport] = {}
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        for name, entry in manifest["splits"].items():
            rel = format_.filename(name)
            rows = skips = 0
            with (staging / rel).open("w", encoding="utf-8") as f:
                for record in _records(dataset / entry["file"], entry["records"]):
                    row = format_.row(record)
                    if isinstance(row, Skip):
                        skipped[row.reason] += 1
                        skips += 1
                        continue
                    f.write(_dumps(row))
                    rows += 1
            splits[name] = SplitExport(rel, rows, skips)
        files = [s.file for s in splits.values()]
        holding = {n: s.file for n, s in splits.items() if s.rows}  # an empty file is no split to a reader
        for rel, text in format_.side_files(manifest, holding, out).items():
            (staging / rel).write_text(text, encoding="utf-8")
            files.append(rel)
        clash = [rel for rel in files if rel not in previous and os.path.lexists(out / rel)]
        if clash:  # a file of the user's (no export listed it) would be replaced
            raise OutputPathError(f"{out / clash[0]} was not written by an earlier export and this export would replace "
                                  "it; move it away or choose another -o")
        name = str(manifest.get("name", dataset.name))
        # The marker lists the old files and the new before any moves, so an export killed while
        # moving leaves every export file listed: the next --overwrite removes what it does not write.
        _write_marker(out, format_.name, name, sorted(set(previous) | set(files)))
        for rel in files:
            os.replace(staging / rel, out / rel)
        for rel in sorted(set(previous) - set(files)):
            (out / rel).unlink(missing_ok=True)
        _write_marker(out, format_.name, name, sorted(files))
    except OSError as exc:
        raise ConfigError(f"cannot write to {out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportSummary(format_.name, out, splits, dict(sorted(skipped.items())), files)
