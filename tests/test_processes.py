"""The parent's side of helper processes: JSON lines read back whole, however the pipe splits them."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

import pytest

from codegen_data._processes import HelperProcess, helper_environment


def test_messages_come_back_whole_across_reads_of_any_size():
    messages = [{"op": "ready"}, {"k": 1, "text": "x" * 300_000}, {"k": 2}, {"k": 3, "text": "é" * 70_000}]
    script = ("import sys, json, time\n"
              "messages = [{'op': 'ready'}, {'k': 1, 'text': 'x' * 300_000}, {'k': 2}, {'k': 3, 'text': 'é' * 70_000}]\n"
              "data = ''.join(json.dumps(m) + '\\n' for m in messages).encode()\n"
              "for i in range(0, len(data), 50_000):  # lines cut mid-way, in writes apart in time\n"
              "    sys.stdout.buffer.write(data[i:i + 50_000]); sys.stdout.flush(); time.sleep(0.01)\n")
    helper = HelperProcess.__new__(HelperProcess)
    helper.proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    helper.buffer = bytearray()
    received = []
    while True:
        select.select([helper.proc.stdout], [], [], 10)
        got = helper.read_messages()
        if got is None:
            break
        received += got
    helper.proc.wait()
    assert received == messages[1:]  # "ready" is left out


def test_a_helper_environment_adds_the_allocator_setting_and_keeps_the_users():
    env = helper_environment({"PATH": "/bin", "PYTHONPATH": "/x", "PYTHONHASHSEED": "7"})
    assert env == {"PATH": "/bin", "PYTHONHASHSEED": "0", "GLIBC_TUNABLES": "glibc.malloc.tcache_count=100"}
    mine = helper_environment({"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F:glibc.malloc.tcache_count=3"})
    assert mine["GLIBC_TUNABLES"] == "glibc.cpu.hwcaps=-AVX512F:glibc.malloc.tcache_count=3"  # theirs wins
    other = helper_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert other["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=100"


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="reads a process's environment from /proc")
def test_a_started_helper_runs_with_the_allocator_setting():
    helper = HelperProcess("codegen_data.worker")
    try:
        environ = open(f"/proc/{helper.proc.pid}/environ", "rb").read().split(b"\0")
    finally:
        helper.kill()
    expected = helper_environment(os.environ)["GLIBC_TUNABLES"]
    assert "glibc.malloc.tcache_count=" in expected
    assert f"GLIBC_TUNABLES={expected}".encode() in environ
    assert not [v for v in environ if v.startswith(b"PYTHON") and v != b"PYTHONHASHSEED=0"]
