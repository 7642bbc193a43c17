"""What the program tasks share: config, the sandboxed runs, and the program verifiers.

Chain per item: generate a typed program and its inputs (pure Python, no execution) -> run it on every
input in the sandbox, twice, under two PYTHONHASHSEEDs -> verify -> record. Generated code only ever
runs in the sandbox's forked children, never in our process.

A worker hands a chunk of indices to :meth:`ProgramTask.process_many`: the chunk's programs are
generated first, then run together in one confined child (``Sandbox.run_batch``: generated programs are
trusted; predictions under evaluation never share a child), then those that ran to completion run
again in a child of the second hash seed; each item comes out as ``process(i)`` alone would make it.
One after the other, not side by side: a worker uses one core, so ``--workers N`` means N cores.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import __version__
from .._seeding import stable_hash
from ..grammar import load_grammar
from ..scoring import Verdict, ran_out
from ..groups import python_structure_key
from ..sandbox import ProgramResult, Sandbox
from ..task import ConfigError, Reject, Task, TaskConfig
from .analysis import analyze
from .generator import DIFFICULTIES, Program, generate_program

__all__ = ["ProgramConfig", "ProgramTask", "ProgramCandidate", "ProgramExecution", "literal_round_trips"]


MAX_MEMORY_MB = 1 << 20
"""Upper bound of ``memory_mb`` (1 TiB), the sandbox's own: past it, every candidate failed to start."""
MAX_OUTPUT_LIMIT = 1 << 24
"""Upper bound of ``output_limit`` (16 MiB): the sandbox holds a run's output, and lines 24 times that
long, in memory."""


@dataclass
class ProgramConfig(TaskConfig):
    """Options shared by the program tasks (a ``--config`` TOML table named after the task)."""

    tests: int = 5  # recorded tests per program (visible examples for output/input prediction)
    hidden_tests: int = 10  # hidden tests of synthesis and repair
    timeout: float = 2.0  # wall-clock seconds for one program on all its inputs
    memory_mb: int = 512  # address-space limit of the sandboxed process (64 to 1048576)
    output_limit: int = 65536  # bytes of stdout before a run is stopped (1024 to 16777216)
    min_distinct_outputs: int = 2  # a program must tell at least this many inputs apart

    def validate(self) -> None:
        super().validate()
        if not 1 <= self.tests <= 50:
            raise ConfigError(f"tests must be between 1 and 50, got {self.tests}")
        if not 1 <= self.hidden_tests <= 50:
            raise ConfigError(f"hidden_tests must be between 1 and 50, got {self.hidden_tests}")
        if not 0 < self.timeout <= 60:
            raise ConfigError(f"timeout must be in (0, 60] seconds, got {self.timeout}")
        if not 64 <= self.memory_mb <= MAX_MEMORY_MB:
            raise ConfigError(f"memory_mb must be between 64 and {MAX_MEMORY_MB}, got {self.memory_mb}")
        if not 1024 <= self.output_limit <= MAX_OUTPUT_LIMIT:
            raise ConfigError(f"output_limit must be between 1024 and {MAX_OUTPUT_LIMIT}, got {self.output_limit}")
        if self.min_distinct_outputs < 1:
            raise ConfigError(f"min_distinct_outputs must be >= 1, got {self.min_distinct_outputs}")


@dataclass
class ProgramCandidate:
    index: int
    program: Program
    inputs: tuple[str, ...]  # the inputs this task uses, in order
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgramExecution:
    first: ProgramResult  # PYTHONHASHSEED 0
    second: ProgramResult | None  # PYTHONHASHSEED 1, run only when the first ran to completion


_SANDBOXES: dict[tuple, Sandbox] = {}


_INT = r"(?:0|-?[1-9][0-9]{0,17})"  # as repr writes an int (no "-0", no leading zero, far below the digit limit)
_STR = r"'[A-Za-z0-9 _.,;:!?|-]*'"  # as repr writes a str of these characters
_PLAIN_LITERAL = re.compile(rf"(?:{_INT}|True|False|None|\{{\}}|\[(?:{_INT}(?:, {_INT})*)?\]|\[{_STR}(?:, {_STR})*\])\Z")


def literal_round_trips(text: str) -> bool:
    """``ast.literal_eval(text)`` succeeds and its repr gives ``text`` back (no code is run).

    Most outputs are an int, a bool, None, a plain string or a flat list of those, written as repr
    writes them: such text round-trips by its form alone (:data:`_PLAIN_LITERAL`); the rest is parsed."""
    if _PLAIN_LITERAL.match(text):
        return True
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return repr(value) == text


@functools.lru_cache(maxsize=64)
def _raised_names(code: str) -> frozenset[str]:
    """The exception types ``code``'s ``raise`` statements name (asked after each of its runs)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                names.add(target.id)
    return frozenset(names)


@functools.lru_cache(maxsize=64)
def _structure_key(code: str) -> str:
    """The record's ``group``, once per program (asked before it runs, and again for its record)."""
    return python_structure_key(code)


def level_of(depth: int) -> str:
    """Difficulty from statement nesting (tree-sitter): <= 1 easy, 2 medium, >= 3 hard."""
    return "easy" if depth <= 1 else "medium" if depth == 2 else "hard"


def _outcome(call) -> str:
    return f"ok:{call.output}" if call.status == "ok" else f"{call.status}:{call.exception}"


class ProgramTask(Task):
    """Base of the program tasks; subclasses choose the inputs and build the record."""

    config_class: ClassVar[type[TaskConfig]] = ProgramConfig
    grammars: ClassVar[tuple[str, ...]] = ("python",)
    levels: ClassVar[tuple[str, ...]] = DIFFICULTIES
    allow_raise: ClassVar[bool] = False  # whether programs may raise on purpose for some inputs
    labels_text = (
        "Program outputs are the repr of what each generated function really returned (or the type of "
        "the exception it raised on purpose), run in a fork-server sandbox (resource limits, private "
        "working directory, no network, seccomp, dropped privileges where the machine allows)."
    )
    verification_text = (
        "Program items ran to completion on every input within the time limit (or raised the exception the "
        "program raises on purpose); gave identical outcomes under a second PYTHONHASHSEED; return at least "
        "two distinct outputs; parse with tree-sitter without an error node at the nesting depth of their "
        "level; and every output round-trips through ast.literal_eval. Repair items' bugs fail at least one "
        "hidden test."
    )

    config: ProgramConfig

    def __init__(self, config: TaskConfig, *, seed: int, difficulty: str = "mixed"):
        super().__init__(config, seed=seed, difficulty=difficulty)
        if difficulty != "mixed" and difficulty not in self.levels:
            raise ConfigError(f"{self.name} has no difficulty {difficulty!r} (levels: {', '.join(self.levels)})")
        self.grammar = load_grammar("python")

    def input_count(self) -> int:
        return self.config.tests

    # the chain, for a chunk of items at once ---------------------------------------------------
    def process(self, index: int) -> dict[str, Any] | Reject:
        return self.process_many([index])[0]

    def process_many(self, indices: Iterable[int]) -> list[dict[str, Any] | Reject]:
        """``[process(i) for i in indices]``, with the programs of all the items run in one batch per hash seed."""
        indices = list(indices)
        candidates = [self.candidate(i) for i in indices]
        live = [c for c in candidates if not isinstance(c, Reject)]
        executions = self.execute_many(live)
        verdicts = self.verify_many(list(zip(live, executions)))
        outcomes: list[dict[str, Any] | Reject] = []
        done = iter(zip(live, executions, verdicts))
        for index, candidate in zip(indices, candidates):
            if isinstance(candidate, Reject):
                outcomes.append(candidate)
                continue
            _, execution, verdict = next(done)
            if verdict is not None:
                outcomes.append(self.rejected(candidate, verdict))
            else:
                outcomes.append(self.to_record(index, candidate, execution))
        return outcomes

    def group_of(self, candidate: ProgramCandidate) -> str:
        """The structure key of the program (see :func:`~codegen_data.groups.python_structure_key`)."""
        return _structure_key(candidate.program.code)

    # generate ---------------------------------------------------------------------------------
    def generate(self, index: int) -> ProgramCandidate | Reject:
        rng = self.rng(index)
        target = self.target_difficulty(index, self.levels)
        program = generate_program(rng, difficulty=target, grammar=self.grammar, allow_raise=self.allow_raise)
        wanted = self.input_count()
        if len(program.inputs) < wanted:
            return Reject("too_few_inputs", f"{len(program.inputs)} < {wanted}", self.describe_program(program))
        chosen = self.choose_inputs(program.modeled, wanted)
        early = self.modeled_triviality(tuple(program.modeled[k] for k in chosen if k < len(program.modeled)), wanted)
        if early is not None:
            return Reject(early.reason, early.detail, self.describe_program(program))
        return ProgramCandidate(index, program, tuple(program.inputs[k] for k in chosen))

    def outputs_needed(self, tests: int) -> int:
        """How many distinct outputs ``tests`` tests must show for a program not to count as trivial
        (check 3 of :meth:`check_program`): ``min_distinct_outputs``, or all of them when fewer."""
        return min(self.config.min_distinct_outputs, tests)

    def choose_inputs(self, modeled: tuple[str, ...], wanted: int) -> list[int]:
        """Positions (ascending) of the ``wanted`` inputs this task uses, of the program's inputs.

        The first ``wanted``, edge cases first, unless the generator's model says they give fewer
        distinct outputs than the task needs (``min_distinct_outputs``): then each later input with an
        output not seen yet, in order, takes the place of the last chosen input that repeats an outcome,
        until there are enough. So a program whose first inputs all return the same value is tested on
        one that tells it apart, instead of being drawn again. Here the model only chooses inputs
        (:meth:`modeled_triviality` then drops, early, what it still calls trivial); check 3 of
        :meth:`check_program` judges the real outcomes of the chosen inputs."""
        chosen = list(range(wanted))
        if len(modeled) < wanted:
            return chosen  # no model for some input: the first ones, and the real run decides
        need = self.outputs_needed(wanted)
        seen: set[str] = set()
        repeats = []  # chosen positions whose outcome an earlier chosen input already gave
        for k in chosen:
            if modeled[k] in seen:
                repeats.append(k)
            seen.add(modeled[k])
        outputs = {outcome for outcome in seen if outcome.startswith("ok:")}
        for k in range(wanted, len(modeled)):
            if len(outputs) >= need or not repeats:
                break
            if modeled[k].startswith("ok:") and modeled[k] not in outputs:
                chosen.remove(repeats.pop())
                chosen.append(k)  # later than every chosen one: still ascending
                outputs.add(modeled[k])
        return chosen

    def modeled_triviality(self, modeled: tuple[str, ...], wanted: int) -> Reject | None:
        """Check 3 of :meth:`check_program` (several distinct outputs, not all exceptions) on the
        generator's model of the outcomes, before anything runs: a program its own model already calls
        trivial on the inputs this task uses is dropped without a sandboxed run, with the reject the
        real run would give (the model agrees with the real runs; tests/py/test_generator.py). This
        only ever drops candidates: a kept program still passes every check on its real outcomes."""
        if len(modeled) < wanted:
            return None  # no model for some input: the real run decides
        outputs = {outcome for outcome in modeled if outcome.startswith("ok:")}
        if not outputs:
            return Reject("all_exceptions")
        if len(outputs) < self.outputs_needed(wanted):
            return Reject("constant_output", f"{len(outputs)} distinct output(s)")
        return None

    # execute ----------------------------------------------------------------------------------
    def sandbox(self, hash_seed: int) -> Sandbox:
        # Started lazily, so only worker processes ever start a fork server; shared by the tasks of a
        # worker that use the same limits. Generated programs import nothing (see py.generator), so the
        # server preloads no module (~20 ms of CPU to start, ~30 ms with the default preload).
        key = (hash_seed, self.config.timeout, self.config.memory_mb, self.config.output_limit)
        if key not in _SANDBOXES:
            _SANDBOXES[key] = Sandbox(
                hash_seed=hash_seed,
                timeout=self.config.timeout,
                memory_mb=self.config.memory_mb,
                output_limit=self.config.output_limit,
                preload=(),
            )
        return _SANDBOXES[key]

    def run(self, code: str, entry_point: str, inputs: tuple[str, ...], *, hash_seed: int = 0) -> ProgramResult:
        return self.sandbox(hash_seed).run(code, entry_point, list(inputs))

    def execute(self, candidate: ProgramCandidate) -> ProgramExecution:
        return self.execute_many([candidate])[0]

    def execute_many(self, candidates: list[ProgramCandidate]) -> list[ProgramExecution]:
        """Each candidate on its inputs under hash seed 0, then those that ran to completion (check 1 of
        :meth:`check_program`) again under hash seed 1: the second run only matters to check 2."""
        programs = [(c.program.code, c.program.entry_point, list(c.inputs)) for c in candidates]
        if not programs:
            return []
        firsts = self.sandbox(0).run_batch(programs)
        again = [k for k, (c, first) in enumerate(zip(candidates, firsts)) if self.incomplete(c, first) is None]
        seconds: list[ProgramResult | None] = [None] * len(firsts)
        for k, second in zip(again, self.sandbox(1).run_batch([programs[k] for k in again]) if again else []):
            seconds[k] = second
        return [ProgramExecution(first, second) for first, second in zip(firsts, seconds)]

    # verify -----------------------------------------------------------------------------------
    def intended_exceptions(self, program: Program) -> frozenset[str]:
        """Exception types the program raises on purpose (read off its ``raise`` statements)."""
        return _raised_names(program.code) if program.raises else frozenset()

    def verify(self, candidate: ProgramCandidate, execution: ProgramExecution) -> Reject | None:
        return self.verify_many([(candidate, execution)])[0]

    def verify_many(self, pairs: list[tuple[ProgramCandidate, ProgramExecution]]) -> list[Reject | None]:
        """:meth:`check_program` of each, then :meth:`extra_verify_many` of those that passed it."""
        verdicts = [self.check_program(candidate, execution) for candidate, execution in pairs]
        passed = [k for k, verdict in enumerate(verdicts) if verdict is None]
        for k, verdict in zip(passed, self.extra_verify_many([pairs[k] for k in passed])):
            verdicts[k] = verdict
        return verdicts

    def check_program(self, candidate: ProgramCandidate, execution: ProgramExecution) -> Reject | None:
        """The checks every program task makes (the first failed one's Reject, or None)."""
        p = candidate.program
        first = execution.first
        # 1. Every input runs to completion within budget, or raises the exception the task intends.
        incomplete = self.incomplete(candidate, first)
        if incomplete is not None:
            return incomplete
        # 2. Deterministic under another PYTHONHASHSEED.
        second = execution.second
        if second is None or [_outcome(c) for c in second.calls] != [_outcome(c) for c in first.calls]:
            return Reject("nondeterministic", "another PYTHONHASHSEED changed an outcome")
        # 3. Non-trivial: several distinct outputs, not all exceptions.
        outputs = {c.output for c in first.calls if c.status == "ok"}
        if not outputs:
            return Reject("all_exceptions")
        if len(outputs) < self.outputs_needed(len(candidate.inputs)):
            return Reject("constant_output", f"{len(outputs)} distinct output(s)")
        # 4. tree-sitter parses it with no ERROR node, and its measured nesting is its level's.
        analysis = analyze(p.code)
        if analysis.has_error:
            return Reject("tree_sitter_error")
        measured = level_of(analysis.depth)
        if measured != p.difficulty:
            return Reject("difficulty_mismatch", f"asked {p.difficulty}, statement depth {analysis.depth} is {measured}")
        # 5. Every output is a literal that round-trips.
        for call in first.calls:
            if call.status == "ok" and not literal_round_trips(call.output or ""):
                return Reject("output_not_literal", (call.output or "")[:200])
        return None

    def incomplete(self, candidate: ProgramCandidate, first: ProgramResult) -> Reject | None:
        """Check 1 of :meth:`check_program` on the first run: every input ran to completion within
        budget, or raised the exception the program raises on purpose."""
        if first.status != "ok":
            return Reject(f"program_{first.status}", first.error or "")
        intended = self.intended_exceptions(candidate.program)
        for call, arg in zip(first.calls, candidate.inputs):
            if call.status == "error" and call.exception in intended:
                continue
            if call.status != "ok":
                return Reject(f"call_{call.status}", f"{candidate.program.entry_point}({arg}): {call.exception or call.status}")
        return None

    def extra_verify(self, candidate: ProgramCandidate, execution: ProgramExecution) -> Reject | None:
        """A task's own check, after :meth:`check_program` passed."""
        return None

    def extra_verify_many(self, pairs: list[tuple[ProgramCandidate, ProgramExecution]]) -> list[Reject | None]:
        """:meth:`extra_verify` of each; a task that runs more programs overrides this to batch them."""
        return [self.extra_verify(candidate, execution) for candidate, execution in pairs]

    # score ------------------------------------------------------------------------------------
    @staticmethod
    def run_tests(code: str, entry_point: str, tests: list[dict[str, str]], scorer: Any) -> Verdict:
        """Whether ``code`` reproduces every test's output (or exception type) in the sandbox."""
        result = scorer.sandbox.run(code, entry_point, [t["input"] for t in tests])
        if ran_out(result.status, result.error):
            return Verdict.fail("timeout", result.error or result.status)
        if result.status != "ok":
            kind = "syntax_error" if (result.error or "").startswith(("SyntaxError", "IndentationError")) else "execution_error"
            return Verdict.fail(kind, result.error or result.status)
        for test, call in zip(tests, result.calls):
            if ran_out(call.status, result.error):
                return Verdict.fail("timeout", f"{entry_point}({test['input']})")
            if "output" in test and not (call.status == "ok" and call.output == test["output"]):
                if call.status == "error" and call.exception in ("SyntaxError", "IndentationError"):
                    return Verdict.fail("syntax_error", f"{entry_point}({test['input']}) does not parse")
                if call.status == "error":
                    return Verdict.fail("execution_error", f"{entry_point}({test['input']}) raised {call.exception}")
                return Verdict.fail("wrong_answer", f"{entry_point}({test['input']}) returned {call.output}, expected {test['output']}")
            if "raises" in test and not (call.status == "error" and call.exception == test["raises"]):
                return Verdict.fail("wrong_answer", f"{entry_point}({test['input']}) should raise {test['raises']}")
        return Verdict.ok()

    @classmethod
    def score(cls, record: dict[str, Any], answer: str, scorer: Any) -> Verdict:
        """The submitted function passes every hidden test (synthesis and repair)."""
        return cls.run_tests(answer, record["entry_point"], record["tests"], scorer)

    # export -----------------------------------------------------------------------------------
    def tests_of(self, candidate: ProgramCandidate, execution: ProgramExecution) -> list[dict[str, str]]:
        tests = []
        for arg, call in zip(candidate.inputs, execution.first.calls):
            tests.append({"input": arg, "output": call.output} if call.status == "ok" else {"input": arg, "raises": call.exception})
        return tests

    def chosen_call(self, index: int, tests: list[dict[str, str]]) -> dict[str, str]:
        """The test (one that returns, not raises) a prediction task asks about, drawn from the item's rng."""
        return self.rng(index, "call").choice([t for t in tests if "output" in t])

    def describe_program(self, program: Program) -> dict[str, Any]:
        return {"code": program.code, "entry_point": program.entry_point, "difficulty": program.difficulty}

    def describe(self, candidate: ProgramCandidate) -> dict[str, Any]:
        return self.describe_program(candidate.program)

    def base_record(self, index: int, candidate: ProgramCandidate, *, prompt: str, answer: str,
                    tests: list[dict[str, str]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
        p = candidate.program
        metrics = analyze(p.code)
        identity = json.dumps([self.name, prompt, answer], ensure_ascii=False)
        record: dict[str, Any] = {
            "id": f"{self.name}-{stable_hash(identity, 16)}",
            "task": self.name,
            "prompt": prompt,
            "answer": answer,
            "difficulty": p.difficulty,
            "features": sorted(set(p.features) | set(metrics.constructs)),
            "code": p.code,
            "entry_point": p.entry_point,
            "tests": tests,
        }
        record.update(extra or {})
        record["group"] = _structure_key(p.code)
        record["meta"] = {
            "seed": self.seed,
            "index": index,
            "version": __version__,
            "grammar_hash": self.grammar_hash(),
            "node_count": metrics.node_count,
            "depth": metrics.depth,
        }
        return record
