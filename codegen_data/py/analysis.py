"""Structural metrics of Python source from its tree-sitter syntax tree (nothing is run or imported).

``analyze(code)`` returns:

* ``has_error``: the tree has an ERROR or MISSING node;
* ``node_count``: all nodes of the tree, named and anonymous;
* ``depth``: the deepest statement nesting inside a function: a statement in a function body is at 0,
  one in the body of an ``if``/``elif``/``else``/``for``/``while``/``try``/``with`` there is at 1, and
  so on (straight-line code has depth 0; a loop with an ``if`` inside has depth 2);
* ``tree_depth``: the height of the syntax tree;
* ``constructs``: sorted construct names found in the tree (the :data:`CONSTRUCTS` vocabulary plus
  ``builtin:<name>``, ``str_method:<name>``, ``list_method:<name>``, ``dict_method:<name>`` and, for a
  method name that several types share and whose receiver's type is not annotated, ``method:<name>``).
"""

from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass

__all__ = ["Analysis", "analyze", "syntax_tree", "CONSTRUCTS"]

CONSTRUCTS = (
    "arithmetic", "augmented_assignment", "boolean_logic", "chained_comparison", "comparison",
    "conditional_expression", "dict_comprehension", "early_return", "elif", "for_enumerate", "for_items",
    "for_loop", "for_range", "for_zip", "generator_expression", "helper_call", "helper_function", "if",
    "if_else", "indexing", "keyword_argument", "lambda", "list_comprehension", "list_literal", "dict_literal",
    "membership", "negation", "raise", "recursion", "set_comprehension", "slicing", "tuple", "tuple_unpacking",
    "unary_minus", "while_loop", "floor_division", "modulo", "power",
)  # fmt: skip

_STR_METHODS = frozenset(
    "capitalize center endswith find isalnum isalpha isdecimal isdigit islower isspace isupper join ljust lower "
    "lstrip partition replace rfind rjust rpartition rstrip split startswith strip swapcase title upper zfill".split()
)
_LIST_METHODS = frozenset("append extend insert remove reverse sort".split())
_DICT_METHODS = frozenset("get items keys values setdefault update fromkeys".split())
_SHARED = {  # method name -> the receiver types that have it
    "count": ("str", "list"),
    "index": ("str", "list"),
    "pop": ("list", "dict"),
    "copy": ("list", "dict"),
}
_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_") and not n[0].isupper())
_BLOCK_OWNERS = frozenset(
    {"if_statement", "elif_clause", "else_clause", "for_statement", "while_statement", "try_statement",
     "except_clause", "finally_clause", "with_statement"}
)  # fmt: skip
_ARITH = {"+": "arithmetic", "-": "arithmetic", "*": "arithmetic", "//": "floor_division", "%": "modulo",
          "**": "power", "/": "arithmetic"}  # fmt: skip
_COMPARE_OPS = frozenset({"<", "<=", ">", ">=", "==", "!=", "in", "not in", "is", "is not"})


@dataclass(frozen=True)
class Analysis:
    has_error: bool
    node_count: int
    depth: int
    tree_depth: int
    constructs: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _parser():
    import tree_sitter_python
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_python.language()))


@functools.lru_cache(maxsize=32)
def syntax_tree(code: str):
    """tree-sitter's tree of ``code``: parsed once for :func:`analyze` and for the program's structure
    key (:func:`~codegen_data.groups.python_structure_key`), which are asked about the same program
    one after the other."""
    return _parser().parse(code.encode("utf-8"))


@functools.lru_cache(maxsize=256)
def analyze(code: str) -> Analysis:
    """Parse ``code`` with tree-sitter and measure it (see the module docstring).

    Cached: the generator, the verifier and the record builder all ask about the same program.
    """
    root = syntax_tree(code).root_node
    walker = _Walker(root)
    walker.walk(root)
    found = walker.found
    if len(walker.functions) > 1:
        found.add("helper_function")
    return Analysis(
        has_error=root.has_error,
        node_count=walker.nodes,
        depth=max(walker.depth, 0),
        tree_depth=walker.height,
        constructs=tuple(sorted(found)),
    )


def _text(node) -> str:
    return node.text.decode("utf-8")


class _Walker:
    """One pass over the tree, collecting counts and constructs."""

    def __init__(self, root):
        self.found: set[str] = set()  # only sorted before it leaves this module
        self.nodes = 0
        self.depth = -1
        self.height = 0
        self.functions: dict[str, dict[str, str]] = {}  # name -> {param: annotation}
        for child in root.children:
            fn = child if child.type == "function_definition" else None
            if child.type == "decorated_definition":
                fn = child.child_by_field_name("definition")
            if fn is not None and fn.type == "function_definition":
                name = fn.child_by_field_name("name")
                self.functions[_text(name)] = _annotations(fn)

    def walk(self, root) -> None:
        """Every node once, depth first, with a tree cursor (no child lists built); a node sees the
        function it is in and the statement depth of the innermost block around it."""
        cursor = root.walk()
        handlers = _HANDLERS
        nodes, depth, height = 0, self.depth, 0
        level, func, stmt_depth, parent_type = 1, None, -1, ""
        above: list[tuple[str | None, int, str]] = []  # (func, stmt_depth, parent type) of each level up
        while True:
            node = cursor.node
            nodes += 1
            if level > height:
                height = level
            t = node.type
            node_func, node_depth = func, stmt_depth
            if t == "function_definition":
                node_func = _text(node.child_by_field_name("name"))
            elif t == "block":
                node_depth = 0 if parent_type == "function_definition" else stmt_depth + 1
                if node_depth > depth:
                    depth = node_depth
            handler = handlers.get(t)
            if handler is not None:
                handler(self, node, node_func, node_depth)
            if cursor.goto_first_child():
                above.append((func, stmt_depth, parent_type))
                func, stmt_depth, parent_type = node_func, node_depth, t
                level += 1
                continue
            while not cursor.goto_next_sibling():
                if not above:
                    self.nodes, self.depth, self.height = nodes, depth, height
                    return
                cursor.goto_parent()
                func, stmt_depth, parent_type = above.pop()
                level -= 1


def _annotations(fn) -> dict[str, str]:
    out: dict[str, str] = {}
    params = fn.child_by_field_name("parameters")
    if params is None:
        return out
    for p in params.named_children:
        if p.type == "typed_parameter":
            ident = next((c for c in p.named_children if c.type == "identifier"), None)
            ann = p.child_by_field_name("type")
            if ident is not None and ann is not None:
                out[_text(ident)] = _text(ann)
    return out


def _h_for(w: _Walker, node, func, depth) -> None:
    w.found.add("for_loop")
    right = node.child_by_field_name("right")
    left = node.child_by_field_name("left")
    if left is not None and left.type in ("pattern_list", "tuple_pattern"):
        w.found.add("tuple_unpacking")
    if right is not None and right.type == "call":
        fn = right.child_by_field_name("function")
        if fn is not None:
            if fn.type == "identifier" and _text(fn) in ("range", "enumerate", "zip"):
                w.found.add("for_" + _text(fn))
            elif fn.type == "attribute" and _text(fn.child_by_field_name("attribute")) == "items":
                w.found.add("for_items")


def _h_if(w: _Walker, node, func, depth) -> None:
    w.found.add("if")
    for child in node.children:
        if child.type == "elif_clause":
            w.found.add("elif")
        elif child.type == "else_clause":
            w.found.add("if_else")


def _h_return(w: _Walker, node, func, depth) -> None:
    if depth > 0:
        w.found.add("early_return")
        return
    sibling = node.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    if sibling is not None:
        w.found.add("early_return")
    value = node.named_children[0] if node.named_children else None
    if value is not None and value.type in ("tuple", "expression_list"):
        w.found.add("tuple")


def _h_binary(w: _Walker, node, func, depth) -> None:
    op = node.child_by_field_name("operator")
    if op is not None:
        w.found.add(_ARITH.get(op.type, "arithmetic"))
        if op.type in ("//", "%", "**"):
            w.found.add("arithmetic")


def _h_compare(w: _Walker, node, func, depth) -> None:
    ops = [c.type for c in node.children if c.type in _COMPARE_OPS or c.type in ("not in", "is not")]
    w.found.add("comparison")
    if len(ops) > 1:
        w.found.add("chained_comparison")
    if any(o in ("in", "not in") for o in ops):
        w.found.add("membership")


def _h_call(w: _Walker, node, func, depth) -> None:
    fn = node.child_by_field_name("function")
    if fn is None:
        return
    args = node.child_by_field_name("arguments")
    if args is not None and any(c.type == "keyword_argument" for c in args.named_children):
        w.found.add("keyword_argument")
    if fn.type == "identifier":
        name = _text(fn)
        if name in w.functions:
            w.found.add("recursion" if name == func else "helper_call")
        elif name in _BUILTINS:
            w.found.add("builtin:" + name)
        return
    if fn.type != "attribute":
        return
    meth = _text(fn.child_by_field_name("attribute"))
    obj = fn.child_by_field_name("object")
    if meth in _STR_METHODS:
        w.found.add("str_method:" + meth)
    elif meth in _LIST_METHODS:
        w.found.add("list_method:" + meth)
    elif meth in _DICT_METHODS:
        w.found.add("dict_method:" + meth)
    elif meth in _SHARED:
        kind = _receiver_kind(w, obj, func)
        if kind is None and meth == "pop" and args is not None:
            kind = "dict" if len(args.named_children) == 2 else "list"
        w.found.add(f"{kind}_method:{meth}" if kind in _SHARED[meth] else f"method:{meth}")


def _receiver_kind(w: _Walker, obj, func) -> str | None:
    if obj is None:
        return None
    if obj.type in ("string", "concatenated_string"):
        return "str"
    if obj.type in ("list", "list_comprehension"):
        return "list"
    if obj.type in ("dictionary", "dictionary_comprehension"):
        return "dict"
    if obj.type == "identifier" and func is not None:
        ann = w.functions.get(func, {}).get(_text(obj), "")
        for kind in ("str", "list", "dict"):
            if ann.startswith(kind):
                return kind
    return None


def _h_subscript(w: _Walker, node, func, depth) -> None:
    subs = node.children_by_field_name("subscript")
    w.found.add("slicing" if any(s.type == "slice" for s in subs) else "indexing")


def _h_assignment(w: _Walker, node, func, depth) -> None:
    left = node.child_by_field_name("left")
    if left is not None and left.type in ("pattern_list", "tuple_pattern"):
        w.found.add("tuple_unpacking")


def _h_unary(w: _Walker, node, func, depth) -> None:
    op = node.child_by_field_name("operator")
    if op is not None and op.type == "-":
        w.found.add("unary_minus")


def _tag(name: str):
    def handler(w: _Walker, node, func, depth) -> None:
        w.found.add(name)

    return handler


_HANDLERS = {
    "for_statement": _h_for,
    "while_statement": _tag("while_loop"),
    "if_statement": _h_if,
    "conditional_expression": _tag("conditional_expression"),
    "list_comprehension": _tag("list_comprehension"),
    "dictionary_comprehension": _tag("dict_comprehension"),
    "set_comprehension": _tag("set_comprehension"),
    "generator_expression": _tag("generator_expression"),
    "lambda": _tag("lambda"),
    "return_statement": _h_return,
    "raise_statement": _tag("raise"),
    "boolean_operator": _tag("boolean_logic"),
    "not_operator": lambda w, n, f, d: w.found.update(("boolean_logic", "negation")),
    "binary_operator": _h_binary,
    "augmented_assignment": lambda w, n, f, d: w.found.update(("augmented_assignment", "arithmetic")),
    "comparison_operator": _h_compare,
    "call": _h_call,
    "subscript": _h_subscript,
    "assignment": _h_assignment,
    "unary_operator": _h_unary,
    "list": _tag("list_literal"),
    "dictionary": _tag("dict_literal"),
}
