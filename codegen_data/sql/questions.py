"""English pieces the query generator assembles questions from: lists, literals, sentence frames.

Every phrase is built from a schema's words (``Table.plural``, ``Column.label``) and literal values, never
from SQL identifiers, so a question never contains an underscore.
"""

from __future__ import annotations

import datetime as _dt
import decimal

__all__ = ["join_words", "literal_text", "quoted_list", "capitalize", "ordinal_rows", "with_article", "SENTENCE_FRAMES"]


def join_words(parts: list[str], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    parts = [p for p in parts if p]
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def literal_text(value: object) -> str:
    """A literal as the question states it: strings quoted, dates ISO, numbers plain, booleans as words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, _dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)


def quoted_list(values: list[object], conjunction: str = "or") -> str:
    return join_words([literal_text(v) for v in values], conjunction)


def with_article(phrase: str) -> str:
    """``"interest rate level"`` -> ``"an interest rate level"``."""
    return f"{'an' if phrase[:1].lower() in 'aeio' else 'a'} {phrase}"


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def ordinal_rows(limit: int, offset: int | None) -> str:
    """The LIMIT/OFFSET clause of a question: ``"return only the first 3 rows"``."""
    rows = "row" if limit == 1 else f"{limit} rows"
    if offset:
        skipped = "row" if offset == 1 else f"{offset} rows"
        first = "the next row" if limit == 1 else f"the next {limit} rows"
        return f"skip the first {skipped} and return only {first}"
    return f"return only the first {rows}"


SENTENCE_FRAMES: dict[str, dict[str, str]] = {
    # {outputs}: "the name and the salary"; {subject}: "employees whose salary is greater than 10";
    # {verb}: "is" or "are". Further instructions (sorting, limits, notes) follow as their own sentences.
    # Keys match the style names of [phrasing] in grammars/sql.toml.
    "rows": {
        "list": "List {outputs} of {subject}.",
        "what": "What are {outputs} of {subject}?",
        "show": "Show {outputs} for {subject}.",
        "find": "Find {outputs} of {subject}.",
    },
    "rows_subject_first": {  # used when the output list is long, so the filter stays readable
        "list": "For {subject}, list {outputs}.",
        "what": "For {subject}, what are {outputs}?",
        "show": "Consider {subject}. Show {outputs}.",
        "find": "For {subject}, find {outputs}.",
    },
    "aggregate": {
        "list": "Compute {outputs} over {subject}.",
        "what": "What {verb} {outputs} among {subject}?",
        "show": "Show {outputs} among {subject}.",
        "find": "Find {outputs} among {subject}.",
    },
    "grouped": {
        "list": "For each {group}, list {outputs}.",
        "what": "For each {group}, what {verb} {outputs}?",
        "show": "Show {outputs} for each {group}.",
        "find": "Group {subject} by {group} and find {outputs}.",
    },
    "per_parent": {  # one row per parent row ("For each department, ...")
        "list": "For each {group}, list {outputs}.",
        "what": "For each {group}, what {verb} {outputs}?",
        "show": "Show {outputs} for each {group}.",
        "find": "Find {outputs} for each {group}.",
    },
    "set": {
        "list": "List the {values} that {relation}.",
        "what": "Which {values} {relation}?",
        "show": "Show the {values} that {relation}.",
        "find": "Find the {values} that {relation}.",
    },
}
"""Sentence frames per query shape and phrasing style."""
