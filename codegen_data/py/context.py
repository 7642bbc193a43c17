"""The drawing context of one program: rng, grammar tables, names in scope, parameters and input rows."""

from __future__ import annotations

import builtins
import keyword
import random
from bisect import bisect
from itertools import accumulate, compress
from dataclasses import dataclass, field
from typing import Any

from ..grammar import Grammar

__all__ = ["Ctx", "Var", "Failed", "Sample", "TYPE_KEYS", "DEFAULTS"]

Sample = list[list[Any]]  # per input row, the values a block sees

# The grammar names a Python type by a table-friendly key.
TYPE_KEYS = {
    "int": "int",
    "bool": "bool",
    "str": "str",
    "list[int]": "list_int",
    "list[str]": "list_str",
    "dict[str, int]": "dict",
}

# What a guard returns for "nothing to do", by return type: (code, value, words).
DEFAULTS: dict[str, tuple[str, Any, str]] = {
    "int": ("0", 0, "0"),
    "bool": ("False", False, "False"),
    "str": ("''", "", "the empty string"),
    "list[int]": ("[]", [], "an empty list"),
    "list[str]": ("[]", [], "an empty list"),
    "dict[str, int]": ("{}", {}, "an empty dictionary"),
}

_WEIGHTS: dict[str, dict[str, dict[str, float]]] = {}  # grammar sha256 -> dotted table -> weights

_DRAWABLE: dict[tuple[str, str], tuple[list[str], list[float], list[float]]] = {}  # (grammar sha256, table) -> see Ctx._drawable

_TAKEN = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"_"}


class Failed(Exception):
    """A block cannot be built from what is in scope: the caller tries another one."""


@dataclass
class Var:
    """A value in scope: a parameter or the result of a step, with the words that name it."""

    name: str
    type: str
    ref: str  # the whole value in a sentence: "nums", "the list", "the total"
    elem: tuple[str, str] | None = None  # element nouns (singular, plural) of a list, string or dictionary
    is_param: bool = False
    flavor: str = ""  # parameters: what kind of inputs to draw ("sentence", "small", "key", ...)
    facts: tuple[str, ...] = ()  # what the value (a list's elements) is known to satisfy: "nonneg", "word", ...

    @property
    def elems(self) -> str:
        """``the words in words`` for a parameter, ``the words`` for an intermediate list."""
        assert self.elem is not None
        return f"the {self.elem[1]} in {self.name}" if self.is_param else f"the {self.elem[1]}"

    @property
    def each(self) -> str:
        assert self.elem is not None
        return f"each {self.elem[0]} in {self.name}" if self.is_param else f"each {self.elem[0]}"


@dataclass
class Ctx:
    """Everything one program draws from; every random choice goes through ``rng``.

    ``rows`` holds one dict per input row, parameter name -> value: the main parameter's values are
    drawn first, further parameters get theirs when a block creates them (near the values the block
    looks at), and blocks use the rows to pick constants and check that what they compute varies.
    """

    rng: random.Random
    grammar: Grammar
    level: dict[str, Any]
    allow_raise: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    params: list[Var] = field(default_factory=list)
    used_params: list[str] = field(default_factory=list)
    helpers: list[list[tuple[int, str]]] = field(default_factory=list)
    helper_names: list[str] = field(default_factory=list)
    uses_recursion: bool = False
    uses_while: bool = False
    families: list[str] = field(default_factory=list)  # properties the chain's steps already test
    is_last: bool = False  # the step being drawn is the last one
    force_helper: bool = False  # the next operation that can become a helper function does
    want_depth: int = 0  # the nesting the step being drawn deep should reach (0: no target)
    param_refs: int = 0  # bumped whenever a block refers to a parameter (so its op cannot become a helper)

    def __post_init__(self) -> None:
        self.knobs = self.grammar.section("knobs")
        self.limits = self.grammar.section("limits")
        self._names: set[str] = set()  # membership only; never iterated
        self._global: set[str] = set()
        self._weights = _WEIGHTS.setdefault(self.grammar.sha256, {})

    # --- drawing -----------------------------------------------------------------------------------

    def chance(self, knob: str) -> bool:
        return self.rng.random() < float(self.knobs[knob])

    def recursive(self) -> bool:
        """Whether an operation that can recurse is written recursively (a per-level chance)."""
        return self.rng.random() < float(self.level["recursion"])

    def weights(self, dotted: str) -> dict[str, float]:
        table = self._weights.get(dotted)
        if table is None:
            node: Any = self.grammar.data
            for part in dotted.split("."):
                node = node[part]
            table = {k: float(v) for k, v in node.items()}
            self._weights[dotted] = table
        return table

    def pick(self, dotted: str, allowed: Any = None, exclude: Any = ()) -> str:
        """A name from a weights table, drawn by weight among ``allowed`` minus ``exclude``.

        The draw is ``rng.choices(names, weights=...)[0]`` written out (one ``random()`` call, the same
        bisection over the running sums), with the table's running sums kept for the common case of
        nothing allowed or excluded."""
        names, weights, sums = self._drawable(dotted)
        if allowed is not None or exclude:
            if allowed is None:
                keep = [n not in exclude for n in names]
            else:
                keep = [n in allowed and n not in exclude for n in names]
            if not all(keep):
                names = list(compress(names, keep))
                sums = list(accumulate(compress(weights, keep)))
        if not names:
            raise Failed(f"nothing to draw from [{dotted}]")
        return names[bisect(sums, self.rng.random() * (sums[-1] + 0.0), 0, len(names) - 1)]

    def _drawable(self, dotted: str) -> tuple[list[str], list[float], list[float]]:
        """A table's names of positive weight, their weights and the running sums of those."""
        found = _DRAWABLE.get((self.grammar.sha256, dotted))
        if found is None:
            table = self.weights(dotted)
            names = [n for n, w in table.items() if w > 0]
            weights = [table[n] for n in names]
            found = _DRAWABLE[(self.grammar.sha256, dotted)] = (names, weights, list(accumulate(weights)))
        return found

    def choice(self, items: list | tuple) -> Any:
        if not items:
            raise Failed("empty choice")
        return items[self.rng.randrange(len(items))]

    def between(self, key: str) -> int:
        """An integer in the ``[limits].<key>`` range ``[low, high]``."""
        low, high = self.limits[key]
        return self.rng.randint(int(low), int(high))

    # --- names -------------------------------------------------------------------------------------

    def taken(self, name: str) -> bool:
        return name in self._names or name in self._global or name in _TAKEN

    def fresh(self, base: str) -> str:
        """A local name not yet used in this function (nor a builtin, keyword or function name)."""
        candidate, k = base, 2
        while self.taken(candidate):
            candidate = f"{base}{k}"
            k += 1
        self._names.add(candidate)
        return candidate

    def local(self, name: str) -> None:
        self._names.add(name)

    def reserve_global(self, base: str) -> str:
        candidate, k = base, 2
        while self.taken(candidate):
            candidate = f"{base}_{k}"
            k += 1
        self._global.add(candidate)
        return candidate

    def enter_function(self) -> set[str]:
        """Start a new local namespace (a helper body); returns the one to restore."""
        saved = self._names
        self._names = set()
        return saved

    def leave_function(self, saved: set[str]) -> None:
        self._names = saved

    # --- parameters --------------------------------------------------------------------------------

    def add_param(self, type_: str, *, flavor: str = "", role: str = "", values: list | None = None) -> Var:
        """A new parameter; its value in each row is ``values[i]`` (drawn from the input pools if None)."""
        from .inputs import column

        pool = list(self.grammar.section("param_names")[role or TYPE_KEYS[type_]])
        self.rng.shuffle(pool)
        free = [n for n in pool if not self.taken(n)]
        nm = free[0] if free else self.fresh(pool[0])
        self._names.add(nm)
        elem = {"list[int]": ("number", "numbers"), "str": ("character", "characters")}.get(type_)
        facts: tuple[str, ...] = ()
        if type_ == "list[str]":
            elem = ("word", "words") if flavor == "words" else ("string", "strings")
            facts = ("word",)
        if type_ == "dict[str, int]":
            elem = ("key", "keys")
        var = Var(nm, type_, nm, elem, is_param=True, flavor=flavor, facts=facts)
        if values is None:
            values = column(self.rng, type_, flavor, self.grammar, len(self.rows))
        for row, v in zip(self.rows, values):
            row[nm] = v
        self.params.append(var)
        return var

    def param(self, type_: str, *, flavor: str = "", role: str = "", near: Sample | None = None) -> Var | None:
        """A new parameter of ``type_`` while there is room (None otherwise); with ``near``, its value in
        each row is drawn around that row's sampled values (a threshold among the row's numbers, a key of
        the row's dictionary)."""
        from .inputs import near_values

        if len(self.params) >= int(self.level["max_params"]):
            return None
        values = near_values(self.rng, type_, flavor, self.grammar, near, len(self.rows))
        p = self.add_param(type_, flavor=flavor, role=role, values=values)
        self.use(p)
        return p

    def snapshot(self) -> tuple:
        """What a failed draw must undo: parameters, helper functions, tested properties."""
        return (len(self.params), list(self.used_params), len(self.helpers), len(self.families), self.param_refs,
                self.uses_while, self.uses_recursion, set(self._names), set(self._global))  # fmt: skip

    def restore(self, snap: tuple) -> None:
        n_params, used, n_helpers, n_families, refs, self.uses_while, self.uses_recursion, names, glob = snap
        self._names.intersection_update(names)  # the same set object: a helper body may hold a reference
        self._global.intersection_update(glob)
        del self.params[n_params:], self.helpers[n_helpers:], self.helper_names[n_helpers:], self.families[n_families:]
        self.used_params[:] = used
        self.param_refs = refs

    def use(self, var: Var) -> None:
        if var.is_param:
            self.param_refs += 1
            if var.name not in self.used_params:
                self.used_params.append(var.name)
