"""Python source as text with explicit precedence: every builder parenthesizes only where Python needs it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "E", "Line", "and_", "binop", "call", "chain", "compare", "cond", "dictcomp", "genexp", "indent", "index", "lam",
    "listcomp", "lit", "method", "name", "neg", "not_", "or_", "par", "render", "setcomp", "tuple_",
]  # fmt: skip

# Binding strength, loosest first (the Python reference's precedence table).
GEN = 0  # a bare generator expression: needs its own parentheses unless it is a call's only argument
LAMBDA = 1
COND = 2
OR = 3
AND = 4
NOT = 5
CMP = 6
ADD = 8
MUL = 9
UNARY = 10
POW = 11
ATOM = 12

_BINARY = {"+": ADD, "-": ADD, "*": MUL, "//": MUL, "%": MUL, "**": POW}

Line = tuple[int, str]  # (indent level, text)


@dataclass(frozen=True, slots=True)
class E:
    """An expression's source text and how tightly it binds."""

    text: str
    prec: int = ATOM

    def __str__(self) -> str:
        return self.text


def name(text: str) -> E:
    return E(text)


def lit(value: object) -> E:
    """A literal; negative numbers bind like unary minus."""
    text = repr(value)
    return E(text, UNARY if text.startswith("-") else ATOM)


def par(e: E, at_least: int) -> str:
    """``e`` as an operand of something that binds with strength ``at_least``."""
    return e.text if e.prec >= at_least else f"({e.text})"


def binop(a: E, op: str, b: E) -> E:
    p = _BINARY[op]
    if op == "**":  # right-associative
        return E(f"{par(a, p + 1)} ** {par(b, p)}", p)
    return E(f"{par(a, p)} {op} {par(b, p + 1)}", p)


def compare(a: E, op: str, b: E) -> E:
    return E(f"{par(a, CMP + 1)} {op} {par(b, CMP + 1)}", CMP)


def chain(a: E, op1: str, b: E, op2: str, c: E) -> E:
    """A chained comparison ``a op1 b op2 c``."""
    return E(f"{par(a, CMP + 1)} {op1} {par(b, CMP + 1)} {op2} {par(c, CMP + 1)}", CMP)


def not_(a: E) -> E:
    return E(f"not {par(a, NOT)}", NOT)


def and_(*parts: E) -> E:
    return E(" and ".join(par(p, AND) for p in parts), AND)


def or_(*parts: E) -> E:
    return E(" or ".join(par(p, OR) for p in parts), OR)


def neg(a: E) -> E:
    return E(f"-{par(a, UNARY)}", UNARY)


def _args(args: tuple[E, ...], kwargs: dict[str, E]) -> str:
    alone = len(args) + len(kwargs) == 1
    texts = [a.text if (alone or a.prec > GEN) else f"({a.text})" for a in args]
    texts += [f"{k}={par(v, LAMBDA)}" for k, v in kwargs.items()]
    return ", ".join(texts)


def call(fn: str, *args: E, **kwargs: E) -> E:
    return E(f"{fn}({_args(args, kwargs)})")


def method(obj: E, meth: str, *args: E, **kwargs: E) -> E:
    return E(f"{par(obj, ATOM)}.{meth}({_args(args, kwargs)})")


def index(obj: E, idx: str) -> E:
    """``obj[idx]``; ``idx`` is source text (an index or a slice)."""
    return E(f"{par(obj, ATOM)}[{idx}]")


def cond(then: E, test: E, other: E) -> E:
    return E(f"{par(then, COND + 1)} if {par(test, COND + 1)} else {par(other, COND)}", COND)


def lam(params: str, body: E) -> E:
    return E(f"lambda {params}: {par(body, COND)}", LAMBDA)


def _clauses(target: str, it: E, test: E | None) -> str:
    text = f"for {target} in {par(it, OR)}"
    return text if test is None else f"{text} if {par(test, OR)}"


def listcomp(elem: E, target: str, it: E, test: E | None = None) -> E:
    return E(f"[{par(elem, COND)} {_clauses(target, it, test)}]")


def setcomp(elem: E, target: str, it: E, test: E | None = None) -> E:
    return E(f"{{{par(elem, COND)} {_clauses(target, it, test)}}}")


def dictcomp(key: E, value: E, target: str, it: E, test: E | None = None) -> E:
    return E(f"{{{par(key, COND)}: {par(value, COND)} {_clauses(target, it, test)}}}")


def genexp(elem: E, target: str, it: E, test: E | None = None) -> E:
    return E(f"{par(elem, COND)} {_clauses(target, it, test)}", GEN)


def tuple_(*parts: E) -> E:
    return E("(" + ", ".join(par(p, COND) for p in parts) + ("," if len(parts) == 1 else "") + ")")


def indent(lines: list[Line], by: int = 1) -> list[Line]:
    return [(level + by, text) for level, text in lines]


def render(lines: list[Line]) -> str:
    return "".join(f"{'    ' * level}{text}\n" for level, text in lines)
