"""What a task is: a config, and a chain generate -> execute -> verify that yields a record or a reject.

A task file (``codegen_data/tasks/<name>.py``) defines one :class:`Task` subclass and exposes it as
``TASK``; :mod:`codegen_data.registry` discovers it. Item ``i`` is a pure function of
(config, seed, difficulty, i): its randomness comes from ``derive_rng(seed, task, i)`` only.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._seeding import derive_rng

__all__ = ["Task", "TaskConfig", "Reject", "ConfigError", "DIFFICULTY_CHOICES", "DUPLICATE_STRUCTURE", "INTERNAL_ERROR"]

DIFFICULTY_CHOICES = ("easy", "medium", "hard", "extra", "mixed")


class ConfigError(ValueError):
    """A user-supplied configuration is invalid; the message names the field."""


@dataclass(frozen=True)
class Reject:
    """A candidate that failed: ``reason`` is a stable snake_case code, ``detail`` free text."""

    reason: str
    detail: str = ""
    candidate: dict[str, Any] = field(default_factory=dict)  # what was rejected, for rejects.jsonl
    group: str | None = None  # the candidate's group, when the task names it before anything runs

    def as_message(self) -> dict[str, Any]:
        """The ``reject`` of a worker's outcome message (the parent writes it to rejects.jsonl)."""
        message = {"reason": self.reason, "detail": self.detail, "candidate": self.candidate}
        if self.group is not None:
            message["group"] = self.group
        return message


DUPLICATE_STRUCTURE = "duplicate_structure"
"""The reason of a candidate whose group a record kept earlier has (see :meth:`Task.group_of`)."""
INTERNAL_ERROR = "internal_error"
"""The reason of a candidate whose processing raised: a bug (ours or a dependency's), not a verdict."""


@dataclass
class TaskConfig:
    """Base class of task configs. Subclasses add fields with defaults and extend :meth:`validate`."""

    weight: float = 1.0  # share of -n when several tasks are generated together (a positive finite number)

    def validate(self) -> None:
        if (not isinstance(self.weight, (int, float)) or isinstance(self.weight, bool) or not self.weight > 0
                or not math.isfinite(self.weight)):
            raise ConfigError(f"weight must be a positive number, got {self.weight!r}")

    @classmethod
    def from_dict(cls, task: str, values: dict[str, Any]) -> "TaskConfig":
        """Build and validate a config from a TOML table; unknown keys and wrong types are errors."""
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"[{task}] unknown option {key!r} (known: {', '.join(sorted(known))})")
            _check_type(task, key, value, hints[key])
        config = cls(**values)
        try:
            config.validate()
        except ConfigError as exc:
            raise ConfigError(f"[{task}] {exc}") from None
        return config

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def options(cls) -> list[tuple[str, str, Any]]:
        """(name, type, default) of every option, for ``codegen-data list``."""
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            out.append((f.name, _type_name(hints[f.name]), default))
        return out


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check_type(task: str, key: str, value: Any, tp: Any) -> None:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return
        for candidate in (a for a in args if a is not type(None)):
            try:
                _check_type(task, key, value, candidate)
                return
            except ConfigError:
                pass
        raise ConfigError(f"[{task}] {key} has the wrong type: {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"[{task}] {key} must be a list, got {value!r}")
        if args:
            for item in value:
                _check_type(task, key, item, args[0])
        return
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is bool:
        ok = isinstance(value, bool)
    elif tp is str:
        ok = isinstance(value, str)
    else:
        ok = True
    if not ok:
        raise ConfigError(f"[{task}] {key} must be {_type_name(tp)}, got {value!r}")


class Task(ABC):
    """One procedural task. Subclasses set the class attributes and implement the three steps."""

    name: ClassVar[str]
    description: ClassVar[str]  # one line, shown by ``codegen-data list``
    labels_text: ClassVar[str] = ""  # dataset card: how the labels were obtained
    verification_text: ClassVar[str] = ""  # dataset card: what every kept item passed
    config_class: ClassVar[type[TaskConfig]] = TaskConfig
    grammars: ClassVar[tuple[str, ...]] = ()  # grammar files whose hash goes into every record

    def __init__(self, config: TaskConfig, *, seed: int, difficulty: str = "mixed"):
        if difficulty not in DIFFICULTY_CHOICES:
            raise ConfigError(f"difficulty must be one of {', '.join(DIFFICULTY_CHOICES)}, got {difficulty!r}")
        self.config = config
        self.seed = seed
        self.difficulty = difficulty
        self.known_groups: Container[str] = frozenset()
        """Groups of records the run has kept so far, as far as this process has been told (a worker
        hears them from the parent): a candidate in one of them is a duplicate whatever it would do,
        so it is not run. Knowing fewer only costs time; the outcome is decided by the parent."""

    def rng(self, index: int, *salt: object):
        """The item's private random generator (``derive_rng(seed, task, index, *salt)``)."""
        return derive_rng(self.seed, self.name, index, *salt)

    def target_difficulty(self, index: int, levels: tuple[str, ...]) -> str:
        """The level item ``index`` aims at: the requested one, or an even draw for ``mixed``."""
        if self.difficulty != "mixed":
            return self.difficulty
        return self.rng(index, "difficulty").choice(levels)

    # The chain. ``process`` is all a worker calls; each step is small and overridable.
    def process(self, index: int) -> dict[str, Any] | Reject:
        candidate = self.candidate(index)
        if isinstance(candidate, Reject):
            return candidate
        execution = self.execute(candidate)
        verdict = self.verify(candidate, execution)
        if verdict is not None:
            return self.rejected(candidate, verdict)
        return self.to_record(index, candidate, execution)

    def candidate(self, index: int) -> Any | Reject:
        """:meth:`generate`, or the duplicate reject when the candidate's group is one the run has
        kept (then it is not run)."""
        candidate = self.generate(index)
        if not isinstance(candidate, Reject):
            group = self.group_of(candidate)
            if group is not None and group in self.known_groups:
                return self.duplicate(group)
        return candidate

    def rejected(self, candidate: Any, verdict: Reject) -> Reject:
        """The reject of a candidate that failed ``verdict``: what it was, and its group."""
        return Reject(verdict.reason, verdict.detail, self.describe(candidate), group=self.group_of(candidate))

    def group_of(self, candidate: Any) -> str | None:
        """The ``group`` its record would have, if the task can tell before running anything (else
        None). Then every outcome carries it, and the run drops a candidate whose group a record kept
        earlier has, as ``duplicate_structure``, before its other checks (see ``pipeline``)."""
        return None

    def locality(self, index: int) -> int | None:
        """Which costly per-process state item ``index`` needs, as a number (None: nothing worth
        keeping together). With several workers, the parent sends items of one locality to one
        worker where it can, so each worker builds that state for its share only (an SQL task's
        databases: :meth:`~codegen_data.sql.base.SqlTask.locality`). It decides where an item runs,
        never what it gives; it runs in the parent, so it must be cheap and run nothing generated."""
        return None

    @staticmethod
    def duplicate(group: str) -> Reject:
        return Reject(DUPLICATE_STRUCTURE, "same group as a kept record", {"group": group}, group=group)

    def describe(self, candidate: Any) -> dict[str, Any]:
        """The parts of a rejected candidate worth keeping in ``rejects.jsonl``."""
        return {}

    @abstractmethod
    def generate(self, index: int) -> Any | Reject:
        """Build candidate ``index`` (pure: no execution)."""

    @abstractmethod
    def execute(self, candidate: Any) -> Any:
        """Run the candidate in the sandbox and record what happened."""

    @abstractmethod
    def verify(self, candidate: Any, execution: Any) -> Reject | None:
        """``None`` to keep the candidate, else the first failed check's :class:`Reject`."""

    @abstractmethod
    def to_record(self, index: int, candidate: Any, execution: Any) -> dict[str, Any]:
        """The verified record (see the README's record format)."""

    @classmethod
    def score(cls, record: dict[str, Any], answer: str, scorer: Any) -> Any:
        """The :class:`~codegen_data.scoring.Verdict` on ``answer`` (already extracted from the reply)
        for ``record``; anything executable runs through ``scorer``'s sandboxes."""
        raise NotImplementedError(f"{cls.name} has no scorer")

    def side_files(self, db_ids: list[str]) -> dict[str, str]:
        """Extra output files (relative path -> text) the kept records need, given the ``db_id``s they use."""
        return {}

    def grammar_hash(self) -> str:
        from .grammar import load_grammar
        from ._seeding import stable_hash

        hashes = [load_grammar(g).sha256 for g in self.grammars]
        return hashes[0][:16] if len(hashes) == 1 else stable_hash("".join(hashes))
