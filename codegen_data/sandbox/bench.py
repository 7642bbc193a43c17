"""Per-program cost of the fork server against a plain ``python3 -I`` subprocess per program.

``python -m codegen_data.sandbox.bench [N]`` prints the numbers of :func:`compare` as JSON. Both
sides run the same program (load, three calls, repr of each result) and return the same outputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from .client import Sandbox

__all__ = ["compare"]

CODE = "def f(xs, k):\n    return sorted(xs, reverse=True)[:k]\n"
INPUTS = ["[3, 1, 2], 2", "[5, 4, 9, 1], 3", "[], 0"]
_SUBPROCESS_HARNESS = """
import json, sys
request = json.loads(sys.stdin.read())
namespace = {"__name__": "__sandbox__"}
exec(compile(request["code"], "<program>", "exec"), namespace)
outputs = []
for source in request["inputs"]:
    try:
        outputs.append(repr(eval(f"({request['entry']})({source}\\n)", namespace)))
    except Exception as exc:
        outputs.append(type(exc).__name__)
print(json.dumps(outputs))
"""


def _subprocess_run(payload: bytes) -> list[str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-I", "-c", _SUBPROCESS_HARNESS], input=payload, capture_output=True,
                          env=env, timeout=30, check=True)
    return json.loads(done.stdout)


def compare(n: int = 200) -> dict[str, float]:
    """Programs per second, one at a time, through the fork server and through ``python3 -I``."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    payload = json.dumps({"code": CODE, "entry": "f", "inputs": INPUTS}).encode()
    with Sandbox() as sandbox:
        expected = [c.output for c in sandbox.run(CODE, "f", INPUTS).calls]  # starts the server
        start = time.perf_counter()
        for _ in range(n):
            result = sandbox.run(CODE, "f", INPUTS)
        forkserver = time.perf_counter() - start
    if [c.output for c in result.calls] != expected or _subprocess_run(payload) != expected:
        raise RuntimeError("the fork server and the subprocess disagree")
    start = time.perf_counter()
    for _ in range(n):
        _subprocess_run(payload)
    plain = time.perf_counter() - start
    return {
        "n": n,
        "forkserver_per_s": round(n / forkserver, 1),
        "subprocess_per_s": round(n / plain, 1),
        "forkserver_ms": round(forkserver / n * 1000, 3),
        "subprocess_ms": round(plain / n * 1000, 3),
        "speedup": round(plain / forkserver, 1),
    }


if __name__ == "__main__":
    print(json.dumps(compare(int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
