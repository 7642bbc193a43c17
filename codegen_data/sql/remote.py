"""Untrusted SQL, run for the parent in a separate process: ``python -s -m codegen_data.sql.remote``.

Scoring a model's SQL (``codegen_data.score``, the evaluator) must not run it in our own process, so
:class:`SqlRunner` keeps one child that holds the hardened sessions (:mod:`codegen_data.sql.executor`)
and answers JSON lines::

    -> {"database": {"domain": ..., "instance": ..., "seed": ..., "min_rows": ..., "max_rows": ..., "null_rate": ...},
        "engine": "duckdb" | "sqlite", "sql": "SELECT ..."}
    <- {"status": "ok", "columns": [...], "types": [...], "rows": [...], "error": null}

A child that dies or misses the deadline is killed and replaced; the query counts as ``timeout``.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from typing import Any

from .._processes import protocol_stream, start_helper
from .executor import QueryResult

__all__ = ["SqlRunner"]


class SqlRunner:
    def __init__(self, *, timeout: float = 2.0, memory_limit_mb: int = 256, max_rows: int = 10_000):
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.max_rows = max_rows
        self._proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        args = json.dumps({"timeout": self.timeout, "memory_limit_mb": self.memory_limit_mb, "max_rows": self.max_rows})
        return start_helper("codegen_data.sql.remote", args)

    def run(self, database: dict[str, Any], sql: str, *, engine: str = "duckdb") -> QueryResult:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = self._start()
        proc = self._proc
        request = json.dumps({"database": database, "engine": engine, "sql": sql}) + "\n"
        try:
            proc.stdin.write(request.encode("utf-8"))  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            self.close()
            return QueryResult("error", error="SQL sandbox process died")
        line = self._read_line(proc, deadline=time.monotonic() + self.timeout + 30)
        if line is None:
            self.close()
            return QueryResult("timeout", error="SQL sandbox process did not answer")
        data = json.loads(line)
        return QueryResult(data["status"], data["columns"], data["types"], data["rows"], data["error"])

    @staticmethod
    def _read_line(proc: subprocess.Popen, *, deadline: float) -> bytes | None:
        buffer = b""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            while b"\n" not in buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    return None
                chunk = os.read(proc.stdout.fileno(), 1 << 16)  # type: ignore[union-attr]
                if not chunk:
                    return None
                buffer += chunk
        return buffer.split(b"\n", 1)[0]

    def close(self) -> None:
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._proc.wait()
            self._proc = None

    def __enter__(self) -> "SqlRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _limit_address_space(headroom_mb: int) -> None:
    """Cap this process's address space at what it maps now plus ``headroom_mb``: DuckDB's
    memory_limit does not cover every allocation (strings built by ``repeat()``), so without a cap one
    query could take the machine's memory. An allocation past the cap fails inside DuckDB as an
    out-of-memory error, and the process keeps serving."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as f:
            mapped_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return  # no /proc: leave the limit to the machine
    limit = (mapped_kb << 10) + (headroom_mb << 20)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _serve() -> None:
    from .runtime import DatabaseSpec, SessionCache

    options = json.loads(sys.argv[1])
    protocol = protocol_stream()
    cache = SessionCache(timeout=options["timeout"], memory_limit_mb=options["memory_limit_mb"], max_rows=options["max_rows"],
                         size=16, shared=False)
    _limit_address_space(max(2048, 8 * options["memory_limit_mb"]))  # sessions map much more than they use
    for line in sys.stdin:
        request = json.loads(line)
        try:
            sessions = cache.get(DatabaseSpec(**request["database"]))
            session = sessions.sqlite if request["engine"] == "sqlite" else sessions.duckdb
            result = session.run(request["sql"])
        except Exception as exc:  # a bad database spec: reported, not fatal
            result = QueryResult("error", error=f"{type(exc).__name__}: {exc}"[:300])
        protocol.write(json.dumps({"status": result.status, "columns": result.columns, "types": result.types,
                                   "rows": result.rows, "error": result.error}) + "\n")
        protocol.flush()


if __name__ == "__main__":
    _serve()
