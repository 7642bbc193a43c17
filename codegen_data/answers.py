"""Getting the answer out of a model's reply.

``extract_answer(text, task=None)``, in order:

1. ``<think> ... </think>`` blocks (reasoning models) are dropped.
2. The text inside ``[ANSWER] ... [/ANSWER]`` (an unclosed one runs to the end), else
3. the first fenced code block (```` ```python ```` / ```` ```sql ```` / bare ```` ``` ````), else
4. the reply itself, where a leading ``The answer is`` / ``Answer:`` and a trailing period are
   dropped, a reply that is one `inline code` span is unwrapped, and for SQL tasks everything after
   the first blank line that is followed by prose (not SQL) is dropped.
5. Then, by task: ``py_output`` takes ``Y`` from a CRUXEval-style ``assert f(...) == Y``; ``py_input``
   takes the arguments ``X`` from ``assert f(X) == ...``; ``sql_output``
   accepts a Markdown table (outer pipes and the ``|---|`` row removed).

The result is stripped. Nothing here executes the reply (``ast.parse`` only).
"""

from __future__ import annotations

import ast
import re

__all__ = ["extract_answer"]

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_WRAPPED = re.compile(r"\[ANSWER\](.*?)(?:\[/ANSWER\]|$)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n(.*?)(?:```|$)", re.DOTALL)
_LEAD = re.compile(r"^\s*(?:the\s+(?:final\s+)?answer\s+is|final\s+answer|answer)\s*[:=]?\s*", re.IGNORECASE)
_INLINE = re.compile(r"^`([^`\n]+)`\.?$")
_SQL_START = re.compile(r"^\s*(?:SELECT|WITH|FROM|WHERE|GROUP|ORDER|HAVING|LIMIT|OFFSET|UNION|INTERSECT|EXCEPT|JOIN|"
                        r"LEFT|RIGHT|INNER|OUTER|ON|AND|OR|\(|\)|--)", re.IGNORECASE)
_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_SQL_TASKS = ("text_to_sql", "sql_translate")


def extract_answer(text: str, task: str | None = None) -> str:
    text = _THINK.sub("", text)
    wrapped = _WRAPPED.search(text)
    if wrapped:
        text = wrapped.group(1)
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    elif not wrapped:
        text = _bare(text, task)
    text = text.strip()
    if task == "py_output":
        text = _assert_part(text, "right") or text
    elif task == "py_input":
        text = _assert_part(text, "args") or text
    elif task == "sql_output":
        text = _markdown_table(text)
    return text.strip()


def _bare(text: str, task: str | None) -> str:
    text = _LEAD.sub("", text.strip(), count=1)
    inline = _INLINE.match(text)
    if inline:
        return inline.group(1)
    if task in _SQL_TASKS:
        blocks = re.split(r"\n\s*\n", text)
        kept = [blocks[0]]
        for block in blocks[1:]:
            if not _SQL_START.match(block):
                break
            kept.append(block)
        return "\n\n".join(kept)
    if task in ("py_output", "py_input") and "\n" not in text and text.endswith("."):
        return text[:-1]
    return text


def _assert_part(text: str, part: str) -> str | None:
    """``Y`` (part="right") or ``X`` (part="args") of ``assert f(X) == Y``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    call = None
    if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
            and isinstance(node.test.ops[0], ast.Eq):
        if part == "right":
            return ast.get_source_segment(text, node.test.comparators[0])
        call = node.test.left
    if not isinstance(call, ast.Call) or not call.args and not call.keywords:
        return None
    start = call.func.end_col_offset  # the "(" follows the callee
    segment = ast.get_source_segment(text, call)
    inner = segment[segment.index("(", start - call.col_offset) + 1 : -1] if segment else None
    return inner.strip() if inner else None


def _markdown_table(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not all(line.startswith("|") and line.endswith("|") for line in lines):
        return text
    return "\n".join(line[1:-1].strip() for line in lines if not _MD_RULE.match(line))
