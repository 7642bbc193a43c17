"""Structural group keys: records with the same structure share a key, whatever their literals or names.

Splits are assigned by this key, so no structure sits in two splits (no leakage from train to test),
and a structure seen twice in a dataset is a structural duplicate.

- SQL: the sqlglot tree of the query with every literal masked, rendered canonically.
- Python: the tree-sitter syntax tree with every identifier (function, argument, variable) renamed by
  order of first appearance, every literal replaced by its type, and annotations dropped.
"""

from __future__ import annotations

import hashlib
import typing

if typing.TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["sql_structure_key", "python_structure_key", "split_of"]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def sql_structure_key(sql: str, tree: exp.Expression | None = None) -> str:
    """The key of ``sql``: its tree with every literal masked, rendered as DuckDB SQL.

    ``tree`` is ``sqlglot.parse_one(sql, read="duckdb")`` where the caller has it already (a
    generated candidate does): the same key without parsing again. It is left as it was.
    """
    import sqlglot  # here, not at the top: a worker of the program tasks never needs it
    from sqlglot import exp

    from .sql.dialect import DUCKDB

    if tree is None or isinstance(tree, exp.Literal):
        tree = sqlglot.parse_one(sql, read=DUCKDB)
        if isinstance(tree, exp.Literal):  # nothing to mask around: the key of a lone placeholder
            return _digest(DUCKDB.generate(exp.Placeholder()))
    return _digest(_masked_sql(tree))


def _masked_sql(tree: exp.Expression) -> str:
    """``tree`` rendered with a placeholder in place of every literal: what rendering a masked copy
    gives, without copying the tree (each literal is swapped for a placeholder, then put back)."""
    from sqlglot import exp

    from .sql.dialect import DUCKDB

    swapped = []
    try:
        for literal in list(tree.find_all(exp.Literal)):
            placeholder = exp.Placeholder()
            literal.replace(placeholder)
            swapped.append((placeholder, literal))
        return DUCKDB.generate(tree, copy=False)
    finally:
        for placeholder, literal in reversed(swapped):
            placeholder.replace(literal)


# Part of the structure, never renamed: len, sorted, ValueError, ... A fixed list, not ``vars(builtins)``,
# so the key is the same on every Python (3.10 lacks ExceptionGroup, 3.12 PythonFinalizationError), with or
# without ``site`` (which adds exit, help, ...), and wherever something adds to builtins (IPython's
# ``display``, gettext's ``_``). These are Python 3.13's builtins, a superset of 3.10-3.12's.
_BUILTIN_NAMES = frozenset("""
    ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError
    BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError
    ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis EncodingWarning
    EnvironmentError Exception ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError
    FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError
    InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
    ModuleNotFoundError NameError None NotADirectoryError NotImplemented NotImplementedError OSError
    OverflowError PendingDeprecationWarning PermissionError ProcessLookupError PythonFinalizationError
    RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration
    StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError True TypeError
    UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError
    UnicodeWarning UserWarning ValueError Warning ZeroDivisionError _IncompleteInputError
    __build_class__ __debug__ __doc__ __import__ __loader__ __name__ __package__ __spec__ abs aiter all
    anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile complex
    copyright credits delattr dict dir divmod enumerate eval exec exit filter float format frozenset
    getattr globals hasattr hash help hex id input int isinstance issubclass iter len license list
    locals map max memoryview min next object oct open ord pow print property quit range repr reversed
    round set setattr slice sorted staticmethod str sum super tuple type vars zip
""".split())

# Tokens the tree's shape already says. Every other token stays: operators, keywords, and ``:``, which
# tells ``a[1:]`` from ``a[:1]``; so does a comma in a subscript, where it makes a tuple (``a[1,]``).
_SILENT = frozenset({"(", ")", ",", ";", "comment", "string_start", "string_content", "string_end",
                     "escape_sequence", "line_continuation"})
_LITERALS = {"integer": "int", "float": "float", "true": "bool", "false": "bool", "none": "None",
             "ellipsis": "Ellipsis"}
_TRANSPARENT = frozenset({"parenthesized_expression", "typed_parameter"})  # only what they hold counts
_RENAMED = {"typed_default_parameter": "default_parameter"}  # the same once its annotation is dropped
_ANNOTATED = frozenset({"typed_parameter", "typed_default_parameter", "function_definition"})
_IMPORTS = frozenset({"import_statement", "import_from_statement", "aliased_import", "relative_import",
                      "future_import_statement"})


def python_structure_key(code: str) -> str:
    """The key of ``code``: its tree-sitter syntax tree, with every identifier renamed by order of first
    appearance (v0, v1, ...) except builtins, attribute names, keyword-argument names and imported
    module names; every literal replaced by its type (``int``, ``complex``, ``str``, ``bytes``, ...;
    an f-string keeps the expressions it interpolates); parameter and return annotations, comments,
    parentheses and statement separators dropped. Code that does not parse gets a key too (with
    tree-sitter's ERROR nodes in it): callers keep only programs that parse.

    The tree is the one the program's analysis reads (:func:`codegen_data.py.analysis.syntax_tree`),
    so the worker parses a program once, and no version of Python's ``ast`` enters the key: it is
    tree-sitter-python's grammar (a version bound in pyproject.toml; the version is in the manifest).
    On generated programs it groups exactly as the AST with names and constants normalized does
    (tests/py/test_structure_key.py)."""
    from .py.analysis import syntax_tree

    tree = syntax_tree(code)
    return _digest(" ".join(_structure(tree.walk(), code.encode("utf-8"))))


def _structure(cursor, source: bytes) -> list[str]:
    """The pieces of the key, depth first: a named node is its type, then its children between
    ``[`` and ``]`` (or its text, quoted, when it has none); a token is quoted."""
    out: list[str] = []
    names: dict[str, str] = {}
    parents: list[str] = [""]  # the type of each node above the cursor's
    while True:
        node = cursor.node
        kind = node.type
        parent = parents[-1]
        descend = False
        if not node.is_named:
            if kind in _SILENT:
                if kind == "," and parent == "subscript":
                    out.append("','")
            elif not (kind == "->" and parent == "function_definition" or kind == ":" and parent in _ANNOTATED):
                out.append(repr(kind))
        elif kind == "identifier":
            text = source[node.start_byte:node.end_byte].decode("utf-8")
            field = cursor.field_name
            if (field == "attribute" and parent == "attribute" or field == "name" and parent == "keyword_argument"
                    or parent == "dotted_name" and parents[-2] in _IMPORTS or text in _BUILTIN_NAMES):
                out.append("$" + text)
            else:
                renamed = names.get(text)
                if renamed is None:
                    renamed = names[text] = f"v{len(names)}"
                out.append(renamed)
        elif kind in _LITERALS:
            out.append("complex" if source[node.end_byte - 1:node.end_byte] in (b"j", b"J") else _LITERALS[kind])
        elif cursor.field_name in ("type", "return_type") and parent in _ANNOTATED or kind in _SILENT:
            pass  # an annotation, a comment, a piece of a string
        elif kind in _TRANSPARENT:
            descend = True
        else:
            if kind == "string":
                prefix = source[node.start_byte:node.start_byte + 3].lower()
                kind = "bytes" if b"b" in prefix.split(b"'")[0].split(b'"')[0] else "str"
            out += (_RENAMED.get(kind, kind), "[")
            descend = True
        if descend and cursor.goto_first_child():
            parents.append(node.type)
            continue
        if descend and out[-1] == "[":  # a named node with no children: its text says what it is (``!r``)
            out[-1] = repr(source[node.start_byte:node.end_byte].decode("utf-8"))
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return out
            if parents.pop() not in _TRANSPARENT:
                out.append("]")


def split_of(group: str, splits: dict[str, float]) -> str:
    """The split a group belongs to: a pure function of the key and the ratios (not of the seed, so a
    structure stays in its split when a dataset is regenerated with a new seed)."""
    u = int.from_bytes(hashlib.blake2b(f"split:{group}".encode(), digest_size=8).digest(), "big") / 2**64
    total = 0.0
    names = list(splits)
    for name in names:
        total += splits[name]
        if u < total:
            return name
    return names[-1]
