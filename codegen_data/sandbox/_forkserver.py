"""The sandbox fork server: ``python3 -s -S -B -c "...; import _forkserver; _forkserver.main()"`` (see
``client._BOOT``), standard library only.

(Not ``-I``: it implies ``-E``, which ignores PYTHONHASHSEED; the client passes an environment of
three variables, PATH, LANG and PYTHONHASHSEED, so nothing else from the outside gets in.)

It sets up once what every child shares (a network namespace with no interfaces; a mount namespace
where every mount is read-only and ``/tmp`` is a small private tmpfs; a seccomp filter compiled to
BPF; the standard library modules most programs import), then forks one confined child per program.
A child imports any other standard library module on demand, from directories the server opened for
it where its own uid could not reach them (see ``Server._import_dirs``).

The client (``codegen_data.sandbox.client``) and the server speak JSON lines::

    -> {"hash_seed": 0, "memory_mb": 512, "output_limit": 64000, ...}      config, the first line
    <- {"k": "ready", "setup": {"seccomp": true, "uid_drop": "not root (uid 1000)", ...}, "cleanup": null}
    -> {"op": "run", "mode": "call", "code": "def f(x): ...", "entry": "f", "inputs": ["1"], "timeout": 2.0}
    <- {"k": "result", "status": "ok", "error": null, "stdout": "", "calls": [{"status": "ok", ...}]}
    -> {"op": "runs", "programs": [{"mode": "call", "code": "...", ...}, ...]}   several "run"s at once
    <- {"k": "result", ...}, one line per program, as each child ends
    -> {"op": "batch", "programs": [{"code": "...", "entry": "f", "inputs": ["1"], "timeout": 2.0}, ...]}
       (a program may bring "compiled": its code object, compiled by the client from "code", marshal, base64)
    <- {"k": "batch", "results": [{"status": "ok", ...}, ...]}     the programs it finished, in order
    -> {"op": "probe"}
    <- {"k": "probe", "layers": {"process_group": true, ...}}

A child reports to the server on a pipe, one JSON line per step: {"k": "load"}, then {"k": "call"}
per input, then {"k": "end"} (or {"k": "limit"} when its output overflows). The child may be
hostile: its lines are size-bounded, validated and re-encoded, never unpickled, and the verdict is the
server's: past the deadline -> timeout, dead by a signal -> killed, gone without "end" -> error.

A batch is for trusted (generated) programs only: one child, as confined as any, runs them one
after another, each in a fresh module with its own deadline and output budget, and then waits on a
second pipe for the next batch (a fork and its copied pages cost more than a generated program). It
stops at the first program that does not end cleanly or that leaves something behind for the next
(files, builtins, environment, ...); the client runs that one alone, so every verdict is what one
child per program would give. Programs of a batch share a process and could forge each other's lines:
untrusted code (predictions under evaluation) is never batched.
"""

from __future__ import annotations

import _thread
import binascii
import builtins
import ctypes
import errno
import fcntl
import gc
import io
import json
import marshal
import math
import os
import random
import re
import resource
import select
import signal
import stat
import sys
import time
import types

COMMON = (
    "bisect", "collections", "collections.abc", "copy", "functools", "heapq", "itertools", "math", "operator",
    "random", "re", "string", "typing",
)
"""What a server imports before it forks unless its config names its own ``preload`` list
(``Sandbox(preload=...)``): the modules programs under evaluation import most (HumanEval's prompts
import typing). The rest of the standard library is imported on demand, in the child that asks. A
module preloaded costs every child (more pages for each fork to copy and unmap) and every server
start; one imported on demand costs only the children that import it."""

PRELOAD = (
    "abc", "array", "ast", "base64", "binascii", "bisect", "calendar", "cmath", "codecs", "collections",
    "collections.abc", "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "enum",
    "errno", "fnmatch", "fractions", "functools", "glob", "graphlib", "hashlib", "heapq", "hmac", "inspect",
    "io", "itertools", "json", "keyword", "locale", "math", "numbers", "operator", "pathlib", "pprint",
    "queue", "random", "re", "reprlib", "shlex", "signal", "socket", "statistics", "string", "struct",
    "subprocess", "textwrap", "threading", "time", "timeit", "tokenize", "traceback", "types", "typing",
    "unicodedata", "uuid", "warnings", "weakref", "zlib", "_strptime", "mmap", "pickle", "secrets", "zoneinfo",
    "shutil", "tempfile",
    "encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.utf_32", "encodings.utf_8_sig",
    "encodings.cp1252", "encodings.cp437", "encodings.idna", "encodings.punycode", "encodings.unicode_escape",
    "encodings.raw_unicode_escape", "encodings.hex_codec", "encodings.base64_codec", "encodings.rot_13",
)
"""With every text codec, what a server imports in place of ``COMMON`` where a child could not import
on demand (no ``/proc/self/fd`` to reach a standard library its uid cannot read, such as one under
/root), so that children start with every module a program may use."""
IMPORT_FD = 64
"""The first descriptor of the import directories a child reaches through the server, the same
numbers in server and child (a child's fds above 4 are closed but for these; a program sees them
open: ``O_PATH`` handles on directories it may read)."""

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, CLONE_THREAD = 0x00020000, 0x10000000, 0x40000000, 0x00010000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS, SECCOMP_MODE_FILTER = 1, 22, 38, 2
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1, 1 << 2
SCMP_ACT_ALLOW, SCMP_CMP_MASKED_EQ, SCMP_FLTATR_CTL_OPTIMIZE = 0x7FFF0000, 7, 8
CAPSET_NR = {"x86_64": 126, "aarch64": 91}
LANDLOCK_CREATE, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT = 444, 445, 446
# Landlock access rights (include/uapi/linux/landlock.h), by the ABI version that introduced them.
LL_EXECUTE, LL_WRITE_FILE, LL_READ_FILE, LL_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
LL_FILE_RIGHTS = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | (1 << 14) | (1 << 15)  # + truncate, ioctl_dev
LL_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
LL_NET_TCP = 0b11  # bind, connect (ABI 4)
LL_SCOPES = 0b11  # abstract unix sockets, signals (ABI 6)

DENIED_SYSCALLS = (
    # other processes: create, run, trace, signal
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal",
    "pidfd_getfd", "setpriority", "ioprio_set", "sched_setscheduler", "sched_setparam", "sched_setattr",
    "migrate_pages", "move_pages",
    # network (socketpair stays: an anonymous pair reaches nobody)
    "socket",
    # namespaces, mounts, identity
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid", "capset",
    # the kernel and the machine
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "iopl", "ioperm", "modify_ldt", "personality", "lookup_dcookie", "open_by_handle_at",
    "name_to_handle_at", "uselib", "ustat", "sysfs", "vhangup", "fanotify_init", "nfsservctl",
)
"""Refused with EPERM, so Python raises PermissionError; clone is refused unless it makes a thread."""

LAYERS = (
    "process_group", "resource_limits", "private_workdir", "clean_environment", "closed_fds", "uid_drop",
    "capabilities_dropped", "no_new_privs", "network_namespace", "readonly_filesystem", "hidden_processes",
    "landlock", "seccomp",
)
CALL_STATUSES = ("ok", "error", "timeout")
WARM_PROGRAMS = 2048
"""Programs a batch child runs (in however many batches) before the server forks a fresh one."""
PIPE_BYTES, F_SETPIPE_SZ = 1 << 20, 1031
PEEK_MS = 10
"""How often (ms) the server reads a running child's pipe while it waits for the child's exit."""
WARM_CPU_SECONDS = 600
"""A batch child's hard RLIMIT_CPU; its batches' CPU budgets (each as one program's) add up to no more."""
ENV_KEEP = ("PATH", "LANG", "PYTHONHASHSEED", "HOME", "TMPDIR")

libc = ctypes.CDLL(None, use_errno=True)
# Fixed prototypes, resolved here: a child that creates fewer objects copies fewer pages.
_prctl = libc["prctl"]
_prctl.argtypes, _prctl.restype = (ctypes.c_int,) + (ctypes.c_ulong,) * 4, ctypes.c_int
_syscall = libc["syscall"]
_syscall.argtypes, _syscall.restype = (ctypes.c_long,) * 5, ctypes.c_long
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# fork(2) itself, GIL held (PyDLL): it skips CPython's after-fork hooks (threading's and random's
# cost ~180 copied pages, ~0.5 ms a program here), which only matter with other threads, and the
# server has none (checked before each use). The child reseeds random itself.
_libc_fork = ctypes.PyDLL(None, use_errno=True)["fork"]
_libc_fork.argtypes, _libc_fork.restype = (), ctypes.c_int


def _fork() -> int:
    if _thread._count():
        return os.fork()
    pid = _libc_fork()
    if pid < 0:
        raise OSError(ctypes.get_errno(), "fork failed")
    return pid


def _reachable(path: str, uid: int, gid: int) -> bool:
    """Whether ``uid`` (in group ``gid`` only) may list ``path`` and search every directory above it."""
    path = os.path.realpath(path)
    need = os.R_OK | os.X_OK
    while True:
        info = os.stat(path)
        shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
        if (info.st_mode >> shift) & need != need:
            return False
        if path == "/":
            return True
        path, need = os.path.dirname(path), os.X_OK


def _c(result: int) -> int:
    """Raise OSError for a failed libc call."""
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _reason(exc: BaseException) -> str:
    return f"{exc.strerror or exc}" if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- set up once, in the server


def _enter_namespaces(setup: dict, disk_mb: int, disabled: bool) -> tuple[str, str | None]:
    """Unshare network and mount namespaces; return (where work dirs go, a host dir to remove or None)."""
    root = os.geteuid() == 0
    flags = CLONE_NEWNS | CLONE_NEWNET
    try:
        if disabled:
            raise OSError(0, "disabled")
        if root:
            _c(libc.unshare(flags))
        else:
            uid, gid = os.getuid(), os.getgid()
            _c(libc.unshare(flags | CLONE_NEWUSER))  # unprivileged: our own user namespace first
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
    except OSError as exc:
        reason = "disabled" if disabled else f"unshare refused: {_reason(exc)}"
        setup["network_namespace"] = setup["readonly_filesystem"] = setup["hidden_processes"] = reason
        return _host_workroot()
    setup["network_namespace"] = True
    try:
        mount = libc.mount
        mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        _c(mount(None, b"/", None, MS_REC | MS_PRIVATE, None))  # nothing we do here reaches the host
        options = f"size={disk_mb}m,nr_inodes=4096,mode=0755".encode()
        _c(mount(b"sandbox", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options))
    except OSError as exc:
        setup["readonly_filesystem"] = setup["hidden_processes"] = f"mount refused: {_reason(exc)}"
        return _host_workroot()
    failed = []
    for point, options in _mounts():
        if point == "/tmp" or "ro" in options.split(","):
            continue
        try:
            kept = os.statvfs(point).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)
            _c(mount(None, point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, None))
        except OSError:
            failed.append(point)
    setup["readonly_filesystem"] = True if not failed else "could not make read-only: " + ", ".join(failed[:5])
    # A /proc of our own, where a program sees its own processes only (no other command lines).
    setup["hidden_processes"] = "proc mount refused"
    for options in (b"hidepid=invisible,subset=pid", b"hidepid=2"):
        if mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, options) == 0:
            setup["hidden_processes"] = True
            break
        setup["hidden_processes"] = f"proc mount refused: {os.strerror(ctypes.get_errno())}"
    return "/tmp", None


def _mounts() -> list[tuple[str, str]]:
    """(mount point, per-mount options) from /proc/self/mountinfo."""
    with open("/proc/self/mountinfo") as f:
        visible = {_unescape(line.split()[4]): line.split()[5] for line in f}  # the last of a stack is on top
    return list(visible.items())


def _unescape(path: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]


def _compile_seccomp() -> tuple[bytes, int]:
    """The deny-list as a BPF program, built by libseccomp once so that a child only loads it, and
    the number of the seccomp syscall."""
    lib = None
    for name in ("libseccomp.so.2", "libseccomp.so"):
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        raise OSError("libseccomp not found")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    eperm, enosys = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        # A binary tree of syscall numbers, not a list: the kernel checks the filter once per syscall
        # number when a child loads it (its action cache), ~70 us less per child. Older libseccomp
        # lacks the attribute and keeps the list, the same rules.
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        def deny(name: str, action: int, *cmps: _ArgCmp) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                return  # not a syscall on this architecture
            array = (_ArgCmp * max(1, len(cmps)))(*cmps)
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
            if rc < 0:
                raise OSError(-rc, f"seccomp rule for {name}: {os.strerror(-rc)}")

        for name in DENIED_SYSCALLS:
            deny(name, eperm)
        deny("clone", eperm, _ArgCmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0))  # a process, not a thread
        deny("clone3", enosys)  # its flags are out of the filter's reach; glibc then falls back to clone
        r, w = os.pipe()
        try:
            rc = lib.seccomp_export_bpf(ctx, w)
            os.close(w)
            w = -1
            if rc < 0:
                raise OSError(-rc, f"seccomp_export_bpf: {os.strerror(-rc)}")
            chunks = []
            while chunk := os.read(r, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
        return b"".join(chunks), lib.seccomp_syscall_resolve_name(b"seccomp")
    finally:
        lib.seccomp_release(ctx)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


def _landlock_abi() -> int:
    abi = _syscall(LANDLOCK_CREATE, 0, 0, 1, 0)
    if abi < 0:
        code = ctypes.get_errno()
        raise OSError(code, "kernel has no Landlock" if code in (errno.ENOSYS, errno.EOPNOTSUPP) else os.strerror(code))
    return abi


def _landlock_rules() -> list[_PathBeneath]:
    """Where a child may read (the standard library, shared libraries, time zones, a few devices),
    as Landlock rules opened once, here, with the server's rights."""
    read = LL_READ_FILE | LL_READ_DIR
    paths = dict.fromkeys([p for p in sys.path if p] + [
        "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib", "/usr/share/zoneinfo", "/etc/localtime",
        "/etc/ld.so.cache", "/dev/zero", "/dev/urandom", "/dev/random"], read)
    paths["/dev/null"] = read | LL_WRITE_FILE
    rules, seen = [], set()
    for path, access in paths.items():
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) in seen:  # /lib is /usr/lib on merged-/usr systems
            os.close(fd)
            continue
        seen.add((info.st_dev, info.st_ino))
        rules.append(_PathBeneath(access if stat.S_ISDIR(info.st_mode) else access & LL_FILE_RIGHTS, fd))
    return rules


# ---------------------------------------------------------------- the server


def _host_workroot() -> tuple[str, str]:
    """Without a mount namespace, work dirs go in a directory of ours under the host's temp dir.

    ``tempfile`` is imported here only: it imports ``shutil``, and ``shutil`` imports ``zlib``, ``bz2``
    and ``lzma`` with their shared libraries: 26 more memory mappings, which every fork copies and
    every child's exit unmaps. Without them a check costs about 6% less CPU (CRUXEval's), 10% less
    for a trivial one (medians of runs side by side)."""
    import tempfile

    base = tempfile.mkdtemp(prefix="codegen-sandbox-")
    os.chmod(base, 0o711)
    return base, base


class Server:
    """Forks one confined child per program; whatever a child needs is prepared here, once."""

    def __init__(self, config: dict):
        self.config = config
        if config.get("cpu") is not None:
            try:
                os.sched_setaffinity(0, {int(config["cpu"])})  # children inherit it
            except (OSError, ValueError):
                pass  # not a CPU we may use: the scheduler places us
        self.output_limit = int(config["output_limit"])
        disabled = set(config.get("disable", ()))
        self.root = os.geteuid() == 0 and "uid_drop" not in disabled  # and so drops to uid, gid
        self.uid, self.gid = int(config["uid"]), int(config["gid"])
        self.netns_host = os.readlink("/proc/self/ns/net")
        uid_drop = True if self.root else "disabled" if "uid_drop" in disabled else f"not root (uid {os.geteuid()})"
        self.setup: dict[str, bool | str] = {"uid_drop": uid_drop}
        workroot, self.cleanup = _enter_namespaces(self.setup, int(config["disk_mb"]), "namespaces" in disabled)
        self.workdir = os.path.join(workroot, "work")
        self.devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        self.imports_on_demand, self.import_dirs = self._import_dirs()
        self.dying: int | None = None
        self.warm: _Running | None = None  # a batch child waiting for its next batch
        # A child's stdin, stdout and stderr, made here (fewer pages for each child to copy).
        self.capture = _Capture(self.output_limit)
        stdout = io.TextIOWrapper(self.capture, encoding="utf-8", errors="strict", newline="\n", write_through=True)
        self.stdio = (stdout, _Discard(), io.StringIO(""))
        # A child's result line holds at most its stdout and one repr, each within the limit; JSON
        # escapes can grow a character to 6 bytes (12 for astral characters outside repr).
        self.line_limit = 24 * self.output_limit + 4096

        # What every child inherits as is: its environment, signal dispositions, limits.
        os.environ.clear()
        os.environ.update(PATH="/usr/bin:/bin", LANG="C.UTF-8", PYTHONHASHSEED=str(config["hash_seed"]),
                          HOME=self.workdir, TMPDIR=self.workdir)
        if "tempfile" in sys.modules:  # it saw the host's temp dir (see _host_workroot); a child's is TMPDIR
            sys.modules["tempfile"].tempdir = self.workdir
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError(EFBIG) instead
        self.limits = [
            (resource.RLIMIT_AS, (config["memory_mb"] << 20,) * 2),
            (resource.RLIMIT_FSIZE, (config["file_size_mb"] << 20,) * 2),
            (resource.RLIMIT_NOFILE, (32, 32)),
            (resource.RLIMIT_NPROC, (config["max_processes"],) * 2),
            (resource.RLIMIT_CORE, (0, 0)),
        ]
        self.capset = None
        if os.uname().machine in CAPSET_NR:
            self._capset = ((ctypes.c_uint32 * 2)(0x20080522, 0), (ctypes.c_uint32 * 6)())
            self.capset = (CAPSET_NR[os.uname().machine], *map(ctypes.addressof, self._capset))

        self.seccomp_nr = -1
        try:
            if "seccomp" in disabled:
                raise OSError(0, "disabled")
            bpf, self.seccomp_nr = _compile_seccomp()
            self._bpf = ctypes.create_string_buffer(bpf, len(bpf))
            self._fprog = _SockFprog(len(bpf) // 8, ctypes.addressof(self._bpf))
            self.seccomp = ctypes.addressof(self._fprog)
            self.setup["seccomp"] = True
        except (OSError, AttributeError) as exc:
            self.seccomp = 0
            self.setup["seccomp"] = _reason(exc)

        try:
            if "landlock" in disabled:
                raise OSError(0, "disabled")
            self.landlock_abi = _landlock_abi()
            self.setup["landlock"] = True
        except OSError as exc:
            self.landlock_abi = 0
            self.setup["landlock"] = _reason(exc)
        if self.landlock_abi:
            abi = self.landlock_abi
            fs = LL_FS_BY_ABI[max(v for v in LL_FS_BY_ABI if v <= abi)]
            self._ruleset_attr = _RulesetAttr(fs, LL_NET_TCP if abi >= 4 else 0, LL_SCOPES if abi >= 6 else 0)
            self.ruleset = (ctypes.addressof(self._ruleset_attr), 8 if abi < 4 else 16 if abi < 6 else 24)
            self._rules = _landlock_rules()
            for rule in self._rules:
                rule.allowed &= fs
            self.workdir_rule = _PathBeneath(fs & ~LL_EXECUTE, -1)  # its fd: the work dir of the moment
            self.proc_rule = _PathBeneath(LL_READ_FILE | LL_READ_DIR, -1)  # probes only
            self.rules = [ctypes.addressof(rule) for rule in (*self._rules, self.workdir_rule)]

    def _import_dirs(self) -> tuple[bool, dict[str, int]]:
        """Whether a child can import modules on demand, and the directories of ``sys.path`` it
        reaches through a descriptor of ours (by number), where its uid alone could not.

        A directory the child's uid could not reach (a standard library under /root, mode 700) is
        opened here, as root, and both server and child reach it as ``/proc/self/fd/N`` (see
        :meth:`reroute_imports`): a process may follow its own descriptors, past ancestors it could
        not search. It reads only what it could read there (Landlock lists these directories too).
        Without a ``/proc`` to do so, every module is preloaded instead.
        """
        if not self.root:
            return True, {}  # the child keeps our uid: it reaches what we do
        dirs: dict[str, int] = {}
        try:
            for entry in sys.path:
                if (not entry or not os.path.isdir(entry) or _reachable(entry, self.uid, self.gid)
                        or any(entry.startswith(d + os.sep) for d in dirs)):  # lib-dynload: within the stdlib
                    continue
                opened = os.open(entry, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                dirs[entry] = os.dup2(opened, IMPORT_FD + len(dirs), inheritable=False)
                os.close(opened)
                if not os.path.isdir(f"/proc/self/fd/{dirs[entry]}"):
                    raise OSError(errno.ENOENT, "no /proc/self/fd")
        except OSError:
            for fd in dirs.values():
                os.close(fd)
            return False, {}
        return True, dirs

    def reroute_imports(self) -> None:
        """Point ``sys.path`` and the loaded packages' paths at the import descriptors (after the
        preload, before any fork), so that a child imports what it could not reach by name."""
        if not self.import_dirs:
            return

        def new(path: str) -> str:
            for old, fd in self.import_dirs.items():
                if path == old or path.startswith(old + os.sep):
                    return f"/proc/self/fd/{fd}{path[len(old):]}"
            return path

        sys.path[:] = map(new, sys.path)
        for module in list(sys.modules.values()):
            path = getattr(module, "__path__", None)
            if isinstance(path, list):  # a package: where its submodules are found (encodings' codecs)
                path[:] = map(new, path)

    # -- requests

    def serve(self, requests, reply) -> None:
        reply({"k": "ready", "setup": self.setup, "cleanup": self.cleanup, "pid": os.getpid()})
        for line in requests:
            request = json.loads(line)
            op = request.get("op")
            if op == "run":
                reply(self.run(request))
            elif op == "runs":  # each in a child of its own, answered as it ends
                for program in request["programs"]:
                    reply(self.run(program))
            elif op == "batch":
                reply(self.batch(request))
            elif op == "probe":
                reply(self.probe())
            elif op == "exit":
                return

    def run(self, request: dict) -> dict:
        n = len(request["inputs"]) if request["mode"] == "call" else 0
        outcome = self._fork(request, [(n, float(request["timeout"]))])[0]
        del outcome["failed"]  # the server's own bookkeeping
        outcome["k"] = "result"
        return outcome

    def batch(self, request: dict) -> dict:
        """Trusted programs in one child, one after another; the verdicts of those it finished.

        The child stops at the first program that ends it (deadline, signal, output limit, early
        exit, or something left behind for the next program): that program's verdict and the rest
        are left out, for the client to run them alone. A child that finished its batch waits for
        the next one (its pages already copied, it runs the next batch without a fork), until it
        has run ``WARM_PROGRAMS`` programs or the server forks another child.
        """
        programs = request["programs"]
        if not programs:
            return {"k": "batch", "results": []}
        parts = [(len(p["inputs"]), float(p["timeout"])) for p in programs]
        cpu = math.ceil(sum(t for _, t in parts)) + 1  # this batch's CPU seconds, as a single program's
        warm = self.warm
        if warm is not None and warm.cpu_left < cpu:
            self._retire()
            warm = None
        if warm is None:
            warm = self.warm = self._start({"mode": "batch", "timeout": WARM_CPU_SECONDS - 1}, batch=True)
        warm.programs += len(programs)
        warm.cpu_left -= cpu
        started = time.monotonic()
        line = _encode({"programs": programs}).encode("utf-8", "surrogatepass") + b"\n"
        try:
            _write_all(warm.requests, line)
        except OSError:
            pass  # it is gone: its first program's verdict says how
        verdicts = self._judge(warm, parts, started, "batch", keep=True)
        failed = verdicts[-1]["failed"]
        for verdict in verdicts:
            del verdict["failed"]
        if failed:
            self.warm = None  # _judge finished it
            verdicts.pop()
        elif warm.programs >= WARM_PROGRAMS:
            self._retire()
        return {"k": "batch", "results": verdicts}

    def probe(self) -> dict:
        import socket  # noqa: F401  the probe's child connects, whatever this server preloaded

        request = {"mode": "probe", "timeout": 10.0}
        outcome = self._fork(request, [(0, 10.0)])[0]
        found = outcome.pop("probe", None) or {}
        layers: dict[str, bool | str] = {}
        for layer in LAYERS:
            planned = self.setup.get(layer, True)
            seen = found.get(layer, f"probe failed: {outcome.get('error')}")
            layers[layer] = seen if planned is True else planned
        for check in ("blocks_network", "blocks_processes", "blocks_outside_writes"):
            layers[check] = found.get(check, f"probe failed: {outcome.get('error')}")
        return {"k": "probe", "layers": layers}

    # -- one program

    def _retire(self) -> None:
        """Kill the waiting batch child (before another fork: it shares the work dir)."""
        if self.warm is not None:
            self.warm.close()
            _kill(self.warm.pid)
            self._reap()
            self.dying, self.warm = self.warm.pid, None

    def _reap(self) -> None:
        if self.dying is not None:  # the previous child, killed after its verdict: reap it now
            os.waitpid(self.dying, 0)
            self.dying = None

    def _fresh_workdir(self) -> None:
        self._reap()
        remove_tree(self.workdir)
        if os.path.lexists(self.workdir):  # not as root: the program chmod-ed a subdirectory to 000
            os.rename(self.workdir, f"{self.workdir}.stale-{time.monotonic_ns()}")
        os.mkdir(self.workdir, 0o700)
        if self.root:
            os.chown(self.workdir, self.uid, self.gid)
        if self.landlock_abi:
            self.workdir_rule.fd = os.open(self.workdir, os.O_PATH | os.O_CLOEXEC)

    def _fork(self, request: dict, parts: list[tuple[int, float]]) -> list[dict]:
        """Fork one child for ``request`` and judge its programs (see :meth:`_judge`); it ends with them."""
        self._retire()
        started = time.monotonic()
        child = self._start(request, batch=False)
        return self._judge(child, parts, started, request["mode"], keep=False)

    def _start(self, request: dict, *, batch: bool) -> _Running:
        """Fork a confined child in a fresh work dir; a batch child reads its batches on fd 4."""
        self._fresh_workdir()
        r, w = os.pipe2(os.O_CLOEXEC)
        try:
            fcntl.fcntl(w, F_SETPIPE_SZ, PIPE_BYTES)  # a result this long never waits for a peek
        except OSError:
            pass  # over this user's pipe allowance: 64 KiB, read at each peek
        requests_r, requests_w = os.pipe2(os.O_CLOEXEC) if batch else (-1, -1)
        pid = _fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(r)
                if batch:
                    os.close(requests_w)
                Child(self, request, w, requests_r).main()
            finally:
                os._exit(70)
        os.close(w)
        if batch:
            os.close(requests_r)
        if self.landlock_abi:
            os.close(self.workdir_rule.fd)
        return _Running(pid, r, requests_w)

    def _judge(self, child: _Running, parts: list[tuple[int, float]], started: float, mode: str, *,
               keep: bool) -> list[dict]:
        """Judge ``child``'s programs in turn, each ``(inputs, seconds)`` of ``parts`` with its own
        deadline from the end of the one before: the verdicts up to the first program that did not
        finish cleanly, which is last and has ``failed`` set, and after which the child is finished
        (so it is too after the last, unless ``keep``)."""
        verdicts: list[dict] = []
        reader = None
        timed_out, wait_status = False, 0
        try:
            for n_inputs, seconds in parts:
                reader = _Reader(n_inputs, self.output_limit, self.line_limit, mode)
                reader.feed(child.leftover)
                child.leftover = b""
                timed_out = True
                timed_out = child.watch.until_finished(reader, started + seconds, patient=not keep)
                if timed_out or reader.ending != "end":
                    break
                verdict = reader.verdict(False, 0)
                verdict["failed"] = False
                verdicts.append(verdict)
                child.leftover, reader = bytes(reader.buffer), None
                started = time.monotonic()
        finally:
            if reader is not None or not keep:
                child.close()
                if timed_out or reader is None or reader.finished:
                    # The verdict needs no exit status: kill, answer, and reap before the next fork,
                    # so that tearing down the child's memory overlaps the answer's round trip.
                    _kill(child.pid)
                    self.dying = child.pid
                else:  # it ended by itself, and its status says how
                    wait_status = os.waitpid(child.pid, 0)[1]
        if reader is not None:
            verdict = reader.verdict(timed_out, wait_status)
            verdict["failed"] = True
            verdicts.append(verdict)
        return verdicts


class _Running:
    """The server's handle on a running child: its pipes, its watch, and what it may still use."""

    def __init__(self, pid: int, results: int, requests: int):
        self.pid = pid
        self.requests = requests  # where a batch child reads its next batch, else -1
        self.watch = _Watch(pid, results)
        self.leftover = b""  # what it sent past the end of the last program judged
        self.programs = 0  # programs sent to it
        self.cpu_left = WARM_CPU_SECONDS  # what its batches may still use (its hard RLIMIT_CPU)

    def close(self) -> None:
        self.watch.close()
        if self.requests >= 0:
            os.close(self.requests)
            self.requests = -1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Watch:
    """The server's view of one child: its result pipe and, where the kernel has them, a pidfd."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None  # before Linux 5.3: peek with waitid instead
        self.poller = select.poll()
        self.poller.register(fd, select.POLLIN)
        if self.pidfd is not None:
            self.poller.register(self.pidfd, select.POLLIN)
        self.eof = False

    def until_finished(self, reader: _Reader, deadline: float, *, patient: bool = False) -> bool:
        """Read the child's lines until ``reader`` finishes or the child exits; True when it missed the deadline.

        ``patient``: the child ends with this program, so sleep until it exits and read its lines
        then, not as they come: while it lives, each page we write here is one it still shares, and
        the kernel copies it (a third of the server's time per program, read line by line). Its
        pipe is read every ``PEEK_MS`` meanwhile (a long result must not block it), and at the
        deadline, so the verdict is the same.
        """
        if patient and self.pidfd is not None:
            return self._until_exit(reader, deadline)
        fd, pid = self.fd, self.pid
        while not reader.finished:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            wait = math.ceil(remaining * 1000)
            exited = False
            for ready, _ in self.poller.poll(min(wait, 5) if self.eof and self.pidfd is None else wait):
                if ready != fd:
                    exited = True
                elif data := os.read(fd, 1 << 16):
                    reader.feed(data)
                elif not self.eof:
                    self.eof = True
                    self.poller.unregister(fd)
            if self.pidfd is None and self.eof:
                exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            if exited:
                if not self.eof:
                    _drain(fd, reader)
                return False
        return False

    def _until_exit(self, reader: _Reader, deadline: float) -> bool:
        exit_only = select.poll()
        exit_only.register(self.pidfd, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _drain(self.fd, reader)  # what it said before the deadline
                return not reader.finished
            exited = exit_only.poll(min(math.ceil(remaining * 1000), PEEK_MS))
            _drain(self.fd, reader)
            if exited or reader.finished:
                return False

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
        os.close(self.fd)


def _drain(fd: int, reader: _Reader) -> None:
    """What the child's pipe holds now (all it said, once it has exited)."""
    os.set_blocking(fd, False)
    try:
        while not reader.finished and (data := os.read(fd, 1 << 16)):
            reader.feed(data)
    except BlockingIOError:
        pass


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def remove_tree(path: str) -> None:
    """Remove ``path`` and what a program left in it, however deep, leaving what cannot be removed.

    Not ``shutil.rmtree``: it recurses once per level, and a program that nests a few thousand
    directories made it raise RecursionError here, killing the server. This walks with one open
    directory at a time (descending by name, climbing by ``..``), never follows a symlink, and runs
    only once the program is dead, so nothing moves the tree under it. The client uses it too.
    """
    try:
        os.rmdir(path)  # the common case: the program wrote nothing
        return
    except FileNotFoundError:
        return
    except OSError:
        pass
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    entered: list[str] = []  # the directories we stand in, below path
    try:
        todo = [_clear_dir(fd)]  # per level: its subdirectories still to empty
        while True:
            if todo[-1]:
                name = todo[-1].pop()
                try:
                    inner = os.open(name, flags, dir_fd=fd)
                except OSError:
                    continue  # not a directory after all, or unreadable: left in place
                os.close(fd)
                fd = inner
                entered.append(name)
                todo.append(_clear_dir(fd))
                continue
            todo.pop()
            if not entered:
                break
            outer = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = outer
            try:
                os.rmdir(entered.pop(), dir_fd=fd)
            except OSError:
                pass
    except OSError:
        pass
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _clear_dir(fd: int) -> list[str]:
    """Unlink every non-directory in the open directory ``fd``; return its subdirectories' names."""
    subdirectories = []
    with os.scandir(fd) as entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirectories.append(entry.name)
                else:
                    os.unlink(entry.name, dir_fd=fd)
            except OSError:
                pass
    return subdirectories


class _Reader:
    """A child's lines (untrusted: bounded, validated, re-encoded) and the verdict they support."""

    def __init__(self, n_inputs: int, output_limit: int, line_limit: int, mode: str):
        self.n = n_inputs
        self.output_limit = output_limit
        self.line_limit = line_limit
        self.mode = mode
        self.buffer = bytearray()
        self.load: dict | None = None
        self.calls: list[dict] = []
        self.probe: dict | None = None
        self.ending: str | None = None  # "end", "limit", "setup_failed", "malformed" or "probe"
        self.detail: str | None = None
        self.overflow_stdout = ""

    @property
    def finished(self) -> bool:
        return self.ending is not None

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while not self.finished:
            cut = self.buffer.find(b"\n")
            if cut < 0 and len(self.buffer) <= self.line_limit:
                return
            if cut < 0 or cut > self.line_limit:
                self._finish("limit", "a result line over the size limit")
                return
            line = bytes(self.buffer[:cut])
            del self.buffer[: cut + 1]
            try:
                self._take(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:  # deep nesting
                self._finish("malformed", f"malformed result from the program ({type(exc).__name__})")

    def _finish(self, ending: str, detail: str | None = None) -> None:
        self.ending, self.detail = ending, detail

    def _text(self, value, limit: int) -> str:
        if not isinstance(value, str):
            raise TypeError("not a string")
        return value[:limit]

    def _optional(self, value, limit: int) -> str | None:
        return None if value is None else self._text(value, limit)

    def _take(self, message: dict) -> None:
        kind = message["k"]
        if kind == "setup_failed" and self.load is None:
            self._finish("setup_failed", "sandbox setup failed: " + self._text(message["detail"], 500))
        elif kind == "probe" and self.mode == "probe":
            self.probe = {str(k): v for k, v in message["layers"].items() if isinstance(v, (bool, str))}
            self._finish("probe")
        elif kind == "load" and self.load is None and self.mode != "probe":
            self.load = {
                "ok": message["ok"] is True,
                "stdout": self._text(message["stdout"], self.output_limit),
                "exception": self._optional(message.get("exception"), 200),
                "message": self._optional(message.get("message"), 500),
            }
            if not self.load["ok"]:
                self._finish("end")
        elif kind == "call" and self.load is not None and len(self.calls) < self.n:
            status = message["status"]
            if status not in CALL_STATUSES:
                raise ValueError(status)
            self.calls.append({
                "status": status,
                "output": self._text(message["output"], self.output_limit) if status == "ok" else None,
                "exception": self._text(message["exception"], 200) if status == "error" else None,
                "stdout": self._text(message["stdout"], self.output_limit),
            })
        elif kind == "end" and self.load is not None and len(self.calls) == self.n:
            self._finish("end")
        elif kind == "limit" and self.mode != "probe":
            self.overflow_stdout = self._text(message["stdout"], self.output_limit)
            self._finish("limit", "output over the limit")
        else:
            raise ValueError(f"unexpected {kind!r}")

    def verdict(self, timed_out: bool, wait_status: int) -> dict:
        """The program's status; calls it did not finish take that status, so nothing is ``ok`` by default."""
        out = {"status": "ok", "error": None, "stdout": self.load["stdout"] if self.load else "", "calls": self.calls}
        if timed_out:
            out["status"], out["error"] = "timeout", "wall-clock deadline exceeded"
        elif self.ending == "limit":
            out["status"], out["error"] = "output_limit", self.detail
            if self.load is None:
                out["stdout"] = self.overflow_stdout
            elif len(self.calls) < self.n:
                self.calls.append({"status": "output_limit", "output": None, "exception": None, "stdout": self.overflow_stdout})
        elif self.ending in ("setup_failed", "malformed"):
            out["status"], out["error"] = "error", self.detail
        elif self.ending == "end" and self.load is not None and not self.load["ok"]:
            out["status"], out["exception"] = "error", self.load["exception"]
            out["error"] = f"{self.load['exception']}: {self.load['message']}"[:500]
        elif self.ending == "probe":
            out["probe"] = self.probe
        elif self.ending != "end":  # gone before finishing, by itself (we kill only after the above)
            if os.WIFSIGNALED(wait_status):
                out["status"], out["error"] = "killed", f"killed by {_signal_name(os.WTERMSIG(wait_status))}"
            else:
                code = os.waitstatus_to_exitcode(wait_status)
                out["status"], out["error"] = "error", f"exited with code {code} before finishing"
        missing = self.n - len(self.calls)
        out["calls"] = self.calls + [{"status": out["status"], "output": None, "exception": None, "stdout": ""}] * missing
        return out


def _signal_name(number: int) -> str:
    """``SIGSEGV``; a real-time signal other than SIGRTMIN and SIGRTMAX has no name in ``signal.Signals``."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# ---------------------------------------------------------------- the child


_held: list[bytes] | None = None
"""A batch child's lines of the program running, written at its end (a program that does not end
cleanly is run again alone, so its lines are not needed)."""


def _send(message: dict) -> None:
    """One line to the server, on fd 3 (the child's end of the result pipe)."""
    line = _encode(message).encode("utf-8", "backslashreplace") + b"\n"
    if _held is not None:
        _held.append(line)
    else:
        _write_all(3, line)


def _flush() -> None:
    """Write the lines held back (one write, one wake-up of the server)."""
    if _held:
        _write_all(3, b"".join(_held))
        _held.clear()


def _next_batch() -> list | None:
    """A batch child's next programs, one line on fd 4 (None when the server closed it), with the
    CPU limit they would have alone: what it used so far, and the batch's budget."""
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = os.read(4, 1 << 16)
        if not chunk:
            return None
        data += chunk
    programs = json.loads(data)["programs"]
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = math.ceil(time.process_time() + sum(float(p["timeout"]) for p in programs)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (min(soft, hard), hard))
    return programs


class NotPlainData(Exception):
    """A call's value holds something other than builtin data (``plain_outputs``): its ``repr``
    could pose as any literal."""


_PLAIN_TYPES = frozenset((int, float, complex, str, bytes, bool, type(None)))


def _plain(value):
    """``value``, when it is builtin data all the way down (exact types, cycles allowed); else raise."""
    stack, seen = [value], set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        t = type(v)
        if t is list or t is tuple or t is set or t is frozenset:
            stack.extend(v)
        elif t is dict:
            stack.extend(v.keys())
            stack.extend(v.values())
        elif t not in _PLAIN_TYPES:
            raise NotPlainData(t.__name__)
    return value


class _CallTimeout(BaseException):
    """Raised in a call past its own budget (``call_timeout``)."""


class _Capture(io.BufferedIOBase):
    """The child's stdout: bytes kept up to the limit; one byte more ends the program at once."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        n = memoryview(b).nbytes
        if self.used + n > self.limit:
            self.data += bytes(memoryview(b).cast("B")[: self.limit - self.used])
            self.used = self.limit
            _send({"k": "limit", "stdout": self.take()})
            os._exit(0)
        self.data += b
        self.used += n
        return n

    def take(self) -> str:
        text = self.data.decode("utf-8", "replace")
        self.data.clear()
        return text


class _Discard(io.TextIOBase):
    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        return len(s)


class Child:
    """Everything after fork in the child: confinement, then the program, then os._exit."""

    def __init__(self, server: Server, request: dict, result_fd: int, requests_fd: int = -1):
        self.server = server
        self.request = request
        self.fd = result_fd
        self.requests_fd = requests_fd  # a batch child's batches, one JSON line each

    def main(self) -> None:
        try:
            self.confine()
        except BaseException as exc:  # fail closed: a layer the server found working must work here too
            _send({"k": "setup_failed", "detail": f"{type(exc).__name__}: {exc}"})
            os._exit(71)
        mode = self.request["mode"]
        if mode == "probe":
            _send({"k": "probe", "layers": self.probe()})
        elif mode == "batch":
            global _held
            self.prepare()
            pristine = self.state()
            _held = []
            while (programs := _next_batch()) is not None:
                for program in programs:
                    self.execute(program, "call", last=False, trusted=True)  # at the depth of a single program's frames
                    _flush()
                    if not self.unchanged(pristine):  # it left something behind: the next program starts afresh
                        os._exit(0)
        else:
            self.prepare()
            self.execute(self.request, mode, last=True)
        os._exit(0)

    # -- confinement

    def confine(self) -> None:
        server = self.server
        os.setsid()
        _c(_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        if server.landlock_abi:
            self._landlock()  # before the uid drop, which would forbid opening /proc/self
        for target in (0, 1, 2):  # before fd 3, which may be devnull itself
            os.dup2(server.devnull, target)
        os.dup2(self.fd, 3)
        if self.requests_fd >= 0:
            os.dup2(self.requests_fd, 4)
        first = 5 if self.requests_fd >= 0 else 4
        os.closerange(first, IMPORT_FD)  # and above the import descriptors, which the child keeps
        os.closerange(IMPORT_FD + len(server.import_dirs), max(IMPORT_FD, resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
        os.chdir(server.workdir)
        cpu = math.ceil(self.request["timeout"]) + 1  # a batch child lowers its soft limit per batch
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        for which, value in server.limits:
            resource.setrlimit(which, value)
        if server.root:
            os.setgroups(())
            os.setresgid(server.gid, server.gid, server.gid)
            os.setresuid(server.uid, server.uid, server.uid)
        _c(_prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))  # after setuid, which clears it
        if os.getppid() != server_pid:
            os._exit(72)  # the server is already gone
        if server.capset:  # none are left after setuid; in a user namespace, this drops them
            _c(_syscall(*server.capset, 0, 0))
        # SPEC_ALLOW: no Speculative Store Bypass mitigation forced on the child (it slows all its code;
        # that leak stays within the child's own memory, which it can read anyway). Else plain prctl.
        spec_allow = SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, server.seccomp, 0
        if server.seccomp and (server.seccomp_nr < 0 or _syscall(server.seccomp_nr, *spec_allow) < 0):
            _c(_prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, server.seccomp, 0, 0))

    def _landlock(self) -> None:
        """Read only what the server listed; write only the work dir; no TCP; no signals out."""
        server = self.server
        ruleset = _c(_syscall(LANDLOCK_CREATE, *server.ruleset, 0, 0))
        try:
            for rule in server.rules:
                _c(_syscall(LANDLOCK_ADD_RULE, ruleset, 1, rule, 0))
            if self.request["mode"] == "probe":  # a probe reads /proc/self/status; programs need not
                server.proc_rule.fd = os.open("/proc/self", os.O_PATH | os.O_CLOEXEC)
                _c(_syscall(LANDLOCK_ADD_RULE, ruleset, 1, ctypes.addressof(server.proc_rule), 0))
            _c(_syscall(LANDLOCK_RESTRICT, ruleset, 0, 0, 0))
        finally:
            os.close(ruleset)

    # -- the program

    def prepare(self) -> None:
        """What every program of this child runs with: our stdio, no argv, the call-timeout handler."""
        sys.stdout, sys.stderr, sys.stdin = self.server.stdio
        sys.argv = [""]
        if self.server.config.get("call_timeout"):
            signal.signal(signal.SIGALRM, _raise_call_timeout)

    def state(self) -> tuple:
        """What one program of a batch could leave behind for the next (the batch stops if it changes);
        compare with :meth:`unchanged`."""
        return (builtins.__dict__.copy(), os.environ._data.copy(), self._settings())  # type: ignore[attr-defined]

    def unchanged(self, state: tuple) -> bool:
        names, environ, settings = state
        return builtins.__dict__ == names and os.environ._data == environ and self._settings() == settings  # type: ignore[attr-defined]

    def _settings(self) -> tuple:
        return (sys.getrecursionlimit(), _thread._count(), os.listdir(self.server.workdir), os.getcwd(),
                signal.getsignal(signal.SIGALRM), sys.stdout, sys.stderr, sys.stdin)

    def execute(self, request: dict, mode: str, *, last: bool, trusted: bool = False) -> None:
        """Load one program and make its calls; ``last``: nothing runs after it in this child.

        Compiled as ``python`` compiles a script (no ``__future__`` flag of this module, asserts
        kept), or, for a ``trusted`` (batched, generated) program, loaded from the code objects the
        client compiled from the same sources, the program's and each call's (``compiled``: marshal,
        base64), so a program run under two hash seeds is compiled once (see ``client._bytecode``).
        Its calls were then compiled before it ran, so a program that changes how later code compiles
        (warnings as errors, a lower recursion limit) does not reach its own calls: generated
        programs do neither."""
        config, server = self.server.config, self.server
        limit = server.output_limit
        capture = server.capture
        capture.used = 0
        random.seed(int(config["hash_seed"]))
        snippet = mode == "snippet"
        name = "__main__" if snippet else "__sandbox__"
        module = types.ModuleType(name)
        module.__builtins__ = builtins
        sys.modules[name] = module
        compiled = request.get("compiled") if trusted else None
        try:
            code, calls = marshal.loads(binascii.a2b_base64(compiled)) if compiled else \
                (compile(request["code"], "<program>", "exec", dont_inherit=True, optimize=0), None)
            exec(code, module.__dict__)
        except BaseException as exc:
            _send({"k": "load", "ok": False, "stdout": capture.take(), "exception": _type_name(exc), "message": _message(exc)})
            if last:
                os._exit(0)
            return
        _send({"k": "load", "ok": True, "stdout": capture.take()})
        if snippet:
            _send({"k": "end"})
            return
        call_timeout = config.get("call_timeout")
        plain = config.get("plain_outputs")
        entry = request["entry"]
        k = -1  # counted by hand: the program may have replaced builtins such as enumerate
        for source in request["inputs"]:
            k += 1
            message = {"k": "call", "status": "ok", "output": None, "exception": None}
            try:
                if call_timeout:
                    signal.setitimer(signal.ITIMER_REAL, call_timeout)
                try:
                    expression = calls[k] if calls else call_code(entry, source)
                    value = eval(expression, module.__dict__)
                    output = repr(_plain(value) if plain else value)
                finally:
                    if call_timeout:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except _CallTimeout:
                message["status"] = "timeout"
            except BaseException as exc:
                message["status"], message["exception"] = "error", _type_name(exc)
            else:
                if len(output) > limit:
                    _send({"k": "limit", "stdout": capture.take()})
                    os._exit(0)
                message["output"] = output
            message["stdout"] = capture.take()
            _send(message)
        _send({"k": "end"})

    # -- what is in force, seen from inside

    def probe(self) -> dict[str, bool | str]:
        server = self.server
        status = {}
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                status[key] = value.strip()

        def check(ok: bool, why: str) -> bool | str:
            return True if ok else why

        fds = [fd for fd in range(4, IMPORT_FD + 64) if fd not in server.import_dirs.values() and _is_open(fd)]
        found: dict[str, bool | str] = {
            "process_group": check(os.getsid(0) == os.getpid() == os.getpgid(0), "not a session leader"),
            "resource_limits": check(resource.getrlimit(resource.RLIMIT_AS)[0] == server.config["memory_mb"] << 20, "RLIMIT_AS not set"),
            "private_workdir": check(os.getcwd() == server.workdir and _writes("probe"), "cannot write the work dir"),
            "clean_environment": check(set(os.environ) <= set(ENV_KEEP), "extra variables"),
            "closed_fds": check(not fds, f"open fds {fds}"),
            "uid_drop": check(os.getuid() != 0, "still root"),
            "capabilities_dropped": check(status.get("CapEff", "").strip("0") == "", f"CapEff {status.get('CapEff')}"),
            "no_new_privs": check(status.get("NoNewPrivs") == "1", "NoNewPrivs not set"),
            "network_namespace": check(os.readlink("/proc/self/ns/net") != server.netns_host, "in the host's network namespace"),
            "seccomp": check(status.get("Seccomp") == "2", f"seccomp mode {status.get('Seccomp')}"),
        }
        writable = [point for point, options in _mounts() if point != "/tmp" and "ro" not in options.split(",")]
        found["readonly_filesystem"] = check(not writable, "writable mounts: " + ", ".join(writable[:5]))
        found["landlock"] = check(not _reads("/etc/passwd"), "could read /etc/passwd")
        found["hidden_processes"] = check(not os.path.exists("/proc/1"), "sees /proc/1")
        import socket

        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                s.connect(("127.0.0.1", 9))
            found["blocks_network"] = "connected to 127.0.0.1"
        except OSError as exc:  # refused means reached: only a missing route or a denial blocks
            blocked = exc.errno in (errno.EPERM, errno.EACCES, errno.ENETUNREACH, errno.EADDRNOTAVAIL)
            found["blocks_network"] = check(blocked, f"reached 127.0.0.1 ({exc.strerror})")
        try:
            if os.fork() == 0:
                os._exit(0)
            found["blocks_processes"] = "fork succeeded"
        except OSError:
            found["blocks_processes"] = True
        outside = os.path.join(os.path.dirname(server.workdir), "probe-outside")
        wrote = [p for p in (outside, "/var/tmp/codegen-probe", "/dev/shm/codegen-probe") if _writes(p)]
        found["blocks_outside_writes"] = check(not wrote, "wrote " + ", ".join(wrote))
        return found


server_pid = os.getpid()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _writes(path: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write("x")
    except OSError:
        return False
    os.unlink(path)
    return True


def _reads(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError:
        return False
    return True


def call_code(entry: str, source: str):
    """A call of the program (``source``: the Python source of its arguments), compiled; the client
    compiles a batched program's calls with this same function (``client._bytecode``)."""
    return compile(f"({entry})({source}\n)", "<input>", "eval", dont_inherit=True, optimize=0)


def _raise_call_timeout(_signum, _frame):
    raise _CallTimeout()


def _type_name(exc: BaseException) -> str:
    try:
        return str(type.__dict__["__name__"].__get__(type(exc)))[:200]
    except BaseException:
        return "<unknown>"


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:500]
    except BaseException:
        return ""


def _preload(names: list[str] | None, on_demand: bool) -> None:
    """Import the modules children start with: ``names``, or (None) COMMON, or PRELOAD and every text
    codec where a child cannot import the rest ``on_demand``."""
    if names is None and on_demand:
        names = list(COMMON)
    if names is None:  # every codec too: a program running as nobody may not be able to read them later
        import encodings
        import pkgutil

        names = [*PRELOAD, *("encodings." + m.name for m in pkgutil.iter_modules(encodings.__path__))]
    for name in names:
        try:
            __import__(name)
        except Exception:
            pass


def main() -> None:
    sys.dont_write_bytecode = True
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]  # the standard library only
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything we print by mistake goes to stderr, never into the protocol
    requests = io.TextIOWrapper(os.fdopen(0, "rb", buffering=0), encoding="utf-8")

    def reply(message: dict) -> None:
        protocol.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace") + b"\n")

    config = json.loads(requests.readline())
    server = Server(config)
    _preload(config.get("preload"), server.imports_on_demand)
    server.reroute_imports()
    compile("", "<init>", "exec")  # the AST types, built at the first compile (~1 ms): once here, not in each child
    gc.collect()
    gc.freeze()  # children share these pages; the collector should not touch (and so copy) them
    try:
        server.serve(requests, reply)
    except BrokenPipeError:
        pass  # the client is gone (its process killed, its run interrupted): nobody to answer
    server._retire()
    os._exit(0)  # nothing left to flush or clean (the client removes a host work dir): skip the teardown


if __name__ == "__main__":
    main()
