"""The attack table: hostile programs and queries, what scoring must say about each, and which
protection layer stops it.

Each program is run through both paths untrusted code takes (the program tasks' executor, and
``codegen-data evaluate`` scoring it as a prediction; see ``test_programs.py``), each query through the
hardened DuckDB session and the evaluator (``test_sql.py``). A program is a :class:`string.Template`:
``$entry`` is the item's entry point, the other names are the :class:`Target` of the test session.

``python -m tests.attacks.cases`` prints the table as markdown, with the layers in force here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from string import Template

__all__ = [
    "CATEGORIES",
    "PROGRAM_ATTACKS",
    "SQL_ATTACKS",
    "Layer",
    "Outcome",
    "ProgramAttack",
    "SqlAttack",
    "Target",
    "markdown",
    "sql_layers",
]

CATEGORIES = ("deadline", "refused", "memory", "output and disk", "files", "leaks", "harness gaming",
              "clean verdict")


# ---------------------------------------------------------------- layers


@dataclass(frozen=True)
class Layer:
    """A protection layer: ``probe`` lists the ``sandbox_layers()`` keys that say it is in force here
    (none: it is the server's or the parent's own code, always in force); ``disables`` the
    ``Sandbox(disable_layers=...)`` names that turn it off (none: it cannot be turned off)."""

    name: str
    probe: tuple[str, ...] = ()
    disables: tuple[str, ...] = ()

    def missing(self, layers: dict) -> str | None:
        """Why the layer is not in force according to ``layers``, or None when it is."""
        for key in self.probe:
            if layers.get(key) is not True:
                return f"{key}: {layers.get(key, 'not reported')}"
        return None


DEADLINE = Layer("wall-clock deadline (server SIGKILLs the group)")
RLIMIT_AS = Layer("rlimit AS (memory)", ("resource_limits",))
RLIMIT_FSIZE = Layer("rlimit FSIZE (file size)", ("resource_limits",))
RLIMIT_NOFILE = Layer("rlimit NOFILE (open files)", ("resource_limits",))
RLIMIT_NPROC = Layer("rlimit NPROC (no capability lifts it)", ("resource_limits", "capabilities_dropped"))
SECCOMP = Layer("seccomp", ("seccomp",), ("seccomp",))
LANDLOCK = Layer("landlock", ("landlock",), ("landlock",))
UID_DROP = Layer("uid drop", ("uid_drop",), ("uid_drop",))
READONLY_FS = Layer("mount namespace (read-only fs)", ("readonly_filesystem",), ("namespaces",))
PRIVATE_TMP = Layer("mount namespace (private /tmp tmpfs)", ("readonly_filesystem",), ("namespaces",))
HIDDEN_PROC = Layer("own /proc with hidepid (mount namespace + uid drop)", ("hidden_processes", "uid_drop"),
                    ("namespaces", "uid_drop"))
CLEAN_ENV = Layer("clean environment", ("clean_environment",))
OUTPUT_CAP = Layer("output cap")
RESULT_CHANNEL = Layer("result channel validation (server)")
EVERY_CALL = Layer("verdict needs every call's report (server)")
EXIT_STATUS = Layer("verdict from the exit status (server)")
PARENT_COMPARISON = Layer("parent-side comparison")
FRESH_FORK = Layer("fresh fork per program")
SERVER_CLEANUP = Layer("server cleanup (iterative, never follows links)")
RECURSION_LIMIT = Layer("Python recursion limit")
INT_DIGITS = Layer("Python int-to-str digit limit")
EMPTY_STDIN = Layer("empty stdin")


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """What scoring says: ``failure`` (a key of ``codegen_data.scoring.FAILURES``) and a regex its
    error text matches (searched)."""

    failure: str
    error: str
    label: str


WALL_CLOCK = Outcome("timeout", r"^wall-clock deadline exceeded$", "wall-clock deadline exceeded")
OVER_OUTPUT = Outcome("execution_error", r"^output over the limit$", "output over the limit")


def refused(exception: str, errno: int | None = None, text: str = "", shown: str = "") -> Outcome:
    """Raised while the program loads: the error is ``Exception: message`` (``text`` a regex of the
    message's start, ``shown`` how the table says it)."""
    number = "" if errno is None else rf"\[Errno {errno}\] "
    label = exception + ("" if errno is None else f" [Errno {errno}]") + (f": {shown}" if shown else "")
    return Outcome("execution_error", rf"^{exception}: {number}{text}", label)


def raised(exception: str) -> Outcome:
    """Raised by the call the first test makes."""
    return Outcome("execution_error", rf"\) raised {exception}$", f"raised {exception}")


def killed(signal: str) -> Outcome:
    """Killed by a signal it brought on itself: it crashed (not a time-out, which would run it again)."""
    return Outcome("execution_error", rf"^killed by {signal}$", f"killed by {signal}")


def exited(code: int) -> Outcome:
    return Outcome("execution_error", rf"^exited with code {code} before finishing$", f"exited {code} early")


def returned(output: str, label: str) -> Outcome:
    """The first test got ``output`` (a regex) where it expected another value."""
    return Outcome("wrong_answer", rf"\) returned {output}, expected ", label)


# ---------------------------------------------------------------- where attacks aim


@dataclass(frozen=True)
class Target:
    """Where the attacks of one test session aim: paths, a secret, the test process, its sockets."""

    token: str  # in the name of every file an attack tries to create
    dataset: str  # the dataset under evaluation (its hidden tests)
    home: str  # the user's home
    repo: str  # this checkout
    sentinel_tmp: str  # files that must stay as they are
    sentinel_home: str
    secret_name: str  # an environment variable of the test process
    test_pid: int
    tcp_port: int  # a TCP and a UDP socket on 127.0.0.1 and an abstract unix socket, in the test process
    udp_port: int
    unix_name: str

    def fields(self, entry: str) -> dict[str, object]:
        return {"entry": entry, **{name: getattr(self, name) for name in self.__dataclass_fields__}}


@dataclass(frozen=True)
class ProgramAttack:
    """A hostile program. ``without``: the outcome with ``layer`` turned off (the next layer's answer),
    checked where every other layer is in force. ``requires``: layers without which the program is
    not run at all (it would harm the machine). ``verify``: whether it may run with every optional
    layer but its own turned off. ``needs``: a property of the :class:`World` the claim rests on."""

    id: str
    category: str
    code: str
    outcome: Outcome
    layer: Layer
    without: Outcome | None = None
    requires: tuple[str, ...] = ()
    verify: bool = True
    needs: str | None = None

    def program(self, target: Target, entry: str) -> str:
        return Template(self.code).substitute(target.fields(entry))


def attack(id: str, category: str, code: str, outcome: Outcome, layer: Layer, **options) -> ProgramAttack:
    return ProgramAttack(id, category, code.strip("\n") + "\n", outcome, layer, **options)


# Attacks meant to be stopped while loading sit at module level, so that the verdict carries the
# exception's message (its errno says which layer answered); the rest sit in the entry point.
PROGRAM_ATTACKS: tuple[ProgramAttack, ...] = (
    # ---- killed at the deadline
    attack("infinite_loop", "deadline", r"""
def $entry(*args):
    while True:
        pass
""", WALL_CLOCK, DEADLINE),
    attack("loop_while_loading", "deadline", r"""
while True:
    pass
""", WALL_CLOCK, DEADLINE),
    attack("long_c_call", "deadline", r"""
def $entry(*args):
    return sum(range(10 ** 12))
""", WALL_CLOCK, DEADLINE),
    attack("regex_backtracking", "deadline", r"""
import re
def $entry(*args):
    return re.match(r'(a+)+\Z', 'a' * 64 + 'b')
""", WALL_CLOCK, DEADLINE),
    attack("huge_pow", "deadline", r"""
def $entry(*args):
    return pow(10 ** 10, 10 ** 10)
""", WALL_CLOCK, DEADLINE),
    attack("sleep", "deadline", r"""
import time
def $entry(*args):
    time.sleep(10 ** 6)
""", WALL_CLOCK, DEADLINE),
    attack("ignore_sigterm_sigalrm_sigxcpu", "deadline", r"""
import signal
for name in ('SIGTERM', 'SIGALRM', 'SIGXCPU', 'SIGINT', 'SIGHUP', 'SIGVTALRM', 'SIGPROF', 'SIGUSR1'):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
def $entry(*args):
    while True:
        pass
""", WALL_CLOCK, DEADLINE),
    attack("catch_everything_loop", "deadline", r"""
def $entry(*args):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
""", WALL_CLOCK, DEADLINE),
    attack("deadlock", "deadline", r"""
import _thread
def $entry(*args):
    lock = _thread.allocate_lock()
    lock.acquire()
    lock.acquire()
""", WALL_CLOCK, DEADLINE),
    attack("endless_repr", "deadline", r"""
class Answer:
    def __repr__(self):
        while True:
            pass
def $entry(*args):
    return Answer()
""", WALL_CLOCK, DEADLINE),
    # ---- refused or contained
    attack("fork_bomb", "refused", r"""
import os
while True:
    os.fork()
""", refused("PermissionError", 1), SECCOMP, without=refused("BlockingIOError", 11), requires=("seccomp",),
        verify=False),  # as root without the uid drop, nothing else would bound it
    attack("subprocess", "refused", r"""
import subprocess
subprocess.run(['touch', '/tmp/attack-$token-subprocess'])
""", refused("PermissionError", 1), SECCOMP, without=refused("BlockingIOError", 11)),
    attack("os_system", "refused", r"""
import os
status = os.system('touch /tmp/attack-$token-system')
raise RuntimeError(f'system returned {status}')
""", refused("RuntimeError", text="system returned 32512$", shown="system returned 32512"), SECCOMP),
    attack("posix_system", "refused", r"""
import posix
status = posix.system('touch /tmp/attack-$token-posix')
raise RuntimeError(f'system returned {status}')
""", refused("RuntimeError", text="system returned 32512$", shown="system returned 32512"), SECCOMP),
    attack("reloaded_os_exec", "refused", r"""
import importlib, os
os = importlib.reload(os)
os.execv('/bin/sh', ['sh', '-c', 'touch /tmp/attack-$token-exec'])
""", refused("PermissionError", 1), SECCOMP, without=refused("BlockingIOError", 11)),
    attack("dunder_import_spawn", "refused", r"""
__import__('os').posix_spawn('/bin/sh', ['sh', '-c', 'touch /tmp/attack-$token-spawn'], {})
""", refused("PermissionError", 1), SECCOMP, without=refused("BlockingIOError", 11)),
    attack("popen_from_subclasses", "refused", r"""
__import__('subprocess')  # the server need not have loaded it: a child imports it on demand
popen = next(c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen')
popen(['touch', '/tmp/attack-$token-popen'])
""", refused("PermissionError", 1), SECCOMP, without=refused("BlockingIOError", 11)),
    attack("ctypes_fork", "refused", r"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
pid = libc.fork()
if pid == 0:
    libc._exit(0)
raise OSError(ctypes.get_errno(), f'fork() returned {pid}')
""", refused("PermissionError", 1, "fork", "fork() returned -1"), SECCOMP, without=refused("BlockingIOError", 11, "fork")),
    attack("threads_beyond_the_limit", "refused", r"""
import threading, time
threads = [threading.Thread(target=time.sleep, args=(60,)) for _ in range(64)]
for thread in threads:
    thread.start()
def $entry(*args):
    return 'threads started'
""", refused("RuntimeError", text="can't start new thread", shown="can't start new thread"), RLIMIT_NPROC),
    attack("tcp_connect", "refused", r"""
import socket
with socket.create_connection(('127.0.0.1', $tcp_port), timeout=1) as s:
    s.sendall(b'$token')
""", refused("PermissionError", 1), SECCOMP, without=refused("PermissionError", 13)),
    attack("udp_send", "refused", r"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'$token', ('127.0.0.1', $udp_port))
""", refused("PermissionError", 1), SECCOMP, without=refused("OSError", 101)),
    attack("dns_lookup", "refused", r"""
import socket
socket.getaddrinfo('example.com', 443)
""", refused("gaierror", -3), SECCOMP, without=refused("gaierror", -3)),
    attack("abstract_unix_socket", "refused", r"""
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect('\0$unix_name')
s.sendall(b'$token')
""", refused("PermissionError", 1), SECCOMP),
    attack("kill_the_parent", "refused", r"""
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
""", refused("PermissionError", 1), SECCOMP, requires=("seccomp",)),
    attack("kill_the_test_process", "refused", r"""
import os, signal
os.kill($test_pid, signal.SIGKILL)
""", refused("PermissionError", 1), SECCOMP, requires=("seccomp",)),
    attack("kill_everyone", "refused", r"""
import os, signal
os.kill(-1, signal.SIGKILL)
""", refused("PermissionError", 1), SECCOMP, requires=("seccomp",),
        verify=False),  # as root with no other layer, a mistake would end every process
    # ---- memory
    attack("allocate_10_gb", "memory", r"""
data = bytearray(10 << 30)
""", refused("MemoryError"), RLIMIT_AS),
    attack("gradual_growth", "memory", r"""
chunks = []
while True:
    chunks.append(bytearray(16 << 20))  # 16 MB at a time: reaches the limit well within the deadline under load
""", refused("MemoryError"), RLIMIT_AS),
    attack("mmap_10_gb", "memory", r"""
import mmap
mmap.mmap(-1, 10 << 30)
""", refused("OSError", 12), RLIMIT_AS),
    # ---- output and disk
    attack("endless_printing", "output and disk", r"""
def $entry(*args):
    while True:
        print('spam ' * 100)
""", OVER_OUTPUT, OUTPUT_CAP),
    attack("huge_return_value", "output and disk", r"""
def $entry(*args):
    return 'x' * 10 ** 7
""", OVER_OUTPUT, OUTPUT_CAP),
    attack("int_digit_limit_lifted", "output and disk", r"""
import sys
sys.set_int_max_str_digits(0)
def $entry(*args):
    return 10 ** 70000  # past the output caps (64,000 and 65,536 characters); int-to-str is quadratic
""", OVER_OUTPUT, OUTPUT_CAP),
    attack("huge_file", "output and disk", r"""
with open('big', 'wb') as f:
    f.write(b'x' * (100 << 20))
""", refused("OSError", 27), RLIMIT_FSIZE),
    attack("many_files", "output and disk", r"""
i = 0
while True:
    open(f'f{i}', 'w').close()
    i += 1
""", refused("OSError", 28), PRIVATE_TMP, requires=("readonly_filesystem",)),
    attack("fill_tmp", "output and disk", r"""
import tempfile
while True:
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b'x' * (1 << 20))
""", refused("OSError", 28), PRIVATE_TMP, requires=("readonly_filesystem",)),
    attack("fill_dev_shm", "output and disk", r"""
with open('/dev/shm/attack-$token', 'wb') as f:
    while True:
        f.write(b'x' * (1 << 20))
""", refused("OSError", 30), READONLY_FS, without=refused("PermissionError", 13)),
    attack("exhaust_file_descriptors", "output and disk", r"""
import os
while True:
    os.pipe()
""", refused("OSError", 24), RLIMIT_NOFILE),
    attack("deep_directories", "output and disk", r"""
import os
for _ in range(1100):  # past the recursion limit shutil.rmtree ran into, killing the server
    os.mkdir('d')
    os.chdir('d')
raise RuntimeError('nested 1100 directories')
""", refused("RuntimeError", text="nested", shown="its own, at the end"), SERVER_CLEANUP,
        verify=False),  # on a host file system, nesting is slow; test_programs covers the host path
    attack("symlinks_out_of_the_work_dir", "output and disk", r"""
import os
for i, target in enumerate(['$sentinel_tmp', '$sentinel_home', '$home', '/', '/tmp']):
    os.symlink(target, f'link{i}')
os.mkdir('sub')
os.symlink('$sentinel_home', 'sub/inner')
raise RuntimeError('left links to the outside')
""", refused("RuntimeError", text="left links", shown="its own, at the end"), SERVER_CLEANUP),
    attack("locked_directory_left_behind", "output and disk", r"""
import os
os.makedirs('locked/deeper')
open('locked/deeper/file', 'w').close()
os.chmod('locked/deeper', 0)
os.chmod('locked', 0)
raise RuntimeError('left a locked directory')
""", refused("RuntimeError", text="left a locked", shown="its own, at the end"), SERVER_CLEANUP),
    # ---- files
    attack("read_etc_shadow", "files", r"""
open('/etc/shadow').read()
""", refused("PermissionError", 13), UID_DROP, without=refused("PermissionError", 13)),
    attack("list_the_home_dir", "files", r"""
import os
raise RuntimeError(f'home holds {os.listdir("$home")}')
""", refused("PermissionError", 13), UID_DROP, without=refused("PermissionError", 13), needs="private_home"),
    attack("read_etc_passwd", "files", r"""
data = open('/etc/passwd').read()
raise RuntimeError(f'read {len(data)} characters')
""", refused("PermissionError", 13), LANDLOCK, without=refused("RuntimeError", text=r"read \d+ characters", shown="the read succeeds")),
    attack("read_the_checkout", "files", r"""
data = open('$repo/pyproject.toml').read()
raise RuntimeError(f'read {len(data)} characters')
""", refused("PermissionError", 13), LANDLOCK, without=refused("RuntimeError", text=r"read \d+ characters", shown="the read succeeds"),
        needs="checkout_in_the_open"),
    attack("read_the_hidden_tests", "files", r"""
import ast, builtins, json
tests = {}
with open('$dataset/data/test.jsonl') as f:
    for line in f:
        record = json.loads(line)
        if record.get('entry_point') == '$entry':
            for test in record['tests']:
                tests[repr(ast.literal_eval('(' + test['input'] + ',)'))] = test
def $entry(*args):
    test = tests[repr(args)]
    if 'raises' in test:
        raise getattr(builtins, test['raises'])()
    return ast.literal_eval(test['output'])
""", refused("FileNotFoundError", 2), PRIVATE_TMP, without=refused("PermissionError", 13)),
    attack("write_tmp", "files", r"""
with open('/tmp/attack-$token-write', 'w') as f:
    f.write('escaped')
""", refused("PermissionError", 13), LANDLOCK, without=refused("PermissionError", 13)),
    attack("write_var_tmp", "files", r"""
with open('/var/tmp/attack-$token', 'w') as f:
    f.write('escaped')
""", refused("OSError", 30), READONLY_FS, without=refused("PermissionError", 13)),
    attack("write_the_checkout", "files", r"""
with open('$repo/attack-$token', 'w') as f:
    f.write('escaped')
""", refused("OSError", 30), READONLY_FS, without=refused("PermissionError", 13), needs="checkout_in_the_open"),
    attack("write_the_home_dir", "files", r"""
with open('$home/attack-$token', 'w') as f:
    f.write('escaped')
""", refused("PermissionError", 13), UID_DROP, without=refused("OSError", 30), needs="private_home"),
    attack("delete_the_home_sentinel", "files", r"""
import os
os.unlink('$sentinel_home')
""", refused("PermissionError", 13), UID_DROP, without=refused("OSError", 30), needs="private_home"),
    # ---- leaks
    attack("environment", "leaks", r"""
import os
found = {k: v for k, v in os.environ.items() if 'SECRET' in k or k == '$secret_name'}
raise RuntimeError(f'environment {sorted(os.environ)} {found}')
""", refused("RuntimeError", text=r"environment \['HOME', 'LANG', 'PATH', 'PYTHONHASHSEED', 'TMPDIR'\] \{\}$",
                shown="5 fixed variables, no secret"),
        CLEAN_ENV),
    attack("proc_self_environ", "leaks", r"""
data = open('/proc/self/environ', 'rb').read()
raise RuntimeError(f'environ {data!r}')
""", refused("PermissionError", 13), LANDLOCK, without=refused("PermissionError", 13)),
    attack("parent_environ", "leaks", r"""
import os
data = open(f'/proc/{os.getppid()}/environ', 'rb').read()
raise RuntimeError(f'environ {data!r}')
""", refused("FileNotFoundError", 2), HIDDEN_PROC, without=refused("PermissionError", 13)),
    attack("test_process_environ", "leaks", r"""
data = open('/proc/$test_pid/environ', 'rb').read()
raise RuntimeError(f'environ {data!r}')
""", refused("FileNotFoundError", 2), HIDDEN_PROC, without=refused("PermissionError", 13)),
    attack("parent_memory", "leaks", r"""
import os, re
pid = os.getppid()
found = []
with open(f'/proc/{pid}/maps') as maps, open(f'/proc/{pid}/mem', 'rb') as mem:
    for line in maps:
        start, end = (int(x, 16) for x in line.split()[0].split('-'))
        if 'rw' in line.split()[1]:
            mem.seek(start)
            found += re.findall(rb'$secret_name=[^\0]*', mem.read(end - start))
raise RuntimeError(f'found {found}')
""", refused("FileNotFoundError", 2), HIDDEN_PROC, without=refused("PermissionError", 13)),
    attack("test_process_memory", "leaks", r"""
import re
found = []
with open('/proc/$test_pid/maps') as maps, open('/proc/$test_pid/mem', 'rb') as mem:
    for line in maps:
        start, end = (int(x, 16) for x in line.split()[0].split('-'))
        if 'rw' in line.split()[1]:
            mem.seek(start)
            found += re.findall(rb'$secret_name=[^\0]*', mem.read(end - start))
raise RuntimeError(f'found {found}')
""", refused("FileNotFoundError", 2), HIDDEN_PROC, without=refused("PermissionError", 13)),
    attack("scan_every_process", "leaks", r"""
import os
found = []
for pid in os.listdir('/proc'):
    if pid.isdigit():
        try:
            data = open(f'/proc/{pid}/environ', 'rb').read()
        except OSError:
            continue
        found += [entry for entry in data.split(b'\0') if b'SECRET' in entry]
raise RuntimeError(f'found {found}')
""", refused("PermissionError", 13), LANDLOCK, without=refused("RuntimeError", text=r"found \[\]$", shown="found [] (own processes only)")),
    attack("ptrace_the_test_process", "leaks", r"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
result = libc.ptrace(16, $test_pid, None, None)  # PTRACE_ATTACH
raise OSError(ctypes.get_errno(), f'ptrace returned {result}')
""", refused("PermissionError", 1, "ptrace", "ptrace returned -1"), SECCOMP, without=refused("PermissionError", 1, "ptrace")),
    attack("process_vm_readv", "leaks", r"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
class Iovec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('length', ctypes.c_size_t)]
buffer = ctypes.create_string_buffer(4096)
local, remote = Iovec(ctypes.addressof(buffer), 4096), Iovec(0x400000, 4096)
result = libc.process_vm_readv($test_pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
raise OSError(ctypes.get_errno(), f'process_vm_readv returned {result}')
""", refused("PermissionError", 1, "process_vm_readv", "process_vm_readv returned -1"), SECCOMP),
    # ---- harness gaming
    attack("print_pass_then_sys_exit", "harness gaming", r"""
import sys
print('All tests passed')
print('PASSED')
sys.exit(0)
""", refused("SystemExit", text="0$", shown="0"), EVERY_CALL),
    attack("os_exit_while_loading", "harness gaming", r"""
import os
print('PASSED')
os._exit(0)
""", exited(0), EVERY_CALL),
    attack("os_exit_in_a_call", "harness gaming", r"""
import os
def $entry(*args):
    print('PASSED')
    os._exit(0)
""", exited(0), EVERY_CALL),
    attack("system_exit_in_a_test", "harness gaming", r"""
def $entry(*args):
    raise SystemExit(0)
""", raised("SystemExit"), EVERY_CALL),
    attack("equal_to_everything", "harness gaming", r"""
class AlwaysEqual:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
def $entry(*args):
    return AlwaysEqual()
""", returned(r"<__sandbox__\.AlwaysEqual object at 0x[0-9a-f?]+>", "its repr, <AlwaysEqual object>"), PARENT_COMPARISON),
    attack("str_equal_to_everything", "harness gaming", r"""
class Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
def $entry(*args):
    return Anything('anything')
""", returned("'anything'", "its repr, 'anything'"), PARENT_COMPARISON),
    attack("patched_builtins", "harness gaming", r"""
import builtins
builtins.repr = lambda obj: 'True'
def $entry(*args):
    return None
""", returned("True", "the patched repr, True"), PARENT_COMPARISON),
    attack("forged_result_lines", "harness gaming", r"""
import json, os, sys
frame = sys._getframe()
while 'request' not in frame.f_locals:
    frame = frame.f_back
def send(message):
    os.write(3, (json.dumps(message) + '\n').encode())
send({'k': 'load', 'ok': True, 'stdout': ''})
for _ in frame.f_locals['request']['inputs']:
    send({'k': 'call', 'status': 'ok', 'output': "'forged'", 'exception': None, 'stdout': 'PASSED'})
send({'k': 'end'})
os._exit(0)
""", returned("'forged'", "the forged 'forged'"), PARENT_COMPARISON),
    attack("poison_the_next_program", "harness gaming", r"""
import builtins, os
for name in ('sorted', 'sum', 'abs', 'min', 'max', 'range', 'divmod', 'enumerate', 'zip', 'int', 'set', 'map'):
    setattr(builtins, name, lambda *args, **kwargs: None)
os.environ['PYTHONHASHSEED'] = '1'
with open('poison.py', 'w') as f:
    f.write('raise SystemExit')
def $entry(*args):
    return 'poisoned'
""", returned("'poisoned'", "'poisoned'; the next program is unharmed"), FRESH_FORK),
    # ---- clean verdicts
    attack("infinite_recursion", "clean verdict", r"""
def $entry(*args):
    return $entry(*args)
""", raised("RecursionError"), RECURSION_LIMIT),
    attack("ctypes_segfault", "clean verdict", r"""
import ctypes
def $entry(*args):
    return ctypes.string_at(0)
""", killed("SIGSEGV"), EXIT_STATUS),
    attack("abort", "clean verdict", r"""
import os
def $entry(*args):
    os.abort()
""", Outcome("execution_error", r"^killed by SIG(ABRT|SEGV)$", "killed by SIGABRT (SIGSEGV under seccomp)"), EXIT_STATUS),
    attack("real_time_signal_death", "clean verdict", r"""
import ctypes, struct, time
libc = ctypes.CDLL(None, use_errno=True)
event = ctypes.create_string_buffer(64)
struct.pack_into('qii', event, 0, 0, 40, 0)  # sigev_value, sigev_signo = 40, SIGEV_SIGNAL
timer = ctypes.c_void_p()
def $entry(*args):
    if libc.timer_create(1, event, ctypes.byref(timer)) != 0:
        raise OSError(ctypes.get_errno(), 'timer_create')
    if libc.timer_settime(timer, 0, (ctypes.c_long * 4)(0, 0, 0, 1000000), None) != 0:
        raise OSError(ctypes.get_errno(), 'timer_settime')
    time.sleep(5)
""", killed("signal 40"), EXIT_STATUS),
    attack("non_utf8_output", "clean verdict", r"""
import os, sys
def $entry(*args):
    sys.stdout.buffer.write(b'\xff\xfe\xc3(')
    sys.stdout.flush()
    os.write(1, b'\xff\xfe')
    os.write(2, b'\xff\xfe')
    return '\udcff\x00' + bytes(range(128, 256)).decode('latin-1')
""", Outcome("wrong_answer", r"\) returned '\\udcff\\x00\\x80\\x81", "its escaped repr"), PARENT_COMPARISON),
    attack("input_without_stdin", "clean verdict", r"""
def $entry(*args):
    return input('> ')
""", raised("EOFError"), EMPTY_STDIN),
    attack("int_too_large_to_print", "clean verdict", r"""
def $entry(*args):
    return 10 ** 100000
""", raised("ValueError"), INT_DIGITS),
    attack("deeply_nested_result_line", "clean verdict", r"""
import os
os.write(3, b'[' * 100000 + b']' * 100000 + b'\n')
def $entry(*args):
    return None
""", Outcome("execution_error", r"^malformed result from the program \(RecursionError\)$", "malformed result (RecursionError)"),
        RESULT_CHANNEL),
    attack("oversized_result_line", "clean verdict", r"""
import os
os.write(3, b'x' * (2 << 20))
def $entry(*args):
    return None
""", Outcome("execution_error", r"^a result line over the size limit$", "result line over the size limit"),
        RESULT_CHANNEL),
    attack("closed_result_channel", "clean verdict", r"""
import os
os.close(3)
def $entry(*args):
    return None
""", exited(70), EVERY_CALL),
)


# ---------------------------------------------------------------- SQL


@dataclass(frozen=True)
class SqlLayer:
    """A protection of the SQL sandbox; ``setting`` is the DuckDB setting and the value that must hold
    it (None: any value but an unconfigured DuckDB's), checked by :func:`sql_layers`; no setting for
    our own code."""

    name: str
    setting: tuple[str, object] | None = None

    def missing(self, layers: dict) -> str | None:
        return None if self.setting is None or layers.get(self.name) is True else f"{self.name}: {layers.get(self.name)}"


EXTERNAL_ACCESS = SqlLayer("DuckDB enable_external_access=false", ("enable_external_access", False))
CONFIG_LOCK = SqlLayer("DuckDB lock_configuration", ("lock_configuration", True))
MEMORY_LIMIT = SqlLayer("DuckDB memory_limit", ("memory_limit", None))
ONE_READ = SqlLayer("one read-only statement (session)")
STATEMENT_DEADLINE = SqlLayer("statement deadline (interrupt)")
NO_GETENV = SqlLayer("no getenv() outside the DuckDB shell")
QUERY_FUNCTION = SqlLayer("DuckDB query() takes one SELECT")


@dataclass(frozen=True)
class SqlAttack:
    """A hostile query: the session's ``status``, the evaluator's ``failure`` and a regex on the
    error both give. ``sql`` is a :class:`string.Template` over the :class:`Target`."""

    id: str
    category: str
    sql: str
    status: str
    failure: str
    error: str
    shown: str  # the error, as the table says it
    layer: SqlLayer
    behind: SqlLayer | None = None  # the layer that would stop it next (test_sql shows it does)

    def query(self, target: Target) -> str:
        return Template(self.sql).substitute(target.fields(""))


PERMISSION = r"^PermissionException: Permission Error: Cannot access (file|directory) "


def _refused(kind: str) -> str:
    return rf"^only read-only queries run here, not {kind}$"


SQL_ATTACKS: tuple[SqlAttack, ...] = (
    SqlAttack("read_csv_etc_passwd", "files", "SELECT * FROM read_csv('/etc/passwd')", "error", "execution_error",
              PERMISSION, "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("read_text_hidden_tests", "files", "SELECT * FROM read_text('$dataset/data/test.jsonl')", "error",
              "execution_error", PERMISSION, "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("replacement_scan_hidden_tests", "files", "SELECT * FROM '$dataset/data/test.jsonl'", "error",
              "execution_error", PERMISSION, "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("read_blob_proc_environ", "leaks", "SELECT * FROM read_blob('/proc/self/environ')", "error",
              "execution_error", PERMISSION, "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("glob_home", "files", "SELECT * FROM glob('$home/*')", "error", "execution_error", PERMISSION,
              "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("parquet_etc_shadow", "files", "SELECT * FROM parquet_scan('/etc/shadow')", "error", "execution_error",
              PERMISSION, "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("http_to_the_test_process", "refused", "SELECT * FROM read_json_auto('http://127.0.0.1:$tcp_port/x.json')",
              "error", "execution_error", PERMISSION, "PermissionException", EXTERNAL_ACCESS),
    SqlAttack("getenv_secret", "leaks", "SELECT getenv('$secret_name')", "error", "execution_error",
              r"^CatalogException: Catalog Error: Scalar Function with name getenv does not exist",
              "CatalogException: no getenv", NO_GETENV),
    SqlAttack("copy_to_tmp", "output and disk", "COPY (SELECT 1) TO '/tmp/attack-$token.csv'", "refused",
              "execution_error", _refused("COPY"), "not COPY", ONE_READ),
    SqlAttack("copy_inside_query", "output and disk",
              "SELECT * FROM query('COPY (SELECT 1) TO ''/tmp/attack-$token-q.csv''')", "error", "syntax_error",
              r"^ParserException: Parser Error: Expected a single SELECT statement", "ParserException",
              QUERY_FUNCTION),
    SqlAttack("export_database", "output and disk", "EXPORT DATABASE '/tmp/attack-$token-export'", "refused",
              "execution_error", _refused("EXPORT"), "not EXPORT", ONE_READ),
    SqlAttack("attach_a_file", "files", "ATTACH '/tmp/attack-$token.db' AS escape", "refused", "execution_error",
              _refused("ATTACH"), "not ATTACH", ONE_READ),
    SqlAttack("install_extension", "refused", "INSTALL httpfs", "refused", "execution_error", _refused("INSTALL"),
              "not INSTALL", ONE_READ),
    SqlAttack("load_extension", "refused", "LOAD httpfs", "refused", "execution_error", _refused("LOAD"), "not LOAD",
              ONE_READ),
    SqlAttack("set_after_the_lock", "refused", "SET enable_external_access = true", "refused", "execution_error",
              _refused("SET"), "not SET", ONE_READ, behind=CONFIG_LOCK),
    SqlAttack("reset_the_lock", "refused", "RESET lock_configuration", "refused", "execution_error", _refused("RESET"),
              "not RESET", ONE_READ, behind=CONFIG_LOCK),
    SqlAttack("second_statement", "refused", "SELECT 1; COPY (SELECT 1) TO '/tmp/attack-$token-2.csv'", "refused",
              "execution_error", r"^expected one statement, got 2$", "two statements", ONE_READ),
    SqlAttack("cross_join", "deadline", "SELECT count(*) FROM range(1000000000) a, range(100000) b", "timeout",
              "timeout", r"^interrupted after ", "interrupted", STATEMENT_DEADLINE),
    SqlAttack("endless_recursive_cte", "deadline",
              "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r", "timeout",
              "timeout", r"^interrupted after ", "interrupted", STATEMENT_DEADLINE),
    SqlAttack("huge_list_aggregate", "memory", "SELECT length(list(range)::VARCHAR) FROM range(1000000000)", "error",
              "execution_error", r"^OutOfMemoryException: Out of Memory Error", "OutOfMemoryException", MEMORY_LIMIT),
)


def sql_layers() -> dict[str, bool | str]:
    """The DuckDB settings the SQL layers rest on, read from a fresh hardened connection: True or what
    was found."""
    import duckdb

    from codegen_data.sql.executor import hardened_duckdb

    def setting(con, name: str) -> object:
        return con.execute(f"SELECT current_setting('{name}')").fetchone()[0]

    hardened, plain = hardened_duckdb(), duckdb.connect(":memory:")
    try:
        found: dict[str, bool | str] = {}
        for layer in (EXTERNAL_ACCESS, CONFIG_LOCK, MEMORY_LIMIT):
            name, wanted = layer.setting  # type: ignore[misc]
            value = setting(hardened, name)
            held = value != setting(plain, name) if wanted is None else value == wanted
            found[layer.name] = True if held else f"{name} = {value!r}"
        return found
    finally:
        hardened.close()
        plain.close()


# ---------------------------------------------------------------- the table as markdown


def markdown(layers: dict[str, bool | str], sql: dict[str, bool | str]) -> str:
    """``| case | category | outcome | stopping layer | active here |``, programs then queries."""

    def active(missing: str | None) -> str:
        return "yes" if missing is None else f"no ({missing})"

    lines = ["| case | category | outcome | stopping layer | active here |", "| --- | --- | --- | --- | --- |"]
    for case in PROGRAM_ATTACKS:
        layer = case.layer.name + (f"; without it: {case.without.label}" if case.without else "")
        lines.append(f"| {case.id} | {case.category} | {case.outcome.failure} ({case.outcome.label}) | {layer} | "
                     f"{active(case.layer.missing(layers))} |")
    for sql_case in SQL_ATTACKS:
        layer = sql_case.layer.name + (f"; behind it: {sql_case.behind.name}" if sql_case.behind else "")
        lines.append(f"| sql: {sql_case.id} | {sql_case.category} | {sql_case.failure} ({sql_case.status}: "
                     f"{sql_case.shown}) | {layer} | {active(sql_case.layer.missing(sql))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    from codegen_data.sandbox import sandbox_layers

    print(markdown(sandbox_layers(), sql_layers()))
    sys.exit(0)
