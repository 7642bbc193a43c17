"""Element blocks: tests (predicates) and operations on one int, string or character.

Each block carries three things that must agree: its code, its English phrase, and ``fn``, a Python
model of what the code computes (``fn(value, env)``, ``env`` holding the parameters of one input row).
The model is this package's own code, never the generated program: the generator runs it on the
input rows to draw constants from the values that actually occur (a threshold between the smallest
and the largest element, a prefix that some words have) and to drop programs whose output would not
depend on the input. ``tests/py`` checks the models against real runs in a subprocess.

An operation has up to three renderings, chosen by the step that uses it:

* ``expr``: an inline expression (``len(word)``, ``n * 3``);
* ``stmts``: statements assigning a target (an ``if``/``elif`` ladder, a ``while`` loop over digits);
* ``body``: the body of a helper function (returning; possibly recursive, with a bounded depth).

Draw tables: ``[preds.<type>]`` and ``[ops.<in>_<out>]`` of ``grammars/python.toml``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from . import expr as x_
from .context import Ctx, Failed, Sample
from .english import IT, VP, Ref, be, verb
from .english import quote as q
from .expr import E, Line, lit, name

__all__ = [
    "Pred", "Op", "Applied", "draw_pred", "draw_op", "op_caller", "apply_op", "threshold", "split_point",
    "contradicted", "flat", "chars_of", "VOWELS",
]  # fmt: skip

VOWELS = "aeiouAEIOU"
_PY_TYPE = {"int": "int", "str": "str", "char": "str"}
Fn = Callable[[Any, dict], Any]


@dataclass(frozen=True)
class Pred:
    """A test of one element: its code, its model and the verb phrase that states it."""

    test: Callable[[E], E]
    fn: Fn
    vp: VP
    key: str
    negatable: bool = True
    narrow: bool = False  # rarely true: combined only with "or", never with "and"
    name: str = ""  # a name for the things that pass ("evens"), or ""
    family: str = ""  # tests of one family are not combined (no "shorter than 4 and longer than 5")
    implies: tuple[str, ...] = ()  # facts that hold of the elements that pass


@dataclass(frozen=True)
class Op:
    """An operation on one element: its renderings, its model and its English."""

    in_t: str  # "int", "str" or "char"
    out_t: str  # "int" or "str"
    key: str
    noun: Callable[[Ref], str]  # "the number of vowels in {x}"
    fn: Fn
    expr: Callable[[E], E] | None = None
    stmts: Callable[[Ctx, E, str], list[Line]] | None = None  # assign the result to the target name
    depth: int = 0  # statement nesting of ``stmts``
    body: Callable[[Ctx, str, str], list[Line]] | None = None  # helper body (parameter, own name); returns
    call_arg: Callable[[E], E] | None = None  # what the call site passes to a helper with ``body``
    verb: Callable[[Ref], str] | None = None  # "convert {x} to upper case"
    past: str | None = None  # "converted to upper case"
    attr: str | None = None  # "length": lets a test say "have a length greater than 3"
    helper: str = ""  # helper function name; "" = never a helper
    recursive: bool = False
    uses_while: bool = False
    uses_param: bool = False  # refers to a parameter of the main function: no helper
    facts: tuple[str, ...] = ()
    elem: tuple[str, str] | None = None  # nouns of the results when mapped over a list
    forms: dict = field(default_factory=dict, compare=False)  # per-program cache: helper name once defined


# --- samples ------------------------------------------------------------------------------------


def flat(sample: Sample) -> list:
    return [v for row in sample for v in row]


def chars_of(sample: Sample) -> Sample:
    """Per row, the characters of the row's strings."""
    return [[ch for s in row for ch in s] for row in sample]


def _distinct(values: list) -> list:
    return sorted(set(values))  # sorted: no set order leaks into a choice


def split_point(ctx: Ctx, values: list[int], facts: tuple[str, ...] = ()) -> int:
    """A constant with occurring values on both sides of it (some greater, some not), if there are any."""
    d = _distinct(values)
    if len(d) >= 3:
        return ctx.choice(d[1:-1])
    if len(d) == 2:
        return d[0]
    return threshold(ctx, facts)


def threshold(ctx: Ctx, facts: tuple[str, ...]) -> int:
    """A constant drawn where a value of this kind is likely to lie (counts are small)."""
    if "count" in facts:
        return ctx.between("count_threshold")
    if "digit" in facts:
        return ctx.between("digit_threshold")
    if "positive" in facts:
        return max(1, ctx.between("nonneg_threshold"))
    if "nonneg" in facts:
        return ctx.between("nonneg_threshold")
    return ctx.between("threshold")


def _int_arg(ctx: Ctx, facts: tuple[str, ...], sample: Sample) -> tuple[E, Fn, str, int | None]:
    """A threshold: a parameter whose value in each row lies among that row's values, or a constant."""
    if "count" not in facts and ctx.chance("param_argument"):
        p = ctx.param("int", flavor="small", role="threshold", near=sample)
        if p is not None:
            nm = p.name
            return name(nm), (lambda env: env[nm]), nm, None
    c = split_point(ctx, flat(sample), facts)
    return lit(c), (lambda env: c), str(c), c


def _present_chars(sample: Sample, *, letters: bool = False) -> list[str]:
    return [ch for ch in _distinct(flat(chars_of(sample))) if not ch.isspace() and (ch.isalpha() or not letters)]


def char_const(ctx: Ctx, sample: Sample, facts: tuple[str, ...] = ()) -> str:
    """A character that occurs in some of the strings (a fixed one if there are none)."""
    present = _present_chars(sample)
    if present and ctx.rng.random() < 0.85:
        return ctx.choice(present)
    if "digits" in facts:
        return str(ctx.rng.randint(0, 9))
    return ctx.choice(list(ctx.grammar.section("constants")["upper_chars" if "upper" in facts else "chars"]))


# --- predicates ---------------------------------------------------------------------------------


def _cmp_words(op: str, value: str) -> str:
    return {
        ">": f"greater than {value}",
        ">=": f"at least {value}",
        "<": f"less than {value}",
        "<=": f"at most {value}",
        "==": f"equal to {value}",
        "!=": f"different from {value}",
    }[op]


_CMP: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _p_even(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.compare(x_.binop(x, "%", lit(2)), "==", lit(0)), lambda x, env: x % 2 == 0, be("even"),
                "even", name="evens", family="parity")  # fmt: skip


def _p_odd(ctx: Ctx, facts, sample) -> Pred:
    op = ctx.choice(["==", "!="])
    rhs = lit(1) if op == "==" else lit(0)
    return Pred(lambda x: x_.compare(x_.binop(x, "%", lit(2)), op, rhs), lambda x, env: x % 2 == 1, be("odd"), "odd",
                name="odds", family="parity")  # fmt: skip


def _p_positive(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.compare(x, ">", lit(0)), lambda x, env: x > 0, be("positive"), "positive",
                name="positives", family="order", implies=("positive", "nonneg"))  # fmt: skip


def _p_negative(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.compare(x, "<", lit(0)), lambda x, env: x < 0, be("negative"), "negative",
                name="negatives", family="order")  # fmt: skip


def _p_nonzero(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.compare(x, "!=", lit(0)), lambda x, env: x != 0, be("non-zero"), "nonzero",
                name="nonzero", family="order", negatable=False)  # fmt: skip


def _p_compare(ctx: Ctx, facts, sample) -> Pred:
    op = ctx.pick("compare_ops")
    rhs, value, words, c = _int_arg(ctx, facts, sample)
    cmp = _CMP[op]
    implies = ("nonneg",) if op in (">", ">=") and c is not None and c >= 0 else ()
    return Pred(lambda x: x_.compare(x, op, rhs), lambda x, env: cmp(x, value(env)), be(_cmp_words(op, words)),
                "compare", family="order", implies=implies, negatable=op != "!=", narrow=op == "==")  # fmt: skip


def _p_divisible(ctx: Ctx, facts, sample) -> Pred:
    c = ctx.between("divisor")
    return Pred(lambda x: x_.compare(x_.binop(x, "%", lit(c)), "==", lit(0)), lambda x, env: x % c == 0,
                be(f"divisible by {c}"), "divisible", family="parity" if c == 2 else "divisible")  # fmt: skip


def _p_between(ctx: Ctx, facts, sample) -> Pred:
    d = _distinct(flat(sample))
    if len(d) >= 4:
        i = ctx.rng.randrange(0, len(d) // 2)
        j = ctx.rng.randrange(max(i + 1, len(d) // 2), len(d) - 1)
        lo, hi = d[i], d[j]
    else:
        lo = threshold(ctx, facts)
        hi = lo + ctx.between("count_span" if "count" in facts else "span")
    return Pred(lambda x: x_.chain(lit(lo), "<=", x, "<=", lit(hi)), lambda x, env: lo <= x <= hi,
                be(f"between {lo} and {hi} inclusive"), "between", family="order",
                implies=("nonneg",) if lo >= 0 else ())  # fmt: skip


def _attr_pred(ctx: Ctx, in_t: str, facts, sample) -> Pred:
    op = draw_op(ctx, in_t, "int", facts, sample, need_attr=True)
    value = op_caller(ctx, op)
    cmp = ctx.pick("compare_ops", exclude=("==", "!="))
    f = op.fn
    attrs = [[f(x, env) for x in row] for row, env in zip(sample, ctx.rows)]
    c = split_point(ctx, flat(attrs), op.facts)
    article = "an" if op.attr[0] in "aeiou" else "a"
    vp = verb("has", "have", f"{article} {op.attr} {_cmp_words(cmp, str(c))}")
    test = _CMP[cmp]
    return Pred(lambda x: x_.compare(value(x), cmp, lit(c)), lambda x, env: test(f(x, env), c), vp, "attr:" + op.key,
                family="attr:" + op.key, negatable=False)  # fmt: skip


def _p_int_attr(ctx: Ctx, facts, sample) -> Pred:
    return _attr_pred(ctx, "int", facts, sample)


def _p_str_attr(ctx: Ctx, facts, sample) -> Pred:
    return _attr_pred(ctx, "str", facts, sample)


def _length_arg(ctx: Ctx, sample: Sample) -> tuple[E, Fn, str]:
    """A length to compare with: a parameter near the row's word lengths, or a constant between them."""
    lengths = [[len(w) for w in row] for row in sample]
    if ctx.chance("param_argument"):
        p = ctx.param("int", flavor="small", role="length", near=lengths)
        if p is not None:
            nm = p.name
            return name(nm), (lambda env: env[nm]), nm
    c = split_point(ctx, flat(lengths), ("count",))
    return lit(c), (lambda env: c), str(c)


def _p_longer(ctx: Ctx, facts, sample) -> Pred:
    rhs, value, words = _length_arg(ctx, sample)
    return Pred(lambda x: x_.compare(x_.call("len", x), ">", rhs), lambda x, env: len(x) > value(env),
                be(f"longer than {words} characters"), "longer", name="long", family="length")  # fmt: skip


def _p_shorter(ctx: Ctx, facts, sample) -> Pred:
    rhs, value, words = _length_arg(ctx, sample)
    return Pred(lambda x: x_.compare(x_.call("len", x), "<", rhs), lambda x, env: len(x) < value(env),
                be(f"shorter than {words} characters"), "shorter", name="short", family="length")  # fmt: skip


def _p_length_is(ctx: Ctx, facts, sample) -> Pred:
    rhs, value, words = _length_arg(ctx, sample)
    return Pred(lambda x: x_.compare(x_.call("len", x), "==", rhs), lambda x, env: len(x) == value(env),
                verb("has", "have", f"exactly {words} characters"), "length_is", family="length",
                narrow=True)  # fmt: skip


def _affix(ctx: Ctx, facts, sample: Sample, where: str) -> str:
    """A prefix, suffix or inner piece that some (not all) of the strings have."""
    words = [w for w in _distinct(flat(sample)) if w.strip()]
    if words and ctx.rng.random() < 0.85:
        w = ctx.choice(words)
        n = 1 if len(w) < 3 or ctx.rng.random() < 0.6 else 2
        if where == "start":
            return w[:n]
        if where == "end":
            return w[-n:]
        i = ctx.rng.randrange(len(w) - n + 1)
        return w[i : i + n]
    pool = "upper_affixes" if "upper" in facts else "affixes"
    return ctx.choice(list(ctx.grammar.section("constants")[pool]))


def _p_starts(ctx: Ctx, facts, sample) -> Pred:
    a = _affix(ctx, facts, sample, "start")
    return Pred(lambda x: x_.method(x, "startswith", lit(a)), lambda x, env: x.startswith(a),
                verb("starts", "start", f"with {q(a)}"), "starts", family="start")  # fmt: skip


def _p_ends(ctx: Ctx, facts, sample) -> Pred:
    a = _affix(ctx, facts, sample, "end")
    return Pred(lambda x: x_.method(x, "endswith", lit(a)), lambda x, env: x.endswith(a),
                verb("ends", "end", f"with {q(a)}"), "ends", family="end")  # fmt: skip


def _p_contains(ctx: Ctx, facts, sample) -> Pred:
    a = _affix(ctx, facts, sample, "inside")
    return Pred(lambda x: x_.compare(lit(a), "in", x), lambda x, env: a in x, verb("contains", "contain", q(a)),
                "contains", family="contains")  # fmt: skip


def _p_digits_only(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.method(x, "isdigit"), lambda x, env: x.isdigit(), be("non-empty and made only of digits"),
                "digits_only", family="kind", implies=("digits",), narrow=True)  # fmt: skip


def _p_letters_only(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.method(x, "isalpha"), lambda x, env: x.isalpha(), be("non-empty and made only of letters"),
                "letters_only", family="kind", implies=("letters",))  # fmt: skip


def _p_palindrome(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.compare(x, "==", x_.index(x, "::-1")), lambda x, env: x == x[::-1],
                verb("reads", "read", "the same forwards and backwards"), "palindrome", name="palindromes",
                narrow=True)  # fmt: skip


def _p_same_ends(ctx: Ctx, facts, sample) -> Pred:
    def test(x: E) -> E:
        return x_.and_(
            x_.compare(x_.call("len", x), ">", lit(0)), x_.compare(x_.index(x, "0"), "==", x_.index(x, "-1"))
        )

    vp = VP(
        "is non-empty and starts and ends with the same character",
        "are non-empty and start and end with the same character",
        "is empty or starts and ends with different characters",
        "are empty or start and end with different characters",
    )
    return Pred(test, lambda x, env: len(x) > 0 and x[0] == x[-1], vp, "same_ends", family="start", narrow=True)


def _p_capitalized(ctx: Ctx, facts, sample) -> Pred:
    return Pred(lambda x: x_.method(x_.index(x, ":1"), "isupper"), lambda x, env: x[:1].isupper(),
                verb("starts", "start", "with an upper-case letter"), "capitalized", family="start")  # fmt: skip


def _p_count_twice(ctx: Ctx, facts, sample) -> Pred:
    twice = _distinct([ch for w in flat(sample) for ch in w if ch.isalpha() and w.count(ch) >= 2])
    ch = ctx.choice(twice) if twice else ctx.choice(list(ctx.grammar.section("constants")["twice_chars"]))
    return Pred(lambda x: x_.compare(x_.method(x, "count", lit(ch)), ">=", lit(2)), lambda x, env: x.count(ch) >= 2,
                verb("contains", "contain", f"{q(ch)} at least twice"), "count_twice", family="contains")  # fmt: skip


def _p_equals_param(ctx: Ctx, facts, sample) -> Pred:
    p = ctx.param("str", flavor="member", role="str_other", near=sample)
    if p is None:
        raise Failed("no room for a string parameter")
    nm = p.name
    return Pred(lambda x: x_.compare(x, "==", name(nm)), lambda x, env: x == env[nm], be(f"equal to {nm}"),
                "equals_param", family="solo")  # fmt: skip


def _be2(sg: str, pl: str) -> VP:
    return VP(f"is {sg}", f"are {pl}", f"is not {sg}", f"are not {pl}")


def _p_vowel(ctx: Ctx, facts, sample) -> Pred:
    vp = _be2("a vowel (a, e, i, o or u, in either case)", "vowels (a, e, i, o or u, in either case)")
    return Pred(lambda x: x_.compare(x, "in", lit(VOWELS)), lambda x, env: x in VOWELS, vp, "vowel", family="kind")


def _p_char_method(meth: str, sg: str, pl: str, key: str) -> Callable[[Ctx, tuple, Sample], Pred]:
    method = getattr(str, meth)

    def build(ctx: Ctx, facts, sample) -> Pred:
        return Pred(lambda x: x_.method(x, meth), lambda x, env: method(x), _be2(sg, pl), key,
                    family="kind" if key != "upper" else "case")  # fmt: skip

    return build


def _p_char_is(ctx: Ctx, facts, sample) -> Pred:
    ch = char_const(ctx, sample, facts)
    return Pred(lambda x: x_.compare(x, "==", lit(ch)), lambda x, env: x == ch, _be2(q(ch), q(ch)), "char_is",
                family="kind")  # fmt: skip


def _p_char_in_param(ctx: Ctx, facts, sample) -> Pred:
    p = ctx.param("str", flavor="chars", role="chars", near=sample)
    if p is None:
        raise Failed("no room for a string parameter")
    nm = p.name
    vp = _be2(f"one of the characters of {nm}", f"among the characters of {nm}")
    return Pred(
        lambda x: x_.compare(x, "in", name(nm)), lambda x, env: x in env[nm], vp, "char_in_param", family="kind"
    )


_PREDS: dict[str, dict[str, Callable[[Ctx, tuple, Sample], Pred]]] = {
    "int": {
        "even": _p_even,
        "odd": _p_odd,
        "positive": _p_positive,
        "negative": _p_negative,
        "nonzero": _p_nonzero,
        "compare": _p_compare,
        "divisible": _p_divisible,
        "between": _p_between,
        "attr": _p_int_attr,
    },
    "str": {
        "longer": _p_longer,
        "shorter": _p_shorter,
        "length_is": _p_length_is,
        "starts": _p_starts,
        "ends": _p_ends,
        "contains": _p_contains,
        "digits_only": _p_digits_only,
        "letters_only": _p_letters_only,
        "palindrome": _p_palindrome,
        "same_ends": _p_same_ends,
        "capitalized": _p_capitalized,
        "count_twice": _p_count_twice,
        "attr": _p_str_attr,
        "equals_param": _p_equals_param,
    },
    "char": {
        "vowel": _p_vowel,
        "digit": _p_char_method("isdigit", "a digit", "digits", "digit"),
        "letter": _p_char_method("isalpha", "a letter", "letters", "letter"),
        "upper": _p_char_method("isupper", "an upper-case letter", "upper-case letters", "upper"),
        "lower": _p_char_method("islower", "a lower-case letter", "lower-case letters", "lower"),
        "space": _p_char_method("isspace", "a whitespace character", "whitespace characters", "space"),
        "char_is": _p_char_is,
        "char_in_param": _p_char_in_param,
    },
}

# A value known to satisfy a fact makes these tests (and operations) constant or pointless.
_CONTRADICTED: dict[str, tuple[str, ...]] = {
    "nonneg": ("negative",),
    "positive": ("negative", "positive", "nonzero"),
    "count": ("negative",),
    "upper": ("lower", "capitalized"),
    "lower": ("upper", "capitalized"),
    "digits": ("letters_only", "capitalized", "digits_only", "upper", "lower", "title", "capitalize", "swapcase",
               "caesar", "letter", "vowel"),
    "letters": ("letters_only", "digits_only", "digit", "digit_total", "to_int"),
    "word": ("word_count", "space"),
    "single": ("longer", "shorter", "length_is", "count_twice", "palindrome", "same_ends", "word_count", "reverse",
               "slice", "sort_chars", "rotate", "collapse_runs", "dedupe_chars", "distinct_chars", "length",
               "map_chars", "filter_chars", "count_chars", "caesar", "attr", "digit_total"),
}  # fmt: skip

# Test keys by the property they look at: one chain does not filter twice on one property.
_KEY_FAMILY = {
    "even": "parity", "odd": "parity", "positive": "order", "negative": "order", "nonzero": "order",
    "compare": "order", "between": "order", "longer": "length", "shorter": "length", "length_is": "length",
    "starts": "start", "capitalized": "start", "same_ends": "start", "ends": "end", "digits_only": "kind",
    "letters_only": "kind", "contains": "contains", "count_twice": "contains",
}  # fmt: skip


def contradicted(facts: tuple[str, ...]) -> list[str]:
    return [k for f in facts for k in _CONTRADICTED.get(f, ())]


def _splits(pred: Pred, sample: Sample, ctx: Ctx) -> bool:
    """Whether some occurring element passes the test and some fails it."""
    seen = set()
    for row, env in zip(sample, ctx.rows):
        for x in row:
            seen.add(bool(pred.fn(x, env)))
            if len(seen) == 2:
                return True
    return False


def draw_pred(
    ctx: Ctx,
    elem_t: str,
    facts: tuple[str, ...],
    sample: Sample,
    *,
    simple: bool = False,
    allowed: tuple[str, ...] | None = None,
) -> Pred:
    """A test of one element of type ``elem_t`` ("int", "str", "char") that some sampled elements pass
    and some fail (when the sample allows it); maybe negated or combined with a second test."""
    exclude = contradicted(facts)
    if simple:
        exclude.append("attr")  # no operation inside a simple test: keeps ladders and loops flat
    else:
        exclude += [k for k, fam in _KEY_FAMILY.items() if fam in ctx.families]
    pred = None
    for _ in range(8):
        key = ctx.pick(f"preds.{elem_t}", allowed=allowed, exclude=exclude)
        snap = ctx.snapshot()
        try:
            candidate = _PREDS[elem_t][key](ctx, facts, sample)
        except Failed:
            ctx.restore(snap)
            exclude.append(key)
            continue
        if _splits(candidate, sample, ctx):
            pred = candidate
            break
        ctx.restore(snap)
        exclude.append(key)
    if pred is None:
        raise Failed(f"no test of {elem_t} tells the sampled values apart")
    if not simple and pred.key in _KEY_FAMILY:
        ctx.families.append(_KEY_FAMILY[pred.key])
    if simple:
        return pred
    if pred.negatable and ctx.chance("negate_pred"):
        return replace(
            pred,
            test=lambda x, t=pred.test: x_.not_(t(x)),
            fn=lambda x, env, f=pred.fn: not f(x, env),
            vp=pred.vp.negated(),
            implies=(),
            name="",
        )
    if ctx.chance("compound_pred"):
        exclude.append(pred.key)
        snap = ctx.snapshot()
        try:
            other = _PREDS[elem_t][ctx.pick(f"preds.{elem_t}", allowed=allowed, exclude=exclude)](ctx, facts, sample)
        except Failed:
            ctx.restore(snap)
            return pred
        if (other.family and other.family == pred.family) or "solo" in (pred.family, other.family):
            ctx.restore(snap)
            return pred
        word = "or" if pred.narrow or other.narrow else ctx.choice(["and", "or"])
        join = x_.and_ if word == "and" else x_.or_
        fa, fb = pred.fn, other.fn
        combined = Pred(
            lambda x, a=pred.test, b=other.test: join(a(x), b(x)),
            (lambda x, env: fa(x, env) and fb(x, env)) if word == "and" else (lambda x, env: fa(x, env) or fb(x, env)),
            pred.vp.both(other.vp, word),
            f"{pred.key}+{other.key}",
            negatable=False,
            family=pred.family,
            implies=tuple(f for f in pred.implies if f in other.implies)
            if word == "or"
            else pred.implies + other.implies,
        )
        if _splits(combined, sample, ctx):
            return combined
        ctx.restore(snap)
    return pred


# --- operations: int -> int ---------------------------------------------------------------------


def _nonneg(facts) -> tuple[str, ...]:
    return tuple(f for f in facts if f == "nonneg")


def _o_scale(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("scale")
    return Op(
        "int", "int", "scale",
        noun=lambda r: f"{r} multiplied by {c}",
        fn=lambda x, env: x * c,
        expr=lambda x: x_.binop(x, "*", lit(c)),
        verb=lambda r: f"multiply {r} by {c}",
        past=f"multiplied by {c}",
        facts=_nonneg(facts),
    )  # fmt: skip


def _o_shift(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("shift")
    if ctx.chance("half"):
        return Op(
            "int", "int", "shift",
            noun=lambda r: f"{r} plus {c}",
            fn=lambda x, env: x + c,
            expr=lambda x: x_.binop(x, "+", lit(c)),
            verb=lambda r: f"add {c} to {r}",
            past=f"increased by {c}",
            facts=_nonneg(facts),
        )  # fmt: skip
    return Op(
        "int", "int", "shift",
        noun=lambda r: f"{r} minus {c}",
        fn=lambda x, env: x - c,
        expr=lambda x: x_.binop(x, "-", lit(c)),
        verb=lambda r: f"subtract {c} from {r}",
        past=f"decreased by {c}",
    )  # fmt: skip


def _o_square(ctx: Ctx, facts, sample) -> Op:
    if ctx.chance("half"):
        expr = lambda x: x_.binop(x, "*", x)
    else:
        expr = lambda x: x_.binop(x, "**", lit(2))
    return Op(
        "int", "int", "square",
        noun=lambda r: r.of("square"),
        fn=lambda x, env: x * x,
        expr=expr,
        verb=lambda r: f"square {r}",
        past="squared",
        facts=("nonneg",),
        elem=("square", "squares"),
    )  # fmt: skip


def _o_mod(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("modulus")
    return Op(
        "int", "int", "mod",
        noun=lambda r: f"{r} modulo {c}",
        fn=lambda x, env: x % c,
        expr=lambda x: x_.binop(x, "%", lit(c)),
        verb=lambda r: f"reduce {r} modulo {c}",
        past=f"reduced modulo {c}",
        attr=f"remainder modulo {c}",
        facts=("nonneg", "count"),
    )  # fmt: skip


def _o_floordiv(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("divisor")
    return Op(
        "int", "int", "floordiv",
        noun=lambda r: f"{r} divided by {c} and rounded down",
        fn=lambda x, env: x // c,
        expr=lambda x: x_.binop(x, "//", lit(c)),
        verb=lambda r: f"divide {r} by {c}, rounding down",
        past=f"divided by {c} and rounded down",
        facts=_nonneg(facts),
    )  # fmt: skip


def _o_safe_div(ctx: Ctx, facts, sample) -> Op:
    """Division by a value that is never zero: ``x // (abs(k) % m + 1)``."""
    p = ctx.param("int", flavor="small", role="threshold")
    if p is None:
        raise Failed("no room for a divisor parameter")
    m = ctx.between("modulus")
    nm = p.name
    divisor = x_.binop(x_.binop(x_.call("abs", name(nm)), "%", lit(m)), "+", lit(1))
    d = f"where d is one more than the absolute value of {nm} modulo {m}"
    return Op(
        "int", "int", "safe_div",
        noun=lambda r: f"{r} divided by d and rounded down, {d}",
        fn=lambda x, env: x // (abs(env[nm]) % m + 1),
        expr=lambda x: x_.binop(x, "//", divisor),
        verb=lambda r: f"divide {r} by d, rounding down, {d}",
        past=f"divided by d and rounded down, {d}",
        uses_param=True,
    )  # fmt: skip


def _o_abs(ctx: Ctx, facts, sample) -> Op:
    if "nonneg" in facts:
        raise Failed("already non-negative")
    return Op(
        "int", "int", "abs",
        noun=lambda r: r.of("absolute value"),
        fn=lambda x, env: abs(x),
        expr=lambda x: x_.call("abs", x),
        verb=lambda r: f"replace {r} by its absolute value" if not r.pronoun else "take its absolute value",
        attr="absolute value",
        facts=("nonneg",),
    )  # fmt: skip


def _o_negate(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "int", "int", "negate",
        noun=lambda r: r.of("negation"),
        fn=lambda x, env: -x,
        expr=lambda x: x_.neg(x),
        verb=lambda r: f"flip the sign of {r}",
        past="with its sign flipped",
    )  # fmt: skip


def _o_clamp(ctx: Ctx, facts, sample) -> Op:
    d = _distinct(flat(sample))
    if len(d) >= 4:
        lo, hi = d[len(d) // 4], d[(3 * len(d)) // 4]
    else:
        lo, hi = ctx.between("clamp_low"), ctx.between("clamp_high")
    if lo >= hi:
        raise Failed("empty clamp range")
    words = f"the range from {lo} to {hi}"
    return Op(
        "int", "int", "clamp",
        noun=lambda r: f"{r} clamped to {words}",
        fn=lambda x, env: min(max(x, lo), hi),
        expr=lambda x: x_.call("min", x_.call("max", x, lit(lo)), lit(hi)),
        verb=lambda r: f"clamp {r} to {words}",
        past=f"clamped to {words}",
    )  # fmt: skip


def _o_piecewise(ctx: Ctx, facts, sample) -> Op:
    return _piecewise(ctx, "int", "int", facts, sample, helper="adjust")


def _piecewise(ctx: Ctx, in_t: str, out_t: str, facts, sample, *, helper: str, labels: list[str] | None = None) -> Op:
    """An if/elif/else ladder over simple operations (or constant labels): ``a if p else (c if q else b)``."""
    three = ctx.chance("elif") and (labels is None or len(labels) >= 3)
    p = draw_pred(ctx, in_t, facts, sample, simple=True)
    snap = ctx.snapshot()
    q2 = draw_pred(ctx, in_t, facts, sample, simple=True) if three else None
    if q2 is not None and q2.key == p.key:
        ctx.restore(snap)  # a second test of the same kind reads badly; drop it (and any parameter it added)
        q2 = None
    n = 3 if q2 is not None else 2
    if labels is not None:
        branch = [lambda x, s=s: lit(s) for s in labels[:n]]
        words = [lambda r, s=s: q(s) for s in labels[:n]]
        models = [lambda x, env, s=s: s for s in labels[:n]]
    else:
        ops: list[Op] = []
        for _ in range(n):
            ops.append(draw_op(ctx, in_t, out_t, facts, sample, simple=True, exclude=[o.key for o in ops]))
        branch = [o.expr for o in ops]
        words = [o.noun for o in ops]
        models = [o.fn for o in ops]
    tests = [p] if q2 is None else [p, q2]

    def fn(x: Any, env: dict) -> Any:
        for t, m in zip(tests, models):
            if t.fn(x, env):
                return m(x, env)
        return models[-1](x, env)

    def expr(x: E) -> E:
        out = branch[-1](x)
        for t, b in reversed(list(zip(tests, branch))):
            out = x_.cond(b(x), t.test(x), out)
        return out

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        lines: list[Line] = []
        for i, (t, b) in enumerate(zip(tests, branch)):
            lines.append((0, f"{'if' if i == 0 else 'elif'} {t.test(x)}:"))
            lines.append((1, f"{target} = {b(x)}"))
        lines += [(0, "else:"), (1, f"{target} = {branch[-1](x)}")]
        return lines

    def body(ctx: Ctx, param: str, fname: str) -> list[Line]:
        x = name(param)
        lines: list[Line] = []
        for t, b in zip(tests, branch):
            lines += [(0, f"if {t.test(x)}:"), (1, f"return {b(x)}")]
        return lines + [(0, f"return {branch[-1](x)}")]

    def noun(r: Ref) -> str:
        parts = [f"{words[0](r)} if {r.text} {p.vp.sg}"]
        if q2 is not None:
            parts.append(f"{words[1](IT)} if it {q2.vp.sg}")
        parts.append(f"{words[-1](IT)} otherwise")
        return ", ".join(parts[:-1]) + ", and " + parts[-1]

    return Op(
        in_t, out_t, "piecewise" if labels is None else "labels",
        noun=noun, fn=fn, expr=expr, stmts=stmts, depth=1, body=body, helper=helper,
        elem=("label", "labels") if labels is not None else None,
        facts=("letters",) if labels is not None else (),
    )  # fmt: skip


def _digit_sum(x: int) -> int:
    return sum(int(d) for d in str(abs(x)))


def _o_digit_sum(ctx: Ctx, facts, sample) -> Op:
    recursive = ctx.recursive()

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        m = ctx.fresh("rest")
        return [
            (0, f"{m} = {x_.call('abs', x)}"),
            (0, f"{target} = 0"),
            (0, f"while {m} > 0:"),
            (1, f"{target} += {m} % 10"),
            (1, f"{m} //= 10"),
        ]

    def body(ctx: Ctx, p: str, fname: str) -> list[Line]:
        return [(0, f"if {p} < 10:"), (1, f"return {p}"), (0, f"return {p} % 10 + {fname}({p} // 10)")]

    return Op(
        "int", "int", "digit_sum",
        noun=lambda r: f"the sum of {r.of('digits')} (ignoring the sign)",
        fn=lambda x, env: _digit_sum(x),
        expr=lambda x: x_.call("sum", x_.genexp(x_.call("int", name("d")), "d", x_.call("str", x_.call("abs", x)))),
        stmts=stmts, depth=1, uses_while=True,
        body=body if recursive else None, recursive=recursive,
        call_arg=(lambda x: x_.call("abs", x)) if recursive else None,
        attr="digit sum", helper="digit_sum", facts=("nonneg",), elem=("digit sum", "digit sums"),
    )  # fmt: skip


def _o_digit_count(ctx: Ctx, facts, sample) -> Op:
    recursive = ctx.recursive()

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        m = ctx.fresh("rest")
        return [
            (0, f"{m} = {x_.call('abs', x)}"),
            (0, f"{target} = 1"),
            (0, f"while {m} >= 10:"),
            (1, f"{m} //= 10"),
            (1, f"{target} += 1"),
        ]

    def body(ctx: Ctx, p: str, fname: str) -> list[Line]:
        return [(0, f"if {p} < 10:"), (1, "return 1"), (0, f"return 1 + {fname}({p} // 10)")]

    return Op(
        "int", "int", "digit_count",
        noun=lambda r: f"the number of {r.of('decimal digits')} (ignoring the sign)",
        fn=lambda x, env: len(str(abs(x))),
        expr=lambda x: x_.call("len", x_.call("str", x_.call("abs", x))),
        stmts=stmts, depth=1, uses_while=True,
        body=body if recursive else None, recursive=recursive,
        call_arg=(lambda x: x_.call("abs", x)) if recursive else None,
        attr="number of digits", helper="count_digits", facts=("nonneg", "count", "positive"),
    )  # fmt: skip


def _o_reverse_digits(ctx: Ctx, facts, sample) -> Op:
    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        m = ctx.fresh("rest")
        return [
            (0, f"{m} = {x_.call('abs', x)}"),
            (0, f"{target} = 0"),
            (0, f"while {m} > 0:"),
            (1, f"{target} = {target} * 10 + {m} % 10"),
            (1, f"{m} //= 10"),
        ]

    return Op(
        "int", "int", "reverse_digits",
        noun=lambda r: f"the number written with {r.of('digits')} in reverse order (ignoring the sign)",
        fn=lambda x, env: int(str(abs(x))[::-1]),
        expr=lambda x: x_.call("int", x_.index(x_.call("str", x_.call("abs", x)), "::-1")),
        stmts=stmts, depth=1, uses_while=True, helper="reverse_digits", facts=("nonneg",),
    )  # fmt: skip


def _o_digit_max(ctx: Ctx, facts, sample) -> Op:
    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        m = ctx.fresh("rest")
        return [
            (0, f"{m} = {x_.call('abs', x)}"),
            (0, f"{target} = 0"),
            (0, f"while {m} > 0:"),
            (1, f"if {m} % 10 > {target}:"),
            (2, f"{target} = {m} % 10"),
            (1, f"{m} //= 10"),
        ]

    return Op(
        "int", "int", "digit_max",
        noun=lambda r: r.of("largest decimal digit"),
        fn=lambda x, env: max(int(d) for d in str(abs(x))),
        expr=lambda x: x_.call("max", x_.genexp(x_.call("int", name("d")), "d", x_.call("str", x_.call("abs", x)))),
        stmts=stmts, depth=2, uses_while=True, helper="largest_digit", attr="largest digit",
        facts=("nonneg", "digit"),
    )  # fmt: skip


def _o_odd_digit_sum(ctx: Ctx, facts, sample) -> Op:
    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        m, d = ctx.fresh("rest"), ctx.fresh("digit")
        return [
            (0, f"{m} = {x_.call('abs', x)}"),
            (0, f"{target} = 0"),
            (0, f"while {m} > 0:"),
            (1, f"{d} = {m} % 10"),
            (1, f"if {d} % 2 == 1:"),
            (2, f"{target} += {d}"),
            (1, f"{m} //= 10"),
        ]

    def expr(x: E) -> E:
        d = name("d")
        odd = x_.compare(x_.binop(x_.call("int", d), "%", lit(2)), "==", lit(1))
        return x_.call("sum", x_.genexp(x_.call("int", d), "d", x_.call("str", x_.call("abs", x)), odd))

    return Op(
        "int", "int", "odd_digit_sum",
        noun=lambda r: f"the sum of {r.of('odd decimal digits')}",
        fn=lambda x, env: sum(int(d) for d in str(abs(x)) if int(d) % 2 == 1),
        expr=expr, stmts=stmts, depth=2, uses_while=True, helper="odd_digit_sum", facts=("nonneg",),
    )  # fmt: skip


def _o_divisor_count(ctx: Ctx, facts, sample) -> Op:
    cap = ctx.between("loop_cap")
    bound = lambda x: x_.binop(x_.call("min", x_.call("abs", x), lit(cap)), "+", lit(1))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        d = ctx.fresh("d")
        return [
            (0, f"{target} = 0"),
            (0, f"for {d} in range(1, {bound(x)}):"),
            (1, f"if {x} % {d} == 0:"),
            (2, f"{target} += 1"),
        ]

    def expr(x: E) -> E:
        d = name("d")
        return x_.call("sum", x_.genexp(lit(1), "d", x_.call("range", lit(1), bound(x)),
                                        x_.compare(x_.binop(x, "%", d), "==", lit(0))))  # fmt: skip

    return Op(
        "int", "int", "divisor_count",
        noun=lambda r: f"the number of {r.of('positive divisors')} that are at most {cap} (0 for 0)",
        fn=lambda x, env: sum(1 for d in range(1, min(abs(x), cap) + 1) if x % d == 0),
        expr=expr, stmts=stmts, depth=2, helper="count_divisors", facts=("nonneg", "count"),
    )  # fmt: skip


def _collatz(x: int, cap: int) -> int:
    steps = 0
    while x > 1 and steps < cap:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        steps += 1
    return steps


def _o_collatz(ctx: Ctx, facts, sample) -> Op:
    cap = ctx.between("collatz_cap")

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        m = ctx.fresh("value")
        return [
            (0, f"{m} = {x}"),
            (0, f"{target} = 0"),
            (0, f"while {m} > 1 and {target} < {cap}:"),
            (1, f"if {m} % 2 == 0:"),
            (2, f"{m} //= 2"),
            (1, "else:"),
            (2, f"{m} = 3 * {m} + 1"),
            (1, f"{target} += 1"),
        ]

    return Op(
        "int", "int", "collatz",
        noun=lambda r: (
            f"the number of steps needed to bring {r.text} down to 1 or less by repeatedly halving it when it is even "
            f"and tripling it and adding one when it is odd, stopping after {cap} steps"
        ),
        fn=lambda x, env: _collatz(x, cap),
        stmts=stmts, depth=2, uses_while=True, helper="collatz_steps", facts=("nonneg",),
    )  # fmt: skip


def _o_triangular(ctx: Ctx, facts, sample) -> Op:
    cap = ctx.between("loop_cap")
    recursive = ctx.recursive()
    bound = lambda x: x_.call("min", x_.call("abs", x), lit(cap))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        i = ctx.fresh("i")
        return [
            (0, f"{target} = 0"),
            (0, f"for {i} in range(1, {x_.binop(bound(x), '+', lit(1))}):"),
            (1, f"{target} += {i}"),
        ]

    def body(ctx: Ctx, p: str, fname: str) -> list[Line]:
        return [(0, f"if {p} <= 0:"), (1, "return 0"), (0, f"return {p} + {fname}({p} - 1)")]

    return Op(
        "int", "int", "triangular",
        noun=lambda r: f"the sum of all integers from 1 to m, where m is {r.of('absolute value')} capped at {cap}",
        fn=lambda x, env: sum(range(min(abs(x), cap) + 1)),
        expr=lambda x: x_.call("sum", x_.call("range", x_.binop(bound(x), "+", lit(1)))),
        stmts=stmts, depth=1, body=body if recursive else None, recursive=recursive,
        call_arg=bound if recursive else None, helper="triangle", facts=("nonneg",),
    )  # fmt: skip


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _o_fibonacci(ctx: Ctx, facts, sample) -> Op:
    recursive = ctx.recursive()
    cap = ctx.between("fib_cap_recursive" if recursive else "fib_cap")
    bound = lambda x: x_.call("min", x_.call("abs", x), lit(cap))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        b = ctx.fresh("following")
        return [
            (0, f"{target}, {b} = 0, 1"),
            (0, f"for _ in range({bound(x)}):"),
            (1, f"{target}, {b} = {b}, {target} + {b}"),
        ]

    def body(ctx: Ctx, p: str, fname: str) -> list[Line]:
        return [(0, f"if {p} < 2:"), (1, f"return {p}"), (0, f"return {fname}({p} - 1) + {fname}({p} - 2)")]

    return Op(
        "int", "int", "fibonacci",
        noun=lambda r: (
            f"the Fibonacci number at position m (the sequence 0, 1, 1, 2, 3, 5, 8 and so on, from position 0), "
            f"where m is {r.of('absolute value')} capped at {cap}"
        ),
        fn=lambda x, env: _fib(min(abs(x), cap)),
        stmts=stmts, depth=1, body=body if recursive else None, recursive=recursive,
        call_arg=bound if recursive else None, helper="fibonacci", facts=("nonneg",),
    )  # fmt: skip


def _o_gcd(ctx: Ctx, facts, sample) -> Op:
    if ctx.chance("param_argument"):
        p = ctx.param("int", flavor="small", role="threshold")
        if p is None:
            raise Failed("no room for a parameter")
        nm = p.name
        other, words, value = x_.call("abs", name(nm)), nm, (lambda env: env[nm])
    else:
        c = ctx.between("gcd_other")
        other, words, value = lit(c), str(c), (lambda env: c)

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        b = ctx.fresh("other")
        return [
            (0, f"{target}, {b} = {x_.call('abs', x)}, {other}"),
            (0, f"while {b} > 0:"),
            (1, f"{target}, {b} = {b}, {target} % {b}"),
        ]

    return Op(
        "int", "int", "gcd",
        noun=lambda r: f"the greatest common divisor of {r.text} and {words} (0 when both are 0)",
        fn=lambda x, env: math.gcd(x, value(env)),
        stmts=stmts, depth=1, uses_while=True, helper="gcd", facts=("nonneg",),
    )  # fmt: skip


# --- operations: int -> str ---------------------------------------------------------------------


def _o_to_str(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "int", "str", "to_str",
        noun=lambda r: f"{r} written in decimal as a string",
        fn=lambda x, env: str(x),
        expr=lambda x: x_.call("str", x),
        verb=lambda r: f"write {r} in decimal as a string",
        past="written in decimal as a string",
        facts=("digits",),
    )  # fmt: skip


def _o_padded(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("pad_width")
    return Op(
        "int", "str", "padded",
        noun=lambda r: f"{r} written in decimal, padded with zeros after any minus sign to at least {c} characters",
        fn=lambda x, env: str(x).zfill(c),
        expr=lambda x: x_.method(x_.call("str", x), "zfill", lit(c)),
        past=f"written in decimal and zero-padded to at least {c} characters",
        facts=("digits",),
    )  # fmt: skip


def _o_bar(ctx: Ctx, facts, sample) -> Op:
    cap = ctx.between("repeat_cap")
    ch = ctx.choice(list(ctx.grammar.section("constants")["fill"]))
    return Op(
        "int", "str", "bar",
        noun=lambda r: f"a string of m copies of {q(ch)}, where m is {r.of('absolute value')} capped at {cap}",
        fn=lambda x, env: ch * min(abs(x), cap),
        expr=lambda x: x_.binop(lit(ch), "*", x_.call("min", x_.call("abs", x), lit(cap))),
    )  # fmt: skip


def _labels(ctx: Ctx) -> list[str]:
    return list(ctx.choice(list(ctx.grammar.section("constants")["labels"])))


def _o_int_labels(ctx: Ctx, facts, sample) -> Op:
    return _piecewise(ctx, "int", "str", facts, sample, helper="classify", labels=_labels(ctx))


# --- operations: str -> str ---------------------------------------------------------------------


def _case(meth: str, words: str, past: str, fact: str | None) -> Callable[[Ctx, tuple, Sample], Op]:
    method = getattr(str, meth)

    def build(ctx: Ctx, facts, sample) -> Op:
        if fact is not None and fact in facts:
            raise Failed("already in that case")
        verb_ = (lambda r: f"convert {r} to {words[3:]}") if words.startswith("in ") else None
        return Op(
            "str", "str", "case",
            noun=lambda r: f"{r} {words}",
            fn=lambda x, env: method(x),
            expr=lambda x: x_.method(x, meth),
            verb=verb_,
            past=past,
            facts=(fact,) if fact else (),
        )  # fmt: skip

    return build


def _o_swapcase(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "str", "str", "case",
        noun=lambda r: f"{r} with the case of every letter swapped",
        fn=lambda x, env: x.swapcase(),
        expr=lambda x: x_.method(x, "swapcase"),
        verb=lambda r: f"swap the case of every letter of {r}",
        past="with the case of every letter swapped",
    )  # fmt: skip


def _o_strip(ctx: Ctx, facts, sample) -> Op:
    kind = ctx.choice(["strip", "lstrip", "rstrip"])
    method = getattr(str, kind)
    side = {"strip": "leading and trailing", "lstrip": "leading", "rstrip": "trailing"}[kind]
    if ctx.chance("half"):
        return Op(
            "str", "str", "strip",
            noun=lambda r: f"{r} without {side} whitespace",
            fn=lambda x, env: method(x),
            expr=lambda x: x_.method(x, kind),
            verb=lambda r: f"remove {side} whitespace from {r}",
            past=f"without {side} whitespace",
        )  # fmt: skip
    ends = [w[0] for w in flat(sample) if w] + [w[-1] for w in flat(sample) if w]
    ends = [c for c in _distinct(ends) if not c.isspace()]
    chars = ctx.choice(ends) if ends else ctx.choice(list(ctx.grammar.section("constants")["strip_chars"]))
    if len(chars) == 1 and ends and ctx.chance("half"):
        other = ctx.choice(ends)
        chars = "".join(_distinct([chars, other]))
    return Op(
        "str", "str", "strip",
        noun=lambda r: f"{r} with every {side} character that occurs in {q(chars)} removed",
        fn=lambda x, env: method(x, chars),
        expr=lambda x: x_.method(x, kind, lit(chars)),
        verb=lambda r: f"remove from {r} every {side} character that occurs in {q(chars)}",
        past=f"with every {side} character that occurs in {q(chars)} removed",
    )  # fmt: skip


def _o_reverse(ctx: Ctx, facts, sample) -> Op:
    recursive = ctx.recursive()

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [(0, f"{target} = ''"), (0, f"for {ch} in {x}:"), (1, f"{target} = {ch} + {target}")]

    def body(ctx: Ctx, p: str, fname: str) -> list[Line]:
        return [(0, f"if len({p}) <= 1:"), (1, f"return {p}"), (0, f"return {fname}({p}[1:]) + {p}[0]")]

    return Op(
        "str", "str", "reverse",
        noun=lambda r: f"{r} reversed",
        fn=lambda x, env: x[::-1],
        expr=lambda x: x_.index(x, "::-1"),
        stmts=stmts, depth=1, body=body if recursive else None, recursive=recursive,
        verb=lambda r: f"reverse {r}", past="reversed", helper="reverse_text",
    )  # fmt: skip


def _o_replace(ctx: Ctx, facts, sample) -> Op:
    old = char_const(ctx, sample, facts)
    new = ctx.choice([c for c in ctx.grammar.section("constants")["replacements"] if c != old])
    if new:
        past, verb_ = (
            f"with every {q(old)} replaced by {q(new)}",
            (lambda r: f"replace every {q(old)} in {r} by {q(new)}"),
        )
    else:
        past, verb_ = f"with every {q(old)} removed", (lambda r: f"remove every {q(old)} from {r}")
    return Op(
        "str", "str", "replace",
        noun=lambda r: f"{r} {past}",
        fn=lambda x, env: x.replace(old, new),
        expr=lambda x: x_.method(x, "replace", lit(old), lit(new)),
        verb=verb_,
        past=past,
    )  # fmt: skip


def _o_slice(ctx: Ctx, facts, sample) -> Op:
    kind = ctx.pick("str_slices")
    c = ctx.between("slice")
    first, last = _counted("first", c, "character"), _counted("last", c, "character")
    table = {
        "head": (f":{c}", slice(None, c), lambda r: f"{r.of(first)} (all of it if it is shorter)",
                 f"cut to its {first}", lambda r: f"cut {r} to its {first}"),
        "tail": (f"-{c}:", slice(-c, None), lambda r: f"{r.of(last)} (all of it if it is shorter)",
                 f"cut to its {last}", lambda r: f"cut {r} to its {last}"),
        "drop_first": ("1:", slice(1, None), lambda r: f"{r} without its first character",
                       "without its first character", lambda r: f"remove the first character of {r}"),
        "drop_last": (":-1", slice(None, -1), lambda r: f"{r} without its last character", "without its last character",
                      lambda r: f"remove the last character of {r}"),
        "every_other": ("::2", slice(None, None, 2),
                        lambda r: f"every other character of {r.text}, starting with the first",
                        "reduced to every other character, starting with the first",
                        lambda r: f"keep every other character of {r}, starting with the first"),
        "inner": ("1:-1", slice(1, -1), lambda r: f"{r} without its first and last characters",
                  "without its first and last characters", lambda r: f"remove the first and the last character of {r}"),
    }  # fmt: skip
    idx, sl, noun, past, verb_ = table[kind]
    return Op(
        "str", "str", "slice:" + kind,
        noun=noun, fn=lambda x, env: x[sl], expr=lambda x: x_.index(x, idx), past=past, verb=verb_,
    )  # fmt: skip


def _counted(which: str, c: int, noun: str) -> str:
    """``first 3 characters``, ``first character``."""
    return f"{which} {noun}" if c == 1 else f"{which} {c} {noun}s"


def _o_pad(ctx: Ctx, facts, sample) -> Op:
    kind = ctx.pick("pad_methods")
    c = ctx.between("pad_width")
    fill = ctx.choice(list(ctx.grammar.section("constants")["fill"]))
    width = f"at least {c} characters"
    if kind == "zfill":
        return Op(
            "str", "str", "pad",
            noun=lambda r: f"{r} padded on the left with zeros (after a leading sign, if any) to {width}",
            verb=lambda r: f"pad {r} on the left with zeros (after a leading sign, if any) to {width}",
            fn=lambda x, env: x.zfill(c),
            expr=lambda x: x_.method(x, "zfill", lit(c)),
            past=f"padded on the left with zeros to at least {c} characters",
        )  # fmt: skip
    method = getattr(str, kind)
    side = {"ljust": "on the right", "rjust": "on the left", "center": "on both sides"}[kind]
    extra = " (any odd padding character goes where Python's centering puts it)" if kind == "center" else ""
    return Op(
        "str", "str", "pad",
        noun=lambda r: f"{r} padded {side} with {q(fill)} to at least {c} characters{extra}",
        verb=lambda r: f"pad {r} {side} with {q(fill)} to at least {c} characters{extra}",
        fn=lambda x, env: method(x, c, fill),
        expr=lambda x: x_.method(x, kind, lit(c), lit(fill)),
        past=f"padded {side} with {q(fill)} to at least {c} characters{extra}",
    )  # fmt: skip


def _o_affix(ctx: Ctx, facts, sample) -> Op:
    a = ctx.choice(list(ctx.grammar.section("constants")["suffixes"]))
    if ctx.chance("half"):
        return Op(
            "str", "str", "affix",
            noun=lambda r: f"{r} followed by {q(a)}",
            fn=lambda x, env: x + a,
            expr=lambda x: x_.binop(x, "+", lit(a)),
            verb=lambda r: f"append {q(a)} to {r}",
            past=f"followed by {q(a)}",
        )  # fmt: skip
    return Op(
        "str", "str", "affix",
        noun=lambda r: f"{q(a)} followed by {r}",
        fn=lambda x, env: a + x,
        expr=lambda x: x_.binop(lit(a), "+", x),
        verb=lambda r: f"put {q(a)} in front of {r}",
        past=f"preceded by {q(a)}",
    )  # fmt: skip


def _o_repeat(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("repeat")
    times = {2: "twice", 3: "three times"}.get(c, f"{c} times")
    return Op(
        "str", "str", "repeat",
        noun=lambda r: f"{r} repeated {times}",
        fn=lambda x, env: x * c,
        expr=lambda x: x_.binop(x, "*", lit(c)),
        verb=lambda r: f"repeat {r} {times}",
        past=f"repeated {times}",
    )  # fmt: skip


def _o_filter_chars(ctx: Ctx, facts, sample) -> Op:
    p = draw_pred(ctx, "char", _char_facts(facts), chars_of(sample), simple=True)
    keep = ctx.chance("half")
    test = p.test if keep else (lambda x: x_.not_(p.test(x)))
    vp = p.vp if keep else p.vp.negated()
    pf = p.fn

    def fn(x: str, env: dict) -> str:
        return "".join(ch for ch in x if bool(pf(ch, env)) == keep)

    def expr(x: E) -> E:
        ch = name("ch")
        return x_.method(lit(""), "join", x_.genexp(ch, "ch", x, test(ch)))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [(0, f"{target} = ''"), (0, f"for {ch} in {x}:"), (1, f"if {test(name(ch))}:"), (2, f"{target} += {ch}")]

    return Op(
        "str", "str", "filter_chars",
        noun=lambda r: f"{r} keeping only the characters that {vp.pl}",
        fn=fn, expr=expr, stmts=stmts, depth=2, helper="keep_chars",
        verb=lambda r: f"keep only the characters of {r} that {vp.pl}",
        past=f"keeping only the characters that {vp.pl}",
    )  # fmt: skip


_CHAR_OPS: dict[str, tuple[Callable[[E], E], Callable[[str], str], str]] = {
    "upper": (lambda c: x_.method(c, "upper"), str.upper, "converted to upper case"),
    "lower": (lambda c: x_.method(c, "lower"), str.lower, "converted to lower case"),
    "swapcase": (lambda c: x_.method(c, "swapcase"), str.swapcase, "with its case swapped"),
    "double": (lambda c: x_.binop(c, "*", lit(2)), lambda c: c * 2, "doubled"),
    "star": (lambda c: lit("*"), lambda c: "*", "replaced by '*'"),
    "dash": (lambda c: lit("-"), lambda c: "-", "replaced by '-'"),
    "drop": (lambda c: lit(""), lambda c: "", "removed"),
}
_CHAR_VERBS = {
    "upper": "convert {} to upper case",
    "lower": "convert {} to lower case",
    "swapcase": "swap the case of {}",
    "double": "double {}",
    "star": "replace {} by '*'",
    "dash": "replace {} by '-'",
    "drop": "remove {}",
}


def _char_facts(facts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in facts if f not in ("word", "single"))


def _o_map_chars(ctx: Ctx, facts, sample) -> Op:
    """Each character transformed by an if/elif/else ladder of character tests."""
    cs = chars_of(sample)
    p = draw_pred(ctx, "char", _char_facts(facts), cs, simple=True)
    preds = [p]
    if ctx.chance("elif"):
        snap = ctx.snapshot()
        q2 = draw_pred(ctx, "char", _char_facts(facts), cs, simple=True)
        if q2.key != p.key:
            preds.append(q2)
        else:
            ctx.restore(snap)
    keys = [ctx.pick("char_ops")]
    keys.append(ctx.pick("char_ops", exclude=keys))
    ops = [_CHAR_OPS[k] for k in keys[: len(preds)]]

    def piece(c: E) -> E:
        out: E = c
        for t, (f, _, _) in reversed(list(zip(preds, ops))):
            out = x_.cond(f(c), t.test(c), out)
        return out

    def model(ch: str, env: dict) -> str:
        for t, (_, m, _) in zip(preds, ops):
            if t.fn(ch, env):
                return m(ch)
        return ch

    def expr(x: E) -> E:
        return x_.method(lit(""), "join", x_.genexp(piece(name("ch")), "ch", x))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        c = name(ch)
        lines: list[Line] = [(0, f"{target} = ''"), (0, f"for {ch} in {x}:")]
        for i, (t, (f, _, _)) in enumerate(zip(preds, ops)):
            lines += [(1, f"{'if' if i == 0 else 'elif'} {t.test(c)}:"), (2, f"{target} += {f(c)}")]
        lines += [(1, "else:"), (2, f"{target} += {ch}")]
        return lines

    parts = [f"every character that {t.vp.sg} {w}" for t, (_, _, w) in zip(preds, ops)]
    if len(parts) == 2:
        parts[1] = "each remaining character that " + parts[1][len("every character that ") :]
    phrase = "with " + " and ".join(parts)

    def verb_(r: Ref) -> str:
        first = _CHAR_VERBS[keys[0]].format(f"every character of {r} that {preds[0].vp.sg}")
        if len(preds) == 1:
            return first
        return first + ", and " + _CHAR_VERBS[keys[1]].format(f"each remaining character that {preds[1].vp.sg}")

    return Op(
        "str", "str", "map_chars",
        noun=lambda r: f"{r} {phrase}",
        verb=verb_,
        fn=lambda x, env: "".join(model(ch, env) for ch in x),
        expr=expr, stmts=stmts, depth=2, helper="transform", past=phrase,
    )  # fmt: skip


def _caesar(x: str, c: int) -> str:
    return "".join(chr(ord("a") + (ord(ch) - ord("a") + c) % 26) if "a" <= ch <= "z" else ch for ch in x)


def _o_caesar(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("shift_letters")

    def shifted(ch: E) -> E:
        pos = x_.binop(x_.binop(x_.binop(x_.call("ord", ch), "-", x_.call("ord", lit("a"))), "+", lit(c)), "%", lit(26))
        return x_.call("chr", x_.binop(x_.call("ord", lit("a")), "+", pos))

    def test(ch: E) -> E:
        return x_.chain(lit("a"), "<=", ch, "<=", lit("z"))

    def expr(x: E) -> E:
        ch = name("ch")
        return x_.method(lit(""), "join", x_.genexp(x_.cond(shifted(ch), test(ch), ch), "ch", x))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [
            (0, f"{target} = ''"),
            (0, f"for {ch} in {x}:"),
            (1, f"if {test(name(ch))}:"),
            (2, f"{target} += {shifted(name(ch))}"),
            (1, "else:"),
            (2, f"{target} += {ch}"),
        ]

    phrase = (
        f"with every lower-case letter from 'a' to 'z' shifted {c} places forward in the alphabet, "
        f"wrapping around after 'z'"
    )
    return Op(
        "str", "str", "caesar",
        noun=lambda r: f"{r} {phrase}",
        verb=lambda r: (f"shift every lower-case letter from 'a' to 'z' in {r} {c} places forward in the alphabet, "
                        f"wrapping around after 'z'"),
        fn=lambda x, env: _caesar(x, c),
        expr=expr, stmts=stmts, depth=2, helper="shift_letters", past=phrase,
    )  # fmt: skip


def _collapse(x: str) -> str:
    out = ""
    for ch in x:
        if not out or out[-1] != ch:
            out += ch
    return out


def _o_collapse_runs(ctx: Ctx, facts, sample) -> Op:
    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [
            (0, f"{target} = ''"),
            (0, f"for {ch} in {x}:"),
            (1, f"if not {target} or {target}[-1] != {ch}:"),
            (2, f"{target} += {ch}"),
        ]

    phrase = "with every run of equal adjacent characters collapsed into a single character"
    return Op(
        "str", "str", "collapse_runs",
        noun=lambda r: f"{r} {phrase}", fn=lambda x, env: _collapse(x),
        verb=lambda r: f"collapse every run of equal adjacent characters in {r} into a single character",
        stmts=stmts, depth=2, helper="collapse_runs", past=phrase,
    )  # fmt: skip


def _o_dedupe_chars(ctx: Ctx, facts, sample) -> Op:
    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [
            (0, f"{target} = ''"),
            (0, f"for {ch} in {x}:"),
            (1, f"if {ch} not in {target}:"),
            (2, f"{target} += {ch}"),
        ]

    phrase = "keeping only the first occurrence of each character"
    return Op(
        "str", "str", "dedupe_chars",
        noun=lambda r: f"{r} {phrase}",
        verb=lambda r: f"remove every repeated character from {r}, keeping its first occurrence",
        fn=lambda x, env: "".join(dict.fromkeys(x)),
        expr=lambda x: x_.method(lit(""), "join", x_.call("dict.fromkeys", x)),
        stmts=stmts, depth=2, helper="unique_chars", past=phrase,
    )  # fmt: skip


def _o_sort_chars(ctx: Ctx, facts, sample) -> Op:
    rev = ctx.chance("half")
    order = "descending" if rev else "ascending"
    kw = {"reverse": E("True")} if rev else {}
    return Op(
        "str", "str", "sort_chars",
        noun=lambda r: f"{r.of('characters')} sorted in {order} order of their Unicode code points",
        verb=lambda r: f"sort the characters of {r} in {order} order of their Unicode code points",
        fn=lambda x, env: "".join(sorted(x, reverse=rev)),
        expr=lambda x: x_.method(lit(""), "join", x_.call("sorted", x, **kw)),
        past=f"with its characters sorted in {order} code point order",
    )  # fmt: skip


def _o_rotate(ctx: Ctx, facts, sample) -> Op:
    c = ctx.between("rotate")

    def expr(x: E) -> E:
        k = x_.binop(lit(c), "%", x_.call("len", x))
        return x_.cond(x_.binop(x_.index(x, f"{k}:"), "+", x_.index(x, f":{k}")), x, x)

    return Op(
        "str", "str", "rotate",
        noun=lambda r: f"{r} rotated left by {c} positions (moving its first characters to the end, one at a time)",
        verb=lambda r: f"rotate {r} left by {c} positions (moving its first characters to the end, one at a time)",
        fn=lambda x, env: x[c % len(x):] + x[: c % len(x)] if x else x,
        expr=expr,
        past=f"rotated left by {c} positions",
    )  # fmt: skip


def _o_str_labels(ctx: Ctx, facts, sample) -> Op:
    return _piecewise(ctx, "str", "str", facts, sample, helper="classify", labels=_labels(ctx))


# --- operations: str -> int ---------------------------------------------------------------------


def _o_length(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "str", "int", "length",
        noun=lambda r: r.of("length"), fn=lambda x, env: len(x), expr=lambda x: x_.call("len", x),
        attr="length", facts=("nonneg", "count"), elem=("length", "lengths"),
    )  # fmt: skip


def _o_count_chars(ctx: Ctx, facts, sample) -> Op:
    p = draw_pred(ctx, "char", _char_facts(facts), chars_of(sample), simple=True)
    recursive = ctx.recursive()
    plural = p.vp.pl
    pf = p.fn

    def expr(x: E) -> E:
        ch = name("ch")
        return x_.call("sum", x_.genexp(lit(1), "ch", x, p.test(ch)))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [(0, f"{target} = 0"), (0, f"for {ch} in {x}:"), (1, f"if {p.test(name(ch))}:"), (2, f"{target} += 1")]

    def body(ctx: Ctx, prm: str, fname: str) -> list[Line]:
        rest = ctx.fresh("rest")
        return [
            (0, f"if not {prm}:"),
            (1, "return 0"),
            (0, f"{rest} = {fname}({prm}[1:])"),
            (0, f"if {p.test(name(prm + '[0]'))}:"),
            (1, f"return {rest} + 1"),
            (0, f"return {rest}"),
        ]

    attr = {"vowel": "number of vowels", "digit": "number of digits", "upper": "number of upper-case letters",
            "lower": "number of lower-case letters"}.get(p.key)  # fmt: skip
    return Op(
        "str", "int", "count_chars",
        noun=lambda r: f"the number of characters in {r.text} that {plural}",
        fn=lambda x, env: sum(1 for ch in x if pf(ch, env)),
        expr=expr, stmts=stmts, depth=2, body=body if recursive else None, recursive=recursive,
        helper={"vowel": "count_vowels", "digit": "count_digits"}.get(p.key, "count_matching"),
        attr=attr, facts=("nonneg", "count"),
    )  # fmt: skip


def _o_count_sub(ctx: Ctx, facts, sample) -> Op:
    ch = char_const(ctx, sample, facts)
    return Op(
        "str", "int", "count_sub",
        noun=lambda r: f"the number of times {q(ch)} occurs in {r.text}",
        fn=lambda x, env: x.count(ch),
        expr=lambda x: x_.method(x, "count", lit(ch)),
        attr=f"count of {q(ch)}", facts=("nonneg", "count"),
    )  # fmt: skip


def _o_find(ctx: Ctx, facts, sample) -> Op:
    ch = char_const(ctx, sample, facts)
    kind = ctx.pick("find_methods")
    first = "last" if kind == "rfind" else "first"
    if kind == "index":
        expr = lambda x: x_.cond(x_.method(x, "index", lit(ch)), x_.compare(lit(ch), "in", x), lit(-1))
    else:
        expr = lambda x: x_.method(x, kind, lit(ch))
    return Op(
        "str", "int", "find",
        noun=lambda r: f"the position (counting from 0) of the {first} {q(ch)} in {r.text}, or -1 if there is none",
        fn=(lambda x, env: x.rfind(ch)) if kind == "rfind" else (lambda x, env: x.find(ch)),
        expr=expr, facts=("count",),
    )  # fmt: skip


def _o_digit_total(ctx: Ctx, facts, sample) -> Op:
    def expr(x: E) -> E:
        ch = name("ch")
        return x_.call("sum", x_.genexp(x_.call("int", ch), "ch", x, x_.method(ch, "isdecimal")))

    def stmts(ctx: Ctx, x: E, target: str) -> list[Line]:
        ch = ctx.fresh("ch")
        return [
            (0, f"{target} = 0"),
            (0, f"for {ch} in {x}:"),
            (1, f"if {ch}.isdecimal():"),
            (2, f"{target} += int({ch})"),
        ]

    return Op(
        "str", "int", "digit_total",
        noun=lambda r: f"the sum of the decimal digits that occur in {r.text}",
        fn=lambda x, env: sum(int(ch) for ch in x if ch.isdecimal()),
        expr=expr, stmts=stmts, depth=2, helper="digit_total", attr="digit sum", facts=("nonneg",),
    )  # fmt: skip


def _o_word_count(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "str", "int", "word_count",
        noun=lambda r: f"the number of whitespace-separated words in {r.text}",
        fn=lambda x, env: len(x.split()),
        expr=lambda x: x_.call("len", x_.method(x, "split")),
        attr="number of words", facts=("nonneg", "count"),
    )  # fmt: skip


def _o_distinct_chars(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "str", "int", "distinct_chars",
        noun=lambda r: f"the number of distinct characters in {r.text}",
        fn=lambda x, env: len(set(x)),
        expr=lambda x: x_.call("len", x_.call("set", x)),
        attr="number of distinct characters", facts=("nonneg", "count"),
    )  # fmt: skip


def _o_to_int(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "str", "int", "to_int",
        noun=lambda r: f"the integer that {r.text} spells if it is made only of decimal digits, and 0 otherwise",
        fn=lambda x, env: int(x) if x.isdecimal() else 0,
        expr=lambda x: x_.cond(x_.call("int", x), x_.method(x, "isdecimal"), lit(0)),
        facts=("nonneg",),
    )  # fmt: skip


def _o_first_code(ctx: Ctx, facts, sample) -> Op:
    return Op(
        "str", "int", "first_code",
        noun=lambda r: f"the Unicode code point of {r.of('first character')}, or -1 if it is empty",
        fn=lambda x, env: ord(x[0]) if x else -1,
        expr=lambda x: x_.cond(x_.call("ord", x_.index(x, "0")), x, lit(-1)),
    )  # fmt: skip


_OPS: dict[str, dict[str, Callable[[Ctx, tuple, Sample], Op]]] = {
    "int_int": {
        "scale": _o_scale,
        "shift": _o_shift,
        "square": _o_square,
        "mod": _o_mod,
        "floordiv": _o_floordiv,
        "safe_div": _o_safe_div,
        "abs": _o_abs,
        "negate": _o_negate,
        "clamp": _o_clamp,
        "piecewise": _o_piecewise,
        "digit_sum": _o_digit_sum,
        "digit_count": _o_digit_count,
        "reverse_digits": _o_reverse_digits,
        "digit_max": _o_digit_max,
        "odd_digit_sum": _o_odd_digit_sum,
        "divisor_count": _o_divisor_count,
        "collatz": _o_collatz,
        "triangular": _o_triangular,
        "fibonacci": _o_fibonacci,
        "gcd": _o_gcd,
    },
    "int_str": {"to_str": _o_to_str, "padded": _o_padded, "bar": _o_bar, "labels": _o_int_labels},
    "str_str": {
        "upper": _case("upper", "in upper case", "converted to upper case", "upper"),
        "lower": _case("lower", "in lower case", "converted to lower case", "lower"),
        "title": _case(
            "title",
            "in title case (every letter that follows a non-letter in upper case, every other letter in lower case)",
            "in title case (every letter that follows a non-letter in upper case, every other letter in lower case)",
            None,
        ),
        "capitalize": _case(
            "capitalize",
            "with its first character in upper case and the rest in lower case",
            "with its first character in upper case and the rest in lower case",
            None,
        ),
        "swapcase": _o_swapcase,
        "strip": _o_strip,
        "reverse": _o_reverse,
        "replace": _o_replace,
        "slice": _o_slice,
        "pad": _o_pad,
        "affix": _o_affix,
        "repeat": _o_repeat,
        "filter_chars": _o_filter_chars,
        "map_chars": _o_map_chars,
        "caesar": _o_caesar,
        "collapse_runs": _o_collapse_runs,
        "dedupe_chars": _o_dedupe_chars,
        "sort_chars": _o_sort_chars,
        "rotate": _o_rotate,
        "labels": _o_str_labels,
    },  # fmt: skip
    "str_int": {
        "length": _o_length,
        "count_chars": _o_count_chars,
        "count_sub": _o_count_sub,
        "find": _o_find,
        "digit_total": _o_digit_total,
        "word_count": _o_word_count,
        "distinct_chars": _o_distinct_chars,
        "to_int": _o_to_int,
        "first_code": _o_first_code,
    },
}

# Operations a piecewise branch may use: one expression each, no nested ladders.
_SIMPLE = frozenset(
    {"scale", "shift", "square", "mod", "floordiv", "abs", "negate", "upper", "lower", "swapcase", "reverse", "slice",
     "affix", "repeat", "length", "count_sub"}
)  # fmt: skip
# Operations with an ``attr`` (what a test can say a value "has": a digit sum, a length).
_WITH_ATTR = frozenset({"mod", "abs", "digit_sum", "digit_max", "length", "count_chars", "count_sub", "digit_total",
                        "word_count", "distinct_chars"})  # fmt: skip
# Operations that keep a small non-negative number small.
_KEEPS_SMALL = frozenset({"digit_sum", "digit_count", "mod", "floordiv", "abs", "clamp"})
# String operations that keep (or only remove) characters, so what holds of the characters still holds.
_KEEPS_CHARS = frozenset({"strip", "reverse", "repeat", "filter_chars", "collapse_runs", "dedupe_chars", "sort_chars",
                          "rotate"})  # fmt: skip
_CHAR_FACTS = ("digits", "letters", "word", "upper", "lower", "single")


def _inherited(key: str, facts: tuple[str, ...]) -> tuple[str, ...]:
    if key in _KEEPS_CHARS or key.startswith("slice:"):
        return tuple(f for f in facts if f in _CHAR_FACTS)
    if key == "case":
        return tuple(f for f in facts if f in ("digits", "letters", "word"))
    return ()


def _varies(op: Op, sample: Sample, ctx: Ctx) -> bool:
    """Whether the operation gives at least two different results on the sampled elements."""
    seen: list = []
    for row, env in zip(sample, ctx.rows):
        for x in row:
            y = op.fn(x, env)
            if y not in seen:
                seen.append(y)
                if len(seen) > 1:
                    return True
    return False


def draw_op(
    ctx: Ctx,
    in_t: str,
    out_t: str,
    facts: tuple[str, ...],
    sample: Sample,
    *,
    simple: bool = False,
    need_attr: bool = False,
    min_depth: int = 0,
    exclude: list[str] | tuple[str, ...] = (),
) -> Op:
    """An operation from ``[ops.<in>_<out>]`` whose result varies over the sample; ``simple`` keeps to
    one-expression operations, ``min_depth`` to those whose statement form nests at least that deep."""
    table = f"{in_t}_{out_t}"
    tried = list(exclude) + contradicted(facts)
    for _ in range(8 if min_depth <= 0 else 24):
        allowed = _SIMPLE if simple else _WITH_ATTR if need_attr else None
        key = ctx.pick(f"ops.{table}", allowed=allowed, exclude=tried)
        snap = ctx.snapshot()
        refs = ctx.param_refs
        try:
            op = _OPS[table][key](ctx, facts, sample)
        except Failed:
            ctx.restore(snap)
            tried.append(key)
            continue
        if ctx.param_refs != refs:
            op = replace(op, uses_param=True)
        unfit = (need_attr and op.attr is None) or (simple and op.expr is None)
        if unfit or (min_depth > 0 and (op.stmts is None or op.depth < min_depth or op.recursive)):
            ctx.restore(snap)
            tried.append(key)
            continue
        if "count" in facts and key in _KEEPS_SMALL and "count" not in op.facts:
            op = replace(op, facts=op.facts + ("count",))
        inherit = _inherited(op.key, facts)
        if inherit:
            op = replace(op, facts=op.facts + tuple(f for f in inherit if f not in op.facts))
        if _varies(op, sample, ctx) or not flat(sample):
            return op
        ctx.restore(snap)
        tried.append(key)
    raise Failed(f"no operation {table} varies over the sampled values")


# --- rendering an operation at a call site -------------------------------------------------------


def _define_helper(ctx: Ctx, op: Op) -> str:
    if "helper" in op.forms:
        return op.forms["helper"]
    fname = ctx.reserve_global(_helper_name(op))
    saved = ctx.enter_function()
    ctx.local(fname)
    p = ctx.fresh({"int": "n", "str": "text", "char": "ch"}[op.in_t])
    if op.body is not None:
        body = op.body(ctx, p, fname)
        if op.recursive:
            ctx.uses_recursion = True
    elif op.stmts is not None:
        result = ctx.fresh("result")
        body = op.stmts(ctx, name(p), result) + [(0, f"return {result}")]
    else:
        assert op.expr is not None
        body = [(0, f"return {op.expr(name(p))}")]
    ctx.leave_function(saved)
    lines = [(0, f"def {fname}({p}: {_PY_TYPE[op.in_t]}) -> {_PY_TYPE[op.out_t]}:")] + x_.indent(body)
    ctx.helpers.append(lines)
    ctx.helper_names.append(fname)
    if op.uses_while:
        ctx.uses_while = True
    op.forms["helper"] = fname
    return fname


# Helper names for operations without a name of their own: any operation can become a small function.
_HELPER_NAMES = {
    "scale": "scale", "shift": "shift", "square": "square", "mod": "remainder", "floordiv": "divide",
    "abs": "magnitude", "negate": "negate", "clamp": "clamp", "to_str": "to_text", "padded": "pad_number",
    "bar": "bar", "case": "convert_case", "strip": "trim", "replace": "replace_chars", "pad": "pad",
    "affix": "decorate", "repeat": "repeat", "sort_chars": "sort_chars", "rotate": "rotate", "length": "size",
    "count_sub": "count_char", "find": "find_char", "word_count": "count_words", "distinct_chars": "count_distinct",
    "to_int": "to_number", "first_code": "first_code",
}  # fmt: skip


def _helper_name(op: Op) -> str:
    return op.helper or _HELPER_NAMES.get(op.key.split(":")[0], "")


def _can_help(ctx: Ctx, op: Op) -> bool:
    if not _helper_name(op) or op.uses_param:
        return False
    return "helper" in op.forms or len(ctx.helpers) < int(ctx.level["max_helpers"])


def _wants_helper(ctx: Ctx, op: Op) -> bool:
    """Whether this call site uses a helper function (always for recursion or an already defined one)."""
    if not _can_help(ctx, op):
        return False
    if "helper" in op.forms or op.recursive or (ctx.force_helper and not ctx.helpers):
        return True
    return ctx.rng.random() < float(ctx.level["helper"])


def _helper_call(ctx: Ctx, op: Op) -> Callable[[E], E]:
    if not _can_help(ctx, op):
        raise Failed("operation cannot become a helper here")
    fname = _define_helper(ctx, op)
    arg = op.call_arg
    return lambda x: x_.call(fname, arg(x) if arg is not None else x)


def op_caller(ctx: Ctx, op: Op) -> Callable[[E], E]:
    """How to compute ``op`` inside an expression: inline, or as a call to a helper defined now."""
    if op.recursive or op.expr is None or _wants_helper(ctx, op):
        return _helper_call(ctx, op)
    return op.expr


@dataclass
class Applied:
    """An operation placed at a call site: statements to run first, then the value."""

    lines: list[Line]
    value: E
    depth: int


def apply_op(ctx: Ctx, op: Op, x: E, budget: int, *, deep: bool, target: str = "result") -> Applied:
    """Render ``op`` on ``x``: as statements when the budget allows and the draw (or ``deep``) wants it."""
    helper = op.recursive or "helper" in op.forms or (not deep and _wants_helper(ctx, op))
    if not helper and op.stmts is not None and op.depth <= budget:
        if deep or op.expr is None or ctx.chance("statement_form"):
            t = ctx.fresh(target)
            if op.uses_while:
                ctx.uses_while = True
            return Applied(op.stmts(ctx, x, t), name(t), op.depth)
    if helper or op.expr is None:
        return Applied([], _helper_call(ctx, op)(x), 0)
    return Applied([], op.expr(x), 0)
