"""Writing a file whole or not at all, and flushing what was written to disk."""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["write_atomic", "fsync_path", "sync_tree"]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it (named after this process, so
    two writers of the same path never share one), fsynced, then renamed into place: a reader sees
    the old file or the new one, never half of one. Raises OSError; the temporary file is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
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
