"""Grammar weights are data: ``grammars/<name>.toml``, loaded once, hashed, and read by generators."""

from __future__ import annotations

import functools
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["Grammar", "load_grammar", "grammar_dir"]


def grammar_dir() -> Path:
    """The folder holding the grammar files (``grammars/`` at the repository top, linked into the package)."""
    return Path(__file__).resolve().parent / "grammars"


@dataclass(frozen=True)
class Grammar:
    """A parsed grammar file and the sha256 of its bytes (recorded in every record's ``meta``)."""

    name: str
    data: dict[str, Any]
    sha256: str

    def section(self, key: str) -> dict[str, Any]:
        """A table of the grammar; a missing table is a bug in the grammar file, so it raises."""
        try:
            value = self.data[key]
        except KeyError:
            raise KeyError(f"grammar {self.name!r} has no [{key}] table") from None
        if not isinstance(value, dict):
            raise TypeError(f"grammar {self.name!r}: [{key}] is not a table")
        return value

    def weights(self, key: str) -> dict[str, float]:
        """A ``name = weight`` table with every weight a non-negative number."""
        table = self.section(key)
        for name, w in table.items():
            if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
                raise ValueError(f"grammar {self.name!r}: [{key}].{name} must be a non-negative number")
        return {k: float(v) for k, v in table.items()}

    @property
    def short_hash(self) -> str:
        return self.sha256[:16]


@functools.lru_cache(maxsize=None)
def load_grammar(name: str) -> Grammar:
    """Load ``grammars/<name>.toml``."""
    path = grammar_dir() / f"{name}.toml"
    raw = path.read_bytes()
    return Grammar(name=name, data=tomllib.loads(raw.decode("utf-8")), sha256=hashlib.sha256(raw).hexdigest())
