import json
from pathlib import Path

import pytest

from codegen_data.pipeline import plan_generation, run_generation


def generate(out: Path, tasks=("text_to_sql",), *, n=12, seed=0, workers=1, difficulty="mixed", config=None):
    plan = plan_generation(list(tasks), n=n, seed=seed, difficulty=difficulty, config=config)
    return run_generation(plan, out, workers=workers)


def read_records(out: Path) -> list[dict]:
    with (out / "data" / "test.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def sql_dataset(tmp_path_factory):
    """One small dataset of all three SQL tasks, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("sql") / "ds"
    generate(out, ("text_to_sql", "sql_output", "sql_translate"), n=36, seed=3, workers=2)
    return out
