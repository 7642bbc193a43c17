"""Missed deadlines, counted per process: what makes a generation worker process an item again.

A generated program runs in microseconds and a generated query in milliseconds, against deadlines
of seconds. So in generation a missed deadline says that the machine stalled (suspended, swapping,
its cores held by other work) far more often than that the item is slow, and a verdict taken from it
would make the data depend on the machine's load. Every executor reports its misses here:
the program sandbox (a program past its deadline, or a server that died or stopped answering) and
the DuckDB and SQLite sessions (a statement interrupted at its deadline). A worker that saw one while
it processed an item processes the item again (see :mod:`codegen_data.worker`). The generation
sandbox's DuckDB running out of memory counts too: that depends on the other databases the worker
holds, so the sandbox is emptied and the item processed again with its own database alone
(:meth:`codegen_data.sql.executor.DuckDBSession.memory_ran_out`).
"""

from __future__ import annotations

_missed = 0


def missed() -> int:
    """How many deadlines this process has seen missed so far (compare two readings)."""
    return _missed


def miss() -> None:
    """Count one missed deadline (an executor calls this when it returns a timeout)."""
    global _missed
    _missed += 1
