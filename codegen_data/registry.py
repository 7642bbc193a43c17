"""The task registry: every module in ``codegen_data/tasks/`` that exposes ``TASK`` is a task.

Discovery imports the modules by scanning the folder, so no task depends on something else having
imported it first; a module there without ``TASK`` is an error, not a silent skip.
"""

from __future__ import annotations

import functools
import importlib

from ._plugins import discover
from .task import ConfigError, Task

__all__ = ["get_task", "task_names", "all_tasks"]


@functools.lru_cache(maxsize=None)
def all_tasks() -> dict[str, type[Task]]:
    from . import tasks

    return discover(tasks, "TASK", Task, "task")


def task_names() -> list[str]:
    return list(all_tasks())


def get_task(name: str) -> type[Task]:
    direct = _named_module(name)
    if direct is not None:  # a worker imports only the tasks it runs (sqlglot and DuckDB are slow to import)
        return direct
    tasks = all_tasks()
    if name not in tasks:
        raise ConfigError(f"unknown task {name!r}; available: {', '.join(tasks)}")
    return tasks[name]


@functools.lru_cache(maxsize=None)
def _named_module(name: str) -> type[Task] | None:
    """The task in ``codegen_data/tasks/<name>.py`` when that module's ``TASK`` is called ``name``."""
    if not name.isidentifier() or name.startswith("_"):
        return None
    try:
        module = importlib.import_module(f"{__package__}.tasks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.tasks.{name}":
            raise  # the module exists but something it imports is missing: not ours to hide
        return None
    plugin = getattr(module, "TASK", None)
    if isinstance(plugin, type) and issubclass(plugin, Task) and plugin.name == name:
        return plugin
    return None
