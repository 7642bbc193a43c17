"""Scoring an answer by execution: ``score(record, answer) -> float`` (1.0 right, 0.0 wrong).

Each task scores its own records (``Task.score``); untrusted SQL runs in a separate hardened process
(:class:`~codegen_data.sql.remote.SqlRunner`), untrusted Python in the fork-server sandbox
(:class:`~codegen_data.sandbox.Sandbox`), never in this process.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from typing import Any

from .answers import extract_answer
from .registry import get_task

__all__ = ["Scorer", "Verdict", "score", "FAILURES", "TIMEOUT_ATTEMPTS", "ran_out"]

FAILURES = {
    "no_answer": "the reply holds no answer",
    "syntax_error": "the answer does not parse (SQL or Python)",
    "execution_error": "the answer raised an error or was refused when run",
    "timeout": "the answer ran past its time limit (or was killed)",
    "wrong_answer": "the answer ran but its result differs from the reference",
}
"""Why a prediction failed; the evaluator's reports use these names."""

TIMEOUT_ATTEMPTS = 2
"""How many times an answer runs before ``timeout`` is its verdict. A stall of the machine (suspended,
swapping, its cores held by other work) can make a right answer miss its deadline, and a CI gate
must not fail a model for it; running the answer once more, at once and alone, keeps such a stall
out of the report, for the price of a second deadline on answers that really run too long."""


_FROM_OUTSIDE = ("SIGKILL", "SIGXCPU", "SIGTERM", "SIGHUP", "SIGINT")
"""Signals that stop a program from outside (a limit, the kernel's out-of-memory killer, the machine):
a program killed by another (``SIGSEGV``, ``SIGABRT``, a signal it sent itself) crashed by itself."""


def ran_out(status: str, detail: str | None = None) -> bool:
    """Whether a sandboxed run's (or call's) ``status`` means it ran out of time: ``timeout``, or
    ``killed`` by a signal that usually comes from outside (:data:`_FROM_OUTSIDE`, or a sandbox server
    that died), which counts as ``timeout`` too and runs again; not a program killed by a signal a
    crash raises (``killed by SIGSEGV``), an ``execution_error``. (A program that sends itself SIGKILL
    cannot be told from one killed from outside: it counts as a time-out.)"""
    if status == "timeout":
        return True
    if status != "killed":
        return False
    detail = detail or ""
    return not detail.startswith("killed by ") or detail.removeprefix("killed by ") in _FROM_OUTSIDE


@dataclass(frozen=True)
class Verdict:
    """The outcome of one prediction: ``failure`` is a key of :data:`FAILURES` when not ``passed``."""

    passed: bool
    failure: str | None = None
    error: str = ""

    @classmethod
    def ok(cls) -> "Verdict":
        return cls(True)

    @classmethod
    def fail(cls, failure: str, error: str = "") -> "Verdict":
        return cls(False, failure, error[:500])


class Scorer:
    """The sandboxes scoring needs, started on first use and shared by every answer scored."""

    def __init__(self, *, timeout: float = 2.0):
        self.timeout = timeout
        self._sql = None
        self._sandbox = None

    @property
    def sql(self):
        if self._sql is None:
            from .sql.remote import SqlRunner

            self._sql = SqlRunner(timeout=self.timeout)
        return self._sql

    @property
    def sandbox(self):
        if self._sandbox is None:
            from .sandbox import Sandbox

            self._sandbox = Sandbox(timeout=self.timeout)
        return self._sandbox

    def judge(self, record: dict[str, Any], answer: str) -> Verdict:
        """The verdict on a raw model reply (the answer is extracted first); an answer that runs out
        of time is run again, up to :data:`TIMEOUT_ATTEMPTS` times in all."""
        extracted = extract_answer(answer, record.get("task"))
        if not extracted:
            return Verdict.fail("no_answer")
        task = get_task(record["task"])
        for _ in range(TIMEOUT_ATTEMPTS):
            verdict = task.score(record, extracted, self)
            if verdict.failure != "timeout":
                break
        return verdict

    def score(self, record: dict[str, Any], answer: str) -> float:
        return 1.0 if self.judge(record, answer).passed else 0.0

    def close(self) -> None:
        if self._sql is not None:
            self._sql.close()
        if self._sandbox is not None:
            self._sandbox.close()

    def __enter__(self) -> "Scorer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default: Scorer | None = None


def score(record: dict[str, Any], answer: str) -> float:
    """1.0 when ``answer`` (raw model text; fences and ``[ANSWER]`` wrappers are removed) is right for
    ``record`` by execution, else 0.0."""
    global _default
    if _default is None:
        _default = Scorer()
        atexit.register(_default.close)
    return _default.score(record, answer)
