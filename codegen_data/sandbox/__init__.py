"""The program sandbox: untrusted Python runs in confined forks of a pre-warmed server.

``Sandbox.run(code, entry_point, inputs)`` loads a program and calls its entry point once per input;
``sandbox_layers()`` reports which protection layers are in force on this machine (``codegen-data
doctor``). See ``client.py`` for the parent side and ``_forkserver.py`` for the server and its children.
"""

from __future__ import annotations

from .client import CallResult, ProgramResult, Sandbox, run_batches, sandbox_layers

__all__ = ["CallResult", "ProgramResult", "Sandbox", "run_batches", "sandbox_layers"]
