"""Sandboxed SQL execution: hardened DuckDB and SQLite sessions over one synthesized database.

These sessions live only inside worker processes (``codegen_data.worker``), never in the parent, so
generated SQL never runs in our own process, and the parent never forks while holding a DuckDB
connection (workers are started with ``subprocess``, i.e. fork+exec of a fresh ``python -s`` with a clean environment).

Hardening, applied before any generated SQL runs and then locked:

- DuckDB: ``enable_external_access=false`` (no file, COPY, ATTACH, INSTALL, LOAD, http), extension
  auto-install and auto-load off, ``threads=1``, a memory limit with no temporary directory to spill
  to (a query past it fails; nothing is written to disk), ``lock_configuration=true`` (no
  ``SET`` can undo any of it). A per-statement deadline interrupts the query (one watchdog thread per
  process keeps every deadline); only a single read-only statement (SELECT / WITH / set operation)
  is accepted, and on a connection of its own (SQL we did not write) it runs in a transaction that
  is rolled back.
- A generation worker keeps all its DuckDB databases in one such connection (a :class:`DuckDBSandbox`;
  over small tables, with DuckDB's optimizer off),
  each in a schema of its own that its session's cursor has as ``search_path``: opening a hardened
  connection takes about 20 ms, four times as long as loading a database into it, and one memory
  limit then bounds them all.
- SQLite: in-memory, an authorizer that refuses ATTACH, DETACH, PRAGMA and every write, extension
  loading off, and a progress handler that aborts a statement past its deadline.

Results are data (:class:`QueryResult`), never exceptions: the caller decides every verdict.
"""

from __future__ import annotations

import functools
import math
import os
import sqlite3
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from .. import _deadlines
from ..sql.comparator import to_json_value
from .dialect import DUCKDB
from .schema import Database
from .scripts import load_duckdb, load_sqlite

__all__ = ["QueryResult", "DuckDBSandbox", "DuckDBSession", "SQLiteSession", "hardened_duckdb", "DUCKDB_HARDENING",
           "UNOPTIMIZED_MAX_TABLE_ROWS", "optimizes"]

DUCKDB_HARDENING: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "threads": 1,
    "temp_directory": "",  # nothing spills to disk: past the memory limit a query fails (else DuckDB writes
    # .tmp/ in the working directory, up to 90% of the free disk, and leaves it there when killed)
    "lock_configuration": True,
}
"""DuckDB settings every sandboxed connection is opened with (plus ``memory_limit``)."""

UNOPTIMIZED_MAX_TABLE_ROWS = 100
"""Generation runs DuckDB without its optimizer when no table has more rows than this (see
:class:`DuckDBSandbox`). The generator's queries over tables of 20-60 rows (the default) were planned
and run in 0.75 ms each without it and 0.93 ms with it. Without it a correlated subquery is not
decorrelated, so its cost grows with the square of the rows: a correlated EXISTS took 1.3 ms without
the optimizer at 200 rows against 0.9 ms with it, and 24 ms against 1.2 ms at 5,000 rows."""


@dataclass
class QueryResult:
    """What one statement did: ``status`` is ``ok``, ``error``, ``timeout``, ``too_many_rows`` or ``refused``
    (or, from the scoring process of :mod:`codegen_data.sql.remote`, ``too_large``)."""

    status: str
    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_result(self) -> dict[str, Any]:
        """The record's ``result`` field."""
        return {"columns": self.columns, "types": self.types, "rows": self.rows}


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


_NO_OPTIMIZER = "PRAGMA disable_optimizer"
"""What turns the optimizer off for one connection or cursor where it is not a setting (DuckDB < 2.0)."""


def optimizes(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether DuckDB plans this connection's (or cursor's) statements with its optimizer, read off
    a plan rather than a setting, so on any version: the optimizer drops a filter that is always true."""
    plan = con.execute("EXPLAIN SELECT * FROM range(3) WHERE 1 = 1").fetchall()
    return "FILTER" not in " ".join(str(value) for row in plan for value in row).upper()


def hardened_duckdb(*, memory_limit_mb: int = 256, optimizer: bool = True) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection with :data:`DUCKDB_HARDENING` applied and locked.

    ``optimizer=False`` turns DuckDB's query optimizer off as well (see :class:`DuckDBSandbox`):
    DuckDB 2.0 has an ``enable_optimizer`` setting, fixed here and locked with the rest; before 2.0
    there is only ``PRAGMA disable_optimizer``, which holds for this connection alone (its cursors
    start with the optimizer on) and which ``lock_configuration`` does not lock, so there only the
    statements a session accepts (one SELECT) keep it off."""
    config = dict(DUCKDB_HARDENING)
    config["memory_limit"] = f"{int(memory_limit_mb)}MB"
    if optimizer:
        return duckdb.connect(":memory:", config=config)
    try:
        return duckdb.connect(":memory:", config={**config, "enable_optimizer": False})
    except duckdb.Error as exc:
        if "enable_optimizer" not in str(exc):
            raise
    con = duckdb.connect(":memory:", config=config)
    con.execute(_NO_OPTIMIZER)
    return con


_READ_ONLY_STATEMENTS = {"SELECT"}


_LUMPED = {"LOAD": {"INSTALL", "FORCE INSTALL", "LOAD"}, "SET": {"SET", "RESET", "USE"},
           "CALL": {"CALL", "CHECKPOINT", "FORCE CHECKPOINT"}}
"""DuckDB statement types that stand for several statements, and the statements' own names."""
_NAMED_CHARS = 1000  # of a refused statement's text read for its name (a longer leading comment: its type)


def _statement_type(statement: Any) -> str:
    try:
        name = statement.type.name
    except ValueError:  # a type the Python binding has no name for (DuckDB 2.0's UPDATE EXTENSIONS)
        return "UNKNOWN"
    return name if name.isidentifier() else "UNKNOWN"  # (before 2.0 that name is "???")


def _refused_name(statement: Any, kind: str) -> str:
    """What a refused statement is: DuckDB's statement type, except where that type stands for
    several statements (INSTALL is a LOAD, RESET and USE are a SET, CHECKPOINT a CALL) or has no
    name; then the statement as its SQL names it, when that is one we know."""
    if kind not in _LUMPED and kind != "UNKNOWN":
        return kind
    try:  # sqlglot's tokens skip comments (nested, as DuckDB nests them; before 2.0 the text keeps them)
        tokens = DUCKDB.tokenize((getattr(statement, "query", "") or "")[:_NAMED_CHARS])
    except sqlglot.errors.TokenError:
        return kind
    words = [t.text.upper() for t in tokens if t.text.isidentifier()][:2]
    if not words:
        return kind
    name = " ".join(words) if words[0] == "FORCE" or kind == "UNKNOWN" else words[0]
    return name if kind == "UNKNOWN" or name in _LUMPED[kind] else kind


class _Watchdog:
    """One thread that interrupts statements past their deadline, for every session of the process.

    Starting a ``threading.Timer`` per statement cost more than running a typical statement; this
    thread sleeps until the earliest deadline and is woken only when a new deadline comes sooner.
    """

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)  # a forked child has no thread yet

    def reset(self) -> None:
        self._lock = threading.Condition()
        self._armed: dict[int, tuple[float, Any]] = {}  # token -> (deadline, connection)
        self._tokens = 0
        self._wake_at = math.inf
        self._thread: threading.Thread | None = None

    def arm(self, con: Any, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        with self._lock:
            self._tokens += 1
            self._armed[self._tokens] = (deadline, con)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="sql-deadline", daemon=True)
                self._thread.start()
            elif deadline < self._wake_at:
                self._lock.notify()
            return self._tokens

    def disarm(self, token: int) -> None:
        """After this returns, the statement ``token`` stood for is never interrupted."""
        with self._lock:
            self._armed.pop(token, None)

    def _watch(self) -> None:
        with self._lock:
            while True:
                self._wake_at = self._interrupt_overdue()
                self._lock.wait(None if self._wake_at == math.inf else max(0.0, self._wake_at - time.monotonic()))

    def _interrupt_overdue(self) -> float:
        """Interrupt what is past its deadline; the next deadline. (No connection outlives this call
        in the thread's frame, so none is left alive at interpreter exit.)"""
        now = time.monotonic()
        for token, (deadline, con) in list(self._armed.items()):
            if deadline <= now:
                del self._armed[token]
                con.interrupt()
        return min((deadline for deadline, _ in self._armed.values()), default=math.inf)


_WATCHDOG = _Watchdog()


@functools.lru_cache(maxsize=None)
def _template(template: str) -> exp.Expression:
    return sqlglot.parse_one(template, read="duckdb")


def _statement(template: str, **values: exp.Expression) -> str:
    """A fixed DuckDB statement with our own names put in as sqlglot nodes (no SQL is spliced)."""
    filled = exp.replace_placeholders(_template(template), **values)  # a copy: the template stays as parsed
    return filled.sql(dialect="duckdb", copy=False)


class DuckDBSandbox:
    """One hardened in-memory DuckDB holding many databases, each in its own schema.

    A schema's cursor has it as ``search_path``, so the tables of the database it holds are named as
    usual. The sandbox only ever runs SQL the generator built (one read-only statement per call), so
    no statement names another schema; a model's SQL is scored in a connection of its own instead.

    ``optimizer=False`` turns DuckDB's optimizer off, for small tables only
    (:data:`UNOPTIMIZED_MAX_TABLE_ROWS`): there it costs more than it saves. On a well-defined query
    an optimizer changes how the query runs, not its result. The generator's queries are well
    defined: it casts only literals, so no error depends on which rows a filter removes first. All
    963 statements of 300 generated samples gave the same results either way, and generated datasets
    were byte-identical. ``codegen-data verify`` re-runs every gold query with the optimizer on. A
    model's SQL is scored in a connection of its own, with the optimizer on.
    """

    def __init__(self, *, memory_limit_mb: int = 256, optimizer: bool = True):
        self.con = hardened_duckdb(memory_limit_mb=memory_limit_mb, optimizer=optimizer)
        # Before DuckDB 2.0 a cursor starts with the optimizer on, whatever its connection's pragma said.
        self._cursor_setup: list[str] = []
        if not optimizer:
            probe = self.con.cursor()
            try:
                if optimizes(probe):
                    self._cursor_setup.append(_NO_OPTIMIZER)
            finally:
                probe.close()
        self._schemas = 0
        self.out_of_memory = False  # a statement here ran out of memory: see DuckDBSession.memory_ran_out
        self.closed = False
        self.last_parsed: tuple[str, list[Any]] | None = None  # (sql, its statements): see DuckDBSession.run

    def cursor(self) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A cursor on a new, empty schema, and the schema's name."""
        self._schemas += 1
        name = f"db{self._schemas}"
        cursor = self.con.cursor()
        cursor.execute(";\n".join([  # one call: half the time of two
            _statement("CREATE SCHEMA :name", name=exp.to_identifier(name)),
            _statement("SET search_path = :path", path=exp.Literal.string(name)),
            *self._cursor_setup,
        ]))
        return cursor, name

    def drop(self, name: str) -> None:
        if not self.closed:
            self.con.execute(_statement("DROP SCHEMA :name CASCADE", name=exp.to_identifier(name)))

    def close(self) -> None:
        """Close the connection and with it every schema (a session closed later drops nothing)."""
        self.closed = True
        self.con.close()


def _missing(db: Database, loaded: set[str], tables: Collection[str] | None) -> list[str]:
    return [t.name for t in db.schema.tables if t.name not in loaded and (tables is None or t.name in tables)]


class DuckDBSession:
    """``db`` in a hardened in-memory DuckDB; runs one read-only statement at a time.

    The database gets a connection of its own (limited to ``memory_limit_mb``), or with ``sandbox`` a
    schema in the sandbox's connection (under the sandbox's limit). With ``tables``, only those tables
    are loaded, and :meth:`load` adds others when a query needs them.
    """

    _sandbox: DuckDBSandbox | None = None  # also for subclasses that open a connection of their own

    def __init__(
        self, db: Database, *, memory_limit_mb: int = 256, timeout: float = 2.0, max_rows: int = 10_000,
        sandbox: DuckDBSandbox | None = None, tables: Collection[str] | None = None,
    ):
        self.timeout = timeout
        self.max_rows = max_rows
        self._sandbox = sandbox
        if sandbox is None:
            self.con = hardened_duckdb(memory_limit_mb=memory_limit_mb)
        else:
            self.con, self._schema = sandbox.cursor()
        self._db = db
        self._loaded: set[str] = set()
        self.load(tables)

    @functools.cached_property
    def _transaction(self) -> tuple[Any, Any]:
        """BEGIN and ROLLBACK, parsed once per session (also for subclasses with their own constructor):
        executing a parsed statement skips DuckDB's parser, where con.begin() and con.rollback()
        execute these same two statements from their text each time."""
        begin, rollback = self.con.extract_statements("BEGIN TRANSACTION; ROLLBACK")
        return begin, rollback

    def load(self, tables: Collection[str] | None = None) -> None:
        """Load the database's ``tables`` (every table when None) that are not loaded yet."""
        missing = _missing(self._db, self._loaded, tables)
        if missing:
            try:
                load_duckdb(self.con, self._db, missing)
            except duckdb.OutOfMemoryException:
                self.memory_ran_out()
                raise
            self._loaded.update(missing)

    def memory_ran_out(self) -> None:
        """A statement of this session ran out of memory. In a sandbox that depends on the other
        databases the sandbox holds, that is on what this worker did before, so the verdict would
        depend on the number of workers: the sandbox is marked, and the miss makes the worker process
        the item again (:mod:`codegen_data._deadlines`) after the session cache has emptied it
        (:meth:`~codegen_data.sql.runtime.SessionCache.get`). Out of memory again there, with only the
        item's own database, it is the item's verdict."""
        if self._sandbox is not None:
            self._sandbox.out_of_memory = True
            _deadlines.miss()

    def _statements(self, sql: str) -> list[Any]:
        """DuckDB's parse of ``sql``. Sessions of one sandbox share one connection's parser, so the
        last parse is kept there: the determinism check runs the gold query again on the shuffled copy."""
        sandbox = self._sandbox
        if sandbox is None:
            return self.con.extract_statements(sql)
        last = sandbox.last_parsed
        if last is not None and last[0] == sql:
            return last[1]
        statements = self.con.extract_statements(sql)
        sandbox.last_parsed = (sql, statements)
        return statements

    def run(self, sql: str, *, timeout: float | None = None, max_rows: int | None = None) -> QueryResult:
        limit = self.max_rows if max_rows is None else max_rows
        budget = self.timeout if timeout is None else timeout
        try:
            statements = self._statements(sql)
        except duckdb.Error as exc:
            return QueryResult("error", error=_error_text(exc))
        if len(statements) != 1:
            return QueryResult("refused", error=f"expected one statement, got {len(statements)}")
        kind = _statement_type(statements[0])
        if kind not in _READ_ONLY_STATEMENTS:
            return QueryResult("refused", error=f"only read-only queries run here, not {_refused_name(statements[0], kind)}")
        # A connection of its own may run SQL we did not write (a model's, a dataset's): that runs in a
        # transaction that is rolled back. A sandbox's schemas only ever run the generator's own
        # SELECTs, which change nothing: two statements fewer per query (a sixth of its time).
        transaction = None if self._sandbox is not None else self._transaction
        if transaction is not None:
            self.con.execute(transaction[0])
        token = _WATCHDOG.arm(self.con, budget)
        try:
            cursor = self.con.execute(statements[0])  # the parsed statement: DuckDB does not parse it again
            description = cursor.description or []
            raw = cursor.fetchmany(limit + 1)
        except duckdb.InterruptException:
            _deadlines.miss()
            return QueryResult("timeout", error=f"interrupted after {budget}s")
        except (duckdb.Error, OverflowError, ValueError) as exc:
            if isinstance(exc, duckdb.OutOfMemoryException):
                self.memory_ran_out()
            return QueryResult("error", error=_error_text(exc))
        finally:
            _WATCHDOG.disarm(token)
            if transaction is not None:
                try:
                    self.con.execute(transaction[1])
                except duckdb.Error:
                    pass
        if len(raw) > limit:
            return QueryResult("too_many_rows", error=f"more than {limit} rows")
        return QueryResult(
            "ok",
            columns=[d[0] for d in description],
            types=[str(d[1]) for d in description],
            rows=[[to_json_value(v) for v in row] for row in raw],
        )

    def close(self) -> None:
        self.con.close()
        if self._sandbox is not None:
            self._sandbox.drop(self._schema)


_SQLITE_DENIED = {
    sqlite3.SQLITE_ATTACH,
    sqlite3.SQLITE_DETACH,
    sqlite3.SQLITE_PRAGMA,
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_DROP_TABLE,
    sqlite3.SQLITE_CREATE_TABLE,
    sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_CREATE_INDEX,
    sqlite3.SQLITE_CREATE_TRIGGER,
    sqlite3.SQLITE_CREATE_VIEW,
    sqlite3.SQLITE_CREATE_TEMP_TABLE,
    sqlite3.SQLITE_CREATE_TEMP_VIEW,
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
    sqlite3.SQLITE_CREATE_TEMP_INDEX,
    sqlite3.SQLITE_CREATE_VTABLE,
    sqlite3.SQLITE_DROP_INDEX,
    sqlite3.SQLITE_DROP_VIEW,
    sqlite3.SQLITE_DROP_TRIGGER,
    sqlite3.SQLITE_DROP_VTABLE,
    sqlite3.SQLITE_TRANSACTION,
    sqlite3.SQLITE_SAVEPOINT,
}


class SQLiteSession:
    """The same database in an in-memory SQLite, locked read-only after loading."""

    def __init__(self, db: Database, *, timeout: float = 2.0, max_rows: int = 10_000, tables: Collection[str] | None = None):
        self.timeout = timeout
        self.max_rows = max_rows
        # Each statement runs once: a statement cache would only hold on to statements (and their text).
        self.con = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False, cached_statements=0)
        self._db = db
        self._loaded: set[str] = set()
        self._loading = False
        self.con.set_authorizer(self._authorize)
        self.load(tables)
        self._deadline = float("inf")
        self.con.set_progress_handler(self._past_deadline, 2_000)

    def load(self, tables: Collection[str] | None = None) -> None:
        """Load the database's ``tables`` (every table when None) that are not loaded yet; the
        authorizer lets writes through only while this runs."""
        missing = _missing(self._db, self._loaded, tables)
        if missing:
            self._loading = True
            try:
                load_sqlite(self.con, self._db, missing)
            finally:
                self._loading = False
            self._loaded.update(missing)

    def _past_deadline(self) -> int:
        return 1 if time.monotonic() > self._deadline else 0

    def _authorize(self, action: int, *_args: Any) -> int:
        return sqlite3.SQLITE_DENY if action in _SQLITE_DENIED and not self._loading else sqlite3.SQLITE_OK

    def run(self, sql: str, *, timeout: float | None = None, max_rows: int | None = None) -> QueryResult:
        limit = self.max_rows if max_rows is None else max_rows
        budget = self.timeout if timeout is None else timeout
        self._deadline = time.monotonic() + budget
        try:
            cursor = self.con.execute(sql)
            description = cursor.description or []
            raw = cursor.fetchmany(limit + 1)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                _deadlines.miss()
                return QueryResult("timeout", error=f"interrupted after {budget}s")
            return QueryResult("error", error=_error_text(exc))
        except (sqlite3.Error, OverflowError, ValueError) as exc:
            # sqlite3.Warning ("You can only execute one statement at a time") is not an Error subclass.
            return QueryResult("error", error=_error_text(exc))
        except sqlite3.Warning as exc:
            return QueryResult("refused", error=_error_text(exc))
        finally:
            self._deadline = float("inf")
        if len(raw) > limit:
            return QueryResult("too_many_rows", error=f"more than {limit} rows")
        return QueryResult(
            "ok",
            columns=[d[0] for d in description],
            types=[],
            rows=[[to_json_value(v) for v in row] for row in raw],
        )

    def close(self) -> None:
        self.con.close()
