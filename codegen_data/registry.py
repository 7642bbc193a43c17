"""The task registry: every module in ``codegen_data/tasks/`` that exposes ``TASK`` is a task.

Discovery imports the modules by scanning the folder, so no task depends on something else having
imported it first; a module there without ``TASK`` is an error, not a silent skip.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from .task import ConfigError, Task

__all__ = ["get_task", "task_names", "all_tasks"]


@functools.lru_cache(maxsize=None)
def all_tasks() -> dict[str, type[Task]]:
    from . import tasks as package

    found: dict[str, type[Task]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        task = getattr(module, "TASK", None)
        if not (isinstance(task, type) and issubclass(task, Task)):
            raise RuntimeError(f"{module.__name__} defines no TASK (a Task subclass)")
        if task.name in found:
            raise RuntimeError(f"task name {task.name!r} is defined twice")
        found[task.name] = task
    return found


def task_names() -> list[str]:
    return list(all_tasks())


def get_task(name: str) -> type[Task]:
    tasks = all_tasks()
    if name not in tasks:
        raise ConfigError(f"unknown task {name!r}; available: {', '.join(tasks)}")
    return tasks[name]
