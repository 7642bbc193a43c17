"""Which database an item uses, and the per-worker cache of sandboxed sessions over it."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from .._seeding import derive_rng, stable_hash
from .domains import load_domains
from .executor import DuckDBSandbox, DuckDBSession, SQLiteSession
from .schema import Database
from .synth import shuffled, synthesize_database

__all__ = ["DatabaseSpec", "DatabaseSessions", "SessionCache", "build_database", "worker_sessions"]


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


_ENGINES = ("duckdb", "duckdb_shuffled", "sqlite")


class DatabaseSessions:
    """One database opened up to three ways, each on first use: DuckDB, DuckDB with every table's
    rows in another order (for the determinism check), and SQLite. The DuckDB copies are schemas of
    ``sandbox`` when one is given, else each has a connection of its own.

    With ``tables`` (an empty set: lazily), engines hold only the tables named so far, and
    :meth:`load` adds the ones a query reads; without it, every table is loaded.
    """

    def __init__(self, db: Database, *, shuffle_seed: object, timeout: float, memory_limit_mb: int, max_rows: int,
                 sandbox: DuckDBSandbox | None = None, tables: Collection[str] | None = None):
        self.db = db
        self._shuffle_seed = shuffle_seed
        self._tables = None if tables is None else set(tables)
        self._options = dict(timeout=timeout, max_rows=max_rows)
        self._duckdb_options = dict(memory_limit_mb=memory_limit_mb, sandbox=sandbox, **self._options)

    def load(self, tables: Collection[str]) -> None:
        """Make ``tables`` (names that are not the database's are ignored) available in every engine."""
        if self._tables is None or self._tables.issuperset(tables):
            return
        self._tables.update(tables)
        for name in _ENGINES:
            session = self.__dict__.get(name)
            if session is not None:
                session.load(self._tables)

    @functools.cached_property
    def duckdb(self) -> DuckDBSession:
        return DuckDBSession(self.db, tables=self._tables, **self._duckdb_options)

    @functools.cached_property
    def duckdb_shuffled(self) -> DuckDBSession:
        copy = shuffled(self.db, derive_rng(self._shuffle_seed, "shuffle", self.db.db_id))
        return DuckDBSession(copy, tables=self._tables, **self._duckdb_options)

    @functools.cached_property
    def sqlite(self) -> SQLiteSession:
        return SQLiteSession(self.db, tables=self._tables, **self._options)

    def close(self) -> None:
        for name in _ENGINES:
            session = self.__dict__.pop(name, None)
            if session is not None:
                session.close()


class SessionCache:
    """Least-recently-used sessions, so one database serves many queries in a worker.

    With ``shared`` (generation: only our own SQL runs) every DuckDB copy is a schema of one
    :class:`DuckDBSandbox` connection, under one memory limit, and holds only the tables the caller
    has asked for through :meth:`DatabaseSessions.load`; without it (scoring a model's SQL, which
    could name another schema or any table) each copy has a connection of its own and every table.
    ``optimizer=False`` runs that shared connection without DuckDB's optimizer (small tables only:
    see :data:`~codegen_data.sql.executor.UNOPTIMIZED_MAX_TABLE_ROWS`).
    """

    def __init__(self, *, timeout: float, memory_limit_mb: int, max_rows: int, size: int = 128, shared: bool = True,
                 optimizer: bool = True):
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.max_rows = max_rows
        self.size = size
        self.shared = shared
        self.optimizer = optimizer
        self._sandbox: DuckDBSandbox | None = None
        self._open: OrderedDict[DatabaseSpec, DatabaseSessions] = OrderedDict()

    def get(self, spec: DatabaseSpec) -> DatabaseSessions:
        if self._sandbox is not None and self._sandbox.out_of_memory:
            self.clear()  # the item is processed again with its own database alone (see DuckDBSession.memory_ran_out)
        if spec in self._open:
            self._open.move_to_end(spec)
            return self._open[spec]
        if self.shared and self._sandbox is None:
            self._sandbox = DuckDBSandbox(memory_limit_mb=self.memory_limit_mb, optimizer=self.optimizer)
        sessions = DatabaseSessions(
            build_database(spec), shuffle_seed=spec.seed, timeout=self.timeout,
            memory_limit_mb=self.memory_limit_mb, max_rows=self.max_rows, sandbox=self._sandbox,
            tables=set() if self.shared else None,
        )
        self._open[spec] = sessions
        if len(self._open) > self.size:
            _, old = self._open.popitem(last=False)
            old.close()
        return sessions

    def clear(self) -> None:
        """Close every session and the shared sandbox (a later :meth:`get` opens a new one)."""
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.close()  # every schema goes with its connection
        while self._open:
            _, sessions = self._open.popitem(last=False)
            try:
                sessions.close()
            except duckdb.Error:  # a cursor of the closed connection
                pass


@functools.lru_cache(maxsize=None)
def worker_sessions(*, timeout: float, memory_limit_mb: int, max_rows: int, optimizer: bool = True) -> SessionCache:
    """This process's :class:`SessionCache` for these options, so tasks generated together (text_to_sql
    and sql_translate with their default configs) load each database they share once."""
    return SessionCache(timeout=timeout, memory_limit_mb=memory_limit_mb, max_rows=max_rows, optimizer=optimizer)
