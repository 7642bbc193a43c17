"""Discovery of one-file plugins (tasks, export formats): every public module of a package that
exposes a named class attribute. Scanning the folder means no plugin depends on someone having
imported it first, and a module without the attribute is an error, not a silent skip."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")


def discover(package: ModuleType, attribute: str, base: type[T], what: str) -> dict[str, type[T]]:
    """``{plugin.name: plugin}`` for each module ``package.<m>`` (not starting with ``_``) whose
    ``attribute`` is a subclass of ``base``."""
    found: dict[str, type[T]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        plugin = getattr(module, attribute, None)
        if not (isinstance(plugin, type) and issubclass(plugin, base)):
            raise RuntimeError(f"{module.__name__} defines no {attribute} (a {base.__name__} subclass)")
        name = plugin.name  # type: ignore[attr-defined]
        if name in found:
            raise RuntimeError(f"{what} name {name!r} is defined twice")
        found[name] = plugin
    return found
