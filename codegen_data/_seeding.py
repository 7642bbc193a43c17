"""Per-item randomness: every random choice for item i comes from a generator derived by hashing.

``derive_rng(seed, task, i)`` depends only on its arguments, so item i never depends on the items
generated before it, on the number of workers, or on which shard produced it. Hashing (rather than
``Random(seed + i)``) keeps seed 42 item 1 distinct from seed 43 item 0.
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["derive_seed", "derive_rng", "stable_hash"]


def _encode(parts: tuple[object, ...]) -> bytes:
    # repr() keeps int 1 and str "1" apart; the unit separator keeps ("ab", "c") apart from ("a", "bc").
    return "\x1f".join(f"{type(p).__name__}:{p!r}" for p in parts).encode("utf-8")


def derive_seed(*parts: object) -> int:
    """A 64-bit integer seed that is a pure function of ``parts``."""
    return int.from_bytes(hashlib.blake2b(_encode(parts), digest_size=8).digest(), "big")


def derive_rng(*parts: object) -> random.Random:
    """A private ``random.Random`` seeded from ``parts`` (e.g. ``derive_rng(seed, task, index)``)."""
    return random.Random(derive_seed(*parts))


def stable_hash(text: str, length: int = 16) -> str:
    """Hex digest of ``text`` used for content-derived ids."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=max(4, length // 2)).hexdigest()[:length]
