"""An audit worker: ``python -s -m codegen_data.audit_worker``, re-running a dataset's references.

SQL and programs read from a dataset's files are untrusted, so they run here and never in the
process that audits (:mod:`codegen_data.audit`). That process starts these workers with a clean
environment, sends batches of runs as JSON lines, reads back what each run did, and decides every
verdict itself; it kills a worker that dies or misses its deadline::

    -> {"op": "init", "timeout": 10.0, "memory_limit_mb": 512, "max_rows": 10000}
    <- {"op": "ready"}
    -> {"op": "batch", "db": "/abs/DIR/databases/x.sql", "items": [{"k": 3, "runs": [
           {"engine": "duckdb", "sql": "SELECT ..."},
           {"engine": "sqlite", "sql": "SELECT ..."},             # on the SQLite copy of the data
           {"engine": "sqlite_translation", "sql": "SELECT ..."}, # a DuckDB query, translated by us
           {"engine": "python", "code": "def f...", "entry": "f", "inputs": ["1, 2"]}]}]}
    <- {"k": 3, "runs": [{"status": "ok", "columns": [...], "rows": [...]}, ...,
                         {"status": "ok", "calls": [["ok", "3", null]]}]}
    <- {"op": "done"}

A database is rebuilt from its ``databases/<db_id>.sql`` script inside a hardened DuckDB
(:func:`codegen_data.sql.executor.hardened_duckdb`): only CREATE and INSERT statements are accepted,
under a deadline. Its SQLite copy is read back from that DuckDB and loaded with the same
conversions as generation (:func:`codegen_data.sql.scripts.load_sqlite`). Programs run in the
program sandbox, which is a confined process of its own.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import OrderedDict
from typing import Any, TextIO

import duckdb

from .sql.executor import DuckDBSession, SQLiteSession, hardened_duckdb
from .sql.schema import Column, Database, Schema, Table

_SCRIPT_STATEMENTS = {"CREATE", "INSERT"}
"""Statement kinds a ``databases/*.sql`` script may hold; anything else refuses the whole script."""

_CACHED_DATABASES = 2


class ScriptLoadError(Exception):
    """A database script that cannot be (or may not be) executed."""


def load_script(con: duckdb.DuckDBPyConnection, script: str, *, timeout: float) -> None:
    """Execute a database script statement by statement: CREATE and INSERT only, within ``timeout``."""
    try:
        statements = con.extract_statements(script)
    except duckdb.Error as exc:
        raise ScriptLoadError(f"cannot parse the script: {_first_line(exc)}") from None
    for statement in statements:
        if statement.type.name not in _SCRIPT_STATEMENTS:
            raise ScriptLoadError(f"the script holds a {statement.type.name} statement (only CREATE and INSERT)")
    timer = threading.Timer(timeout, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        for statement in statements:
            con.execute(statement)
    except duckdb.InterruptException:
        raise ScriptLoadError(f"the script ran past {timeout}s") from None
    except (duckdb.Error, OverflowError, ValueError) as exc:
        raise ScriptLoadError(f"the script failed: {_first_line(exc)}") from None
    finally:
        timer.cancel()


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:300]


class ScriptSession(DuckDBSession):
    """A :class:`DuckDBSession` whose database comes from a script instead of a :class:`Database`.

    Only the constructor differs: the same hardened connection, then :func:`load_script`; queries
    run through the inherited ``run`` (one read-only statement, deadline, rolled back).
    """

    def __init__(self, script: str, *, memory_limit_mb: int, timeout: float, max_rows: int, load_timeout: float):
        self.timeout = timeout
        self.max_rows = max_rows
        self.con = hardened_duckdb(memory_limit_mb=memory_limit_mb)
        try:
            load_script(self.con, script, timeout=load_timeout)
        except BaseException:
            self.con.close()
            raise

    def database(self, db_id: str) -> Database:
        """The loaded tables as a :class:`Database` (rows in insertion order, Python-typed values)."""
        tables = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY table_oid"
        ).fetchall()
        keys = {
            (t, cols[0])
            for t, kind, cols in self.con.execute(
                "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
                "WHERE database_name = current_database() AND schema_name = 'main'"
            ).fetchall()
            if kind == "PRIMARY KEY" and len(cols) == 1
        }
        built, rows = [], {}
        for (name,) in tables:
            columns = self.con.execute(
                "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = "
                "current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
                [name],
            ).fetchall()
            built.append(Table(name, name, name, tuple(
                Column(c, type_name, c, "key", nullable=bool(nullable), primary_key=(name, c) in keys)
                for c, type_name, nullable in columns
            )))
            relation = self.con.table(name)  # a relation, so no name is spliced into SQL text
            rows[name] = tuple(tuple(row) for row in relation.fetchall())
        return Database(db_id, Schema("audit", tuple(built)), rows)


class _LoadedDatabase:
    def __init__(self, path: str, settings: dict[str, Any]):
        self.path = path
        self.settings = settings
        self.error: str | None = None
        self.duckdb: ScriptSession | None = None
        self._sqlite: SQLiteSession | None = None
        self._sqlite_error: str | None = None
        try:
            with open(path, encoding="utf-8") as f:
                script = f.read()
            self.duckdb = ScriptSession(
                script,
                memory_limit_mb=settings["memory_limit_mb"],
                timeout=settings["timeout"],
                max_rows=settings["max_rows"],
                load_timeout=settings["load_timeout"],
            )
        except (OSError, UnicodeDecodeError) as exc:
            self.error = f"cannot read {os.path.basename(path)}: {exc}"
        except ScriptLoadError as exc:
            self.error = str(exc)
        except duckdb.Error as exc:
            self.error = _first_line(exc)

    def sqlite(self) -> SQLiteSession | None:
        if self._sqlite is None and self._sqlite_error is None and self.duckdb is not None:
            try:
                db = self.duckdb.database(os.path.basename(self.path))
                self._sqlite = SQLiteSession(db, timeout=self.settings["timeout"], max_rows=self.settings["max_rows"])
            except Exception as exc:  # noqa: BLE001  # a script with types SQLite cannot hold: reported as data
                self._sqlite_error = f"cannot build the SQLite copy: {_first_line(exc)}"
        return self._sqlite

    def close(self) -> None:
        for session in (self.duckdb, self._sqlite):
            if session is not None:
                session.close()


class AuditWorker:
    """Runs batches; holds the last few databases and one program sandbox."""

    def __init__(self, settings: dict[str, Any]):
        self.settings = settings
        self.databases: OrderedDict[str, _LoadedDatabase] = OrderedDict()
        self._sandbox = None

    def database(self, path: str) -> _LoadedDatabase:
        if path in self.databases:
            self.databases.move_to_end(path)
            return self.databases[path]
        while len(self.databases) >= _CACHED_DATABASES:
            self.databases.popitem(last=False)[1].close()
        loaded = self.databases[path] = _LoadedDatabase(path, self.settings)
        return loaded

    @property
    def sandbox(self):
        if self._sandbox is None:
            from .sandbox import Sandbox

            self._sandbox = Sandbox(
                hash_seed=0,
                timeout=self.settings["timeout"],
                memory_mb=self.settings["program_memory_mb"],
                output_limit=self.settings["output_limit"],
            )
        return self._sandbox

    def run(self, spec: dict[str, Any], db_path: str | None) -> dict[str, Any]:
        engine = spec.get("engine")
        if engine == "python":
            return self._run_program(spec)
        if engine not in ("duckdb", "sqlite", "sqlite_translation"):
            return {"status": "refused", "error": f"unknown engine {engine!r}"}
        if db_path is None:
            return {"status": "db_error", "error": "no database"}
        db = self.database(db_path)
        if db.duckdb is None:
            return {"status": "db_error", "error": db.error}
        sql = spec["sql"]
        if engine == "duckdb":
            return _query(db.duckdb, sql)
        session = db.sqlite()
        if session is None:
            return {"status": "db_error", "error": db._sqlite_error}
        translated = None
        if engine == "sqlite_translation":
            translated = _translate(sql)
            if translated.startswith("error: "):
                return {"status": "error", "error": translated}
            sql = translated
        out = _query(session, sql)
        if translated is not None:
            out["sql"] = translated
        return out

    def _run_program(self, spec: dict[str, Any]) -> dict[str, Any]:
        result = self.sandbox.run(spec["code"], spec["entry"], list(spec["inputs"]))
        calls = [[c.status, c.output, c.exception] for c in result.calls]
        return {"status": result.status, "error": result.error, "calls": calls}

    def close(self) -> None:
        for db in self.databases.values():
            db.close()
        if self._sandbox is not None:
            self._sandbox.close()


def _query(session, sql: str) -> dict[str, Any]:
    result = session.run(sql)
    out: dict[str, Any] = {"status": result.status, "columns": result.columns, "rows": result.rows}
    if result.error:
        out["error"] = result.error
    return out


def _translate(sql: str) -> str:
    """A DuckDB query as SQLite SQL, the way generation translated it (``"error: ..."`` if it cannot)."""
    import sqlglot

    from .sql.sqlite_dialect import to_sqlite

    try:
        return to_sqlite(sqlglot.parse_one(sql, read="duckdb"))
    except Exception as exc:  # noqa: BLE001  # sqlglot's errors are many; any of them means no translation
        return f"error: cannot translate: {_first_line(exc)}"


def _run_one(worker: AuditWorker, spec: dict[str, Any], db: str | None) -> dict[str, Any]:
    try:
        return worker.run(spec, db)
    except Exception as exc:  # noqa: BLE001  # a bug of ours: this run fails, the worker goes on
        return {"status": "internal_error", "error": _first_line(exc)}


def serve(stdin: TextIO, stdout: TextIO) -> None:
    worker: AuditWorker | None = None
    try:
        for line in stdin:
            message = json.loads(line)
            op = message["op"]
            if op == "init":
                worker = AuditWorker(message["settings"])
                stdout.write('{"op": "ready"}\n')
            elif op == "batch":
                assert worker is not None, "batch before init"
                for item in message["items"]:
                    runs = [_run_one(worker, spec, message.get("db")) for spec in item["runs"]]
                    stdout.write(json.dumps({"k": item["k"], "runs": runs}, ensure_ascii=False) + "\n")
                    stdout.flush()
                stdout.write('{"op": "done"}\n')
            elif op == "exit":
                return
            stdout.flush()
    finally:
        if worker is not None:
            worker.close()


def main() -> None:
    from ._processes import protocol_stream

    serve(sys.stdin, protocol_stream())


if __name__ == "__main__":
    main()
