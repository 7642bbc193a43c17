"""codegen-data: execution-verified training and evaluation data for code models."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "get_task",
    "task_names",
    "plan_generation",
    "run_generation",
    "ResultComparator",
    "load_grammar",
    "derive_rng",
]


def __getattr__(name: str):
    # Lazy, so `python -s -m codegen_data.worker` and `--help` do not import duckdb or sqlglot first.
    if name in ("get_task", "task_names"):
        from . import registry

        return getattr(registry, name)
    if name in ("plan_generation", "run_generation"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "ResultComparator":
        from .sql.comparator import ResultComparator

        return ResultComparator
    if name == "load_grammar":
        from .grammar import load_grammar

        return load_grammar
    if name == "derive_rng":
        from ._seeding import derive_rng

        return derive_rng
    raise AttributeError(f"module 'codegen_data' has no attribute {name!r}")
