"""Argument values for generated functions, drawn before the function's blocks so blocks can fit them.

The main parameter gets a *column* of distinct values: the fixed edge cases of its type from
``[inputs]`` first (empty values, zero, negatives, duplicates, non-ASCII text such as 'é', 'ß', '日本'),
then random draws. A parameter that a block adds later (a threshold ``k``, a key, a flag) gets one
value per row *near* what that block sees in the row: a threshold among the row's numbers, give or
take one; a key of the row's dictionary most of the time; both truth values of a flag.
"""

from __future__ import annotations

import random
from typing import Any

from ..grammar import Grammar

__all__ = ["column", "near_values", "render"]


def render(values: list[Any]) -> str:
    """The argument source of one row: ``repr`` of each value, joined by ``", "``."""
    return ", ".join(repr(v) for v in values)


def column(rng: random.Random, type_: str, flavor: str, grammar: Grammar, n: int) -> list[Any]:
    """``n`` values of ``type_`` with distinct reprs (edge cases first), for the main parameter."""
    table = grammar.section("inputs")
    if type_ == "bool":
        return [i % 2 == 1 if i < 2 else rng.random() < 0.5 for i in range(n)]
    out: list[Any] = []
    seen: set[str] = set()
    edge = _edges(rng, type_, flavor, table)
    rest = edge[3:]
    rng.shuffle(rest)
    edge = edge[:3] + rest[: max(0, n // 2 - 3)]  # the emptiest cases always, then some of the others
    for i in range(len(edge) + 40 * n):
        v = edge[i] if i < len(edge) else _fresh(rng, type_, flavor, table)
        r = repr(v)
        if r not in seen:
            seen.add(r)
            out.append(v)
            if len(out) == n:
                break
    return out


def near_values(
    rng: random.Random, type_: str, flavor: str, grammar: Grammar, near: list[list[Any]] | None, n: int
) -> list[Any]:
    """One value per row for a parameter a block adds, drawn around ``near[row]`` when given."""
    table = grammar.section("inputs")
    out: list[Any] = []
    for i in range(n):
        row = near[i] if near is not None and i < len(near) else []
        out.append(_near(rng, type_, flavor, table, row, i))
    return out


def _near(rng: random.Random, type_: str, flavor: str, table: dict, row: list[Any], i: int) -> Any:
    r = rng.random()
    if type_ == "bool":
        return i % 2 == 1 if i < 2 else r < 0.5
    if type_ == "int":
        ints = [v for v in row if isinstance(v, int) and not isinstance(v, bool)]
        if ints and r < 0.7:
            return rng.choice(ints) + (rng.choice((-1, 0, 0, 1)) if flavor != "member" else 0)
        if r < 0.85:
            return rng.choice(table["int_small"])
        low, high = table["int_range_small"]
        return rng.randint(low, high)
    if type_ == "str":
        strs = [v for v in row if isinstance(v, str)]
        if flavor == "chars":
            if strs and r < 0.7:
                return "".join(rng.choice(strs) for _ in range(rng.randint(1, 3)))
            return "".join(rng.choice(table["alphabet"]) for _ in range(rng.randint(0, 3)))
        if strs and r < 0.65:
            return rng.choice(strs)
        return _word(rng, table)
    return _fresh(rng, type_, flavor, table)


def _edges(rng: random.Random, type_: str, flavor: str, table: dict) -> list[Any]:
    if type_ == "int":
        return list(table["int_any"])
    if type_ == "str":
        edge = list(table["strings"])
        if flavor in ("sentence", "text"):
            sentences = list(table["sentences"])
            edge = [v for pair in zip(edge, sentences) for v in pair] + edge[len(sentences) :] + sentences[len(edge) :]
        return edge
    if type_ == "list[int]":
        return [list(v) for v in table["int_lists"]]
    if type_ == "list[str]":
        return [list(v) for v in table["str_lists"]]
    if type_ == "dict[str, int]":
        return [dict(d) for d in table["dicts"]]
    raise TypeError(f"no inputs for type {type_}")


def _fresh(rng: random.Random, type_: str, flavor: str, table: dict) -> Any:
    if type_ == "int":
        low, high = table["int_range"]
        return rng.randint(-20, 40) if rng.random() < 0.5 else rng.randint(low, high)
    if type_ == "str":
        if flavor in ("sentence", "text") and rng.random() < 0.5:
            return _sentence(rng, table)
        return _word(rng, table)
    if type_ == "list[int]":
        return _int_list(rng)
    if type_ == "list[str]":
        return _str_list(rng, table)
    if type_ == "dict[str, int]":
        return _dict(rng, table)
    if type_ == "bool":
        return rng.random() < 0.5
    raise TypeError(f"no inputs for type {type_}")


def _word(rng: random.Random, table: dict) -> str:
    r = rng.random()
    if r < 0.75:
        w = rng.choice(table["words"])
        return w.upper() if rng.random() < 0.1 else w
    return "".join(rng.choice(table["alphabet"]) for _ in range(rng.randint(1, 7)))


def _sentence(rng: random.Random, table: dict) -> str:
    sep = rng.choice(table["joiners"])
    return sep.join(_word(rng, table) for _ in range(rng.randint(1, 5)))


def _int_list(rng: random.Random) -> list[int]:
    n = rng.randint(1, 8)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.7:
            out.append(rng.randint(-9, 20))
        else:
            out.append(rng.randint(-100, 999))
    if n > 1 and rng.random() < 0.3:
        out[rng.randrange(n)] = out[0]  # a duplicate
    return out


def _str_list(rng: random.Random, table: dict) -> list[str]:
    n = rng.randint(1, 6)
    out = [_word(rng, table) for _ in range(n)]
    if n > 1 and rng.random() < 0.3:
        out[rng.randrange(n)] = out[0]
    return out


def _dict(rng: random.Random, table: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for _ in range(rng.randint(1, 5)):
        r = rng.random()
        out[rng.choice(table["words"])] = rng.randint(-5, 20) if r < 0.8 else rng.randint(-50, 500)
    return out
