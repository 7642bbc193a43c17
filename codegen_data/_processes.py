"""Helper processes of ours (generation, audit and SQL workers): how they start and how they talk.

They run ``python -s -m MODULE``: "-I style" isolation, but -I implies -E, which would ignore
PYTHONHASHSEED; so no user site (-s), no PYTHON* variable but a fixed hash seed, and a neutral
working directory (cwd is on sys.path with -m). Each gets its own session, so a Ctrl-C reaches only
the parent, which then stops them itself. They speak JSON lines over a private copy of fd 1. Their
C library's allocator keeps more freed blocks for reuse (:data:`MALLOC_TUNABLES`).
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

__all__ = ["start_helper", "helper_environment", "MALLOC_TUNABLES", "protocol_stream", "HelperProcess", "cpu_slots", "pin", "close_all", "wait_exit"]

READ_BYTES = 1 << 16
"""Bytes asked of a pipe per read (here and by the sandbox client): os.read allocates what it asks
for first, and asking 1 MiB cost ~20 us a read against ~2 us (a long line takes more reads)."""


def cpu_slots(n: int) -> list[int | None]:
    """The CPU each of ``n`` helpers is pinned to, with ``CODEGEN_DATA_PIN=1`` set: one CPU each, from
    those this process may use, when there are at least ``n`` of them; else None each (the scheduler
    places them).

    A helper drives a sandbox that forks a child per program: pinned, the helper, its server and
    their children stay on one CPU, so the page-table work of every fork and copy-on-write fault
    needs no cross-CPU TLB shootdown (a VM exit each on virtual machines). Off by default: on a
    shared machine, two runs would pin their first workers to the same CPU."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return [None] * n
    if os.environ.get("CODEGEN_DATA_PIN") != "1" or not 0 < n <= len(allowed):
        return [None] * n
    return allowed[:n]


def pin(pid: int, cpu: int | None) -> None:
    """Keep process ``pid`` (and the processes it starts later) on ``cpu``; None leaves it free."""
    if cpu is None:
        return
    try:
        os.sched_setaffinity(pid, {cpu})
    except (AttributeError, OSError):
        pass  # gone already, or not allowed here: it runs unpinned


MALLOC_TUNABLES = {"glibc.malloc.tcache_count": "100"}
"""glibc allocator settings of every helper (through ``GLIBC_TUNABLES``; another C library ignores
it). DuckDB allocates and frees many small blocks for each statement it plans. glibc keeps only 7
freed blocks of each size in a thread's cache by default, and takes the rest through its slower
bins; keeping up to 100 cut a SQL generation worker's CPU by about 7% (``text_to_sql``, measured side
by side on one machine, each run on a core of its own). 1,000 was no faster, and the blocks it kept
made a program worker grow from 29 to 44 MB over 10,000 items (100: 32 MB; the cache holds at most
about 3 MB more per thread)."""


def helper_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """A helper's environment: ours without PYTHON* variables, a fixed hash seed, and
    :data:`MALLOC_TUNABLES` added to ``GLIBC_TUNABLES`` where the user's value does not set them."""
    env = {k: v for k, v in environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    tunables = [part for part in env.get("GLIBC_TUNABLES", "").split(":") if part]
    named = {part.partition("=")[0] for part in tunables}
    tunables += [f"{name}={value}" for name, value in MALLOC_TUNABLES.items() if name not in named]
    env["GLIBC_TUNABLES"] = ":".join(tunables)
    return env


def start_helper(module: str, *args: str) -> subprocess.Popen:
    env = helper_environment(os.environ)
    return subprocess.Popen(
        [sys.executable, "-s", "-m", module, *args],
        cwd="/",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        env=env,
        start_new_session=True,
        bufsize=0,
    )


def protocol_stream() -> TextIO:
    """In a helper: no core dumps (a helper may crash on a hostile input), and the stream for
    protocol lines; from now on anything printed goes to stderr."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


class HelperProcess:
    """The parent's handle on one helper: send JSON lines, stop it politely, or kill its group."""

    close_timeout = 10.0  # seconds a helper may take to exit after {"op": "exit"}

    def __init__(self, module: str, *args: str, cpu: int | None = None):
        self.proc = start_helper(module, *args)
        pin(self.proc.pid, cpu)  # before it has imported enough to start processes of its own
        self.buffer = bytearray()  # bytes read from the helper that do not make a whole line yet

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass"))
        self.proc.stdin.flush()

    def read_messages(self) -> list[dict[str, Any]] | None:
        """The whole messages the helper has sent since the last call (``ready`` left out), read
        once its stdout is readable; None when it has closed its stdout (it died or exited)."""
        data = os.read(self.proc.stdout.fileno(), READ_BYTES)  # type: ignore[union-attr]
        if not data:
            return None
        self.buffer += data
        if b"\n" not in data:
            return []
        *lines, rest = self.buffer.split(b"\n")
        self.buffer = bytearray(rest)
        messages = [json.loads(line) for line in lines]
        return [m for m in messages if m.get("op") != "ready"]

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def close(self) -> None:
        close_all([self])

    def request_exit(self, *, interrupt: bool = False) -> bool:
        """Ask it to exit: ``{"op": "exit"}`` (it exits when it reads it), or with ``interrupt`` a
        SIGTERM (a generation worker then stops after the item at hand); then end of input. False if
        it could not be asked."""
        try:
            if interrupt:
                os.kill(self.proc.pid, signal.SIGTERM)
            else:
                self.send({"op": "exit"})
            self.proc.stdin.close()  # type: ignore[union-attr]
        except (OSError, ValueError):
            return False
        return True


def close_all(helpers: list[HelperProcess], *, interrupt: tuple[HelperProcess, ...] = ()) -> None:
    """Ask every helper to exit first (those in ``interrupt`` by SIGTERM), so they exit side by side,
    then wait for each (up to its ``close_timeout``) and kill the ones that did not."""
    asked = [(helper, helper.request_exit(interrupt=helper in interrupt)) for helper in helpers]
    start = time.monotonic()
    for helper, ok in asked:
        if not ok or not wait_exit(helper.proc, helper.close_timeout - (time.monotonic() - start)):
            helper.kill()
            continue
        try:
            helper.proc.stdout.close()  # type: ignore[union-attr]
        except OSError:
            pass


def wait_exit(proc: subprocess.Popen, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``proc`` to exit (and reap it); whether it did. With a pidfd the
    exit is seen at once; ``Popen.wait(timeout)`` polls with sleeps that grow to 50 ms."""
    if proc.poll() is not None:
        return True
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(proc.pid)
        except OSError:
            pass  # not supported here, or already reaped
        else:
            try:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                poller.poll(max(0.0, seconds) * 1000)
            finally:
                os.close(fd)
            return proc.poll() is not None
    try:
        proc.wait(timeout=max(0.0, seconds))
    except subprocess.TimeoutExpired:
        return False
    return True
