"""The parent side of the program sandbox: start the fork server, send it programs, read verdicts.

The server (``_forkserver.py``) is ``python3 -s -S -B`` with a three-variable environment, so nothing
of this process (its modules, its environment, its secrets) reaches a program. This side only encodes
requests and decodes the server's JSON lines into :class:`ProgramResult` values, never raises for a
failing program, and replaces a server that died or stopped answering. :meth:`Sandbox.run_batch` and
:func:`run_batches` run trusted (generated) programs several to a child, with the same results.
"""

from __future__ import annotations

import binascii
import functools
import json
import marshal
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
import types
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _deadlines
from .._processes import READ_BYTES
from ._forkserver import call_code, remove_tree

__all__ = ["CallResult", "ProgramResult", "Sandbox", "run_batches", "sandbox_layers"]

SERVER_SCRIPT = Path(__file__).with_name("_forkserver.py")
# The server is imported from its directory, not run as a script: a script is compiled from source at
# every start, a module comes from its cached bytecode (-B only keeps it from writing any): 6 ms less
# CPU per server here. Its main() then drops that directory from sys.path.
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); import _forkserver; _forkserver.main()"
STATUSES = ("ok", "error", "timeout", "killed", "output_limit")
_MISSED = ("timeout", "killed")
"""Statuses counted as a missed deadline (:mod:`codegen_data._deadlines`): the deadline, or a signal;
either may be the machine's doing, not the program's."""
OPTIONAL_LAYERS = ("namespaces", "uid_drop", "landlock", "seccomp")
"""Layers ``disable_layers`` can turn off (to diagnose a program that fails only when confined)."""
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", re.ASCII)
_GRACE = 5.0  # seconds the server may take beyond a program's deadline (kill, reap, clean up)
_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class CallResult:
    """One call of the entry point, e.g. ``CallResult("ok", "[1, 2]", None, "")``.

    ``status`` is ``ok`` (``output`` is ``repr`` of the return value), ``error`` (``exception`` is
    the exception's type name, e.g. ``"ZeroDivisionError"``), ``timeout``, ``killed`` or
    ``output_limit``. A call the program did not finish carries the program's status.
    """

    status: str
    output: str | None = None
    exception: str | None = None
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class ProgramResult:
    """A program: ``status`` is ``ok`` when it loaded and every call ran (each call has its own status).

    ``error`` when the code failed to load (``"SyntaxError: ..."``), or the program timed out, was
    killed, overflowed its output or exited before finishing; ``calls`` has one entry per input, always;
    ``stdout`` is what the code printed while loading.
    """

    status: str
    calls: tuple[CallResult, ...]
    error: str | None = None
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok" and all(call.ok for call in self.calls)

    @property
    def missed_deadline(self) -> bool:
        """It, or one of its calls, ran out of time or was killed: maybe the machine's doing (a stall),
        not the program's."""
        return self.status in _MISSED or any(call.status == "timeout" for call in self.calls)


class Sandbox:
    """Runs untrusted Python programs in confined forks of a pre-warmed server.

    >>> with Sandbox(timeout=2.0) as sandbox:
    ...     result = sandbox.run("def f(a, b): return a // b", "f", ["7, 2", "1, 0"])
    >>> result.status, [(call.status, call.output or call.exception) for call in result.calls]
    ('ok', [('ok', '3'), ('error', 'ZeroDivisionError')])

    ``timeout`` is the wall-clock deadline of a whole program (load and every call), enforced from
    outside; ``call_timeout``, when set, also bounds each call from inside, so one slow input times
    out alone. ``plain_outputs``: a call whose value is not builtin data all the way down (exact
    int, float, complex, str, bytes, bool, None, list, tuple, set, frozenset, dict) is an ``error``
    with exception ``NotPlainData``, so that no object's ``repr`` can pose as a literal (CRUXEval's
    answers must equal plain data). ``hash_seed`` is the programs' PYTHONHASHSEED (and seeds ``random``). ``output_limit``
    bounds the bytes a program prints in all and the length of each ``repr``. ``memory_mb`` caps the
    address space, ``file_size_mb`` each file written, ``disk_mb`` the private ``/tmp`` holding the
    work dir; ``max_processes`` is RLIMIT_NPROC of ``uid`` (threads count; new processes are refused
    anyway). Layers the machine lacks are skipped (see :func:`sandbox_layers`); ``disable_layers``
    skips some on purpose. ``cpu`` pins the server and its children to that CPU (the forks' page-table
    work then needs no cross-CPU TLB shootdowns); a CPU this process may not use is ignored. Calls from several threads are serialized.

    ``preload`` names the standard library modules the server imports before it forks, so that every
    child starts with them. The default, None, is ``_forkserver.COMMON``, the modules programs under
    evaluation import most (typing, collections, itertools, re, math, ...); ``preload=()`` imports none
    (generated programs import nothing). A child imports any other standard library module on demand,
    as ``uid``: where that uid cannot reach the standard library by its path (one under /root), the
    server opens its directories for the child, which reaches them as ``/proc/self/fd/N``. Every module
    preloaded costs each fork (more pages to copy and unmap) and each server start (the default: ~30
    ms of CPU; every module and codec: ~0.1 s); one imported on demand costs only the children that
    import it. Without a ``/proc`` to reach the standard library through, None preloads everything:
    ``_forkserver.PRELOAD`` and every text codec.

    What a program reports about itself (its outputs, on its own result pipe) is only as honest as the
    program: hostile code can forge that channel, but not the verdicts decided outside it (deadline,
    signals, output size, exiting early). So judge an untrusted answer by comparing its ``output``
    strings here, in the parent: a forger can only report what it can compute.
    """

    def __init__(
        self,
        *,
        hash_seed: int = 0,
        timeout: float = 2.0,
        call_timeout: float | None = None,
        plain_outputs: bool = False,
        memory_mb: int = 512,
        output_limit: int = 64_000,
        max_processes: int = 1,
        file_size_mb: int = 1,
        disk_mb: int = 64,
        uid: int = 65534,
        gid: int = 65534,
        disable_layers: tuple[str, ...] = (),
        python: str | None = None,
        cpu: int | None = None,
        preload: tuple[str, ...] | None = None,
    ):
        _check_int("hash_seed", hash_seed, 0, 2**32 - 1)
        _check_seconds("timeout", timeout)
        if call_timeout is not None:
            _check_seconds("call_timeout", call_timeout)
        _check_int("memory_mb", memory_mb, 32, 1 << 20)
        _check_int("output_limit", output_limit, 1, 1 << 30)
        _check_int("max_processes", max_processes, 1, 1 << 20)
        _check_int("file_size_mb", file_size_mb, 0, 1 << 20)
        _check_int("disk_mb", disk_mb, 1, 1 << 20)
        _check_int("uid", uid, 1, 2**32 - 2)
        _check_int("gid", gid, 1, 2**32 - 2)
        unknown = set(disable_layers) - set(OPTIONAL_LAYERS)
        if cpu is not None:
            _check_int("cpu", cpu, 0, 1 << 16)
        if isinstance(disable_layers, str) or unknown:
            raise ValueError(f"disable_layers must be a tuple of {OPTIONAL_LAYERS}, got {disable_layers!r}")
        if preload is not None and (isinstance(preload, str) or not all(
                isinstance(name, str) and _MODULE_NAME.fullmatch(name) for name in preload)):
            raise ValueError(f"preload must be None or a tuple of module names, got {preload!r}")
        self.timeout = float(timeout)
        self.python = python or sys.executable
        self.config = {
            "hash_seed": hash_seed, "call_timeout": call_timeout, "plain_outputs": bool(plain_outputs), "memory_mb": memory_mb,
            "output_limit": output_limit, "max_processes": max_processes, "file_size_mb": file_size_mb,
            "disk_mb": disk_mb, "uid": uid, "gid": gid, "disable": sorted(disable_layers), "cpu": cpu,
            "preload": None if preload is None else list(preload),
        }
        self._server: _ServerProcess | None = None
        self._lock = threading.Lock()

    # -- running programs

    def run(self, code: str, entry_point: str, inputs: list[str], *, timeout: float | None = None) -> ProgramResult:
        """Load ``code``, then call ``entry_point(<input>)`` for each input (Python source of the arguments)."""
        code, entry_point, inputs = _checked(code, entry_point, inputs)
        seconds = self._deadline(timeout)
        request = {"op": "run", "mode": "call", "code": code, "entry": entry_point, "inputs": inputs, "timeout": seconds}
        reply = self._request(request, seconds)
        if reply is None:
            return ProgramResult("killed", (CallResult("killed"),) * len(inputs), "the sandbox server died")
        return _program_result(reply, len(inputs))

    def run_many(self, programs: list[tuple[str, str, list[str]]], *, timeout: float | None = None) -> list[ProgramResult]:
        """:meth:`run` for each ``(code, entry_point, inputs)``, in order: the same results, each program
        in a child of its own (for untrusted code, as :meth:`run`), but sent to the server at once and
        answered as each child ends, with no round trip between programs. Should the server die or
        hang, the programs it did not answer run again one at a time."""
        checked = [_checked(code, entry_point, inputs) for code, entry_point, inputs in programs]
        seconds = self._deadline(timeout)
        results: list[ProgramResult] = []
        if checked:
            with self._lock:
                server = self._submit({"op": "runs", "programs": [
                    {"mode": "call", "code": code, "entry": entry, "inputs": inputs, "timeout": seconds}
                    for code, entry, inputs in checked]})
                for _, _, inputs in checked:
                    reply = self._reply(server, seconds)
                    if reply is None:
                        break
                    results.append(_program_result(reply, len(inputs)))
        for code, entry_point, inputs in checked[len(results):]:
            results.append(self.run(code, entry_point, inputs, timeout=seconds))
        return results

    def run_batch(self, programs: list[tuple[str, str, list[str]]], *, timeout: float | None = None) -> list[ProgramResult]:
        """:meth:`run` for each ``(code, entry_point, inputs)``, the same results, in one confined child.

        For trusted programs only (generated ones): programs of a batch share a process, so one
        could read or forge another's results. Each gets a fresh module, the hash seed's ``random``
        state, an empty output budget and its own deadline (``timeout`` each, as :meth:`run`); a
        program that ends the child (deadline, signal, output limit, exit) or leaves something
        behind for the next (files, builtins, threads, ...) is run again alone, and so is one that
        ran out of memory, so that no program's verdict depends on the others. Untrusted code
        (predictions under evaluation) goes through :meth:`run`, one child each.
        """
        return run_batches([(self, programs)], timeout=timeout)[0]

    def run_snippet(self, code: str, *, timeout: float | None = None) -> CallResult:
        """Run ``code`` as a script (``__name__ == "__main__"``), e.g. ``"from m import f; assert f(1) == 2"``.

        ``ok`` when it ran to the end, ``error`` with the exception's type name when it raised (an
        ``AssertionError`` included). Untrusted code can forge its own success on this channel; to
        judge an untrusted answer, prefer :meth:`run` and compare outputs here, in the parent.
        """
        if not isinstance(code, str):
            raise TypeError("code must be a str")
        seconds = self._deadline(timeout)
        reply = self._request({"op": "run", "mode": "snippet", "code": code, "timeout": seconds}, seconds)
        if reply is None:
            return CallResult("killed")
        status = _status(reply["status"])
        if status in _MISSED:
            _deadlines.miss()
        return CallResult(status, None, reply.get("exception") if status == "error" else None, reply.get("stdout") or "")

    def layers(self) -> dict[str, bool | str]:
        """Each protection layer: True when a confined child finds it in force, else why not."""
        reply = self._request({"op": "probe"}, 10.0)
        if reply is None:
            return {"sandbox": "the sandbox server died during the probe"}
        return dict(reply["layers"])

    # -- the server

    def _deadline(self, timeout: float | None) -> float:
        if timeout is None:
            return self.timeout
        _check_seconds("timeout", timeout)
        return float(timeout)

    def _request(self, request: dict[str, Any], seconds: float) -> dict[str, Any] | None:
        with self._lock:
            reply = self._reply(self._submit(request), seconds)
        if reply is None:
            _deadlines.miss()  # the server died or stopped answering: maybe the machine's doing
        return reply

    def _submit(self, request: dict[str, Any]) -> _ServerProcess:
        """Send ``request`` to a live server (the lock held); the server that will answer."""
        line = json.dumps(request, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n"
        for attempt in (0, 1):
            server = self._alive_server()
            try:
                server.send(line)
                return server
            except OSError:  # it died while idle: start another and send again, once
                self._drop_server()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _reply(self, server: _ServerProcess, seconds: float) -> dict[str, Any] | None:
        """The server's answer (the lock held), or None when it died or missed ``seconds``; then it is replaced."""
        reply = server.receive(seconds + _GRACE)
        if reply is None and self._server is server:
            self._drop_server()
        return reply

    def _alive_server(self) -> _ServerProcess:
        server = self._server
        if server is None or not server.alive():
            self._drop_server()
            server = self._server = _ServerProcess(self.python, self.config)
        return server

    def _drop_server(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def close(self) -> None:
        """Stop the server; a later run starts a new one."""
        with self._lock:
            self._drop_server()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _ServerProcess:
    """One running fork server and the pipes to it."""

    def __init__(self, python: str, config: dict[str, Any]):
        # Not -I: it implies -E, which ignores PYTHONHASHSEED too. The environment is all ours, so
        # -s -S (no site, no user site) isolate as well; the server drops its own dir from sys.path.
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": str(config["hash_seed"])}
        self.owner = os.getpid()  # a forked copy of this process must not touch our server
        self.proc = subprocess.Popen(
            [python, "-s", "-S", "-B", "-c", _BOOT, str(SERVER_SCRIPT.parent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd="/",
            start_new_session=True,  # Ctrl-C reaches us, not the server; we stop it ourselves
            bufsize=0,
        )
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
        self.buffer = bytearray()  # read, not yet a whole line
        self.cleanup: list[str] = []  # a host directory to remove when the server had no mount namespace
        self._finalizer = weakref.finalize(self, _stop, self.proc, self.selector, self.owner, self.cleanup)
        self.send(json.dumps(config).encode() + b"\n")
        # Its "ready" is read before its first answer, not here: several servers start side by side.
        self.command = f"{python} -s -S -B -c '{_BOOT}' {SERVER_SCRIPT.parent}"
        self.setup: dict[str, Any] | None = None

    def _await_ready(self) -> None:
        ready = self._line(_START_TIMEOUT)
        if ready is None or ready.get("k") != "ready":
            self.stop()
            raise RuntimeError(f"the sandbox server did not start ({self.command})")
        if ready.get("cleanup"):
            self.cleanup.append(ready["cleanup"])
        self.setup = ready.get("setup", {})

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None

    def send(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line)

    def receive(self, seconds: float) -> dict[str, Any] | None:
        """The next answer from the server, or None when it dies or says nothing for ``seconds``."""
        if self.setup is None:
            self._await_ready()
        return self._line(seconds)

    def _line(self, seconds: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + seconds
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        cut = self.buffer.find(b"\n")
        while cut < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.selector.select(timeout=remaining):
                return None
            data = os.read(fd, READ_BYTES)
            if not data:
                return None
            seen = len(self.buffer)
            self.buffer += data
            cut = self.buffer.find(b"\n", seen)
        line = self.buffer[:cut]
        del self.buffer[: cut + 1]
        return json.loads(line)

    def stop(self) -> None:
        self._finalizer()


def _stop(proc: subprocess.Popen, selector: selectors.BaseSelector, owner: int, cleanup: list[str]) -> None:
    if owner != os.getpid():
        return
    selector.close()
    try:
        proc.stdin.close()  # type: ignore[union-attr]  # the server exits at end of input
        proc.wait(timeout=1.0)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
    proc.stdout.close()  # type: ignore[union-attr]
    for path in cleanup:
        remove_tree(path)  # as deep as a program nested it


class _Batch:
    """One sandbox's share of :func:`run_batches`: what is left to run, and the results so far."""

    def __init__(self, sandbox: Sandbox, programs: list[tuple[str, str, list[str]]], seconds: float):
        self.sandbox = sandbox
        self.programs = [_checked(code, entry_point, inputs) for code, entry_point, inputs in programs]
        self.seconds = seconds
        self.results: list[ProgramResult | None] = [None] * len(self.programs)
        self.next = 0  # the first program without a result
        self.server: _ServerProcess | None = None  # the server working on programs[next:]

    def submit(self) -> None:
        """Send the rest as one batch (the sandbox's lock held until :meth:`collect`)."""
        self.sandbox._lock.acquire()
        try:
            rest = self.programs[self.next:]
            ours = self.sandbox.python == sys.executable  # marshal's format is this Python's
            request = {"op": "batch", "programs": [
                {"code": code, "entry": entry, "inputs": inputs, "timeout": self.seconds,
                 **({"compiled": compiled} if ours and (compiled := _bytecode(code, entry, tuple(inputs))) else {})}
                for code, entry, inputs in rest]}
            self.server = self.sandbox._submit(request)
        except BaseException:
            self.sandbox._lock.release()
            raise

    def collect(self) -> None:
        """Take the finished programs' results; run the one that ended the batch alone (lock released)."""
        try:
            assert self.server is not None
            reply = self.sandbox._reply(self.server, self.seconds * (len(self.programs) - self.next))
        finally:
            self.server = None
            self.sandbox._lock.release()
        finished = reply["results"] if reply is not None else []
        if len(finished) > len(self.programs) - self.next:
            raise RuntimeError(f"sandbox server answered {len(finished)} programs for {len(self.programs) - self.next}")
        for data in finished:
            result = _program_result(data, len(self.programs[self.next][2]))
            if _memory_error(result):  # the memory the programs before it left may have been the cause
                result = self._alone(self.next)
            self.results[self.next] = result
            self.next += 1
        if self.next < len(self.programs):  # this one ended the batch: its own verdict, alone
            self.results[self.next] = self._alone(self.next)
            self.next += 1

    def _alone(self, index: int) -> ProgramResult:
        code, entry_point, inputs = self.programs[index]
        return self.sandbox.run(code, entry_point, inputs, timeout=self.seconds)

    @property
    def done(self) -> bool:
        return self.next >= len(self.programs)


def run_batches(batches: list[tuple[Sandbox, list[tuple[str, str, list[str]]]]], *,
                timeout: float | None = None) -> list[list[ProgramResult]]:
    """:meth:`Sandbox.run_batch` of each ``(sandbox, programs)``, the sandboxes working at the same time.

    For example the same programs under two hash seeds: ``run_batches([(seed0, programs), (seed1, programs)])``.
    Trusted programs only (see :meth:`Sandbox.run_batch`).
    """
    jobs = [_Batch(sandbox, programs, sandbox._deadline(timeout)) for sandbox, programs in batches]
    if len({id(job.sandbox) for job in jobs}) != len(jobs):
        raise ValueError("run_batches takes each sandbox once")
    while pending := [job for job in jobs if not job.done]:
        submitted: list[_Batch] = []
        try:
            for job in sorted(pending, key=lambda job: id(job.sandbox)):  # one lock order for every caller
                job.submit()
                submitted.append(job)
        finally:
            failures = []
            for job in submitted:  # each server's answer is read (or it is replaced), whatever happened
                try:
                    job.collect()
                except Exception as exc:
                    failures.append(exc)
            if failures:
                raise failures[0]
    return [list(job.results) for job in jobs]  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def _bytecode(code: str, entry_point: str, inputs: tuple[str, ...]) -> str | None:
    """A trusted program and its calls compiled as the child would compile them, for a batch child to
    load instead (marshal, base64); None to let the child compile them (a syntax error is the child's
    to report).

    Cached: a program that runs under two hash seeds is compiled once, not once in each child (its
    largest cost there). Not for code objects with a set among their constants: marshal writes a set
    in this process's hash order, which could change the order the child's set iterates in."""
    try:
        program = compile(code, "<program>", "exec", dont_inherit=True, optimize=0)  # as the child, whatever our -O
        calls = tuple(call_code(entry_point, source) for source in inputs)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    if _holds_a_set((program, *calls)):
        return None
    return binascii.b2a_base64(marshal.dumps((program, calls)), newline=False).decode("ascii")


def _holds_a_set(values: tuple) -> bool:
    """Whether a code object among ``values`` (or a tuple of them, nested) has a set constant."""
    return any(isinstance(k, frozenset) or isinstance(k, tuple) and _holds_a_set(k)
               or isinstance(k, types.CodeType) and _holds_a_set(k.co_consts) for k in values)


def _checked(code: Any, entry_point: Any, inputs: Any) -> tuple[str, str, list[str]]:
    if not isinstance(code, str):
        raise TypeError("code must be a str")
    if not isinstance(entry_point, str) or not entry_point.strip():
        raise ValueError("entry_point must be a non-empty str")
    inputs = list(inputs)
    if not all(isinstance(source, str) for source in inputs):
        raise TypeError("inputs must be str (Python source of the call's arguments)")
    return code, entry_point, inputs


def _memory_error(result: ProgramResult) -> bool:
    return (result.error or "").startswith("MemoryError") or any(call.exception == "MemoryError" for call in result.calls)


def _program_result(reply: dict[str, Any], n: int) -> ProgramResult:
    calls = tuple(_call(c) for c in reply["calls"][:n])
    if len(calls) != n:
        raise RuntimeError(f"sandbox server answered {len(calls)} calls for {n} inputs")
    result = ProgramResult(_status(reply["status"]), calls, reply.get("error"), reply.get("stdout") or "")
    if result.missed_deadline:
        _deadlines.miss()
    return result


def _call(data: dict[str, Any]) -> CallResult:
    return CallResult(_status(data["status"]), data.get("output"), data.get("exception"), data.get("stdout") or "")


def _status(status: str) -> str:
    if status not in STATUSES:
        raise RuntimeError(f"sandbox server answered an unknown status {status!r}")
    return status


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def _check_seconds(name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")


def sandbox_layers() -> dict[str, bool | str]:
    """Which protection layers a confined program runs under on this machine: True, or why not.

    Probed by running a confined child, for ``codegen-data doctor``; never raises.
    """
    try:
        with Sandbox() as sandbox:
            return sandbox.layers()
    except Exception as exc:  # reported, not raised: this is a diagnostic
        return {"sandbox": f"could not start: {type(exc).__name__}: {exc}"}
