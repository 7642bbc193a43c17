"""The world the attacks run in: a real dataset, sentinel files, a secret in our environment,
sockets listening in this process, and one ``codegen-data evaluate`` run of every hostile
prediction, started as soon as the world exists so that it runs beside the other tests."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from codegen_data.sandbox import sandbox_layers

from .cases import (
    PROGRAM_ATTACKS,
    SQL_ATTACKS,
    Outcome,
    ProgramAttack,
    Target,
    sql_layers,
)

REPO = Path(__file__).resolve().parents[2]
EVALUATION_SECONDS = 300.0  # the whole evaluation; it takes about 30 s on 2 cores
SHORT_SECONDS, LONG_SECONDS = 1.0, 10.0
"""A case whose outcome is the deadline (a program's wall clock, a statement's) waits ``SHORT_SECONDS``,
to keep the suite short; every other case (and every correct answer) gets ``LONG_SECONDS``, which it
does not use: its outcome must not hang on the machine's speed. The evaluation runs beside these tests
on both cores, and filling 512 MB alone (``gradual_growth``) takes 0.5 s on an idle machine; under a
1 s deadline it timed out in CI."""
EVALUATION_DEADLINE = 4.0
"""Each prediction's deadline: twice the default, as the run shares both cores with the other attack
tests, and a case that fills 512 MB (``gradual_growth``) takes 0.5 s on an idle machine."""


@dataclass
class Evaluation:
    """The one ``codegen-data evaluate`` run: where each case's prediction sits in the report."""

    proc: subprocess.Popen
    report_path: Path
    stdout_path: Path
    stderr_path: Path
    where: dict[str, tuple[str, int]]  # case id -> (item id, sample index); the correct answer is next
    result: dict[str, Any] | None = None

    def finish(self) -> dict[str, Any]:
        """Wait for the run (killing it past EVALUATION_SECONDS) and read what it wrote."""
        if self.result is None:
            try:
                code = self.proc.wait(timeout=EVALUATION_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                code = None
            report = json.loads(self.report_path.read_text(encoding="utf-8")) if self.report_path.exists() else None
            self.result = {
                "returncode": code,
                "report": report,
                "report_text": self.report_path.read_text(encoding="utf-8") if report else "",
                "stdout": self.stdout_path.read_text(encoding="utf-8", errors="replace"),
                "stderr": self.stderr_path.read_text(encoding="utf-8", errors="replace"),
                "items": {item["id"]: item for item in (report or {}).get("items", [])},
            }
        return self.result

    def verdict(self, case_id: str) -> tuple[dict[str, Any], int]:
        """The report's item holding the case's prediction, and the sample index of that prediction."""
        result = self.finish()
        assert result["returncode"] == 0, f"the evaluation did not finish cleanly:\n{result['stderr'][-3000:]}"
        item_id, sample = self.where[case_id]
        return result["items"][item_id], sample


@dataclass
class World:
    target: Target
    root: Path
    records: list[dict[str, Any]]
    layers: dict[str, bool | str]
    sql_layers: dict[str, bool | str]
    secret: str
    sockets: dict[str, socket.socket]
    sentinels: dict[Path, tuple[bytes, int]] = field(default_factory=dict)
    evaluation: Evaluation | None = None

    # -- the items attacks take the place of

    @property
    def program_records(self) -> list[dict[str, Any]]:
        """py_synthesis items whose first test expects a value (so that the first failing test, and
        with it the verdict's wording, is the same on every item)."""
        return [r for r in self.records if r["task"] == "py_synthesis" and "output" in r["tests"][0]]

    @property
    def sql_records(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["task"] == "text_to_sql"]

    def program_record(self, case: ProgramAttack) -> dict[str, Any]:
        records = self.program_records
        return records[PROGRAM_ATTACKS.index(case) % len(records)]

    def runnable(self, case: ProgramAttack) -> str | None:
        """Why the case is not run here at all (a layer it must not run without is missing), or None."""
        for key in case.requires:
            if self.layers.get(key) is not True:
                return f"not run: without {key} ({self.layers.get(key)}) it would harm this machine"
        return None

    @property
    def checkout_in_the_open(self) -> bool:
        """This checkout is not under /tmp, which the sandbox replaces with a private one, and others
        may search every directory down to it: else the uid drop refuses a program before the layer
        the case names can (a clone in a private ~/ gets PermissionError, not the read-only mount's EROFS)."""
        repo = Path(self.target.repo).resolve()
        return not repo.is_relative_to("/tmp") and all(os.stat(p).st_mode & stat.S_IXOTH for p in (repo, *repo.parents))

    @property
    def private_home(self) -> bool:
        """The home dir is closed to others, so the uid drop alone keeps a program out of it."""
        return not os.stat(self.target.home).st_mode & stat.S_IXOTH

    # -- what must never change

    def untouched(self) -> list[str]:
        """Everything an attack could have changed outside the sandbox, as a list of what did."""
        problems = []
        for path, (data, mtime) in self.sentinels.items():
            try:
                if path.read_bytes() != data or path.stat().st_mtime_ns != mtime:
                    problems.append(f"sentinel {path} changed")
            except OSError as exc:
                problems.append(f"sentinel {path}: {exc}")
        marker = f"attack-{self.target.token}"
        for folder in {"/tmp", "/dev/shm", "/var/tmp", self.target.home, str(REPO), str(self.root), os.getcwd()}:
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            problems += [f"{folder}/{name} appeared" for name in names if marker in name]
        for name, sock in self.sockets.items():
            try:
                if sock.type == socket.SOCK_DGRAM:
                    data = sock.recv(4096)
                    problems.append(f"the {name} socket received {data!r}")
                else:
                    connection, _ = sock.accept()
                    connection.close()
                    problems.append(f"something connected to the {name} socket")
            except BlockingIOError:
                pass
        try:
            os.kill(os.getppid(), 0)
        except ProcessLookupError:
            problems.append("the test process's parent is gone")
        return problems

    def leaks(self, text: str) -> bool:
        return self.secret in text


def check_outcome(world: World, case, outcome: Outcome, failure: str | None, error: str, layer) -> None:
    """The verdict is a failure of the case's kind with its error text, when the case's layer (and
    what its claim rests on) is in force here; else the failure stands and the rest is skipped."""
    assert failure is not None, f"{case.id} passed"
    assert not world.leaks(error)
    missing = layer.missing(world.layers)
    if missing is None and getattr(case, "needs", None) and not getattr(world, case.needs):
        missing = f"{case.needs} does not hold here"
    if missing is not None:
        pytest.skip(f"{case.id} failed ({failure}: {error[:100]}); its outcome is not checked: {missing}")
    assert (failure, bool(re.search(outcome.error, error))) == (outcome.failure, True), \
        f"{case.id}: expected {outcome.failure} matching {outcome.error!r}, got {failure}: {error!r}"


def _predictions(world: World) -> tuple[list[dict[str, Any]], dict[str, tuple[str, int]]]:
    """Every runnable case as one prediction, each followed by its item's correct answer."""
    samples: dict[str, list[str]] = {}
    where: dict[str, tuple[str, int]] = {}

    def add(case_id: str, record: dict[str, Any], hostile: str) -> None:
        row = samples.setdefault(record["id"], [])
        where[case_id] = (record["id"], len(row))
        row += [hostile, record["answer"]]

    for case in PROGRAM_ATTACKS:
        if world.runnable(case) is None:
            record = world.program_record(case)
            add(case.id, record, case.program(world.target, record["entry_point"]))
    for k, sql_case in enumerate(SQL_ATTACKS):
        record = world.sql_records[k % len(world.sql_records)]
        add("sql:" + sql_case.id, record, sql_case.query(world.target))
    return [{"id": item, "predictions": row} for item, row in samples.items()], where


def _start_evaluation(world: World) -> Evaluation:
    lines, where = _predictions(world)
    predictions = world.root / "predictions.jsonl"
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    paths = [world.root / name for name in ("report.json", "evaluate.out", "evaluate.err")]
    command = [sys.executable, "-m", "codegen_data", "evaluate", str(world.target.dataset),
               "--predictions", str(predictions), "--workers", "2", "--timeout", str(EVALUATION_DEADLINE),
               "-o", str(paths[0])]
    with open(paths[1], "wb") as out, open(paths[2], "wb") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO)
    return Evaluation(proc, *paths, where=where)


def _generate(dataset: Path) -> None:
    command = [sys.executable, "-m", "codegen_data", "generate", "py_synthesis,text_to_sql", "-n", "6",
               "--seed", "0", "--workers", "2", "-o", str(dataset)]
    subprocess.run(command, check=True, capture_output=True, stdin=subprocess.DEVNULL, cwd=REPO, timeout=300)


def _listeners(token: str) -> dict[str, socket.socket]:
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(f"\0codegen-attack-{token}")
    unix.listen()
    sockets = {"tcp": tcp, "udp": udp, "unix": unix}
    for sock in sockets.values():
        sock.setblocking(False)
    return sockets


@pytest.fixture(scope="session")
def world():
    token = uuid.uuid4().hex[:12]
    secret_name, secret = f"CODEGEN_ATTACK_SECRET_{token.upper()}", f"s3cret-{uuid.uuid4().hex}"
    os.environ[secret_name] = secret  # before any sandbox of this session starts
    # Under /tmp on purpose (not $TMPDIR): the hidden-tests case claims the private /tmp hides it.
    root = Path(tempfile.mkdtemp(prefix="codegen-attacks-", dir="/tmp"))
    os.chmod(root, 0o755)  # readable by anyone, as a dataset in a shared place would be
    home = Path.home()
    sockets = _listeners(token)
    sentinels = [Path("/tmp") / f"codegen-sentinel-{token}", home / f".codegen-sentinel-{token}"]
    try:
        for path in sentinels:
            path.write_bytes(os.urandom(64))
        dataset = root / "dataset"
        _generate(dataset)
        target = Target(
            token=token, dataset=str(dataset), home=str(home), repo=str(REPO), sentinel_tmp=str(sentinels[0]),
            sentinel_home=str(sentinels[1]), secret_name=secret_name, test_pid=os.getpid(),
            tcp_port=sockets["tcp"].getsockname()[1], udp_port=sockets["udp"].getsockname()[1],
            unix_name=f"codegen-attack-{token}",
        )
        records = [json.loads(line) for line in (dataset / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
        world = World(target, root, records, sandbox_layers(), sql_layers(), secret, sockets,
                      {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in sentinels})
        assert world.program_records and world.sql_records, "the dataset has no item to attack"
        world.evaluation = _start_evaluation(world)
        yield world
        world.evaluation.finish()
    finally:
        for sock in sockets.values():
            sock.close()
        for path in sentinels:
            path.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)
        os.environ.pop(secret_name, None)


@pytest.fixture(scope="session")
def evaluation(world) -> Evaluation:
    assert world.evaluation is not None
    started = time.monotonic()
    world.evaluation.finish()
    assert time.monotonic() - started < EVALUATION_SECONDS
    return world.evaluation
