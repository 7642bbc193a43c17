"""codegen-data: execution-verified training and evaluation data for code models.

>>> import codegen_data
>>> ds = codegen_data.create_dataset("text_to_sql", size=10, seed=0)
>>> record = ds[0]
>>> codegen_data.score(record, record["answer"])
1.0
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "create_dataset",
    "score",
    "Scorer",
    "task_names",
    "ConfigError",
    "ResultComparator",
]

_LAZY = {
    # Imported on first use, so `codegen-data --help` and the worker processes start fast.
    "create_dataset": ("api", "create_dataset"),
    "score": ("scoring", "score"),
    "Scorer": ("scoring", "Scorer"),
    "task_names": ("registry", "task_names"),
    "ConfigError": ("task", "ConfigError"),
    "ResultComparator": ("sql.comparator", "ResultComparator"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module 'codegen_data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
