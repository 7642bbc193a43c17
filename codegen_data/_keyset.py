"""A set of strings whose memory stays flat however many it holds.

The keys live in a private temporary SQLite database: a 2 MB page cache, the rest in a file SQLite
deletes when the set is closed (or the process ends). Python sets of 100,000 ids or group keys took
~28 MB, the only part of a run's memory that grew with ``-n``; a lookup here costs ~10-20 µs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

__all__ = ["KeySet"]

_PAGE = 10_000  # keys read at a time when iterating


class KeySet:
    """``add``, ``update``, ``in``, iteration and ``close``, as a set of ``str``."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "PRAGMA cache_size = -2048; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
            "CREATE TABLE keys (key TEXT PRIMARY KEY) WITHOUT ROWID;"
        )

    def __contains__(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone() is not None

    def add(self, key: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO keys VALUES (?)", (key,))

    def update(self, keys: Iterable[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO keys VALUES (?)", ((key,) for key in keys))

    def __iter__(self) -> Iterator[str]:
        """The keys in sorted order, read a page at a time (the set may change between pages)."""
        last = None
        while True:
            if last is None:
                page = self._db.execute("SELECT key FROM keys ORDER BY key LIMIT ?", (_PAGE,)).fetchall()
            else:
                page = self._db.execute("SELECT key FROM keys WHERE key > ? ORDER BY key LIMIT ?", (last, _PAGE)).fetchall()
            yield from (key for (key,) in page)
            if len(page) < _PAGE:
                return
            last = page[-1][0]

    def close(self) -> None:
        self._db.close()
