"""Untrusted SQL, run for the parent in a separate process: ``python -s -m codegen_data.sql.remote``.

Scoring a model's SQL (``codegen_data.score``, the evaluator) must not run it in our own process, so
:class:`SqlRunner` keeps one child that holds the hardened sessions (:mod:`codegen_data.sql.executor`)
and answers JSON lines::

    -> {"database": {"domain": ..., "instance": ..., "seed": ..., "min_rows": ..., "max_rows": ..., "null_rate": ...},
        "engine": "duckdb" | "sqlite", "sql": "SELECT ..."}
    <- {"status": "ok", "columns": [...], "types": [...], "rows": [...], "error": null}

A child that dies or misses the deadline is killed and replaced; the query counts as ``timeout``. A
result whose reply would pass :data:`MAX_RESULT_BYTES` is not sent: the reply is the status
``too_large`` instead (like ``too_many_rows``, a failed query), so one query costs about its timeout
however much it selects.
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

from .._processes import READ_BYTES, protocol_stream, start_helper
from .executor import QueryResult

__all__ = ["SqlRunner", "MAX_RESULT_BYTES"]

MAX_RESULT_BYTES = 16 << 20
"""The largest reply (a result, as JSON) the SQL process sends: 16 MiB, far above any gold result
(generated results hold at most ``max_result_rows`` rows of short values). A 90 MB result (9,000
strings of 10,000 bytes) held a scoring process for a minute; refused, it costs well under a second."""


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
    def _read_line(proc: subprocess.Popen, *, deadline: float, limit: int = MAX_RESULT_BYTES + 4096) -> bytes | None:
        """The next line from ``proc`` (without its newline), read in linear time; None when it ends,
        misses ``deadline`` or sends more than ``limit`` bytes without a newline (its own cap, with
        room for the reply's other fields, is :data:`MAX_RESULT_BYTES`: it misbehaves)."""
        buffer = bytearray()
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    return None
                chunk = os.read(proc.stdout.fileno(), READ_BYTES)  # type: ignore[union-attr]
                if not chunk:
                    return None
                end = chunk.find(b"\n")  # only the new bytes are searched: the buffer holds none
                if end >= 0:
                    buffer += chunk[:end]
                    return bytes(buffer)
                buffer += chunk
                if len(buffer) > limit:
                    return None

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
            reply = _reply(session.run(request["sql"]))
        except Exception as exc:  # a bad database spec, or a result too large to encode: reported, not fatal
            reply = _reply(QueryResult("error", error=f"{type(exc).__name__}: {exc}"[:300]))
        protocol.write(reply + "\n")
        protocol.flush()


def _reply(result: QueryResult) -> str:
    """``result`` as the reply line, or a ``too_large`` one when it passes :data:`MAX_RESULT_BYTES`
    (known from the values' lengths before anything is encoded, when they are strings)."""
    too_large = {"status": "too_large", "columns": result.columns, "types": result.types, "rows": [],
                 "error": f"the result is larger than {MAX_RESULT_BYTES} bytes"}
    if _rough_size(result.rows) > MAX_RESULT_BYTES:
        return json.dumps(too_large)
    reply = json.dumps({"status": result.status, "columns": result.columns, "types": result.types,
                        "rows": result.rows, "error": result.error})
    return json.dumps(too_large) if len(reply) > MAX_RESULT_BYTES else reply


def _rough_size(rows: list[list[Any]]) -> int:
    """At most the length of ``rows`` as JSON, counting only the strings it holds at the first level;
    stops counting once past the cap."""
    size = 0
    for row in rows:
        for value in row:
            if isinstance(value, str):
                size += len(value)
        if size > MAX_RESULT_BYTES:
            break
    return size


if __name__ == "__main__":
    _serve()
