"""The task registry: every module in ``codegen_data/tasks/`` that exposes ``TASK`` is a task.

Discovery imports the modules by scanning the folder, so no task depends on something else having
imported it first; a module there without ``TASK`` is an error, not a silent skip.
"""

from __future__ import annotations

import functools

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
    tasks = all_tasks()
    if name not in tasks:
        raise ConfigError(f"unknown task {name!r}; available: {', '.join(tasks)}")
    return tasks[name]
