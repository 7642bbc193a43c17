"""Every failure a user can cause ends in ONE line that names the problem and what to do, a non-zero
exit (2 for usage errors: options, config, output directory), no traceback and no lost data.

One test per case of issue 6, each through the real command line in a subprocess.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import cli, one_line_error

GEN = ["generate", "text_to_sql", "-n", "3", "--workers", "1"]




# --- generate: usage errors (exit 2) ---------------------------------------------------------------

def test_unknown_task(tmp_path):
    one_line_error(cli("generate", "text_to_sqll", "-n", "3", "-o", str(tmp_path / "x")), 2,
                   "unknown task 'text_to_sqll'", "available: py_input")


def test_unknown_config_key(tmp_path):
    (tmp_path / "c.toml").write_text("[text_to_sql]\nnul_rate = 0.2\n")
    one_line_error(cli(*GEN, "-o", str(tmp_path / "x"), "--config", str(tmp_path / "c.toml")), 2,
                   "unknown option 'nul_rate'", "null_rate")


def test_ill_typed_config_key(tmp_path):
    (tmp_path / "c.toml").write_text('[text_to_sql]\nmin_rows = "ten"\n')
    one_line_error(cli(*GEN, "-o", str(tmp_path / "x"), "--config", str(tmp_path / "c.toml")), 2,
                   "min_rows must be int", "'ten'")


@pytest.mark.parametrize("table, fragment", [
    ("min_rows = 50\nmax_rows = 10", "min_rows"),
    ("null_rate = 1.5", "null_rate"),
    ("query_timeout = -1.0", "query_timeout"),
])
def test_impossible_range(tmp_path, table, fragment):
    (tmp_path / "c.toml").write_text(f"[text_to_sql]\n{table}\n")
    one_line_error(cli(*GEN, "-o", str(tmp_path / "x"), "--config", str(tmp_path / "c.toml")), 2, fragment)


def test_impossible_program_range(tmp_path):
    (tmp_path / "c.toml").write_text("[py_output]\ntests = 0\n")
    one_line_error(cli("generate", "py_output", "-n", "3", "-o", str(tmp_path / "x"), "--config", str(tmp_path / "c.toml")), 2, "tests")


@pytest.mark.parametrize("n", ["0", "-5"])
def test_n_zero_or_negative(tmp_path, n):
    one_line_error(cli("generate", "text_to_sql", "-n", n, "-o", str(tmp_path / "x")), 2, "-n must be at least 1")
    assert not (tmp_path / "x").exists()


def test_config_file_not_utf8(tmp_path):
    (tmp_path / "c.toml").write_bytes(b"[text_to_sql]\nnull_rate = 0.1 # \xff\xfe\n")
    one_line_error(cli(*GEN, "-o", str(tmp_path / "x"), "--config", str(tmp_path / "c.toml")), 2, "not UTF-8")


def test_existing_dataset_directory(sql_dataset, tmp_path):
    out = tmp_path / "ds"
    shutil.copytree(sql_dataset, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    one_line_error(cli(*GEN, "-o", str(out)), 2, "already holds a dataset", "--overwrite")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_non_empty_foreign_directory(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    for flag in ([], ["--overwrite"], ["--resume"]):
        one_line_error(cli(*GEN, "-o", str(tmp_path / "mine"), *flag), 2, "holds no codegen-data dataset", "choose another -o")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["thesis.tex"]


# --- generate: the machine says no (exit 1) --------------------------------------------------------

def test_unwritable_path(tmp_path):
    one_line_error(cli(*GEN, "-o", "/proc/codegen-data-out"), 1, "cannot write to /proc/codegen-data-out")


def _tiny_disk_script(out_root: Path, size: str) -> str:
    args = " ".join(f"'{a}'" for a in [sys.executable, "-m", "codegen_data", "generate", "text_to_sql,sql_output",
                                       "-n", "60", "--seed", "2", "--workers", "1", "-o", "/mnt/ds"])
    return (f"set -u; mount -t tmpfs -o size={size} none /mnt || exit 99; "
            f"{args} 2>/mnt/../tmp/err1 >/dev/null; echo $? > {out_root}/code1; cp /tmp/err1 {out_root}/err1 2>/dev/null; "
            f"mount -o remount,size=64m /mnt; {args} --resume >/dev/null 2>{out_root}/err2; echo $? > {out_root}/code2; "
            f"cp -r /mnt/ds {out_root}/ds")


def test_full_disk_is_one_line_and_resume_finishes_the_run(tmp_path):
    """In a private mount namespace, generate onto a 150 KB tmpfs, then grow it and --resume."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not available here")
    script = _tiny_disk_script(tmp_path, "150k")
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True, text=True, timeout=600)
    if proc.returncode == 99:
        pytest.skip("cannot mount a tmpfs here")
    assert (tmp_path / "code1").read_text().strip() == "1"
    err = (tmp_path / "err1").read_text()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "no space left on the device" in err and "--resume" in err, err
    assert (tmp_path / "code2").read_text().strip() == "0", (tmp_path / "err2").read_text()
    reference = tmp_path / "reference"
    assert cli("generate", "text_to_sql,sql_output", "-n", "60", "--seed", "2", "--workers", "1", "-o", str(reference)).returncode == 0
    assert (tmp_path / "ds" / "data" / "test.jsonl").read_bytes() == (reference / "data" / "test.jsonl").read_bytes()


# --- evaluate: predictions -------------------------------------------------------------------------

def _ids(dataset: Path) -> list[str]:
    return [json.loads(line)["id"] for line in (dataset / "data" / "test.jsonl").read_text().splitlines()]


def test_predictions_with_a_broken_json_line(sql_dataset, tmp_path):
    ids = _ids(sql_dataset)
    (tmp_path / "p.jsonl").write_text(json.dumps({"id": ids[0], "prediction": "SELECT 1"}) + "\n"
                                      + json.dumps({"id": ids[1], "prediction": "SELECT 1"}) + "\n"
                                      + '{"id": "x", "prediction": "SELECT 1"\n')
    one_line_error(cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "p.jsonl")), 1, "line 3", "not valid JSON")


def test_predictions_for_unknown_ids(sql_dataset, tmp_path):
    ids = _ids(sql_dataset)
    (tmp_path / "p.jsonl").write_text(json.dumps({"id": ids[0], "prediction": "SELECT 1"}) + "\n"
                                      + json.dumps({"id": "text_to_sql-0000000000000000", "prediction": "SELECT 1"}) + "\n")
    line = one_line_error(cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "p.jsonl")), 1,
                          "text_to_sql-0000000000000000", "line 2", "--allow-unknown-ids")
    assert "1 prediction id" in line
    ok = cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "p.jsonl"), "--allow-unknown-ids")
    assert ok.returncode == 0 and "1 unknown (ignored) ids" in ok.stdout, ok.stderr


def test_a_giant_prediction_hits_the_size_cap(sql_dataset, tmp_path):
    ids = _ids(sql_dataset)
    with (tmp_path / "p.jsonl").open("w") as f:
        f.write(json.dumps({"id": ids[0], "prediction": "SELECT 1"}) + "\n")
        f.write('{"id": "%s", "prediction": "SELECT ' % ids[1] + "1" * (40 << 20) + '"}\n')  # 40 MB on one line
    one_line_error(cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "p.jsonl")), 1, "line 2", "MB")
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": ids[0], "prediction": "SELECT " + "1" * 2_000_000}) + "\n")
    one_line_error(cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "q.jsonl")), 1, "line 1", "characters")


def test_predictions_not_utf8(sql_dataset, tmp_path):
    ids = _ids(sql_dataset)
    (tmp_path / "p.jsonl").write_bytes(json.dumps({"id": ids[0], "prediction": "SELECT 1"}).encode() + b"\n"
                                       + b'{"id": "x", "prediction": "SELECT \xe9"}\n')
    one_line_error(cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "p.jsonl")), 1, "line 2", "not UTF-8")


def test_predictions_file_missing(sql_dataset, tmp_path):
    one_line_error(cli("evaluate", str(sql_dataset), "--predictions", str(tmp_path / "none.jsonl")), 2, "none.jsonl")


# --- a dataset directory with a missing or altered file ---------------------------------------------

@pytest.fixture
def damaged(sql_dataset, tmp_path):
    def make(kind: str) -> Path:
        out = tmp_path / kind
        shutil.copytree(sql_dataset, out)
        data = out / "data" / "test.jsonl"
        if kind == "missing":
            data.unlink()
        else:
            data.write_text(data.read_text().replace('"difficulty":"easy"', '"difficulty":"hard"', 1))
        return out
    return make


def _predictions(sql_dataset: Path, tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps({"id": json.loads(l)["id"], "prediction": json.loads(l)["answer"]}) + "\n"
                            for l in (sql_dataset / "data" / "test.jsonl").read_text().splitlines()))
    return path


@pytest.mark.parametrize("kind", ["missing", "altered"])
@pytest.mark.parametrize("command", ["verify", "evaluate", "export", "stats", "report"])
def test_dataset_with_a_missing_or_altered_file(sql_dataset, damaged, tmp_path, kind, command):
    ds = damaged(kind)
    args = {
        "verify": ["verify", str(ds)],
        "evaluate": ["evaluate", str(ds), "--predictions", str(_predictions(sql_dataset, tmp_path))],
        "export": ["export", str(ds), "--format", "chat", "-o", str(tmp_path / "exported")],
        "stats": ["stats", str(ds)],
        "report": ["report", str(ds), "-o", str(tmp_path / "r.html")],
    }[command]
    proc = cli(*args)
    if command == "verify":
        # verify's job is to list exactly what is wrong: its report names the file, exit 1
        assert proc.returncode == 1 and f"{kind} file: data/test.jsonl" in proc.stdout and "Traceback" not in proc.stderr
        return
    line = one_line_error(proc, 1, "data/test.jsonl")
    assert ("verify" in line) or ("missing" in line) or ("altered" in line), line
    assert not (tmp_path / "exported").exists() and not (tmp_path / "r.html").exists()
