"""Helper processes of ours (generation, audit and SQL workers): how they start and how they talk.

They run ``python -s -m MODULE``: "-I style" isolation, but -I implies -E, which would ignore
PYTHONHASHSEED; so no user site (-s), no PYTHON* variable but a fixed hash seed, and a neutral
working directory (cwd is on sys.path with -m). Each gets its own session, so a Ctrl-C reaches only
the parent, which then stops them itself. They speak JSON lines over a private copy of fd 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TextIO

__all__ = ["start_helper", "protocol_stream"]


def start_helper(module: str, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    return subprocess.Popen(
        [sys.executable, "-s", "-m", module, *args],
        cwd="/",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        env=env,
        start_new_session=True,
        bufsize=0,
    )


def protocol_stream() -> TextIO:
    """In a helper: the stream for protocol lines; from now on anything printed goes to stderr."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol
