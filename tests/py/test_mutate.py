"""Mutants for the repair task: valid, different, minimal, deterministic, and usually caught by a test."""

from __future__ import annotations

import ast
import difflib
import itertools
import random
from functools import lru_cache

from codegen_data.grammar import load_grammar
from codegen_data.py.generator import generate_program
from codegen_data.py.mutate import BUG_KINDS, Mutant, iter_mutants, mutants
from tests.py.test_generator import programs, run_programs


def _sample() -> list:
    return programs()[::3]  # 100 programs, every level


@lru_cache(maxsize=1)
def _mutated() -> list[tuple]:
    return [(p, mutants(random.Random(i), p)) for i, p in enumerate(_sample())]


def _defs(code: str) -> list[str]:
    return [line for line in code.splitlines() if line.startswith("def ")]


def test_mutants_are_valid_and_different():
    for p, found in _mutated():
        assert len({m.code for m in found}) == len(found)
        for m in found:
            assert isinstance(m, Mutant) and m.kind in BUG_KINDS
            assert m.code != p.code
            assert ast.dump(ast.parse(m.code)) != ast.dump(ast.parse(p.code))
            assert _defs(m.code) == _defs(p.code)  # same functions, same signatures
            code, kind = m  # the pipeline unpacks (code, kind)
            assert code.endswith("\n") and kind == m.kind


def test_mutants_change_one_spot():
    for p, found in _mutated():
        for m in found:
            changed = [d for d in difflib.ndiff(p.code.splitlines(), m.code.splitlines()) if d[:1] in "+-"]
            removed = sum(d.startswith("-") for d in changed)
            added = sum(d.startswith("+") for d in changed)
            assert added <= 1 and (removed <= 1 or added == 0), (m.kind, changed)


def test_mutants_are_deterministic():
    for i, p in enumerate(_sample()[:30]):
        assert mutants(random.Random(i), p) == mutants(random.Random(i), p)


def test_kinds_are_varied():
    kinds = {m.kind for _, found in _mutated() for m in found}
    assert len(kinds) >= 10, kinds


def test_most_programs_have_a_mutant_that_changes_an_output():
    sample = _mutated()
    jobs, owners = [], []
    for i, (p, _) in enumerate(sample):
        jobs.append((p.code, p.entry_point, list(p.inputs)))
        owners.append(i)
    for i, (p, found) in enumerate(sample):
        for m in found:
            jobs.append((m.code, p.entry_point, list(p.inputs)))
            owners.append(i)
    results = run_programs(jobs)
    base = {owners[k]: results[k]["outs"] for k in range(len(sample))}
    caught = set()
    for k in range(len(sample), len(jobs)):
        outs = results[k]["outs"]
        assert all(status != "timeout" for status, _ in outs), jobs[k][0]
        if outs != base[owners[k]]:
            caught.add(owners[k])
    assert len(caught) >= 0.8 * len(sample)


def test_mutants_one_at_a_time_are_the_same_mutants():
    grammar = load_grammar("python")
    for seed in range(5):
        program = generate_program(random.Random(seed), difficulty="medium", grammar=grammar)
        lazy = iter_mutants(random.Random(seed + 100), program)
        first = list(itertools.islice(lazy, 2))
        assert first + list(lazy) == mutants(random.Random(seed + 100), program)
