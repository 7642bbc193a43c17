"""The parent's side of helper processes: JSON lines read back whole, however the pipe splits them."""

from __future__ import annotations

import json
import select
import subprocess
import sys

from codegen_data._processes import HelperProcess


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
