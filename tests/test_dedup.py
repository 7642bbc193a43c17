"""Duplicates: a group is checked first, whatever the verdict, so a worker that skips a candidate of a
kept group gives the same outcome as one that runs it."""

import pytest

from codegen_data import _keyset
from codegen_data._keyset import KeySet
from codegen_data.pipeline import _Deduplicator, ordered_outcomes, plan_generation
from codegen_data.pool import Chunk, WorkerPool
from codegen_data.registry import get_task


def test_keyset_is_a_set_of_strings():
    keys = KeySet()
    try:
        assert "a" not in keys
        keys.add("a")
        keys.add("a")
        keys.update(["b", "c\x00d", "é"])
        assert all(k in keys for k in ("a", "b", "c\x00d", "é"))
        assert "c" not in keys and "" not in keys
    finally:
        keys.close()


def test_a_keyset_iterates_its_keys_sorted_a_page_at_a_time(monkeypatch):
    monkeypatch.setattr(_keyset, "_PAGE", 2)
    keys = KeySet()
    try:
        assert list(keys) == []
        keys.update(["d", "a", "c\x00d", "b", "é"])
        assert list(keys) == ["a", "b", "c\x00d", "d", "é"]
    finally:
        keys.close()


class _ScriptedPool:
    """Hands ``ordered_outcomes`` the worker messages of a script, in index order, and records the
    groups announced to it (a pool's interface: run, announce, close, kill)."""

    chunk_size = 100

    def __init__(self, script):
        self.script = script
        self.announced = []

    def run(self, next_chunk):
        chunk = next_chunk()
        for i, body in enumerate(self.script):
            if chunk.start <= i < chunk.stop:
                yield {"task": "py_output", "i": i, **body}

    def announce(self, task, group):
        self.announced.append((task, group))

    def close(self):
        pass

    def kill(self):
        pass


def _record(i, group, rid=None):
    return {"record": {"id": rid or f"id{i}", "task": "py_output", "group": group}}


def _outcomes(script, *, keep=False):
    plan = plan_generation(["py_output"], n=3, seed=0, keep_duplicates=keep)
    pool = _ScriptedPool(script)
    outcomes = list(ordered_outcomes(plan, pool_factory=lambda init, deadline: pool))
    return [(o.record["id"] if o.record else o.reject) for o in outcomes], pool.announced


def test_a_kept_group_wins_over_any_other_verdict_and_a_skipped_candidate_reads_the_same():
    ran = [
        _record(0, "g1"),
        {"reject": {"reason": "constant_output", "detail": "1 distinct output(s)", "candidate": {}, "group": "g1"}},
        _record(2, "g1", rid="id0"),  # same id and group as the kept one: the group decides
        {"reject": {"reason": "constant_output", "detail": "", "candidate": {}, "group": "g2"}},
        _record(4, "g2"),
        _record(5, "g3"),
    ]
    skipped = list(ran)
    skipped[1] = skipped[2] = {"reject": {"reason": "duplicate_structure", "detail": "same group as a kept record",
                                          "candidate": {"group": "g1"}, "group": "g1"}}
    dup = {"reason": "duplicate_structure", "detail": "same group as a kept record", "candidate": {"group": "g1"}}
    expected = ["id0", dup, dup, ran[3]["reject"], "id4", "id5"]
    assert _outcomes(ran) == _outcomes(skipped) == (expected, [("py_output", "g1"), ("py_output", "g2"), ("py_output", "g3")])


def test_keep_duplicates_keeps_them_and_announces_nothing():
    script = [_record(0, "g1"), _record(1, "g1"), _record(2, "g1", rid="id0")]
    assert _outcomes(script, keep=True) == (["id0", "id1", "id0"], [])


def test_an_exact_duplicate_in_another_group_is_still_dropped():
    outcomes, _ = _outcomes([_record(0, "g1"), _record(1, "g2", rid="id0"), _record(2, "g3"), _record(3, "g4")])
    assert outcomes[1]["reason"] == "duplicate_exact" and outcomes[1]["candidate"] == {"id": "id0", "group": "g2"}
    assert outcomes[::2] == ["id0", "id2"]


@pytest.mark.parametrize("name", ["py_output", "text_to_sql"])
def test_a_worker_does_not_run_a_candidate_of_a_known_group(name):
    cls = get_task(name)

    def outcomes(task):
        return task.process_many(range(8)) if hasattr(task, "process_many") else [task.process(i) for i in range(8)]

    first = outcomes(cls(cls.config_class(), seed=0))
    records = [r for r in first if isinstance(r, dict)]
    assert records
    told = cls(cls.config_class(), seed=0)
    told.known_groups = {records[0]["group"]}
    for before, after in zip(first, outcomes(told)):
        if isinstance(before, dict) and before["group"] == records[0]["group"]:
            assert after.reason == "duplicate_structure" and after.group == before["group"]
        else:
            assert after == before


class _ResumedPool(_ScriptedPool):
    def __init__(self, script):
        super().__init__(script)
        self.earlier = None

    def announce_earlier(self, groups):
        assert not self.announced, "told before any chunk"
        self.earlier = list(groups)


def test_a_resumed_run_tells_its_workers_the_groups_kept_before():
    dedup = _Deduplicator(keep=False)
    try:
        dedup.remember({"id": "old", "task": "py_output", "group": "g0"})
        dedup.remember({"id": "old2", "task": "py_output", "group": "g9"})
        pool = _ResumedPool([_record(0, "g1")])
        plan = plan_generation(["py_output"], n=1, seed=0)
        list(ordered_outcomes(plan, dedup=dedup, pool_factory=lambda init, deadline: pool))
        assert pool.earlier == [("py_output", "g0"), ("py_output", "g9")]
    finally:
        dedup.close()


def test_workers_told_of_earlier_groups_skip_their_candidates():
    cls = get_task("py_output")
    first = cls(cls.config_class(), seed=0).process_many(range(8))
    groups = sorted({r["group"] for r in first if isinstance(r, dict)})
    assert groups
    plan = plan_generation(["py_output"], n=8, seed=0)
    init = {"op": "init", "tasks": [{"name": "py_output", "config": plan.tasks[0].config.to_dict(), "seed": 0,
                                     "difficulty": "mixed"}]}
    pool = WorkerPool(1, init, item_deadline=60)
    try:
        pool.announce_earlier(("py_output", g) for g in groups)
        chunks = iter([Chunk("py_output", 0, 8)])
        messages = {m["i"]: m for m in pool.run(lambda: next(chunks, None))}
    finally:
        pool.close()
    for i, before in enumerate(first):
        if isinstance(before, dict):
            assert messages[i]["reject"]["reason"] == "duplicate_structure"
            assert messages[i]["reject"]["group"] == before["group"]


class _FailingPool(_ScriptedPool):
    """Every candidate raised in the worker (an internal error), except the indices in ``kept``; with
    ``ahead``, that many more chunks are taken before a chunk's outcomes come back (as workers with
    a queued chunk, or Ray, do)."""

    chunk_size = 16

    def __init__(self, kept=(), ahead=0):
        super().__init__([])
        self.kept = set(kept)
        self.ahead = ahead
        self.asked = 0

    def run(self, next_chunk):
        chunks = []
        while True:
            while len(chunks) <= self.ahead and (chunk := next_chunk()) is not None:
                chunks.append(chunk)
                self.asked = chunk.stop
            if not chunks:
                return
            chunk = chunks.pop(0)
            for i in range(chunk.start, chunk.stop):
                if i in self.kept:
                    yield {"task": "py_output", "i": i, **_record(i, f"g{i}")}
                else:
                    yield {"task": "py_output", "i": i, "reject": {"reason": "internal_error", "detail": "TypeError: x"}}


def test_a_task_whose_every_candidate_raises_is_given_up_early():
    from codegen_data.pipeline import BROKEN_AFTER, MAX_CANDIDATES_PER_SAMPLE

    plan = plan_generation(["py_output"], n=100, seed=0)
    pool = _FailingPool()
    outcomes = list(ordered_outcomes(plan, pool_factory=lambda init, deadline: pool))
    assert [o.index for o in outcomes] == list(range(BROKEN_AFTER))
    assert BROKEN_AFTER <= pool.asked < BROKEN_AFTER + pool.chunk_size < 100 * MAX_CANDIDATES_PER_SAMPLE
    assert all(o.reject["reason"] == "internal_error" for o in outcomes)


@pytest.mark.parametrize("ahead", [0, 1, 3])
def test_giving_up_is_decided_on_the_first_outcomes_only_whatever_is_in_flight(ahead):
    """A record at index BROKEN_AFTER + 20 arrives only when chunks were handed out ahead; the task
    is given up all the same, with the same outcomes (workers and engines make the same bytes)."""
    from codegen_data.pipeline import BROKEN_AFTER

    plan = plan_generation(["py_output"], n=100, seed=0)
    pool = _FailingPool(kept={BROKEN_AFTER + 20}, ahead=ahead)
    outcomes = list(ordered_outcomes(plan, pool_factory=lambda init, deadline: pool))
    assert [o.index for o in outcomes] == list(range(BROKEN_AFTER)) and not any(o.record for o in outcomes)


def test_a_task_that_keeps_anything_is_not_given_up_for_its_internal_errors():
    from codegen_data.pipeline import BROKEN_AFTER

    plan = plan_generation(["py_output"], n=3, seed=0)
    pool = _FailingPool(kept={5, BROKEN_AFTER + 40, BROKEN_AFTER + 300})
    outcomes = list(ordered_outcomes(plan, pool_factory=lambda init, deadline: pool))
    assert [o.index for o in outcomes if o.record] == [5, BROKEN_AFTER + 40, BROKEN_AFTER + 300]


def test_a_resumed_run_counts_the_internal_errors_it_committed(tmp_path):
    """A run stopped after a shard of internal errors and resumed still gives the task up at
    BROKEN_AFTER in all, not BROKEN_AFTER more."""
    from codegen_data.export.dataset import SHARD, DatasetWriter
    from codegen_data.pipeline import BROKEN_AFTER, _replay

    plan = plan_generation(["py_output"], n=100, seed=0)
    tasks = {"py_output": get_task("py_output")(plan.tasks[0].config, seed=0)}
    first = DatasetWriter(tmp_path / "out", plan, tasks)
    for i in range(SHARD):  # one committed shard, then the run "dies"
        first.add_reject("py_output", i, {"reason": "internal_error", "detail": "TypeError: x"})
    first._release()
    resumed = DatasetWriter(tmp_path / "out", plan, tasks, mode="resume")
    assert resumed.state == "resumed"
    states, dedup = {}, _Deduplicator(False)
    try:
        _replay(resumed, plan, states, dedup)
        assert states["py_output"].internal_errors == states["py_output"].emitted == SHARD
        pool = _FailingPool()
        outcomes = list(ordered_outcomes(plan, states=states, dedup=dedup, pool_factory=lambda init, deadline: pool))
        assert [o.index for o in outcomes] == list(range(SHARD, BROKEN_AFTER))
    finally:
        dedup.close()
        resumed._release()
