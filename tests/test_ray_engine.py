"""`generate --engine ray` runs the same shards as Ray tasks and writes the same bytes as the local engine."""

import subprocess
import sys

import pytest

from codegen_data.pipeline import plan_generation, run_generation

ray = pytest.importorskip("ray", reason="Ray is not installed (the `ray` extra)")

pytestmark = [pytest.mark.slow, pytest.mark.ray]


def files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("README.md", "manifest.json")}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_and_local_engines_write_the_same_bytes(tmp_path, local_ray):
    plan = plan_generation(["text_to_sql", "py_output", "sql_output"], n=300, seed=7)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    run_generation(plan, local, workers=2)
    summary = run_generation(plan, on_ray, engine="ray")
    assert summary.complete and sum(summary.kept.values()) == 300
    assert files(local) == files(on_ray)
    assert not (on_ray / ".partial").exists()


def test_ray_shards_skip_what_the_run_kept_and_the_bytes_stay_the_same(tmp_path, local_ray, monkeypatch):
    """The driver tells later shards the groups it kept; their workers skip those candidates (as
    local workers do), and the data is still the local engine's."""
    from codegen_data import ray_engine

    skipped = []  # candidates the shards' workers did not run: the run had kept their groups
    read = ray_engine.RayPool._read

    def counting(path):
        messages = read(path)
        skipped.extend(m["i"] for m in messages if ray_engine._skipped_by_a_worker(m))
        return messages

    monkeypatch.setattr(ray_engine.RayPool, "_read", staticmethod(counting))
    plan = plan_generation(["py_output"], n=1200, seed=7)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    run_generation(plan, local, workers=2)
    run_generation(plan, on_ray, engine="ray")
    assert files(local) == files(on_ray)
    assert len(skipped) >= 20, len(skipped)
    assert not list((on_ray / ".partial").glob("**/kept-*.jsonl")) and not (on_ray / ".partial").exists()


def test_ray_resumes_an_interrupted_run(tmp_path, local_ray):
    """Shards committed by a local run are picked up by a Ray run (and the bytes still match)."""
    plan = plan_generation(["py_output"], n=200, seed=2)
    reference, out = tmp_path / "reference", tmp_path / "out"
    run_generation(plan, reference, workers=2)
    stop_after = 150

    def interrupt(_count, seen=[0]):
        seen[0] += 1
        if seen[0] == stop_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_generation(plan, out, workers=2, progress=interrupt)
    assert any((out / ".partial" / "shards").rglob("*.jsonl"))
    summary = run_generation(plan, out, engine="ray", mode="resume")
    assert summary.resumed_records > 0
    assert files(out) == files(reference)


def test_ray_shards_skip_the_groups_the_run_kept_and_a_new_run_starts_afresh(tmp_path, local_ray):
    """As locally, a shard does not run a candidate whose structure the run kept: its worker hears the
    kept groups (through the run's kept-groups file) and answers its own duplicate reject. A worker's
    groups belong to its run: the next run's shards run every candidate again."""
    from codegen_data.pool import Chunk
    from codegen_data.ray_engine import RayPool

    init = {"op": "init", "tasks": [{"name": "py_output", "config": {}, "seed": 3, "difficulty": "mixed"}]}

    def run(pool):
        chunks = iter([Chunk("py_output", 0, 64)])
        return sorted(pool.run(lambda: next(chunks, None)), key=lambda message: message["i"])

    def group(message):
        return (message.get("record") or message["reject"]).get("group")

    pool = RayPool(init, item_deadline=60, raw_dir=tmp_path / "raw", chunk_size=64)
    first = run(pool)
    kept = {message["record"]["group"] for message in first if "record" in message}
    assert len(kept) >= 30
    for name in sorted(kept):
        pool.announce("py_output", name)
    again = run(pool)
    assert [m["i"] for m in again] == [m["i"] for m in first] == list(range(64))
    for before, after in zip(first, again):
        if group(before) in kept:
            assert after["reject"]["reason"] == "duplicate_structure", after
            assert after["reject"]["detail"] == "same group as a kept record"  # the worker's, not run
        else:
            assert after == before
    pool.close()
    assert not pool.kept_path.exists()
    fresh = RayPool(init, item_deadline=60, raw_dir=tmp_path / "raw", chunk_size=64)
    assert run(fresh) == first
    fresh.close()


def test_a_leftover_shard_with_a_workers_skips_runs_anew(tmp_path, local_ray):
    """An interrupted run's shard file is reused on resume, unless its worker skipped candidates:
    those skips stand for groups that run kept, which the resumed run may not keep again."""
    import json

    from codegen_data.pool import Chunk
    from codegen_data.ray_engine import RayPool, shard_path

    init = {"op": "init", "tasks": [{"name": "py_output", "config": {}, "seed": 3, "difficulty": "mixed"}]}
    pool = RayPool(init, item_deadline=60, raw_dir=tmp_path / "raw", chunk_size=16)

    def run(start):
        chunks = iter([Chunk("py_output", start, start + 16)])
        return sorted(pool.run(lambda: next(chunks, None)), key=lambda message: message["i"])

    real = run(0)
    leftover = [dict(m) for m in real]
    leftover[3] = {"task": "py_output", "i": 3, "reject": {"reason": "duplicate_structure", "detail": "same group as a kept record",
                                                          "candidate": {"group": "g"}, "group": "g"}}
    plain = [{**m, "marker": True} for m in real]  # a leftover without skips is taken as it is
    for start, messages in ((0, leftover), (16, [{**m, "i": m["i"] + 16} for m in plain])):
        path = shard_path(tmp_path / "raw", Chunk("py_output", start, start + 16))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(m) + "\n" for m in messages))
    assert run(0) == real
    assert all(m.get("marker") for m in run(16))
    pool.close()


def test_a_shard_hears_only_whole_lines_of_the_kept_groups_and_reads_the_rest_later(tmp_path):
    """A line still being written, or a stretch of shared storage not yet visible (zeros), stops the
    reading there; the next shard reads on from the same place."""
    from codegen_data import ray_engine

    class Heard:
        def __init__(self):
            self.groups = []

        def announce_earlier(self, groups):
            self.groups.extend(groups)

    kept = tmp_path / "kept.jsonl"
    kept.write_bytes(b'["t", "g1"]\n["t", "g2"]\n\x00\x00\x00\n["t", "g4"]\n["t", "g5')
    worker = Heard()
    served = ray_engine._Served("run", worker)
    ray_engine._tell_kept(served, str(kept))
    assert worker.groups == [("t", "g1"), ("t", "g2")]
    kept.write_bytes(b'["t", "g1"]\n["t", "g2"]\n["t", "g3"]\n["t", "g4"]\n["t", "g5"]\n')
    ray_engine._tell_kept(served, str(kept))
    assert worker.groups == [("t", f"g{k}") for k in range(1, 6)]
    ray_engine._tell_kept(served, str(tmp_path / "gone.jsonl"))  # a finished run's file: nothing to hear
    assert len(worker.groups) == 5


def test_an_unreachable_cluster_is_a_one_line_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "codegen_data", "generate", "py_output", "-n", "3", "-o", str(tmp_path / "x"),
                           "--engine", "ray", "--ray-address", "127.0.0.1:1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "x").exists()


def test_evaluate_on_ray_gives_the_same_report(tmp_path, local_ray):
    import json

    from codegen_data.evaluate import evaluate

    data = tmp_path / "ds"
    run_generation(plan_generation(["text_to_sql", "py_output", "py_synthesis"], n=60, seed=4), data, workers=2)
    records = [json.loads(line) for line in (data / "data" / "test.jsonl").read_text().splitlines()]
    with (tmp_path / "p.jsonl").open("w") as f:
        for i, record in enumerate(records):
            answers = [record["answer"], "'~not an answer~'"]  # right, then wrong for every task
            f.write(json.dumps({"id": record["id"], "predictions": answers}) + "\n")
    # a generous timeout: on a loaded machine a 2 s deadline can fail a right answer in either run
    local = evaluate(data, tmp_path / "p.jsonl", workers=2, timeout=20)
    on_ray = evaluate(data, tmp_path / "p.jsonl", engine="ray", timeout=20)
    assert local == on_ray
    assert local["summary"]["pass@1"] == pytest.approx(0.5)
