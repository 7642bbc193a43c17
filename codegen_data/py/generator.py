"""Python function tasks: typed, terminating, deterministic functions built from blocks, with English.

``generate_program(rng, difficulty=..., grammar=load_grammar("python"))`` first draws the main parameter
(a list, string, integer or dictionary) and its 16 input values (edge cases first: empty, zero,
negative, duplicates, 'é', 'ß', '日本'; :mod:`codegen_data.py.inputs`). Then it draws a *chain* of steps
(:mod:`codegen_data.py.steps`), each turning the current value into the next one and maybe adding a
parameter (a threshold ``k``, a flag, a key); the last step's value is returned. Steps nest element
blocks (:mod:`codegen_data.py.elements`) in loops, comprehensions and helper functions. Guards before
the steps return early on degenerate input or, with ``allow_raise``, raise ``ValueError`` (sometimes
``IndexError``) for some inputs.

Each block carries its code, its English phrase and a Python model of what it computes. The model is
this package's code, never the generated program, and it runs on the inputs while the chain is drawn:
constants come from the values that occur (a threshold between the smallest and the largest element,
a prefix that some words have, a key that some dictionaries hold), a step that changes nothing is
redrawn, and a program whose output does not depend on its input is dropped. Example (medium)::

    def filter_entries(names: list[str]) -> dict[str, int]:
        counts = {}
        for text in names:
            counts[text] = counts.get(text, 0) + 1
        kept = {}
        for key, value in counts.items():
            if len(key) > 2:
                kept[key] = value
        return kept

    "Build a dictionary mapping each distinct word of names to the number of times it occurs, in order of
    first occurrence. Return the entries of the dictionary whose key is longer than 2 characters."

Safety by construction (no generated code ever runs in this process): divisors are non-zero constants
or ``abs(k) % m + 1``; every ``while`` loop has a strictly decreasing counter or a constant bound;
recursion runs on ``n // 10``, ``s[1:]`` or ``min(abs(n), cap)``; an index is guarded by a length test
or a slice; sizes grow by at most a constant factor per step; no floats; sets are only counted or
sorted; no ``hash``, ``id``, randomness, time, I/O or import reaches the code.

Difficulty is what was asked for, made visible in size and nesting (``[levels.*]`` of the grammar; depth
is :func:`codegen_data.py.analysis.analyze`'s statement nesting inside a function; the last columns are
means over 300 programs per level at the time of writing):

========  =====  =====  ====================================================  =====  =====  ===========
level     steps  depth  also                                                  lines  nodes  helper
========  =====  =====  ====================================================  =====  =====  ===========
easy      1      <= 1   one short block, no helper                            3      50     0%
medium    2-3    2      a loop with an ``if`` (or a nested block) inside,     11     120    19%
                        sometimes a helper, a ``while`` or recursion
hard      4-5    3      always a helper function, recursion or a ``while``    23     235    80%
========  =====  =====  ====================================================  =====  =====  ===========

A draw that cannot be completed (a block finds nothing to work on, the output would not vary, the
level's depth or helper rule is not met) is redrawn from the same rng stream, at most
``[generator].max_attempts`` times.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass, field

from ..grammar import Grammar
from . import expr as x_
from .analysis import analyze
from .context import TYPE_KEYS, Ctx, Failed, Var
from .english import sentence
from .inputs import render
from .steps import STEPS, Guard, Step, guards

__all__ = ["DIFFICULTIES", "Program", "generate_program"]

DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Program:
    """A generated function, the task statement it satisfies, and the arguments to call it with."""

    code: str  # helper functions (if any) and the entry function, 4-space indent, ending in "\n"
    entry_point: str  # the function to call
    signature: str  # "def select_words(words: list[str], k: int) -> list[str]:"
    description: str  # English statement of what the entry function returns
    params: tuple[tuple[str, str], ...]  # (name, type)
    returns: str  # the return type
    inputs: tuple[str, ...]  # distinct argument sources, e.g. "['a', 'bb'], 1"
    features: tuple[str, ...]  # sorted constructs found in the code by analyze()
    difficulty: str
    raises: bool  # True when some inputs are meant to raise
    # The generator's model of each input's outcome (``ok:<repr>`` or ``raise:<exception>``), computed by
    # this package's code while the chain was drawn (never by running the program). Only ever used to
    # drop a candidate early; every kept program's outcomes come from its sandboxed runs.
    modeled: tuple[str, ...] = field(default=(), compare=False, repr=False)


def generate_program(rng: random.Random, *, difficulty: str, grammar: Grammar, allow_raise: bool = False) -> Program:
    """Draw one program of the given difficulty; ``allow_raise`` lets guards raise on some inputs."""
    program, outcomes = _generate(rng, difficulty, grammar, allow_raise)
    return dataclasses.replace(program, modeled=tuple(outcomes))


def _generate(rng: random.Random, difficulty: str, grammar: Grammar, allow_raise: bool) -> tuple[Program, list[str]]:
    """The program and its modeled outcome per input (``ok:<repr>`` or ``raise:<exception>``), for tests."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}; expected one of {DIFFICULTIES}")
    settings = grammar.section("generator")
    level = grammar.section("levels")[difficulty]
    attempts = int(settings["max_attempts"])
    last: tuple[Program, list[str]] | None = None
    for _ in range(attempts):
        ctx = Ctx(rng, grammar, level, allow_raise=allow_raise)
        try:
            program, depth, outcomes = _draw(ctx, difficulty, int(settings["inputs_per_program"]))
        except Failed:
            continue
        last = program, outcomes
        if depth < int(level["min_depth"]) or depth > int(level["max_depth"]):
            continue
        if level.get("needs_helper_or_while") and not _HELPER_OR_WHILE & set(program.features):
            continue
        return last
    if last is None:
        raise RuntimeError(f"no {difficulty} program after {attempts} attempts (grammar {grammar.name!r})")
    return last


def _draw(ctx: Ctx, difficulty: str, n_inputs: int) -> tuple[Program, int, list[str]]:
    level = ctx.level
    rng = ctx.rng
    ctx.rows = [{} for _ in range(n_inputs)]
    main_key = ctx.pick("subjects")
    main_type = {v: k for k, v in TYPE_KEYS.items()}[main_key]
    main = ctx.add_param(main_type, flavor=ctx.pick(f"flavors.{main_key}"))
    ctx.force_helper = bool(level.get("needs_helper_or_while")) and ctx.chance("forced_helper")
    if len({repr(row[main.name]) for row in ctx.rows}) < n_inputs:
        raise Failed("not enough distinct inputs")
    ctx.use(main)

    low, high = level["steps"]
    n_steps = rng.randint(int(low), int(high))
    budget = int(level["max_depth"])
    steps, results = _chain(ctx, main, n_steps, budget, int(level["min_depth"]))
    last = steps[-1]
    returns = last.returns or (last.out.type if last.out is not None else "None")
    if max(st.depth for st in steps) < int(level["min_depth"]):
        raise Failed("not nested deep enough for the level")  # checked again on the tree, once rendered
    if level.get("needs_helper_or_while") and not (ctx.helpers or ctx.uses_while or ctx.uses_recursion):
        raise Failed("the level wants a helper function, recursion or a while loop")
    empty_ok = any(st.handles_empty or st.key in _EMPTY_AWARE for st in steps)
    guard_list = guards(ctx, returns, budget, early_return=not empty_ok)
    outcomes = _outcomes(ctx, guard_list, results)

    body: list[x_.Line] = []
    for g in guard_list:
        body += g.lines
    for step in steps[:-1]:
        body += _assignment(step)
    if last.returns:
        body += last.lines
    elif last.lines:
        assert last.out is not None
        body += last.lines + [(0, f"return {last.out.name}")]
    else:
        assert last.value is not None
        body.append((0, f"return {last.value}"))

    params = [p for p in ctx.params if p.name in ctx.used_params]
    text = "\n".join(line for _, line in body)  # no name spans a line break, so one search sees every line
    for p in params:  # a block that added a parameter and was then dropped must not leave it behind
        if not re.search(rf"\b{p.name}\b", text):
            raise Failed(f"parameter {p.name} is not used")
    entry = _entry_name(ctx, last)
    signature = f"def {entry}({', '.join(f'{p.name}: {p.type}' for p in params)}) -> {returns}:"
    main_lines = [(0, signature)] + x_.indent(body)
    code = "\n\n".join(x_.render(h) for h in ctx.helpers + [main_lines])
    analysis = analyze(code)
    if analysis.has_error:
        raise AssertionError(f"generated code does not parse:\n{code}")
    inputs = tuple(render([row[p.name] for p in params]) for row in ctx.rows)
    program = Program(
        code=code,
        entry_point=entry,
        signature=signature,
        description=_describe(guard_list, steps),
        params=tuple((p.name, p.type) for p in params),
        returns=returns,
        inputs=inputs,
        features=analysis.constructs,
        difficulty=difficulty,
        raises=any(g.raises for g in guard_list),
    )
    return program, analysis.depth, outcomes


def _outcomes(ctx: Ctx, guard_list: list[Guard], results: list) -> list[str]:
    """The modeled outcome per row; the output must vary, and a raising guard must raise for some rows only."""
    out: list[str] = []
    outputs: list[str] = []
    raised = 0
    for row, value in zip(ctx.rows, results):
        outcome = None
        for g in guard_list:
            outcome = g.fn(row)
            if outcome is not None:
                break
        if outcome is None or outcome[0] == "return":
            text = repr(value if outcome is None else outcome[1])
            outputs.append(text)
            out.append("ok:" + text)
        else:
            raised += 1
            out.append("raise:" + outcome[1])
    if len(set(outputs)) < 2:
        raise Failed("the output does not depend on the input")
    if any(g.raises for g in guard_list) and not 0 < raised < len(ctx.rows) - 4:
        raise Failed("a raising guard should raise for some inputs, not most")
    return out


# Steps that can reach a nesting depth when drawn ``deep`` (a loop around an element block).
_DEEP_KINDS = {
    3: ("map", "filter_map", "sum_map", "dict_map"),
    2: ("map", "filter_map", "sum_map", "filter", "count_if", "dedupe", "counts", "partition", "extreme_loop",
        "first_match", "any_all", "int_list", "range_total", "dict_filter", "dict_total", "positions", "int_op",
        "str_op", "str_measure", "dict_map"),
    1: ("map", "sum", "sum_map", "running", "int_op", "str_op", "str_measure", "toggle", "labels", "takewhile"),
}  # fmt: skip

_HELPER_OR_WHILE = frozenset({"helper_function", "while_loop", "recursion"})

# Steps whose phrase already says what an empty input gives (so no "if empty, return ..." guard).
_EMPTY_AWARE = frozenset({"first_match", "first_index", "minmax", "dict_argmax", "any", "all"})

# Steps that reduce a collection or a string to one number: drawn only near the end of a chain, since
# a number carried through several more steps rarely still depends on the input in a visible way.
_REDUCERS = frozenset({"count", "sum", "sum_map", "count_if", "extreme", "index_of", "count_of", "str_measure",
                       "dict_total", "dict_lookup"})  # fmt: skip


def _chain(ctx: Ctx, main: Var, n_steps: int, budget: int, need: int) -> tuple[list[Step], list]:
    """The steps, each drawn for the current value's type (one drawn deep to reach ``need``), and the
    modeled result of the last one in every input row."""
    steps: list[Step] = []
    cur = main
    vals = [row[main.name] for row in ctx.rows]
    history = [(main.type, vals)]
    no_repeat = set(ctx.grammar.section("generator")["no_repeat"])
    used: list[str] = []
    reached = 0
    for i in range(n_steps):
        last = i == n_steps - 1
        table = f"{'finals' if last else 'steps'}.{TYPE_KEYS[cur.type]}"
        tried = [k for k in used if k in no_repeat] + used[-1:]
        if i < n_steps - 2:
            tried += _REDUCERS
        deep = reached < need and (i >= n_steps - 2 or ctx.chance("half"))
        ctx.is_last = last
        step = None
        for _ in range(10):
            ctx.want_depth = need if deep else 0
            try:
                key = ctx.pick(table, allowed=_DEEP_KINDS.get(need) if deep else None, exclude=tried)
            except Failed:
                if not deep:
                    raise
                deep = False
                continue
            snap = ctx.snapshot()
            try:
                step = STEPS[key](ctx, cur, vals, budget, deep)
                new_vals = [step.fn(v, env) for v, env in zip(vals, ctx.rows)]
                if step.out is not None and (step.out.type, new_vals) in history:
                    raise Failed("the step undoes or repeats what came before")
                break
            except Failed:
                ctx.restore(snap)
                tried.append(key)
                step = None
        if step is None:
            raise Failed(f"no step for {cur.type}")
        if step.returns and not last:
            raise Failed("a returning step must come last")
        steps.append(step)
        used.append(key)
        reached = max(reached, step.depth)
        vals = new_vals
        if step.out is not None:
            cur = step.out
            history.append((cur.type, vals))
    return steps, vals


def _assignment(step: Step) -> list[x_.Line]:
    assert step.out is not None
    if step.lines:
        return step.lines
    assert step.value is not None
    return [(0, f"{step.out.name} = {step.value}")]


def _describe(guard_list: list[Guard], steps: list[Step]) -> str:
    parts = [sentence(g.sentence) for g in guard_list]
    parts += [sentence(s.sentence) for s in steps[:-1]]
    last = steps[-1]
    parts.append(sentence(last.final if last.returns else f"return {last.noun}"))
    return " ".join(parts)


def _entry_name(ctx: Ctx, last: Step) -> str:
    if ctx.chance("generic_entry"):
        return ctx.reserve_global("f")
    hint = last.name_hint.replace(" ", "_").replace("-", "_")
    for name in (hint, f"compute_{hint}", f"get_{hint}"):
        if not ctx.taken(name):
            return ctx.reserve_global(name)
    return ctx.reserve_global("solve")
