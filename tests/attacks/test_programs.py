"""Hostile programs through both paths untrusted code takes, and the layer each one's claim names.

1. Generation's executor: ``ProgramTask.run_tests`` on the task's shared sandbox (``_SANDBOXES``),
   one case at a time, each followed by the item's correct answer on the same fork server; and again
   as the middle program of a batch (``Sandbox.run_batch``, how generation runs its own programs),
   between two runs of the correct answer: every layer holds in a batch's child too, and a hostile
   program costs its neighbours nothing.
2. The evaluator: every case is one prediction of ``codegen-data evaluate`` (run once, see
   ``conftest.py``), each followed by the item's correct answer.

Then, outside both paths, each claim is put to the test: the case still gets its outcome with every
optional layer but the named one turned off, and gets the next layer's answer without it.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from codegen_data.py.base import ProgramTask
from codegen_data.registry import get_task
from codegen_data.sandbox import Sandbox
from codegen_data.sandbox._forkserver import remove_tree
from codegen_data.sandbox.client import OPTIONAL_LAYERS

from .cases import CATEGORIES, PROGRAM_ATTACKS, WALL_CLOCK, Outcome, ProgramAttack
from .conftest import LONG_SECONDS, SHORT_SECONDS, check_outcome

CASES = [pytest.param(case, id=case.id) for case in PROGRAM_ATTACKS]


class _Recording:
    """A sandbox that keeps every result, to search them for the secret."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.results: list = []

    def run(self, *args, **kwargs):
        result = self.sandbox.run(*args, **kwargs)
        self.results.append(result)
        return result


class _Batched:
    """A sandbox whose every run is the middle program of a batch, between two runs of ``record``'s
    correct answer; it keeps every result, the neighbours' apart."""

    def __init__(self, sandbox: Sandbox, record: dict):
        self.sandbox = sandbox
        self.answer = (record["answer"], record["entry_point"], [test["input"] for test in record["tests"]])
        self.results: list = []
        self.neighbours: list = []

    def run(self, code, entry_point, inputs, **kwargs):
        before, result, after = self.sandbox.run_batch([self.answer, (code, entry_point, list(inputs)), self.answer], **kwargs)
        self.results.append(result)
        self.neighbours += [before, after]
        return result


def _passes(result, tests: list[dict]) -> bool:
    return result.status == "ok" and all(
        (call.status, call.output) == ("ok", test["output"]) if "output" in test else
        (call.status, call.exception) == ("error", test["raises"]) for call, test in zip(result.calls, tests))


def seconds_for(outcome: Outcome) -> float:
    return SHORT_SECONDS if outcome is WALL_CLOCK else LONG_SECONDS


class _Deadline:
    """``sandbox`` with every run given ``seconds``."""

    def __init__(self, sandbox, seconds: float):
        self.sandbox, self.seconds = sandbox, seconds

    def run(self, code, entry_point, inputs):
        return self.sandbox.run(code, entry_point, inputs, timeout=self.seconds)


def judge(scorer, world, case: ProgramAttack, record: dict, seconds: float):
    """``case`` run as an answer to ``record`` on ``scorer``'s sandbox, ``seconds`` its deadline."""
    code = case.program(world.target, record["entry_point"])
    deadline = SimpleNamespace(sandbox=_Deadline(scorer.sandbox, seconds))
    return ProgramTask.run_tests(code, record["entry_point"], record["tests"], deadline)


def test_the_table_covers_every_category_and_enough_cases():
    assert len(PROGRAM_ATTACKS) >= 40
    assert {case.category for case in PROGRAM_ATTACKS} == set(CATEGORIES)
    assert len({case.id for case in PROGRAM_ATTACKS}) == len(PROGRAM_ATTACKS)
    for case in PROGRAM_ATTACKS:
        assert case.without is None or case.layer.disables, f"{case.id}: its layer cannot be turned off"
        assert set(case.layer.disables) <= set(OPTIONAL_LAYERS)


# ---------------------------------------------------------------- 1. generation's executor


@pytest.fixture(scope="module")
def generation(world):
    """The sandbox a py_synthesis task runs its programs in (``judge`` gives each case its deadline).

    Its server preloads no module (generated programs import none; a child imports what it asks for
    on demand); ``full`` is the same sandbox with the default preload, as the evaluator's, where a
    case that stopped short in the first meets the layer its claim names."""
    task_class = get_task("py_synthesis")
    config = task_class.config_class(timeout=LONG_SECONDS)  # for the correct answers
    task = task_class(config, seed=0)
    recording = _Recording(task.sandbox(0))
    record = world.program_records[0]
    full = _Recording(Sandbox(timeout=config.timeout, memory_mb=config.memory_mb, output_limit=config.output_limit))
    scorer = SimpleNamespace(sandbox=recording, full=SimpleNamespace(sandbox=full))
    assert ProgramTask.run_tests(record["answer"], record["entry_point"], record["tests"], scorer).passed
    yield scorer
    recording.sandbox.close()
    full.sandbox.close()


def _stopped_short(sandbox: Sandbox, case: ProgramAttack, verdict) -> bool:
    """Whether ``sandbox`` preloads fewer modules and the case, refused, did not get its outcome there
    (it stopped at an import, or found no ``Popen`` among the classes loaded)."""
    return sandbox.config["preload"] is not None and not re.search(case.outcome.error, verdict.error or "")


@pytest.mark.parametrize("case", CASES)
def test_generation_executor(world, generation, case):
    if reason := world.runnable(case):
        pytest.skip(reason)
    record = world.program_record(case)
    server = generation.sandbox.sandbox._server
    verdict = judge(generation, world, case, record, seconds_for(case.outcome))
    # The next program, the item's correct answer, runs normally on the same fork server.
    after = ProgramTask.run_tests(record["answer"], record["entry_point"], record["tests"], generation)
    assert after.passed, f"the correct answer after {case.id} failed: {after}"
    assert generation.sandbox.sandbox._server is server and server.alive(), "the fork server was replaced"
    assert world.untouched() == []
    assert not any(world.leaks(repr(result)) for result in generation.sandbox.results)
    assert verdict.failure is not None, f"{case.id} passed"
    if _stopped_short(generation.sandbox.sandbox, case, verdict):
        verdict = judge(generation.full, world, case, record, seconds_for(case.outcome))
        assert world.untouched() == []
        assert not any(world.leaks(repr(result)) for result in generation.full.sandbox.results)
    check_outcome(world, case, case.outcome, verdict.failure, verdict.error, case.layer)


@pytest.mark.parametrize("case", CASES)
def test_generation_executor_in_a_batch(world, generation, case):
    if reason := world.runnable(case):
        pytest.skip(reason)
    record = world.program_record(case)
    for sandbox in (generation.sandbox.sandbox, generation.full.sandbox.sandbox):
        batched = _Batched(sandbox, record)
        verdict = judge(SimpleNamespace(sandbox=batched), world, case, record, seconds_for(case.outcome))
        assert all(_passes(result, record["tests"]) for result in batched.neighbours), \
            f"a correct answer beside {case.id} failed: {batched.neighbours}"
        assert world.untouched() == []
        assert not any(world.leaks(repr(result)) for result in batched.results + batched.neighbours)
        assert verdict.failure is not None, f"{case.id} passed"
        if not _stopped_short(sandbox, case, verdict):
            break
    check_outcome(world, case, case.outcome, verdict.failure, verdict.error, case.layer)


# ---------------------------------------------------------------- 2. the evaluator


def test_the_evaluation_finishes_and_changes_nothing_outside(world, evaluation):
    result = evaluation.finish()
    assert result["returncode"] == 0, result["stderr"][-3000:]
    summary = result["report"]["summary"]
    golds = len(evaluation.where)
    assert summary["predictions"] == 2 * golds and summary["passed"] == golds  # every correct answer, no attack
    assert summary["missing"] == 0 and summary["unknown_ids"] == []
    for text in (result["report_text"], result["stdout"], result["stderr"]):
        assert not world.leaks(text)
    assert world.untouched() == []


@pytest.mark.parametrize("case", CASES)
def test_evaluator(world, evaluation, case):
    if reason := world.runnable(case):
        pytest.skip(reason)
    item, sample = evaluation.verdict(case.id)
    assert item["passed"][sample + 1], f"the correct answer after {case.id} failed: {item['error'][sample + 1]}"
    assert item["raw"][sample] == case.program(world.target, world.program_record(case)["entry_point"])
    check_outcome(world, case, case.outcome, item["failure"][sample], item["error"][sample], case.layer)


# ---------------------------------------------------------------- the claimed layers


@pytest.fixture(scope="module")
def sandboxes():
    """Sandboxes with some optional layers turned off, one per set, closed at the end."""
    opened: dict[tuple[str, ...], Sandbox] = {}

    def without(disabled: tuple[str, ...]) -> SimpleNamespace:
        key = tuple(sorted(disabled))
        if key not in opened:
            opened[key] = Sandbox(timeout=LONG_SECONDS, disable_layers=key)  # judge sets each case's
        return SimpleNamespace(sandbox=_Recording(opened[key]))

    yield without
    for sandbox in opened.values():
        sandbox.close()


def _all_layers_in_force(world) -> None:
    off = {key: value for key, value in world.layers.items() if value is not True}
    if off:
        pytest.skip(f"runs only where every layer is in force; here: {off}")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in PROGRAM_ATTACKS if c.verify])
def test_the_claimed_layer_alone_stops_it(world, sandboxes, case):
    """Every optional layer but the claimed one off (all off for a layer that cannot be): same outcome."""
    if reason := world.runnable(case):
        pytest.skip(reason)
    if missing := case.layer.missing(world.layers):
        pytest.skip(f"{case.layer.name} is not in force here: {missing}")
    scorer = sandboxes(tuple(layer for layer in OPTIONAL_LAYERS if layer not in case.layer.disables))
    verdict = judge(scorer, world, case, world.program_record(case), seconds_for(case.outcome))
    assert world.untouched() == []
    assert not any(world.leaks(repr(result)) for result in scorer.sandbox.results)
    check_outcome(world, case, case.outcome, verdict.failure, verdict.error, case.layer)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in PROGRAM_ATTACKS if c.without])
def test_without_the_claimed_layer_the_next_one_answers(world, sandboxes, case):
    """The claimed layer off, everything else on: the case gets ``without`` (the next layer's answer,
    or, where its errno differs from ``outcome``'s, proof that the claimed layer answered first)."""
    _all_layers_in_force(world)
    if reason := world.runnable(case):
        pytest.skip(reason)
    scorer = sandboxes(case.layer.disables)
    verdict = judge(scorer, world, case, world.program_record(case), seconds_for(case.without))
    assert world.untouched() == []
    check_outcome(world, case, case.without, verdict.failure, verdict.error, case.layer)


def test_the_hidden_tests_attack_passes_where_nothing_stops_it(world, sandboxes):
    """The attack is real: with the namespaces, Landlock and the uid drop off, it reads the dataset
    and passes every hidden test."""
    _all_layers_in_force(world)
    case = next(c for c in PROGRAM_ATTACKS if c.id == "read_the_hidden_tests")
    verdict = judge(sandboxes(("namespaces", "landlock", "uid_drop")), world, case, world.program_record(case),
                    LONG_SECONDS)
    assert verdict.passed, verdict


# ---------------------------------------------------------------- the server's cleanup


@pytest.fixture
def scratch(tmp_path):
    """A directory on tmpfs where there is one (deep trees are slow to build on a disk file system)."""
    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    path = tempfile.mkdtemp(dir="/dev/shm", prefix="codegen-attacks-")
    yield Path(path)
    remove_tree(path)


def test_remove_tree_handles_depth_links_and_locked_dirs(scratch):
    outside = scratch / "outside"
    outside.mkdir()
    (outside / "keep").write_text("kept")
    tree = scratch / "tree"
    tree.mkdir()
    os.symlink(outside, tree / "link_to_dir")
    os.symlink(outside / "keep", tree / "link_to_file")
    here = os.open(tree, os.O_RDONLY)
    try:
        for _ in range(2100):  # past PATH_MAX and past Python's recursion limit
            os.mkdir("d", dir_fd=here)
            inner = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = inner
        os.close(os.open("f", os.O_CREAT | os.O_WRONLY, dir_fd=here))
        os.symlink(outside, "up", dir_fd=here)
    finally:
        os.close(here)
    (tree / "locked").mkdir()
    (tree / "locked" / "f").write_text("x")
    os.chmod(tree / "locked", 0)
    remove_tree(str(tree))
    if os.geteuid() == 0:
        assert not tree.exists()
    else:  # the locked directory cannot be opened by its owner; everything else is gone
        assert os.listdir(tree) == ["locked"]
        os.chmod(tree / "locked", 0o700)
    assert (outside / "keep").read_text() == "kept" and sorted(os.listdir(outside)) == ["keep"]


def test_a_deep_tree_left_in_the_host_work_dir_is_removed_at_close():
    """Without namespaces the work dirs live on the host; closing the sandbox removes them, however deep."""
    with Sandbox(timeout=5.0, disable_layers=("namespaces",)) as sandbox:
        code = "import os\nfor _ in range(1100):\n    os.mkdir('d')\n    os.chdir('d')\n"
        assert sandbox.run_snippet(code).status == "ok"
        base = sandbox._server.cleanup[0]
    assert not os.path.exists(base)
