"""Getting the answer out of a model's reply: fenced code blocks and ``[ANSWER]...[/ANSWER]`` wrappers.

``extract_answer`` returns, in order of preference: the text inside ``[ANSWER] ... [/ANSWER]``; the
first fenced code block (```` ```python ```` / ```` ```sql ```` / bare ```` ``` ````); else the reply
stripped of surrounding whitespace.
"""

from __future__ import annotations

import re

__all__ = ["extract_answer"]

_WRAPPED = re.compile(r"\[ANSWER\](.*?)(?:\[/ANSWER\]|$)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n(.*?)(?:```|$)", re.DOTALL)


def extract_answer(text: str) -> str:
    wrapped = _WRAPPED.search(text)
    if wrapped:
        text = wrapped.group(1)
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    return text.strip()
