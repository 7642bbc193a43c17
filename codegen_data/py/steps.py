"""Steps: the statements of the entry function, each turning the current value into the next one.

A step reads the current value (a parameter or the previous step's result), maybe a further parameter,
and either assigns a new value or returns. It carries its English twice: as an imperative sentence
(``Keep only the numbers in nums that are even``) for a step in the middle of the chain, and as a noun
phrase (``the numbers in nums that are even``) for the last step, which the description returns. Its
``fn`` models what it computes, per input row (see :mod:`codegen_data.py.elements`).

Loop forms nest the element blocks inside them; ``budget`` is the statement nesting a step may use,
and ``deep`` asks for the deepest form that fits. Each builder gets ``vals``, the current value in
every input row, to draw its constants from.

Draw tables: ``[steps.<type>]`` (middle of the chain) and ``[finals.<type>]`` (last step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import expr as x_
from .context import DEFAULTS, Ctx, Failed, Sample, Var
from .elements import (
    apply_op,
    draw_op,
    draw_pred,
    op_caller,
    split_point,
    threshold,
)
from .english import IT, Ref
from .english import quote as q
from .expr import E, Line, lit, name

__all__ = ["Step", "STEPS", "ELEM", "Guard", "guards"]

ELEM = {"list[int]": "int", "list[str]": "str", "str": "char"}
Model = Callable[[Any, dict], Any]


@dataclass
class Step:
    """One block of the entry function."""

    key: str
    lines: list[Line]  # statements; empty when the result is the single expression ``value``
    value: E | None
    out: Var | None  # the new current value (None when the step returns by itself)
    sentence: str  # imperative, when another step follows
    noun: str  # what "Return ..." names when this is the last step
    depth: int
    name_hint: str
    fn: Model  # the step's result (or return value) from the current value and the row's parameters
    returns: str = ""  # the return type, for steps whose lines end in return statements
    final: str = ""  # the sentence of a step that returns by itself
    handles_empty: bool = False  # says what it gives for an empty input: no "if empty, return ..." guard


def _loop_name(ctx: Ctx, elem_t: str) -> str:
    """A name for a comprehension's variable: not used in the function, but free for other comprehensions."""
    base = ctx.choice(list(ctx.grammar.section("loop_names")[elem_t]))
    candidate, k = base, 2
    while ctx.taken(candidate):
        candidate, k = f"{base}{k}", k + 1
    return candidate


def _loop_var(ctx: Ctx, elem_t: str) -> str:
    """A name for a for loop's variable (reserved in the function)."""
    return ctx.fresh(ctx.choice(list(ctx.grammar.section("loop_names")[elem_t])))


def _list(ctx: Ctx, base: str, type_: str, elem: tuple[str, str] | None, facts: tuple[str, ...] = ()) -> Var:
    return Var(ctx.fresh(base), type_, "the list", elem, facts=facts)


def _scalar(ctx: Ctx, base: str, type_: str, ref: str, facts: tuple[str, ...] = ()) -> Var:
    elem = ("character", "characters") if type_ == "str" else ("key", "keys") if type_.startswith("dict") else None
    return Var(ctx.fresh(base), type_, ref, elem, facts=facts)


def _loop_form(ctx: Ctx, budget: int, need: int, deep: bool) -> bool:
    return budget >= need and (deep or ctx.chance("loop_form"))


def _out_facts(s: Var, op, out_t: str) -> tuple[str, ...]:
    """Facts of mapped elements: the operation's, plus "word" when a string stays a single word."""
    kept = tuple(f for f in s.facts if f == "word") if out_t == ELEM.get(s.type) == "str" else ()
    return op.facts + kept


# Operations after which an element is still "a word" or "a difference" (not a count or a digit sum).
_KEEPS_NOUN = frozenset({"scale", "shift", "abs", "negate", "clamp", "piecewise", "floordiv", "mod", "safe_div",
                         "case", "strip", "reverse", "replace", "pad", "affix", "repeat", "filter_chars", "map_chars",
                         "caesar", "collapse_runs", "dedupe_chars", "sort_chars", "rotate"})  # fmt: skip


def _out_elem(s: Var, op, out_t: str) -> tuple[str, str]:
    if op.elem is not None:
        return op.elem
    if out_t == ELEM.get(s.type) and (op.key in _KEEPS_NOUN or op.key.startswith("slice:")):
        return s.elem
    return ("number", "numbers") if out_t == "int" else ("string", "strings")


def _map_words(s: Var, op) -> tuple[str, str]:
    sentence = op.verb(Ref(s.each)) if op.verb is not None else f"replace {s.each} by {op.noun(IT)}"
    noun = f"{s.elems}, each {op.past}" if op.past else f"{s.elems}, each replaced by {op.noun(IT)}"
    return sentence, noun


def _keep(pf: Model) -> Model:
    return lambda v, env: [x for x in v if pf(x, env)]


# --- lists -> lists -------------------------------------------------------------------------------


def _filter(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals)
    out = _list(ctx, p.name or "kept", s.type, s.elem, s.facts + p.implies)
    x = _loop_name(ctx, et)
    words = f"{s.elems} that {p.vp.pl}"
    hint = f"select_{s.elem[1]}"
    if _loop_form(ctx, budget, 2, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        lines = [
            (0, f"{out.name} = []"),
            (0, f"for {x} in {s.name}:"),
            (1, f"if {p.test(name(x))}:"),
            (2, f"{out.name}.append({x})"),
        ]
        return Step("filter", lines, None, out, f"keep only {words}", words, 2, hint, _keep(p.fn))
    value = x_.listcomp(name(x), x, name(s.name), p.test(name(x)))
    return Step("filter", [], value, out, f"keep only {words}", words, 0, hint, _keep(p.fn))


def _map(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    want = ctx.want_depth - 1 if deep else 0
    out_t = ctx.pick(f"map_targets.{et}") if want < 2 else et
    op = draw_op(ctx, et, out_t, s.facts, vals, min_depth=want)
    base = ctx.choice(["mapped", "converted", "values", "results"])
    out = _list(ctx, base, f"list[{out_t}]", _out_elem(s, op, out_t), _out_facts(s, op, out_t))
    x = _loop_name(ctx, et)
    sentence, noun = _map_words(s, op)
    hint = f"transform_{s.elem[1]}"
    f = op.fn
    fn = lambda v, env: [f(y, env) for y in v]
    if _loop_form(ctx, budget, 1, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        applied = apply_op(ctx, op, name(x), budget - 1, deep=deep)
        lines = [(0, f"{out.name} = []"), (0, f"for {x} in {s.name}:")]
        lines += x_.indent(applied.lines) + [(1, f"{out.name}.append({applied.value})")]
        return Step("map", lines, None, out, sentence, noun, 1 + applied.depth, hint, fn)
    call = op_caller(ctx, op)
    fname = op.forms.get("helper")
    if fname and op.call_arg is None and ctx.chance("half"):
        value = x_.call("list", x_.call("map", name(fname), name(s.name)))
    else:
        value = x_.listcomp(call(name(x)), x, name(s.name))
    return Step("map", [], value, out, sentence, noun, 0, hint, fn)


def _filter_map(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals)
    kept = [[y for y in row if p.fn(y, env)] for row, env in zip(vals, ctx.rows)]
    want = ctx.want_depth - 2 if deep else 0
    out_t = ctx.pick(f"map_targets.{et}") if want < 1 or et == "str" else "int"
    op = draw_op(ctx, et, out_t, s.facts + p.implies, kept, min_depth=want)
    out = _list(ctx, "selected", f"list[{out_t}]", _out_elem(s, op, out_t), _out_facts(s, op, out_t))
    x = _loop_name(ctx, et)
    chosen = f"{s.elems} that {p.vp.pl}"
    if op.verb is not None:
        sentence = f"take {chosen} and {op.verb(Ref('each of them'))}"
    else:
        sentence = f"take {chosen} and replace each of them by {op.noun(IT)}"
    noun = f"{chosen}, each {op.past}" if op.past else f"{chosen}, each replaced by {op.noun(IT)}"
    pf, f = p.fn, op.fn
    fn = lambda v, env: [f(y, env) for y in v if pf(y, env)]
    hint = f"transform_{s.elem[1]}"
    if _loop_form(ctx, budget, 2, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        applied = apply_op(ctx, op, name(x), budget - 2, deep=deep)
        lines = [(0, f"{out.name} = []"), (0, f"for {x} in {s.name}:"), (1, f"if {p.test(name(x))}:")]
        lines += x_.indent(applied.lines, 2) + [(2, f"{out.name}.append({applied.value})")]
        return Step("filter_map", lines, None, out, sentence, noun, 2 + applied.depth, hint, fn)
    call = op_caller(ctx, op)
    value = x_.listcomp(call(name(x)), x, name(s.name), p.test(name(x)))
    return Step("filter_map", [], value, out, sentence, noun, 0, hint, fn)


def _sort(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    kind = ctx.pick(f"sorts.{et}")
    out = _list(ctx, "ordered", s.type, s.elem, s.facts + ("sorted",))
    src, ref, pl = name(s.name), s.ref, s.elem[1]
    if kind in ("ascending", "lexicographic"):
        value, fn = x_.call("sorted", src), (lambda v, env: sorted(v))
        how = "in ascending order" if kind == "ascending" else "in lexicographic order (by Unicode code points)"
    elif kind == "descending":
        value, fn, how = (
            x_.call("sorted", src, reverse=E("True")),
            (lambda v, env: sorted(v, reverse=True)),
            "in descending order",
        )
    elif kind == "by_abs":
        value, fn = x_.call("sorted", src, key=name("abs")), (lambda v, env: sorted(v, key=abs))
        how = f"by absolute value, smallest first ({pl} with equal absolute values keep their original order)"
    elif kind == "by_length":
        value, fn = x_.call("sorted", src, key=name("len")), (lambda v, env: sorted(v, key=len))
        how = f"by length, shortest first ({pl} of equal length keep their original order)"
    elif kind == "by_length_then_text":
        w = ctx.fresh("w")
        value = x_.call("sorted", src, key=x_.lam(w, x_.tuple_(x_.call("len", name(w)), name(w))))
        fn = lambda v, env: sorted(v, key=lambda t: (len(t), t))
        how = f"by length, shortest first, and {pl} of equal length in lexicographic order"
    elif kind == "ignoring_case":
        value, fn = x_.call("sorted", src, key=name("str.lower")), (lambda v, env: sorted(v, key=str.lower))
        how = f"in lexicographic order ignoring case ({pl} that are equal ignoring case keep their original order)"
    else:  # in place, on a copy
        rev = ctx.chance("half")
        lines = [(0, f"{out.name} = list({s.name})"), (0, f"{out.name}.sort({'reverse=True' if rev else ''})")]
        how = "in descending order" if rev else "in ascending order"
        fn = lambda v, env: sorted(v, reverse=rev)
        return Step("sort", lines, None, out, f"sort {ref} {how}", f"{ref} sorted {how}", 0, f"sort_{pl}", fn)
    return Step("sort", [], value, out, f"sort {ref} {how}", f"{ref} sorted {how}", 0, f"sort_{pl}", fn)


def _reverse(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    out = _list(ctx, "backwards", s.type, s.elem, tuple(f for f in s.facts if f != "sorted"))
    kind = ctx.choice(["slice", "reversed", "method"])
    words = (f"reverse {s.ref}", f"{s.ref} in reverse order")
    fn = lambda v, env: v[::-1]
    if kind == "method":
        lines = [(0, f"{out.name} = {s.name}.copy()"), (0, f"{out.name}.reverse()")]
        return Step("reverse", lines, None, out, *words, 0, f"reverse_{s.elem[1]}", fn)
    value = x_.index(name(s.name), "::-1") if kind == "slice" else x_.call("list", x_.call("reversed", name(s.name)))
    return Step("reverse", [], value, out, *words, 0, f"reverse_{s.elem[1]}", fn)


def _slice(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("list_slices")
    pl, ref = s.elem[1], s.ref
    out = _list(ctx, "part", s.type, s.elem, s.facts)
    if kind == "head_param":
        p = ctx.param("int", flavor="count", role="count", near=[list(range(len(v) + 1)) for v in vals])
        if p is None:
            kind = "head"
        else:
            nm = p.name
            value = x_.index(name(s.name), f":{x_.call('max', name(nm), lit(0))}")
            noun = f"the first {nm} {pl} of {ref} (all of them if there are fewer, none if {nm} is negative)"
            return Step("slice", [], value, out, f"keep only {noun}", noun, 0, f"first_{pl}",
                        lambda v, env: v[: max(env[nm], 0)])  # fmt: skip
    lengths = sorted(len(v) for v in vals)
    c = max(1, min(ctx.between("slice"), lengths[len(lengths) // 2] - 1 if lengths else 1))
    table = {
        "head": (
            f":{c}",
            slice(None, c),
            f"the {_first(c, s.elem)} of {ref} (all of them if there are fewer)"
            if c > 1
            else f"the first {s.elem[0]} of {ref} (none if it is empty)",
        ),
        "tail": (
            f"-{c}:",
            slice(-c, None),
            f"the {_first(c, s.elem, 'last')} of {ref} (all of them if there are fewer)"
            if c > 1
            else f"the last {s.elem[0]} of {ref} (none if it is empty)",
        ),
        "drop_head": (f"{c}:", slice(c, None), f"{ref} without its {_first(c, s.elem)}"),
        "every_other": ("::2", slice(None, None, 2), f"every other {s.elem[0]} of {ref}, starting with the first"),
        "odd_positions": ("1::2", slice(1, None, 2), f"every other {s.elem[0]} of {ref}, starting with the second"),
        "inner": ("1:-1", slice(1, -1), f"{ref} without its first and last {pl}"),
    }
    idx, sl, noun = table[kind]
    verb = f"keep only {noun}" if noun.startswith(("the", "every")) else f"take {noun}"
    return Step("slice", [], x_.index(name(s.name), idx), out, verb, noun, 0, f"slice_{pl}", lambda v, env: v[sl])


def _first(c: int, elem: tuple[str, str], which: str = "first") -> str:
    return f"{which} {elem[0]}" if c == 1 else f"{which} {c} {elem[1]}"


def _dedupe(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    out = _list(ctx, "unique", s.type, s.elem, s.facts + ("distinct",))
    sg, pl = s.elem
    noun = f"{s.ref} without repeated {pl} (keeping only the first occurrence of each {sg})"
    sentence = f"remove repeated {pl} from {s.ref}, keeping only the first occurrence of each"
    fn = lambda v, env: list(dict.fromkeys(v))
    if _loop_form(ctx, budget, 2, deep):
        x = _loop_var(ctx, ELEM[s.type])
        lines = [
            (0, f"{out.name} = []"),
            (0, f"for {x} in {s.name}:"),
            (1, f"if {x} not in {out.name}:"),
            (2, f"{out.name}.append({x})"),
        ]
        return Step("dedupe", lines, None, out, sentence, noun, 2, f"unique_{pl}", fn)
    value = x_.call("list", x_.call("dict.fromkeys", name(s.name)))
    return Step("dedupe", [], value, out, sentence, noun, 0, f"unique_{pl}", fn)


def _distinct_sorted(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    if ctx.chance("half"):
        out = _list(ctx, "distinct", s.type, s.elem, s.facts + ("sorted", "distinct"))
        noun = f"the distinct {s.elem[1]} of {s.ref} in ascending order"
        return Step("distinct", [], x_.call("sorted", x_.call("set", name(s.name))), out, f"take {noun}", noun, 0,
                    f"distinct_{s.elem[1]}", lambda v, env: sorted(set(v)))  # fmt: skip
    out_t = ctx.pick(f"map_targets.{et}")
    op = draw_op(ctx, et, out_t, s.facts, vals)
    x = _loop_name(ctx, et)
    call = op_caller(ctx, op)
    value = x_.call("sorted", x_.setcomp(call(name(x)), x, name(s.name)))
    out = _list(ctx, "distinct", f"list[{out_t}]", _out_elem(s, op, out_t), op.facts + ("sorted", "distinct"))
    if op.past:
        noun = f"the distinct values among {s.elems}, each {op.past}, in ascending order"
    else:
        noun = f"the distinct results of replacing {s.each} by {op.noun(IT)}, in ascending order"
    f = op.fn
    return Step("distinct", [], value, out, f"collect {noun}", noun, 0, f"distinct_{out.elem[1]}",
                lambda v, env: sorted({f(y, env) for y in v}))  # fmt: skip


def _running(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    if budget < 1:
        raise Failed("needs a loop")
    out = _list(ctx, "totals", s.type, ("running total", "running totals"))
    x, total = _loop_var(ctx, "int"), ctx.fresh("total")
    lines = [
        (0, f"{out.name} = []"),
        (0, f"{total} = 0"),
        (0, f"for {x} in {s.name}:"),
        (1, f"{total} += {x}"),
        (1, f"{out.name}.append({total})"),
    ]

    def fn(v: list, env: dict) -> list:
        acc, res = 0, []
        for y in v:
            acc += y
            res.append(acc)
        return res

    noun = f"the running totals of {s.ref} (the first {s.elem[0]}, the sum of the first two, and so on)"
    return Step("running", lines, None, out, f"replace {s.ref} by its running totals", noun, 1, "running_totals", fn)


def _differences(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    out = _list(ctx, "gaps", s.type, ("difference", "differences"))
    a, b = ctx.fresh("a"), ctx.fresh("b")
    pairs = x_.call("zip", name(s.name), x_.index(name(s.name), "1:"))
    noun = f"the differences between consecutive {s.elem[1]} of {s.ref} (each {s.elem[0]} minus the one before it)"
    fn = lambda v, env: [y - w for w, y in zip(v, v[1:])]
    if _loop_form(ctx, budget, 1, deep):
        lines = [(0, f"{out.name} = []"), (0, f"for {a}, {b} in {pairs}:"), (1, f"{out.name}.append({b} - {a})")]
        return Step("differences", lines, None, out, f"take {noun}", noun, 1, "differences", fn)
    value = x_.listcomp(x_.binop(name(b), "-", name(a)), f"{a}, {b}", pairs)
    return Step("differences", [], value, out, f"take {noun}", noun, 0, "differences", fn)


def _positions(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    i, x = ctx.fresh("i"), _loop_name(ctx, et)
    out = _list(ctx, "adjusted", s.type, s.elem)
    even = x_.compare(x_.binop(name(i), "%", lit(2)), "==", lit(0))
    if et == "int":
        elem = x_.binop(name(x), "*", name(i))
        noun = f"{s.elems}, each multiplied by its position (counting from 0)"
        sentence = f"multiply {s.each} by its position (counting from 0)"
        loop_body = [(1, f"{out.name}.append({elem})")]
        depth = 1
        fn = lambda v, env: [y * j for j, y in enumerate(v)]
    else:
        elem = x_.cond(x_.method(name(x), "upper"), even, x_.method(name(x), "lower"))
        noun = f"{s.elems}, those at even positions (counting from 0) in upper case and the others in lower case"
        sentence = f"convert {s.elems} at even positions (counting from 0) to upper case and the others to lower case"
        loop_body = [
            (1, f"if {even}:"),
            (2, f"{out.name}.append({x}.upper())"),
            (1, "else:"),
            (2, f"{out.name}.append({x}.lower())"),
        ]
        depth = 2
        fn = lambda v, env: [y.upper() if j % 2 == 0 else y.lower() for j, y in enumerate(v)]
    if _loop_form(ctx, budget, depth, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        lines = [(0, f"{out.name} = []"), (0, f"for {i}, {x} in enumerate({s.name}):")] + loop_body
        return Step("positions", lines, None, out, sentence, noun, depth, "by_position", fn)
    value = x_.listcomp(elem, f"{i}, {x}", x_.call("enumerate", name(s.name)))
    return Step("positions", [], value, out, sentence, noun, 0, "by_position", fn)


def _elem_const(ctx: Ctx, s: Var, vals: list, *, lookup: bool = False) -> tuple[E, str, Model]:
    """A value to look for among the elements: a parameter drawn from each row's list, or a constant
    that occurs in some rows (code, words, model of its value)."""
    et = ELEM[s.type]
    if lookup and ctx.chance("param_argument"):
        p = ctx.param(s.type[5:-1], flavor="member", role="member_" + et, near=vals)
        if p is not None:
            nm = p.name
            return name(nm), nm, (lambda env: env[nm])
    present = sorted({y for v in vals for y in v}, key=repr)
    if not lookup and et == "int":
        present = [y for y in present if abs(y) <= 20]  # a constant to insert: small, like one typed by hand
    if present:
        c = ctx.choice(present)
    elif et == "int":
        c = threshold(ctx, s.facts)
    else:
        c = ctx.choice(list(ctx.grammar.section("constants")["words"]))
    return lit(c), (q(c) if et == "str" else str(c)), (lambda env: c)


def _copy(ctx: Ctx, s: Var, out: Var) -> Line:
    return (0, f"{out.name} = {ctx.choice(['list(' + s.name + ')', s.name + '.copy()', s.name + '[:]'])}")


def _edit(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("list_edits")
    out = _list(ctx, "edited", s.type, s.elem, tuple(f for f in s.facts if f not in ("sorted", "distinct")))
    sg, pl = s.elem
    copy = _copy(ctx, s, out)
    if kind in ("append", "insert_front", "remove", "count_insert"):
        c, words, cf = _elem_const(ctx, s, vals, lookup=kind in ("remove", "count_insert"))
    if kind == "append":
        lines, depth = [copy, (0, f"{out.name}.append({c})")], 0
        sentence, noun = f"append {words} to {s.ref}", f"{s.ref} with {words} appended at the end"
        fn = lambda v, env: v + [cf(env)]
    elif kind == "insert_front":
        lines, depth = [copy, (0, f"{out.name}.insert(0, {c})")], 0
        sentence, noun = f"insert {words} at the front of {s.ref}", f"{s.ref} with {words} inserted at the front"
        fn = lambda v, env: [cf(env)] + v
    elif kind == "remove":
        if budget < 1:
            raise Failed("needs an if")
        lines = [copy, (0, f"if {c} in {out.name}:"), (1, f"{out.name}.remove({c})")]
        depth = 1
        sentence = f"remove the first occurrence of {words} from {s.ref}, if there is one"
        noun = f"{s.ref} without the first occurrence of {words} (unchanged if {words} does not occur)"

        def fn(v: list, env: dict) -> list:
            v = list(v)
            if cf(env) in v:
                v.remove(cf(env))
            return v

    elif kind in ("pop_last", "pop_first"):
        if budget < 1:
            raise Failed("needs an if")
        last = kind == "pop_last"
        lines, depth = [copy, (0, f"if {out.name}:"), (1, f"{out.name}.pop({'' if last else '0'})")], 1
        which = "last" if last else "first"
        sentence, noun = (
            f"drop the {which} {sg} of {s.ref}, if there is one",
            f"{s.ref} without its {which} {sg} (if it has one)",
        )
        fn = (lambda v, env: v[:-1]) if last else (lambda v, env: v[1:])
    elif kind == "mirror":
        lines, depth = [copy, (0, f"{out.name}.extend(reversed({s.name}))")], 0
        sentence = f"extend {s.ref} with its own {pl} in reverse order"
        noun = f"{s.ref} followed by its own {pl} in reverse order"
        fn = lambda v, env: v + v[::-1]
    elif kind == "extend_param":
        flavor = "words" if s.type == "list[str]" else "nums"
        other = ctx.param(s.type, flavor=flavor, role=f"{s.type[5:-1]}_list")
        if other is None:
            raise Failed("no room for a second list")
        nm = other.name
        lines, depth = [copy, (0, f"{out.name}.extend({nm})")], 0
        sentence, noun = f"append the {pl} of {nm} to {s.ref}", f"{s.ref} followed by the {pl} of {nm}"
        fn = lambda v, env: v + env[nm]
    else:  # count_insert: put the count of c at the front
        if ELEM[s.type] != "int":
            raise Failed("numbers only")
        lines, depth = [copy, (0, f"{out.name}.insert(0, {out.name}.count({c}))")], 0
        sentence = f"put the number of occurrences of {words} in {s.ref} at its front"
        noun = f"{s.ref} with the number of occurrences of {words} in it inserted at the front"
        fn = lambda v, env: [v.count(cf(env))] + v
    return Step("edit", lines, None, out, sentence, noun, depth, f"edit_{pl}", fn)


def _takewhile(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    if budget < 1:
        raise Failed("needs a loop")
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals, simple=True)
    i = ctx.fresh("i")
    out = _list(ctx, "prefix", s.type, s.elem, s.facts)
    lines = [
        (0, f"{i} = 0"),
        (0, f"while {i} < len({s.name}) and {p.test(name(f'{s.name}[{i}]'))}:"),
        (1, f"{i} += 1"),
        (0, f"{out.name} = {s.name}[:{i}]"),
    ]
    ctx.uses_while = True
    pf = p.fn

    def fn(v: list, env: dict) -> list:
        j = 0
        while j < len(v) and pf(v[j], env):
            j += 1
        return v[:j]

    noun = f"the longest run of {s.elem[1]} at the start of {s.ref} that all {p.vp.pl}"
    return Step("takewhile", lines, None, out, f"keep only {noun}", noun, 1, f"leading_{s.elem[1]}", fn)


def _zip_pair(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    other = ctx.param("list[int]", flavor="nums", role="int_list")
    if other is None:
        raise Failed("no room for a second list")
    nm = other.name
    a, b = ctx.fresh("a"), ctx.fresh("b")
    kind = ctx.choice(["sum", "max", "product", "difference"])
    elem, words, f = {
        "sum": (x_.binop(name(a), "+", name(b)), "the sums", lambda u, w: u + w),
        "max": (x_.call("max", name(a), name(b)), "the larger values", max),
        "product": (x_.binop(name(a), "*", name(b)), "the products", lambda u, w: u * w),
        "difference": (x_.binop(name(a), "-", name(b)), "the differences (first minus second)", lambda u, w: u - w),
    }[kind]
    out = _list(ctx, "combined", "list[int]", ("number", "numbers"))
    pairs = x_.call("zip", name(s.name), name(nm))
    noun = f"{words} of the numbers at the same position in {s.ref} and {nm} (as many as the shorter list has)"
    fn = lambda v, env: [f(u, w) for u, w in zip(v, env[nm])]
    if _loop_form(ctx, budget, 1, deep):
        lines = [(0, f"{out.name} = []"), (0, f"for {a}, {b} in {pairs}:"), (1, f"{out.name}.append({elem})")]
        return Step("zip", lines, None, out, f"compute {noun}", noun, 1, f"combine_{kind}", fn)
    return Step(
        "zip", [], x_.listcomp(elem, f"{a}, {b}", pairs), out, f"compute {noun}", noun, 0, f"combine_{kind}", fn
    )


_REF = {"list[int]": "the list", "list[str]": "the list", "str": "the string", "int": "the number",
        "dict[str, int]": "the dictionary"}  # fmt: skip


def _toggle(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    if budget < 1:
        raise Failed("needs an if")
    flag = ctx.param("bool", flavor="flag", role="bool")
    if flag is None:
        raise Failed("no room for a flag")
    fl = flag.name
    out = Var(ctx.fresh("result"), s.type, _REF[s.type] if s.is_param else s.ref, s.elem, facts=())
    if s.type.startswith("list"):
        if ctx.chance("half"):
            fix, words, f = f"{out.name}.reverse()", "reversed", (lambda v: v[::-1])
        else:
            fix, words, f = f"{out.name}.sort()", "sorted in ascending order", sorted
        lines = [(0, f"{out.name} = list({s.name})"), (0, f"if {fl}:"), (1, fix)]
    elif s.type == "str":
        meth, words = ctx.choice([("upper", "converted to upper case"), ("lower", "converted to lower case")])
        f = getattr(str, meth)
        lines = [(0, f"{out.name} = {s.name}"), (0, f"if {fl}:"), (1, f"{out.name} = {out.name}.{meth}()")]
    elif s.type == "int":
        lines = [(0, f"{out.name} = {s.name}"), (0, f"if {fl}:"), (1, f"{out.name} = -{out.name}")]
        words, f = "with its sign flipped", (lambda v: -v)
    else:
        raise Failed("no toggle")
    sentence = f"if {fl} is true, use {s.ref} {words} instead"
    noun = f"{s.ref}, {words} if {fl} is true"
    return Step("toggle", lines, None, out, sentence, noun, 1, "adjust", lambda v, env: f(v) if env[fl] else v)


# --- lists -> scalars -----------------------------------------------------------------------------


def _count(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    out = _scalar(ctx, "count", "int", "the count", ("nonneg", "count"))
    noun = f"the number of {s.elem[1]} in {s.ref}"
    return Step("count", [], x_.call("len", name(s.name)), out, f"count {s.elems}", noun, 0, f"count_{s.elem[1]}",
                lambda v, env: len(v))  # fmt: skip


def _sum(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    out = _scalar(ctx, "total", "int", "the sum", s.facts)
    noun = f"the sum of {s.elems}"
    fn = lambda v, env: sum(v)
    if _loop_form(ctx, budget, 1, deep):
        x = _loop_var(ctx, "int")
        lines = [(0, f"{out.name} = 0"), (0, f"for {x} in {s.name}:"), (1, f"{out.name} += {x}")]
        return Step("sum", lines, None, out, f"add up {s.elems}", noun, 1, "total", fn)
    return Step("sum", [], x_.call("sum", name(s.name)), out, f"add up {s.elems}", noun, 0, "total", fn)


def _sum_map(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    op = draw_op(ctx, et, "int", s.facts, vals, min_depth=ctx.want_depth - 1 if deep else 0)
    out = _scalar(ctx, "total", "int", "the total", tuple(f for f in op.facts if f != "count"))
    if op.attr is not None and (op.key in _TOTALS or op.attr.startswith("number of")):
        noun = f"the total {op.attr} of {s.elems}"
    elif op.attr is not None:
        noun = f"the sum of the {_plural(op.attr)} of {s.elems}"
    else:
        noun = f"the sum of the values obtained by replacing {s.each} by {op.noun(IT)}"
    x = _loop_name(ctx, et)
    f = op.fn
    fn = lambda v, env: sum(f(y, env) for y in v)
    if _loop_form(ctx, budget, 1, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        applied = apply_op(ctx, op, name(x), budget - 1, deep=deep)
        lines = [(0, f"{out.name} = 0"), (0, f"for {x} in {s.name}:")]
        lines += x_.indent(applied.lines) + [(1, f"{out.name} += {applied.value}")]
        return Step("sum_map", lines, None, out, f"compute {noun}", noun, 1 + applied.depth, "total", fn)
    call = op_caller(ctx, op)
    value = x_.call("sum", x_.genexp(call(name(x)), x, name(s.name)))
    return Step("sum_map", [], value, out, f"compute {noun}", noun, 0, "total", fn)


_TOTALS = frozenset({"length", "count_chars", "count_sub", "word_count"})  # "the total length of the words"


def _plural(attr: str) -> str:
    """``digit sums``, ``remainders modulo 3``, ``absolute values``."""
    head, _, rest = attr.partition(" modulo ")
    return f"{head}s modulo {rest}" if rest else f"{attr}s"


def _count_if(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals)
    out = _scalar(ctx, "count", "int", "that count", ("nonneg", "count"))
    noun = f"how many of {s.elems} {p.vp.pl}"
    x = _loop_name(ctx, et)
    hint = f"count_{p.name or s.elem[1]}"
    pf = p.fn
    fn = lambda v, env: sum(1 for y in v if pf(y, env))
    if _loop_form(ctx, budget, 2, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        lines = [
            (0, f"{out.name} = 0"),
            (0, f"for {x} in {s.name}:"),
            (1, f"if {p.test(name(x))}:"),
            (2, f"{out.name} += 1"),
        ]
        return Step("count_if", lines, None, out, f"count {noun}", noun, 2, hint, fn)
    if ctx.chance("half"):
        value = x_.call("sum", x_.genexp(lit(1), x, name(s.name), p.test(name(x))))
    else:
        value = x_.call("len", x_.listcomp(name(x), x, name(s.name), p.test(name(x))))
    return Step("count_if", [], value, out, f"count {noun}", noun, 0, hint, fn)


def _extreme(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    big = ctx.chance("half")
    fn_name = "max" if big else "min"
    pick = max if big else min
    src = name(s.name)
    which = ("largest" if big else "smallest") if et == "int" else ("longest" if big else "shortest")
    if et == "int":
        d = threshold(ctx, s.facts)
        out = _scalar(ctx, which, "int", f"the {which} value", s.facts)
        noun = f"the {which} of {s.elems}, or {d} if there are none"
        if ctx.chance("half"):
            value = x_.call(fn_name, src, default=lit(d))
        else:
            value = x_.cond(x_.call(fn_name, src), src, lit(d))
        fn = lambda v, env: pick(v) if v else d
    else:
        out = _scalar(ctx, which, "str", f"the {which} one")
        noun = (
            f"the {which} of {s.elems} (the first one if several are equally long), "
            f"or the empty string if there are none"
        )
        value = x_.call(fn_name, src, key=name("len"), default=lit(""))
        fn = lambda v, env: pick(v, key=len) if v else ""
    return Step("extreme", [], value, out, f"find {noun}", noun, 0, which, fn, handles_empty=True)


def _extreme_loop(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    """Final only: an early return on empty input, then a scan that keeps the best element so far."""
    if budget < 2:
        raise Failed("needs depth 2")
    et = ELEM[s.type]
    big = ctx.chance("half")
    best, x = ctx.fresh("best"), _loop_var(ctx, et)
    if et == "int":
        d = threshold(ctx, s.facts)
        better = x_.compare(name(x), ">" if big else "<", name(best))
        what = f"the {'largest' if big else 'smallest'} of {s.elems}"
        empty, ret = repr(d), "int"
        final = f"return {what}, or {d} if there are none"
        key = lambda y: y
    else:
        better = x_.compare(x_.call("len", name(x)), ">" if big else "<", x_.call("len", name(best)))
        what = f"the {'longest' if big else 'shortest'} of {s.elems} (the first one if several are equally long)"
        empty, d, ret = "''", "", "str"
        final = f"return {what}, or the empty string if there are none"
        key = len
    lines = [
        (0, f"if not {s.name}:"),
        (1, f"return {empty}"),
        (0, f"{best} = {s.name}[0]"),
        (0, f"for {x} in {s.name}[1:]:"),
        (1, f"if {better}:"),
        (2, f"{best} = {x}"),
        (0, f"return {best}"),
    ]

    def fn(v: list, env: dict) -> Any:
        if not v:
            return d
        b = v[0]
        for y in v[1:]:
            if (key(y) > key(b)) if big else (key(y) < key(b)):
                b = y
        return b

    hint = "largest" if big else "smallest"
    return Step("extreme_loop", lines, None, None, "", "", 2, hint, fn, returns=ret, final=final, handles_empty=True)


def _any_all(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals)
    x = _loop_name(ctx, et)
    pf = p.fn
    if ctx.chance("half"):
        noun = f"whether at least one of {s.elems} {p.vp.sg}"
        fn = lambda v, env: any(pf(y, env) for y in v)
        if _loop_form(ctx, budget, 2, deep):
            ctx.local(x)  # a for loop's variable outlives the loop
            lines = [
                (0, f"for {x} in {s.name}:"),
                (1, f"if {p.test(name(x))}:"),
                (2, "return True"),
                (0, "return False"),
            ]
            return Step("any", lines, None, None, "", "", 2, "has_match", fn, returns="bool", final="return " + noun)
        value = x_.call("any", x_.genexp(p.test(name(x)), x, name(s.name)))
        return Step("any", [], value, _scalar(ctx, "found", "bool", "the answer"), "", noun, 0, "has_match", fn)
    noun = f"whether all of {s.elems} {p.vp.pl} (true when there are none)"
    value = x_.call("all", x_.genexp(p.test(name(x)), x, name(s.name)))
    return Step("all", [], value, _scalar(ctx, "ok", "bool", "the answer"), "", noun, 0, "all_match",
                lambda v, env: all(pf(y, env) for y in v))  # fmt: skip


def _lookup_subject(s: Var) -> None:
    if not s.is_param:
        raise Failed("look-ups only in an input list")


def _contains(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    _lookup_subject(s)
    c, words, cf = _elem_const(ctx, s, vals, lookup=True)
    noun = f"whether {words} occurs in {s.ref}"
    out = _scalar(ctx, "found", "bool", "the answer")
    return Step(
        "contains", [], x_.compare(c, "in", name(s.name)), out, "", noun, 0, "contains", lambda v, env: cf(env) in v
    )


def _index_of(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    _lookup_subject(s)
    c, words, cf = _elem_const(ctx, s, vals, lookup=True)
    out = _scalar(ctx, "position", "int", "the position", ("count",))
    noun = f"the position (counting from 0) of the first occurrence of {words} in {s.ref}, or -1 if it does not occur"
    value = x_.cond(x_.method(name(s.name), "index", c), x_.compare(c, "in", name(s.name)), lit(-1))
    return Step("index_of", [], value, out, f"find {noun}", noun, 0, "find_position",
                lambda v, env: v.index(cf(env)) if cf(env) in v else -1)  # fmt: skip


def _count_of(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    _lookup_subject(s)
    c, words, cf = _elem_const(ctx, s, vals, lookup=True)
    out = _scalar(ctx, "occurrences", "int", "that number", ("nonneg", "count"))
    noun = f"the number of times {words} occurs in {s.ref}"
    sentence = f"count how many times {words} occurs in {s.ref}"
    return Step("count_of", [], x_.method(name(s.name), "count", c), out, sentence, noun, 0, "count_occurrences",
                lambda v, env: v.count(cf(env)))  # fmt: skip


def _first_match(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    if budget < 2:
        raise Failed("needs depth 2")
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals)
    x = _loop_var(ctx, et)
    sg = s.elem[0]
    where = f" in {s.name}" if s.is_param else ""
    pf = p.fn
    if ctx.chance("half"):
        d = threshold(ctx, s.facts) if et == "int" else ""
        lines = [(0, f"for {x} in {s.name}:"), (1, f"if {p.test(name(x))}:"), (2, f"return {x}"), (0, f"return {d!r}")]
        final = f"return the first {sg}{where} that {p.vp.sg}, or {q(d) if et == 'str' else d} if there is none"
        return Step("first_match", lines, None, None, "", "", 2, f"first_{sg}",
                    lambda v, env: next((y for y in v if pf(y, env)), d), returns=et, final=final)  # fmt: skip
    i = ctx.fresh("i")
    lines = [
        (0, f"for {i}, {x} in enumerate({s.name}):"),
        (1, f"if {p.test(name(x))}:"),
        (2, f"return {i}"),
        (0, "return -1"),
    ]
    final = f"return the position (counting from 0) of the first {sg}{where} that {p.vp.sg}, or -1 if there is none"
    fn = lambda v, env: next((j for j, y in enumerate(v) if pf(y, env)), -1)
    return Step("first_index", lines, None, None, "", "", 2, "find_first", fn, returns="int", final=final)


def _join(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    sep = ctx.choice(list(ctx.grammar.section("constants")["separators"]))
    out = _scalar(ctx, "joined", "str", "the string")
    how = "concatenated" if sep == "" else f"joined with {q(sep)} between them"
    if ELEM[s.type] == "int":
        x = _loop_name(ctx, "int")
        if ctx.chance("half"):
            value = x_.method(lit(sep), "join", x_.call("map", name("str"), name(s.name)))
        else:
            value = x_.method(lit(sep), "join", x_.genexp(x_.call("str", name(x)), x, name(s.name)))
        noun = f"{s.elems} written in decimal and {how}"
        fn = lambda v, env: sep.join(map(str, v))
    else:
        value = x_.method(lit(sep), "join", name(s.name))
        noun = f"{s.elems} {how}"
        fn = lambda v, env: sep.join(v)
    verb = f"join {s.elems} into one string" + ("" if sep == "" else f" with {q(sep)} between them")
    return Step("join", [], value, out, verb, noun, 0, "join_" + s.elem[1], fn)


def _counts(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    sg = s.elem[0]
    out = _scalar(ctx, "counts", "dict[str, int]", "the dictionary", ("nonneg", "count"))
    noun = (
        f"a dictionary mapping each distinct {sg} of {s.ref} to the number of times it occurs, "
        f"in order of first occurrence"
    )
    x = _loop_name(ctx, "str")
    kind = ctx.pick("count_styles")

    def fn(v: list, env: dict) -> dict:
        res: dict = {}
        for y in v:
            res[y] = res.get(y, 0) + 1
        return res

    if kind == "comprehension":
        value = x_.dictcomp(name(x), x_.method(name(s.name), "count", name(x)), x, name(s.name))
        return Step("counts", [], value, out, f"build {noun}", noun, 0, f"count_{s.elem[1]}", fn)
    if budget < 1:
        raise Failed("needs a loop")
    ctx.local(x)
    if kind == "get":
        body, depth = [(1, f"{out.name}[{x}] = {out.name}.get({x}, 0) + 1")], 1
    elif kind == "setdefault":
        body, depth = [(1, f"{out.name}.setdefault({x}, 0)"), (1, f"{out.name}[{x}] += 1")], 1
    else:
        if budget < 2:
            raise Failed("needs depth 2")
        body = [(1, f"if {x} in {out.name}:"), (2, f"{out.name}[{x}] += 1"), (1, "else:"), (2, f"{out.name}[{x}] = 1")]
        depth = 2
    lines = [(0, f"{out.name} = {{}}"), (0, f"for {x} in {s.name}:")] + body
    return Step("counts", lines, None, out, f"build {noun}", noun, depth, f"count_{s.elem[1]}", fn)


def _attr_dict(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    op = draw_op(ctx, "str", "int", s.facts, vals)
    call = op_caller(ctx, op)
    x = _loop_name(ctx, "str")
    out = _scalar(ctx, "table", "dict[str, int]", "the dictionary", op.facts)
    value = x_.dictcomp(name(x), call(name(x)), x, name(s.name))
    noun = f"a dictionary mapping each {s.elem[0]} of {s.ref} to {op.noun(IT)}"
    f = op.fn
    return Step(
        "attr_dict", [], value, out, f"build {noun}", noun, 0, "tabulate", lambda v, env: {y: f(y, env) for y in v}
    )


def _minmax(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    src = name(s.name)
    value = x_.cond(x_.tuple_(x_.call("min", src), x_.call("max", src)), src, x_.tuple_(lit(0), lit(0)))
    noun = f"a pair of the smallest and the largest of {s.elems}, or the pair 0, 0 if there are none"
    return Step("minmax", [], value, _scalar(ctx, "bounds", "tuple[int, int]", "the pair"), "", noun, 0, "bounds",
                lambda v, env: (min(v), max(v)) if v else (0, 0))  # fmt: skip


def _partition(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    et = ELEM[s.type]
    p = draw_pred(ctx, et, s.facts, vals, simple=True)
    yes, no = ctx.fresh("matching"), ctx.fresh("others")
    x = _loop_name(ctx, et)
    if _loop_form(ctx, budget, 2, deep):
        ctx.local(x)  # a for loop's variable outlives the loop
        lines = [
            (0, f"{yes} = []"),
            (0, f"{no} = []"),
            (0, f"for {x} in {s.name}:"),
            (1, f"if {p.test(name(x))}:"),
            (2, f"{yes}.append({x})"),
            (1, "else:"),
            (2, f"{no}.append({x})"),
        ]
        depth = 2
    else:
        lines = [
            (0, f"{yes} = {x_.listcomp(name(x), x, name(s.name), p.test(name(x)))}"),
            (0, f"{no} = {x_.listcomp(name(x), x, name(s.name), x_.not_(p.test(name(x))))}"),
        ]
        depth = 0
    lines.append((0, f"return {yes}, {no}"))
    final = (
        f"return a pair of lists: {s.elems} that {p.vp.pl}, and those that {p.vp.neg_pl}, both in their original order"
    )
    pf = p.fn
    return Step("partition", lines, None, None, "", "", depth, "split_" + s.elem[1],
                lambda v, env: ([y for y in v if pf(y, env)], [y for y in v if not pf(y, env)]),
                returns=f"tuple[{s.type}, {s.type}]", final=final)  # fmt: skip


def _stats(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    value = x_.tuple_(x_.call("len", name(s.name)), x_.call("sum", name(s.name)))
    noun = f"a pair of how many {s.elem[1]} {s.ref} has and their sum"
    return Step("stats", [], value, _scalar(ctx, "stats", "tuple[int, int]", "the pair"), "", noun, 0, "summarize",
                lambda v, env: (len(v), sum(v)))  # fmt: skip


# --- strings and numbers --------------------------------------------------------------------------


def _scalar_op(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool, in_t: str, out_t: str) -> Step:
    want = ctx.want_depth if deep else 0
    op = draw_op(ctx, in_t, out_t, s.facts, [[v] for v in vals], min_depth=min(want, 2),
                 exclude=() if ctx.is_last else ("labels",))  # fmt: skip
    applied = apply_op(ctx, op, name(s.name), budget, deep=deep)
    r = Ref(s.ref)
    base = {"int": "value", "str": "text"}[out_t]
    ref = {"int": "the number", "str": "the string"}[out_t]
    out = _scalar(ctx, base, out_t, ref, op.facts)
    if op.verb is not None and out_t == in_t:
        sentence = op.verb(r)
    elif out_t == in_t:
        sentence = f"replace {s.ref} by {op.noun(IT)}"
    else:
        sentence = f"compute {op.noun(r)}"
    hint = op.helper or op.key.split(":")[0]
    if applied.lines:
        out.name = applied.value.text  # the statements already assign a fresh name: that is the result
        return Step("op", applied.lines, None, out, sentence, op.noun(r), applied.depth, hint, op.fn)
    return Step("op", [], applied.value, out, sentence, op.noun(r), 0, hint, op.fn)


def _str_op(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    return _scalar_op(ctx, s, vals, budget, deep, "str", "str")


def _str_measure(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    return _scalar_op(ctx, s, vals, budget, deep, "str", "int")


def _int_op(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    return _scalar_op(ctx, s, vals, budget, deep, "int", "int")


def _int_text(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    return _scalar_op(ctx, s, vals, budget, deep, "int", "str")


def _str_test(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    p = draw_pred(ctx, "str", s.facts, [[v] for v in vals])
    noun = f"whether {s.ref} {p.vp.sg}"
    return Step(
        "test", [], p.test(name(s.name)), _scalar(ctx, "answer", "bool", "the answer"), "", noun, 0, "check", p.fn
    )


def _int_test(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    p = draw_pred(ctx, "int", s.facts, [[v] for v in vals])
    noun = f"whether {s.ref} {p.vp.sg}"
    return Step(
        "test", [], p.test(name(s.name)), _scalar(ctx, "answer", "bool", "the answer"), "", noun, 0, "check", p.fn
    )


def _split(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("splits")
    if kind == "sep":
        present = [c for c in ctx.grammar.section("constants")["split_seps"] if any(c in v for v in vals)]
        if not present:
            kind = "words"
    if kind == "words":
        value, elem = x_.method(name(s.name), "split"), ("word", "words")
        noun = f"the words of {s.ref} (the pieces between runs of whitespace)"
        verb = f"split {s.ref} into words at runs of whitespace"
        fn = lambda v, env: v.split()
    elif kind == "sep":
        sep = ctx.choice(present)
        value, elem = x_.method(name(s.name), "split", lit(sep)), ("piece", "pieces")
        noun = f"the pieces of {s.ref} between occurrences of {q(sep)} (empty pieces included)"
        verb = f"split {s.ref} into pieces at every {q(sep)}"
        fn = lambda v, env: v.split(sep)
    else:
        value, elem = x_.call("list", name(s.name)), ("character", "characters")
        noun = f"the list of the characters of {s.ref}"
        verb = f"split {s.ref} into its characters"
        fn = lambda v, env: list(v)
    facts = {"words": ("word",), "chars": ("single",)}.get(kind, ())
    out = _list(ctx, elem[1] if elem[1] != "characters" else "chars", "list[str]", elem, facts)
    return Step("split", [], value, out, verb, noun, 0, "split_" + elem[1], fn)


def _partition_str(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    present = [c for c in ctx.grammar.section("constants")["split_seps"] if any(c in v for v in vals)]
    if not present:
        raise Failed("no separator occurs")
    sep = ctx.choice(present)
    before = ctx.chance("half")
    out = _scalar(ctx, "head" if before else "tail", "str", "the string")
    if ctx.chance("half"):
        value: E | None = x_.index(x_.method(name(s.name), "partition", lit(sep)), "0" if before else "2")
        lines: list[Line] = []
    else:
        keep = ctx.fresh("before" if before else "after")
        target = f"{keep}, _, _" if before else f"_, _, {keep}"
        lines = [(0, f"{target} = {s.name}.partition({sep!r})")]
        out.name, value = keep, None
    if before:
        noun = f"the part of {s.ref} before the first {q(sep)} (all of it if there is none)"
    else:
        noun = f"the part of {s.ref} after the first {q(sep)} (the empty string if there is none)"
    part = 0 if before else 2
    return Step("partition_str", lines, value, out, f"take {noun}", noun, 0, "before" if before else "after",
                lambda v, env: v.partition(sep)[part])  # fmt: skip


def _int_list(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("int_lists")
    cap = ctx.between("loop_cap")
    n = name(s.name)
    out = _list(ctx, "numbers", "list[int]", ("number", "numbers"), ("nonneg",))
    bound = x_.call("min", x_.call("abs", n), lit(cap))
    if kind == "digits":
        d = ctx.fresh("d")
        value = x_.listcomp(x_.call("int", name(d)), d, x_.call("str", x_.call("abs", n)))
        out.elem, out.facts = ("digit", "digits"), ("nonneg", "digit")
        noun = f"the list of the decimal digits of {s.ref}, ignoring the sign"
        return Step("int_list", [], value, out, f"take {noun}", noun, 0, "digits",
                    lambda v, env: [int(c) for c in str(abs(v))])  # fmt: skip
    if kind == "divisors":
        d = ctx.fresh("d")
        rng = x_.call("range", lit(1), x_.binop(bound, "+", lit(1)))
        test = x_.compare(x_.binop(n, "%", name(d)), "==", lit(0))
        out.elem, out.facts = ("divisor", "divisors"), ("positive", "nonneg")
        noun = f"the positive divisors of {s.ref} that are at most {cap}, in increasing order (none if {s.ref} is 0)"
        fn = lambda v, env: [e for e in range(1, min(abs(v), cap) + 1) if v % e == 0]
        if _loop_form(ctx, budget, 2, deep):
            lines = [
                (0, f"{out.name} = []"),
                (0, f"for {d} in {rng}:"),
                (1, f"if {test}:"),
                (2, f"{out.name}.append({d})"),
            ]
            return Step("int_list", lines, None, out, f"collect {noun}", noun, 2, "divisors", fn)
        return Step("int_list", [], x_.listcomp(name(d), d, rng, test), out, f"collect {noun}", noun, 0, "divisors", fn)
    if kind == "multiples":
        i = ctx.fresh("i")
        c = ctx.between("scale")
        value = x_.listcomp(x_.binop(name(i), "*", lit(c)), i, x_.call("range", lit(1), x_.binop(bound, "+", lit(1))))
        out.elem, out.facts = ("multiple", "multiples"), ("positive", "nonneg")
        noun = f"the first m positive multiples of {c}, where m is {s.ref} without its sign, capped at {cap}"
        return Step("int_list", [], value, out, f"list {noun}", noun, 0, "multiples",
                    lambda v, env: [j * c for j in range(1, min(abs(v), cap) + 1)])  # fmt: skip
    # countdown: a while loop whose counter strictly decreases
    if budget < 1:
        raise Failed("needs a loop")
    c = ctx.between("step")
    m = ctx.fresh("current")
    lines = [
        (0, f"{out.name} = []"),
        (0, f"{m} = {bound}"),
        (0, f"while {m} > 0:"),
        (1, f"{out.name}.append({m})"),
        (1, f"{m} -= {c}"),
    ]
    ctx.uses_while = True
    out.facts = ("positive", "nonneg")
    noun = (
        f"the numbers visited when counting down from {s.ref} without its sign (capped at {cap}) in steps of {c}, "
        f"while they stay positive"
    )
    return Step("int_list", lines, None, out, f"list {noun}", noun, 1, "count_down",
                lambda v, env: list(range(min(abs(v), cap), 0, -c)))  # fmt: skip


def _range_total(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    if "count" in s.facts:
        raise Failed("a small count makes a short range")
    cap = ctx.between("loop_cap")
    n = name(s.name)
    i = ctx.fresh("i")
    ranges = [list(range(1, min(abs(v), cap) + 1)) for v in vals]
    p = draw_pred(
        ctx, "int", ("positive",), ranges, simple=True, allowed=("even", "odd", "divisible", "compare", "between")
    )
    op = draw_op(ctx, "int", "int", ("positive",), ranges, simple=True)
    out = _scalar(ctx, "total", "int", "the total")
    rng = x_.call("range", lit(1), x_.binop(x_.call("min", x_.call("abs", n), lit(cap)), "+", lit(1)))
    noun = (
        f"the sum of {op.noun(Ref('i'))} over the integers i from 1 to m that {p.vp.pl}, "
        f"where m is {s.ref} without its sign, capped at {cap}"
    )
    pf, f = p.fn, op.fn
    fn = lambda v, env: sum(f(j, env) for j in range(1, min(abs(v), cap) + 1) if pf(j, env))
    if _loop_form(ctx, budget, 2, deep):
        lines = [
            (0, f"{out.name} = 0"),
            (0, f"for {i} in {rng}:"),
            (1, f"if {p.test(name(i))}:"),
            (2, f"{out.name} += {op.expr(name(i))}"),
        ]
        return Step("range_total", lines, None, out, f"compute {noun}", noun, 2, "range_total", fn)
    value = x_.call("sum", x_.genexp(op.expr(name(i)), i, rng, p.test(name(i))))
    return Step("range_total", [], value, out, f"compute {noun}", noun, 0, "range_total", fn)


def _divmod(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    p = ctx.param("int", flavor="small", role="threshold")
    if p is None:
        raise Failed("no room for a divisor")
    nm = p.name
    value = x_.cond(x_.call("divmod", name(s.name), name(nm)), x_.compare(name(nm), "!=", lit(0)),
                    x_.tuple_(lit(0), lit(0)))  # fmt: skip
    noun = (
        f"a pair of the quotient (rounded down) and the remainder of dividing {s.ref} by {nm}, "
        f"or the pair 0, 0 if {nm} is 0"
    )
    return Step("divmod", [], value, _scalar(ctx, "parts", "tuple[int, int]", "the pair"), "", noun, 0, "divide",
                lambda v, env: divmod(v, env[nm]) if env[nm] != 0 else (0, 0))  # fmt: skip


def _labels(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    """Final only: an if/elif/else ladder of returns that names the range a number falls in."""
    if budget < 1:
        raise Failed("needs an if")
    labels = list(ctx.choice(list(ctx.grammar.section("constants")["labels"])))
    d = sorted(set(vals))
    if len(d) >= 3:
        lo_i = ctx.rng.randrange(0, len(d) - 2)
        hi_i = ctx.rng.randrange(lo_i + 1, len(d) - 1)
        lo, hi = d[lo_i], d[hi_i]
    else:
        hi = split_point(ctx, vals, s.facts)
        lo = hi - ctx.between("count_span" if "count" in s.facts else "span")
    three = len(labels) == 3 and lo < hi and ctx.chance("elif")
    if three:
        lines = [
            (0, f"if {s.name} > {hi}:"),
            (1, f"return {labels[0]!r}"),
            (0, f"elif {s.name} > {lo}:"),
            (1, f"return {labels[1]!r}"),
            (0, "else:"),
            (1, f"return {labels[2]!r}"),
        ]
        final = (
            f"return {q(labels[0])} if {s.ref} is greater than {hi}, {q(labels[1])} if it is greater than {lo} "
            f"(but not greater than {hi}), and {q(labels[2])} otherwise"
        )
        fn = lambda v, env: labels[0] if v > hi else labels[1] if v > lo else labels[2]
    else:
        lines = [(0, f"if {s.name} > {hi}:"), (1, f"return {labels[0]!r}"), (0, f"return {labels[-1]!r}")]
        final = f"return {q(labels[0])} if {s.ref} is greater than {hi}, and {q(labels[-1])} otherwise"
        fn = lambda v, env: labels[0] if v > hi else labels[-1]
    return Step("labels", lines, None, None, "", "", 1, "classify", fn, returns="str", final=final)


# --- dictionaries ---------------------------------------------------------------------------------


def _keys(vals: list) -> Sample:
    return [list(d) for d in vals]


def _values(vals: list) -> Sample:
    return [list(d.values()) for d in vals]


def _dict_filter(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    by_key = ctx.chance("dict_by_key")
    p = draw_pred(ctx, "str", ("word",), _keys(vals)) if by_key else draw_pred(ctx, "int", s.facts, _values(vals))
    k, v = ctx.fresh("key"), ctx.fresh("value")
    test = p.test(name(k if by_key else v))
    out = _scalar(ctx, "kept", "dict[str, int]", "the dictionary", s.facts if by_key else s.facts + p.implies)
    noun = f"the entries of {s.ref} whose {'key' if by_key else 'value'} {p.vp.sg}"
    pf = p.fn
    if by_key:
        fn = lambda d, env: {a: b for a, b in d.items() if pf(a, env)}
    else:
        fn = lambda d, env: {a: b for a, b in d.items() if pf(b, env)}
    if _loop_form(ctx, budget, 2, deep):
        lines = [
            (0, f"{out.name} = {{}}"),
            (0, f"for {k}, {v} in {s.name}.items():"),
            (1, f"if {test}:"),
            (2, f"{out.name}[{k}] = {v}"),
        ]
        return Step("dict_filter", lines, None, out, f"keep only {noun}", noun, 2, "filter_entries", fn)
    value = x_.dictcomp(name(k), name(v), f"{k}, {v}", x_.method(name(s.name), "items"), test)
    return Step("dict_filter", [], value, out, f"keep only {noun}", noun, 0, "filter_entries", fn)


def _dict_map(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    op = draw_op(ctx, "int", "int", s.facts, _values(vals), min_depth=ctx.want_depth - 1 if deep else 0)
    k, v = ctx.fresh("key"), ctx.fresh("value")
    out = _scalar(ctx, "updated", "dict[str, int]", "the dictionary", op.facts)
    noun = f"{s.ref} with every value replaced by {op.noun(IT)}"
    sentence = f"replace every value in {s.ref} by {op.noun(IT)}"
    f = op.fn
    fn = lambda d, env: {a: f(b, env) for a, b in d.items()}
    if _loop_form(ctx, budget, 1, deep):
        applied = apply_op(ctx, op, name(v), budget - 1, deep=deep)
        lines = [(0, f"{out.name} = {{}}"), (0, f"for {k}, {v} in {s.name}.items():")]
        lines += x_.indent(applied.lines) + [(1, f"{out.name}[{k}] = {applied.value}")]
        return Step("dict_map", lines, None, out, sentence, noun, 1 + applied.depth, "update_values", fn)
    value = x_.dictcomp(name(k), op_caller(ctx, op)(name(v)), f"{k}, {v}", x_.method(name(s.name), "items"))
    return Step("dict_map", [], value, out, sentence, noun, 0, "update_values", fn)


def _dict_keys(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("dict_key_lists")
    out = _list(ctx, "keys", "list[str]", ("key", "keys"), ("word",))
    src = name(s.name)
    if kind == "where":
        p = draw_pred(ctx, "int", s.facts, _values(vals))
        k, v = ctx.fresh("key"), ctx.fresh("value")
        value = x_.listcomp(name(k), f"{k}, {v}", x_.method(src, "items"), p.test(name(v)))
        noun = f"the keys of {s.ref} whose value {p.vp.sg}, in insertion order"
        pf = p.fn
        fn = lambda d, env: [a for a, b in d.items() if pf(b, env)]
    elif kind == "sorted":
        value = x_.call("sorted", src) if ctx.chance("half") else x_.call("sorted", x_.method(src, "keys"))
        noun = f"the keys of {s.ref} in lexicographic order"
        fn = lambda d, env: sorted(d)
    elif kind == "by_value":
        k = ctx.fresh("key")
        value = x_.call("sorted", src, key=x_.lam(k, x_.tuple_(x_.neg(x_.index(src, k)), name(k))))
        noun = f"the keys of {s.ref} ordered by decreasing value, keys with equal values in lexicographic order"
        fn = lambda d, env: sorted(d, key=lambda a: (-d[a], a))
    else:
        value = x_.call("list", x_.method(src, "keys"))
        noun = f"the keys of {s.ref} in insertion order"
        fn = lambda d, env: list(d)
    return Step("dict_keys", [], value, out, f"take {noun}", noun, 0, "select_keys", fn)


def _dict_values(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    out = _list(ctx, "amounts", "list[int]", ("value", "values"), s.facts)
    noun = f"the values of {s.ref} in insertion order"
    return Step("dict_values", [], x_.call("list", x_.method(name(s.name), "values")), out, f"take {noun}", noun, 0,
                "values", lambda d, env: list(d.values()))  # fmt: skip


def _dict_total(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("dict_totals")
    src = name(s.name)
    out = _scalar(ctx, "total", "int", "the total", s.facts)
    if kind == "sum":
        value, noun = x_.call("sum", x_.method(src, "values")), f"the sum of the values of {s.ref}"
        fn = lambda d, env: sum(d.values())
    elif kind == "max":
        dflt = threshold(ctx, s.facts)
        value = x_.call("max", x_.method(src, "values"), default=lit(dflt))
        noun = f"the largest value in {s.ref}, or {dflt} if it is empty"
        fn = lambda d, env: max(d.values(), default=dflt)
    elif kind == "size":
        value, noun = x_.call("len", src), f"the number of keys in {s.ref}"
        out.facts = ("nonneg", "count")
        fn = lambda d, env: len(d)
    else:  # a loop over items with a condition on the key
        if budget < 2:
            raise Failed("needs depth 2")
        p = draw_pred(ctx, "str", ("word",), _keys(vals), simple=True)
        k, v = ctx.fresh("key"), ctx.fresh("value")
        lines = [
            (0, f"{out.name} = 0"),
            (0, f"for {k}, {v} in {s.name}.items():"),
            (1, f"if {p.test(name(k))}:"),
            (2, f"{out.name} += {v}"),
        ]
        noun = f"the sum of the values of {s.ref} whose key {p.vp.sg}"
        pf = p.fn
        return Step("dict_total", lines, None, out, f"compute {noun}", noun, 2, "total",
                    lambda d, env: sum(b for a, b in d.items() if pf(a, env)))  # fmt: skip
    return Step("dict_total", [], value, out, f"compute {noun}", noun, 0, "total", fn)


def _dict_argmax(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    item = ctx.fresh("item")
    src = name(s.name)
    value = x_.cond(
        x_.index(x_.call("max", x_.method(src, "items"), key=x_.lam(item, x_.index(name(item), "1"))), "0"),
        src,
        lit(""),
    )
    out = _scalar(ctx, "best", "str", "the key")
    noun = (
        f"the key of {s.ref} with the largest value (the first such key in insertion order), "
        f"or the empty string if it is empty"
    )
    return Step("dict_argmax", [], value, out, f"find {noun}", noun, 0, "best_key",
                lambda d, env: max(d.items(), key=lambda t: t[1])[0] if d else "")  # fmt: skip


def _key_param(ctx: Ctx, vals: list) -> str:
    key = ctx.param("str", flavor="key", role="key", near=_keys(vals))
    if key is None:
        raise Failed("no room for a key parameter")
    return key.name


def _dict_edit(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    kind = ctx.pick("dict_edits")
    k = _key_param(ctx, vals)
    out = _scalar(ctx, "updated", "dict[str, int]", "the dictionary")
    copy = (0, f"{out.name} = {ctx.choice(['dict(' + s.name + ')', s.name + '.copy()'])}")
    if kind == "bump":
        c = ctx.between("shift")
        lines = [copy, (0, f"{out.name}[{k}] = {out.name}.get({k}, 0) + {c}")]
        noun = f"{s.ref} with {c} added to the value of the key {k} (a missing key counts as 0)"
        fn = lambda d, env: {**d, env[k]: d.get(env[k], 0) + c}
    elif kind in ("setdefault", "update"):
        c = threshold(ctx, s.facts)
        if kind == "setdefault":
            lines = [copy, (0, f"{out.name}.setdefault({k}, {c})")]
            noun = f"{s.ref} with the key {k} added with value {c} unless it is already a key"
            fn = lambda d, env: d if env[k] in d else {**d, env[k]: c}
        else:
            lines = [copy, (0, f"{out.name}.update({{{k}: {c}}})")]
            noun = f"{s.ref} with the value of the key {k} set to {c}"
            fn = lambda d, env: {**d, env[k]: c}
    else:
        lines = [copy, (0, f"{out.name}.pop({k}, None)")]
        noun = f"{s.ref} without the key {k} (unchanged if it is not a key)"
        fn = lambda d, env: {a: b for a, b in d.items() if a != env[k]}
    return Step("dict_edit", lines, None, out, f"take {noun}", noun, 0, "update_entry", fn)


def _dict_lookup(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    k = _key_param(ctx, vals)
    dflt = threshold(ctx, s.facts)
    out = _scalar(ctx, "found", "int", "the value", s.facts)
    if ctx.chance("half"):
        value = x_.method(name(s.name), "get", name(k), lit(dflt))
    else:
        value = x_.cond(x_.index(name(s.name), k), x_.compare(name(k), "in", name(s.name)), lit(dflt))
    noun = f"the value of the key {k} in {s.ref}, or {dflt} if it is not a key"
    return Step("dict_lookup", [], value, out, f"look up {noun}", noun, 0, "lookup",
                lambda d, env: d.get(env[k], dflt))  # fmt: skip


def _dict_pop(ctx: Ctx, s: Var, vals: list, budget: int, deep: bool) -> Step:
    k = _key_param(ctx, vals)
    rest, removed = ctx.fresh("rest"), ctx.fresh("removed")
    lines = [
        (0, f"{rest} = dict({s.name})"),
        (0, f"{removed} = {rest}.pop({k}, 0)"),
        (0, f"return {rest}, {removed}"),
    ]
    final = f"return a pair: {s.ref} without the key {k}, and the value that key had (0 if it was not a key)"
    return Step("dict_pop", lines, None, None, "", "", 0, "remove_key",
                lambda d, env: ({a: b for a, b in d.items() if a != env[k]}, d.get(env[k], 0)),
                returns="tuple[dict[str, int], int]", final=final)  # fmt: skip


# --- the step table -------------------------------------------------------------------------------

STEPS: dict[str, Callable[[Ctx, Var, list, int, bool], Step]] = {
    "filter": _filter,
    "map": _map,
    "filter_map": _filter_map,
    "sort": _sort,
    "reverse": _reverse,
    "slice": _slice,
    "dedupe": _dedupe,
    "distinct": _distinct_sorted,
    "running": _running,
    "differences": _differences,
    "positions": _positions,
    "edit": _edit,
    "takewhile": _takewhile,
    "zip": _zip_pair,
    "toggle": _toggle,
    "count": _count,
    "sum": _sum,
    "sum_map": _sum_map,
    "count_if": _count_if,
    "extreme": _extreme,
    "extreme_loop": _extreme_loop,
    "any_all": _any_all,
    "contains": _contains,
    "index_of": _index_of,
    "count_of": _count_of,
    "first_match": _first_match,
    "join": _join,
    "counts": _counts,
    "attr_dict": _attr_dict,
    "minmax": _minmax,
    "partition": _partition,
    "stats": _stats,
    "str_op": _str_op,
    "str_measure": _str_measure,
    "str_test": _str_test,
    "split": _split,
    "partition_str": _partition_str,
    "int_op": _int_op,
    "int_text": _int_text,
    "int_test": _int_test,
    "int_list": _int_list,
    "range_total": _range_total,
    "divmod": _divmod,
    "labels": _labels,
    "dict_filter": _dict_filter,
    "dict_map": _dict_map,
    "dict_keys": _dict_keys,
    "dict_values": _dict_values,
    "dict_total": _dict_total,
    "dict_argmax": _dict_argmax,
    "dict_edit": _dict_edit,
    "dict_lookup": _dict_lookup,
    "dict_pop": _dict_pop,
}


# --- guards ---------------------------------------------------------------------------------------


@dataclass
class Guard:
    """A check before the steps: ``fn(env)`` is None to go on, else ``("return", value)`` or ``("raise", name)``."""

    lines: list[Line]
    sentence: str
    depth: int
    raises: bool
    fn: Callable[[dict], tuple[str, Any] | None]


def guards(ctx: Ctx, returns: str, budget: int, *, early_return: bool = True) -> list[Guard]:
    """Early returns on degenerate input and (if allowed) raised errors, for the parameters in use."""
    out: list[Guard] = []
    params = [p for p in ctx.params if p.name in ctx.used_params and p.type != "bool"]
    if not params:
        return out
    if ctx.allow_raise and ctx.chance("raise_guard"):
        p = ctx.choice(params)
        g = _raise_guard(ctx, p, budget)
        if g is not None:
            out.append(g)
            params = [q2 for q2 in params if q2 is not p]  # one check per parameter
    if params and early_return and returns in DEFAULTS and ctx.rng.random() < float(ctx.level["guard"]):
        code, value, words = DEFAULTS[returns]
        p = ctx.choice(params)
        nm = p.name
        if p.type == "int":
            out.append(Guard([(0, f"if {nm} < 0:"), (1, f"return {code}")], f"if {nm} is negative, return {words}", 1,
                             False, lambda env: ("return", value) if env[nm] < 0 else None))  # fmt: skip
        else:
            out.append(Guard([(0, f"if not {nm}:"), (1, f"return {code}")], f"if {nm} is empty, return {words}", 1,
                             False, lambda env: ("return", value) if not env[nm] else None))  # fmt: skip
    return out


def _raise_guard(ctx: Ctx, p: Var, budget: int) -> Guard | None:
    kind = ctx.pick("raise_guards")
    err = ctx.pick("exceptions")
    an = "an" if err[0] in "AEIOU" else "a"
    nm = p.name
    if p.type == "int":
        if kind == "limit":
            values = sorted(row[nm] for row in ctx.rows)
            c = values[(3 * len(values)) // 4]
            return Guard([(0, f"if {nm} > {c}:"), (1, f"raise {err}({nm + ' is too large'!r})")],
                         f"raise {an} {err} if {nm} is greater than {c}", 1, True,
                         lambda env: ("raise", err) if env[nm] > c else None)  # fmt: skip
        return Guard([(0, f"if {nm} < 0:"), (1, f"raise {err}({nm + ' must not be negative'!r})")],
                     f"raise {an} {err} if {nm} is negative", 1, True,
                     lambda env: ("raise", err) if env[nm] < 0 else None)  # fmt: skip
    if kind == "each" and p.type == "list[int]" and budget >= 2:
        x = _loop_var(ctx, "int")
        lines = [(0, f"for {x} in {nm}:"), (1, f"if {x} < 0:"), (2, f"raise {err}('negative value: ' + str({x}))")]
        return Guard(lines, f"raise {an} {err} if any number in {nm} is negative", 2, True,
                     lambda env: ("raise", err) if any(y < 0 for y in env[nm]) else None)  # fmt: skip
    if kind == "limit" and p.type in ("str", "list[int]", "list[str]"):
        sizes = sorted(len(row[nm]) for row in ctx.rows)
        c = max(1, sizes[(3 * len(sizes)) // 4])
        what = "characters" if p.type == "str" else "elements"
        return Guard([(0, f"if len({nm}) > {c}:"), (1, f"raise {err}({nm + ' is too long'!r})")],
                     f"raise {an} {err} if {nm} has more than {c} {what}", 1, True,
                     lambda env: ("raise", err) if len(env[nm]) > c else None)  # fmt: skip
    return Guard([(0, f"if not {nm}:"), (1, f"raise {err}({nm + ' must not be empty'!r})")],
                 f"raise {an} {err} if {nm} is empty", 1, True,
                 lambda env: ("raise", err) if not env[nm] else None)  # fmt: skip
