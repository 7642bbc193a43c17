"""Writing a file whole or not at all, flushing what was written to disk, and checking a user-named
output path before anything is written to it."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from .task import ConfigError

__all__ = ["OutputPathError", "write_atomic", "fsync_path", "sync_tree", "output_file", "output_dir"]


class OutputPathError(ConfigError):
    """A user-named output path that must not be written (one line, naming the path and why): a
    usage error, found before any work is done."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it (a short name: the start of the
    target's name, this process's id and a random part, so any valid target name works and two
    writers of the same path never share one), fsynced, then renamed into place: a reader sees the
    old file or the new one, never half of one. Raises OSError; the temporary file is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name[:32]}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:  # a file that is replaced keeps its permissions (a report kept private stays private)
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass
        except OSError:
            os.close(fd)
            raise
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the rename must not outlive the data across a power cut
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fsync_path(path: Path | str) -> None:
    """Flush ``path`` (a file, or a directory's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP) or not os.path.isdir(path):
            raise  # some file systems cannot sync a directory; a file must sync
    finally:
        os.close(fd)


def sync_tree(root: Path | str) -> None:
    """Every file and directory under ``root`` (and ``root``) flushed to disk."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fsync_path(os.path.join(folder, name))
        fsync_path(folder)


# --- checking an output path -----------------------------------------------------------------------

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _not_a_directory(text: str) -> str:
    """The first ancestor of ``text`` that exists and is not a directory (for the message)."""
    path = Path(text)
    for parent in [*reversed(path.parents), path]:
        if str(parent) in ("", ".", os.sep):
            continue
        try:
            if not stat.S_ISDIR(os.stat(parent).st_mode):
                return str(parent)
        except OSError:
            break
    return str(path.parent)


def _probe(text: str, what: str) -> tuple[os.stat_result | None, Path]:
    """``(stat of what text names, following links, or None when nothing is there; the path to write)``,
    or OutputPathError for a path that cannot name an output at all."""
    if text == "":
        raise OutputPathError(f"the {what} path is empty; give a name")
    if text == "-":
        raise OutputPathError(f"the {what} cannot be standard output ('-'); give a path (./- for one named '-')")
    if "\0" in text:
        raise OutputPathError(f"the {what} path {text!r} holds a NUL character")
    try:
        st: os.stat_result | None = os.stat(text)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputPathError(f"cannot write to {text}: {_not_a_directory(text)} is not a directory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputPathError(f"cannot write to {text}: too many levels of symbolic links (a symlink loop?)") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise OutputPathError(f"cannot write to {text}: file name too long") from None
        st = None  # e.g. a directory that may not be searched: the write says so (a machine refusal)
    if st is None and os.path.islink(text):
        raise OutputPathError(f"{text} is a symbolic link to {os.readlink(text)}, which does not exist; "
                              "remove the link or create what it points to")
    return st, Path(os.path.realpath(text))


def _inside(target: Path, directory: Path | str) -> bool:
    root = Path(os.path.realpath(directory))
    return target == root or target.is_relative_to(root)


def output_file(path: Path | str, *, what: str = "output file", inputs: Iterable[Path | str] = (),
                datasets: Iterable[Path | str] = ()) -> Path:
    """Check a user-named output file before anything is computed; return the path to write.

    Refused (OutputPathError, one line): an empty path, ``-``, a path under a file, a symlink loop, a
    name too long, an existing path that is not a regular file (directory, device, FIFO, socket), a
    dangling symbolic link, a path inside one of ``datasets`` (directories being read), and the
    same file as one of ``inputs`` (files being read). A symbolic link is followed: the path
    returned is the file it points to, which a write replaces (the link stays a link).
    """
    text = os.fspath(path)
    if text.endswith(os.sep):
        raise OutputPathError(f"{what} {text} ends with '{os.sep}' (a directory); give a file path")
    st, target = _probe(text, what)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputPathError(f"{what} {text} is {_kind(st.st_mode)}, not a regular file; give a file path")
    for source in inputs:
        try:
            same = st is not None and os.path.samefile(text, source)
        except OSError:
            same = False
        if same or target == Path(os.path.realpath(source)):
            raise OutputPathError(f"{what} {text} is the input file {os.fspath(source)}; writing it would destroy the "
                                  "input: give another path")
    for directory in datasets:
        if _inside(target, directory):
            raise OutputPathError(f"{what} {text} is inside the dataset {os.fspath(directory)} being read "
                                  "(it would alter the dataset); give a path outside it")
    return target


def output_dir(path: Path | str, *, what: str = "output directory", datasets: Iterable[Path | str] = ()) -> Path:
    """Check a user-named output directory before anything is computed (the same refusals as
    :func:`output_file`, but an existing path must be a directory); return it with links resolved."""
    text = os.fspath(path)
    st, target = _probe(text, what)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        raise OutputPathError(f"{what} {text} is {kind}, not a directory; give a directory path")
    for directory in datasets:
        if _inside(target, directory):
            raise OutputPathError(f"{what} {text} would overwrite the dataset in {os.fspath(directory)} "
                                  "(it is inside it); give a path outside it")
    return target
