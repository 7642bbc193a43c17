"""The program sandbox, with real processes: verdicts, limits, confinement, recovery."""

from __future__ import annotations

import os
import signal
import tempfile
import uuid

import pytest

from codegen_data import _deadlines
from codegen_data.sandbox import CallResult, ProgramResult, Sandbox, sandbox_layers

SHORT = 0.6  # seconds: the deadline of the programs meant to miss it


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(timeout=5.0) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def layers(sandbox):
    return sandbox.layers()


def needs(layers: dict, layer: str) -> None:
    if layers.get(layer) is not True:
        pytest.skip(f"{layer} is not active here: {layers.get(layer)}")


def outputs(result: ProgramResult) -> list[str | None]:
    return [call.output for call in result.calls]


# ---------------------------------------------------------------- verdicts


def test_outputs_are_reprs(sandbox):
    code = "def f(x):\n    return x\n"
    inputs = ["'it''s'", "\"say \\\"hi\\\"\"", "[1, [2, 3]]", "{'a': 1, 2: (3,)}", "(1,)", "True", "None",
              "'héllo ☃ 🐍'", "1.5", "10**30", "{3, 1}", "b'\\x00'"]
    result = sandbox.run(code, "f", inputs)
    assert result.status == "ok" and result.ok
    assert outputs(result) == ["'its'", "'say \"hi\"'", "[1, [2, 3]]", "{'a': 1, 2: (3,)}", "(1,)", "True", "None",
                               "'héllo ☃ 🐍'", "1.5", repr(10**30), "{1, 3}", "b'\\x00'"]


def test_several_arguments_and_entry_expressions(sandbox):
    code = "def add(a, b=10, *, c=0):\n    return a + b + c\nclass Solution:\n    def twice(self, x):\n        return 2 * x\n"
    assert outputs(sandbox.run(code, "add", ["1, 2", "1", "1, c=5"])) == ["3", "11", "16"]
    assert outputs(sandbox.run(code, "Solution().twice", ["21"])) == ["42"]


def test_exceptions_give_type_names(sandbox):
    code = "class Custom(Exception): pass\ndef f(x):\n    if x == 0: return 1 // x\n    if x == 1: raise ValueError('no')\n    if x == 2: raise Custom()\n    if x == 3: return f(x)\n    return [][x]\n"
    result = sandbox.run(code, "f", ["0", "1", "2", "3", "4", "'a' +"])
    assert result.status == "ok"  # the program ran; its calls failed
    assert [(c.status, c.exception) for c in result.calls] == [
        ("error", "ZeroDivisionError"), ("error", "ValueError"), ("error", "Custom"),
        ("error", "RecursionError"), ("error", "IndexError"), ("error", "SyntaxError"),
    ]
    assert not result.ok


@pytest.mark.parametrize("code, exception", [
    ("def f(:\n    pass", "SyntaxError"),
    ("def f(x):\n  return x\n   y = 1", "IndentationError"),
    ("import no_such_module_here", "ModuleNotFoundError"),
    ("raise RuntimeError('at load')", "RuntimeError"),
])
def test_code_that_fails_to_load_is_a_program_error(sandbox, code, exception):
    result = sandbox.run(code, "f", ["1", "2"])
    assert result.status == "error"
    assert result.error.startswith(exception)
    assert [c.status for c in result.calls] == ["error", "error"]


def test_missing_entry_point_is_a_call_error(sandbox):
    result = sandbox.run("x = 1", "f", ["1"])
    assert result.calls == (CallResult("error", None, "NameError", ""),)


def test_stdout_is_captured_per_call(sandbox):
    code = "print('loading')\ndef f(x):\n    print('got', x)\n    return x\n"
    result = sandbox.run(code, "f", ["1", "2"])
    assert result.stdout == "loading\n"
    assert [c.stdout for c in result.calls] == ["got 1\n", "got 2\n"]


def test_snippets(sandbox):
    assert sandbox.run_snippet("def f(x): return x + 1\nassert f(1) == 2\nprint('fine')") == CallResult("ok", None, None, "fine\n")
    assert sandbox.run_snippet("assert 1 == 2").exception == "AssertionError"
    assert sandbox.run_snippet("if __name__ == '__main__':\n    print('main')").stdout == "main\n"
    assert sandbox.run_snippet("input()").exception == "EOFError"


def test_same_program_same_results(sandbox):
    code = "import random\ndef f(n):\n    return [random.random() for _ in range(n)], sorted({'b', 'a'} | {str(n)})\n"
    first, second = sandbox.run(code, "f", ["3"]), sandbox.run(code, "f", ["3"])
    assert first.status == "ok" and outputs(first) == outputs(second)


def test_call_timeout_bounds_each_call_alone():
    with Sandbox(timeout=5.0, call_timeout=0.3) as sandbox:
        result = sandbox.run("def f(x):\n    while x: pass\n    return 'done'\n", "f", ["0", "1", "0"])
    assert result.status == "ok"
    assert [c.status for c in result.calls] == ["ok", "timeout", "ok"]


# ---------------------------------------------------------------- limits


def test_runaway_loop_times_out_and_the_next_run_works(sandbox):
    missed = _deadlines.missed()
    result = sandbox.run("def f(x):\n    while True: pass\n", "f", ["1", "2"], timeout=SHORT)
    assert result.status == "timeout"
    assert [c.status for c in result.calls] == ["timeout", "timeout"]
    assert _deadlines.missed() > missed  # what makes a generation worker redo the item
    missed = _deadlines.missed()
    assert outputs(sandbox.run("def f(x): return x", "f", ["7"])) == ["7"]
    assert _deadlines.missed() == missed


def test_sleep_times_out(sandbox):
    assert sandbox.run_snippet("import time\ntime.sleep(100)", timeout=SHORT).status == "timeout"


def test_load_time_loop_times_out(sandbox):
    assert sandbox.run("while True: pass", "f", ["1"], timeout=SHORT).status == "timeout"


@pytest.mark.parametrize("allocation", ["bytearray(10**10)", "[0] * 10**10", "'x' * 10**10"])
def test_huge_allocation_fails(sandbox, allocation):
    result = sandbox.run(f"def f():\n    return len({allocation})\n", "f", [""])
    call = result.calls[0]
    assert call.status == "killed" or (call.status, call.exception) == ("error", "MemoryError")


def test_printing_past_the_limit_is_output_limit(sandbox):
    result = sandbox.run("def f(x):\n    print('x' * 10_000_000)\n    return 1\n", "f", ["1", "2"])
    assert result.status == "output_limit"
    assert result.calls[0].status == "output_limit"
    assert len(result.calls[0].stdout) == 64_000
    assert sandbox.run_snippet("while True: print('spam')").status == "output_limit"


def test_a_huge_return_value_is_output_limit(sandbox):
    result = sandbox.run("def f():\n    return 'y' * 10**6\n", "f", [""])
    assert result.status == "output_limit"


def test_results_longer_than_the_pipe_holds_arrive_whole():
    """The server reads a single program's pipe when it exits, and meanwhile every few ms: a result
    past the pipe's capacity (1 MiB; 64 KiB where a user may not have more) must not wait for the
    deadline."""
    with Sandbox(output_limit=3_000_000, timeout=20.0) as sandbox:
        code = "def f(n):\n    print('x' * n)\n    return 'y' * n\n"
        result = sandbox.run(code, "f", ["2_500_000", "10"])
        assert [c.status for c in result.calls] == ["ok", "ok"]
        assert len(result.calls[0].stdout) == 2_500_001 and len(result.calls[0].output) == 2_500_002
        assert result.calls[1].output == repr("y" * 10)


def test_plain_outputs_refuse_values_that_only_print_like_data():
    code = ("class Liar:\n    def __repr__(self):\n        return \"'abab'\"\n"
            "class Text(str):\n    pass\n"
            "def f(kind):\n"
            "    cycle = [1]\n    cycle.append(cycle)\n"
            "    return {'liar': Liar(), 'nested': [(1, 'a'), {2: frozenset({b'x'})}], 'cycle': cycle,\n"
            "            'subclass': Text('abab'), 'deep': [[{1: [Liar()]}]], 'none': None}[kind]\n")
    kinds = ["'liar'", "'nested'", "'cycle'", "'subclass'", "'deep'", "'none'"]
    with Sandbox(timeout=5.0, plain_outputs=True) as plain:
        calls = plain.run(code, "f", kinds).calls
    assert [(c.status, c.output or c.exception) for c in calls] == [
        ("error", "NotPlainData"), ("ok", "[(1, 'a'), {2: frozenset({b'x'})}]"), ("ok", "[1, [...]]"),
        ("error", "NotPlainData"), ("error", "NotPlainData"), ("ok", "None")]
    with Sandbox(timeout=5.0) as anything:  # the default: any value, by its repr
        assert outputs(anything.run(code, "f", ["'liar'", "'subclass'"])) == ["'abab'", "'abab'"]


def test_a_small_output_limit():
    with Sandbox(output_limit=10) as sandbox:
        assert sandbox.run("def f(): print('12345')", "f", [""]).status == "ok"
        assert sandbox.run("def f(): print('12345'); print('67890')", "f", [""]).status == "output_limit"


def test_exit_does_not_fake_results(sandbox):
    code = "import os, sys\ndef f(x):\n    if x == 2: sys.exit(0)\n    if x == 4: os._exit(0)\n    return x\n"
    result = sandbox.run(code, "f", ["1", "2", "3", "4", "5"])
    assert [c.status for c in result.calls] == ["ok", "error", "ok", "error", "error"]
    assert result.calls[1].exception == "SystemExit"
    assert result.status == "error" and "before finishing" in result.error
    assert not result.ok
    assert sandbox.run_snippet("import sys; sys.exit(0)").status == "error"
    assert sandbox.run_snippet("import os; os._exit(0)").status == "error"
    assert sandbox.run("import os\nos._exit(0)\ndef f(): return 1", "f", [""]).status == "error"


def test_garbage_on_the_result_channel_is_an_error(sandbox):
    for fd in (3, 4, 5):  # wherever the channel is
        code = f"import os\ndef f():\n    try:\n        os.write({fd}, b'not json\\n')\n    except OSError:\n        pass\n    return 1\n"
        result = sandbox.run(code, "f", ["", ""])
        assert result.status in ("ok", "error")
        if result.status == "error":
            assert "malformed" in result.error
            assert not any(call.ok for call in result.calls[1:])


def test_a_dead_server_is_replaced(sandbox):
    os.killpg(sandbox._server.proc.pid, signal.SIGKILL)
    sandbox._server.proc.wait()
    assert outputs(sandbox.run("def f(x): return x * 2", "f", ["21"])) == ["42"]


def test_bad_arguments_raise():
    for kwargs in ({"timeout": 0}, {"timeout": -1.0}, {"memory_mb": 0}, {"hash_seed": -1}, {"output_limit": 0}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            Sandbox(**kwargs)
    for preload in ("fractions", ["fractions", 1], ("fractions; import os",), ("",)):
        with pytest.raises(ValueError, match="preload"):
            Sandbox(preload=preload)
    with pytest.raises(TypeError):
        Sandbox().run(b"code", "f", [])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Sandbox().run("x = 1", "", [])


# ---------------------------------------------------------------- confinement


def test_layers_are_reported():
    reported = sandbox_layers()
    for layer in ("process_group", "resource_limits", "private_workdir", "clean_environment", "closed_fds",
                  "uid_drop", "network_namespace", "readonly_filesystem", "landlock", "seccomp",
                  "blocks_network", "blocks_processes", "blocks_outside_writes"):
        assert reported[layer] is True or (isinstance(reported[layer], str) and reported[layer]), layer
    for layer in ("process_group", "resource_limits", "private_workdir", "clean_environment", "closed_fds"):
        assert reported[layer] is True, layer  # these need nothing from the machine


def test_writes_outside_the_work_dir_are_refused(sandbox, layers):
    needs(layers, "blocks_outside_writes")
    name = f"escape_{uuid.uuid4().hex}"
    targets = [f"/tmp/{name}", f"/root/{name}", f"/etc/{name}", f"/var/tmp/{name}", f"../{name}"]
    code = "def f(path):\n    with open(path, 'w') as out:\n        out.write('x')\n    return 'wrote'\n"
    result = sandbox.run(code, "f", [repr(t) for t in targets])
    for target, call in zip(targets, result.calls):
        assert call.status == "error" and call.exception in ("PermissionError", "OSError"), (target, call)
    for target in targets[:4]:
        assert not os.path.exists(target)


def test_writing_inside_the_work_dir_works(sandbox):
    code = "import os, tempfile\ndef f():\n    with open('out.txt', 'w') as out:\n        out.write('kept')\n    with tempfile.TemporaryFile() as t:\n        t.write(b'1')\n    return open('out.txt').read(), os.listdir('.')\n"
    assert outputs(sandbox.run(code, "f", [""])) == ["('kept', ['out.txt'])"]
    # and the next program starts with an empty directory
    assert outputs(sandbox.run("import os\ndef f(): return os.listdir('.')", "f", [""])) == ["[]"]


@pytest.mark.parametrize("disabled", [(), ("namespaces",)])
def test_a_programs_temp_dir_is_its_work_dir(disabled):
    # The server imports tempfile only when it must make its work root on the host (no mount
    # namespace), and then tempfile has already cached the host's temp dir: children must not get it.
    code = "import os, tempfile\ndef f():\n    return tempfile.gettempdir() == os.getcwd(), os.path.dirname(tempfile.mkstemp()[1]) == os.getcwd()\n"
    with Sandbox(timeout=5.0, disable_layers=disabled) as sandbox:
        assert outputs(sandbox.run(code, "f", [""])) == ["(True, True)"]


def test_children_start_without_the_archive_modules(sandbox):
    # shutil (through tempfile) would bring zlib, bz2 and lzma and their libraries into every fork
    code = "import sys\ndef f():\n    return sorted({'tempfile', 'shutil', 'zlib', 'bz2', 'lzma'} & set(sys.modules))\n"
    assert outputs(sandbox.run(code, "f", [""])) == ["[]"]


def test_big_files_are_refused(sandbox):
    result = sandbox.run("def f():\n    open('big', 'wb').write(b'x' * (2 << 20))\n", "f", [""])
    assert (result.calls[0].status, result.calls[0].exception) == ("error", "OSError")


def test_no_network(sandbox, layers):
    needs(layers, "blocks_network")
    code = "import socket\ndef f(host):\n    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    s.settimeout(1)\n    s.connect((host, 80))\n    return 'connected'\n"
    result = sandbox.run(code, "f", ["'127.0.0.1'", "'1.1.1.1'"], timeout=5)
    assert [c.status for c in result.calls] == ["error", "error"]
    assert all(c.exception in ("PermissionError", "OSError", "ConnectionRefusedError", "TimeoutError") for c in result.calls)
    assert sandbox.run_snippet("import socket; socket.create_connection(('localhost', 22), timeout=1)").status == "error"


def test_no_new_processes(sandbox, layers):
    needs(layers, "blocks_processes")
    assert sandbox.run_snippet("import os\nif os.fork() == 0:\n    os._exit(0)").exception == "PermissionError"
    assert sandbox.run_snippet("import subprocess\nsubprocess.run(['ls'])").status == "error"
    assert sandbox.run_snippet("import os\nassert os.system('true') != 0").status == "ok"
    assert sandbox.run_snippet("import os\nos.execv('/bin/true', ['true'])").status == "error"


def test_the_server_cannot_be_signalled(sandbox, layers):
    needs(layers, "seccomp")
    assert sandbox.run_snippet("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)").exception == "PermissionError"
    assert sandbox.run_snippet("import os, signal\nos.killpg(1, signal.SIGKILL)").exception == "PermissionError"
    assert outputs(sandbox.run("def f(): return 'alive'", "f", [""])) == ["'alive'"]


def test_runs_as_an_unprivileged_user(sandbox, layers):
    needs(layers, "uid_drop")
    assert outputs(sandbox.run("import os\ndef f(): return os.getuid(), os.getgid(), os.getgroups()", "f", [""])) == ["(65534, 65534, [])"]


def test_reads_are_limited(sandbox, layers):
    needs(layers, "landlock")
    assert sandbox.run_snippet("open('/etc/passwd').read()").exception == "PermissionError"
    assert sandbox.run_snippet("import json, math, collections\nopen('/dev/null').read()").status == "ok"


def test_no_secrets_in_the_environment(sandbox, monkeypatch):
    monkeypatch.setenv("CODEGEN_FAKE_SECRET", "hunter2")
    with Sandbox() as fresh:  # started while the secret is set
        result = fresh.run("import os\ndef f(): return dict(os.environ)", "f", [""])
    environment = eval(result.calls[0].output)  # a dict literal, from our own run
    assert "CODEGEN_FAKE_SECRET" not in environment and "hunter2" not in result.calls[0].output
    assert set(environment) <= {"PATH", "LANG", "PYTHONHASHSEED", "HOME", "TMPDIR"}


def test_hash_seed_is_applied():
    code = "import os\ndef f():\n    return os.environ['PYTHONHASHSEED'], repr(set('abcdefghijklmnop')), hash('a')\n"
    results = {}
    for seed in (0, 1, 0):
        with Sandbox(hash_seed=seed) as sandbox:
            results.setdefault(seed, set()).add(sandbox.run(code, "f", [""]).calls[0].output)
    assert len(results[0]) == 1  # the same seed gives the same hashes and the same set order, across servers
    (zero,), (one,) = results[0], results[1]
    assert eval(zero)[0] == "0" and eval(one)[0] == "1"
    assert eval(zero)[1:] != eval(one)[1:]


def test_a_crash_is_killed(sandbox):
    result = sandbox.run("import ctypes\ndef f(x):\n    return ctypes.string_at(0) if x else 1\n", "f", ["0", "1", "0"])
    assert result.status == "killed" and "SIGSEGV" in result.error
    assert [c.status for c in result.calls] == ["ok", "killed", "killed"]


def test_without_optional_layers_programs_still_run():
    with Sandbox(timeout=5.0, disable_layers=("namespaces", "uid_drop", "landlock", "seccomp")) as sandbox:
        reported = sandbox.layers()
        for layer in ("uid_drop", "network_namespace", "readonly_filesystem", "landlock", "seccomp"):
            assert reported[layer] == "disabled"
        assert reported["process_group"] is True and reported["resource_limits"] is True
        assert outputs(sandbox.run("def f(a, b): return a // b", "f", ["7, 2"])) == ["3"]
        assert sandbox.run("def f(): return len(bytearray(10**10))", "f", [""]).calls[0].exception == "MemoryError"
        assert sandbox.run_snippet("while True: pass", timeout=SHORT).status == "timeout"
        assert outputs(sandbox.run("import os\ndef f(): open('x', 'w').write('1'); return os.listdir('.')", "f", [""])) == ["['x']"]
        workdir_parent = sandbox._server.cleanup[0]
    assert not os.path.exists(workdir_parent)  # the host directory that held the work dirs is gone


def test_preload_names_the_modules_children_start_with(sandbox):
    code = "import sys\ndef f(name):\n    return name in sys.modules\n"
    names = ["'typing'", "'fractions'", "'difflib'", "'encodings.cp437'", "'json'"]
    assert outputs(sandbox.run(code, "f", names)) == ["True", "False", "False", "False", "True"]  # the default: COMMON
    with Sandbox(timeout=5.0, preload=("fractions",)) as small:
        assert outputs(small.run(code, "f", names)) == ["False", "True", "False", "False", "True"]  # json: the harness's own
        assert small.run_batch([("def f(x): return x * 2", "f", ["21"])])[0].calls[0].output == "42"
        reported = small.layers()
    assert all(reported[layer] is True for layer in ("blocks_network", "blocks_processes", "uid_drop", "seccomp", "landlock"))


ON_DEMAND = (
    "import difflib, hashlib, zoneinfo, decimal, xml.dom.minidom\n"
    "def f():\n"
    "    return (difflib.SequenceMatcher(None, 'abc', 'abd').ratio(), hashlib.md5(b'x').hexdigest()[:8],\n"
    "            str(zoneinfo.ZoneInfo('UTC')), str(decimal.Decimal(1) / 8), 'é'.encode('cp437'),\n"
    "            xml.dom.minidom.parseString('<a/>').documentElement.tagName)\n"
)
ON_DEMAND_OUTPUT = "(0.6666666666666666, '9dd4e461', 'UTC', '0.125', b'\\x82', 'a')"


@pytest.mark.parametrize("preload, disabled", [(None, ()), ((), ()), (None, ("namespaces",))])
def test_modules_not_preloaded_are_imported_on_demand(preload, disabled):
    """As the sandbox's uid, wherever the standard library is (this machine's is under /root, mode
    700, which uid 65534 cannot search): modules, C extensions, a package's submodules, codecs; also
    with the host's /proc (no mount namespace)."""
    with Sandbox(timeout=10.0, preload=preload, disable_layers=disabled) as sandbox:
        assert outputs(sandbox.run(ON_DEMAND, "f", [""])) == [ON_DEMAND_OUTPUT]
        assert [r.calls[0].output for r in sandbox.run_batch([(ON_DEMAND, "f", [""])] * 2)] == [ON_DEMAND_OUTPUT] * 2
        reported = sandbox.layers()
    assert reported["closed_fds"] is True and reported["uid_drop"] is True


def test_the_import_directories_reach_nothing_else(sandbox, layers):
    needs(layers, "landlock")
    climb = "import sys\ndef f():\n    return [open(p + '/..' * 12 + '/etc/passwd').read() for p in sys.path[1:]]\n"
    assert sandbox.run(climb, "f", [""]).calls[0].exception == "PermissionError"


def test_reachable_checks_every_directory_above():
    from codegen_data.sandbox._forkserver import _reachable

    if os.geteuid() != 0:
        pytest.skip("needs root, to make directories uid 65534 does not own")
    if not _reachable("/tmp", 65534, 65534):
        pytest.skip("/tmp is out of uid 65534's reach here")
    with tempfile.TemporaryDirectory(dir="/tmp") as top:  # not tmp_path: pytest's own dirs are mode 700
        inner = os.path.join(top, "outer", "inner")
        os.makedirs(inner)
        os.chmod(top, 0o755)
        for mode, reachable in ((0o700, False), (0o711, True), (0o755, True)):
            os.chmod(os.path.dirname(inner), mode)
            assert _reachable(inner, 65534, 65534) is reachable
        os.chmod(inner, 0o711)  # searchable but not listable: an import directory must be both
        assert _reachable(inner, 65534, 65534) is False


@pytest.mark.parametrize("on_demand, preloaded", [(True, ["typing"]),
                                                   (False, ["difflib", "encodings.cp437", "lzma", "tempfile", "typing"])])
def test_without_imports_on_demand_every_module_is_preloaded(on_demand, preloaded):
    """Where a child could not import on demand (no /proc/self/fd to reach a standard library its
    uid cannot read), a server of the default preload imports every module and codec instead."""
    import subprocess
    import sys

    from codegen_data.sandbox.client import SERVER_SCRIPT

    probe = (f"import sys; sys.path.insert(0, {str(SERVER_SCRIPT.parent)!r}); import _forkserver\n"
             f"_forkserver._preload(None, {on_demand})\n"
             "print(sorted(m for m in ('typing', 'difflib', 'encodings.cp437', 'tempfile', 'lzma') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-s", "-S", "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == repr(sorted(preloaded))
