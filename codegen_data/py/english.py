"""English pieces the blocks are phrased with: referents, verb phrases that conjugate and negate, quoting."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Ref", "IT", "VP", "be", "verb", "quote", "sentence", "join_and"]


@dataclass(frozen=True, slots=True)
class Ref:
    """How a phrase names a value: ``Ref("n")``, ``Ref("the word")`` or the pronoun ``IT``."""

    text: str
    pronoun: bool = False

    def of(self, noun: str) -> str:
        """``its digits`` for the pronoun, ``the digits of n`` otherwise."""
        return f"its {noun}" if self.pronoun else f"the {noun} of {self.text}"

    def __str__(self) -> str:
        return self.text


IT = Ref("it", pronoun=True)


@dataclass(frozen=True, slots=True)
class VP:
    """A verb phrase in its four forms: ``is even`` / ``are even`` / ``is not even`` / ``are not even``."""

    sg: str
    pl: str
    neg_sg: str
    neg_pl: str

    def negated(self) -> VP:
        return VP(self.neg_sg, self.neg_pl, self.sg, self.pl)

    def both(self, other: VP, word: str) -> VP:
        """``is even and greater than 3``: a conjunction (or disjunction) that is not negated again."""
        sg, pl = f"{self.sg} {word} {other.sg}", f"{self.pl} {word} {other.pl}"
        return VP(sg, pl, f"does not satisfy this: {sg}", f"do not satisfy this: {pl}")


def be(rest: str) -> VP:
    return VP(f"is {rest}", f"are {rest}", f"is not {rest}", f"are not {rest}")


def verb(third: str, base: str, rest: str) -> VP:
    """``starts with 'a'``: third person, base form, and the rest of the phrase."""
    return VP(f"{third} {rest}", f"{base} {rest}", f"does not {base} {rest}", f"do not {base} {rest}")


def quote(value: object) -> str:
    """A constant as the description shows it: strings in quotes (``'a'``), numbers as digits."""
    return repr(value)


def join_and(items: list[str], word: str = "and") -> str:
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f", {word} " + items[-1]


def sentence(text: str) -> str:
    """Capitalized, with a final period."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
