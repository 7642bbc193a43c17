"""Which database an item uses, and the per-worker cache of sandboxed sessions over it."""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass

from .._seeding import derive_rng, stable_hash
from .domains import load_domains
from .executor import DuckDBSandbox, DuckDBSession, SQLiteSession
from .schema import Database
from .synth import shuffled, synthesize_database

__all__ = ["DatabaseSpec", "DatabaseSessions", "SessionCache", "build_database"]


@dataclass(frozen=True)
class DatabaseSpec:
    """Everything a database is a pure function of; ``db_id`` is derived from it."""

    domain: str
    instance: int
    seed: int
    min_rows: int
    max_rows: int
    null_rate: float

    @property
    def db_id(self) -> str:
        digest = stable_hash(repr((self.seed, self.domain, self.instance, self.min_rows, self.max_rows, self.null_rate)), 6)
        return f"{self.domain}_{self.instance}_{digest}"


@functools.lru_cache(maxsize=256)
def build_database(spec: DatabaseSpec) -> Database:
    schema = load_domains()[spec.domain]
    rng = derive_rng(spec.seed, "database", spec.domain, spec.instance)
    return synthesize_database(
        rng, schema, db_id=spec.db_id, min_rows=spec.min_rows, max_rows=spec.max_rows, null_rate=spec.null_rate
    )


class DatabaseSessions:
    """One database opened up to three ways, each on first use: DuckDB, DuckDB with every table's
    rows in another order (for the determinism check), and SQLite. The DuckDB copies are schemas of
    ``sandbox`` when one is given, else each has a connection of its own."""

    def __init__(self, db: Database, *, shuffle_seed: object, timeout: float, memory_limit_mb: int, max_rows: int,
                 sandbox: DuckDBSandbox | None = None):
        self.db = db
        self._shuffle_seed = shuffle_seed
        self._options = dict(timeout=timeout, max_rows=max_rows)
        self._duckdb_options = dict(memory_limit_mb=memory_limit_mb, sandbox=sandbox, **self._options)

    @functools.cached_property
    def duckdb(self) -> DuckDBSession:
        return DuckDBSession(self.db, **self._duckdb_options)

    @functools.cached_property
    def duckdb_shuffled(self) -> DuckDBSession:
        copy = shuffled(self.db, derive_rng(self._shuffle_seed, "shuffle", self.db.db_id))
        return DuckDBSession(copy, **self._duckdb_options)

    @functools.cached_property
    def sqlite(self) -> SQLiteSession:
        return SQLiteSession(self.db, **self._options)

    def close(self) -> None:
        for name in ("duckdb", "duckdb_shuffled", "sqlite"):
            session = self.__dict__.pop(name, None)
            if session is not None:
                session.close()


class SessionCache:
    """Least-recently-used sessions, so one database serves many queries in a worker.

    With ``shared`` (generation: only our own SQL runs) every DuckDB copy is a schema of one
    :class:`DuckDBSandbox` connection, under one memory limit; without it (scoring a model's SQL,
    which could name another schema) each copy has a connection of its own.
    """

    def __init__(self, *, timeout: float, memory_limit_mb: int, max_rows: int, size: int = 128, shared: bool = True):
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.max_rows = max_rows
        self.size = size
        self.shared = shared
        self._sandbox: DuckDBSandbox | None = None
        self._open: OrderedDict[DatabaseSpec, DatabaseSessions] = OrderedDict()

    def get(self, spec: DatabaseSpec) -> DatabaseSessions:
        if spec in self._open:
            self._open.move_to_end(spec)
            return self._open[spec]
        if self.shared and self._sandbox is None:
            self._sandbox = DuckDBSandbox(memory_limit_mb=self.memory_limit_mb)
        sessions = DatabaseSessions(
            build_database(spec), shuffle_seed=spec.seed, timeout=self.timeout,
            memory_limit_mb=self.memory_limit_mb, max_rows=self.max_rows, sandbox=self._sandbox,
        )
        self._open[spec] = sessions
        if len(self._open) > self.size:
            _, old = self._open.popitem(last=False)
            old.close()
        return sessions
