"""The Python API: a lazy, random-access view of what ``codegen-data generate`` would write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Iterator

from .pipeline import GenerationPlan, Outcome, ordered_outcomes, plan_generation

__all__ = ["GeneratedDataset", "create_dataset"]


class GeneratedDataset(Sequence):
    """``ds[i]`` is record ``i`` of ``codegen-data generate TASK -n SIZE --seed SEED`` (one split).

    Nothing runs until a record is asked for; records are then generated, executed and verified in
    order (in worker processes, as by the CLI) up to the one asked for, and kept for later access.
    Call :meth:`close` (or use ``with``) to stop the workers early.
    """

    def __init__(self, plan: GenerationPlan, *, workers: int = 1):
        self.plan = plan
        self.workers = workers
        self._records: list[dict[str, Any]] = []
        self._outcomes: Iterator[Outcome] | None = None
        self._finished = False

    def __len__(self) -> int:
        return self.plan.n

    def _fill(self, upto: int) -> None:
        if self._outcomes is None and not self._finished:
            self._outcomes = ordered_outcomes(self.plan, workers=self.workers)
        while len(self._records) <= upto and self._outcomes is not None:
            try:
                outcome = next(self._outcomes)
            except StopIteration:
                self._outcomes, self._finished = None, True
                break
            if outcome.record is not None:
                self._records.append(outcome.record)
        if len(self._records) >= len(self):
            self.close()

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"record {index} of a dataset of {len(self)}")
        self._fill(index)
        if index >= len(self._records):
            raise RuntimeError(f"only {len(self._records)} records could be verified (see the rejects of the CLI run)")
        return self._records[index]

    def close(self) -> None:
        if self._outcomes is not None:
            self._outcomes.close()  # stops the workers
            self._outcomes = None

    def __enter__(self) -> "GeneratedDataset":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_dataset(task: str, *, size: int, seed: int = 0, difficulty: str = "mixed", workers: int = 1,
                   **config: Any) -> GeneratedDataset:
    """A lazy dataset of ``size`` verified records of ``task``; ``config`` holds the task's options
    (as in a ``--config`` table). Bad options raise :class:`codegen_data.task.ConfigError` at once.

    >>> ds = create_dataset("py_output", size=3, seed=0)
    >>> ds[0]["task"]
    'py_output'
    """
    plan = plan_generation([task], n=size, seed=seed, difficulty=difficulty, config={task: config} if config else None)
    return GeneratedDataset(plan, workers=workers)
